package connection

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
)

// ManagerConfig configures the run-wide connection limits of a Manager.
type ManagerConfig struct {
	// MaxSessions caps the hosts holding open sessions across the run: a host takes a slot when
	// it starts opening its first session and gives it back when its last session closes, and
	// Get waits for one (honouring its ctx). When every host opens one session (the usual case)
	// this caps sessions; a host's further sessions (SSH and NETCONF at once) share its slot,
	// so that hosts holding one session while waiting for a second can never deadlock.
	// Default 0: no cap.
	MaxSessions int
	// OpenRate caps new sessions (logins) per second across the run, so that a TACACS or RADIUS
	// server is not flooded. Default 0: no cap.
	OpenRate float64
	// OpenBurst is how many sessions may open at once before OpenRate applies. Default 1 (when
	// OpenRate is set).
	OpenBurst int
	// Logger receives the manager's log lines (opens, closes, best-match warnings), with the
	// host's name. Default: disabled.
	Logger zerolog.Logger
}

// Validate reports a negative or non-finite limit.
func (c ManagerConfig) Validate() error {
	switch {
	case c.MaxSessions < 0:
		return fmt.Errorf("connection: ManagerConfig.MaxSessions %d is negative (0 means no cap)", c.MaxSessions)
	case c.OpenRate < 0 || math.IsNaN(c.OpenRate) || math.IsInf(c.OpenRate, 0):
		return fmt.Errorf("connection: ManagerConfig.OpenRate %v must be a finite number >= 0 (0 means no cap)", c.OpenRate)
	case c.OpenBurst < 0:
		return fmt.Errorf("connection: ManagerConfig.OpenBurst %d is negative", c.OpenBurst)
	}
	return nil
}

// Manager lends the sessions of one run: it resolves plugins in its Registry, opens sessions
// lazily, and enforces the run-wide limits. Make one per run with NewManager, then one
// *Sessions per host with Host.
type Manager struct {
	reg   *Registry
	cfg   ManagerConfig
	log   zerolog.Logger
	slots chan struct{} // nil: no cap
	rate  *tokenBucket  // nil: no cap

	open    atomic.Int64
	waiting atomic.Int64
	opened  atomic.Uint64
	failed  atomic.Uint64
}

// NewManager returns a manager over reg. It panics if reg is nil or cfg is invalid (see
// ManagerConfig.Validate): both are programmer errors.
func NewManager(reg *Registry, cfg ManagerConfig) *Manager {
	if reg == nil {
		panic("connection: NewManager with a nil Registry")
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	m := &Manager{reg: reg, cfg: cfg, log: cfg.Logger}
	if cfg.MaxSessions > 0 {
		m.slots = make(chan struct{}, cfg.MaxSessions)
	}
	if cfg.OpenRate > 0 {
		m.rate = newTokenBucket(cfg.OpenRate, max(cfg.OpenBurst, 1))
	}
	return m
}

// Registry returns the manager's registry.
func (m *Manager) Registry() *Registry { return m.reg }

// ManagerStats are a Manager's counters.
type ManagerStats struct {
	// Open is the number of sessions open now.
	Open int
	// Waiting is the number of opens waiting for a MaxSessions slot.
	Waiting int
	// Opened counts sessions opened successfully.
	Opened uint64
	// Failed counts opens that failed (errors of the plugin, not waits cut short by ctx).
	Failed uint64
}

// Stats returns the manager's counters.
func (m *Manager) Stats() ManagerStats {
	return ManagerStats{
		Open: int(m.open.Load()), Waiting: int(m.waiting.Load()),
		Opened: m.opened.Load(), Failed: m.failed.Load(),
	}
}

// Host returns the sessions of host h for one execution of its task. Nothing is opened until
// Get; the runner calls Close when the host's task ends.
func (m *Manager) Host(h *inventory.Host) *Sessions {
	name := "<nil>"
	if h != nil {
		name = h.Name
	}
	st := &hostSessions{m: m, host: h, name: name, log: m.log}
	if m.log.GetLevel() != zerolog.Disabled {
		// Building a logger context costs ~500 B per host: only when something logs.
		st.log = m.log.With().Str("host", name).Logger()
	}
	return &Sessions{st: st}
}

// Sessions are the connections of one host during its task: one Proxy per resolved plugin,
// shared by the task and its subtasks. Safe for concurrent use.
type Sessions struct {
	st   *hostSessions
	opts []Option
}

type hostSessions struct {
	m    *Manager
	host *inventory.Host
	name string
	log  zerolog.Logger

	mu      sync.Mutex
	closed  bool
	proxies map[Key]*Proxy

	slotLock chan struct{} // serialises taking the host's slot; made lazily under mu
	slotRefs int           // open or opening sessions riding on the host's slot, under mu
	order    []*Proxy
	warned   map[string]bool
}

// Host returns the host the sessions belong to.
func (s *Sessions) Host() *inventory.Host { return s.st.host }

// With returns a view of s whose Get applies opts before its own (e.g. WithType("netconf") for
// every connection of a task). The view shares s's sessions; closing either closes both.
func (s *Sessions) With(opts ...Option) *Sessions {
	return &Sessions{st: s.st, opts: append(append([]Option(nil), s.opts...), opts...)}
}

// Get resolves the host's plugin for opts (see Registry.Resolve) and returns its proxy, opening
// the session if it is not open. The first Get of a plugin opens it; later Gets, concurrent or
// not, share that session; a Get after Proxy.Close, or after the session reported itself dead
// (Liveness), opens a new one. Opening waits for the
// manager's limits and honours ctx. A failed open returns an *OpenError (errors.Is ErrOpen, and
// ErrAuthentication when the plugin reports one); after Close, Get returns an error wrapping
// ErrClosed.
func (s *Sessions) Get(ctx context.Context, opts ...Option) (*Proxy, error) {
	if s == nil || s.st == nil {
		return nil, errors.New("connection: Get on nil Sessions")
	}
	st := s.st
	req := NewRequest(append(append([]Option(nil), s.opts...), opts...)...)
	if err := st.closedErr(); err != nil {
		return nil, err
	}
	o, err := st.m.reg.resolveHost(st.host, req)
	if err != nil {
		return nil, err
	}
	pl, missing := o.p, o.missing
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil, st.closedErr()
	}
	if len(missing) > 0 {
		// Warn once per host, plugin and missing set, not at every Get.
		w := pl.key.String() + " " + capNames(missing)
		if !st.warned[w] {
			if st.warned == nil {
				st.warned = map[string]bool{}
			}
			st.warned[w] = true
			warnBestMatch(st.log, st.host, req, o)
		}
	}
	p := st.proxies[pl.key]
	if p == nil {
		p = &Proxy{st: st, pl: pl, sem: make(chan struct{}, 1)}
		if st.proxies == nil {
			st.proxies = map[Key]*Proxy{}
		}
		st.proxies[pl.key] = p
		st.order = append(st.order, p)
	}
	st.mu.Unlock()
	if err := p.ensureOpen(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func (st *hostSessions) closedErr() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return fmt.Errorf("connection: host %s: the host's task has ended: %w", st.name, ErrClosed)
	}
	return nil
}

// Close closes every session of the host and makes later Gets fail with ErrClosed. It is
// idempotent: later calls return nil. A session whose open is still in flight is closed as soon
// as that open returns.
func (s *Sessions) Close() error {
	if s == nil || s.st == nil {
		return nil
	}
	st := s.st
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil
	}
	st.closed = true
	ps := st.order
	st.mu.Unlock()
	var errs []error
	for i := len(ps) - 1; i >= 0; i-- { // last opened, first closed
		if err := ps[i].close(true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Proxy is the connection lent to a task: one plugin's session for one host. Get it from
// Task.Connection (Sessions.Get) and use its capabilities with Use. A Proxy belongs to the
// host's task; it must not be kept after the task ends.
type Proxy struct {
	st  *hostSessions
	pl  *plugin
	sem chan struct{} // serialises opens

	mu    sync.Mutex
	sess  Session
	final bool // the host's sessions were closed; never reopen
}

// Key returns the plugin's key.
func (p *Proxy) Key() Key { return p.pl.key }

// Host returns the host.
func (p *Proxy) Host() *inventory.Host { return p.st.host }

// Plugin describes the proxy's plugin.
func (p *Proxy) Plugin() Plugin {
	r := p.st.m.reg
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.snapshotLocked(p.pl)
}

// IsOpen reports whether the proxy's session is open.
func (p *Proxy) IsOpen() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sess != nil
}

// Close closes the proxy's session now (e.g. after ErrConnectionLost) and frees its
// MaxSessions slot; the next Get opens a new one. It is idempotent. The host's sessions are
// closed anyway when its task ends.
func (p *Proxy) Close() error { return p.close(false) }

func (p *Proxy) close(final bool) error {
	p.mu.Lock()
	s := p.sess
	p.sess = nil
	if final {
		p.final = true
	}
	p.mu.Unlock()
	if s == nil {
		return nil
	}
	return p.closeSession(s)
}

func (p *Proxy) closeSession(s Session) error {
	m := p.st.m
	err := safeClose(s)
	m.open.Add(-1)
	p.st.releaseSlot()
	if err != nil {
		p.st.log.Warn().Err(err).Str("plugin", p.pl.key.String()).Msg("connection: close failed")
		return fmt.Errorf("connection: host %s: closing %s: %w", p.st.name, p.pl.key, err)
	}
	p.st.log.Debug().Str("plugin", p.pl.key.String()).Msg("connection: closed")
	return nil
}

// safeClose calls s.Close, turning a panic into an error.
func safeClose(s Session) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the plugin's Close panicked: %v", v)
		}
	}()
	return s.Close()
}

// alive reports whether the proxy has an open session that is not known to be dead; a dead
// one is closed.
func (p *Proxy) alive() bool {
	p.mu.Lock()
	s := p.sess
	p.mu.Unlock()
	if s == nil {
		return false
	}
	if l, ok := s.(Liveness); ok && !l.Alive() {
		p.mu.Lock()
		if p.sess != s { // closed or replaced meanwhile
			p.mu.Unlock()
			return false
		}
		p.sess = nil
		p.mu.Unlock()
		p.st.log.Info().Str("plugin", p.pl.key.String()).Msg("connection: session is dead; opening a new one")
		_ = p.closeSession(s)
		return false
	}
	return true
}

// ensureOpen opens the session unless it is open and alive.
func (p *Proxy) ensureOpen(ctx context.Context) error {
	st := p.st
	if p.alive() {
		return nil
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("connection: host %s: waiting for %s to open: %w", st.name, p.pl.key, ctx.Err())
	}
	defer func() { <-p.sem }()

	p.mu.Lock()
	final := p.final
	p.mu.Unlock()
	if final {
		return fmt.Errorf("connection: host %s: the host's task has ended: %w", st.name, ErrClosed)
	}
	if p.alive() {
		return nil
	}
	m := st.m
	if err := st.acquireSlot(ctx); err != nil {
		return fmt.Errorf("connection: host %s: waiting for a session slot (MaxSessions=%d): %w", st.name, m.cfg.MaxSessions, err)
	}
	sess, err := p.open(ctx)
	if err != nil {
		st.releaseSlot()
		return err
	}
	m.open.Add(1)
	m.opened.Add(1)
	p.mu.Lock()
	if p.final {
		p.mu.Unlock()
		_ = p.closeSession(sess)
		return fmt.Errorf("connection: host %s: the host's task ended while %s opened: %w", st.name, p.pl.key, ErrClosed)
	}
	p.sess = sess
	p.mu.Unlock()
	return nil
}

// open waits for the rate limit and calls the plugin; the caller holds a slot.
func (p *Proxy) open(ctx context.Context) (sess Session, err error) {
	st, m := p.st, p.st.m
	if m.rate != nil {
		if err := m.rate.wait(ctx); err != nil {
			return nil, fmt.Errorf("connection: host %s: waiting for the open rate limit (OpenRate=%v/s): %w", st.name, m.cfg.OpenRate, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connection: host %s: before opening %s: %w", st.name, p.pl.key, err)
	}
	params := st.host.ConnectionParams(p.pl.paramsName)
	addr := params.Hostname
	if params.Port != 0 {
		addr += ":" + strconv.Itoa(params.Port)
	}
	t := Target{Host: st.host, Key: p.pl.key, Params: params,
		Logger: st.log.With().Str("plugin", p.pl.key.String()).Logger()}
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			sess, err = nil, fmt.Errorf("the plugin's Open panicked: %v", v)
		}
		if err == nil && (sess == nil || isNilSession(sess)) {
			err = errors.New("the plugin's Open returned no session and no error")
		}
		if err != nil {
			m.failed.Add(1)
			err = &OpenError{Host: st.name, Address: addr, Plugin: p.pl.key, Err: err}
			st.log.Warn().Err(err).Str("plugin", p.pl.key.String()).Msg("connection: open failed")
			return
		}
		st.log.Debug().Str("plugin", p.pl.key.String()).Str("address", addr).
			Dur("elapsed", time.Since(start)).Msg("connection: opened")
	}()
	return p.pl.opener.Open(ctx, t)
}

func isNilSession(s Session) bool {
	v := reflect.ValueOf(s)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}

func (m *Manager) acquireSlot(ctx context.Context) error {
	if m.slots == nil {
		return nil
	}
	select {
	case m.slots <- struct{}{}:
		return nil
	default:
	}
	m.waiting.Add(1)
	defer m.waiting.Add(-1)
	select {
	case m.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// acquireSlot takes the host's MaxSessions slot for one more session: the first session of the
// host waits for a run-wide slot, the others share it.
func (st *hostSessions) acquireSlot(ctx context.Context) error {
	if st.m.slots == nil {
		return nil
	}
	st.mu.Lock()
	if st.slotLock == nil {
		st.slotLock = make(chan struct{}, 1)
	}
	lock := st.slotLock
	st.mu.Unlock()
	select {
	case lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-lock }()
	st.mu.Lock()
	if st.slotRefs > 0 {
		st.slotRefs++
		st.mu.Unlock()
		return nil
	}
	st.mu.Unlock()
	if err := st.m.acquireSlot(ctx); err != nil {
		return err
	}
	st.mu.Lock()
	st.slotRefs++
	st.mu.Unlock()
	return nil
}

// releaseSlot gives back one session's share of the host's slot, and the slot with the last.
func (st *hostSessions) releaseSlot() {
	if st.m.slots == nil {
		return
	}
	st.mu.Lock()
	st.slotRefs--
	last := st.slotRefs == 0
	st.mu.Unlock()
	if last {
		st.m.releaseSlot()
	}
}

func (m *Manager) releaseSlot() {
	if m.slots != nil {
		<-m.slots
	}
}

// Use returns the proxy's session as capability C (an interface such as ConfigGetter, or the
// plugin's concrete session type), or a *NotImplementedError (errors.Is errors.ErrUnsupported)
// when the plugin does not implement C. The proxy must be open (as Get returns it); after
// Proxy.Close or the end of the host's task, Use returns an error wrapping ErrClosed.
func Use[C any](p *Proxy) (C, error) {
	var zero C
	if p == nil {
		return zero, errors.New("connection: Use of a nil *Proxy")
	}
	p.mu.Lock()
	s := p.sess
	p.mu.Unlock()
	if s == nil {
		return zero, fmt.Errorf("connection: host %s: session %s is closed (get a new one with Task.Connection): %w",
			p.st.name, p.pl.key, ErrClosed)
	}
	if c, ok := s.(C); ok {
		return c, nil
	}
	ct := reflect.TypeFor[C]()
	platform := ""
	if p.st.host != nil {
		platform = p.st.host.Platform()
	}
	return zero, &NotImplementedError{
		Capability: ct.String(),
		Method:     missingMethod(ct, reflect.TypeOf(s)),
		Platform:   platform,
		Plugin:     p.pl.key,
		Host:       p.st.name,
	}
}

// tokenBucket limits events to rate per second with bursts of burst. Waiters reserve a token
// (possibly going into debt) and sleep until it is theirs; a waiter whose ctx ends gives its
// token back.
type tokenBucket struct {
	rate  float64
	burst float64
	now   func() time.Time
	timer func(time.Duration) (<-chan time.Time, func() bool)

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), now: time.Now, timer: realTimer}
}

func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

func (b *tokenBucket) refillLocked(now time.Time) {
	if b.last.IsZero() {
		b.last = now
		return
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
}

// reserve takes a token and returns how long to wait for it; ok is false (and nothing is taken)
// when the wait would pass the deadline.
func (b *tokenBucket) reserve(deadline time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.refillLocked(now)
	b.tokens--
	var d time.Duration
	if b.tokens < 0 {
		d = time.Duration(math.Ceil(-b.tokens / b.rate * float64(time.Second)))
	}
	if d > 0 && !deadline.IsZero() && now.Add(d).After(deadline) {
		b.tokens++
		return d, false
	}
	return d, true
}

func (b *tokenBucket) giveBack() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked(b.now())
	b.tokens = math.Min(b.burst, b.tokens+1)
}

func (b *tokenBucket) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dl, _ := ctx.Deadline()
	d, ok := b.reserve(dl)
	if !ok {
		return fmt.Errorf("the next open is %v away, past the deadline: %w", d, context.DeadlineExceeded)
	}
	if d <= 0 {
		return nil
	}
	c, stop := b.timer(d)
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		stop()
		b.giveBack()
		return ctx.Err()
	}
}
