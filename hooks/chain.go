package hooks

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/tasks"
)

// Chain calls hooks in registration order. It sorts the hooks it is given by the interfaces
// they implement (a hook may implement several) and implements every hook interface itself, so
// a Chain can be registered wherever a hook can.
//
// A hook that panics fails nothing but itself: the panic is recovered, logged with its stack
// through the Chain's logger, and the next hook is called. A panicking TaskStart hook does not
// veto the host.
//
// A Chain is safe for concurrent use once built; it is immutable.
type Chain struct {
	logger   zerolog.Logger
	start    []TaskStartHook
	ok       []TaskOKHook
	failed   []TaskFailedHook
	retry    []TaskRetryHook
	runStart []RunStartHook
	runEnd   []RunEndHook
	breaker  []BreakerHook
}

// NewChain builds a chain of hooks, which are called in the order given. The compiler checks
// that each is a Hook; NewChain checks that each also implements at least one of
// TaskStartHook, TaskOKHook, TaskFailedHook, TaskRetryHook, RunStartHook, RunEndHook or
// BreakerHook, and returns an error naming the first one that implements none (a bare
// HookDefaults) or is nil. logger receives the reports of panicking hooks; the zero Logger
// discards them.
func NewChain(logger zerolog.Logger, hooks ...Hook) (*Chain, error) {
	c := &Chain{logger: logger}
	for i, h := range hooks {
		n := 0
		if x, ok := h.(TaskStartHook); ok {
			c.start = append(c.start, x)
			n++
		}
		if x, ok := h.(TaskOKHook); ok {
			c.ok = append(c.ok, x)
			n++
		}
		if x, ok := h.(TaskFailedHook); ok {
			c.failed = append(c.failed, x)
			n++
		}
		if x, ok := h.(TaskRetryHook); ok {
			c.retry = append(c.retry, x)
			n++
		}
		if x, ok := h.(RunStartHook); ok {
			c.runStart = append(c.runStart, x)
			n++
		}
		if x, ok := h.(RunEndHook); ok {
			c.runEnd = append(c.runEnd, x)
			n++
		}
		if x, ok := h.(BreakerHook); ok {
			c.breaker = append(c.breaker, x)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("hooks: hook %d (%T) implements no hook interface "+
				"(TaskStartHook, TaskOKHook, TaskFailedHook, TaskRetryHook, RunStartHook, RunEndHook, BreakerHook)", i, h)
		}
	}
	return c, nil
}

// IsHook returns true: a Chain can be registered wherever a hook can.
func (*Chain) IsHook() bool { return true }

// HasTaskStart reports whether the chain holds at least one TaskStartHook.
func (c *Chain) HasTaskStart() bool { return len(c.start) > 0 }

// HasTaskEnd reports whether the chain holds at least one TaskOKHook or TaskFailedHook.
func (c *Chain) HasTaskEnd() bool { return len(c.ok) > 0 || len(c.failed) > 0 }

// HasTaskRetry reports whether the chain holds at least one TaskRetryHook.
func (c *Chain) HasTaskRetry() bool { return len(c.retry) > 0 }

// HasBreaker reports whether the chain holds at least one BreakerHook.
func (c *Chain) HasBreaker() bool { return len(c.breaker) > 0 }

// VetoError is the error of a host vetoed by a TaskStart hook. Its class (tasks.Classify) is
// tasks.ClassVetoed.
type VetoError struct {
	// Host is the vetoed host's name.
	Host string
	// Hook names the hook's type.
	Hook string
	// Err is what the hook returned.
	Err error
}

// Error returns the error message.
func (e *VetoError) Error() string {
	return fmt.Sprintf("host %s: vetoed by hook %s: %v", e.Host, e.Hook, e.Err)
}

// Unwrap returns the hook's error.
func (e *VetoError) Unwrap() error { return e.Err }

// TaskStart calls the TaskStart hooks in order and stops at the first that returns an error:
// the host is vetoed, and TaskStart returns a *VetoError (classed tasks.ClassVetoed) wrapping
// that error.
func (c *Chain) TaskStart(ctx context.Context, e *Event) (err error) {
	for _, h := range c.start {
		if herr := c.callStart(ctx, h, e); herr != nil {
			host := ""
			if e.Host != nil {
				host = e.Host.Name
			}
			return tasks.WithClass(tasks.ClassVetoed, &VetoError{Host: host, Hook: fmt.Sprintf("%T", h), Err: herr})
		}
	}
	return nil
}

func (c *Chain) callStart(ctx context.Context, h TaskStartHook, e *Event) (err error) {
	defer c.recoverHook("TaskStart", h, e, &err)
	return h.TaskStart(ctx, e)
}

// TaskOK calls the TaskOK hooks in order.
func (c *Chain) TaskOK(ctx context.Context, e *Event) {
	for _, h := range c.ok {
		func() {
			defer c.recoverHook("TaskOK", h, e, nil)
			h.TaskOK(ctx, e)
		}()
	}
}

// TaskFailed calls the TaskFailed hooks in order.
func (c *Chain) TaskFailed(ctx context.Context, e *Event) {
	for _, h := range c.failed {
		func() {
			defer c.recoverHook("TaskFailed", h, e, nil)
			h.TaskFailed(ctx, e)
		}()
	}
}

// TaskRetry calls the TaskRetry hooks in order.
func (c *Chain) TaskRetry(ctx context.Context, e *Event) {
	for _, h := range c.retry {
		func() {
			defer c.recoverHook("TaskRetry", h, e, nil)
			h.TaskRetry(ctx, e)
		}()
	}
}

// RunStart calls the RunStart hooks in order.
func (c *Chain) RunStart(ctx context.Context, e *RunEvent) {
	for _, h := range c.runStart {
		func() {
			defer c.recoverHook("RunStart", h, nil, nil)
			h.RunStart(ctx, e)
		}()
	}
}

// RunEnd calls the RunEnd hooks in order.
func (c *Chain) RunEnd(ctx context.Context, e *RunEvent) {
	for _, h := range c.runEnd {
		func() {
			defer c.recoverHook("RunEnd", h, nil, nil)
			h.RunEnd(ctx, e)
		}()
	}
}

// BreakerStateChange calls the Breaker hooks in order.
func (c *Chain) BreakerStateChange(ctx context.Context, e *BreakerEvent) {
	for _, h := range c.breaker {
		func() {
			defer c.recoverHook("BreakerStateChange", h, nil, nil)
			h.BreakerStateChange(ctx, e)
		}()
	}
}

// recoverHook recovers a panicking hook and logs it. For TaskStart, *err is cleared: a hook
// that panics does not veto.
func (c *Chain) recoverHook(method string, h any, e *Event, err *error) {
	v := recover()
	if v == nil {
		return
	}
	if err != nil {
		*err = nil
	}
	ev := c.logger.Error().Str("hook", fmt.Sprintf("%T", h)).Str("method", method).
		Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack()))
	if e != nil {
		if e.Host != nil {
			ev = ev.Str("host", e.Host.Name)
		}
		ev = ev.Str("task", e.Task)
	}
	ev.Msg("hook panicked; ignored")
}

// Interface guards.
var (
	_ Hook           = (*Chain)(nil)
	_ TaskStartHook  = (*Chain)(nil)
	_ TaskOKHook     = (*Chain)(nil)
	_ TaskFailedHook = (*Chain)(nil)
	_ TaskRetryHook  = (*Chain)(nil)
	_ RunStartHook   = (*Chain)(nil)
	_ RunEndHook     = (*Chain)(nil)
	_ BreakerHook    = (*Chain)(nil)
)
