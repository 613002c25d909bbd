package scrapli_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
)

// TestAlive: a session reports itself dead (connection.Liveness) after a lost connection, a
// device hanging up, or Close, without I/O.
func TestAlive(t *testing.T) {
	t.Run("lost", func(t *testing.T) {
		l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Faults: devsim.Faults{DropMidOutput: true}, ConfigSize: 64 << 10})
		s := openSession(t, l, nil)
		if !s.Alive() {
			t.Fatal("not alive after open")
		}
		if _, err := s.GetConfig(ctxT(t), "running"); !errors.Is(err, connection.ErrConnectionLost) {
			t.Fatalf("GetConfig = %v, want a lost connection", err)
		}
		if s.Alive() {
			t.Error("alive after a lost connection")
		}
	})
	t.Run("device hangs up", func(t *testing.T) {
		l := startPlatform(t, devsim.JuniperJunos, devsim.DeviceConfig{})
		s := openSession(t, l, nil)
		if !s.Alive() {
			t.Fatal("not alive after open")
		}
		if err := l.dev.Close(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for s.Alive() {
			if time.Now().After(deadline) {
				t.Fatal("still alive 5 s after the device closed the connection")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Run("closed", func(t *testing.T) {
		l := startPlatform(t, devsim.AristaEOS, devsim.DeviceConfig{})
		s := openSession(t, l, nil)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if s.Alive() {
			t.Error("alive after Close")
		}
		waitIdle(t, l.dev)
	})
}

// TestRetryGetsFreshSession is what a retried task sees: after a session lost its connection,
// the next Get of the host's sessions opens a new one instead of lending the dead one (which
// would fail with "session unusable after an earlier failure").
func TestRetryGetsFreshSession(t *testing.T) {
	for _, typ := range []string{scrapli.TypeSSH, scrapli.TypeNETCONF} {
		t.Run(typ, func(t *testing.T) {
			l := startPlatform(t, devsim.CiscoIOSXR, devsim.DeviceConfig{Faults: devsim.Faults{DropMidOutput: true}, ConfigSize: 64 << 10})
			tg := l.target(nil)
			extras := tg.Params.Extras
			if typ == scrapli.TypeNETCONF {
				delete(extras, scrapli.ExtraAuthSecondary)
			}
			name := map[string]string{scrapli.TypeSSH: "scrapli", scrapli.TypeNETCONF: "scrapli_netconf"}[typ]
			h := &inventory.Host{
				Name: l.dev.Name(),
				Attrs: inventory.Attrs{Hostname: tg.Params.Hostname, Port: tg.Params.Port, Username: tg.Params.Username,
					Password: tg.Params.Password, Platform: tg.Params.Platform},
				ConnectionOptions: map[string]*inventory.ConnectionOptions{name: {Extras: extras}},
			}
			reg := connection.NewRegistry()
			scrapli.MustRegister(reg)
			sessions := connection.NewManager(reg, connection.ManagerConfig{}).Host(h)
			defer sessions.Close()

			getConfig := func() (string, error) {
				p, err := sessions.Get(ctxT(t), connection.WithType(typ))
				if err != nil {
					return "", err
				}
				g, err := connection.Use[connection.ConfigGetter](p)
				if err != nil {
					return "", err
				}
				return g.GetConfig(ctxT(t), "running")
			}
			_, err := getConfig()
			if !errors.Is(err, connection.ErrConnectionLost) {
				t.Fatalf("first attempt: %v, want a lost connection", err)
			}
			// The device drops the first long output of every connection: the retry of a
			// session that was reused would fail "unusable", a new one drops again (and says so).
			_, err = getConfig()
			if !errors.Is(err, connection.ErrConnectionLost) || strings.Contains(err.Error(), "unusable") {
				t.Fatalf("second attempt: %v, want a new session losing its connection", err)
			}
			l.dev.SetFaults(devsim.Faults{})
			cfg, err := getConfig()
			if err != nil {
				t.Fatalf("third attempt (fault cleared): %v", err)
			}
			if !strings.Contains(cfg, l.dev.Hostname()) {
				t.Errorf("configuration lacks the hostname %q", l.dev.Hostname())
			}
			if st := l.dev.Stats(); st.Logins < 3 {
				t.Errorf("device saw %d logins, want 3 (one per attempt)", st.Logins)
			}
		})
	}
}
