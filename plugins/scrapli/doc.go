// Package scrapli is norn's connection plugins on scrapligo: SSH CLI sessions to Cisco IOS-XE,
// NX-OS, IOS-XR, Arista EOS and Juniper Junos (and Nokia SR Linux, registered from scrapligo's
// platform definition but untested: the device simulator has no SR Linux), and NETCONF
// get-config over the "netconf" SSH subsystem for the first five.
//
// Register adds the plugins to a connection.Registry under keys {platform, "ssh", "scrapli"}
// (sessions are *Session: CommandSender, ConfigSender, ConfigGetter, FactsGetter, ConfigSaver,
// RawAccess, Liveness) and {platform, "netconf", "scrapli"} (*NetconfSession: ConfigGetter,
// RawAccess, Liveness).
//
// A session is opened with the host's connection parameters resolved for the connection-options
// name "scrapli" (SSH) or "scrapli_netconf" (NETCONF), as Nornir's nornir_scrapli names them.
// Their extras are named like scrapli's keyword arguments; unknown keys are an error:
//
//	auth_secondary               enable secret (SSH only)
//	auth_strict_key              strict host-key checking, default true
//	ssh_known_hosts_file         default ~/.ssh/known_hosts
//	auth_private_key             private key path (public-key authentication)
//	auth_private_key_passphrase  its passphrase
//	timeout_socket               TCP connect, seconds, default 15
//	timeout_transport            SSH handshake and shell setup, seconds, default 30
//	timeout_ops                  each command or RPC, seconds, default 30
//	transport                    "standard" (default, in-process crypto/ssh) or "system" (ssh binary)
//	session_log                  per-host session log path, secrets redacted; {host}, {hostname}
//	                             and {platform} expanded, parent directories created
//	session_log_append           append to session_log instead of truncating it
//	preferred_netconf_version    "1.0" or "1.1" (NETCONF only)
//	ssh_kex_algorithms           SSH key exchanges offered, in order (default: x/crypto's)
//
// Beyond scrapligo, the plugin honours context cancellation (scrapligo has none: a call whose
// context ends closes the transport and returns an error matching ctx.Err()), always releases
// the SSH client on Close (scrapligo's standard transport returns io.EOF when the device hangs
// up after "exit" and skips closing the client on that path), turns a command the device
// rejects into a *connection.CommandError, fails at once when "enable" needs a secret that is
// not set or is wrong (scrapligo waits for a prompt until timeout_ops), and sorts failures
// into norn's classes: connection.ErrAuthentication, connection.ErrOpen (with ErrHostKey for a
// host-key mismatch), timeouts (errors.Is os.ErrDeadlineExceeded, or context.DeadlineExceeded
// for the caller's deadline) and connection.ErrConnectionLost. A session that timed out or lost
// its connection is closed: its output can no longer be matched to commands, and Alive reports
// it dead so that a connection.Manager opens a new one for a retry.
//
// Prompts are matched only at the end of what the device printed, and a command's output loses
// only its trailing prompt (scrapligo matches its joined prompt pattern anywhere in the last
// 1,000 bytes read and strips it everywhere: a configuration could be cut at a line that looked
// like a prompt, such as a Junos read ending in `authentication-key "$9$`, and prompt-shaped
// lines vanished from it). Sessions implement connection.Liveness.
//
// It is not a CLI parser library: only "show version" is parsed (ParseVersion), into
// connection.Facts.
package scrapli
