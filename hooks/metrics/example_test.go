package metrics_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/metrics"
	"github.com/gonorn/norn/tasks"
)

// A long-running program serves the hook's registry on /metrics.
func Example() {
	hook, err := metrics.New(metrics.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hook.Close(context.Background())
	mux := http.NewServeMux()
	mux.Handle("/metrics", hook.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The runner calls these; here they are called by hand.
	ctx := context.Background()
	at := time.Unix(1735689600, 0)
	hook.TaskOK(ctx, &hooks.Event{Task: "backup", Time: at, Result: &tasks.Result{Host: "r1", Status: tasks.StatusOK, Duration: time.Second}})
	hook.TaskFailed(ctx, &hooks.Event{Task: "backup", Time: at, Result: &tasks.Result{Host: "r2", Status: tasks.StatusFailed,
		Err: tasks.WithClass(tasks.ClassTimeout, errors.New("no prompt"))}})

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "norn_tasks_total") || strings.HasPrefix(line, "norn_task_failures_total") ||
			strings.HasPrefix(line, "norn_host_") {
			fmt.Println(line)
		}
	}
	// Output:
	// norn_host_last_success_timestamp_seconds{host="r1",task="backup"} 1.7356896e+09
	// norn_host_ok{host="r1",task="backup"} 1
	// norn_host_ok{host="r2",task="backup"} 0
	// norn_task_failures_total{error_class="timeout",task="backup"} 1
	// norn_tasks_total{result="failed",task="backup"} 1
	// norn_tasks_total{result="ok",task="backup"} 1
}

// A batch program pushes the registry to a Pushgateway at the end of each run.
func Example_pushgateway() {
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}))
	defer gw.Close()

	hook, err := metrics.New(metrics.Config{PushURL: gw.URL, PushGrouping: map[string]string{"instance": "backup-cron"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hook.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // the runner's FlushTimeout
	defer cancel()
	hook.RunEnd(ctx, &hooks.RunEvent{Run: &hooks.Run{Task: "backup"}, Summary: hooks.Summary{OK: 10, Duration: time.Minute}})
	// Output:
	// PUT /metrics/job/norn/instance/backup-cron text/plain; version=0.0.4; charset=utf-8
}
