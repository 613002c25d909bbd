// Package runner runs a task on the hosts of an inventory: a bounded worker pool (on
// sourcegraph/conc), batches with an optional failure ratio that stops a rolling change, a
// per-attempt timeout, cancellation that accounts for every host, failed-host state across
// runs (like Nornir), hook chains around each host's task and each run, and middleware around
// each task: a circuit breaker (sony/gobreaker/v2), retries with exponential backoff and jitter
// (cenkalti/backoff/v4), a timeout, and your own.
//
// Results come aggregated (Run returns *Results, keyed by host) or streamed as hosts finish
// (Stream returns an iter.Seq, for constant memory over a million hosts).
//
// Order around one host's task, outermost first:
//
//	TaskStart hooks (in registration order; the first error vetoes the host)
//	  CircuitBreaker (Config.Breaker)
//	    Retry (Config.Retry; TaskRetry hooks before each wait)
//	      Timeout (Config.Timeout, per attempt)
//	        Config.Middleware, first outermost
//	          the task
//	TaskOK or TaskFailed hooks (in registration order)
//
// Execution goes through the Executor seam; the local pool is one implementation, and a
// distributed one (NATS JetStream) can replace it without touching tasks, hooks or middleware.
//
// It is not for describing hosts (package inventory), opening connections (package connection)
// or writing tasks (package tasks).
package runner
