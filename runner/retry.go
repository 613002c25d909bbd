package runner

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/gonorn/norn/internal/retry"
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

// RetryConfig configures the retries of the runner's attempt loop: exponential backoff with
// jitter, through norn's one retry engine (internal/retry, on cenkalti/backoff/v4). The zero
// value of each field is its documented default. A failed attempt whose error has a method
// RetryAfter() time.Duration (a server asking to wait) waits at least that long.
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
		c.Sleep = retry.Sleep
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

// policy is c as the one retry engine's policy.
func (c RetryConfig) policy() retry.Policy {
	return retry.Policy{
		MaxAttempts: c.MaxAttempts, InitialInterval: c.InitialInterval, MaxInterval: c.MaxInterval,
		Multiplier: c.Multiplier, Jitter: max(c.Jitter, 0), MaxElapsed: c.MaxElapsed, Sleep: c.Sleep, Now: c.Now,
	}
}

// retries reports whether err, the error of a failed attempt, may be retried under c.
// Permanent errors and authentication failures never are, whatever c.Retryable says.
func (c *RetryConfig) retries(err error) bool {
	return !tasks.IsPermanent(err) && tasks.Classify(err) != tasks.ClassAuthentication && c.Retryable(err)
}

// RetryCancelledError is the error of a host whose wait before a retry was cut short by the
// run's cancellation (or a deadline). The runner tags it with the class of the cause (canceled
// or timeout). Its Unwrap returns the cause first (it decides the class), then the last
// attempt's error. It is the one retry engine's error type (internal/retry.CancelledError).
type RetryCancelledError = retry.CancelledError
