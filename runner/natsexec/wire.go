package natsexec

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// Names of the JetStream resources, under a prefix (Config.Prefix, default "norn").
type names struct {
	prefix string
}

func (n names) workStream() string   { return strings.ToUpper(n.prefix) + "_WORK" }
func (n names) resultStream() string { return strings.ToUpper(n.prefix) + "_RESULTS" }
func (n names) objectBucket() string { return n.prefix + "_payloads" }

// work subject: <prefix>.work.<queue>.<run>
func (n names) work(queue, run string) string { return n.prefix + ".work." + queue + "." + run }
func (n names) workQueue(queue string) string { return n.prefix + ".work." + queue + ".*" }
func (n names) workRun(run string) string     { return n.prefix + ".work.*." + run }
func (n names) workAll() string               { return n.prefix + ".work.>" }
func (n names) result(run string) string      { return n.prefix + ".result." + run }
func (n names) resultAll() string             { return n.prefix + ".result.>" }
func (n names) started(run string) string     { return n.prefix + ".started." + run }
func (n names) cancel(run string) string      { return n.prefix + ".cancel." + run }
func (n names) cancelAll() string             { return n.prefix + ".cancel.*" }
func (n names) consumer(queue string) string  { return n.prefix + "-worker-" + queue }

// workMsg is the body of a work message: what a worker needs to run one host. It carries no
// credentials: the worker resolves the host in its own inventory.
type workMsg struct {
	Run    string `json:"run"`
	Task   string `json:"task"`
	DryRun bool   `json:"dry_run,omitempty"`
	Batch  int    `json:"batch"`
	Index  int    `json:"index"`
	Host   string `json:"host"`
	Queue  string `json:"queue"`
}

func (w workMsg) id() string { return fmt.Sprintf("%s.%d.%d", w.Run, w.Batch, w.Index) }

// resultMsg is the body of a result message.
type resultMsg struct {
	Run        string          `json:"run"`
	Batch      int             `json:"batch"`
	Index      int             `json:"index"`
	Host       string          `json:"host"`
	Worker     string          `json:"worker,omitempty"`
	Status     string          `json:"status"` // tasks.Status's text form
	Value      json.RawMessage `json:"value,omitempty"`
	Object     string          `json:"object,omitempty"` // the whole result is in the object store under this name
	Changed    bool            `json:"changed,omitempty"`
	Diff       string          `json:"diff,omitempty"`
	Error      string          `json:"error,omitempty"`
	ErrorClass tasks.Class     `json:"error_class,omitempty"`
	Attempts   int             `json:"attempts,omitempty"`
	Started    time.Time       `json:"started,omitzero"`
	Duration   time.Duration   `json:"duration_ns,omitempty"`
	Sub        []resultMsg     `json:"sub,omitempty"`
}

// startedMsg tells the controller a worker took a host (for the no-worker wait and progress).
type startedMsg struct {
	Batch  int    `json:"batch"`
	Index  int    `json:"index"`
	Worker string `json:"worker"`
}

// encodeResult turns a task result into its wire form. A value that cannot be encoded as JSON
// fails the host rather than the worker.
func encodeResult(w workMsg, worker string, r tasks.Result) resultMsg {
	m := resultMsg{
		Run: w.Run, Batch: w.Batch, Index: w.Index, Host: w.Host, Worker: worker,
		Status: r.Status.String(), Changed: r.Changed, Diff: r.Diff, Attempts: r.Attempts,
		Started: r.Started, Duration: r.Duration,
	}
	if r.Value != nil {
		b, err := json.Marshal(r.Value)
		if err != nil {
			if r.Err == nil {
				r.Err = tasks.WithClass(tasks.ClassTask, fmt.Errorf("worker %s: the task's value cannot travel as JSON: %w", worker, err))
				m.Status = tasks.StatusFailed.String()
			}
		} else {
			m.Value = b
		}
	}
	if r.Err != nil {
		m.Error = r.Err.Error()
		m.ErrorClass = tasks.Classify(r.Err)
	}
	for _, s := range r.Sub {
		m.Sub = append(m.Sub, encodeResult(workMsg{Run: w.Run, Batch: w.Batch, Index: w.Index, Host: w.Host}, "", s))
	}
	return m
}

// parseStatus is the inverse of tasks.Status.String; unknown text is 0.
func parseStatus(s string) tasks.Status {
	for _, st := range []tasks.Status{tasks.StatusOK, tasks.StatusFailed, tasks.StatusNotRun} {
		if st.String() == s {
			return st
		}
	}
	return 0
}

// RemoteError is the error of a host whose task failed on a worker. Its class (tasks.Classify)
// is the class the worker saw; errors.Is against the original sentinel errors does not hold
// across the wire, so match on the class.
type RemoteError struct {
	// Host is the host's name.
	Host string
	// Worker names the worker that ran it.
	Worker string
	// Message is the worker's error message.
	Message string
	// Class is the worker's classification of the error.
	Class tasks.Class
}

// Error returns the worker's message (it already names the host).
func (e *RemoteError) Error() string {
	if e.Worker == "" {
		return e.Message
	}
	return e.Message + " (on worker " + e.Worker + ")"
}

// Unwrap returns tasks.ErrNotRun for hosts the worker did not run, nil otherwise.
func (e *RemoteError) Unwrap() error {
	if e.Class == tasks.ClassNotRun {
		return tasks.ErrNotRun
	}
	return nil
}

// decodeResult turns the wire form back into a task result. decode, when set, turns the value
// back into the task's own type.
func decodeResult(m resultMsg, task string, decode func(task string, raw json.RawMessage) (any, error)) tasks.Result {
	r := tasks.Result{
		Host: m.Host, Task: task, Status: parseStatus(m.Status), Changed: m.Changed, Diff: m.Diff,
		Attempts: m.Attempts, Started: m.Started, Duration: m.Duration,
	}
	if len(m.Value) > 0 {
		if decode != nil {
			v, err := decode(task, m.Value)
			if err != nil && m.Error == "" {
				m.Error = fmt.Sprintf("host %s: decoding the value sent by worker %s: %v", m.Host, m.Worker, err)
				m.ErrorClass = tasks.ClassTask
				r.Status = tasks.StatusFailed
			}
			r.Value = v
		} else {
			r.Value = m.Value
		}
	}
	if m.Error != "" {
		class := m.ErrorClass
		if class == tasks.ClassNone {
			class = tasks.ClassTask
		}
		r.Err = tasks.WithClass(class, &RemoteError{Host: m.Host, Worker: m.Worker, Message: m.Error, Class: class})
		if r.Status == tasks.StatusOK || r.Status == 0 {
			r.Status = tasks.StatusFailed
		}
	}
	if r.Status == 0 {
		r.Status = tasks.StatusOK
	}
	for _, s := range m.Sub {
		r.Sub = append(r.Sub, decodeResult(s, task, nil))
	}
	return r
}

// DefaultRoute is Config.Route's default: a host's queue is its "region" data value, else its
// "site", else "default". Values are made subject-safe (lower case; characters other than
// letters, digits, '-' and '_' become '_').
func DefaultRoute(h *inventory.Host) string {
	for _, k := range []string{"region", "site"} {
		if v, ok := h.Get(k); ok && v != nil {
			if s := QueueName(fmt.Sprint(v)); s != "" {
				return s
			}
		}
	}
	return "default"
}

// QueueName makes s usable as a queue name (one NATS subject token).
func QueueName(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
