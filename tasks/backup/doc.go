// Package backup is norn's configuration backup task: it fetches a device's running
// configuration through the host's connection, cleans it (volatile lines, command echo, prompt
// and pager leftovers), redacts secrets, checks that it is complete, and writes it to a
// versioned store (package gitstore: a git repository with one file per device and one commit
// per run) with a diff per changed host.
//
// Three parts, each with one job: the task (New) is a tasks.Func that returns an Info or a
// classified error and records nothing; the Recorder takes every host's final result, keeps
// each host's status (last success and failure, failure class, consecutive failures, size,
// lines, duration) in the store and makes the run's one commit; gitstore.Store holds the files,
// the commits and the status. Profile.Clean, Profile.Redact, Profile.Check and Diff work on
// strings on their own.
//
//	store, err := gitstore.Open(gitstore.Config{Dir: "backups"})
//	task, err := backup.New(backup.Config{Store: store})
//	rec, err := backup.NewRecorder(backup.RecorderConfig{Store: store})
//	for res := range r.Stream(ctx, "backup", task) {
//		rec.Record(res) // every host, those that never reached the task too
//	}
//	info, err := rec.Commit(ctx) // one commit for the run, status saved
//
// A configuration that fails the checks (empty, truncated, an error banner, a sudden shrink)
// fails the host with class "incomplete" and leaves the last good copy in place.
//
// Built-in platforms are cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos and juniper_junos,
// with the usual aliases (ios, iosxe, nxos, iosxr, eos, junos, ...). Users add platforms and
// patterns to a Profiles value (DefaultProfiles returns a fresh copy to extend).
//
// It is not a scheduler (the runner and the program decide when to run), nor a restore tool.
package backup
