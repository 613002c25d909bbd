package backup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Store receives the hosts' status and the commits. Required: the store the task writes to.
	Store *gitstore.Store
	// DryRun records nothing in the store: Record only counts (Summary), Commit does nothing.
	// Default false. Results of a task run with tasks.Task.DryRun (Info.DryRun) never change a
	// status either way.
	DryRun bool
	// CommitEvery commits after this many changed hosts, for very large runs, so that a crash
	// loses little; Commit still makes the last commit. Default 0: one commit, at Commit.
	CommitEvery int
	// Now is the clock of status records. Default time.Now.
	Now func() time.Time
}

// Recorder is the one place a backup run's outcomes go: it takes every host's final result
// (Record), keeps the host's status in the store (last success, last failure with its class
// and message, consecutive failures, size, lines, duration) and makes the run's commit
// (Commit), whose message summarises the run. Feed it from a runner Stream loop, or give it to
// the runner as a hook (it implements hooks.TaskOKHook and hooks.TaskFailedHook); hosts that
// never reached the task (not run, vetoed, breaker open) are recorded as failed, so that a
// resumed run takes them. Safe for concurrent use.
type Recorder struct {
	cfg   RecorderConfig
	store *gitstore.Store

	mu        sync.Mutex
	run       map[string]*outcome             // this run's outcome per host
	before    map[string]*gitstore.HostStatus // the host's status before this run (nil: none)
	committed map[string]bool                 // hosts already summarised in a commit of this run
	parts     int
	changedN  int // changed hosts written since the last commit

	commitMu sync.Mutex
}

type outcome struct {
	platform string
	at       time.Time
	dur      time.Duration
	dry      bool
	err      error
	class    tasks.Class
	msg      string
	changed  bool
	info     Info
}

// NewRecorder returns a Recorder for cfg.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Store == nil {
		return nil, errors.New("backup: RecorderConfig.Store is required")
	}
	if cfg.CommitEvery < 0 {
		return nil, fmt.Errorf("backup: RecorderConfig.CommitEvery %d is negative", cfg.CommitEvery)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Recorder{cfg: cfg, store: cfg.Store}
	r.reset()
	return r, nil
}

func (r *Recorder) reset() {
	r.run = map[string]*outcome{}
	r.before = map[string]*gitstore.HostStatus{}
	r.committed = map[string]bool{}
	r.parts, r.changedN = 0, 0
}

// maxMessage caps a failure message kept in the status file.
const maxMessage = 500

// Record takes a host's final result: a success of the backup task (its Value is an Info) or
// a failure of any kind. Results of other tasks (an OK result whose Value is not an Info) are
// ignored. Recording the same host twice in a run keeps the last result.
func (r *Recorder) Record(res tasks.Result) {
	if res.Host == "" {
		return
	}
	o := &outcome{at: r.cfg.Now(), dur: res.Duration, dry: r.cfg.DryRun}
	if res.Err != nil {
		var he *hostError
		if errors.As(res.Err, &he) {
			o.platform = he.platform
		}
		o.err, o.class = res.Err, tasks.Classify(res.Err)
		o.msg = truncate(strings.Join(strings.Fields(res.Err.Error()), " "), maxMessage)
	} else {
		info, ok := res.Value.(Info)
		if !ok {
			return
		}
		o.platform, o.info, o.changed = info.Platform, info, res.Changed
		o.dry = o.dry || info.DryRun
	}

	r.mu.Lock()
	prev := r.run[res.Host]
	r.run[res.Host] = o
	if o.changed && !o.dry && (prev == nil || !prev.changed || prev.dry) {
		r.changedN++
	}
	var st gitstore.HostStatus
	apply := !o.dry
	if apply {
		bs, seen := r.before[res.Host]
		if !seen {
			if cur, ok := r.store.Status(res.Host); ok {
				bs = &cur
			}
			r.before[res.Host] = bs
		}
		st = applyOutcome(res.Host, bs, o)
	}
	due := r.cfg.CommitEvery > 0 && r.changedN >= r.cfg.CommitEvery
	r.mu.Unlock()
	if apply {
		r.store.SetStatus(st)
	}
	if due {
		r.commitPart()
	}
}

// TaskOK records a host's result from a runner hook: a Recorder is a hooks.TaskOKHook and a
// hooks.TaskFailedHook (runner.Config.Hooks). Hosts the runner never started get no hook
// event: a program that wants them in the status (a cancelled run) records the streamed
// results instead.
func (r *Recorder) TaskOK(_ context.Context, e *hooks.Event) {
	if e.Result != nil {
		r.Record(*e.Result)
	}
}

// TaskFailed records a host's failed result from a runner hook; see TaskOK.
func (r *Recorder) TaskFailed(_ context.Context, e *hooks.Event) {
	if e.Result != nil {
		r.Record(*e.Result)
	}
}

// IsHook marks a Recorder as a runner hook (hooks.Hook).
func (r *Recorder) IsHook() bool { return true }

// commitPart commits when CommitEvery changed hosts are waiting.
func (r *Recorder) commitPart() {
	if !r.commitMu.TryLock() {
		return // a commit is under way; the next Record tries again
	}
	defer r.commitMu.Unlock()
	// A failed part commit keeps its changes pending for the next one; Commit reports errors.
	_, _ = r.commitLocked(false)
}

// Commit ends the run: it commits the configurations the task wrote in one commit whose
// message summarises the run (counts, changed hosts, failed hosts with their reasons), and
// saves every host's status. When no configuration changed it makes no commit but saves the
// status. In a dry run it does nothing. After Commit the Recorder starts a new run.
//
// Commit is not abandoned when ctx is cancelled: a run stopped by Ctrl-C must still keep what
// finished. ctx only carries values.
func (r *Recorder) Commit(ctx context.Context) (gitstore.CommitInfo, error) {
	_ = ctx
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	if r.cfg.DryRun {
		r.mu.Lock()
		r.reset()
		r.mu.Unlock()
		return gitstore.CommitInfo{}, nil
	}
	info, err := r.commitLocked(true)
	if err != nil && !info.Committed() {
		return info, err
	}
	r.mu.Lock()
	r.reset()
	r.mu.Unlock()
	return info, err
}

// commitLocked commits the hosts recorded since the last commit of the run; final makes the
// run's last commit.
func (r *Recorder) commitLocked(final bool) (gitstore.CommitInfo, error) {
	r.mu.Lock()
	var partHosts []string
	for host, o := range r.run {
		if !r.committed[host] && !o.dry {
			partHosts = append(partHosts, host)
		}
	}
	inPart := make(map[string]bool, len(partHosts))
	for _, h := range partHosts {
		inPart[h] = true
	}
	part := summarize(r.run, func(h string) bool { return inPart[h] })
	total := summarize(r.run, nil)
	r.parts++
	msg := part.message(r.parts, final, total)
	r.changedN = 0
	r.mu.Unlock()

	info, err := r.store.Commit(msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	if info.Committed() || (final && err == nil) {
		for _, h := range partHosts {
			r.committed[h] = true
		}
	} else {
		r.parts--
	}
	return info, err
}

// applyOutcome returns the host's new status from its status before the run and the run's
// outcome (so applying the same run's outcome again gives the same status).
func applyOutcome(host string, before *gitstore.HostStatus, o *outcome) gitstore.HostStatus {
	var st gitstore.HostStatus
	if before != nil {
		st = *before
	}
	st.Host = host
	if o.platform != "" {
		st.Platform = o.platform
	}
	st.LastAttempt = o.at
	st.LastDuration = o.dur
	if o.err != nil {
		st.LastFailure = o.at
		st.FailureClass = o.class
		st.FailureMessage = o.msg
		st.ConsecutiveFailures++
		return st
	}
	st.LastSuccess = o.at
	st.ConsecutiveFailures = 0
	st.SHA, st.Bytes, st.Lines = o.info.SHA, o.info.Bytes, o.info.Lines
	if o.changed {
		st.LastChange = o.at
	}
	return st
}

// FailedHost is a failed host in a Summary.
type FailedHost struct {
	Host    string      `json:"host"`
	Class   tasks.Class `json:"class"`
	Message string      `json:"message"`
}

// Summary counts the outcomes of the run so far.
type Summary struct {
	// Hosts is the number of hosts with an outcome.
	Hosts int `json:"hosts"`
	// OK counts the hosts backed up (Changed + Unchanged).
	OK int `json:"ok"`
	// Changed counts the hosts whose configuration changed (or would, in a dry run).
	Changed int `json:"changed"`
	// Unchanged counts the hosts whose configuration did not change.
	Unchanged int `json:"unchanged"`
	// Failed counts the failed hosts (not-run hosts excluded), by class in ByClass.
	Failed int `json:"failed"`
	// NotRun counts the hosts never started (run cancelled or stopped early); they are neither
	// in Failed nor in ByClass.
	NotRun  int                 `json:"not_run"`
	ByClass map[tasks.Class]int `json:"by_class,omitempty"`
	// ChangedHosts and FailedHosts list them, sorted by host.
	ChangedHosts []string     `json:"changed_hosts,omitempty"`
	FailedHosts  []FailedHost `json:"failed_hosts,omitempty"`
}

// Summary returns the counts of the run so far.
func (r *Recorder) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return summarize(r.run, nil)
}

func summarize(run map[string]*outcome, only func(string) bool) Summary {
	s := Summary{ByClass: map[tasks.Class]int{}}
	for host, o := range run {
		if only != nil && !only(host) {
			continue
		}
		s.Hosts++
		switch {
		case o.err != nil && o.class == tasks.ClassNotRun:
			s.NotRun++
		case o.err != nil:
			s.Failed++
			s.ByClass[o.class]++
			s.FailedHosts = append(s.FailedHosts, FailedHost{Host: host, Class: o.class, Message: o.msg})
		case o.changed:
			s.OK++
			s.Changed++
			s.ChangedHosts = append(s.ChangedHosts, host)
		default:
			s.OK++
			s.Unchanged++
		}
	}
	slices.Sort(s.ChangedHosts)
	slices.SortFunc(s.FailedHosts, func(a, b FailedHost) int { return strings.Compare(a.Host, b.Host) })
	return s
}

// String is the summary's first line: "3 changed, 195 unchanged, 2 failed of 200 hosts", with
// ", N not run" before "of" when some hosts never started.
func (s Summary) String() string {
	notRun := ""
	if s.NotRun > 0 {
		notRun = fmt.Sprintf(", %d not run", s.NotRun)
	}
	return fmt.Sprintf("%d changed, %d unchanged, %d failed%s of %d hosts", s.Changed, s.Unchanged, s.Failed, notRun, s.Hosts)
}

// listCap bounds the host lists in a commit message.
const listCap = 100

// message is the commit message for a part of the run.
func (s Summary) message(part int, final bool, total Summary) string {
	var w strings.Builder
	switch {
	case !final:
		fmt.Fprintf(&w, "norn backup (part %d): %s\n", part, s)
	case part > 1:
		fmt.Fprintf(&w, "norn backup (part %d, last): %s\n\nrun so far: %s\n", part, s, total)
	default:
		fmt.Fprintf(&w, "norn backup: %s\n", s)
	}
	if len(s.ChangedHosts) > 0 {
		fmt.Fprintf(&w, "\nchanged (%d):\n", len(s.ChangedHosts))
		for i, h := range s.ChangedHosts {
			if i == listCap {
				fmt.Fprintf(&w, "  ... and %d more\n", len(s.ChangedHosts)-listCap)
				break
			}
			fmt.Fprintf(&w, "  %s\n", h)
		}
	}
	if len(s.FailedHosts) > 0 {
		fmt.Fprintf(&w, "\nfailed (%d):\n", len(s.FailedHosts))
		for i, f := range s.FailedHosts {
			if i == listCap {
				fmt.Fprintf(&w, "  ... and %d more\n", len(s.FailedHosts)-listCap)
				break
			}
			fmt.Fprintf(&w, "  %s [%s]: %s\n", f.Host, f.Class, truncate(f.Message, 200))
		}
	}
	return w.String()
}
