package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// fakeClock is an injected clock: Sleep advances it instead of waiting.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return nil
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

func TestChainOrder(t *testing.T) {
	var calls []string
	mw := func(name string) Middleware {
		return func(next tasks.Func) tasks.Func {
			return func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
				calls = append(calls, name+" in")
				r, err := next(ctx, tk)
				calls = append(calls, name+" out")
				return r, err
			}
		}
	}
	fn := Chain(mw("a"), nil, mw("b"))(func(context.Context, *tasks.Task) (tasks.Result, error) {
		calls = append(calls, "task")
		return tasks.Result{}, nil
	})
	fn(context.Background(), &tasks.Task{})
	if got := strings.Join(calls, ","); got != "a in,b in,task,b out,a out" {
		t.Fatal(got)
	}
	if Chain()(nil) != nil {
		t.Fatal("empty Chain is not the identity")
	}
}

func TestRetryBacksOffAndReportsEachRetry(t *testing.T) {
	clock := newFakeClock()
	rec := &recorder{}
	r := mustNew(t, Config{Inventory: testInventory(1), Hooks: []any{rec},
		Retry: &RetryConfig{MaxAttempts: 5, InitialInterval: time.Second, Multiplier: 2, Jitter: 0.5, Sleep: clock.Sleep, Now: clock.Now}})
	var attempts []int
	res, err := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		attempts = append(attempts, tk.Attempt)
		tk.Run(ctx, fmt.Sprintf("sub of attempt %d", tk.Attempt), noop)
		if tk.Attempt < 3 {
			return tasks.Result{}, errors.New("connection reset by peer")
		}
		return tasks.Result{Value: "done"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := res.Get("r1")
	if !x.OK() || x.Attempts != 3 || !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Fatalf("result %+v, attempts seen %v", x, attempts)
	}
	if len(x.Sub) != 1 || x.Sub[0].Task != "sub of attempt 3" {
		t.Fatalf("subtasks of earlier attempts kept: %+v", x.Sub)
	}
	waits := clock.Waits()
	if len(waits) != 2 {
		t.Fatalf("waits %v", waits)
	}
	// Exponential with ±50% jitter: 1s then 2s.
	for i, base := range []time.Duration{time.Second, 2 * time.Second} {
		if waits[i] < base/2 || waits[i] > base*3/2 {
			t.Errorf("wait %d = %v, want within ±50%% of %v", i, waits[i], base)
		}
	}
	want := []string{"run start 1 hosts", "start r1", "retry r1 attempt 1", "retry r1 attempt 2", "ok r1"}
	if got := rec.list(); !slices.Equal(got[:5], want) {
		t.Fatalf("hooks %q", got)
	}
}

func TestRetryEventCarriesWaitAndError(t *testing.T) {
	clock := newFakeClock()
	var evs []hooks.Event
	hook := hooks.TaskRetryFunc(func(_ context.Context, e *hooks.Event) { evs = append(evs, *e) })
	r := mustNew(t, Config{Inventory: testInventory(1), Hooks: []any{hook},
		Retry: &RetryConfig{MaxAttempts: 4, InitialInterval: time.Second, MaxInterval: 3 * time.Second, Jitter: -1,
			Sleep: clock.Sleep, Now: clock.Now}})
	res, _ := r.Run(context.Background(), "x", func(context.Context, *tasks.Task) (tasks.Result, error) {
		return tasks.Result{}, errors.New("timeout waiting for prompt")
	})
	x, _ := res.Get("r1")
	if !x.Failed() || x.Attempts != 4 || x.Err.Error() != "timeout waiting for prompt" {
		t.Fatalf("%+v", x)
	}
	// No jitter: 1s, 2s, then capped at 3s.
	if got := clock.Waits(); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}) {
		t.Fatalf("waits %v", got)
	}
	if len(evs) != 3 || evs[2].Attempt != 3 || evs[2].Wait != 3*time.Second || evs[2].Err == nil || evs[2].Run == nil ||
		evs[2].Host.Name != "r1" || evs[2].Task != "x" {
		t.Fatalf("events %+v", evs)
	}
}

func TestRetryNeverRetriesPermanentOrAuth(t *testing.T) {
	clock := newFakeClock()
	r := mustNew(t, Config{Inventory: testInventory(5), Retry: &RetryConfig{Sleep: clock.Sleep, Now: clock.Now}})
	errs := map[string]error{
		"r1": tasks.Permanent(errors.New("unsupported platform")),
		"r2": fmt.Errorf("host r2: %w", connection.ErrAuthentication),
		"r3": tasks.WithClass(tasks.ClassAuthentication, errors.New("login refused")),
		"r4": fmt.Errorf("host r4: %w", connection.ErrNotFound),
		"r5": errors.New("transient"),
	}
	var mu sync.Mutex
	calls := map[string]int{}
	res, _ := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		mu.Lock()
		calls[tk.Host.Name]++
		mu.Unlock()
		return tasks.Result{}, errs[tk.Host.Name]
	})
	for _, h := range []string{"r1", "r2", "r3", "r4"} {
		if x, _ := res.Get(h); calls[h] != 1 || x.Attempts != 1 {
			t.Errorf("%s ran %d times (attempts %d), want once", h, calls[h], x.Attempts)
		}
	}
	if calls["r5"] != DefaultRetryMaxAttempts {
		t.Errorf("transient error ran %d times, want %d", calls["r5"], DefaultRetryMaxAttempts)
	}
	// A custom Retryable cannot make authentication failures retryable.
	r = mustNew(t, Config{Inventory: testInventory(2), Retry: &RetryConfig{Retryable: func(error) bool { return true }, Sleep: clock.Sleep}})
	n := 0
	r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		mu.Lock()
		n++
		mu.Unlock()
		return tasks.Result{}, connection.ErrAuthentication
	})
	if n != 2 {
		t.Errorf("auth failures ran %d times on 2 hosts", n)
	}
}

func TestRetryMaxElapsed(t *testing.T) {
	clock := newFakeClock()
	r := mustNew(t, Config{Inventory: testInventory(1), Retry: &RetryConfig{MaxAttempts: 10, InitialInterval: 10 * time.Second,
		MaxElapsed: 25 * time.Second, Jitter: -1, Sleep: clock.Sleep, Now: clock.Now}})
	res, _ := r.Run(context.Background(), "x", func(context.Context, *tasks.Task) (tasks.Result, error) {
		return tasks.Result{}, errors.New("busy")
	})
	// Waits 10s (ends at 10s); the next would be 20s, ending at 30s > 25s: give up.
	if x, _ := res.Get("r1"); x.Attempts != 2 || !slices.Equal(clock.Waits(), []time.Duration{10 * time.Second}) {
		t.Fatalf("attempts %d waits %v", x.Attempts, clock.Waits())
	}
}

func TestRetryWaitCutShortByCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The real timer-based Sleep with an hour's wait: cancellation must end it at once.
	cancelOnRetry := hooks.TaskRetryFunc(func(context.Context, *hooks.Event) { cancel() })
	r := mustNew(t, Config{Inventory: testInventory(1), Hooks: []any{cancelOnRetry}, Retry: &RetryConfig{InitialInterval: time.Hour, MaxInterval: time.Hour}})
	start := time.Now()
	res, err := r.Run(ctx, "x", func(context.Context, *tasks.Task) (tasks.Result, error) {
		return tasks.Result{}, errors.New("flap")
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run err %v", err)
	}
	x, _ := res.Get("r1")
	var rc *RetryCancelledError
	if !x.Failed() || x.Attempts != 1 || !errors.As(x.Err, &rc) || tasks.Classify(x.Err) != tasks.ClassCanceled ||
		!strings.Contains(x.Err.Error(), "last error: flap") {
		t.Fatalf("%+v", x)
	}
	if time.Since(start) > time.Minute {
		t.Fatal("waited for the backoff")
	}
}

func TestRetryStandaloneMiddlewarePanicsOnBadConfig(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "invalid MaxAttempts -1") {
			t.Fatalf("recovered %v", v)
		}
	}()
	Retry(RetryConfig{MaxAttempts: -1})
}

func authFail(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
	return tasks.Result{}, fmt.Errorf("host %s: %w", tk.Host.Name, connection.ErrAuthentication)
}

func TestBreakerTripsFailsFastAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		var bevs []hooks.BreakerEvent
		bhook := hooks.BreakerFunc(func(_ context.Context, e *hooks.BreakerEvent) { bevs = append(bevs, *e) })
		r := mustNew(t, Config{Inventory: testInventory(8), Workers: 1, RunOnFailed: true, Hooks: []any{rec, bhook},
			Breaker: &BreakerConfig{OpenTimeout: time.Minute}})
		var mu sync.Mutex
		var ran []string
		task := func(fail bool) tasks.Func {
			return func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
				mu.Lock()
				ran = append(ran, tk.Host.Name)
				mu.Unlock()
				if fail {
					return authFail(ctx, tk)
				}
				return tasks.Result{}, nil
			}
		}
		opened := time.Now()
		res, _ := r.Run(context.Background(), "backup", task(true))
		if !slices.Equal(ran, []string{"r1", "r2", "r3"}) {
			t.Fatalf("ran on %v: after 3 authentication failures the rest must fail fast", ran)
		}
		x, _ := res.Get("r6")
		var boe *BreakerOpenError
		if !x.Failed() || !errors.As(x.Err, &boe) || !errors.Is(x.Err, ErrBreakerOpen) || tasks.Classify(x.Err) != tasks.ClassBreakerOpen {
			t.Fatalf("r6: %+v", x)
		}
		if errors.Is(x.Err, connection.ErrAuthentication) {
			t.Fatal("a fail-fast host must not look like an authentication failure")
		}
		want := fmt.Sprintf(`host r6: not attempted: circuit breaker "run" is open, opened at %s after 3 consecutive authentication failure(s); last: host r3: connection: authentication failed`,
			opened.Format(time.RFC3339))
		if x.Err.Error() != want {
			t.Fatalf("error\n got %s\nwant %s", x.Err, want)
		}
		if r.Breaker().State("run") != "open" || len(bevs) != 1 || bevs[0].To != "open" || bevs[0].Failures != 3 || bevs[0].Run == nil {
			t.Fatalf("state %s events %+v", r.Breaker().State("run"), bevs)
		}

		// Still open a little later: the next run fails fast entirely.
		time.Sleep(30 * time.Second)
		ran = nil
		res, _ = r.Run(context.Background(), "backup", task(false))
		if len(ran) != 0 || res.Summary.Failed != 8 {
			t.Fatalf("ran %v summary %+v", ran, res.Summary)
		}

		// After OpenTimeout one probe goes through; its success closes the breaker.
		time.Sleep(31 * time.Second)
		ran = nil
		res, _ = r.Run(context.Background(), "backup", task(false))
		if len(ran) != 8 || res.Summary.OK != 8 {
			t.Fatalf("after recovery ran %v summary %+v", ran, res.Summary)
		}
		var trans []string
		for _, e := range bevs {
			trans = append(trans, e.From+"->"+e.To)
		}
		if !slices.Equal(trans, []string{"closed->open", "open->half-open", "half-open->closed"}) {
			t.Fatalf("transitions %v", trans)
		}
		if !slices.Contains(rec.list(), "breaker run half-open->closed") {
			t.Fatal("recorder hook did not see the recovery")
		}
	})
}

func TestBreakerFailedProbeReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustNew(t, Config{Inventory: testInventory(4), Workers: 1, RunOnFailed: true,
			Breaker: &BreakerConfig{Failures: 1, OpenTimeout: 10 * time.Second}})
		r.Run(context.Background(), "x", authFail)
		time.Sleep(11 * time.Second)
		calls := 0
		res, _ := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
			calls++
			return authFail(ctx, tk)
		})
		if calls != 1 || r.Breaker().State("run") != "open" || res.Summary.Failed != 4 {
			t.Fatalf("calls %d state %s", calls, r.Breaker().State("run"))
		}
		x, _ := res.Get("r2")
		if !strings.Contains(x.Err.Error(), "after 1 consecutive authentication failure(s); last: host r1") {
			t.Fatalf("%v", x.Err)
		}
	})
}

func TestBreakerCountsOnlyChosenClasses(t *testing.T) {
	// Timeouts do not trip the default (authentication) breaker.
	r := mustNew(t, Config{Inventory: testInventory(10), Workers: 1, Breaker: &BreakerConfig{Failures: 2}})
	calls := 0
	r.Run(context.Background(), "x", func(context.Context, *tasks.Task) (tasks.Result, error) {
		calls++
		return tasks.Result{}, context.DeadlineExceeded
	})
	if calls != 10 || r.Breaker().State("run") != "closed" {
		t.Fatalf("calls %d state %q", calls, r.Breaker().State("run"))
	}
	// With Classes set, timeouts count.
	r = mustNew(t, Config{Inventory: testInventory(10), Workers: 1, Breaker: &BreakerConfig{Failures: 2, Classes: []tasks.Class{tasks.ClassTimeout}}})
	calls = 0
	r.Run(context.Background(), "x", func(context.Context, *tasks.Task) (tasks.Result, error) {
		calls++
		return tasks.Result{}, context.DeadlineExceeded
	})
	if calls != 2 || r.Breaker().State("run") != "open" {
		t.Fatalf("calls %d state %q", calls, r.Breaker().State("run"))
	}
}

func TestBreakerScopedByData(t *testing.T) {
	var hs []*inventory.Host
	for i := range 6 {
		site := "ams1"
		if i%2 == 1 {
			site = "fra2"
		}
		hs = append(hs, &inventory.Host{Name: fmt.Sprintf("%s-r%d", site, i), Data: map[string]any{"site": site}})
	}
	hs = append(hs, &inventory.Host{Name: "nosite"})
	inv := inventory.New(hs, nil, nil)
	r := mustNew(t, Config{Inventory: inv, Workers: 1, Breaker: &BreakerConfig{Key: ByData("site"), Failures: 2}})
	res, _ := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		if strings.HasPrefix(tk.Host.Name, "ams1") {
			return authFail(ctx, tk)
		}
		return tasks.Result{}, nil
	})
	states := r.Breaker().States()
	if states["site=ams1"] != "open" || states["site=fra2"] != "closed" || states["site="] != "closed" {
		t.Fatalf("states %v", states)
	}
	x, _ := res.Get("ams1-r4")
	if tasks.Classify(x.Err) != tasks.ClassBreakerOpen || !strings.Contains(x.Err.Error(), `circuit breaker "site=ams1" is open`) {
		t.Fatalf("%v", x.Err)
	}
	if res.Summary.OK != 4 {
		t.Fatalf("other sites affected: %+v", res.Summary)
	}
}

func TestBreakerKeys(t *testing.T) {
	core := &inventory.Group{Name: "core"}
	edge := &inventory.Group{Name: "edge"}
	h1 := &inventory.Host{Name: "a", Groups: []*inventory.Group{edge}}
	h2 := &inventory.Host{Name: "b", Groups: []*inventory.Group{core, edge}}
	h3 := &inventory.Host{Name: "c"}
	inventory.New([]*inventory.Host{h1, h2, h3}, []*inventory.Group{core, edge}, nil)
	k := ByGroup("core", "edge")
	if k(h1) != "group=edge" || k(h2) != "group=core" || k(h3) != "group=" || ByRun()(h3) != "run" {
		t.Fatal(k(h1), k(h2), k(h3))
	}
	// A key of "" leaves the host unguarded.
	r := mustNew(t, Config{Inventory: testInventory(5), Workers: 1, Breaker: &BreakerConfig{Key: func(*inventory.Host) string { return "" }, Failures: 1}})
	calls := 0
	r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) { calls++; return authFail(ctx, tk) })
	if calls != 5 || len(r.Breaker().States()) != 0 {
		t.Fatal(calls)
	}
}

// The breaker is outside the retry: one host's retried attempts count once.
func TestBreakerWrapsRetry(t *testing.T) {
	clock := newFakeClock()
	r := mustNew(t, Config{Inventory: testInventory(3), Workers: 1,
		Breaker: &BreakerConfig{Failures: 2, Classes: []tasks.Class{tasks.ClassTask}},
		Retry:   &RetryConfig{MaxAttempts: 3, Sleep: clock.Sleep, Now: clock.Now}})
	calls := 0
	res, _ := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		calls++
		return tasks.Result{}, errors.New("flaky")
	})
	// r1: 3 attempts (one breaker failure); r2: 3 attempts (second, trips); r3: fails fast.
	if calls != 6 || res.Summary.Failed != 3 {
		t.Fatalf("calls %d", calls)
	}
	if x, _ := res.Get("r3"); tasks.Classify(x.Err) != tasks.ClassBreakerOpen {
		t.Fatalf("%v", x.Err)
	}
}

func TestTimeoutAbandonsTaskIgnoringContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release) // the abandoned goroutine ends here
		r := mustNew(t, Config{Inventory: testInventory(3), Timeout: 30 * time.Second})
		start := time.Now()
		res, err := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
			switch tk.Host.Name {
			case "r1": // ignores its context
				<-release
				return tasks.Result{}, nil
			case "r2": // honours it
				<-ctx.Done()
				return tasks.Result{}, ctx.Err()
			}
			return tasks.Result{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 30*time.Second+AbandonGrace {
			t.Fatalf("run took %v, want the timeout (30s) and the grace (%v)", d, AbandonGrace)
		}
		for _, h := range []string{"r1", "r2"} {
			x, _ := res.Get(h)
			var te *TimeoutError
			if !x.Failed() || !errors.As(x.Err, &te) || tasks.Classify(x.Err) != tasks.ClassTimeout || !errors.Is(x.Err, ErrTimeout) ||
				te.Abandoned != (h == "r1") || te.Timeout != 30*time.Second {
				t.Fatalf("%s: %+v", h, x)
			}
		}
		x, _ := res.Get("r1")
		if x.Err.Error() != `host r1: task "x" timed out after 30s (it ignored its context and was abandoned)` {
			t.Fatal(x.Err)
		}
		if x, _ := res.Get("r3"); !x.OK() {
			t.Fatalf("%+v", x)
		}
	})
}

func TestTimeoutPerAttemptWithRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustNew(t, Config{Inventory: testInventory(1), Timeout: 10 * time.Second,
			Retry: &RetryConfig{MaxAttempts: 3, InitialInterval: time.Second, Jitter: -1}})
		res, _ := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
			if tk.Attempt < 3 {
				<-ctx.Done() // each attempt gets its own 10 s
				return tasks.Result{}, ctx.Err()
			}
			return tasks.Result{Value: "ok"}, nil
		})
		x, _ := res.Get("r1")
		if !x.OK() || x.Attempts != 3 || x.Duration != 23*time.Second {
			t.Fatalf("%+v", x)
		}
	})
}
