package runner

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/internal/retry"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// Errors of Run and Stream for bad input.
var (
	// ErrNilTask: Run or Stream was given a nil task function.
	ErrNilTask = errors.New("runner: nil task function")
	// ErrNoName: Run or Stream was given an empty task name.
	ErrNoName = errors.New("runner: empty task name")
	// ErrNoHosts: the runner's filters select no host of the inventory.
	ErrNoHosts = errors.New("runner: no hosts selected")
)

// Runner runs tasks on the hosts of an inventory: through a bounded pool of workers, in
// batches, with hook chains around each host's task and each run, and one attempt loop per
// host (circuit breaker, retries, a watchdog enforcing the timeout and the run's
// cancellation) around your middleware and the task.
//
// A Runner remembers the hosts that failed (like Nornir's failed_hosts): later runs skip them
// unless Config.RunOnFailed or the OnFailed run option says otherwise, or until Recover or
// RecoverAll forgets them. A host that succeeds is forgotten too. Hosts whose task was cut
// short by the run's cancellation (class canceled) are not remembered as failed.
//
// A Runner is safe for concurrent use. Runners returned by Filter share the configuration, the
// failed-host state and the circuit breakers of the runner they came from.
type Runner struct {
	cfg     Config
	chain   *hooks.Chain
	mw      Middleware
	breaker *Breaker
	retry   *RetryConfig // nil: no retries
	policy  retry.Policy // retry's
	filter  inventory.Filter
	only    []*inventory.Host // set by Only: the hosts, without scanning the inventory
	failed  *failedSet
}

// New validates cfg and returns a Runner. It returns an error wrapping ErrConfig that names
// the bad field: a nil Inventory, a negative Workers, BatchSize, Timeout or FlushTimeout, a
// MaxFailRatio outside [0, 1], a hook that implements no hook interface, a nil middleware, an
// invalid Retry or Breaker config.
func New(cfg Config) (*Runner, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	chain, err := hooks.NewChain(cfg.Logger, cfg.Hooks...)
	if err != nil {
		return nil, fmt.Errorf("%w: Hooks: %w", ErrConfig, err)
	}
	r := &Runner{cfg: cfg, chain: chain, failed: &failedSet{}, mw: Chain(cfg.Middleware...)}
	if cfg.Breaker != nil {
		b, err := newBreaker(*cfg.Breaker)
		if err != nil {
			return nil, fmt.Errorf("%w: Breaker: %w", ErrConfig, err)
		}
		r.breaker = b
	}
	if cfg.Retry != nil && cfg.Retry.MaxAttempts > 1 {
		r.retry, r.policy = cfg.Retry, cfg.Retry.policy()
	}
	return r, nil
}

// Filter returns a runner narrowed to the hosts matching f (and the filters of r). Filters
// compose: r.Filter(a).Filter(b) selects the hosts matching a and b. A nil f selects the same
// hosts as r. The narrowed runner shares r's configuration, failed-host state and breakers.
func (r *Runner) Filter(f inventory.Filter) *Runner {
	if f == nil {
		return r
	}
	n := *r
	if prev := r.filter; prev != nil {
		n.filter = func(h *inventory.Host) bool { return prev(h) && f(h) }
	} else {
		n.filter = f
	}
	return &n
}

// Hosts returns the hosts the runner selects, in inventory order (failed hosts included).
func (r *Runner) Hosts() []*inventory.Host {
	if r.only != nil {
		return slices.Clone(r.hosts())
	}
	if r.filter == nil {
		return slices.Clone(r.cfg.Inventory.Hosts())
	}
	return r.cfg.Inventory.Filter(r.filter)
}

// hosts returns the selected hosts; the slice may be the inventory's own and must not be
// modified.
func (r *Runner) hosts() []*inventory.Host {
	if r.only != nil {
		return r.onlyHosts()
	}
	if r.filter == nil {
		return r.cfg.Inventory.Hosts()
	}
	return r.cfg.Inventory.Filter(r.filter)
}

// Breaker returns the runner's circuit breakers (nil without Config.Breaker), to read their
// state and what they decided (Breaker.Report).
func (r *Runner) Breaker() *Breaker { return r.breaker }

// FailedHosts returns the names of the hosts that failed in earlier runs and are skipped by
// later runs (see Recover), sorted.
func (r *Runner) FailedHosts() []string { return r.failed.names() }

// Recover forgets that host failed, so later runs include it again. It reports whether the
// host was in the failed set.
func (r *Runner) Recover(host string) bool { return r.failed.remove(host) }

// RecoverAll forgets every failed host.
func (r *Runner) RecoverAll() { r.failed.clear() }

// RunOption adjusts one run.
type RunOption func(*runOptions)

type runOptions struct {
	dryRun   bool
	onFailed bool
}

// DryRun sets the run's dry-run flag (Task.DryRun), overriding Config.DryRun.
func DryRun(dryRun bool) RunOption { return func(o *runOptions) { o.dryRun = dryRun } }

// OnFailed includes (true) or skips (false) the hosts that failed in earlier runs, overriding
// Config.RunOnFailed.
func OnFailed(include bool) RunOption { return func(o *runOptions) { o.onFailed = include } }

func (r *Runner) options(opts []RunOption) runOptions {
	o := runOptions{dryRun: r.cfg.DryRun, onFailed: r.cfg.RunOnFailed}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

func (r *Runner) check(name string, fn tasks.Func) error {
	if fn == nil {
		return fmt.Errorf("%w (task %q)", ErrNilTask, name)
	}
	if name == "" {
		return ErrNoName
	}
	return nil
}

// Run runs fn on every selected host and returns the results once every host is accounted for
// (ok, failed or not run). Hosts run on the executor (Config.Workers goroutines by default), in
// batches of Config.BatchSize.
//
// Run returns an error and no results for bad input: a nil fn (ErrNilTask), an empty name
// (ErrNoName), no selected host (ErrNoHosts). When ctx ends the run early, Run returns the
// results (in-flight hosts failed with the cancellation, hosts not started reported
// StatusNotRun) and an error wrapping ctx's cause. Otherwise the error is nil even when hosts
// failed: see Results.Err.
func (r *Runner) Run(ctx context.Context, name string, fn tasks.Func, opts ...RunOption) (*Results, error) {
	if err := r.check(name, fn); err != nil {
		return nil, err
	}
	hosts := r.hosts()
	if len(hosts) == 0 {
		return nil, fmt.Errorf("%w: task %q: the filter matched none of the inventory's %d hosts",
			ErrNoHosts, name, len(r.cfg.Inventory.Hosts()))
	}
	res := &Results{hosts: make([]tasks.Result, len(hosts))}
	run := r.execute(ctx, name, fn, r.options(opts), hosts, func(i int, x tasks.Result) { res.hosts[i] = x })
	res.Run, res.Summary = *run.run, run.final // the values the run's events and RunEnd hooks got
	if ctx.Err() != nil {
		return res, fmt.Errorf("runner: run %q stopped: %w", name, context.Cause(ctx))
	}
	return res, nil
}

// Stream runs fn on every selected host like Run, and yields each host's result as soon as it
// is known, in the order hosts finish (not run hosts included), so a run over a million hosts
// holds constant memory. Each iteration of the returned sequence starts a new run.
//
// Breaking out of the loop cancels the run: in-flight tasks see a cancelled context, no new
// host starts, the RunEnd hooks are called, and the loop's exit waits for the run's goroutines
// (but not for tasks that ignore their context).
//
// Bad input cannot be returned as an error from a sequence: a nil fn or an empty name yields
// every selected host failed with ErrNilTask or ErrNoName; no selected host yields nothing.
// Use Run to get such errors as an error.
func (r *Runner) Stream(ctx context.Context, name string, fn tasks.Func, opts ...RunOption) iter.Seq[tasks.Result] {
	return func(yield func(tasks.Result) bool) {
		hosts := r.hosts()
		if err := r.check(name, fn); err != nil {
			for _, h := range hosts {
				if !yield(tasks.Result{Host: h.Name, Task: name, Status: tasks.StatusFailed, Err: err}) {
					return
				}
			}
			return
		}
		if len(hosts) == 0 {
			return
		}
		ctx, cancel := context.WithCancelCause(ctx)
		ch := make(chan tasks.Result, min(len(hosts), 128))
		stop := make(chan struct{})
		done := make(chan struct{})
		var quiet atomic.Bool
		go func() {
			defer close(done)
			defer close(ch)
			r.executeQuiet(ctx, name, fn, r.options(opts), hosts, func(_ int, x tasks.Result) {
				select {
				case ch <- x:
				case <-stop:
				}
			}, &quiet)
		}()
		var once sync.Once
		finish := func() {
			once.Do(func() {
				quiet.Store(true)
				close(stop)
				cancel(errStreamStopped)
			})
			<-done
		}
		defer finish()
		for x := range ch {
			if !yield(x) {
				return
			}
		}
	}
}

// errStreamStopped is the cause of a run whose Stream loop was left early.
var errStreamStopped = fmt.Errorf("runner: the Stream loop stopped early: %w", context.Canceled)

// runState is one run: what each host's pipeline and attempt loop need.
type runState struct {
	r          *Runner
	run        *hooks.Run
	chain      *hooks.Chain
	handler    tasks.Func
	mgr        *connection.Manager
	logger     zerolog.Logger
	logEnabled bool
	quiet      *atomic.Bool // set when nobody reads the results any more
	runHostFn  func(context.Context, *inventory.Host) tasks.Result

	ok, failedN, notRun, changed atomic.Int64
	final                        hooks.Summary // set once every host is accounted for

	// runWatch: the run's cancellation is watched for the whole run, not per host (a
	// cancellable run without Timeout, on a local executor): each host runs its attempts on its
	// worker, registered in inflight, and the run abandons those still running AbandonGrace
	// after the run ends.
	runWatch bool
	inflight sync.Map // *inventory.Host -> *hostState
}

// hostState is a host in flight under the run's watchdog: whoever settles it first (the host
// finishing, or the watchdog abandoning it) reports it.
type hostState struct {
	settled atomic.Bool
	start   time.Time
}

func (rs *runState) summary() hooks.Summary {
	return hooks.Summary{
		OK: int(rs.ok.Load()), Failed: int(rs.failedN.Load()), NotRun: int(rs.notRun.Load()),
		Changed: int(rs.changed.Load()), Duration: time.Since(rs.run.Started),
	}
}

func newRunID() string { return fmt.Sprintf("%016x", rand.Uint64()) }

func (r *Runner) execute(ctx context.Context, name string, fn tasks.Func, o runOptions, hosts []*inventory.Host,
	sink func(int, tasks.Result)) *runState {
	return r.executeQuiet(ctx, name, fn, o, hosts, sink, nil)
}

// executeQuiet runs the whole run and delivers each host's result to sink (from any goroutine,
// once per index of hosts). quiet, when set, says nobody reads the results any more.
func (r *Runner) executeQuiet(ctx context.Context, name string, fn tasks.Func, o runOptions, hosts []*inventory.Host,
	sink func(int, tasks.Result), quiet *atomic.Bool) *runState {
	if quiet == nil {
		quiet = new(atomic.Bool)
	}
	parent := ctx
	rs := &runState{
		r:      r,
		run:    &hooks.Run{ID: newRunID(), Task: name, Hosts: len(hosts), DryRun: o.dryRun, Started: time.Now()},
		chain:  r.chain,
		logger: r.cfg.Logger, quiet: quiet,
	}
	rs.logEnabled = r.cfg.Logger.GetLevel() != zerolog.Disabled && zerolog.GlobalLevel() != zerolog.Disabled
	rs.handler = r.mw(fn)
	rs.runWatch = ctx.Done() != nil && r.cfg.Timeout <= 0 && !isRemote(r.cfg.Executor)
	rs.runHostFn = func(ctx context.Context, h *inventory.Host) (res tasks.Result) {
		rs.runHost(ctx, h, &res) // through a pointer: no Result-sized wrapper frame under every task
		return res
	}
	if r.cfg.Connections != nil {
		rs.mgr = connection.NewManager(r.cfg.Connections, r.cfg.ConnectionLimits)
	}
	rs.chain.RunStart(ctx, &hooks.RunEvent{Run: rs.run, Time: rs.run.Started})

	deliver := func(i int, res tasks.Result) {
		switch res.Status {
		case tasks.StatusOK:
			rs.ok.Add(1)
			r.failed.remove(res.Host)
		case tasks.StatusFailed:
			rs.failedN.Add(1)
			if tasks.Classify(res.Err) != tasks.ClassCanceled { // cut short by the run's end: not the host's failure
				r.failed.add(res.Host)
			}
		default:
			rs.notRun.Add(1)
		}
		if res.Changed {
			rs.changed.Add(1)
		}
		sink(i, res)
	}
	// notRun reports hosts[i] as not run; the result is built only when someone reads it.
	notRun := func(i int, reason string, cause error) {
		res := tasks.Result{Host: hosts[i].Name, Task: name, Status: tasks.StatusNotRun}
		if !quiet.Load() {
			res.Err = &NotRunError{Host: hosts[i].Name, Reason: reason, Cause: cause}
		}
		deliver(i, res)
	}

	n := len(hosts)
	bs := r.cfg.BatchSize
	if bs <= 0 || bs > n {
		bs = n
	}
	nBatches := (n + bs - 1) / bs
	var stopReason string
	var stopCause error
	for b, off := 0, 0; off < n; b, off = b+1, off+bs {
		end := min(off+bs, n)
		if stopReason == "" && ctx.Err() != nil {
			stopReason, stopCause = "the run was cancelled before the host started", context.Cause(ctx)
		}
		if stopReason != "" {
			for i := off; i < end; i++ {
				notRun(i, stopReason, stopCause)
			}
			continue
		}
		batch := hosts[off:end]
		var index []int // index[i] is the position in hosts of batch[i]; nil when batch[i] is hosts[off+i]
		if !o.onFailed && r.failed.len() > 0 {
			var runnable []*inventory.Host
			for i, h := range batch {
				if r.failed.has(h.Name) {
					notRun(off+i, "it failed in an earlier run of this runner (Recover it, or run with OnFailed(true))", nil)
					continue
				}
				runnable = append(runnable, h)
				index = append(index, off+i)
			}
			batch = runnable
		}
		if len(batch) > 0 {
			r.runBatch(ctx, rs, b, batch, func(i int) int {
				if index != nil {
					return index[i]
				}
				return off + i
			}, deliver, notRun)
		}
		if ctx.Err() == nil && r.cfg.MaxFailRatio > 0 && b+1 < nBatches {
			ok, failed := rs.ok.Load(), rs.failedN.Load()
			if failed > 0 && float64(failed)/float64(ok+failed) > r.cfg.MaxFailRatio {
				stopReason = fmt.Sprintf("the run stopped after batch %d of %d: %d of %d hosts run failed (%.1f%%), above MaxFailRatio %.1f%%",
					b+1, nBatches, failed, ok+failed, 100*float64(failed)/float64(ok+failed), 100*r.cfg.MaxFailRatio)
			}
		}
	}

	fctx, cancel := context.WithTimeout(context.WithoutCancel(parent), r.cfg.FlushTimeout)
	defer cancel()
	rs.final = rs.summary()
	rs.chain.RunEnd(fctx, &hooks.RunEvent{Run: rs.run, Summary: rs.final, Time: time.Now()})
	return rs
}

// runBatch hands one batch to the executor and accounts for every host of it.
func (r *Runner) runBatch(ctx context.Context, rs *runState, b int, batch []*inventory.Host, pos func(int) int,
	deliver func(int, tasks.Result), notRun func(int, string, error)) {
	seen := newBitset(len(batch))
	remote := isRemote(r.cfg.Executor)
	var closed atomic.Bool
	emit := func(i int, res tasks.Result) {
		if closed.Load() || i < 0 || i >= len(batch) || !seen.set(i) {
			return
		}
		res.Host = batch[i].Name
		if remote && res.Status != tasks.StatusNotRun && rs.chain.HasTaskEnd() {
			rs.taskEnd(ctx, batch[i], res) // the hosts ran elsewhere: observe them here too
		}
		deliver(pos(i), res)
	}
	job := &Job{RunID: rs.run.ID, Task: rs.run.Task, DryRun: rs.run.DryRun, Batch: b, Hosts: batch, Run: rs.runHostFn}
	var err error
	abandoned := false
	if rs.runWatch {
		// Results may still come while the watchdog gives up on the batch: the lock orders each
		// one before the batch closes, or drops it.
		var mu sync.RWMutex
		err, abandoned = r.executeWatched(ctx, job, func(i int, res tasks.Result) {
			mu.RLock()
			defer mu.RUnlock()
			emit(i, res)
		})
		mu.Lock()
		closed.Store(true)
		mu.Unlock()
	} else {
		err = r.cfg.Executor.Execute(ctx, job, emit)
	}
	closed.Store(true)
	if abandoned {
		rs.abandon(ctx, batch, seen, func(i int, res tasks.Result) { deliver(pos(i), res) })
	}
	if err != nil {
		r.cfg.Logger.Error().Err(err).Str("run", rs.run.ID).Str("task", rs.run.Task).Int("batch", b).Msg("executor failed")
	}
	for i := range batch {
		if !seen.set(i) {
			continue
		}
		switch {
		case err != nil:
			notRun(pos(i), "the executor failed", err)
		case ctx.Err() != nil:
			notRun(pos(i), "the run was cancelled before the host started", context.Cause(ctx))
		default:
			notRun(pos(i), "the executor returned without a result for the host", nil)
		}
	}
}

// executeWatched is the run's watchdog over one batch: it runs the executor and returns its
// error, or, when the hosts in flight have not returned AbandonGrace after ctx ended,
// abandoned true without waiting for them any longer.
func (r *Runner) executeWatched(ctx context.Context, job *Job, emit func(int, tasks.Result)) (err error, abandoned bool) {
	done := make(chan error, 1)
	go func() { done <- r.cfg.Executor.Execute(ctx, job, emit) }()
	select {
	case err = <-done:
		return err, false
	case <-ctx.Done():
	}
	grace := time.NewTimer(AbandonGrace)
	defer grace.Stop()
	select {
	case err = <-done: // the tasks honoured their context
		return err, false
	case <-grace.C:
		return nil, true
	}
}

// abandon reports the hosts of batch still in flight as failed: the run ended while they were
// running and they did not return. Their goroutines are left to finish on their own.
func (rs *runState) abandon(ctx context.Context, batch []*inventory.Host, seen bitset, deliver func(int, tasks.Result)) {
	for i, h := range batch {
		v, ok := rs.inflight.Load(h)
		if !ok || !v.(*hostState).settled.CompareAndSwap(false, true) || !seen.set(i) {
			continue
		}
		start := v.(*hostState).start
		res := tasks.Result{Host: h.Name, Task: rs.run.Task, Status: tasks.StatusFailed, Attempts: 1, Started: start,
			Duration: time.Since(start),
			Err: fmt.Errorf("host %s: task %q abandoned: the run ended while it was running and it did not return: %w",
				h.Name, rs.run.Task, context.Cause(ctx))}
		if rs.chain.HasTaskEnd() {
			rs.taskEnd(ctx, h, res)
		}
		deliver(i, res)
	}
}

// runHost is one host's pipeline: TaskStart hooks, the attempt loop, connection cleanup,
// TaskOK or TaskFailed hooks. It never panics.
func (rs *runState) runHost(ctx context.Context, h *inventory.Host, res *tasks.Result) {
	name := rs.run.Task
	if ctx.Err() != nil {
		rs.notStarted(ctx, h, res)
		return
	}
	start := time.Now()
	if rs.runWatch {
		hs := &hostState{start: start}
		rs.inflight.Store(h, hs)
		defer rs.inflight.Delete(h)
		*res = rs.execHost(ctx, h, start)
		if !hs.settled.CompareAndSwap(false, true) {
			return // abandoned: the run reported it
		}
	} else {
		*res = rs.execHost(ctx, h, start)
	}
	res.Host = h.Name
	if res.Task == "" {
		res.Task = name
	}
	res.Started = start
	res.Duration = time.Since(start)
	switch res.Err.(type) {
	case nil:
		res.Status = tasks.StatusOK
	case *NotRunError: // held back by its breaker until the run ended
		res.Status = tasks.StatusNotRun
		return
	default:
		res.Status = tasks.StatusFailed
	}
	if rs.chain.HasTaskEnd() {
		rs.taskEnd(ctx, h, *res)
	}
}

// notStarted reports a host whose run ended before it started.
//
//go:noinline
func (rs *runState) notStarted(ctx context.Context, h *inventory.Host, res *tasks.Result) {
	*res = tasks.Result{Host: h.Name, Task: rs.run.Task, Status: tasks.StatusNotRun}
	if !rs.quiet.Load() {
		res.Err = &NotRunError{Host: h.Name, Reason: "the run was cancelled before the host started", Cause: context.Cause(ctx)}
	}
}

// taskEnd calls the TaskOK or TaskFailed hooks with a copy of the result.
//
//go:noinline
func (rs *runState) taskEnd(ctx context.Context, h *inventory.Host, res tasks.Result) {
	ev := &hooks.Event{Run: rs.run, Host: h, Task: rs.run.Task, Attempt: res.Attempts, Err: res.Err, Result: &res, Time: time.Now()}
	if res.Err != nil {
		rs.chain.TaskFailed(ctx, ev)
	} else {
		rs.chain.TaskOK(ctx, ev)
	}
}

// execHost runs the TaskStart hooks and the attempt loop, and closes the host's connections.
// It is kept lean (rare paths in helpers, no Result temporaries) because its frame sits under every
// task: a deep stack costs every host a stack copy.
func (rs *runState) execHost(ctx context.Context, h *inventory.Host, start time.Time) (res tasks.Result) {
	defer rs.recoverHost(&res)
	if rs.chain.HasTaskStart() {
		if err := rs.taskStart(ctx, h, start); err != nil {
			res.Err = err // vetoed: the task never runs
			return res
		}
	}
	t := rs.newTask(h)
	if t.Connections != nil {
		defer rs.closeSessions(t)
	}
	return rs.attempts(ctx, t)
}

// recoverHost turns a panic outside the task (hooks and tasks recover their own) into the
// host's failure.
func (rs *runState) recoverHost(res *tasks.Result) {
	if v := recover(); v != nil {
		*res = tasks.Result{Err: &tasks.PanicError{Value: v, Stack: stack()}}
	}
}

func (rs *runState) taskStart(ctx context.Context, h *inventory.Host, start time.Time) error {
	return rs.chain.TaskStart(ctx, &hooks.Event{Run: rs.run, Host: h, Task: rs.run.Task, Attempt: 1, Time: start})
}

func (rs *runState) newTask(h *inventory.Host) *tasks.Task {
	t := &tasks.Task{Host: h, Name: rs.run.Task, DryRun: rs.run.DryRun, Attempt: 1, Logger: rs.logger}
	if rs.logEnabled {
		t.Logger = rs.logger.With().Str("host", h.Name).Str("task", rs.run.Task).Logger()
	}
	if rs.mgr != nil {
		t.Connections = rs.mgr.Host(h)
	}
	return t
}

func (rs *runState) closeSessions(t *tasks.Task) {
	if err := t.Connections.Close(); err != nil {
		rs.r.cfg.Logger.Warn().Err(err).Str("host", t.Host.Name).Str("task", t.Name).Msg("closing the host's connections failed")
	}
}

// NotRunError is the error of a host that was never started. It wraps tasks.ErrNotRun (and the
// cause, when there is one), so its class is tasks.ClassNotRun.
type NotRunError struct {
	// Host is the host's name.
	Host string
	// Reason says why the host did not run.
	Reason string
	// Cause is the error behind the reason (the run's cancellation cause, the executor's
	// error), or nil.
	Cause error
}

// Error returns the error message.
func (e *NotRunError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("host %s: not run: %s: %v", e.Host, e.Reason, e.Cause)
	}
	return fmt.Sprintf("host %s: not run: %s", e.Host, e.Reason)
}

// Unwrap returns tasks.ErrNotRun and the cause.
func (e *NotRunError) Unwrap() []error {
	if e.Cause != nil {
		return []error{tasks.ErrNotRun, e.Cause}
	}
	return []error{tasks.ErrNotRun}
}

// bitset records which hosts of a batch have a result.
type bitset []atomic.Uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

// set marks i and reports whether it was not marked before.
func (b bitset) set(i int) bool {
	mask := uint64(1) << (uint(i) % 64)
	return b[i/64].Or(mask)&mask == 0
}

// failedSet is the runner's set of failed hosts.
type failedSet struct {
	mu sync.RWMutex
	m  map[string]struct{}
	n  atomic.Int64
}

func (s *failedSet) len() int { return int(s.n.Load()) }

func (s *failedSet) has(name string) bool {
	s.mu.RLock()
	_, ok := s.m[name]
	s.mu.RUnlock()
	return ok
}

func (s *failedSet) add(name string) {
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]struct{}{}
	}
	if _, ok := s.m[name]; !ok {
		s.m[name] = struct{}{}
		s.n.Add(1)
	}
	s.mu.Unlock()
}

func (s *failedSet) remove(name string) bool {
	if s.n.Load() == 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[name]; ok {
		delete(s.m, name)
		s.n.Add(-1)
		return true
	}
	return false
}

func (s *failedSet) clear() {
	s.mu.Lock()
	clear(s.m)
	s.n.Store(0)
	s.mu.Unlock()
}

func (s *failedSet) names() []string {
	s.mu.RLock()
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	s.mu.RUnlock()
	slices.Sort(out)
	return out
}

func stack() []byte { return debug.Stack() }
