// Package platform is norn's one table of network platform names: the canonical names
// (scrapli's: cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos, nokia_srl) and
// the other names the same platforms go by in Nornir/NAPALM, Netmiko, scrapli, Ansible and
// NetBox slugs (ios, cisco_ios, iosxe, csr1000v, nxos, nexus, iosxr, eos, junos,
// cisco-ios-xe, ...).
//
// Normalize turns any of those names into the canonical one; Canonical also says whether the
// name was known. The connection registry, the backup profiles and the NetBox inventory all
// resolve platforms through this table, so a name means the same platform everywhere.
//
// It is not a registry: it holds no plugins or profiles and cannot be extended at run time
// (connection.Registry.Alias and backup.Profiles.Alias add a program's own names on top of it).
// It imports nothing of norn.
package platform
