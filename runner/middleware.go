package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gonorn/norn/tasks"
)

// Middleware wraps one attempt of a task (tracing, a rate limit, a preflight check), like
// net/http middleware wraps a Handler. It knows nothing about the run: the runner's attempt
// loop owns the timeout, cancellation, retries and the breaker around it, so a middleware
// calls next at most once and reports the attempt's failure as its returned error.
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

// TimeoutError is the error of an attempt stopped by Config.Timeout.
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

// AbandonGrace is how long the runner still waits for an attempt to return once its context
// is done (timeout or cancellation), so that a task honouring its context reports its own
// error and partial result. After it, the attempt is abandoned: its host fails at once and its
// goroutine is left to finish on its own (the task's fault: tasks must honour ctx).
const AbandonGrace = time.Second
