// Package retry is norn's one retry engine: exponential backoff with jitter (on
// cenkalti/backoff/v4), an attempt and time budget, a waiting server's Retry-After honoured, a
// Permanent marker, and a sleep that ends with its context. The runner's attempt loop, the
// hooks' delivery queue and the NetBox client all retry through it.
//
// It is internal: users configure retries through runner.RetryConfig and mark errors with
// tasks.Permanent, which is this package's marker.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Policy says how often and how patiently to retry. The zero value of a field is its
// documented default; Validate reports unusable values.
type Policy struct {
	// MaxAttempts is how many attempts may run, the first included. 0 means no limit besides
	// MaxElapsed (at least one of them should be set); 1 disables retries.
	MaxAttempts int
	// InitialInterval is the wait before the second attempt. Default 1 s.
	InitialInterval time.Duration
	// MaxInterval caps a wait (before jitter). Default 30 s.
	MaxInterval time.Duration
	// Multiplier grows the wait after each attempt. Default 2; must be 1 or more.
	Multiplier float64
	// Jitter randomizes each wait within ±Jitter of it. Default 0 means none; must be below 1.
	Jitter float64
	// MaxElapsed stops retrying once the next wait would end more than MaxElapsed after the
	// first attempt started. Default 0: no limit besides MaxAttempts.
	MaxElapsed time.Duration
	// Sleep waits d or until ctx is done (returning ctx's cause). Tests inject one. Default Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock MaxElapsed is measured with. Default time.Now.
	Now func() time.Time
}

// Validate reports the first unusable field of p.
func (p Policy) Validate() error {
	switch {
	case p.MaxAttempts < 0:
		return fmt.Errorf("invalid MaxAttempts %d: want 0 or more", p.MaxAttempts)
	case p.InitialInterval < 0:
		return fmt.Errorf("invalid InitialInterval %v: want 0 or more", p.InitialInterval)
	case p.MaxInterval < 0:
		return fmt.Errorf("invalid MaxInterval %v: want 0 or more", p.MaxInterval)
	case math.IsNaN(p.Multiplier) || (p.Multiplier != 0 && p.Multiplier < 1):
		return fmt.Errorf("invalid Multiplier %v: want 0 (default 2) or 1 and more", p.Multiplier)
	case math.IsNaN(p.Jitter) || p.Jitter >= 1:
		return fmt.Errorf("invalid Jitter %v: want below 1", p.Jitter)
	case p.MaxElapsed < 0:
		return fmt.Errorf("invalid MaxElapsed %v: want 0 (no limit) or more", p.MaxElapsed)
	}
	return nil
}

func (p Policy) withDefaults() Policy {
	if p.InitialInterval == 0 {
		p.InitialInterval = time.Second
	}
	if p.MaxInterval == 0 {
		p.MaxInterval = 30 * time.Second
	}
	if p.MaxInterval < p.InitialInterval {
		p.MaxInterval = p.InitialInterval
	}
	if p.Multiplier == 0 {
		p.Multiplier = 2
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// Schedule is the sequence of waits of one operation under a Policy. It is not safe for
// concurrent use; start one per operation.
type Schedule struct {
	p       Policy
	b       *backoff.ExponentialBackOff
	start   time.Time
	attempt int // attempts finished so far
}

// Start begins a schedule: the operation's first attempt starts now.
func (p Policy) Start() *Schedule {
	p = p.withDefaults()
	return &Schedule{p: p, start: p.Now()}
}

// StartAt begins a schedule whose first attempt started at start (by the policy's clock), so
// that a caller can create it lazily, after the first attempt failed, and still measure
// MaxElapsed from the first attempt.
func (p Policy) StartAt(start time.Time) *Schedule {
	p = p.withDefaults()
	return &Schedule{p: p, start: start}
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// Next is called after a failed attempt. It returns how long to wait before the next attempt,
// or ok false when the budget is spent (MaxAttempts reached, or the wait would end past
// MaxElapsed). A server's wish (retryAfter > 0, e.g. an HTTP Retry-After) replaces a shorter
// computed wait, but still ends the schedule when it would overrun MaxElapsed.
func (s *Schedule) Next(retryAfter time.Duration) (wait time.Duration, ok bool) {
	s.attempt++
	if s.p.MaxAttempts > 0 && s.attempt >= s.p.MaxAttempts {
		return 0, false
	}
	if s.b == nil {
		s.b = &backoff.ExponentialBackOff{
			InitialInterval: s.p.InitialInterval, RandomizationFactor: max(s.p.Jitter, 0),
			Multiplier: s.p.Multiplier, MaxInterval: s.p.MaxInterval, MaxElapsedTime: s.p.MaxElapsed,
			Stop: backoff.Stop, Clock: clockFunc(s.p.Now),
		}
		s.b.Reset() // measures MaxElapsed from now: checked against s.start below as well
	}
	wait = s.b.NextBackOff()
	if wait == backoff.Stop {
		return 0, false
	}
	wait = max(wait, retryAfter)
	if s.p.MaxElapsed > 0 && s.p.Now().Add(wait).Sub(s.start) > s.p.MaxElapsed {
		return 0, false
	}
	return wait, true
}

// Attempts returns how many attempts have finished (how many times Next was called).
func (s *Schedule) Attempts() int { return s.attempt }

// Sleep waits with the policy's Sleep.
func (s *Schedule) Sleep(ctx context.Context, d time.Duration) error { return s.p.Sleep(ctx, d) }

// Sleep waits d, or until ctx is done, and then returns ctx's cause. d <= 0 returns at once
// (ctx's cause, nil while ctx is live).
func Sleep(ctx context.Context, d time.Duration) error {
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

// permanentError marks an error that must not be retried.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// RetryAfterError is implemented by errors that carry the wait a server asked for (HTTP 429 or
// 503 with Retry-After). Do waits at least that long.
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}

// Options adjust Do.
type Options struct {
	// Retryable decides whether a failed attempt's error is retried. Default nil: every error
	// not marked Permanent. Permanent errors are never retried, whatever it says.
	Retryable func(error) bool
	// OnRetry is called before each wait with the attempt that failed (1-based), its error and
	// the wait. Default nil.
	OnRetry func(attempt int, err error, wait time.Duration)
}

// Do runs op until it succeeds, returns a permanent or non-retryable error, the policy's budget
// is spent, or ctx ends. It returns op's last error (nil on success) and the number of attempts
// made. When ctx ends during a wait, the error is a *CancelledError holding ctx's cause and
// op's last error.
func Do(ctx context.Context, p Policy, o Options, op func(ctx context.Context, attempt int) error) (attempts int, err error) {
	s := p.Start()
	for attempt := 1; ; attempt++ {
		err = op(ctx, attempt)
		if err == nil || IsPermanent(err) || (o.Retryable != nil && !o.Retryable(err)) || ctx.Err() != nil {
			return attempt, err
		}
		var ra time.Duration
		var rae RetryAfterError
		if errors.As(err, &rae) {
			ra = rae.RetryAfter()
		}
		wait, ok := s.Next(ra)
		if !ok {
			return attempt, err
		}
		if o.OnRetry != nil {
			o.OnRetry(attempt, err, wait)
		}
		if serr := s.Sleep(ctx, wait); serr != nil {
			return attempt, &CancelledError{Attempt: attempt, Wait: wait, Cause: serr, Last: err}
		}
	}
}

// CancelledError is the error of an operation whose wait before a retry was cut short by its
// context.
type CancelledError struct {
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
func (e *CancelledError) Error() string {
	return fmt.Sprintf("retry cancelled while waiting %v after attempt %d: %v; last error: %v",
		e.Wait, e.Attempt, e.Cause, e.Last)
}

// Unwrap returns the cause and the last error (the cause first).
func (e *CancelledError) Unwrap() []error { return []error{e.Cause, e.Last} }
