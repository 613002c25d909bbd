// Package runner runs a task on the hosts of an inventory: a bounded worker pool (on
// sourcegraph/conc), batches with an optional failure ratio that stops a rolling change,
// cancellation that accounts for every host, failed-host state across runs (like Nornir), hook
// chains around each host's task and each run, and one attempt loop per host: circuit breakers
// per AAA domain, retries with exponential backoff and jitter (norn's one retry engine,
// internal/retry), and one watchdog enforcing both the per-attempt timeout and the run's
// cancellation. Your middleware wraps one attempt.
//
// Results come aggregated (Run returns *Results, keyed by host) or streamed as hosts finish
// (Stream returns an iter.Seq, for constant memory over a million hosts).
//
// Order around one host's task:
//
//	TaskStart hooks (in registration order; the first error vetoes the host)
//	breaker admission (Config.Breaker; may hold the host back while its breaker is open)
//	for each attempt (Config.Retry):
//	  Config.Middleware, first outermost, and the task, under the attempt's Timeout
//	  TaskRetry hooks, then the backoff wait, before the next attempt
//	breaker told the host's outcome
//	TaskOK or TaskFailed hooks (in registration order)
//
// Execution goes through the Executor seam; the local pool is one implementation, and a
// distributed one (NATS JetStream, runner/natsexec) can replace it without touching tasks,
// hooks or middleware.
//
// It is not for describing hosts (package inventory), opening connections (package connection)
// or writing tasks (package tasks).
package runner
