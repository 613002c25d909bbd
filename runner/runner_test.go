package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testInventory returns an inventory of n hosts named r1..rn.
func testInventory(n int) *inventory.Inventory {
	hosts := make([]*inventory.Host, n)
	for i := range hosts {
		hosts[i] = &inventory.Host{Name: fmt.Sprintf("r%d", i+1)}
	}
	return inventory.New(hosts, nil, nil)
}

func mustNew(t testing.TB, cfg Config) *Runner {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func noop(context.Context, *tasks.Task) (tasks.Result, error) { return tasks.Result{}, nil }

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunAllHosts(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(50), Workers: 7, DryRun: true})
	var running, peak atomic.Int64
	res, err := r.Run(context.Background(), "show version", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		runtime.Gosched()
		if !tk.DryRun {
			return tasks.Result{}, errors.New("dry run not passed")
		}
		return tasks.Result{Value: "version of " + tk.Host.Name, Changed: tk.Host.Name == "r3"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Len() != 50 || res.Summary.OK != 50 || res.Summary.Changed != 1 || res.Err() != nil {
		t.Fatalf("results: %v", res)
	}
	if p := peak.Load(); p > 7 {
		t.Errorf("peak concurrency %d > Workers 7", p)
	}
	i := 0
	for x := range res.All() {
		i++
		if x.Host != fmt.Sprintf("r%d", i) {
			t.Fatalf("result %d is host %s: not inventory order", i, x.Host)
		}
		if x.Task != "show version" || x.Attempts != 1 || x.Started.IsZero() || !x.OK() || x.Value != "version of "+x.Host {
			t.Fatalf("bad result %+v", x)
		}
	}
	if x, ok := res.Get("r3"); !ok || !x.Changed {
		t.Fatalf("Get r3: %+v %v", x, ok)
	}
	if _, ok := res.Get("nope"); ok {
		t.Fatal("Get of an unknown host")
	}
	if len(res.Changed()) != 1 || len(res.OK()) != 50 || len(res.Failed()) != 0 || len(res.NotRun()) != 0 {
		t.Fatal("filters")
	}
	if !res.Run.DryRun || res.Run.ID == "" || res.Run.Hosts != 50 {
		t.Fatalf("run %+v", res.Run)
	}
	// The DryRun run option overrides Config.DryRun; each run gets its own id.
	res2, _ := r.Run(context.Background(), "push", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		if tk.DryRun {
			return tasks.Result{}, errors.New("dry run not overridden")
		}
		return tasks.Result{}, nil
	}, DryRun(false))
	if res2.Summary.OK != 50 || res2.Run.DryRun || res2.Run.ID == res.Run.ID {
		t.Fatalf("DryRun(false): %+v %+v", res2.Summary, res2.Run)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	inv := testInventory(1)
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"nil inventory", Config{}, "Inventory is nil"},
		{"negative workers", Config{Inventory: inv, Workers: -1}, "Workers is -1"},
		{"negative batch", Config{Inventory: inv, BatchSize: -3}, "BatchSize is -3"},
		{"ratio above 1", Config{Inventory: inv, MaxFailRatio: 1.5}, "MaxFailRatio is 1.5"},
		{"negative ratio", Config{Inventory: inv, MaxFailRatio: -0.1}, "MaxFailRatio"},
		{"negative timeout", Config{Inventory: inv, Timeout: -time.Second}, "Timeout is -1s"},
		{"negative flush", Config{Inventory: inv, FlushTimeout: -1}, "FlushTimeout"},
		{"not a hook", Config{Inventory: inv, Hooks: []hooks.Hook{hooks.TaskOKFunc(nil), hooks.HookDefaults{}}}, "hook 1 (hooks.HookDefaults) implements no hook interface"},
		{"nil hook", Config{Inventory: inv, Hooks: []hooks.Hook{nil}}, "hook 0 (<nil>)"},
		{"nil middleware", Config{Inventory: inv, Middleware: []Middleware{nil}}, "Middleware[0] is nil"},
		{"bad retry", Config{Inventory: inv, Retry: &RetryConfig{MaxAttempts: -2}}, "Retry: invalid MaxAttempts -2"},
		{"bad jitter", Config{Inventory: inv, Retry: &RetryConfig{Jitter: 1}}, "invalid Jitter 1"},
		{"bad breaker", Config{Inventory: inv, Breaker: &BreakerConfig{Window: -1}}, "Breaker: invalid Window -1"},
		{"bad breaker ratio", Config{Inventory: inv, Breaker: &BreakerConfig{FailureRatio: 1.5}}, "Breaker: invalid FailureRatio 1.5"},
		{"bad limits", Config{Inventory: inv, ConnectionLimits: connection.ManagerConfig{MaxSessions: -1}}, "ConnectionLimits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := New(c.cfg)
			if err == nil || r != nil {
				t.Fatalf("New accepted %+v", c.cfg)
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q: want ErrConfig mentioning %q", err, c.want)
			}
		})
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(3)})
	ctx := context.Background()
	if res, err := r.Run(ctx, "x", nil); !errors.Is(err, ErrNilTask) || res != nil {
		t.Errorf("nil task: %v", err)
	}
	if _, err := r.Run(ctx, "", noop); !errors.Is(err, ErrNoName) {
		t.Errorf("empty name: %v", err)
	}
	none := r.Filter(func(*inventory.Host) bool { return false })
	if _, err := none.Run(ctx, "x", noop); !errors.Is(err, ErrNoHosts) || !strings.Contains(err.Error(), "none of the inventory's 3 hosts") {
		t.Errorf("no hosts: %v", err)
	}
	empty := mustNew(t, Config{Inventory: inventory.New(nil, nil, nil)})
	if _, err := empty.Run(ctx, "x", noop); !errors.Is(err, ErrNoHosts) {
		t.Errorf("empty inventory: %v", err)
	}
	// Stream reports bad input through the results.
	n := 0
	for x := range r.Stream(ctx, "x", nil) {
		n++
		if !errors.Is(x.Err, ErrNilTask) || !x.Failed() {
			t.Errorf("stream nil task: %+v", x)
		}
	}
	if n != 3 {
		t.Errorf("stream nil task yielded %d results", n)
	}
	for range none.Stream(ctx, "x", noop) {
		t.Error("stream over no hosts yielded")
	}
}

func TestFilterComposes(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(30)})
	even := r.Filter(func(h *inventory.Host) bool { return len(h.Name)%2 == 1 }) // r10..r30 have 3 chars
	big := even.Filter(func(h *inventory.Host) bool { return h.Name >= "r2" })
	var got []string
	for _, h := range big.Hosts() {
		got = append(got, h.Name)
	}
	want := []string{"r20", "r21", "r22", "r23", "r24", "r25", "r26", "r27", "r28", "r29", "r30"}
	if !slices.Equal(got, want) {
		t.Fatalf("hosts %v, want %v", got, want)
	}
	res, err := big.Run(context.Background(), "x", noop)
	if err != nil || res.Len() != len(want) {
		t.Fatalf("run: %v %v", res, err)
	}
	if len(r.Hosts()) != 30 {
		t.Fatal("Filter changed the parent runner")
	}
}

func TestTaskPanicFailsOnlyThatHost(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(5)})
	res, err := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		if tk.Host.Name == "r2" {
			panicInTask()
		}
		return tasks.Result{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := res.Get("r2")
	var pe *tasks.PanicError
	if !x.Failed() || !errors.As(x.Err, &pe) || tasks.Classify(x.Err) != tasks.ClassPanic {
		t.Fatalf("r2: %+v", x)
	}
	if !strings.Contains(string(pe.Stack), "panicInTask") || pe.Value != "boom" {
		t.Fatalf("stack lacks the panicking function:\n%s", pe.Stack)
	}
	if res.Summary.OK != 4 || res.Summary.Failed != 1 {
		t.Fatalf("summary %+v", res.Summary)
	}
}

func panicInTask() { panic("boom") }

// recorder records hook calls.
type recorder struct {
	hooks.HookDefaults
	mu     sync.Mutex
	calls  []string
	veto   string // host to veto
	panics bool
}

func (rc *recorder) add(s string) {
	rc.mu.Lock()
	rc.calls = append(rc.calls, s)
	rc.mu.Unlock()
	if rc.panics {
		panic("hook bug: " + s)
	}
}

func (rc *recorder) TaskStart(_ context.Context, e *hooks.Event) error {
	rc.add("start " + e.Host.Name)
	if e.Host.Name == rc.veto {
		return errors.New("pre-flight check failed: no ping")
	}
	return nil
}
func (rc *recorder) TaskOK(_ context.Context, e *hooks.Event) { rc.add("ok " + e.Host.Name) }
func (rc *recorder) TaskFailed(_ context.Context, e *hooks.Event) {
	rc.add("failed " + e.Host.Name + " " + tasks.Classify(e.Result.Err).String())
}
func (rc *recorder) TaskRetry(_ context.Context, e *hooks.Event) {
	rc.add(fmt.Sprintf("retry %s attempt %d", e.Host.Name, e.Attempt))
}
func (rc *recorder) RunStart(_ context.Context, e *hooks.RunEvent) {
	rc.add(fmt.Sprintf("run start %d hosts", e.Run.Hosts))
}
func (rc *recorder) RunEnd(ctx context.Context, e *hooks.RunEvent) {
	_, hasDeadline := ctx.Deadline()
	rc.add(fmt.Sprintf("run end ok=%d failed=%d not_run=%d deadline=%v", e.Summary.OK, e.Summary.Failed, e.Summary.NotRun, hasDeadline))
}
func (rc *recorder) BreakerStateChange(_ context.Context, e *hooks.BreakerEvent) {
	rc.add("breaker " + e.Name + " " + e.From + "->" + e.To)
}

func (rc *recorder) list() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.calls)
}

func TestTaskStartVeto(t *testing.T) {
	rec := &recorder{veto: "r2"}
	second := &recorder{}
	r := mustNew(t, Config{Inventory: testInventory(3), Workers: 1, Hooks: []hooks.Hook{rec, second}})
	var ran []string
	res, err := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		ran = append(ran, tk.Host.Name)
		return tasks.Result{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ran, []string{"r1", "r3"}) {
		t.Fatalf("task ran on %v; the vetoed host must not run", ran)
	}
	x, _ := res.Get("r2")
	var ve *hooks.VetoError
	if !x.Failed() || tasks.Classify(x.Err) != tasks.ClassVetoed || !errors.As(x.Err, &ve) || x.Attempts != 0 {
		t.Fatalf("r2: %+v", x)
	}
	if !strings.Contains(x.Err.Error(), "host r2: vetoed by hook *runner.recorder: pre-flight check failed: no ping") {
		t.Fatalf("veto message: %v", x.Err)
	}
	want := []string{"run start 3 hosts", "start r1", "ok r1", "start r2", "failed r2 vetoed", "start r3", "ok r3",
		"run end ok=2 failed=1 not_run=0 deadline=true"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Fatalf("calls\n got %q\nwant %q", got, want)
	}
	// The chain stops at the veto: the second hook never sees r2's start.
	if got := second.list(); slices.Contains(got, "start r2") || !slices.Contains(got, "failed r2 vetoed") {
		t.Fatalf("second hook: %q", got)
	}
}

func TestHookPanicIsContainedAndLogged(t *testing.T) {
	var logs syncBuffer
	bad := &recorder{panics: true, veto: "r1"} // panics before it could veto
	good := &recorder{}
	r := mustNew(t, Config{Inventory: testInventory(4), Hooks: []hooks.Hook{bad, good}, Logger: zerolog.New(&logs),
		Retry: &RetryConfig{Sleep: func(context.Context, time.Duration) error { return nil }}})
	res, err := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		if tk.Host.Name == "r4" && tk.Attempt == 1 {
			return tasks.Result{}, errors.New("flaky")
		}
		return tasks.Result{}, nil
	})
	if err != nil || res.Err() != nil || res.Summary.OK != 4 {
		t.Fatalf("a panicking hook changed the outcome: %v %v", res, err)
	}
	if n := len(good.list()); n != 4*2+1+2 { // start+ok per host, one retry, run start and end
		t.Fatalf("good hook saw %d calls: %q", n, good.list())
	}
	out := logs.String()
	for _, m := range []string{"TaskStart", "TaskOK", "TaskRetry", "RunStart", "RunEnd"} {
		if !strings.Contains(out, `"method":"`+m+`"`) {
			t.Errorf("no log of the panicking %s hook:\n%s", m, out)
		}
	}
	if !strings.Contains(out, `"hook":"*runner.recorder"`) || !strings.Contains(out, "hook panicked") || !strings.Contains(out, "hook bug") {
		t.Errorf("log lacks details:\n%s", out)
	}
}

func TestCancellationAccountsForEveryHost(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var started atomic.Int64
	startedTwo := make(chan struct{})
	rec := &recorder{}
	r := mustNew(t, Config{Inventory: testInventory(20), Workers: 2, BatchSize: 5, Hooks: []hooks.Hook{rec}})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-startedTwo
		cancel()
	}()
	res, err := r.Run(ctx, "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		if started.Add(1) == 2 {
			close(startedTwo)
		}
		if tk.Host.Name == "r1" {
			<-release // ignores its context
			return tasks.Result{}, nil
		}
		<-ctx.Done()
		return tasks.Result{}, ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error %v, want context.Canceled", err)
	}
	if started.Load() != 2 {
		t.Fatalf("%d hosts started after cancellation", started.Load())
	}
	if res.Len() != 20 || res.Summary.Failed != 2 || res.Summary.NotRun != 18 || res.Summary.OK != 0 {
		t.Fatalf("summary %+v", res.Summary)
	}
	r1, _ := res.Get("r1")
	if !r1.Failed() || tasks.Classify(r1.Err) != tasks.ClassCanceled || !strings.Contains(r1.Err.Error(), "abandoned") {
		t.Fatalf("r1 (ignores ctx): %+v", r1)
	}
	r2, _ := res.Get("r2")
	if !r2.Failed() || tasks.Classify(r2.Err) != tasks.ClassCanceled {
		t.Fatalf("r2: %+v", r2)
	}
	for _, x := range res.NotRun() {
		var nr *NotRunError
		if !errors.Is(x.Err, tasks.ErrNotRun) || !errors.As(x.Err, &nr) || !errors.Is(x.Err, context.Canceled) ||
			tasks.Classify(x.Err) != tasks.ClassNotRun || !strings.Contains(x.Err.Error(), "host "+x.Host+": not run: the run was cancelled") {
			t.Fatalf("not run host %s: %v", x.Host, x.Err)
		}
	}
	if err := res.Err(); !errors.Is(err, tasks.ErrNotRun) || !strings.Contains(err.Error(), "18 host(s) not run") {
		t.Fatalf("Results.Err: %v", err)
	}
	if got := rec.list(); got[len(got)-1] != "run end ok=0 failed=2 not_run=18 deadline=true" {
		t.Fatalf("run end: %q", got)
	}
	if got := r.FailedHosts(); len(got) != 0 {
		t.Fatalf("hosts cut short by the cancellation remembered as failed: %v", got)
	}
}

func TestAlreadyCancelledRunStartsNothing(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(10)})
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("operator pressed ^C"))
	res, err := r.Run(ctx, "x", func(context.Context, *tasks.Task) (tasks.Result, error) {
		t.Error("task started")
		return tasks.Result{}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "operator pressed ^C") {
		t.Fatalf("err %v", err)
	}
	if res.Summary.NotRun != 10 || !strings.Contains(res.NotRun()[0].Err.Error(), "operator pressed ^C") {
		t.Fatalf("%+v %v", res.Summary, res.NotRun()[0].Err)
	}
}

func TestBatchingAndMaxFailRatio(t *testing.T) {
	// Batches of 3 run one after the other; the first batch has 2 failures of 3: above 0.5.
	r := mustNew(t, Config{Inventory: testInventory(9), BatchSize: 3, Workers: 10, MaxFailRatio: 0.5})
	var mu sync.Mutex
	var order []string
	res, err := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		mu.Lock()
		order = append(order, tk.Host.Name)
		mu.Unlock()
		if tk.Host.Name != "r2" {
			return tasks.Result{}, errors.New("config push rejected")
		}
		return tasks.Result{Changed: true}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(order)
	if !slices.Equal(order, []string{"r1", "r2", "r3"}) {
		t.Fatalf("ran %v; want only the first batch", order)
	}
	if res.Summary.OK != 1 || res.Summary.Failed != 2 || res.Summary.NotRun != 6 {
		t.Fatalf("summary %+v", res.Summary)
	}
	x, _ := res.Get("r7")
	want := "host r7: not run: the run stopped after batch 1 of 3: 2 of 3 hosts run failed (66.7%), above MaxFailRatio 50.0%"
	if x.Status != tasks.StatusNotRun || x.Err == nil || x.Err.Error() != want || !errors.Is(x.Err, tasks.ErrNotRun) {
		t.Fatalf("r7: %v\nwant %s", x.Err, want)
	}
}

func TestBatchesRunInSequence(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(12), BatchSize: 4, Workers: 100, MaxFailRatio: 0.5})
	var mu sync.Mutex
	var inFlight []string
	var maxInFlight int
	res, err := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		mu.Lock()
		inFlight = append(inFlight, tk.Host.Name)
		maxInFlight = max(maxInFlight, len(inFlight))
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		inFlight = slices.DeleteFunc(inFlight, func(s string) bool { return s == tk.Host.Name })
		mu.Unlock()
		if tk.Host.Name == "r5" {
			return tasks.Result{}, errors.New("one failure is below the ratio")
		}
		return tasks.Result{}, nil
	})
	if err != nil || res.Summary.OK != 11 || res.Summary.Failed != 1 {
		t.Fatalf("%v %v", res, err)
	}
	if maxInFlight > 4 {
		t.Fatalf("%d hosts in flight with BatchSize 4", maxInFlight)
	}
}

func TestFailedHostsSkippedUntilRecovered(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(4)})
	failOn := map[string]bool{"r2": true, "r4": true}
	var mu sync.Mutex
	task := func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		if failOn[tk.Host.Name] {
			return tasks.Result{}, errors.New("unreachable")
		}
		return tasks.Result{}, nil
	}
	ctx := context.Background()
	if _, err := r.Run(ctx, "a", task); err != nil {
		t.Fatal(err)
	}
	if got := r.FailedHosts(); !slices.Equal(got, []string{"r2", "r4"}) {
		t.Fatalf("FailedHosts %v", got)
	}
	// A narrowed runner shares the state.
	res, _ := r.Filter(func(*inventory.Host) bool { return true }).Run(ctx, "b", task)
	if res.Summary.OK != 2 || res.Summary.NotRun != 2 {
		t.Fatalf("second run: %+v", res.Summary)
	}
	x, _ := res.Get("r4")
	if !strings.Contains(x.Err.Error(), "host r4: not run: it failed in an earlier run") {
		t.Fatalf("skip reason: %v", x.Err)
	}
	// OnFailed includes them; a success forgets the host.
	mu.Lock()
	failOn["r2"] = false
	mu.Unlock()
	res, _ = r.Run(ctx, "c", task, OnFailed(true))
	if res.Summary.OK != 3 || res.Summary.Failed != 1 {
		t.Fatalf("OnFailed run: %+v", res.Summary)
	}
	if got := r.FailedHosts(); !slices.Equal(got, []string{"r4"}) {
		t.Fatalf("FailedHosts after success %v", got)
	}
	if !r.Recover("r4") || r.Recover("r4") || len(r.FailedHosts()) != 0 {
		t.Fatal("Recover")
	}
	mu.Lock()
	failOn["r1"] = true
	mu.Unlock()
	r.Run(ctx, "d", task)
	r.RecoverAll()
	if len(r.FailedHosts()) != 0 {
		t.Fatal("RecoverAll")
	}
	// Config.RunOnFailed runs them every time.
	r2 := mustNew(t, Config{Inventory: testInventory(2), RunOnFailed: true})
	fail := func(context.Context, *tasks.Task) (tasks.Result, error) { return tasks.Result{}, errors.New("x") }
	r2.Run(ctx, "a", fail)
	if res, _ := r2.Run(ctx, "a", fail); res.Summary.Failed != 2 {
		t.Fatalf("RunOnFailed: %+v", res.Summary)
	}
	if res, _ := r2.Run(ctx, "a", fail, OnFailed(false)); res.Summary.NotRun != 2 {
		t.Fatalf("OnFailed(false): %+v", res.Summary)
	}
}

func TestStreamYieldsEveryHost(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(500), Workers: 16, BatchSize: 100})
	seen := map[string]bool{}
	for x := range r.Stream(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		if tk.Host.Name == "r13" {
			return tasks.Result{}, errors.New("bad")
		}
		return tasks.Result{}, nil
	}) {
		if seen[x.Host] {
			t.Fatalf("host %s twice", x.Host)
		}
		seen[x.Host] = true
		if x.Failed() != (x.Host == "r13") {
			t.Fatalf("%+v", x)
		}
	}
	if len(seen) != 500 {
		t.Fatalf("%d hosts yielded", len(seen))
	}
}

func TestStreamEarlyBreakCancelsAndCleansUp(t *testing.T) {
	rec := &recorder{}
	r := mustNew(t, Config{Inventory: testInventory(10_000), Workers: 8, Hooks: []hooks.Hook{rec}})
	var started atomic.Int64
	sawCancel := make(chan struct{}, 10_000)
	n := 0
	for x := range r.Stream(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		started.Add(1)
		if tk.Host.Name == "r1" || tk.Host.Name == "r2" { // in flight when the loop breaks
			<-ctx.Done()
			sawCancel <- struct{}{}
			return tasks.Result{}, ctx.Err()
		}
		return tasks.Result{}, nil
	}) {
		_ = x
		n++
		if n == 20 {
			break
		}
	}
	// The loop's exit waited for the run: nothing runs any more (goleak checks goroutines).
	s := started.Load()
	if s >= 10_000 {
		t.Fatalf("all hosts started (%d) despite the break", s)
	}
	time.Sleep(5 * time.Millisecond)
	if started.Load() != s {
		t.Fatal("hosts started after the loop ended")
	}
	if len(sawCancel) != 2 {
		t.Fatalf("%d in-flight tasks saw the cancellation, want 2", len(sawCancel))
	}
	got := rec.list()
	last := got[len(got)-1]
	if !strings.HasPrefix(last, "run end") || !strings.Contains(last, "deadline=true") {
		t.Fatalf("run end not reported: %q", last)
	}
	var ok, failed, notRun int
	fmt.Sscanf(last, "run end ok=%d failed=%d not_run=%d", &ok, &failed, &notRun)
	if ok+failed+notRun != 10_000 || failed < 2 || ok < 18 {
		t.Fatalf("summary does not account for every host: %s", last)
	}
}

func TestStreamPanicInLoopBodyCleansUp(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(1000), Workers: 4})
	defer func() {
		if v := recover(); v != "body" {
			t.Fatalf("recovered %v", v)
		}
	}()
	for range r.Stream(context.Background(), "x", noop) {
		panic("body")
	}
}

// dupExecutor emits every result twice, skips r3, and emits an out-of-range index.
type dupExecutor struct{}

func (dupExecutor) Execute(ctx context.Context, job *Job, emit func(int, tasks.Result)) error {
	for i, h := range job.Hosts {
		if h.Name == "r3" {
			continue
		}
		r := job.Run(ctx, h)
		emit(i, r)
		emit(i, tasks.Result{Host: h.Name, Status: tasks.StatusFailed, Err: errors.New("duplicate")})
	}
	emit(len(job.Hosts), tasks.Result{})
	emit(-1, tasks.Result{})
	return nil
}

type failingExecutor struct{}

func (failingExecutor) Execute(ctx context.Context, job *Job, emit func(int, tasks.Result)) error {
	emit(0, job.Run(ctx, job.Hosts[0]))
	return errors.New("nats: no responders")
}

func TestExecutorSeamAccounting(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(4), Executor: dupExecutor{}})
	res, err := r.Run(context.Background(), "x", noop)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.OK != 3 || res.Summary.NotRun != 1 {
		t.Fatalf("summary %+v: duplicates must be dropped, missing hosts not run", res.Summary)
	}
	x, _ := res.Get("r3")
	if !strings.Contains(x.Err.Error(), "host r3: not run: the executor returned without a result for the host") {
		t.Fatalf("r3: %v", x.Err)
	}
	r = mustNew(t, Config{Inventory: testInventory(3), Executor: failingExecutor{}})
	res, _ = r.Run(context.Background(), "x", noop)
	x, _ = res.Get("r2")
	if res.Summary.OK != 1 || !strings.Contains(x.Err.Error(), "not run: the executor failed: nats: no responders") {
		t.Fatalf("%+v %v", res.Summary, x.Err)
	}
}

func TestTaskLoggerAndConnections(t *testing.T) {
	var logs syncBuffer
	reg := connection.NewRegistry()
	r := mustNew(t, Config{Inventory: testInventory(2), Logger: zerolog.New(&logs), Connections: reg})
	_, err := r.Run(context.Background(), "facts", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		if tk.Connections == nil {
			return tasks.Result{}, errors.New("no sessions lent")
		}
		tk.Logger.Info().Msg("hello")
		return tasks.Result{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"host":"r1","task":"facts","message":"hello"`) {
		t.Fatalf("task logger lacks host/task fields:\n%s", logs.String())
	}
	// Without a registry, Task.Connection says so.
	r = mustNew(t, Config{Inventory: testInventory(1)})
	res, _ := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		_, err := tk.Connection(ctx)
		return tasks.Result{}, err
	})
	if x, _ := res.Get("r1"); !errors.Is(x.Err, tasks.ErrNoConnections) {
		t.Fatalf("%v", x.Err)
	}
}

func TestResultsPrintAndJSON(t *testing.T) {
	r := mustNew(t, Config{Inventory: testInventory(3)})
	res, _ := r.Run(context.Background(), "backup", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		switch tk.Host.Name {
		case "r1":
			tk.Run(ctx, "show run", func(context.Context, *tasks.Task) (tasks.Result, error) {
				return tasks.Result{Value: "hostname r1"}, nil
			})
			return tasks.Result{Changed: true, Diff: "+hostname r1"}, nil
		case "r2":
			return tasks.Result{}, fmt.Errorf("host r2: %w", connection.ErrAuthentication)
		}
		return tasks.Result{Value: "ok"}, nil
	})
	s := res.String()
	if !strings.HasPrefix(s, "backup: 3 hosts: 2 ok, 1 changed, 1 failed, 0 not run in ") ||
		!strings.Contains(s, "FAILED   r2: [authentication] host r2: connection: authentication failed") || strings.Contains(s, "r1:") {
		t.Fatalf("String:\n%s", s)
	}
	var b bytes.Buffer
	if err := res.Print(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"* r1: ok (1 attempt(s)", ", changed)", "    diff:\n    +hostname r1", "    * show run: ok", "        hostname r1",
		"* r2: FAILED", "error: [authentication]", "* r3: ok", "    ok\n"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("Print lacks %q:\n%s", want, b.String())
		}
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		RunID   string `json:"run_id"`
		Task    string
		Summary struct{ Hosts, OK, Failed int }
		Hosts   []struct {
			Host, Status, Error string
			ErrorClass          string `json:"error_class"`
			Sub                 []struct{ Task string }
		}
	}
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	if j.RunID == "" || j.Task != "backup" || j.Summary.Hosts != 3 || j.Summary.Failed != 1 || len(j.Hosts) != 3 ||
		j.Hosts[1].ErrorClass != "authentication" || j.Hosts[1].Status != "failed" || j.Hosts[0].Sub[0].Task != "show run" {
		t.Fatalf("JSON: %s", data)
	}
}
