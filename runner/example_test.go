package runner_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

func hostsNamed(names ...string) *inventory.Inventory {
	var hs []*inventory.Host
	for _, n := range names {
		hs = append(hs, &inventory.Host{Name: n})
	}
	return inventory.New(hs, nil, nil)
}

// The order of hooks and middleware around one host's task, pinned: TaskStart hooks in
// registration order, then the runner's attempt loop (breaker admission, then each attempt:
// Config.Middleware, first outermost, and the task under the attempt's Timeout; the runner's
// TaskRetry hooks between attempts), then TaskOK (or TaskFailed) hooks; RunStart and RunEnd
// around the whole run.
func Example_order() {
	say := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	trace := func(name string) runner.Middleware {
		return func(next tasks.Func) tasks.Func {
			return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
				say("  middleware %s in", name)
				r, err := next(ctx, t)
				say("  middleware %s out", name)
				return r, err
			}
		}
	}
	r, err := runner.New(runner.Config{
		Inventory: hostsNamed("r1"),
		Hooks: []hooks.Hook{
			hooks.RunStartFunc(func(context.Context, *hooks.RunEvent) { say("hook run_start") }),
			hooks.TaskStartFunc(func(context.Context, *hooks.Event) error { say("hook task_start #1"); return nil }),
			hooks.TaskStartFunc(func(context.Context, *hooks.Event) error { say("hook task_start #2"); return nil }),
			hooks.TaskRetryFunc(func(_ context.Context, e *hooks.Event) {
				say("hook task_retry: attempt %d failed: %v", e.Attempt, e.Err)
			}),
			hooks.TaskOKFunc(func(_ context.Context, e *hooks.Event) { say("hook task_ok #1: %d attempts", e.Result.Attempts) }),
			hooks.TaskOKFunc(func(context.Context, *hooks.Event) { say("hook task_ok #2") }),
			hooks.RunEndFunc(func(_ context.Context, e *hooks.RunEvent) { say("hook run_end: %d ok", e.Summary.OK) }),
		},
		Breaker:    &runner.BreakerConfig{},
		Retry:      &runner.RetryConfig{MaxAttempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }},
		Timeout:    time.Minute,
		Middleware: []runner.Middleware{trace("outer"), trace("inner")},
	})
	if err != nil {
		panic(err)
	}
	_, err = r.Run(context.Background(), "backup", func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		_, deadline := ctx.Deadline() // Config.Timeout, per attempt
		say("    task attempt %d (deadline %v)", t.Attempt, deadline)
		if t.Attempt == 1 {
			return tasks.Result{}, errors.New("connection reset")
		}
		return tasks.Result{}, nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// hook run_start
	// hook task_start #1
	// hook task_start #2
	//   middleware outer in
	//   middleware inner in
	//     task attempt 1 (deadline true)
	//   middleware inner out
	//   middleware outer out
	// hook task_retry: attempt 1 failed: connection reset
	//   middleware outer in
	//   middleware inner in
	//     task attempt 2 (deadline true)
	//   middleware inner out
	//   middleware outer out
	// hook task_ok #1: 2 attempts
	// hook task_ok #2
	// hook run_end: 1 ok
}

func ExampleRunner_Run() {
	r, err := runner.New(runner.Config{Inventory: hostsNamed("r1", "r2", "r3"), Workers: 10})
	if err != nil {
		panic(err)
	}
	res, err := r.Run(context.Background(), "hostname", func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		if t.Host.Name == "r2" {
			return tasks.Result{}, fmt.Errorf("host %s: no route to host", t.Host.Name)
		}
		return tasks.Result{Value: "hostname " + t.Host.Name}, nil
	})
	if err != nil {
		panic(err)
	}
	for x := range res.All() {
		fmt.Println(x.Host, x.Status, x.Value)
	}
	fmt.Println(res.Err())
	fmt.Println(r.FailedHosts())
	// Output:
	// r1 ok hostname r1
	// r2 failed <nil>
	// r3 ok hostname r3
	// host r2: no route to host
	// [r2]
}

func ExampleRunner_Stream() {
	r, err := runner.New(runner.Config{Inventory: hostsNamed("r1", "r2", "r3", "r4"), Workers: 1})
	if err != nil {
		panic(err)
	}
	for x := range r.Stream(context.Background(), "ping", func(context.Context, *tasks.Task) (tasks.Result, error) {
		return tasks.Result{Value: "pong"}, nil
	}) {
		fmt.Println(x.Host, x.Value)
		if x.Host == "r2" {
			break // cancels the run; the loop exits once its goroutines are done
		}
	}
	// Output:
	// r1 pong
	// r2 pong
}

// A rolling change: one canary host first, then batches of two, stopping before the next batch
// once more than a quarter of the hosts run so far failed.
func ExampleConfig_batches() {
	inv := hostsNamed("canary", "r1", "r2", "r3", "r4")
	r, err := runner.New(runner.Config{Inventory: inv, BatchSize: 1, MaxFailRatio: 0.25})
	if err != nil {
		panic(err)
	}
	res, _ := r.Run(context.Background(), "push ntp", func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		return tasks.Result{}, errors.New("% Invalid input detected")
	})
	fmt.Println(res.Summary.Failed, "failed,", res.Summary.NotRun, "not run")
	x, _ := res.Get("r1")
	fmt.Println(x.Err)
	// Output:
	// 1 failed, 4 not run
	// host r1: not run: the run stopped after batch 1 of 5: 1 of 1 hosts run failed (100.0%), above MaxFailRatio 25.0%
}

// A breaker per site (the default scope): once most of a site's recent logins failed (here 3
// of 3; by default 80% of at least 10), that site's next hosts are held back rather than let
// lock the account on the site's AAA server; the other sites run on. The held host waits
// until the breaker's probe succeeds or gives up after MaxWait; here it does not wait at all
// (MaxHeld -1), and the breaker's report says what happened.
func ExampleByData() {
	var hs []*inventory.Host
	for i, site := range []string{"ams1", "ams1", "ams1", "ams1", "fra2"} {
		hs = append(hs, &inventory.Host{Name: fmt.Sprintf("%s-r%d", site, i), Data: map[string]any{"site": site}})
	}
	r, err := runner.New(runner.Config{
		Inventory: inventory.New(hs, nil, nil),
		Workers:   1,
		Breaker:   &runner.BreakerConfig{Key: runner.ByData("site"), Window: 3, MinLogins: 3, MaxHeld: -1},
	})
	if err != nil {
		panic(err)
	}
	res, _ := r.Run(context.Background(), "backup", func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		if site, _ := t.Host.Get("site"); site == "ams1" {
			return tasks.Result{}, tasks.WithClass(tasks.ClassAuthentication, errors.New("login refused"))
		}
		return tasks.Result{}, nil
	})
	for x := range res.All() {
		if x.Err != nil {
			fmt.Println(x.Host, x.Status, tasks.Classify(x.Err))
		} else {
			fmt.Println(x.Host, x.Status)
		}
	}
	for _, b := range r.Breaker().Report() {
		o := b.Openings[0]
		fmt.Printf("%s %s: %d of %d logins failed (%v), %d failed fast\n", b.Name, b.State, o.Failures, o.Logins, o.Hosts, b.FailedFast)
	}
	// Output:
	// ams1-r0 failed authentication
	// ams1-r1 failed authentication
	// ams1-r2 failed authentication
	// ams1-r3 failed breaker_open
	// fra2-r4 ok
	// site=ams1 open: 3 of 3 logins failed ([ams1-r0 ams1-r1 ams1-r2]), 1 failed fast
}
