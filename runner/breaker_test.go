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

func authFail(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
	return tasks.Result{}, fmt.Errorf("host %s: %w", tk.Host.Name, connection.ErrAuthentication)
}

// failing returns a task failing authentication on the named hosts, and counts its calls.
type failing struct {
	mu    sync.Mutex
	bad   map[string]bool
	calls map[string]int
	order []string
}

func failOn(hosts ...string) *failing {
	f := &failing{bad: map[string]bool{}, calls: map[string]int{}}
	for _, h := range hosts {
		f.bad[h] = true
	}
	return f
}

func (f *failing) task(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
	f.mu.Lock()
	f.calls[tk.Host.Name]++
	f.order = append(f.order, tk.Host.Name)
	bad := f.bad[tk.Host.Name]
	f.mu.Unlock()
	if bad {
		return authFail(ctx, tk)
	}
	return tasks.Result{}, nil
}

func (f *failing) badCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for h, c := range f.calls {
		if f.bad[h] {
			n += c
		}
	}
	return n
}

// A few devices with a wrong local account, failing first and in a row, do not stop the
// others: the old default (3 consecutive failures, run-wide) failed every later host fast.
func TestBreakerSparesHealthyHostsAmongFewBadOnes(t *testing.T) {
	f := failOn("r1", "r2", "r3", "r50")
	r := mustNew(t, Config{Inventory: testInventory(100), Workers: 1, Breaker: &BreakerConfig{}})
	res, _ := r.Run(context.Background(), "backup", f.task)
	if res.Summary.OK != 96 || res.Summary.Failed != 4 {
		t.Fatalf("summary %+v: healthy hosts were failed", res.Summary)
	}
	for x := range res.All() {
		if tasks.Classify(x.Err) == tasks.ClassBreakerOpen {
			t.Fatalf("%s failed by the breaker: %v", x.Host, x.Err)
		}
	}
	if n := f.badCalls(); n != 4 {
		t.Fatalf("%d logins against the 4 bad devices, want 4", n)
	}
	if rep := r.Breaker().Report(); len(rep) != 0 {
		t.Fatalf("report %v: nothing opened", rep)
	}
	if st := r.Breaker().States(); st["site="] != "closed" || len(st) != 1 {
		t.Fatalf("states %v: the default scope is the site", st)
	}
}

// The ratio is taken over a window of recent logins: old failures slide out.
func TestBreakerRatioOverWindow(t *testing.T) {
	// Window 4, ratio 0.75: F ok ok ok (1/4), F (1/4: the first F slid out), F (2/4), F (3/4:
	// opens, by r5, r6 and r7 only).
	f := failOn("r1", "r5", "r6", "r7")
	var evs []hooks.BreakerEvent
	r := mustNew(t, Config{Inventory: testInventory(7), Workers: 1, Hooks: []hooks.Hook{
		hooks.BreakerFunc(func(_ context.Context, e *hooks.BreakerEvent) { evs = append(evs, *e) })},
		Breaker: &BreakerConfig{Key: ByRun(), Window: 4, MinLogins: 4, FailureRatio: 0.75}})
	r.Run(context.Background(), "x", f.task)
	if len(evs) != 1 || evs[0].To != "open" || evs[0].Failures != 3 || evs[0].Logins != 4 ||
		!slices.Equal(evs[0].Hosts, []string{"r5", "r6", "r7"}) || evs[0].Run == nil {
		t.Fatalf("events %+v", evs)
	}
}

// Hosts arriving while the breaker is open wait; a probe after OpenTimeout closes it, and the
// held hosts are tried instead of failed. Time is the bubble's fake clock.
func TestBreakerHoldsBackThenTries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := failOn("r1", "r2", "r3", "r4")
		rec := &recorder{}
		var evs []hooks.BreakerEvent
		r := mustNew(t, Config{Inventory: testInventory(8), Workers: 1, Hooks: []hooks.Hook{rec,
			hooks.BreakerFunc(func(_ context.Context, e *hooks.BreakerEvent) { evs = append(evs, *e) })},
			Breaker: &BreakerConfig{Key: ByRun(), Window: 4, MinLogins: 4, FailureRatio: 0.75, OpenTimeout: 30 * time.Second}})
		start := time.Now()
		res, err := r.Run(context.Background(), "backup", f.task)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Fatalf("run took %v, want the open timeout (30s)", d)
		}
		if res.Summary.OK != 4 || res.Summary.Failed != 4 {
			t.Fatalf("summary %+v: the held host and those after it must run", res.Summary)
		}
		var trans []string
		for _, e := range evs {
			trans = append(trans, e.From+"->"+e.To)
		}
		if !slices.Equal(trans, []string{"closed->open", "open->half-open", "half-open->closed"}) {
			t.Fatalf("transitions %v", trans)
		}
		rep := r.Breaker().Report()
		if len(rep) != 1 {
			t.Fatalf("report %+v", rep)
		}
		b := rep[0]
		if b.Name != "run" || b.State != "closed" || len(b.Openings) != 1 || b.HeldBack != 1 || b.HeldThenTried != 1 ||
			b.FailedFast != 0 || b.Probes != 1 || b.Logins != 8 || b.Failures != 4 {
			t.Fatalf("report %+v", b)
		}
		o := b.Openings[0]
		if !o.At.Equal(start) || !o.Closed.Equal(start.Add(30*time.Second)) || !slices.Equal(o.Hosts, []string{"r1", "r2", "r3", "r4"}) ||
			!errors.Is(o.Err, connection.ErrAuthentication) {
			t.Fatalf("opening %+v", o)
		}
		want := fmt.Sprintf("run: opened 1x (last at %s: 4 of 4 logins failed: r1, r2, r3, r4), 1 held back, 1 then tried, 0 failed fast, 1 probe(s); now closed",
			start.Format(time.RFC3339))
		if b.String() != want {
			t.Fatalf("String\n got %s\nwant %s", b.String(), want)
		}
		if !slices.Contains(rec.list(), "breaker run half-open->closed") {
			t.Fatal("the recorder hook did not see the recovery")
		}
	})
}

// While the AAA domain keeps failing, held hosts become one probe per OpenTimeout or give up
// after MaxWait; hosts beyond MaxHeld fail fast. Logins against it stay bounded.
func TestBreakerBoundsLoginsWhileFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		logins := 0
		allBad := func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
			mu.Lock()
			logins++
			mu.Unlock()
			return authFail(ctx, tk)
		}
		r := mustNew(t, Config{Inventory: testInventory(20), Workers: 4,
			Breaker: &BreakerConfig{Key: ByRun(), Window: 4, MinLogins: 4, FailureRatio: 1, OpenTimeout: 10 * time.Second, MaxHeld: 2, MaxWait: 15 * time.Second}})
		start := time.Now()
		res, _ := r.Run(context.Background(), "x", allBad)
		var fast, auth int
		for x := range res.All() {
			switch tasks.Classify(x.Err) {
			case tasks.ClassBreakerOpen:
				fast++
				var boe *BreakerOpenError
				if !errors.As(x.Err, &boe) || boe.Breaker != "run" || x.Attempts != 0 {
					t.Fatalf("%+v", x)
				}
			case tasks.ClassAuthentication:
				auth++
			}
		}
		rep := r.Breaker().Report()[0]
		// 4 first logins (the workers) open it; at 10 s one held host probes and reopens it; the
		// other held host gives up at 15 s.
		if auth != logins || logins > 4+2 || fast != 20-logins || rep.FailedFast != fast || rep.Probes < 1 || rep.HeldBack < 2 {
			t.Fatalf("logins %d, auth %d, fast %d, report %+v", logins, auth, fast, rep)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Fatalf("run took %v: held hosts must give up after MaxWait", d)
		}
		x := res.Failed()[len(res.Failed())-1]
		if !strings.Contains(x.Err.Error(), `circuit breaker "run" is`) || !strings.Contains(x.Err.Error(), "authentication") {
			t.Fatalf("%v", x.Err)
		}
	})
}

// A run cancelled while hosts are held back reports them not run.
func TestBreakerHeldHostsNotRunOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := failOn("r1")
		r := mustNew(t, Config{Inventory: testInventory(3), Workers: 1,
			Breaker: &BreakerConfig{Key: ByRun(), Window: 1, MinLogins: 1, FailureRatio: 1, OpenTimeout: time.Hour}})
		go func() {
			time.Sleep(time.Minute)
			cancel()
		}()
		res, err := r.Run(ctx, "x", f.task)
		if !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		x, _ := res.Get("r2")
		if x.Status != tasks.StatusNotRun || !errors.Is(x.Err, tasks.ErrNotRun) || !strings.Contains(x.Err.Error(), "held back by circuit breaker") {
			t.Fatalf("%+v", x)
		}
		if res.Summary.NotRun != 2 || len(r.FailedHosts()) != 1 {
			t.Fatalf("summary %+v, failed %v", res.Summary, r.FailedHosts())
		}
	})
}

func TestBreakerCountsOnlyChosenClasses(t *testing.T) {
	cfg := BreakerConfig{Key: ByRun(), Window: 2, MinLogins: 2, FailureRatio: 1, MaxHeld: -1}
	// Timeouts do not trip the default (authentication) breaker.
	r := mustNew(t, Config{Inventory: testInventory(10), Workers: 1, Breaker: &cfg})
	calls := 0
	timeout := func(context.Context, *tasks.Task) (tasks.Result, error) {
		calls++
		return tasks.Result{}, context.DeadlineExceeded
	}
	r.Run(context.Background(), "x", timeout)
	if calls != 10 || r.Breaker().State("run") != "closed" {
		t.Fatalf("calls %d state %q", calls, r.Breaker().State("run"))
	}
	// With Classes set, timeouts count.
	cfg.Classes = []tasks.Class{tasks.ClassTimeout}
	r = mustNew(t, Config{Inventory: testInventory(10), Workers: 1, Breaker: &cfg})
	calls = 0
	r.Run(context.Background(), "x", timeout)
	if calls != 2 || r.Breaker().State("run") != "open" {
		t.Fatalf("calls %d state %q", calls, r.Breaker().State("run"))
	}
}

func TestBreakerScopedBySiteByDefault(t *testing.T) {
	var hs []*inventory.Host
	for i := range 12 {
		site := "ams1"
		if i%2 == 1 {
			site = "fra2"
		}
		hs = append(hs, &inventory.Host{Name: fmt.Sprintf("%s-r%d", site, i), Data: map[string]any{"site": site}})
	}
	hs = append(hs, &inventory.Host{Name: "nosite"})
	r := mustNew(t, Config{Inventory: inventory.New(hs, nil, nil), Workers: 1,
		Breaker: &BreakerConfig{Window: 2, MinLogins: 2, FailureRatio: 1, MaxHeld: -1}})
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
	if res.Summary.OK != 7 {
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
	r := mustNew(t, Config{Inventory: testInventory(5), Workers: 1,
		Breaker: &BreakerConfig{Key: func(*inventory.Host) string { return "" }, Window: 1, MinLogins: 1}})
	calls := 0
	r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) { calls++; return authFail(ctx, tk) })
	if calls != 5 || len(r.Breaker().States()) != 0 {
		t.Fatal(calls)
	}
}

// The breaker is consulted once per host, around all its attempts: one host's retried
// attempts count as one login.
func TestBreakerAroundRetries(t *testing.T) {
	clock := newFakeClock()
	r := mustNew(t, Config{Inventory: testInventory(3), Workers: 1,
		Breaker: &BreakerConfig{Key: ByRun(), Window: 2, MinLogins: 2, FailureRatio: 1, MaxHeld: -1, Classes: []tasks.Class{tasks.ClassTask}},
		Retry:   &RetryConfig{MaxAttempts: 3, Sleep: clock.Sleep, Now: clock.Now}})
	calls := 0
	res, _ := r.Run(context.Background(), "x", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		calls++
		return tasks.Result{}, errors.New("flaky")
	})
	// r1: 3 attempts (one failure); r2: 3 attempts (the second, opens); r3: fails fast.
	if calls != 6 || res.Summary.Failed != 3 {
		t.Fatalf("calls %d", calls)
	}
	if x, _ := res.Get("r3"); tasks.Classify(x.Err) != tasks.ClassBreakerOpen || x.Attempts != 0 {
		t.Fatalf("%+v", x)
	}
}
