package progress

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/tasks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestLinesMode(t *testing.T) {
	var out syncBuf
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := New(Config{Output: &out, Mode: Lines, Interval: time.Millisecond, Now: clock})
	ctx := context.Background()
	p.RunStart(ctx, &hooks.RunEvent{Run: &hooks.Run{Task: "backup", Hosts: 4}})
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	p.TaskOK(ctx, &hooks.Event{Result: &tasks.Result{Status: tasks.StatusOK}})
	p.TaskRetry(ctx, &hooks.Event{Err: errors.New("x")})
	p.TaskFailed(ctx, &hooks.Event{Result: &tasks.Result{Status: tasks.StatusFailed}})
	if got, want := p.Line(), "backup: 2/4 done (1 ok, 1 failed, 1 retries) 1.0 hosts/s, ETA 2s"; got != want {
		t.Fatalf("Line() = %q, want %q", got, want)
	}
	time.Sleep(20 * time.Millisecond) // let the ticker print at least once
	p.RunEnd(ctx, &hooks.RunEvent{})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("want periodic lines and a last line, got %q", out.String())
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "backup: 2/4 done") {
		t.Fatalf("last line %q", last)
	}
}

func TestBarModeCompletesWithHostsNotRun(t *testing.T) {
	var out syncBuf
	p := New(Config{Output: &out, Mode: Bar})
	ctx := context.Background()
	p.RunStart(ctx, &hooks.RunEvent{Run: &hooks.Run{Task: "backup", Hosts: 3}})
	p.TaskOK(ctx, &hooks.Event{Result: &tasks.Result{Duration: time.Millisecond}})
	done := make(chan struct{})
	go func() { p.RunEnd(ctx, &hooks.RunEvent{}); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunEnd did not return with 2 hosts never finished")
	}
	if !strings.Contains(out.String(), "backup") {
		t.Fatalf("bar output %q lacks the task name", out.String())
	}
}

func TestAutoIsLinesOnNonTerminal(t *testing.T) {
	if p := New(Config{Output: &bytes.Buffer{}}); p.cfg.Mode != Lines {
		t.Fatalf("mode %v, want Lines", p.cfg.Mode)
	}
}

func TestOffPrintsNothing(t *testing.T) {
	var out bytes.Buffer
	p := New(Config{Output: &out, Mode: Off})
	ctx := context.Background()
	p.RunStart(ctx, &hooks.RunEvent{Run: &hooks.Run{Task: "t", Hosts: 1}})
	p.TaskOK(ctx, &hooks.Event{})
	p.RunEnd(ctx, &hooks.RunEvent{})
	if out.Len() != 0 {
		t.Fatalf("Off printed %q", out.String())
	}
}
