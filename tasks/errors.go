package tasks

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/internal/retry"
)

// Permanent marks err as permanent: the runner's attempt loop never retries it. It is the one
// marker of the module (internal/retry's), so an error marked here is permanent to every retry
// of norn, and one marked by them is permanent here. Permanent(nil) is nil.
func Permanent(err error) error { return retry.Permanent(err) }

// IsPermanent reports whether err (or an error it wraps) was marked Permanent, or is an
// authentication failure (retrying a wrong password only locks the account).
func IsPermanent(err error) bool {
	return retry.IsPermanent(err) || errors.Is(err, connection.ErrAuthentication)
}

// ErrNotRun is the error of a host that was never started: the run was cancelled, stopped by
// MaxFailRatio, or the host was skipped because it failed in an earlier run.
var ErrNotRun = errors.New("not run")

// Class names the kind of a failure, for summaries, alerts and metrics labels.
type Class string

// The classes Classify knows. Tasks add their own with WithClass.
const (
	ClassNone           Class = ""
	ClassAuthentication Class = "authentication"
	ClassTimeout        Class = "timeout"
	ClassCanceled       Class = "canceled"
	ClassConnection     Class = "connection"
	ClassConfig         Class = "config"
	ClassPanic          Class = "panic"
	ClassNotRun         Class = "not_run"
	ClassVetoed         Class = "vetoed"
	ClassBreakerOpen    Class = "breaker_open"
	ClassTask           Class = "task"
)

// classError tags an error with a class.
type classError struct {
	class Class
	err   error
}

func (e *classError) Error() string { return e.err.Error() }
func (e *classError) Unwrap() error { return e.err }

// WithClass tags err with class c, which Classify then returns. WithClass(c, nil) is nil.
func WithClass(c Class, err error) error {
	if err == nil {
		return nil
	}
	return &classError{class: c, err: err}
}

// Classify returns the class of err: the outermost WithClass tag, else one derived from the
// well-known errors (authentication, timeouts, cancellation, lost or failed connections, panics).
// It returns ClassNone for nil and ClassTask for any other error.
func Classify(err error) Class {
	if err == nil {
		return ClassNone
	}
	var ce *classError
	if errors.As(err, &ce) {
		return ce.class
	}
	var pe *PanicError
	switch {
	case errors.Is(err, ErrNotRun):
		return ClassNotRun
	case errors.Is(err, connection.ErrAuthentication):
		return ClassAuthentication
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.Is(err, connection.ErrConnectionLost), errors.Is(err, connection.ErrOpen):
		return ClassConnection
	case errors.Is(err, connection.ErrNotFound), errors.Is(err, connection.ErrAmbiguous),
		errors.Is(err, connection.ErrValidation), errors.Is(err, connection.ErrRegistration):
		return ClassConfig
	case errors.As(err, &pe):
		return ClassPanic
	}
	return ClassTask
}

// String returns the class name.
func (c Class) String() string { return string(c) }

var _ fmt.Stringer = Class("")
