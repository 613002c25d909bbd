package hooks

import (
	"context"
	"time"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// Run describes a run, shared by every event of that run.
type Run struct {
	// ID identifies the run (unique per Runner.Run/Stream call).
	ID string
	// Task is the name given to Run.
	Task string
	// Hosts is how many hosts the run selected.
	Hosts int
	// DryRun is the run's dry-run flag.
	DryRun bool
	// Started is when the run started.
	Started time.Time
}

// Event is what task hooks receive for one host.
type Event struct {
	// Run is the run the event belongs to.
	Run *Run
	// Host is the host the task runs for.
	Host *inventory.Host
	// Task is the task's name.
	Task string
	// Attempt is the 1-based attempt number (for TaskRetry, the attempt that just failed).
	Attempt int
	// Wait is, for TaskRetry, how long the retry middleware waits before the next attempt.
	Wait time.Duration
	// Err is, for TaskRetry, the error of the attempt that failed.
	Err error
	// Result is the host's result (TaskOK and TaskFailed only; nil otherwise).
	Result *tasks.Result
	// Time is when the event happened.
	Time time.Time
}

// RunEvent is what run hooks receive.
type RunEvent struct {
	// Run is the run.
	Run *Run
	// Summary holds the counts; zero at RunStart.
	Summary Summary
	// Time is when the event happened.
	Time time.Time
}

// Summary counts the outcomes of a run.
type Summary struct {
	// OK, Failed and NotRun count hosts by status; Changed counts the hosts (ok or failed) whose
	// result reports a change.
	OK, Failed, NotRun, Changed int
	// Duration is the run's wall time.
	Duration time.Duration
}

// BreakerEvent reports a circuit breaker changing state.
type BreakerEvent struct {
	// Run is the run during which the state changed (nil when not known).
	Run *Run
	// Name names the breaker (its scope key, e.g. "site=ams1").
	Name string
	// From and To are the states: "closed", "open", "half-open".
	From, To string
	// Failures and Logins are, when the breaker opens, the counted failures among the recent
	// outcomes (logins) of its window that tripped it.
	Failures, Logins int
	// Hosts are, when the breaker opens, the hosts whose counted failures are in the window.
	Hosts []string
	// Err is, when the breaker opens, the last counted failure (why it tripped).
	Err error
	// Released is, when the breaker closes, how many held-back hosts it lets run now.
	Released int
	// Time is when it changed.
	Time time.Time
}

// Hook is what Config.Hooks of the runner and NewChain take: a value the compiler knows is
// meant as a hook. Every hook interface below embeds it, and every adapter of this package
// (TaskOKFunc, ...) implements it, so a hook built from them needs nothing more; a hook type of
// your own embeds HookDefaults (or declares IsHook) and implements at least one of the hook
// interfaces, which NewChain checks.
type Hook interface {
	// IsHook marks the type as a hook. It returns true.
	IsHook() bool
}

// HookDefaults implements Hook. Embed it in a hook type of your own:
//
//	type audit struct{ hooks.HookDefaults; ... }
//	func (a *audit) TaskFailed(ctx context.Context, e *hooks.Event) { ... }
type HookDefaults struct{}

// IsHook returns true.
func (HookDefaults) IsHook() bool { return true }

// TaskStartHook runs before a host's task. Returning an error vetoes the host: it fails with
// that error and the task never runs.
type TaskStartHook interface {
	Hook
	TaskStart(ctx context.Context, e *Event) error
}

// TaskOKHook observes a host whose task succeeded.
type TaskOKHook interface {
	Hook
	TaskOK(ctx context.Context, e *Event)
}

// TaskFailedHook observes a host whose task failed (vetoed, timed out and panicked included).
type TaskFailedHook interface {
	Hook
	TaskFailed(ctx context.Context, e *Event)
}

// TaskRetryHook observes each retry: the attempt that failed, its error and the wait before the
// next attempt.
type TaskRetryHook interface {
	Hook
	TaskRetry(ctx context.Context, e *Event)
}

// RunStartHook observes the start of a run.
type RunStartHook interface {
	Hook
	RunStart(ctx context.Context, e *RunEvent)
}

// RunEndHook observes the end of a run. Hooks that deliver in the background flush here, within
// the context's deadline.
type RunEndHook interface {
	Hook
	RunEnd(ctx context.Context, e *RunEvent)
}

// BreakerHook observes circuit-breaker state changes.
type BreakerHook interface {
	Hook
	BreakerStateChange(ctx context.Context, e *BreakerEvent)
}

// TaskStartFunc adapts a function to TaskStartHook.
type TaskStartFunc func(ctx context.Context, e *Event) error

// TaskStart calls f.
func (f TaskStartFunc) TaskStart(ctx context.Context, e *Event) error { return f(ctx, e) }

// IsHook returns true.
func (TaskStartFunc) IsHook() bool { return true }

// TaskOKFunc adapts a function to TaskOKHook.
type TaskOKFunc func(ctx context.Context, e *Event)

// TaskOK calls f.
func (f TaskOKFunc) TaskOK(ctx context.Context, e *Event) { f(ctx, e) }

// IsHook returns true.
func (TaskOKFunc) IsHook() bool { return true }

// TaskFailedFunc adapts a function to TaskFailedHook.
type TaskFailedFunc func(ctx context.Context, e *Event)

// TaskFailed calls f.
func (f TaskFailedFunc) TaskFailed(ctx context.Context, e *Event) { f(ctx, e) }

// IsHook returns true.
func (TaskFailedFunc) IsHook() bool { return true }

// TaskRetryFunc adapts a function to TaskRetryHook.
type TaskRetryFunc func(ctx context.Context, e *Event)

// TaskRetry calls f.
func (f TaskRetryFunc) TaskRetry(ctx context.Context, e *Event) { f(ctx, e) }

// IsHook returns true.
func (TaskRetryFunc) IsHook() bool { return true }

// RunStartFunc adapts a function to RunStartHook.
type RunStartFunc func(ctx context.Context, e *RunEvent)

// RunStart calls f.
func (f RunStartFunc) RunStart(ctx context.Context, e *RunEvent) { f(ctx, e) }

// IsHook returns true.
func (RunStartFunc) IsHook() bool { return true }

// RunEndFunc adapts a function to RunEndHook.
type RunEndFunc func(ctx context.Context, e *RunEvent)

// RunEnd calls f.
func (f RunEndFunc) RunEnd(ctx context.Context, e *RunEvent) { f(ctx, e) }

// IsHook returns true.
func (RunEndFunc) IsHook() bool { return true }

// BreakerFunc adapts a function to BreakerHook.
type BreakerFunc func(ctx context.Context, e *BreakerEvent)

// BreakerStateChange calls f.
func (f BreakerFunc) BreakerStateChange(ctx context.Context, e *BreakerEvent) { f(ctx, e) }

// IsHook returns true.
func (BreakerFunc) IsHook() bool { return true }
