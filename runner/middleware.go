package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gonorn/norn/tasks"
)

// Middleware wraps a task with behaviour around it (retries, a breaker, a timeout, tracing),
// like net/http middleware wraps a Handler. A middleware calls next zero or more times.
type Middleware func(next tasks.Func) tasks.Func

// Chain composes middleware: the first is outermost, so Chain(a, b, c)(fn) runs a, then b,
// then c, then fn, and returns back through c, b, a. Chain() returns the identity. Nil
// elements are skipped.
func Chain(mw ...Middleware) Middleware {
	return func(next tasks.Func) tasks.Func {
		for i := len(mw) - 1; i >= 0; i-- {
			if mw[i] != nil {
				next = mw[i](next)
			}
		}
		return next
	}
}

// ErrTimeout is what the error of an attempt stopped by Timeout wraps, together with
// context.DeadlineExceeded (so its class is tasks.ClassTimeout).
var ErrTimeout = errors.New("task timed out")

// errAttemptTimeout is the cause of the context of an attempt whose Timeout expired.
var errAttemptTimeout = fmt.Errorf("attempt %w: %w", ErrTimeout, context.DeadlineExceeded)

// TimeoutError is the error of an attempt stopped by the Timeout middleware.
type TimeoutError struct {
	// Host is the host's name.
	Host string
	// Task is the task's name.
	Task string
	// Timeout is the limit that expired.
	Timeout time.Duration
	// Abandoned reports that the task had not returned when its timeout expired: the runner
	// stopped waiting for it and its goroutine may still be running.
	Abandoned bool
	// Err is the task's own error (nil when Abandoned).
	Err error
}

// Error returns the error message.
func (e *TimeoutError) Error() string {
	if e.Abandoned {
		return fmt.Sprintf("host %s: task %q timed out after %v (it ignored its context and was abandoned)", e.Host, e.Task, e.Timeout)
	}
	if e.Err != nil {
		return fmt.Sprintf("host %s: task %q timed out after %v: %v", e.Host, e.Task, e.Timeout, e.Err)
	}
	return fmt.Sprintf("host %s: task %q timed out after %v", e.Host, e.Task, e.Timeout)
}

// Unwrap returns ErrTimeout, context.DeadlineExceeded and the task's error.
func (e *TimeoutError) Unwrap() []error {
	errs := []error{ErrTimeout, context.DeadlineExceeded}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Timeout bounds each call of next to d: the task's context gets a deadline, and when it
// expires the call returns a *TimeoutError, even if the task ignores its context: the
// middleware waits at most AbandonGrace more for the task to return, then abandons it (its
// goroutine keeps running until the task returns: that leak is the task's fault, so tasks must
// honour ctx). d <= 0 means no timeout.
func Timeout(d time.Duration) Middleware {
	return func(next tasks.Func) tasks.Func {
		if d <= 0 {
			return next
		}
		return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
			ctx, cancel := context.WithTimeoutCause(ctx, d, errAttemptTimeout)
			defer cancel()
			r, abandoned := callAbandonable(ctx, t, next)
			// Only this deadline counts as a timeout: a cancelled run keeps its own error.
			if (abandoned || r.Err != nil) && context.Cause(ctx) == errAttemptTimeout {
				var taskErr error
				if !abandoned {
					taskErr = r.Err
				}
				r.Err = &TimeoutError{Host: t.Host.Name, Task: t.Name, Timeout: d, Abandoned: abandoned, Err: taskErr}
			}
			return r, r.Err
		}
	}
}

// AbandonGrace is how long the runner still waits for a task to return once its context is
// done (timeout or cancellation), so that a task honouring its context reports its own error
// and partial result. After it, the task is abandoned: its host fails at once and its goroutine
// is left to finish on its own.
const AbandonGrace = time.Second

// callAbandonable runs fn for t (through tasks.Call, which recovers panics) in its own
// goroutine, and returns its result; or, when fn has not returned AbandonGrace after ctx is
// done, a failed result carrying ctx's cause without waiting for fn any longer (abandoned is
// then true). It never panics.
func callAbandonable(ctx context.Context, t *tasks.Task, fn tasks.Func) (r tasks.Result, abandoned bool) {
	if ctx.Done() == nil { // nothing can end ctx: no need for a goroutine to watch it
		return tasks.Call(ctx, t, fn), false
	}
	done := make(chan tasks.Result, 1)
	go func() { done <- tasks.Call(ctx, t, fn) }()
	select {
	case r = <-done:
		return r, false
	case <-ctx.Done():
		grace := time.NewTimer(AbandonGrace)
		defer grace.Stop()
		select {
		case r = <-done: // the task honoured its context
			return r, false
		case <-grace.C:
		}
		return tasks.Result{
			Host: t.Host.Name, Task: t.Name, Status: tasks.StatusFailed,
			Err:      context.Cause(ctx),
			Attempts: max(t.Attempt, 1),
		}, true
	}
}
