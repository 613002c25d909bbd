package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// Defaults of BreakerConfig.
const (
	DefaultBreakerFailures    = 3
	DefaultBreakerOpenTimeout = time.Minute
	DefaultBreakerProbes      = 1
)

// BreakerConfig configures a circuit breaker (on sony/gobreaker/v2). The zero value of each
// field is its documented default.
type BreakerConfig struct {
	// Key maps a host to the scope of its breaker: hosts with the same key share one breaker.
	// A key of "" leaves the host unguarded. Default nil means ByRun(): one breaker for every
	// host of the runner. See also ByGroup and ByData.
	Key func(h *inventory.Host) string

	// Failures is how many consecutive counted failures (see Classes) in a scope open its
	// breaker. Successes reset the count; failures of other classes leave it unchanged.
	// Default 0 means DefaultBreakerFailures (3). Negative is an error.
	Failures int

	// Classes are the error classes (tasks.Classify) that count as failures. Default nil means
	// authentication failures only, so a wrong or expired password does not lock the account
	// out across the whole AAA server.
	Classes []tasks.Class

	// OpenTimeout is how long a breaker stays open (hosts fail fast) before it lets probes
	// through (half-open). Default 0 means DefaultBreakerOpenTimeout (1 min). Negative is an
	// error.
	OpenTimeout time.Duration

	// Probes is how many hosts a half-open breaker lets run at the same time, and how many
	// consecutive successes close it (one counted failure reopens it). Other hosts keep failing
	// fast meanwhile. Default 0 means DefaultBreakerProbes (1). Negative is an error.
	Probes int
}

func (c BreakerConfig) withDefaults() (BreakerConfig, error) {
	switch {
	case c.Failures < 0:
		return c, fmt.Errorf("invalid Failures %d: want 0 (default %d) or more", c.Failures, DefaultBreakerFailures)
	case c.OpenTimeout < 0:
		return c, fmt.Errorf("invalid OpenTimeout %v: want 0 (default %v) or more", c.OpenTimeout, DefaultBreakerOpenTimeout)
	case c.Probes < 0:
		return c, fmt.Errorf("invalid Probes %d: want 0 (default %d) or more", c.Probes, DefaultBreakerProbes)
	}
	for i, cl := range c.Classes {
		if cl == tasks.ClassNone {
			return c, fmt.Errorf("invalid Classes: element %d is empty", i)
		}
	}
	if c.Key == nil {
		c.Key = ByRun()
	}
	if c.Failures == 0 {
		c.Failures = DefaultBreakerFailures
	}
	if len(c.Classes) == 0 {
		c.Classes = []tasks.Class{tasks.ClassAuthentication}
	} else {
		c.Classes = slices.Clone(c.Classes)
	}
	if c.OpenTimeout == 0 {
		c.OpenTimeout = DefaultBreakerOpenTimeout
	}
	if c.Probes == 0 {
		c.Probes = DefaultBreakerProbes
	}
	return c, nil
}

// ByRun keys every host to one breaker named "run".
func ByRun() func(*inventory.Host) string {
	return func(*inventory.Host) string { return "run" }
}

// ByGroup keys a host to the breaker of the first of groups it belongs to (directly or through
// nested groups), named "group=<name>". Hosts in none of them share the breaker "group=".
func ByGroup(groups ...string) func(*inventory.Host) string {
	groups = slices.Clone(groups)
	return func(h *inventory.Host) string {
		for _, g := range groups {
			if h.InGroup(g) {
				return "group=" + g
			}
		}
		return "group="
	}
}

// ByData keys a host to the breaker of its value for a data key (looked up through its groups
// and the defaults, Host.Get), named "<key>=<value>", e.g. ByData("site") gives "site=ams1".
// Hosts without the key share the breaker "<key>=".
func ByData(key string) func(*inventory.Host) string {
	return func(h *inventory.Host) string {
		if v, ok := h.Get(key); ok && v != nil {
			return key + "=" + fmt.Sprint(v)
		}
		return key + "="
	}
}

// Breaker is a set of circuit breakers, one per scope key, shared by every run of a runner.
// Build one with NewBreaker and use its Middleware, or set Config.Breaker.
type Breaker struct {
	cfg BreakerConfig
	mu  sync.Mutex
	m   map[string]*breaker
}

type breaker struct {
	name string
	cb   *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu      sync.Mutex
	consec  int       // consecutive counted failures seen by this middleware
	lastErr error     // last counted failure
	since   time.Time // when it last opened
	tripErr error     // the failure that opened it
	tripN   int       // consecutive failures when it opened
	pending []hooks.BreakerEvent
}

// NewBreaker validates cfg and returns a Breaker.
func NewBreaker(cfg BreakerConfig) (*Breaker, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("runner: breaker: %w", err)
	}
	return &Breaker{cfg: c, m: map[string]*breaker{}}, nil
}

// errExcluded stands for a failure the breaker does not count.
var errExcluded = errors.New("excluded")

func (b *Breaker) get(key string) *breaker {
	b.mu.Lock()
	defer b.mu.Unlock()
	if br := b.m[key]; br != nil {
		return br
	}
	br := &breaker{name: key}
	br.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         key,
		MaxRequests:  uint32(b.cfg.Probes),
		Timeout:      b.cfg.OpenTimeout,
		ReadyToTrip:  func(c gobreaker.Counts) bool { return int(c.ConsecutiveFailures) >= b.cfg.Failures },
		IsSuccessful: func(err error) bool { return err == nil },
		IsExcluded:   func(err error) bool { return err == errExcluded },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			// Called under gobreaker's lock: record, dispatch later from the caller.
			now := time.Now()
			br.mu.Lock()
			ev := hooks.BreakerEvent{Name: key, From: from.String(), To: to.String(), Time: now}
			if to == gobreaker.StateOpen {
				br.since, br.tripErr = now, br.lastErr
				br.tripN = max(br.consec, 1)
				ev.Failures, ev.Err = br.tripN, br.tripErr
			}
			br.consec = 0
			br.pending = append(br.pending, ev)
			br.mu.Unlock()
		},
	})
	b.m[key] = br
	return br
}

// counted reports whether err is a failure of the configured classes.
func (b *Breaker) counted(err error) bool {
	return slices.Contains(b.cfg.Classes, tasks.Classify(err))
}

// State returns the state of the breaker of key ("closed", "open" or "half-open"), or "" when
// no host of that key ran yet.
func (b *Breaker) State(key string) string {
	b.mu.Lock()
	br := b.m[key]
	b.mu.Unlock()
	if br == nil {
		return ""
	}
	return br.cb.State().String()
}

// States returns the state of every breaker by key.
func (b *Breaker) States() map[string]string {
	b.mu.Lock()
	brs := maps.Clone(b.m)
	b.mu.Unlock()
	out := make(map[string]string, len(brs))
	for k, br := range brs {
		out[k] = br.cb.State().String()
	}
	return out
}

// Middleware returns the breaker as middleware. While a host's breaker is open the host fails
// fast, without running the task, with a *BreakerOpenError (class tasks.ClassBreakerOpen)
// naming the breaker, why it opened and since when. After OpenTimeout the breaker lets Probes
// hosts through (half-open): their success closes it, a counted failure reopens it. State
// changes are reported to the run's Breaker hooks and logged by the runner.
func (b *Breaker) Middleware() Middleware {
	return func(next tasks.Func) tasks.Func {
		return func(ctx context.Context, t *tasks.Task) (res tasks.Result, err error) {
			key := b.cfg.Key(t.Host)
			if key == "" {
				return next(ctx, t)
			}
			br := b.get(key)
			done, aerr := br.cb.Allow()
			b.dispatch(ctx, br)
			if aerr != nil {
				return tasks.Result{}, br.openError(t.Host.Name, aerr)
			}
			completed := false
			defer func() {
				if !completed { // next panicked: count it as a panic, then let it go on
					b.report(br, done, &tasks.PanicError{Value: "panic"})
					b.dispatch(ctx, br)
				}
			}()
			res, err = next(ctx, t)
			if err == nil {
				err = res.Err
			}
			completed = true
			b.report(br, done, err)
			b.dispatch(ctx, br)
			return res, err
		}
	}
}

func (b *Breaker) report(br *breaker, done func(error), err error) {
	switch {
	case err == nil:
		br.mu.Lock()
		br.consec = 0
		br.mu.Unlock()
		done(nil)
	case b.counted(err):
		br.mu.Lock()
		br.consec++
		br.lastErr = err
		br.mu.Unlock()
		done(err)
	default:
		done(errExcluded)
	}
}

// dispatch reports br's pending state changes to the run's hooks and logger.
func (b *Breaker) dispatch(ctx context.Context, br *breaker) {
	br.mu.Lock()
	evs := br.pending
	br.pending = nil
	br.mu.Unlock()
	if len(evs) == 0 {
		return
	}
	rs := runFrom(ctx)
	for i := range evs {
		ev := &evs[i]
		if rs == nil {
			continue
		}
		ev.Run = rs.run
		l := rs.r.cfg.Logger.Warn()
		if ev.To == "open" {
			l = l.Int("failures", ev.Failures).Err(ev.Err)
		}
		l.Str("run", rs.run.ID).Str("breaker", ev.Name).Str("from", ev.From).Str("to", ev.To).Msg("circuit breaker " + ev.To)
		if rs.chain.HasBreaker() {
			rs.chain.BreakerStateChange(ctx, ev)
		}
	}
}

func (br *breaker) openError(host string, err error) error {
	br.mu.Lock()
	e := &BreakerOpenError{Host: host, Breaker: br.name, State: "open", Since: br.since, Failures: br.tripN, Cause: br.tripErr}
	br.mu.Unlock()
	if errors.Is(err, gobreaker.ErrTooManyRequests) {
		e.State = "half-open"
	}
	return tasks.WithClass(tasks.ClassBreakerOpen, e)
}

// ErrBreakerOpen is what a *BreakerOpenError unwraps to.
var ErrBreakerOpen = errors.New("circuit breaker open")

// BreakerOpenError is the error of a host that failed fast because its circuit breaker was
// open (or half-open with its probes already running). It does not unwrap to the failure that
// opened the breaker: the host itself was never attempted.
type BreakerOpenError struct {
	// Host is the host that was not attempted.
	Host string
	// Breaker names the breaker (its scope key, e.g. "site=ams1").
	Breaker string
	// State is "open", or "half-open" when probes are already running.
	State string
	// Since is when the breaker opened.
	Since time.Time
	// Failures is how many consecutive counted failures opened it.
	Failures int
	// Cause is the failure that opened it.
	Cause error
}

// Error returns the error message.
func (e *BreakerOpenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "host %s: not attempted: circuit breaker %q is %s", e.Host, e.Breaker, e.State)
	if e.State == "half-open" {
		b.WriteString(" (recovery probes running)")
	}
	if !e.Since.IsZero() {
		fmt.Fprintf(&b, ", opened at %s", e.Since.Format(time.RFC3339))
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, " after %d consecutive %s failure(s); last: %v", e.Failures, tasks.Classify(e.Cause), e.Cause)
	}
	return b.String()
}

// Unwrap returns ErrBreakerOpen.
func (e *BreakerOpenError) Unwrap() error { return ErrBreakerOpen }
