package tasks

import (
	"encoding/json"
	"time"
)

// Status is a host's outcome.
type Status int

const (
	// StatusOK: the task ran and returned no error.
	StatusOK Status = iota + 1
	// StatusFailed: the task ran (or was vetoed, or timed out) and failed.
	StatusFailed
	// StatusNotRun: the host was never started (run cancelled, MaxFailRatio reached, skipped
	// because it failed before).
	StatusNotRun
)

// String returns "ok", "failed" or "not_run".
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusFailed:
		return "failed"
	case StatusNotRun:
		return "not_run"
	}
	return "unknown"
}

// MarshalText encodes the status as its String form.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is the outcome of a task (or subtask) on one host.
type Result struct {
	// Host is the host's name.
	Host string
	// Task is the task's name.
	Task string
	// Status is ok, failed or not run, set by Call and the runner (not by the task).
	Status Status
	// Value is what the task returned (output, parsed facts, ...).
	Value any
	// Changed reports that the task changed something (config pushed, file written).
	Changed bool
	// Diff describes the change, when the task can tell.
	Diff string
	// Err is why the host failed (nil when Status is StatusOK): the error the task returned,
	// filled in by Call and the runner (a task returns its failure as its error and leaves Err
	// unset: Call replaces it). For a host that never ran, the runner's reason (wrapping
	// ErrNotRun).
	Err error
	// Attempts is how many times the task ran (retries included).
	Attempts int
	// Started is when the host's task started.
	Started time.Time
	// Duration is how long it took, retries included.
	Duration time.Duration
	// Sub holds the results of the subtasks, in the order they finished.
	Sub []Result
}

// OK reports whether the task succeeded.
func (r Result) OK() bool { return r.Status == StatusOK }

// Failed reports whether the task failed.
func (r Result) Failed() bool { return r.Status == StatusFailed }

type jsonResult struct {
	Host       string   `json:"host"`
	Task       string   `json:"task"`
	Status     Status   `json:"status"`
	Value      any      `json:"value,omitempty"`
	Changed    bool     `json:"changed"`
	Diff       string   `json:"diff,omitempty"`
	Error      string   `json:"error,omitempty"`
	ErrorClass Class    `json:"error_class,omitempty"`
	Attempts   int      `json:"attempts"`
	Started    string   `json:"started,omitempty"`
	DurationMS float64  `json:"duration_ms"`
	Sub        []Result `json:"sub,omitempty"`
}

// MarshalJSON encodes the result with its error as a message and a class.
func (r Result) MarshalJSON() ([]byte, error) {
	j := jsonResult{
		Host: r.Host, Task: r.Task, Status: r.Status, Value: r.Value, Changed: r.Changed,
		Diff: r.Diff, Attempts: r.Attempts, DurationMS: float64(r.Duration) / float64(time.Millisecond),
		Sub: r.Sub,
	}
	if !r.Started.IsZero() {
		j.Started = r.Started.UTC().Format(time.RFC3339Nano)
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
		j.ErrorClass = Classify(r.Err)
	}
	return json.Marshal(j)
}
