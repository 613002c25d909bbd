package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/internal/retry"
	"github.com/gonorn/norn/tasks"
)

// The attempt loop: one per host, on the worker that runs the host. Its policies, in order:
//
//   - the breaker (Config.Breaker) admits the host before its first attempt (it may hold the
//     host back while the host's breaker is open) and is told the host's outcome after the
//     last attempt;
//   - each attempt runs Config.Middleware and the task under one watchdog enforcing both
//     Config.Timeout and the run's cancellation (AbandonGrace): with a Timeout, the loop itself,
//     the attempt running on a goroutine of its own; without one, the run's watchdog
//     (Runner.executeWatched), the attempt running on the host's worker at no extra cost;
//   - retries (Config.Retry) wait between attempts as internal/retry's schedule says.
//
// The runner emits the TaskRetry and Breaker events itself, to the run's hooks.

// attempts runs the host's task through the loop and returns the last attempt's result with
// Attempts set (0 when the breaker failed the host without an attempt). start is when the host
// started.
func (rs *runState) attempts(ctx context.Context, t *tasks.Task) (res tasks.Result) {
	r := rs.r
	if r.breaker != nil {
		tk, err := r.breaker.admit(ctx, t.Host, rs)
		if err != nil {
			res.Err = err
			return res
		}
		if tk.br != nil {
			defer func() { r.breaker.record(ctx, rs, tk, t.Host.Name, res.Err) }()
		}
	}
	if r.retry == nil {
		res = rs.attempt(ctx, t)
		res.Attempts = 1
		return res
	}
	return rs.retryLoop(ctx, t)
}

// retryLoop runs attempts until one succeeds, its error is not retryable, the retry budget is
// spent or ctx ends.
func (rs *runState) retryLoop(ctx context.Context, t *tasks.Task) (res tasks.Result) {
	rc := rs.r.retry
	first := rc.Now()
	var sched *retry.Schedule
	at := t
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			// A Task of its own per attempt: an attempt abandoned by the watchdog may still hold
			// the previous one.
			at = &tasks.Task{Host: t.Host, Name: t.Name, DryRun: t.DryRun, Attempt: attempt, Logger: t.Logger,
				Connections: t.Connections}
		}
		res = rs.attempt(ctx, at)
		res.Attempts = attempt
		err := res.Err
		if err == nil || ctx.Err() != nil || !rc.retries(err) {
			return res
		}
		if sched == nil {
			sched = rs.r.policy.StartAt(first)
		}
		var ra time.Duration
		var rae retry.RetryAfterError
		if errors.As(err, &rae) {
			ra = rae.RetryAfter()
		}
		wait, ok := sched.Next(ra)
		if !ok {
			return res
		}
		if rs.chain.HasTaskRetry() {
			rs.chain.TaskRetry(ctx, &hooks.Event{Run: rs.run, Host: t.Host, Task: t.Name, Attempt: attempt,
				Wait: wait, Err: err, Time: rc.Now()})
		}
		if serr := sched.Sleep(ctx, wait); serr != nil {
			class := tasks.Classify(serr)
			if class != tasks.ClassTimeout {
				class = tasks.ClassCanceled
			}
			res.Err = tasks.WithClass(class, &RetryCancelledError{Attempt: attempt, Wait: wait, Cause: serr, Last: err})
			return res
		}
	}
}

// attempt runs one attempt: Config.Middleware and the task, through tasks.Call (which
// recovers panics). Without a Timeout it runs on the caller's goroutine: nothing but the run's
// end can stop it, and the run's watchdog (executeWatched) abandons hosts still running
// AbandonGrace after that. With a Timeout it runs on a goroutine of its own, watched by the
// caller for both the timeout and the run's end.
func (rs *runState) attempt(ctx context.Context, t *tasks.Task) tasks.Result {
	if rs.r.cfg.Timeout <= 0 {
		return tasks.Call(ctx, t, rs.handler)
	}
	return rs.watch(ctx, t)
}

// watch is the host's one watchdog: it runs the attempt in a goroutine of its own and waits
// for it, for the attempt's Timeout and for the run's cancellation at once. Once either ends
// the attempt's context, it waits AbandonGrace more for the task to return (with its own error
// and partial result), then abandons it: the host fails at once, with a *TimeoutError
// (Abandoned) or the run's cause, and the task's goroutine is left to finish on its own.
//
//go:noinline
func (rs *runState) watch(ctx context.Context, t *tasks.Task) tasks.Result {
	d := rs.r.cfg.Timeout
	actx := ctx
	if d > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeoutCause(ctx, d, errAttemptTimeout)
		defer cancel()
	}
	done := make(chan tasks.Result, 1)
	go rs.call(actx, t, done)
	var res tasks.Result
	abandoned := false
	select {
	case res = <-done:
	case <-actx.Done():
		grace := time.NewTimer(AbandonGrace)
		select {
		case res = <-done: // the task honoured its context
		case <-grace.C:
			abandoned = true
		}
		grace.Stop()
	}
	timedOut := d > 0 && context.Cause(actx) == errAttemptTimeout
	switch {
	case abandoned && timedOut:
		res = tasks.Result{Err: &TimeoutError{Host: t.Host.Name, Task: t.Name, Timeout: d, Abandoned: true}}
	case abandoned:
		res = tasks.Result{Err: fmt.Errorf("host %s: task %q abandoned: the run ended while it was running and it did not return: %w",
			t.Host.Name, t.Name, context.Cause(ctx))}
	case res.Err != nil && timedOut:
		res.Err = &TimeoutError{Host: t.Host.Name, Task: t.Name, Timeout: d, Err: res.Err}
	}
	return res
}

// call runs one attempt and hands its result to done.
func (rs *runState) call(ctx context.Context, t *tasks.Task, done chan<- tasks.Result) {
	done <- tasks.Call(ctx, t, rs.handler)
}

// breakerEvents reports the breaker's state changes during this run to the runner's logger and
// the run's Breaker hooks.
func (rs *runState) breakerEvents(ctx context.Context, evs []hooks.BreakerEvent) {
	for _, ev := range evs {
		ev.Run = rs.run
		l := rs.r.cfg.Logger.Warn()
		switch ev.To {
		case stateOpen:
			l = l.Int("failures", ev.Failures).Int("logins", ev.Logins).Strs("hosts", ev.Hosts).Err(ev.Err)
		case stateClosed:
			l = l.Int("released", ev.Released)
		}
		l.Str("run", rs.run.ID).Str("breaker", ev.Name).Str("from", ev.From).Str("to", ev.To).Msg("circuit breaker " + ev.To)
		if rs.chain.HasBreaker() {
			rs.chain.BreakerStateChange(ctx, &ev)
		}
	}
}
