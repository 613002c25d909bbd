package scrapli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
)

// lab is one simulated device and what a plugin needs to reach it.
type lab struct {
	dev        *devsim.Device
	knownHosts string
}

func startLab(t testing.TB, cfg devsim.DeviceConfig) *lab {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	d, err := devsim.Start(cfg)
	if err != nil && strings.Contains(err.Error(), "not simulated") {
		t.Skipf("simulator: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(d.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &lab{dev: d, knownHosts: kh}
}

// target is the device as an inventory host would give it, with extras added to the defaults
// (strict host keys on, the lab's known_hosts, short timeouts).
func (l *lab) target(extras map[string]any) connection.Target {
	cfg := l.dev.Config()
	ex := map[string]any{
		scrapli.ExtraKnownHostsFile: l.knownHosts,
		scrapli.ExtraTimeoutOps:     10,
		scrapli.ExtraTimeoutSocket:  5,
	}
	if cfg.EnableSecret != "" {
		ex[scrapli.ExtraAuthSecondary] = cfg.EnableSecret
	}
	for k, v := range extras {
		if v == nil {
			delete(ex, k)
			continue
		}
		ex[k] = v
	}
	return connection.Target{
		Host: &inventory.Host{Name: cfg.Name},
		Key:  connection.Key{Platform: string(cfg.Platform), Type: scrapli.TypeSSH, Library: scrapli.Library},
		Params: inventory.Params{
			Hostname: l.dev.Host(),
			Port:     l.dev.Port(),
			Username: cfg.Username,
			Password: cfg.Password,
			Platform: string(cfg.Platform),
			Extras:   ex,
		},
		Logger: zerolog.Nop(),
	}
}

func opener(t testing.TB, platform string) connection.Opener {
	t.Helper()
	o, err := scrapli.NewOpener(platform)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func openSession(t testing.TB, l *lab, extras map[string]any) *scrapli.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := opener(t, string(l.dev.Platform())).Open(ctx, l.target(extras))
	if err != nil {
		t.Fatalf("open %s: %v", l.dev.Platform(), err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.(*scrapli.Session)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
