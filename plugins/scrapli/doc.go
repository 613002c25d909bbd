// Package scrapli is norn's connection plugins on scrapligo: SSH CLI sessions to Cisco IOS-XE,
// NX-OS, IOS-XR, Arista EOS and Juniper Junos (and Nokia SR Linux, registered but untested
// against the simulator), and NETCONF get-config over the "netconf" SSH subsystem.
//
// Register adds the plugins to a connection.Registry. A session is opened with the host's
// connection options named "scrapli" (SSH) or "scrapli_netconf" (NETCONF), whose extras are
// named like scrapli's keyword arguments (auth_secondary, auth_strict_key, ssh_known_hosts_file,
// auth_private_key, timeout_socket, timeout_transport, timeout_ops, transport, session_log).
//
// Beyond scrapligo, the plugin honours context cancellation (scrapligo has none: a cancelled
// call closes the transport), always releases the SSH client on Close (scrapligo's standard
// transport leaks it when the device hangs up first), turns a command the device rejects into a
// *connection.CommandError, fails fast when "enable" needs a secret that is not set, and sorts
// failures into norn's classes: connection.ErrAuthentication, connection.ErrOpen, timeouts
// (errors.Is os.ErrDeadlineExceeded or context.DeadlineExceeded) and
// connection.ErrConnectionLost.
//
// It is not a CLI parser library: only "show version" is parsed (ParseVersion), into
// connection.Facts.
package scrapli
