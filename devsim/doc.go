// Package devsim simulates SSH network devices (Cisco IOS-XE, NX-OS, IOS-XR, Arista EOS and
// Juniper Junos) on loopback, so that connection plugins, backup jobs and users' own tasks can
// be tested against real SSH without a lab.
//
// A simulated device is a real SSH server (golang.org/x/crypto/ssh) with its own ed25519 host
// key. Its interactive shell behaves like the platform's CLI, byte for byte where a client
// depends on it: prompts per privilege level built from the device's hostname, echo of every
// typed character (except hidden input such as the enable secret), paging with the platform's
// "--More--" marker until the client disables it, the platform's error texts for unknown or
// incomplete commands, enable with a secret, configuration mode (IOS-XR and Junos with a
// candidate configuration and commit), and "exit" at the top level hanging up the connection.
//
// Every device has a running configuration generated from a seed (deterministic, realistic
// sections with secrets and volatile lines, a few KB to 1 MB), generated lazily when it is
// shown and stored only once it has been changed, by configuration commands typed in the CLI or
// through [Device.Configure]. Devices can inject faults ([Faults]): rejected credentials, hangs,
// latency, dropped connections, truncated configurations and banner delays. Each device also
// serves NETCONF (base:1.0 and base:1.1 framing) on the "netconf" SSH subsystem.
//
// Changes have each platform's own safety net: Junos "commit confirmed N", "rollback N" and a
// shared candidate that survives "exit configuration-mode"; IOS-XR "commit confirmed" and
// "rollback configuration last N"; EOS configure sessions with "commit timer" and "abort"; NX-OS
// "checkpoint" and "rollback running-config checkpoint"; IOS-XE "archive config" and "configure
// replace". Unconfirmed commits roll back on the device's own timer (scaled by
// DeviceConfig.ConfirmUnit), with or without the session that made them. Each device also has a
// file system (bootflash:, flash:, harddisk: or /var/tmp, of DeviceConfig.FileSystemSize) served
// over SFTP (the "sftp" subsystem) and SCP ("scp -t"/"scp -f" exec requests) and shown by "dir"
// and the platforms' MD5 commands.
//
// [Start] runs one device; [StartFleet] runs N devices in the current process and writes a
// known_hosts file and a Nornir SimpleInventory (hosts.yaml, groups.yaml, defaults.yaml) for them;
// the devsim command (devsim/cmd/devsim) runs a fleet as its own process.
//
// devsim is a test double, not an emulator: it knows the commands a client needs to log in,
// configure its session, read facts and configuration and change configuration, and answers
// everything else with the platform's own error text. It never listens on anything but the
// address it is given (127.0.0.1 by default).
package devsim
