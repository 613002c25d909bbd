package runner

import (
	"context"
	"fmt"

	"github.com/sourcegraph/conc/pool"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// Job is one batch of a run, handed to an Executor.
type Job struct {
	// RunID identifies the run (hooks.Run.ID).
	RunID string
	// Task is the task's name as given to Run or Stream.
	Task string
	// DryRun is the run's dry-run flag.
	DryRun bool
	// Batch is the 0-based index of this batch in the run.
	Batch int
	// Hosts are the hosts of this batch, in inventory order. Do not modify the slice.
	Hosts []*inventory.Host
	// Run runs the task on one host through the whole local pipeline: TaskStart hooks (veto),
	// middleware, connection lending and closing, TaskOK/TaskFailed hooks. It never panics, and
	// returns promptly once ctx is done (a host not started is reported StatusNotRun). It is
	// safe for concurrent use.
	Run func(ctx context.Context, h *inventory.Host) tasks.Result
}

// Executor runs the hosts of a batch: the seam between the runner and where tasks execute.
//
// Execute calls emit(i, result) once for each host Job.Hosts[i] it ran, from any goroutine
// (emit is safe for concurrent use; results may come in any order; a second result for the
// same i is dropped, so at-least-once delivery is fine). It returns when every host it started
// is done, or when ctx is done. It must not call emit after it returns. It must start no host
// once ctx is done. Every host without a result when Execute returns is reported by the runner
// as StatusNotRun, wrapping tasks.ErrNotRun with the reason (ctx's cause, or Execute's error).
//
// The local implementation (NewPoolExecutor) calls Job.Run on a bounded pool of goroutines.
//
// A distributed executor, such as one handing host batches to workers on other machines over
// NATS JetStream, plugs in here without touching tasks, hooks or middleware: its Execute
// publishes one message per host (run id, task name, dry-run, host name, index i) to a work
// stream; each worker process is built from the same Go program, so it looks the task up by
// name in its own table, runs it with its own Runner (Filter narrowed to the host names it
// received: hooks and middleware run on the worker), and publishes each tasks.Result (JSON)
// with the index to a results subject for the run; Execute consumes that subject, calls
// emit(i, result) for each (duplicates from redelivery are dropped by the runner), and returns
// once every index has a result or ctx is done (hosts whose result never came are then
// reported not run). Job.Run is not used by such an executor, except as a local fallback.
type Executor interface {
	Execute(ctx context.Context, job *Job, emit func(i int, r tasks.Result)) error
}

// PoolExecutor runs hosts on a bounded pool of local goroutines (sourcegraph/conc's pool).
// Results come in the order hosts finish.
type PoolExecutor struct {
	workers int
}

// NewPoolExecutor returns the local executor running at most workers hosts at the same time.
// workers below 1 means DefaultWorkers.
func NewPoolExecutor(workers int) *PoolExecutor {
	if workers < 1 {
		workers = DefaultWorkers
	}
	return &PoolExecutor{workers: workers}
}

// Workers returns the pool's size.
func (e *PoolExecutor) Workers() int { return e.workers }

// Execute runs job.Run for each host on at most Workers goroutines and emits each result. It
// stops starting hosts once ctx is done and returns when every started host is done.
func (e *PoolExecutor) Execute(ctx context.Context, job *Job, emit func(i int, r tasks.Result)) error {
	if job == nil || job.Run == nil {
		return fmt.Errorf("runner: PoolExecutor: job without a Run function")
	}
	n := min(e.workers, len(job.Hosts))
	if n == 0 {
		return nil
	}
	p := pool.New().WithMaxGoroutines(n)
	for i, h := range job.Hosts {
		if ctx.Err() != nil {
			break
		}
		p.Go(func() { emit(i, job.Run(ctx, h)) })
	}
	p.Wait()
	return nil
}

// Interface guard.
var _ Executor = (*PoolExecutor)(nil)
