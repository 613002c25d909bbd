package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/metrics"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

// TestRunMetricsAndPush: a real run through the runner (retries included) feeds the metrics,
// which are served by the handler and pushed at the run's end.
func TestRunMetricsAndPush(t *testing.T) {
	var mu sync.Mutex
	var pushes []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		mu.Lock()
		pushes = append(pushes, r.Method+" "+r.URL.Path+"\n"+b.String())
		mu.Unlock()
	}))
	defer gw.Close()
	hook, err := metrics.New(metrics.Config{PushURL: gw.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer hook.Close(context.Background())

	var hosts []*inventory.Host
	for i := range 100 {
		hosts = append(hosts, &inventory.Host{Name: fmt.Sprintf("sw%03d", i)})
	}
	r, err := runner.New(runner.Config{Inventory: inventory.New(hosts, nil, nil), Hooks: []hooks.Hook{hook},
		Retry: &runner.RetryConfig{MaxAttempts: 2, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), "backup", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		var n int
		fmt.Sscanf(tk.Host.Name, "sw%d", &n)
		if n%10 == 0 { // 10 hosts fail both attempts
			return tasks.Result{}, tasks.WithClass(tasks.ClassConnection, errors.New("connection refused"))
		}
		return tasks.Result{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.OK != 90 || res.Summary.Failed != 10 {
		t.Fatalf("summary %+v", res.Summary)
	}
	expected := `
# HELP norn_tasks_total Hosts whose task ended, by task and result (ok or failed).
# TYPE norn_tasks_total counter
norn_tasks_total{result="failed",task="backup"} 10
norn_tasks_total{result="ok",task="backup"} 90
# HELP norn_task_retries_total Task attempts that failed and were retried, by task and error class.
# TYPE norn_task_retries_total counter
norn_task_retries_total{error_class="connection",task="backup"} 10
# HELP norn_run_hosts Hosts of the last run of the task, by result (ok, failed, not_run).
# TYPE norn_run_hosts gauge
norn_run_hosts{result="failed",task="backup"} 10
norn_run_hosts{result="not_run",task="backup"} 0
norn_run_hosts{result="ok",task="backup"} 90
`
	if err := testutil.GatherAndCompare(hook.Registry(), strings.NewReader(expected),
		"norn_tasks_total", "norn_task_retries_total", "norn_run_hosts"); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(hook.Registry(), "norn_host_last_success_timestamp_seconds"); n != 90 {
		t.Errorf("%d last-success series, want 90", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pushes) != 1 || !strings.HasPrefix(pushes[0], "PUT /metrics/job/norn\n") ||
		!strings.Contains(pushes[0], `norn_tasks_total{result="ok",task="backup"} 90`) {
		t.Fatalf("pushes = %q", pushes)
	}
}
