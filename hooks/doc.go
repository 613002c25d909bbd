// Package hooks defines the events and the small hook interfaces (with func adapters) that the
// runner calls around each host's task and each run: task start (which may veto a host), task
// ok, task failed, retries, breaker state changes, run start and end. Every hook is a Hook (a
// marker the compiler checks; embed HookDefaults in your own types). It is also the one home of
// a run's identity (Run) and outcome counts (Summary), shared by the runner, hooks and callers.
// Hooks with their own dependencies live in sub-packages (alertmanager, webhook, metrics,
// progress).
//
// It is not for changing what a task does: use runner middleware for that.
package hooks
