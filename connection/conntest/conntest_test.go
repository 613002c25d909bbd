package conntest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/connection/conntest"
	"github.com/gonorn/norn/inventory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func target(name, hostname, user, pass string) connection.Target {
	h := &inventory.Host{Name: name, Attrs: inventory.Attrs{Hostname: hostname, Username: user, Password: pass, Platform: "ios"}}
	inventory.New([]*inventory.Host{h}, nil, nil)
	return connection.Target{Host: h, Key: connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "fake"}, Params: h.ConnectionParams("fake")}
}

func TestExerciseFake(t *testing.T) {
	p := conntest.New().
		On("show version", conntest.Reply{Output: "Cisco IOS XE Software, Version 17.03.01a"}).
		RequireCredentials("admin", "secret").
		FailOpen("127.0.0.9", errors.New("dial tcp 127.0.0.9:22: connect: connection refused"), 0)
	bad := target("r1", "127.0.0.1", "admin", "wrong")
	down := target("r9", "127.0.0.9", "admin", "secret")
	conntest.Exercise(t, conntest.Suite{
		Opener:         p.Opener(),
		Target:         target("r1", "127.0.0.1", "admin", "secret"),
		WantOutput:     "IOS XE",
		InvalidCommand: "show bogus",
		BadAuth:        &bad,
		Unreachable:    &down,
		Config:         []string{"interface Loopback0", " description conntest"},
		Save:           true,
		Timeout:        10 * time.Second,
	})
	if st := p.Stats(); st.Open != 0 || st.Closes != st.Opens {
		t.Errorf("stats after Exercise: %+v", st)
	}
	if !strings.Contains(p.Running("r1"), " description conntest") {
		t.Errorf("config not applied: %q", p.Running("r1"))
	}
}

func TestExerciseFakeCLI(t *testing.T) {
	p := conntest.New().On("show clock", conntest.Reply{Output: "*10:00:00.000 UTC Mon Jan 1 2024"})
	conntest.Exercise(t, conntest.Suite{Opener: p.CLIOpener(), Target: target("sw1", "127.0.0.1", "", ""), Command: "show clock", InvalidCommand: "bogus"})
}

func open(t *testing.T, p *conntest.Plugin, name string) *conntest.Session {
	t.Helper()
	s, err := p.Opener().Open(context.Background(), target(name, "127.0.0.1", "u", "p"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.(*conntest.Session).Close() })
	return s.(*conntest.Session)
}

func TestScriptedReplies(t *testing.T) {
	ctx := context.Background()
	p := conntest.New().
		On("show clock", conntest.Reply{Output: "1"}, conntest.Reply{Output: "2"}).
		OnHost("r2", "show clock", conntest.Reply{Output: "r2"}).
		On("reload", conntest.Reply{Output: "% Permission denied", Fail: true}).
		On("show tech", conntest.Reply{Err: errors.New("timed out")})
	s := open(t, p, "r1")
	for _, want := range []string{"1", "2", "2"} {
		if r, err := s.SendCommand(ctx, "show clock"); err != nil || r.Output != want || r.Command != "show clock" {
			t.Errorf("show clock = %+v %v, want %q", r, err, want)
		}
	}
	if r, _ := open(t, p, "r2").SendCommand(ctx, "show clock"); r.Output != "r2" {
		t.Errorf("host script: %q", r.Output)
	}
	r, err := s.SendCommand(ctx, "reload")
	var ce *connection.CommandError
	if !errors.As(err, &ce) || ce.Host != "r1" || ce.Command != "reload" || ce.Output != "% Permission denied" || r.Output != "% Permission denied" {
		t.Errorf("rejected: %+v %v", r, err)
	}
	if _, err := s.SendCommand(ctx, "show tech"); err == nil || err.Error() != "timed out" {
		t.Errorf("scripted error: %v", err)
	}
	_, err = s.SendCommand(ctx, "show nothing")
	if !errors.As(err, &ce) || ce.Output != conntest.InvalidInput {
		t.Errorf("unknown: %v", err)
	}
	p.OnUnknown(conntest.Reply{Output: "ok"})
	if r, err := s.SendCommand(ctx, "anything"); err != nil || r.Output != "ok" {
		t.Errorf("OnUnknown: %+v %v", r, err)
	}
	rs, err := s.SendCommands(ctx, []string{"show clock", "reload", "show clock"})
	if !errors.Is(err, connection.ErrCommandFailed) || len(rs) != 2 || rs[1].Output != "% Permission denied" {
		t.Errorf("SendCommands stops at failure: %d %v", len(rs), err)
	}
	want := []string{"show clock", "show clock", "show clock", "reload", "show tech", "show nothing", "anything", "show clock", "reload"}
	if got := p.Commands("r1"); !slices.Equal(got, want) {
		t.Errorf("Commands = %q\nwant %q", got, want)
	}
}

func TestDelayAndDrop(t *testing.T) {
	p := conntest.New().
		On("slow", conntest.Reply{Output: "x", Delay: time.Hour}).
		On("quick", conntest.Reply{Output: "y", Delay: time.Millisecond}).
		On("die", conntest.Reply{Drop: true})
	s := open(t, p, "r1")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.SendCommand(ctx, "slow"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow: %v", err)
	}
	if r, err := s.SendCommand(context.Background(), "quick"); err != nil || r.Output != "y" || r.Elapsed <= 0 {
		t.Errorf("quick: %+v %v", r, err)
	}
	if _, err := s.SendCommand(context.Background(), "die"); !errors.Is(err, connection.ErrConnectionLost) {
		t.Errorf("die: %v", err)
	}
	if _, err := s.GetConfig(context.Background(), "running"); !errors.Is(err, connection.ErrConnectionLost) {
		t.Errorf("after drop: %v", err)
	}
}

func TestOpenFailures(t *testing.T) {
	refused := errors.New("connection refused")
	p := conntest.New().FailOpen("r1", refused, 2).RequireCredentials("u", "p").SetOpenDelay(time.Millisecond)
	o := p.Opener()
	ctx := context.Background()
	for i := range 2 {
		if _, err := o.Open(ctx, target("r1", "127.0.0.1", "u", "p")); !errors.Is(err, refused) {
			t.Fatalf("open %d: %v", i, err)
		}
	}
	s, err := o.Open(ctx, target("r1", "127.0.0.1", "u", "p"))
	if err != nil {
		t.Fatalf("third open: %v", err)
	}
	defer s.Close()
	if _, err := o.Open(ctx, target("r2", "127.0.0.2", "u", "bad")); !errors.Is(err, connection.ErrAuthentication) {
		t.Errorf("bad password: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := o.Open(cctx, target("r2", "127.0.0.2", "u", "p")); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if st := p.Stats(); st.Opens != 1 || st.FailedOpens != 4 || st.Open != 1 {
		t.Errorf("stats = %+v", st)
	}
	if n := len(p.Targets()); n != 5 {
		t.Errorf("%d targets recorded", n)
	}
}

func TestConfigLifecycle(t *testing.T) {
	ctx := context.Background()
	p := conntest.New().SetConfig("", "hostname base\n").
		On("bad line", conntest.Reply{Output: "% Invalid input", Fail: true}).
		SetFacts(connection.Facts{Vendor: "Arista", Model: "vEOS"})
	s := open(t, p, "r1")
	if _, err := s.SendConfig(ctx, []string{"ntp server 127.0.0.5"}, connection.ConfigOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if got := p.Running("r1"); got != "hostname base\n" {
		t.Errorf("dry run applied: %q", got)
	}
	if rs, err := s.SendConfig(ctx, []string{"ntp server 127.0.0.5", "logging host 127.0.0.6"}, connection.ConfigOptions{}); err != nil || len(rs) != 2 {
		t.Fatal(rs, err)
	}
	if got, _ := s.GetConfig(ctx, "running"); got != "hostname base\nntp server 127.0.0.5\nlogging host 127.0.0.6\n" {
		t.Errorf("running = %q", got)
	}
	if got := p.Running("r2"); got != "hostname base\n" {
		t.Errorf("other host changed: %q", got)
	}
	if _, err := s.SendConfig(ctx, []string{"ok line", "bad line", "never"}, connection.ConfigOptions{}); !errors.Is(err, connection.ErrCommandFailed) {
		t.Errorf("bad line: %v", err)
	}
	if got, _ := s.GetConfig(ctx, "startup"); got != "" {
		t.Errorf("startup before save = %q", got)
	}
	if err := s.SaveConfig(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetConfig(ctx, "startup"); !strings.Contains(got, "logging host") {
		t.Errorf("startup after save = %q", got)
	}
	if _, err := s.GetConfig(ctx, "candidate"); err == nil {
		t.Error("unknown source accepted")
	}
	f, err := s.GetFacts(ctx)
	if err != nil || f.Vendor != "Arista" || f.Hostname != "r1" {
		t.Errorf("facts = %+v %v", f, err)
	}
	var cfg []conntest.Sent
	for _, x := range p.Sent() {
		if x.Config {
			cfg = append(cfg, x)
		}
	}
	if len(cfg) != 5 || !cfg[0].DryRun || cfg[1].DryRun {
		t.Errorf("config sent = %+v", cfg)
	}
	if s.Raw() != any(s) {
		t.Error("Raw")
	}
}

// TestWithManager uses the fake through a Manager: the way a user's task test would.
func TestWithManager(t *testing.T) {
	p := conntest.New().On("show version", conntest.Reply{Output: "v", Delay: 5 * time.Millisecond})
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "ios", Type: "ssh", Library: "fake"}, p.Opener())
	m := connection.NewManager(reg, connection.ManagerConfig{MaxSessions: 3})
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			tg := target(string(rune('a'+i)), "127.0.0.1", "", "")
			s := m.Host(tg.Host)
			defer s.Close()
			for range 3 { // three subtasks share one session
				px, err := s.Get(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				cs, _ := connection.Use[connection.CommandSender](px)
				if _, err := cs.SendCommand(context.Background(), "show version"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	st := p.Stats()
	if st.Opens != 10 || st.MaxOpen > 3 || st.Open != 0 {
		t.Errorf("stats = %+v", st)
	}
	if n := len(p.Sent()); n != 30 {
		t.Errorf("%d commands sent", n)
	}
}

// TestDeadSessionReplaced: after the device drops the session, the next Get (a retry) opens a
// new one instead of lending the dead one.
func TestDeadSessionReplaced(t *testing.T) {
	p := conntest.New().On("show clock", conntest.Reply{Drop: true}, conntest.Reply{Output: "10:00"})
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "ios", Type: "ssh", Library: "fake"}, p.Opener())
	m := connection.NewManager(reg, connection.ManagerConfig{MaxSessions: 1})
	tg := target("r1", "127.0.0.1", "", "")
	s := m.Host(tg.Host)
	defer s.Close()
	ctx := context.Background()
	var outs []string
	for attempt := range 2 {
		px, err := s.Get(ctx)
		if err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
		cs, _ := connection.Use[connection.CommandSender](px)
		r, err := cs.SendCommand(ctx, "show clock")
		if attempt == 0 && !errors.Is(err, connection.ErrConnectionLost) {
			t.Fatalf("first attempt: %v", err)
		}
		outs = append(outs, r.Output)
	}
	if outs[1] != "10:00" {
		t.Errorf("outputs = %q", outs)
	}
	if st := p.Stats(); st.Opens != 2 || st.Closes != 1 || st.Open != 1 || m.Stats().Open != 1 {
		t.Errorf("fake %+v manager %+v", st, m.Stats())
	}
}
