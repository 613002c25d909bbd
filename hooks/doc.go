// Package hooks defines the events and the small hook interfaces (with func adapters) that the
// runner calls around each host's task and each run: task start (which may veto a host), task
// ok, task failed, retries, run start and end. Hooks with their own dependencies live in
// sub-packages (alertmanager, webhook, metrics).
//
// It is not for changing what a task does: use runner middleware for that.
package hooks
