package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// Defaults of BreakerConfig.
const (
	// DefaultBreakerWindow is how many recent logins of a scope the failure ratio is taken
	// over.
	DefaultBreakerWindow = 20
	// DefaultBreakerMinLogins is how many logins a window must hold before the ratio can open
	// the breaker.
	DefaultBreakerMinLogins = 10
	// DefaultBreakerFailureRatio is the ratio of counted failures in the window that opens it:
	// high, because failed logins come back fast while good ones take a whole task, so the first
	// outcomes of a scope over-represent the few devices with a wrong local account.
	DefaultBreakerFailureRatio = 0.8
	// DefaultBreakerOpenTimeout is how long a breaker stays open before it lets probes through.
	DefaultBreakerOpenTimeout = 30 * time.Second
	// DefaultBreakerProbes is how many hosts a half-open breaker lets run.
	DefaultBreakerProbes = 1
	// DefaultBreakerMaxHeld is how many hosts of a scope may wait while its breaker is open.
	DefaultBreakerMaxHeld = 16
)

// BreakerConfig configures the runner's circuit breakers: one per scope (an AAA domain: a site
// by default), each opening when a high ratio of its recent logins failed with a counted class
// (authentication by default), so that a few devices with a wrong local account do not stop
// the others while a failing AAA server does not lock the account out. The zero value of each
// field is its documented default.
//
// While a scope's breaker is open its hosts are held back (they wait, up to MaxHeld of them
// for at most MaxWait) rather than failed; after OpenTimeout it lets Probes hosts through
// (half-open); when they succeed it closes and the held hosts run. Hosts beyond MaxHeld, and
// those still waiting after MaxWait, fail without an attempt with a *BreakerOpenError (class
// tasks.ClassBreakerOpen).
type BreakerConfig struct {
	// Key maps a host to the scope of its breaker (its AAA domain): hosts with the same key
	// share one breaker. A key of "" leaves the host unguarded. Default nil means
	// ByData("site"): one breaker per site (hosts without a site share "site="). ByRun() gives
	// one breaker for every host; see also ByGroup.
	Key func(h *inventory.Host) string

	// Classes are the error classes (tasks.Classify) that count as failed logins. Default nil
	// means authentication failures only. Failures of other classes (a device that does not
	// answer) are not logins and leave the window unchanged.
	Classes []tasks.Class

	// Window is how many recent logins (successes and counted failures) of a scope the failure
	// ratio is taken over. Default 0 means DefaultBreakerWindow (20). Negative is an error.
	Window int

	// MinLogins is how many logins the window must hold before the breaker may open. Default 0
	// means DefaultBreakerMinLogins (10), capped at Window. Negative is an error.
	MinLogins int

	// FailureRatio opens the breaker when counted failures / logins in the window reach it.
	// Default 0 means DefaultBreakerFailureRatio (0.8). Must be within (0, 1].
	FailureRatio float64

	// OpenTimeout is how long a breaker stays open before it lets probes through (half-open).
	// Default 0 means DefaultBreakerOpenTimeout (30 s). Negative is an error.
	OpenTimeout time.Duration

	// Probes is how many hosts a half-open breaker lets run, and how many successes close it
	// (one counted failure reopens it). Default 0 means DefaultBreakerProbes (1). Negative is an
	// error.
	Probes int

	// MaxHeld is how many hosts of a scope may wait while its breaker is open (each holds a
	// worker); the next ones fail fast. Default 0 means DefaultBreakerMaxHeld (16); negative
	// holds none back (every host fails fast while the breaker is open).
	MaxHeld int

	// MaxWait is how long a held host waits for its breaker to close before it fails. Default 0
	// means twice OpenTimeout (time for a probe and a second one). Negative is an error.
	MaxWait time.Duration
}

func (c BreakerConfig) withDefaults() (BreakerConfig, error) {
	switch {
	case c.Window < 0:
		return c, fmt.Errorf("invalid Window %d: want 0 (default %d) or more", c.Window, DefaultBreakerWindow)
	case c.MinLogins < 0:
		return c, fmt.Errorf("invalid MinLogins %d: want 0 (default %d) or more", c.MinLogins, DefaultBreakerMinLogins)
	case math.IsNaN(c.FailureRatio) || c.FailureRatio < 0 || c.FailureRatio > 1:
		return c, fmt.Errorf("invalid FailureRatio %v: want 0 (default %v) or a fraction within (0, 1]", c.FailureRatio, DefaultBreakerFailureRatio)
	case c.OpenTimeout < 0:
		return c, fmt.Errorf("invalid OpenTimeout %v: want 0 (default %v) or more", c.OpenTimeout, DefaultBreakerOpenTimeout)
	case c.Probes < 0:
		return c, fmt.Errorf("invalid Probes %d: want 0 (default %d) or more", c.Probes, DefaultBreakerProbes)
	case c.MaxWait < 0:
		return c, fmt.Errorf("invalid MaxWait %v: want 0 (twice OpenTimeout) or more", c.MaxWait)
	}
	for i, cl := range c.Classes {
		if cl == tasks.ClassNone {
			return c, fmt.Errorf("invalid Classes: element %d is empty", i)
		}
	}
	if c.Key == nil {
		c.Key = ByData("site")
	}
	if len(c.Classes) == 0 {
		c.Classes = []tasks.Class{tasks.ClassAuthentication}
	} else {
		c.Classes = slices.Clone(c.Classes)
	}
	if c.Window == 0 {
		c.Window = DefaultBreakerWindow
	}
	if c.MinLogins == 0 {
		c.MinLogins = DefaultBreakerMinLogins
	}
	c.MinLogins = min(c.MinLogins, c.Window)
	if c.FailureRatio == 0 {
		c.FailureRatio = DefaultBreakerFailureRatio
	}
	if c.OpenTimeout == 0 {
		c.OpenTimeout = DefaultBreakerOpenTimeout
	}
	if c.Probes == 0 {
		c.Probes = DefaultBreakerProbes
	}
	if c.MaxHeld == 0 {
		c.MaxHeld = DefaultBreakerMaxHeld
	}
	// Negative stays negative (none held), so that withDefaults is idempotent.
	if c.MaxWait == 0 {
		c.MaxWait = 2 * c.OpenTimeout
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
	prefix := key + "="
	return func(h *inventory.Host) string {
		v, ok := h.Get(key)
		if !ok || v == nil {
			return prefix
		}
		if s, ok := v.(string); ok {
			return prefix + s
		}
		return prefix + fmt.Sprint(v)
	}
}

// Breaker is the runner's set of circuit breakers, one per scope key, shared by every run of
// the runner (Runner.Breaker). It is a policy of the runner's attempt loop: a host's breaker is
// consulted before its first attempt and told the host's outcome after its last; the runner
// reports its state changes to the run's Breaker hooks and logger.
type Breaker struct {
	cfg BreakerConfig
	m   sync.Map // scope key -> *breaker
}

// The states of a breaker.
const (
	stateClosed   = "closed"
	stateOpen     = "open"
	stateHalfOpen = "half-open"
)

type login struct {
	failed bool
	host   string
}

type breaker struct {
	name string
	cfg  *BreakerConfig

	closed   atomic.Bool // state == stateClosed, read without the lock
	mu       sync.Mutex
	state    string
	ring     []login // the window of recent logins, a ring
	next     int     // where the next login goes in ring
	n, fails int     // logins and counted failures in the window
	lastErr  error   // last counted failure
	probes   int     // probes running
	probeOK  int     // probes that succeeded since it went half-open
	held     int     // hosts waiting now
	changed  chan struct{}
	rep      BreakerReport
}

// newBreaker validates cfg and returns a Breaker.
func newBreaker(cfg BreakerConfig) (*Breaker, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Breaker{cfg: c}, nil
}

func (b *Breaker) get(key string) *breaker {
	if v, ok := b.m.Load(key); ok {
		return v.(*breaker)
	}
	br := &breaker{name: key, cfg: &b.cfg, state: stateClosed, ring: make([]login, b.cfg.Window), changed: make(chan struct{})}
	br.closed.Store(true)
	br.rep.Name = key
	v, _ := b.m.LoadOrStore(key, br)
	return v.(*breaker)
}

func (b *Breaker) lookup(key string) *breaker {
	if v, ok := b.m.Load(key); ok {
		return v.(*breaker)
	}
	return nil
}

// State returns the state of the breaker of key ("closed", "open" or "half-open"), or "" when
// no host of that key ran yet.
func (b *Breaker) State(key string) string {
	br := b.lookup(key)
	if br == nil {
		return ""
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	br.tick(time.Now(), nil)
	return br.state
}

// States returns the state of every breaker by key.
func (b *Breaker) States() map[string]string {
	out := map[string]string{}
	for _, r := range b.all() {
		out[r.Name] = r.State
	}
	return out
}

// BreakerReport is what a breaker decided, for a run's summary: when it opened and why, how
// many hosts it held back, and what became of them. Counts are since the runner was built.
type BreakerReport struct {
	// Name is the breaker's scope key, e.g. "site=ams1".
	Name string
	// State is its state now: "closed", "open" or "half-open".
	State string
	// Openings lists each time it opened, oldest first.
	Openings []BreakerOpening
	// HeldBack counts the hosts that waited while it was open.
	HeldBack int
	// HeldThenTried counts the held hosts that ran once it let them (closed, or as probes).
	HeldThenTried int
	// FailedFast counts the hosts failed without an attempt (class breaker_open): more than
	// MaxHeld waiting, or still waiting after MaxWait.
	FailedFast int
	// Probes counts the hosts let through while it was half-open.
	Probes int
	// Logins and Failures count the logins it saw (and the counted failures among them).
	Logins, Failures int
}

// BreakerOpening is one opening of a breaker.
type BreakerOpening struct {
	// At is when it opened; Closed when it closed again (zero while it has not).
	At, Closed time.Time
	// Failures and Logins are the counted failures among the logins in its window.
	Failures, Logins int
	// Hosts are the hosts whose failures are in the window (a probe's host on a reopening).
	Hosts []string
	// Err is the last counted failure.
	Err error
}

// Report returns what every breaker that opened or held a host back decided, sorted by name.
// Breakers that never did anything are left out: an empty report means no host was stopped.
// A nil Breaker (a runner without Config.Breaker) reports nothing.
func (b *Breaker) Report() []BreakerReport {
	if b == nil {
		return nil
	}
	var out []BreakerReport
	for _, r := range b.all() {
		if len(r.Openings) > 0 || r.HeldBack > 0 || r.FailedFast > 0 {
			out = append(out, r)
		}
	}
	return out
}

// all returns a copy of every breaker's report, sorted by name.
func (b *Breaker) all() []BreakerReport {
	var brs []*breaker
	b.m.Range(func(_, v any) bool {
		brs = append(brs, v.(*breaker))
		return true
	})
	out := make([]BreakerReport, 0, len(brs))
	now := time.Now()
	for _, br := range brs {
		br.mu.Lock()
		br.tick(now, nil)
		r := br.rep
		r.State = br.state
		r.Openings = slices.Clone(r.Openings)
		for i := range r.Openings {
			r.Openings[i].Hosts = slices.Clone(r.Openings[i].Hosts)
		}
		br.mu.Unlock()
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b BreakerReport) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// String returns one line: "site=ams1: opened 1x (5 of 6 logins failed: r1, r2, ...), 12 held
// back, 12 then tried, 0 failed fast; now closed".
func (r BreakerReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: opened %dx", r.Name, len(r.Openings))
	if n := len(r.Openings); n > 0 {
		o := r.Openings[n-1]
		hosts := o.Hosts
		more := ""
		if len(hosts) > 5 {
			hosts, more = hosts[:5], fmt.Sprintf(" and %d more", len(o.Hosts)-5)
		}
		fmt.Fprintf(&b, " (last at %s: %d of %d logins failed: %s%s)", o.At.Format(time.RFC3339), o.Failures, o.Logins,
			strings.Join(hosts, ", "), more)
	}
	fmt.Fprintf(&b, ", %d held back, %d then tried, %d failed fast, %d probe(s); now %s",
		r.HeldBack, r.HeldThenTried, r.FailedFast, r.Probes, r.State)
	return b.String()
}

// ticket is a host's admission by its breaker.
type ticket struct {
	br    *breaker // nil: unguarded
	probe bool
}

// admit is consulted before a host's first attempt. While the host's breaker is closed it
// returns at once. While it is open, the host waits (held back, within MaxHeld and MaxWait)
// until it closes or lets the host through as a probe; the error is a *BreakerOpenError when
// the host is failed without an attempt, or a *NotRunError when ctx ended while it waited.
func (b *Breaker) admit(ctx context.Context, h *inventory.Host, rs *runState) (ticket, error) {
	key := b.cfg.Key(h)
	if key == "" {
		return ticket{}, nil
	}
	br := b.get(key)
	if br.closed.Load() { // the common case, kept cheap
		return ticket{br: br}, nil
	}
	return b.wait(ctx, h, br, rs)
}

// wait is admit's slow path: the breaker is (or was just) open or half-open.
func (b *Breaker) wait(ctx context.Context, h *inventory.Host, br *breaker, rs *runState) (ticket, error) {
	var evs []hooks.BreakerEvent
	defer func() { rs.breakerEvents(ctx, evs) }()
	br.mu.Lock()
	defer br.mu.Unlock()
	var deadline time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	waited := false
	for {
		now := time.Now()
		br.tick(now, &evs)
		switch {
		case br.state == stateClosed:
			if waited {
				br.held--
				br.rep.HeldThenTried++
			}
			return ticket{br: br}, nil
		case br.state == stateHalfOpen && br.probes < b.cfg.Probes:
			br.probes++
			br.rep.Probes++
			if waited {
				br.held--
				br.rep.HeldThenTried++
			}
			return ticket{br: br, probe: true}, nil
		}
		if !waited {
			if br.held >= max(b.cfg.MaxHeld, 0) {
				br.rep.FailedFast++
				return ticket{}, br.openError(h.Name, 0)
			}
			waited = true
			br.held++
			br.rep.HeldBack++
			deadline = now.Add(b.cfg.MaxWait)
		}
		if !now.Before(deadline) {
			br.held--
			br.rep.FailedFast++
			return ticket{}, br.openError(h.Name, b.cfg.MaxWait)
		}
		wake := deadline
		if half := br.openedAt().Add(b.cfg.OpenTimeout); br.state == stateOpen && half.Before(wake) {
			wake = half
		}
		if timer == nil {
			timer = time.NewTimer(wake.Sub(now))
		} else {
			timer.Reset(wake.Sub(now))
		}
		ch := br.changed
		br.mu.Unlock()
		var done bool
		select {
		case <-ch:
		case <-timer.C:
		case <-ctx.Done():
			done = true
		}
		br.mu.Lock()
		if done {
			br.held--
			return ticket{}, &NotRunError{Host: h.Name, Reason: fmt.Sprintf("held back by circuit breaker %q (%s) when the run ended", br.name, br.state),
				Cause: context.Cause(ctx)}
		}
	}
}

// record tells the host's breaker the host's outcome (err nil: a successful login).
func (b *Breaker) record(ctx context.Context, rs *runState, tk ticket, host string, err error) {
	br := tk.br
	if br == nil {
		return
	}
	counted := err != nil && slices.Contains(b.cfg.Classes, tasks.Classify(err))
	var evs []hooks.BreakerEvent
	br.mu.Lock()
	if err == nil && br.state == stateClosed && !tk.probe { // the common case, kept cheap
		br.rep.Logins++
		br.push(login{host: host})
		br.mu.Unlock()
		return
	}
	if tk.probe && br.probes > 0 {
		br.probes--
	}
	if err == nil || counted {
		br.rep.Logins++
		if counted {
			br.rep.Failures++
			br.lastErr = err
		}
	}
	now := time.Now()
	br.tick(now, &evs)
	switch {
	case err != nil && !counted: // not a login: no decision, but a probe slot may be free
		if tk.probe {
			br.signal()
		}
	case br.state == stateClosed:
		br.push(login{failed: counted, host: host})
		if br.n >= b.cfg.MinLogins && float64(br.fails) >= b.cfg.FailureRatio*float64(br.n) {
			br.open(now, br.fails, br.n, br.failedHosts(), &evs)
		}
	case br.state == stateHalfOpen && tk.probe:
		if counted {
			br.open(now, 1, 1, []string{host}, &evs)
		} else if br.probeOK++; br.probeOK >= b.cfg.Probes {
			br.close(now, &evs)
		}
	}
	// Outcomes of hosts admitted before it opened (open, or half-open but not a probe) decide
	// nothing: the probes do.
	br.mu.Unlock()
	rs.breakerEvents(ctx, evs)
}

// push adds a login to the window, dropping the oldest when it is full.
func (br *breaker) push(l login) {
	if br.n == len(br.ring) {
		if br.ring[br.next].failed {
			br.fails--
		}
		br.n--
	}
	br.ring[br.next] = l
	br.next = (br.next + 1) % len(br.ring)
	br.n++
	if l.failed {
		br.fails++
	}
}

// failedHosts returns the hosts of the counted failures in the window, oldest first.
func (br *breaker) failedHosts() []string {
	var out []string
	start := (br.next - br.n + len(br.ring)) % len(br.ring)
	for i := range br.n {
		if l := br.ring[(start+i)%len(br.ring)]; l.failed {
			out = append(out, l.host)
		}
	}
	return out
}

func (br *breaker) openedAt() time.Time {
	if n := len(br.rep.Openings); n > 0 {
		return br.rep.Openings[n-1].At
	}
	return time.Time{}
}

// signal wakes the hosts waiting on br.
func (br *breaker) signal() {
	close(br.changed)
	br.changed = make(chan struct{})
}

func (br *breaker) transition(to string, now time.Time, evs *[]hooks.BreakerEvent) *hooks.BreakerEvent {
	from := br.state
	br.state = to
	br.closed.Store(to == stateClosed)
	br.signal()
	if evs == nil {
		return nil
	}
	*evs = append(*evs, hooks.BreakerEvent{Name: br.name, From: from, To: to, Time: now})
	return &(*evs)[len(*evs)-1]
}

func (br *breaker) open(now time.Time, fails, logins int, hosts []string, evs *[]hooks.BreakerEvent) {
	br.rep.Openings = append(br.rep.Openings, BreakerOpening{At: now, Failures: fails, Logins: logins, Hosts: hosts, Err: br.lastErr})
	br.probeOK = 0
	if ev := br.transition(stateOpen, now, evs); ev != nil {
		ev.Failures, ev.Logins, ev.Hosts, ev.Err = fails, logins, slices.Clone(hosts), br.lastErr
	}
}

func (br *breaker) close(now time.Time, evs *[]hooks.BreakerEvent) {
	if n := len(br.rep.Openings); n > 0 {
		br.rep.Openings[n-1].Closed = now
	}
	clear(br.ring)
	br.next, br.n, br.fails, br.probeOK = 0, 0, 0, 0
	if ev := br.transition(stateClosed, now, evs); ev != nil {
		ev.Released = br.held
	}
}

// tick moves an open breaker whose OpenTimeout has passed to half-open.
func (br *breaker) tick(now time.Time, evs *[]hooks.BreakerEvent) {
	if br.state == stateOpen && !now.Before(br.openedAt().Add(br.cfg.OpenTimeout)) {
		br.probes, br.probeOK = 0, 0
		br.transition(stateHalfOpen, now, evs)
	}
}

func (br *breaker) openError(host string, waited time.Duration) error {
	e := &BreakerOpenError{Host: host, Breaker: br.name, State: br.state, Waited: waited, Cause: br.lastErr}
	if n := len(br.rep.Openings); n > 0 {
		o := br.rep.Openings[n-1]
		e.Since, e.Failures, e.Logins = o.At, o.Failures, o.Logins
	}
	return tasks.WithClass(tasks.ClassBreakerOpen, e)
}

// ErrBreakerOpen is what a *BreakerOpenError unwraps to.
var ErrBreakerOpen = errors.New("circuit breaker open")

// BreakerOpenError is the error of a host failed without an attempt because its circuit
// breaker was open (or half-open with its probes running): more hosts than MaxHeld were
// waiting already, or the host waited MaxWait in vain. It does not unwrap to the failure that
// opened the breaker: the host itself was never attempted.
type BreakerOpenError struct {
	// Host is the host that was not attempted.
	Host string
	// Breaker names the breaker (its scope key, e.g. "site=ams1").
	Breaker string
	// State is "open", or "half-open" when probes are running.
	State string
	// Since is when the breaker last opened.
	Since time.Time
	// Failures and Logins are the counted failures among the window's logins that opened it.
	Failures, Logins int
	// Waited is how long the host was held back (0: failed at once, MaxHeld hosts were
	// waiting).
	Waited time.Duration
	// Cause is the last counted failure.
	Cause error
}

// Error returns the error message.
func (e *BreakerOpenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "host %s: not attempted: circuit breaker %q is %s", e.Host, e.Breaker, e.State)
	if e.State == stateHalfOpen {
		b.WriteString(" (recovery probes running)")
	}
	if !e.Since.IsZero() {
		fmt.Fprintf(&b, ", opened at %s", e.Since.Format(time.RFC3339))
	}
	if e.Logins > 0 {
		fmt.Fprintf(&b, " after %d of %d recent logins failed", e.Failures, e.Logins)
	}
	if e.Waited > 0 {
		fmt.Fprintf(&b, "; held back %v in vain", e.Waited)
	} else {
		b.WriteString("; too many hosts held back already")
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, "; last %s failure: %v", tasks.Classify(e.Cause), e.Cause)
	}
	return b.String()
}

// Unwrap returns ErrBreakerOpen.
func (e *BreakerOpenError) Unwrap() error { return ErrBreakerOpen }
