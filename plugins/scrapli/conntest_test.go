package scrapli_test

import (
	"net"
	"testing"
	"time"

	"github.com/gonorn/norn/connection/conntest"
	"github.com/gonorn/norn/devsim"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// TestConformance runs the connection package's conformance suite against the SSH plugin of
// every simulated platform.
func TestConformance(t *testing.T) {
	for _, pc := range platformCases {
		t.Run(string(pc.platform), func(t *testing.T) {
			t.Parallel()
			l := startPlatform(t, pc.platform, devsim.DeviceConfig{Seed: 5})
			bad := l.target(nil)
			bad.Params.Password = "wrong-password"
			unreachable := l.target(nil)
			unreachable.Params.Port = closedPort(t)
			conntest.Exercise(t, conntest.Suite{
				Opener:         opener(t, string(pc.platform)),
				Target:         l.target(nil),
				Command:        "show version",
				InvalidCommand: "show norn nonsense",
				BadAuth:        &bad,
				Unreachable:    &unreachable,
				Config:         pc.config,
				Save:           true,
				Timeout:        20 * time.Second,
			})
		})
	}
}
