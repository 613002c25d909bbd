package scrapli_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/plugins/scrapli"
)

// TestSystemTransport opens a session through scrapligo's system transport (the OpenSSH
// client binary, password typed in the channel), with strict host-key checking against the
// lab's known_hosts.
func TestSystemTransport(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh binary (openssh-client) on PATH: the system transport cannot be tested")
	}
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Seed: 4})
	s := openSession(t, l, map[string]any{scrapli.ExtraTransport: scrapli.TransportSystem})
	r, err := s.SendCommand(ctxT(t), "show version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Output, "Cisco IOS XE Software") {
		t.Fatalf("show version:\n%s", r.Output)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, l.dev)

	bad := l.target(map[string]any{scrapli.ExtraTransport: scrapli.TransportSystem})
	bad.Params.Password = "wrong"
	if _, err := opener(t, scrapli.PlatformIOSXE).Open(ctxT(t), bad); !errors.Is(err, connection.ErrAuthentication) {
		t.Errorf("wrong password over the system transport: %v", err)
	}
	waitIdle(t, l.dev)
}
