package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/internal/hooktest"
	"github.com/gonorn/norn/hooks/webhook"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

// TestRunWithHangingReceiver: a 1,000-host run in which every host fails, posting to a
// receiver that accepts connections and never answers. The run ends within its flush deadline
// and the hook reports what it dropped and could not deliver.
func TestRunWithHangingReceiver(t *testing.T) {
	url, conns := hooktest.Hanging(t)
	log := &hooktest.Buffer{}
	secret, _ := webhook.NewSecret()
	hook, err := webhook.New(webhook.Config{URL: url + "/hooks/norn", Secret: secret, QueueSize: 256, Logger: zerolog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	var hosts []*inventory.Host
	for i := range 1000 {
		hosts = append(hosts, &inventory.Host{Name: fmt.Sprintf("rtr%04d", i)})
	}
	const flush = 300 * time.Millisecond
	r, err := runner.New(runner.Config{Inventory: inventory.New(hosts, nil, nil), Hooks: []hooks.Hook{hook}, FlushTimeout: flush})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := r.Run(context.Background(), "backup", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		return tasks.Result{}, errors.New("no route to host")
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Failed != 1000 {
		t.Fatalf("summary %+v", res.Summary)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	closeErr := hook.Close(ctx)
	s := hook.Stats()
	t.Logf("1000-host run with a hanging webhook receiver: %v (flush deadline %v); %d connections; stats %+v; Close: %v",
		elapsed, flush, conns(), s, closeErr)
	// 1000 task.failed events and the run summary.
	if s.Sent != 0 || s.Dropped+s.Failed != 1001 || s.Dropped == 0 {
		t.Errorf("Stats = %+v, want all 1001 messages dropped or failed", s)
	}
	if closeErr == nil || !strings.Contains(closeErr.Error(), "undelivered") {
		t.Errorf("Close = %v", closeErr)
	}
	if strings.Contains(log.String(), "/hooks/norn") {
		t.Error("the log shows the URL's path")
	}
	for _, want := range []string{"item dropped", "flush deadline passed", "hook delivery: closed"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}
