// Package backup is norn's configuration backup task: it fetches a device's running
// configuration through the host's connection, cleans it (volatile lines, command echo, prompt
// and pager leftovers), redacts secrets, checks that it is complete, and stores it in a git
// repository with one file per device, one commit per run, a diff per changed host and a status
// file that remembers every host's last success and failure across restarts.
//
// The pieces are usable on their own: Profile.Clean, Profile.Redact and Profile.Check work on
// strings; Store is the versioned store; Diff computes a bounded unified diff. Backup ties them
// into a tasks.Func for the runner:
//
//	store, err := backup.Open("backups")
//	b, err := backup.New(backup.Config{Store: store})
//	results, err := r.Run(ctx, "backup", b.Task)
//	info, err := b.Commit(ctx) // one commit for the run, status saved
//
// Built-in platforms are cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos and juniper_junos,
// with the usual aliases (ios, iosxe, nxos, iosxr, eos, junos, ...). Users add platforms and
// patterns to a Profiles value (DefaultProfiles returns a fresh copy to extend).
//
// It is not a scheduler (the runner and the program decide when to run), nor a restore tool.
package backup
