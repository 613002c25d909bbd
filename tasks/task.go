package tasks

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
)

// Func is a task: a plain Go function run once per host (once per attempt with retries). A task
// reports failure one way: by returning a non-nil error. The Result it returns carries what it
// did (Value, Changed, Diff), also on failure (a partial result); its Err and Status are not the
// task's to set: Call (and so the runner and Task.Run) fill them in from the returned error, and
// replace whatever the task put there.
type Func func(ctx context.Context, t *Task) (Result, error)

// Task is what a Func receives: the host it runs for and the run's context for that host.
// A Task belongs to one host's execution and must not be kept after the Func returns.
type Task struct {
	// Host is the inventory host the task runs for.
	Host *inventory.Host
	// Name is the task's name (for subtasks, the subtask's name).
	Name string
	// DryRun asks the task to report what it would change without changing it.
	DryRun bool
	// Attempt is the 1-based attempt number, set by the runner's attempt loop (1 without
	// retries). Each attempt gets its own Task.
	Attempt int
	// Logger carries the host and task fields. Tasks log through it.
	Logger zerolog.Logger
	// Connections lends the host's connections; set by the runner, nil when the run has no
	// connection registry (Connection then returns ErrNoConnections).
	Connections *connection.Sessions

	mu  sync.Mutex
	sub []Result
}

// ErrNoConnections is returned by Task.Connection when the run was given no connection registry.
var ErrNoConnections = errors.New("tasks: the run has no connection registry")

// Connection returns the host's connection proxy, resolving a plugin and opening it lazily on
// first use. One session per host and plugin is shared by the task and its subtasks, and closed
// when the host's task ends.
func (t *Task) Connection(ctx context.Context, opts ...connection.Option) (*connection.Proxy, error) {
	if t.Connections == nil {
		return nil, fmt.Errorf("host %s: %w", t.Host.Name, ErrNoConnections)
	}
	return t.Connections.Get(ctx, opts...)
}

// Run runs fn as a subtask of t, on the same host and connections. Its result is returned and
// also recorded under the parent's Result.Sub; the error returned is the subtask's failure
// (also in the result's Err, filled in by Call). A panic in fn fails the subtask only.
func (t *Task) Run(ctx context.Context, name string, fn Func) (Result, error) {
	child := &Task{
		Host:        t.Host,
		Name:        name,
		DryRun:      t.DryRun,
		Attempt:     t.Attempt,
		Logger:      t.Logger,
		Connections: t.Connections,
	}
	if t.Logger.GetLevel() != zerolog.Disabled { // building a logger context allocates
		child.Logger = t.Logger.With().Str("subtask", name).Logger()
	}
	r := Call(ctx, child, fn)
	t.mu.Lock()
	t.sub = append(t.sub, r)
	t.mu.Unlock()
	return r, r.Err
}

// SubResults returns the results of the subtasks run so far, in the order they finished.
func (t *Task) SubResults() []Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Result(nil), t.sub...)
}

// ResetSubResults forgets the subtask results recorded so far. (The runner gives each attempt a
// Task of its own, so a result holds its own attempt's subtasks without it.)
func (t *Task) ResetSubResults() {
	t.mu.Lock()
	t.sub = nil
	t.mu.Unlock()
}

// Call runs fn for t and returns its result, completed with the host and task names, start
// time, duration and subtask results. Result.Err is the error fn returned (whatever fn put in
// Result.Err is replaced: the returned error is the one failure report), and Status follows
// it. A panic in fn becomes a *PanicError carrying the stack; Call itself never panics because
// of fn.
func Call(ctx context.Context, t *Task, fn Func) (res Result) {
	// Kept lean: its frame sits under every task (see complete).
	defer complete(&res, t, time.Now())
	if fn == nil {
		res.Err = Permanent(errors.New("tasks: nil task function"))
		return res
	}
	var err error
	res, err = fn(ctx, t)
	res.Err = err
	return res
}

// complete recovers a panic of the task and fills in what the task left unset.
func complete(res *Result, t *Task, start time.Time) {
	if v := recover(); v != nil {
		*res = Result{Err: &PanicError{Value: v, Stack: debug.Stack()}}
	}
	res.Host = t.Host.Name
	if res.Task == "" {
		res.Task = t.Name
	}
	if res.Started.IsZero() {
		res.Started = start
	}
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	if res.Attempts == 0 {
		res.Attempts = max(t.Attempt, 1)
	}
	if res.Sub == nil {
		res.Sub = t.SubResults()
	}
	if res.Err != nil {
		res.Status = StatusFailed
	} else {
		res.Status = StatusOK
	}
}

// PanicError is the error of a task that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

// Error returns the error message.
func (e *PanicError) Error() string { return fmt.Sprintf("task panicked: %v", e.Value) }
