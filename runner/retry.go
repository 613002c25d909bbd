package runner

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/tasks"
)

// Defaults of RetryConfig.
const (
	DefaultRetryMaxAttempts     = 3
	DefaultRetryInitialInterval = time.Second
	DefaultRetryMaxInterval     = 30 * time.Second
	DefaultRetryMultiplier      = 2.0
	DefaultRetryJitter          = 0.5
)

// RetryConfig configures the Retry middleware: exponential backoff with jitter, on
// cenkalti/backoff/v4. The zero value of each field is its documented default.
type RetryConfig struct {
	// MaxAttempts is how many times a host's task may run, the first attempt included.
	// Default 0 means DefaultRetryMaxAttempts (3); 1 disables retries. Negative is an error.
	MaxAttempts int

	// InitialInterval is the wait before the second attempt. Default 0 means
	// DefaultRetryInitialInterval (1 s).
	InitialInterval time.Duration

	// MaxInterval caps the wait between attempts (before jitter). Default 0 means
	// DefaultRetryMaxInterval (30 s).
	MaxInterval time.Duration

	// Multiplier grows the wait after each attempt. Default 0 means DefaultRetryMultiplier (2);
	// it must be 1 or more.
	Multiplier float64

	// Jitter randomizes each wait within ±Jitter of it (the randomization factor), so a fleet
	// does not retry in lockstep. Default 0 means DefaultRetryJitter (0.5); negative disables
	// jitter; it must be below 1.
	Jitter float64

	// MaxElapsed stops retrying once the next wait would end more than MaxElapsed after the
	// first attempt started. Default 0: no limit besides MaxAttempts. Negative is an error.
	MaxElapsed time.Duration

	// Retryable decides whether a failed attempt's error is retried. Default nil means
	// Retryable (the package function): everything except permanent errors
	// (tasks.Permanent), authentication failures, configuration errors, panics, vetoes, open
	// breakers and cancellation. Whatever Retryable says, tasks.IsPermanent errors and
	// authentication failures are never retried.
	Retryable func(error) bool

	// Sleep waits d or until ctx is done, returning ctx's cause then. Tests inject a fake to
	// run without real time. Default nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error

	// Now is the clock MaxElapsed is measured with. Default nil: time.Now.
	Now func() time.Time
}

func (c RetryConfig) withDefaults() (RetryConfig, error) {
	switch {
	case c.MaxAttempts < 0:
		return c, fmt.Errorf("invalid MaxAttempts %d: want 0 (default %d) or more", c.MaxAttempts, DefaultRetryMaxAttempts)
	case c.InitialInterval < 0:
		return c, fmt.Errorf("invalid InitialInterval %v: want 0 (default %v) or more", c.InitialInterval, DefaultRetryInitialInterval)
	case c.MaxInterval < 0:
		return c, fmt.Errorf("invalid MaxInterval %v: want 0 (default %v) or more", c.MaxInterval, DefaultRetryMaxInterval)
	case math.IsNaN(c.Multiplier) || (c.Multiplier != 0 && c.Multiplier < 1):
		return c, fmt.Errorf("invalid Multiplier %v: want 0 (default %v) or 1 and more", c.Multiplier, DefaultRetryMultiplier)
	case math.IsNaN(c.Jitter) || c.Jitter >= 1:
		return c, fmt.Errorf("invalid Jitter %v: want below 1 (0: default %v, negative: none)", c.Jitter, DefaultRetryJitter)
	case c.MaxElapsed < 0:
		return c, fmt.Errorf("invalid MaxElapsed %v: want 0 (no limit) or more", c.MaxElapsed)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultRetryMaxAttempts
	}
	if c.InitialInterval == 0 {
		c.InitialInterval = DefaultRetryInitialInterval
	}
	if c.MaxInterval == 0 {
		c.MaxInterval = DefaultRetryMaxInterval
	}
	if c.Multiplier == 0 {
		c.Multiplier = DefaultRetryMultiplier
	}
	if c.Jitter == 0 {
		c.Jitter = DefaultRetryJitter
	} // negative stays negative (no jitter) so that withDefaults is idempotent
	if c.Retryable == nil {
		c.Retryable = Retryable
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// Validate reports whether c is usable, naming the bad field.
func (c RetryConfig) Validate() error {
	_, err := c.withDefaults()
	return err
}

// Retryable is RetryConfig's default Retryable: it retries every error except permanent ones
// (tasks.IsPermanent, which includes authentication failures) and those of classes
// authentication, config, panic, vetoed, breaker_open, canceled and not_run.
func Retryable(err error) bool {
	if err == nil || tasks.IsPermanent(err) {
		return false
	}
	switch tasks.Classify(err) {
	case tasks.ClassAuthentication, tasks.ClassConfig, tasks.ClassPanic, tasks.ClassVetoed,
		tasks.ClassBreakerOpen, tasks.ClassCanceled, tasks.ClassNotRun:
		return false
	}
	return true
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// Retry returns middleware that runs next again while its error is retryable, waiting with
// exponential backoff and jitter between attempts, up to cfg.MaxAttempts and cfg.MaxElapsed.
// Before each attempt it sets Task.Attempt (1-based) and, from the second on, forgets the
// previous attempt's subtask results; the result's Attempts says how many ran. Each retry is
// reported to the run's TaskRetry hooks (the attempt that failed, its error, the wait). A
// cancelled context cuts the wait short: the host then fails with the cancellation and the
// last error.
//
// Authentication failures and tasks.Permanent errors are never retried. Retry panics if cfg is
// invalid (see RetryConfig.Validate); Config.Retry is validated by New instead.
func Retry(cfg RetryConfig) Middleware {
	c, err := cfg.withDefaults()
	if err != nil {
		panic("runner: Retry: " + err.Error())
	}
	return func(next tasks.Func) tasks.Func {
		return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
			var b *backoff.ExponentialBackOff
			for attempt := 1; ; attempt++ {
				if attempt > 1 {
					t.ResetSubResults()
				}
				t.Attempt = attempt
				res, err := next(ctx, t)
				if err == nil {
					err = res.Err
				}
				res.Err = err
				res.Attempts = attempt
				if err == nil || attempt >= c.MaxAttempts || ctx.Err() != nil ||
					tasks.IsPermanent(err) || tasks.Classify(err) == tasks.ClassAuthentication || !c.Retryable(err) {
					return res, err
				}
				if b == nil {
					b = &backoff.ExponentialBackOff{
						InitialInterval: c.InitialInterval, RandomizationFactor: max(c.Jitter, 0), Multiplier: c.Multiplier,
						MaxInterval: c.MaxInterval, MaxElapsedTime: c.MaxElapsed, Stop: backoff.Stop,
						Clock: clockFunc(c.Now),
					}
					b.Reset()
				}
				wait := b.NextBackOff()
				if wait == backoff.Stop {
					return res, err
				}
				if rs := runFrom(ctx); rs != nil && rs.chain.HasTaskRetry() {
					rs.chain.TaskRetry(ctx, &hooks.Event{Run: rs.run, Host: t.Host, Task: t.Name, Attempt: attempt,
						Wait: wait, Err: err, Time: c.Now()})
				}
				if serr := c.Sleep(ctx, wait); serr != nil {
					class := tasks.Classify(serr)
					if class != tasks.ClassTimeout {
						class = tasks.ClassCanceled
					}
					res.Err = tasks.WithClass(class, &RetryCancelledError{Attempt: attempt, Wait: wait, Cause: serr, Last: err})
					return res, res.Err
				}
			}
		}
	}
}

// RetryCancelledError is the error of a host whose wait before a retry was cut short by the
// run's cancellation (or timeout). Retry tags it with the class of the cause (canceled or
// timeout).
type RetryCancelledError struct {
	// Attempt is the attempt that failed before the wait.
	Attempt int
	// Wait is the wait that was cut short.
	Wait time.Duration
	// Cause is why the wait ended (the context's cause).
	Cause error
	// Last is the error of the last attempt.
	Last error
}

// Error returns the error message.
func (e *RetryCancelledError) Error() string {
	return fmt.Sprintf("retry cancelled while waiting %v after attempt %d: %v; last error: %v",
		e.Wait, e.Attempt, e.Cause, e.Last)
}

// Unwrap returns the cause and the last error (the cause first, so it decides the class).
func (e *RetryCancelledError) Unwrap() []error { return []error{e.Cause, e.Last} }
