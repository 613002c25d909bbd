// Package gitstore is the versioned store of norn's configuration backups: a git repository
// (readable with git itself) with one file per device under configs/, one commit per Commit,
// and every host's backup status (last success, last failure and its class, consecutive
// failures, size, lines, duration) kept across runs in the git directory, outside the tracked
// tree, so that "git status" in the repository is clean after every run.
//
//	store, err := gitstore.Open(gitstore.Config{Dir: "backups"})
//	entry, changed, err := store.Put("core-01", config) // safe from many workers at once
//	info, err := store.Commit("norn backup: 1 changed")
//
// Programs that only report on the backups (metrics, a web service) read the status with
// ReadStatus(dir), which needs no lock and is safe while a run writes. A crash at any point
// (kill -9, power loss) leaves the last commit intact; the next Open removes what the crash
// left and puts the work tree back to that commit. One process writes at a time: a store
// opened while another process has uncommitted writes is Busy, repairs nothing and refuses to
// write (ErrBusy); the lock (flock on .git/norn.lock) dies with its holder.
//
// It is not the backup task (package backup fetches, cleans and checks configurations, and its
// Recorder turns results into statuses and commits), and not a general git library: it writes
// packs, trees, commits and the index itself for speed (10,000 devices commit in milliseconds),
// and reads with go-git.
package gitstore
