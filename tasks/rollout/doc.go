// Package rollout changes device configurations safely: per host it takes a checkpoint of the
// running configuration, runs pre-checks, works out which of the intended lines are not yet in
// the configuration (a dry run stops there and shows them), applies the change with the
// platform's own safety net, runs post-checks, and on any failure rolls back to the checkpoint
// and verifies the rollback: the running configuration, cleaned of volatile lines like a
// backup, must equal the checkpoint. A rollback that cannot be verified is a failure of its own
// class (ClassRollbackFailed, errors.Is ErrRollbackFailed) meant to page someone.
//
// A host already in the intended state is left alone and reported unchanged, so a rerun of a
// rollout is harmless. The canary part of a rollout (a first small batch, stop on the first
// failed batch) is the runner's: see Plan and runner.Config's BatchSizes and MaxFailRatio.
//
// # What "rolled back" guarantees, per platform
//
//   - juniper_junos: the change is committed with "commit confirmed N" (N = ConfirmTimeout in
//     minutes, at least 1) and confirmed with a plain "commit" after the post-checks. A failed
//     check rolls back with "rollback 1" + "commit". A session lost after the commit leaves the
//     rollback to the device: unconfirmed, it restores the previous configuration itself when
//     N minutes are up; the task waits for that and verifies it.
//   - cisco_iosxr: "commit confirmed S" (S = ConfirmTimeout in seconds, 30 to 65535), confirmed
//     with "commit"; rollback with "rollback configuration last 1"; a lost session is rolled
//     back by the device when S seconds are up, as on Junos.
//   - arista_eos: the lines go to a configure session (nothing reaches the running
//     configuration until it commits), committed with "commit timer hh:mm:ss" and confirmed with
//     "configure session NAME commit"; rollback with "configure session NAME abort"; a lost
//     session is rolled back by the device when the timer ends. A line the device rejects
//     aborts the session: the running configuration was never touched.
//   - cisco_nxos: "checkpoint NAME" before the change, "rollback running-config checkpoint
//     NAME" to undo it (the whole configuration returns to the checkpoint), "no checkpoint NAME"
//     afterwards. NX-OS has no timer: a session lost mid-change leaves the change in place until
//     the task (or a person) rolls it back; the task reconnects once to do so.
//   - cisco_iosxe: with an archive path configured ("archive" / " path ..."), "archive config"
//     before the change and "configure replace FILE force" to undo it: the whole configuration
//     returns to the archive. Without one, the task falls back to the line-by-line inverse of
//     the lines it added ("no LINE", or the line the checkpoint had in the same place): weaker,
//     since a line whose previous value is not visible in the configuration (a default) cannot
//     be restored exactly. Either way the rollback is verified against the checkpoint, so a
//     weak rollback that did not restore everything is reported as ClassRollbackFailed, never
//     as rolled back.
//
// # What "already in the intended state" means
//
// For the Cisco platforms and EOS, a line is present when the running configuration has it,
// under the same parents: write child lines indented below their section line ("interface
// GigabitEthernet2" then " description uplink"), as the running configuration shows them.
// "no X" is present when no line starting with X exists there. For Junos, "set ..." lines are
// compared with the configuration in set form, and "delete ..." is present when nothing is set
// under that path. Write lines as the device prints them (no abbreviations), or every run will
// see them as pending.
//
// rollout is not a configuration generator or a compliance checker: it pushes what it is given
// and proves that a failed push left nothing behind.
package rollout
