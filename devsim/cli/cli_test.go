package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"gopkg.in/yaml.v3"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, "devsim", []string{"-n", "12", "-seed", "3", "-inventory", dir, "-fault-rate", "0.25", "-fault", "ams-rtr-0001=reject-auth,slow", "-list"}, &out, &errOut)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "running until") {
		if time.Now().After(deadline) {
			t.Fatalf("devsim did not start: %s %s", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{"devsim: 12 devices listening on 127.0.0.1", "known_hosts: " + filepath.Join(dir, "known_hosts"), "inventory: " + dir, "ams-rtr-0001\tcisco_iosxe\t127.0.0.1:", "reject-auth,slow(read=100ms,write=0s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	var hosts map[string]map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "hosts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &hosts); err != nil || len(hosts) != 12 {
		t.Fatalf("hosts.yaml: %v, %d hosts", err, len(hosts))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "devsim: stopping:") {
		t.Fatalf("no stop summary:\n%s", out.String())
	}
}

func TestRunBadFlags(t *testing.T) {
	var out, errOut syncBuffer
	for _, args := range [][]string{{"-platforms", "cisco_ios"}, {"-fault", "x=melt"}, {"-fault-rate", "3"}, {"-host", "192.0.2.1"}} {
		if err := Run(context.Background(), "devsim", args, &out, &errOut); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
