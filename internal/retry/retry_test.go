package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) policy(p Policy) Policy {
	p.Now = func() time.Time { return c.now }
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		c.now = c.now.Add(d)
		return nil
	}
	return p
}

type raErr struct{ d time.Duration }

func (e raErr) Error() string             { return "busy" }
func (e raErr) RetryAfter() time.Duration { return e.d }

func TestDoAttemptsAndWaits(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	p := c.policy(Policy{MaxAttempts: 4, InitialInterval: time.Second, MaxInterval: 3 * time.Second})
	var waits []time.Duration
	boom := errors.New("boom")
	n, err := Do(context.Background(), p, Options{OnRetry: func(_ int, _ error, w time.Duration) { waits = append(waits, w) }},
		func(context.Context, int) error { return boom })
	if n != 4 || !errors.Is(err, boom) {
		t.Fatalf("Do = %d, %v; want 4 attempts and boom", n, err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

func TestDoPermanentAndRetryable(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	p := c.policy(Policy{MaxAttempts: 5})
	n, err := Do(context.Background(), p, Options{}, func(context.Context, int) error { return Permanent(errors.New("no")) })
	if n != 1 || !IsPermanent(err) {
		t.Fatalf("permanent: %d, %v", n, err)
	}
	n, _ = Do(context.Background(), p, Options{Retryable: func(error) bool { return false }},
		func(context.Context, int) error { return errors.New("x") })
	if n != 1 {
		t.Fatalf("not retryable ran %d attempts", n)
	}
	n, err = Do(context.Background(), p, Options{}, func(_ context.Context, a int) error {
		if a < 3 {
			return errors.New("flaky")
		}
		return nil
	})
	if n != 3 || err != nil {
		t.Fatalf("flaky: %d, %v", n, err)
	}
}

func TestRetryAfterAndElapsedBudget(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	p := c.policy(Policy{InitialInterval: 100 * time.Millisecond, MaxElapsed: 10 * time.Second})
	var waits []time.Duration
	n, err := Do(context.Background(), p, Options{OnRetry: func(_ int, _ error, w time.Duration) { waits = append(waits, w) }},
		func(context.Context, int) error { return raErr{4 * time.Second} })
	if err == nil || n != 3 || len(waits) != 2 || waits[0] != 4*time.Second {
		t.Fatalf("Do = %d, %v, waits %v; want 3 attempts with 4s waits then the 10s budget spent", n, err, waits)
	}
}

func TestCancelledWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{MaxAttempts: 3, InitialInterval: time.Hour}
	last := errors.New("last")
	_, err := Do(ctx, p, Options{}, func(context.Context, int) error {
		time.AfterFunc(10*time.Millisecond, cancel) // during the hour-long wait
		return last
	})
	var ce *CancelledError
	if !errors.As(err, &ce) || !errors.Is(err, context.Canceled) || !errors.Is(err, last) {
		t.Fatalf("err = %v; want a CancelledError wrapping Canceled and the last error", err)
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []Policy{{MaxAttempts: -1}, {Multiplier: 0.5}, {Jitter: 1}, {MaxElapsed: -1}} {
		if p.Validate() == nil {
			t.Errorf("%+v: want an error", p)
		}
	}
	if (Policy{}).Validate() != nil {
		t.Error("zero policy must be valid")
	}
}
