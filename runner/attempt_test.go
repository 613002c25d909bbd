package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
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
	r := mustNew(t, Config{Inventory: testInventory(1), Hooks: []hooks.Hook{rec},
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
	r := mustNew(t, Config{Inventory: testInventory(1), Hooks: []hooks.Hook{hook},
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
	r := mustNew(t, Config{Inventory: testInventory(1), Hooks: []hooks.Hook{cancelOnRetry}, Retry: &RetryConfig{InitialInterval: time.Hour, MaxInterval: time.Hour}})
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

// With a cancellable run and a Timeout, a host in flight costs two goroutines: its worker,
// which is the one watchdog of both, and its attempt. Without a Timeout it costs one, its
// worker: the run's cancellation is watched once for the whole run. (The middleware-built
// pipeline ran a watcher for the run and another for the Timeout: three per host, and two
// without a Timeout.)
func TestOneWatchdogPerHost(t *testing.T) {
	for _, c := range []struct {
		timeout time.Duration
		perHost int
	}{{time.Hour, 2}, {0, 1}} {
		t.Run(fmt.Sprintf("timeout=%v", c.timeout), func(t *testing.T) {
			const n = 20
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := mustNew(t, Config{Inventory: testInventory(n), Workers: n, Timeout: c.timeout,
				Retry: &RetryConfig{MaxAttempts: 2}, Breaker: &BreakerConfig{}})
			var started sync.WaitGroup
			started.Add(n)
			release := make(chan struct{})
			counted := make(chan int, 1)
			go func() {
				started.Wait()
				counted <- runtime.NumGoroutine()
				close(release)
			}()
			base := runtime.NumGoroutine() + 1 // the counting goroutine
			res, err := r.Run(ctx, "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
				started.Done()
				<-release
				return tasks.Result{}, nil
			})
			if err != nil || res.Summary.OK != n {
				t.Fatalf("%v %+v", err, res.Summary)
			}
			// Counted while every host was in its task; 2 more for the run's watchdog of the batch.
			if got := <-counted - base; got > c.perHost*n+2 {
				t.Fatalf("%d goroutines for %d hosts in flight: want at most %d per host", got, n, c.perHost)
			}
		})
	}
}

// Config.Middleware wraps one attempt: it runs once per attempt, inside the loop's timeout,
// and the retry events come from the runner.
func TestMiddlewareWrapsOneAttempt(t *testing.T) {
	clock := newFakeClock()
	var mu sync.Mutex
	var log []string
	add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	mw := func(next tasks.Func) tasks.Func {
		return func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
			_, deadline := ctx.Deadline()
			add(fmt.Sprintf("mw attempt %d deadline %v", tk.Attempt, deadline))
			return next(ctx, tk)
		}
	}
	r := mustNew(t, Config{Inventory: testInventory(1), Timeout: time.Minute, Middleware: []Middleware{mw},
		Hooks: []hooks.Hook{hooks.TaskRetryFunc(func(_ context.Context, e *hooks.Event) { add(fmt.Sprintf("retry %d", e.Attempt)) })},
		Retry: &RetryConfig{MaxAttempts: 3, Sleep: clock.Sleep, Now: clock.Now}})
	res, _ := r.Run(context.Background(), "x", func(context.Context, *tasks.Task) (tasks.Result, error) {
		return tasks.Result{}, errors.New("flap")
	})
	want := []string{"mw attempt 1 deadline true", "retry 1", "mw attempt 2 deadline true", "retry 2", "mw attempt 3 deadline true"}
	if x, _ := res.Get("r1"); !slices.Equal(log, want) || x.Attempts != 3 {
		t.Fatalf("%q attempts %d", log, x.Attempts)
	}
}
