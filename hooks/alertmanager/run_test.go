package alertmanager_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/alertmanager"
	"github.com/gonorn/norn/hooks/internal/hooktest"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

// TestRunWithHangingAlertmanager: a 1,000-host run in which every host fails, against an
// Alertmanager that accepts connections and never answers. The run ends within its flush
// deadline and the hook reports what it could not deliver.
func TestRunWithHangingAlertmanager(t *testing.T) {
	url, conns := hooktest.Hanging(t)
	log := &hooktest.Buffer{}
	hook, err := alertmanager.New(alertmanager.Config{URL: url, QueueSize: 512, Logger: zerolog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	var hosts []*inventory.Host
	for i := range 1000 {
		hosts = append(hosts, &inventory.Host{Name: fmt.Sprintf("sw%04d", i), Attrs: inventory.Attrs{Platform: "cisco_nxos"}})
	}
	const flush = 300 * time.Millisecond
	r, err := runner.New(runner.Config{Inventory: inventory.New(hosts, nil, nil), Hooks: []hooks.Hook{hook}, FlushTimeout: flush})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := r.Run(context.Background(), "backup", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		return tasks.Result{}, errors.New("connection refused")
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Failed != 1000 {
		t.Fatalf("summary %+v, want 1000 failed", res.Summary)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	closeErr := hook.Close(ctx)
	s := hook.Stats()
	t.Logf("1000-host run with a hanging Alertmanager: %v (flush deadline %v); %d connections; stats %+v; Close: %v",
		elapsed, flush, conns(), s, closeErr)
	// 1001: the hosts' alerts and the resolve of the run's setup alert (RunStart).
	if s.Sent != 0 || s.Dropped+s.Failed != 1001 || s.Dropped == 0 || s.Firing != 1000 {
		t.Errorf("Stats = %+v, want all 1001 alerts dropped or failed", s)
	}
	if lost := hook.Undelivered(); len(lost) != 1001 || lost[0] != alertmanager.SetupUndelivered || lost[1] != "sw0000" {
		t.Errorf("Undelivered names %d (%.3q...), want the 1000 hosts and the setup alert", len(lost), lost)
	}
	if closeErr == nil || !strings.Contains(closeErr.Error(), "undelivered") {
		t.Errorf("Close = %v, want an undelivered error", closeErr)
	}
	if conns() == 0 {
		t.Error("the hook never reached the receiver")
	}
	for _, want := range []string{"item dropped", "flush deadline passed", "hook delivery: closed"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}
