package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/tasks"
)

// Results are the outcomes of one run, one per selected host, in inventory order.
//
// A run's identity and its outcome counts live in package hooks (hooks.Run, hooks.Summary), the
// vocabulary shared by the runner, every hook and the caller; Results holds the very values the
// run's events carried (Run) and its RunEnd hooks received (Summary), not a copy of its own.
// What the circuit breakers decided is the runner's: Runner.Breaker().Report().
type Results struct {
	// Run describes the run (id, task, hosts, dry-run, start): the value behind every event's
	// Run pointer.
	Run hooks.Run
	// Summary counts the outcomes and holds the run's duration, as the RunEnd hooks got it.
	Summary hooks.Summary

	hosts []tasks.Result
	once  sync.Once
	index map[string]int
}

// Len returns the number of hosts.
func (rs *Results) Len() int { return len(rs.hosts) }

// Get returns the result of the named host.
func (rs *Results) Get(host string) (tasks.Result, bool) {
	rs.once.Do(func() {
		rs.index = make(map[string]int, len(rs.hosts))
		for i, r := range rs.hosts {
			rs.index[r.Host] = i
		}
	})
	i, ok := rs.index[host]
	if !ok {
		return tasks.Result{}, false
	}
	return rs.hosts[i], true
}

// All yields every host's result in inventory order.
func (rs *Results) All() iter.Seq[tasks.Result] {
	return func(yield func(tasks.Result) bool) {
		for _, r := range rs.hosts {
			if !yield(r) {
				return
			}
		}
	}
}

// ByHost returns the results keyed by host name (a new map).
func (rs *Results) ByHost() map[string]tasks.Result {
	m := make(map[string]tasks.Result, len(rs.hosts))
	for _, r := range rs.hosts {
		m[r.Host] = r
	}
	return m
}

func (rs *Results) where(keep func(tasks.Result) bool) []tasks.Result {
	var out []tasks.Result
	for _, r := range rs.hosts {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// OK returns the results of the hosts that succeeded, in inventory order.
func (rs *Results) OK() []tasks.Result {
	return rs.where(func(r tasks.Result) bool { return r.Status == tasks.StatusOK })
}

// Failed returns the results of the hosts that failed, in inventory order.
func (rs *Results) Failed() []tasks.Result {
	return rs.where(func(r tasks.Result) bool { return r.Status == tasks.StatusFailed })
}

// NotRun returns the results of the hosts that never started, in inventory order.
func (rs *Results) NotRun() []tasks.Result {
	return rs.where(func(r tasks.Result) bool { return r.Status == tasks.StatusNotRun })
}

// Changed returns the results of the hosts whose task reported a change, in inventory order.
func (rs *Results) Changed() []tasks.Result {
	return rs.where(func(r tasks.Result) bool { return r.Changed })
}

// Err joins the errors of the failed hosts (in inventory order) and, when hosts did not run,
// one error counting them with the first one's reason. It returns nil when every host
// succeeded.
func (rs *Results) Err() error {
	var errs []error
	var notRun []tasks.Result
	for _, r := range rs.hosts {
		switch r.Status {
		case tasks.StatusFailed:
			errs = append(errs, r.Err)
		case tasks.StatusNotRun:
			notRun = append(notRun, r)
		}
	}
	if len(notRun) > 0 {
		first := notRun[0].Err
		if first == nil {
			first = tasks.ErrNotRun
		}
		errs = append(errs, fmt.Errorf("%d host(s) not run, first: %w", len(notRun), first))
	}
	return errors.Join(errs...)
}

// String returns the summary line followed by one line per host that did not succeed.
func (rs *Results) String() string {
	var b strings.Builder
	rs.summaryLine(&b)
	for _, r := range rs.hosts {
		if r.Status != tasks.StatusOK {
			fmt.Fprintf(&b, "  %-8s %s: %s\n", statusWord(r.Status), r.Host, errLine(r))
		}
	}
	return b.String()
}

func (rs *Results) summaryLine(w io.Writer) {
	s := rs.Summary
	dry := ""
	if rs.Run.DryRun {
		dry = " (dry run)"
	}
	fmt.Fprintf(w, "%s%s: %d hosts: %d ok, %d changed, %d failed, %d not run in %v\n",
		rs.Run.Task, dry, len(rs.hosts), s.OK, s.Changed, s.Failed, s.NotRun, s.Duration.Round(time.Millisecond))
}

func statusWord(s tasks.Status) string {
	switch s {
	case tasks.StatusOK:
		return "ok"
	case tasks.StatusFailed:
		return "FAILED"
	case tasks.StatusNotRun:
		return "NOT RUN"
	}
	return "?"
}

func errLine(r tasks.Result) string {
	if r.Err == nil {
		return "-"
	}
	return fmt.Sprintf("[%s] %s", tasks.Classify(r.Err), oneLine(r.Err.Error()))
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " | ") }

// Print writes a report a person can read, like Nornir's print_result: the summary line, then
// each host in inventory order with its status, attempts, duration, whether it changed, its
// error, its diff, its value (strings as they are, other values with %v), and its subtasks.
func (rs *Results) Print(w io.Writer) error {
	var b bytes.Buffer
	rs.summaryLine(&b)
	for _, r := range rs.hosts {
		printResult(&b, r, "")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func printResult(b *bytes.Buffer, r tasks.Result, indent string) {
	changed := ""
	if r.Changed {
		changed = ", changed"
	}
	name := r.Host
	if indent != "" {
		name = r.Task
	}
	fmt.Fprintf(b, "%s* %s: %s (%d attempt(s), %v%s)\n", indent, name, statusWord(r.Status), r.Attempts,
		r.Duration.Round(time.Microsecond), changed)
	in := indent + "    "
	if r.Err != nil {
		fmt.Fprintf(b, "%serror: %s\n", in, errLine(r))
	}
	if r.Diff != "" {
		writeIndented(b, in, "diff:\n"+r.Diff)
	}
	switch v := r.Value.(type) {
	case nil:
	case string:
		if v != "" {
			writeIndented(b, in, v)
		}
	default:
		writeIndented(b, in, fmt.Sprintf("%v", v))
	}
	for _, s := range r.Sub {
		printResult(b, s, in)
	}
}

func writeIndented(b *bytes.Buffer, indent, s string) {
	for line := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(indent)
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

type jsonSummary struct {
	Hosts      int     `json:"hosts"`
	OK         int     `json:"ok"`
	Failed     int     `json:"failed"`
	NotRun     int     `json:"not_run"`
	Changed    int     `json:"changed"`
	DurationMS float64 `json:"duration_ms"`
}

type jsonResults struct {
	RunID   string         `json:"run_id"`
	Task    string         `json:"task"`
	DryRun  bool           `json:"dry_run"`
	Started string         `json:"started"`
	Summary jsonSummary    `json:"summary"`
	Hosts   []tasks.Result `json:"hosts"`
}

// MarshalJSON encodes the run, its summary and every host's result (tasks.Result's JSON form:
// errors as message and class) in inventory order.
func (rs *Results) MarshalJSON() ([]byte, error) {
	s := rs.Summary
	return json.Marshal(jsonResults{
		RunID: rs.Run.ID, Task: rs.Run.Task, DryRun: rs.Run.DryRun,
		Started: rs.Run.Started.UTC().Format(time.RFC3339Nano),
		Summary: jsonSummary{Hosts: len(rs.hosts), OK: s.OK, Failed: s.Failed, NotRun: s.NotRun, Changed: s.Changed,
			DurationMS: float64(s.Duration) / float64(time.Millisecond)},
		Hosts: rs.hosts,
	})
}

var (
	_ fmt.Stringer   = (*Results)(nil)
	_ json.Marshaler = (*Results)(nil)
)
