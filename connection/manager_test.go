package connection_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
)

// waitFor polls cond until it holds; it fails the test after 10 s (a hang, not a timing check).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// gateOpener opens sessions of type *cliSession, counting opens and concurrency, optionally
// blocking each open until release is closed, and failing with err when set.
type gateOpener struct {
	release chan struct{}
	err     error
	opens   atomic.Int32
	live    atomic.Int32
	maxLive atomic.Int32
	mu      sync.Mutex
	targets []connection.Target
}

type gateSession struct {
	cliSession
	g *gateOpener
}

func (s *gateSession) Close() error {
	if s.closed.Add(1) == 1 {
		s.g.live.Add(-1)
	}
	return nil
}

func (g *gateOpener) opener() connection.Opener {
	return connection.OpenFunc(func(ctx context.Context, t connection.Target) (*gateSession, error) {
		g.opens.Add(1)
		g.mu.Lock()
		g.targets = append(g.targets, t)
		g.mu.Unlock()
		if g.release != nil {
			select {
			case <-g.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if g.err != nil {
			return nil, g.err
		}
		n := g.live.Add(1)
		for {
			m := g.maxLive.Load()
			if n <= m || g.maxLive.CompareAndSwap(m, n) {
				break
			}
		}
		return &gateSession{g: g}, nil
	})
}

func newManager(t *testing.T, g *gateOpener, cfg connection.ManagerConfig) *connection.Manager {
	t.Helper()
	r := connection.NewRegistry()
	r.MustRegister(key("ios", "ssh", "scrapli"), g.opener())
	return connection.NewManager(r, cfg)
}

func TestProxyLazyAndShared(t *testing.T) {
	g := &gateOpener{}
	m := newManager(t, g, connection.ManagerConfig{})
	h := host("r1", "ios")
	h.ConnectionOptions = map[string]*inventory.ConnectionOptions{"scrapli": {Port: 2022, Extras: map[string]any{"auth_strict_key": false}}}
	s := m.Host(h)
	defer s.Close()
	if g.opens.Load() != 0 || m.Stats().Open != 0 {
		t.Fatal("Host opened a session")
	}
	p1, err := s.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if g.opens.Load() != 1 || !p1.IsOpen() || m.Stats().Open != 1 {
		t.Fatalf("opens = %d after first Get", g.opens.Load())
	}
	p2, err := s.Get(context.Background(), connection.WithType("ssh"), connection.Require(connection.CapCommandSender))
	if err != nil || p2 != p1 || g.opens.Load() != 1 {
		t.Fatalf("second Get: %p %p %v opens=%d", p1, p2, err, g.opens.Load())
	}
	tg := g.targets[0]
	if tg.Host != h || tg.Key != key("cisco_iosxe", "ssh", "scrapli") || tg.Params.Port != 2022 ||
		tg.Params.Hostname != "127.0.0.1" || tg.Params.Platform != "ios" || tg.Params.Extras["auth_strict_key"] != false {
		t.Errorf("target = %+v", tg)
	}
	if p1.Key() != key("cisco_iosxe", "ssh", "scrapli") || p1.Host() != h || p1.Plugin().ParamsName != "scrapli" {
		t.Errorf("proxy info: %v %v %v", p1.Key(), p1.Host(), p1.Plugin())
	}
}

func TestSingleSessionConcurrentGets(t *testing.T) {
	g := &gateOpener{release: make(chan struct{})}
	m := newManager(t, g, connection.ManagerConfig{})
	s := m.Host(host("r1", "ios"))
	const n = 32
	proxies := make([]*connection.Proxy, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { proxies[i], errs[i] = s.Get(context.Background()) })
	}
	waitFor(t, "the first open", func() bool { return g.opens.Load() == 1 })
	close(g.release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || proxies[i] != proxies[0] {
			t.Fatalf("Get %d: %v %p", i, errs[i], proxies[i])
		}
	}
	if g.opens.Load() != 1 || g.maxLive.Load() != 1 {
		t.Errorf("opens = %d, max live = %d, want 1", g.opens.Load(), g.maxLive.Load())
	}
	// A subtask's view (With) shares the session.
	p, err := s.With(connection.WithLibrary("scrapli")).Get(context.Background())
	if err != nil || p != proxies[0] {
		t.Errorf("With view: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if g.live.Load() != 0 {
		t.Error("session not closed")
	}
}

func TestCloseIdempotentAndFinal(t *testing.T) {
	g := &gateOpener{}
	m := newManager(t, g, connection.ManagerConfig{MaxSessions: 1})
	s := m.Host(host("r1", "ios"))
	p, err := s.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sess, err := connection.Use[*gateSession](p)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := sess.closed.Load(); got != 1 {
		t.Errorf("session closed %d times, want 1", got)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Proxy.Close after Sessions.Close: %v", err)
	}
	if _, err := s.Get(context.Background()); !errors.Is(err, connection.ErrClosed) || !strings.Contains(err.Error(), "r1") {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := connection.Use[connection.CommandSender](p); !errors.Is(err, connection.ErrClosed) {
		t.Errorf("Use after Close: %v", err)
	}
	if st := m.Stats(); st.Open != 0 || st.Opened != 1 {
		t.Errorf("stats = %+v", st)
	}
	// The slot was freed: another host can open.
	s2 := m.Host(host("r2", "ios"))
	defer s2.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s2.Get(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestProxyCloseReopens(t *testing.T) {
	g := &gateOpener{}
	m := newManager(t, g, connection.ManagerConfig{})
	s := m.Host(host("r1", "ios"))
	defer s.Close()
	p, _ := s.Get(context.Background())
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if p.IsOpen() || g.live.Load() != 0 {
		t.Fatal("still open")
	}
	p2, err := s.Get(context.Background())
	if err != nil || p2 != p || !p.IsOpen() || g.opens.Load() != 2 {
		t.Fatalf("reopen: %v opens=%d", err, g.opens.Load())
	}
}

// runHost mimics the runner: sessions closed when the host's task ends, whatever happens.
func runHost(ctx context.Context, m *connection.Manager, h *inventory.Host, fn func(context.Context, *connection.Sessions) error) (err error) {
	s := m.Host(h)
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	defer s.Close()
	return fn(ctx, s)
}

func TestCloseOnPanicAndCancel(t *testing.T) {
	g := &gateOpener{}
	m := newManager(t, g, connection.ManagerConfig{MaxSessions: 4})
	err := runHost(context.Background(), m, host("r1", "ios"), func(ctx context.Context, s *connection.Sessions) error {
		if _, err := s.Get(ctx); err != nil {
			return err
		}
		panic("task bug")
	})
	if err == nil || g.live.Load() != 0 || m.Stats().Open != 0 {
		t.Fatalf("after panic: err=%v live=%d", err, g.live.Load())
	}

	ctx, cancel := context.WithCancel(context.Background())
	err = runHost(ctx, m, host("r2", "ios"), func(ctx context.Context, s *connection.Sessions) error {
		if _, err := s.Get(ctx); err != nil {
			return err
		}
		cancel()
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) || g.live.Load() != 0 || m.Stats().Open != 0 {
		t.Fatalf("after cancel: err=%v live=%d", err, g.live.Load())
	}

	// Cancelled while the plugin is opening: the open returns the ctx error, nothing stays open.
	g2 := &gateOpener{release: make(chan struct{})}
	m2 := newManager(t, g2, connection.ManagerConfig{MaxSessions: 1})
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- runHost(ctx, m2, host("r3", "ios"), func(ctx context.Context, s *connection.Sessions) error {
			_, err := s.Get(ctx)
			return err
		})
	}()
	waitFor(t, "open started", func() bool { return g2.opens.Load() == 1 })
	cancel()
	err = <-done
	var oe *connection.OpenError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &oe) || oe.Host != "r3" {
		t.Fatalf("err = %v", err)
	}
	if st := m2.Stats(); st.Open != 0 || st.Failed != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestOpenErrors(t *testing.T) {
	h := host("r1", "ios")
	h.Attrs.Port = 2222
	t.Run("failure", func(t *testing.T) {
		cause := errors.New("dial tcp 127.0.0.1:2222: connection refused")
		m := newManager(t, &gateOpener{err: cause}, connection.ManagerConfig{MaxSessions: 1})
		s := m.Host(h)
		defer s.Close()
		_, err := s.Get(context.Background())
		var oe *connection.OpenError
		if !errors.As(err, &oe) || !errors.Is(err, connection.ErrOpen) || !errors.Is(err, cause) || errors.Is(err, connection.ErrAuthentication) {
			t.Fatalf("err = %v", err)
		}
		if oe.Host != "r1" || oe.Address != "127.0.0.1:2222" || oe.Plugin != key("cisco_iosxe", "ssh", "scrapli") {
			t.Errorf("OpenError = %+v", oe)
		}
		if msg := err.Error(); !strings.Contains(msg, "host r1 (127.0.0.1:2222)") || !strings.Contains(msg, "connection refused") {
			t.Errorf("message = %s", msg)
		}
		// The slot was released: a second attempt reaches the plugin again.
		if _, err := s.Get(context.Background()); !errors.Is(err, connection.ErrOpen) {
			t.Errorf("second Get: %v", err)
		}
		if st := m.Stats(); st.Failed != 2 || st.Open != 0 {
			t.Errorf("stats = %+v", st)
		}
	})
	t.Run("authentication", func(t *testing.T) {
		m := newManager(t, &gateOpener{err: fmt.Errorf("ssh: handshake failed: %w", connection.ErrAuthentication)}, connection.ManagerConfig{})
		s := m.Host(h)
		defer s.Close()
		_, err := s.Get(context.Background())
		if !errors.Is(err, connection.ErrAuthentication) || !errors.Is(err, connection.ErrOpen) || !strings.Contains(err.Error(), "authentication failed") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("panic and nil session", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "ssh", "panic"), connection.OpenFunc(func(context.Context, connection.Target) (*cliSession, error) {
			panic("boom")
		}))
		r.MustRegister(key("ios", "ssh", "nil"), connection.OpenFunc(func(context.Context, connection.Target) (*cliSession, error) {
			return nil, nil
		}))
		m := connection.NewManager(r, connection.ManagerConfig{MaxSessions: 1})
		s := m.Host(h)
		defer s.Close()
		if _, err := s.Get(context.Background(), connection.WithLibrary("panic")); !errors.Is(err, connection.ErrOpen) || !strings.Contains(err.Error(), "boom") {
			t.Errorf("panic: %v", err)
		}
		if _, err := s.Get(context.Background(), connection.WithLibrary("nil")); !errors.Is(err, connection.ErrOpen) {
			t.Errorf("nil session: %v", err)
		}
		if m.Stats().Open != 0 {
			t.Error("slot leaked")
		}
	})
	t.Run("resolution errors pass through", func(t *testing.T) {
		m := newManager(t, &gateOpener{}, connection.ManagerConfig{})
		s := m.Host(host("r9", ""))
		defer s.Close()
		if _, err := s.Get(context.Background()); !errors.Is(err, connection.ErrValidation) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestUse(t *testing.T) {
	r := connection.NewRegistry()
	r.MustRegister(key("eos", "ssh", "cli"), cli())
	m := connection.NewManager(r, connection.ManagerConfig{})
	s := m.Host(host("sw1", "eos"))
	defer s.Close()
	p, err := s.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := connection.Use[connection.CommandSender](p)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := cs.SendCommand(context.Background(), "show version"); err != nil || resp.Output != "cli:show version" {
		t.Errorf("%v %v", resp, err)
	}
	_, err = connection.Use[connection.ConfigGetter](p)
	var ni *connection.NotImplementedError
	if !errors.As(err, &ni) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("err = %v", err)
	}
	want := connection.NotImplementedError{Capability: "connection.ConfigGetter", Method: "GetConfig", Platform: "eos",
		Plugin: key("arista_eos", "ssh", "cli"), Host: "sw1"}
	if *ni != want {
		t.Errorf("NotImplementedError = %+v, want %+v", *ni, want)
	}
	// The first method the session lacks is named.
	_, err = connection.Use[interface {
		connection.CommandSender
		connection.ConfigSaver
	}](p)
	if !errors.As(err, &ni) || ni.Method != "SaveConfig" {
		t.Errorf("err = %v", err)
	}
	if _, err := connection.Use[connection.Session](nil); err == nil {
		t.Error("Use(nil) succeeded")
	}
}

func TestMaxSessions(t *testing.T) {
	g := &gateOpener{}
	m := newManager(t, g, connection.ManagerConfig{MaxSessions: 2})
	const hosts = 5
	release := make(chan struct{})
	errs := make(chan error, hosts)
	var wg sync.WaitGroup
	for i := range hosts {
		wg.Go(func() {
			errs <- runHost(context.Background(), m, host(fmt.Sprintf("r%d", i), "ios"), func(ctx context.Context, s *connection.Sessions) error {
				if _, err := s.Get(ctx); err != nil {
					return err
				}
				<-release
				return nil
			})
		})
	}
	waitFor(t, "2 open, 3 waiting", func() bool { st := m.Stats(); return st.Open == 2 && st.Waiting == 3 })
	if g.opens.Load() != 2 {
		t.Fatalf("opens = %d with MaxSessions 2", g.opens.Load())
	}
	// A waiter honours its ctx.
	ctx, cancel := context.WithCancel(context.Background())
	waitErr := make(chan error)
	go func() {
		s := m.Host(host("late", "ios"))
		defer s.Close()
		_, err := s.Get(ctx)
		waitErr <- err
	}()
	waitFor(t, "4 waiting", func() bool { return m.Stats().Waiting == 4 })
	cancel()
	if err := <-waitErr; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "MaxSessions=2") || !strings.Contains(err.Error(), "late") {
		t.Errorf("cancelled waiter: %v", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if g.maxLive.Load() != 2 || g.opens.Load() != hosts {
		t.Errorf("max live = %d, opens = %d", g.maxLive.Load(), g.opens.Load())
	}
	if st := m.Stats(); st.Open != 0 || st.Waiting != 0 || st.Opened != hosts {
		t.Errorf("stats = %+v", st)
	}
}

// fakeClock drives the open-rate limiter.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	d       time.Duration
	c       chan time.Time
	stopped bool
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ft := &fakeTimer{at: c.now.Add(d), d: d, c: make(chan time.Time, 1)}
	c.timers = append(c.timers, ft)
	return ft.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !ft.stopped
		ft.stopped = true
		return was
	}
}

func (c *fakeClock) Pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		if !t.stopped {
			out = append(out, t.d)
		}
	}
	return out
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			t.c <- c.now
		}
	}
}

func TestOpenRate(t *testing.T) {
	g := &gateOpener{}
	m := newManager(t, g, connection.ManagerConfig{OpenRate: 2, OpenBurst: 1})
	clk := &fakeClock{now: time.Unix(1000, 0)}
	connection.SetClock(m, clk.Now, clk.Timer)

	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			errs <- runHost(context.Background(), m, host(fmt.Sprintf("r%d", i), "ios"), func(ctx context.Context, s *connection.Sessions) error {
				_, err := s.Get(ctx)
				return err
			})
		}()
	}
	waitFor(t, "1 open and 3 timers", func() bool { return g.opens.Load() == 1 && len(clk.Pending()) == 3 })
	// Burst 1 at 2/s: the waiters are 0.5 s, 1 s and 1.5 s away.
	pend := clk.Pending()
	var sum time.Duration
	for _, d := range pend {
		sum += d
	}
	if sum != 3*time.Second {
		t.Errorf("pending waits %v, want 0.5s+1s+1.5s", pend)
	}
	clk.Advance(500 * time.Millisecond)
	waitFor(t, "second open", func() bool { return g.opens.Load() == 2 })
	clk.Advance(500 * time.Millisecond)
	waitFor(t, "third open", func() bool { return g.opens.Load() == 3 })
	if len(clk.Pending()) != 1 {
		t.Errorf("pending = %v", clk.Pending())
	}
	clk.Advance(500 * time.Millisecond)
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if g.opens.Load() != 4 {
		t.Errorf("opens = %d", g.opens.Load())
	}

	// A waiter whose ctx ends gives its token back; a deadline shorter than the wait fails fast.
	clk.Advance(10 * time.Second) // bucket full again (1 token)
	s := m.Host(host("x", "ios"))
	defer s.Close()
	if _, err := s.Get(context.Background()); err != nil { // takes the token
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		s := m.Host(host("y", "ios"))
		defer s.Close()
		_, err := s.Get(ctx)
		done <- err
	}()
	waitFor(t, "a waiter", func() bool { return len(clk.Pending()) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "OpenRate") {
		t.Errorf("cancelled waiter: %v", err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	s3 := m.Host(host("z", "ios"))
	defer s3.Close()
	if _, err := s3.Get(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("past deadline: %v", err)
	}
	// The cancelled waiter's token came back: the next open waits 0.5 s, not 1 s.
	go func() {
		s := m.Host(host("w", "ios"))
		defer s.Close()
		_, err := s.Get(context.Background())
		done <- err
	}()
	waitFor(t, "a waiter", func() bool { return len(clk.Pending()) == 1 })
	if p := clk.Pending(); p[0] != 500*time.Millisecond {
		t.Errorf("wait after give-back = %v, want 500ms", p[0])
	}
	clk.Advance(time.Second)
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestManagerConfig(t *testing.T) {
	bad := []connection.ManagerConfig{{MaxSessions: -1}, {OpenRate: -1}, {OpenBurst: -2}}
	for _, c := range bad {
		if c.Validate() == nil {
			t.Errorf("%+v valid", c)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewManager(%+v) did not panic", c)
				}
			}()
			connection.NewManager(connection.NewRegistry(), c)
		}()
	}
	if err := (connection.ManagerConfig{MaxSessions: 10, OpenRate: 5}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestGetBestMatchWarnsOncePerHost(t *testing.T) {
	buf, log := newLog()
	r := connection.NewRegistry()
	r.MustRegister(key("ios", "ssh", "cli"), cli())
	m := connection.NewManager(r, connection.ManagerConfig{Logger: log})
	for _, name := range []string{"r1", "r2"} {
		s := m.Host(host(name, "ios"))
		for range 3 {
			p, err := s.Get(context.Background(), connection.Require(connection.CapCommandSender, connection.CapConfigGetter))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := connection.Use[connection.ConfigGetter](p); !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("Use: %v", err)
			}
		}
		s.Close()
	}
	out := buf.String()
	if n := strings.Count(out, "using best match"); n != 2 {
		t.Errorf("%d warnings, want one per host:\n%s", n, out)
	}
	if !strings.Contains(out, `"host":"r2"`) || !strings.Contains(out, `"missing":"[connection.ConfigGetter]"`) {
		t.Errorf("warning fields: %s", out)
	}
}

// TestMaxSessionsTwoSessionsPerHost: hosts that each open two sessions (SSH, then NETCONF) while
// holding the first never deadlock under MaxSessions: a host's sessions share its slot, and the
// cap holds on hosts.
func TestMaxSessionsTwoSessionsPerHost(t *testing.T) {
	g := &gateOpener{}
	r := connection.NewRegistry()
	r.MustRegister(key("ios", "ssh", "scrapli"), g.opener())
	r.MustRegister(key("ios", "netconf", "scrapli"), g.opener())
	m := connection.NewManager(r, connection.ManagerConfig{MaxSessions: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const hosts = 10
	var maxHosts, hostsOpen atomic.Int32
	errs := make(chan error, hosts)
	var wg sync.WaitGroup
	for i := range hosts {
		wg.Go(func() {
			errs <- runHost(ctx, m, host(fmt.Sprintf("r%d", i), "ios"), func(ctx context.Context, s *connection.Sessions) error {
				if _, err := s.Get(ctx, connection.WithType("ssh")); err != nil {
					return err
				}
				n := hostsOpen.Add(1)
				for {
					old := maxHosts.Load()
					if n <= old || maxHosts.CompareAndSwap(old, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				_, err := s.Get(ctx, connection.WithType("netconf"))
				hostsOpen.Add(-1)
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a host failed (deadlock under MaxSessions?): %v", err)
		}
	}
	if got := maxHosts.Load(); got > 2 {
		t.Errorf("%d hosts held sessions at once with MaxSessions 2", got)
	}
	if g.opens.Load() != 2*hosts {
		t.Errorf("opens = %d, want %d", g.opens.Load(), 2*hosts)
	}
	if st := m.Stats(); st.Open != 0 {
		t.Errorf("%d sessions left open", st.Open)
	}
}
