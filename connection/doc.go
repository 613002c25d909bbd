// Package connection is the registry of connection plugins keyed by (platform, type, library),
// the capability interfaces plugins implement, plugin resolution, and the Proxy lent to a task.
//
// A plugin registers an Opener under a Key (Registry.Register, with Default, DefaultForType,
// BuiltIn and ParamsName options). Its capabilities are the capability interfaces
// (CommandSender, ConfigSender, ConfigGetter, FactsGetter, ConfigSaver, RawAccess, or a user's
// own made with CapabilityOf) that its session type implements, known at registration without
// connecting. Platform names resolve through package platform's table: the names of Nornir,
// NAPALM, Netmiko, Ansible and NetBox slugs (ios, cisco_ios, csr1000v, nxos, cisco-nx-os, eos,
// junos, iosxr, ...) give scrapli's (cisco_iosxe, cisco_nxos, arista_eos, juniper_junos,
// cisco_iosxr, nokia_srl); Registry.Alias adds a program's own names.
//
// Resolution (Registry.Resolve) filters the platform's plugins by the requested type, library
// and capabilities. When none implements every required capability, the best match is used
// with a warning naming what it lacks and the candidates it was chosen over. With
// FallbackToDefault, the (platform, type) default counts only when the request names a type;
// then the platform default.
//
// A run makes one Manager (NewManager) holding the run-wide limits (MaxSessions, OpenRate);
// each host's task gets a *Sessions (Manager.Host) that resolves a plugin (Registry.Resolve),
// opens its session lazily on the first Get, shares it between the task and its subtasks, and
// closes it when the host's task ends. Use[C] turns a Proxy into capability C, or returns a
// *NotImplementedError. Errors are typed (ValidationError, NotFoundError, AmbiguousError,
// RegistrationError, OpenError, NotImplementedError) and match the package's sentinels with
// errors.Is.
//
// It is not a connection library itself: plugins such as plugins/scrapli wrap one. Package
// conntest has a scripted fake plugin for tests and a conformance suite for plugin authors.
package connection
