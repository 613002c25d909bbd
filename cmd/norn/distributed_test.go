package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startNATS starts an embedded JetStream server on loopback for the test.
func startNATS(t *testing.T) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s.ClientURL()
}

// startWorkers runs 'norn worker' for each region until the test ends.
func startWorkers(t *testing.T, url, inv string, regions ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, r := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stderr bytes.Buffer
			code := workerCmd(ctx, []string{"-region", r, "-nats-url", url, "-inventory", inv, "-nats-route", "site",
				"-progress", "off", "-timeout", "20s"}, &bytes.Buffer{}, &stderr)
			if code != exitOK {
				t.Errorf("worker %s: exit %d: %s", r, code, stderr.String())
			}
		}()
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

func TestDistributedBackupCommitsOnTheController(t *testing.T) {
	url := startNATS(t)
	f := newFixture(t, 15, nil) // sites ams (0-4), fra (5-9), lon (10-14)
	startWorkers(t, url, f.inv, "ams", "fra")
	code, stdout, stderr := f.run(t, "-nats-url", url, "-nats-route", "site", "-nats-no-worker-wait", "2s")
	if code != exitFailed {
		t.Fatalf("exit %d; want 1 (the lon hosts have no worker)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	mustMatch(t, "summary", `ok\s+10\b`, stdout)
	mustMatch(t, "summary", `not run\s+5\b`, stdout)
	mustMatch(t, "summary", `no worker of queue "lon"`, stdout+stderr)
	cs := commits(t, f.out)
	if len(cs) != 1 {
		t.Fatalf("%d commits; want the run's one", len(cs))
	}
	for i, name := range f.names {
		b, err := os.ReadFile(filepath.Join(f.out, "configs", name))
		switch {
		case i < 10 && err != nil:
			t.Errorf("%s: no stored configuration: %v", name, err)
		case i < 10:
			noSecrets(t, name, string(b))
			if !strings.Contains(string(b), "<removed>") {
				t.Errorf("%s: the stored configuration was not redacted by the worker", name)
			}
		case err == nil:
			t.Errorf("%s: stored, but its region has no worker", name)
		}
	}

	// A local run afterwards finds nothing changed: the workers stored what a local run stores.
	code, stdout, stderr = f.run(t, "-filter", "site in [ams, fra]")
	if code != exitOK {
		t.Fatalf("local rerun: exit %d\n%s\n%s", code, stdout, stderr)
	}
	mustMatch(t, "local rerun", `changed 0, unchanged 10`, stdout)
}

func TestWorkerUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-region", "emea"}, "-nats-url"},
		{[]string{"-nats-url", "nats://127.0.0.1:1"}, "-region"},
		{[]string{"-nats-url", "nats://127.0.0.1:1", "-region", "EMEA 1"}, `want lower-case`},
		{[]string{"-nats-url", "nats://127.0.0.1:1", "-region", "emea"}, "no inventory"},
		{[]string{"-nats-url", "nats://127.0.0.1:1", "-region", "emea", "-nats-ack-wait", "10ms"}, "-nats-ack-wait 10ms: want at least 1s"},
	} {
		var stderr bytes.Buffer
		if code := workerCmd(context.Background(), tc.args, &bytes.Buffer{}, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("norn worker %v: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	// The controller refuses the simulated fleet: workers cannot share it.
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"-nats-url", "nats://127.0.0.1:1"}, &bytes.Buffer{}, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "needs an inventory its workers share") {
		t.Errorf("norn backup -nats-url without inventory: exit %d, %q", code, stderr.String())
	}
}

func TestRedactNATSURL(t *testing.T) {
	got := redactURL("nats://user:s3cret@a.example.com:4222, nats://b.example.com:4222")
	if strings.Contains(got, "s3cret") || strings.Contains(got, "user") || !strings.Contains(got, "a.example.com:4222") ||
		!strings.Contains(got, "b.example.com:4222") {
		t.Fatalf("redactURL = %q", got)
	}
}
