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

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

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

// A HostCollector exports each host's state across runs, here from a fixed list (norn backup
// reads the repository's status; norn serve may register one on its registry).
func ExampleNewHostCollector() {
	last := time.Date(2025, 7, 1, 6, 0, 0, 0, time.UTC)
	c := metrics.NewHostCollector("norn", func(context.Context) ([]metrics.HostState, error) {
		return []metrics.HostState{
			{Host: "r1", Platform: "cisco_iosxe", Site: "ams1", LastSuccess: last},
			{Host: "r2", Platform: "arista_eos", Site: "lon1", LastFailure: last, FailureClass: "timeout", ConsecutiveFailures: 2},
		}, nil
	})
	out, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain,
		"norn_host_last_success_timestamp_seconds", "norn_host_failure_info")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// # HELP norn_host_failure_info 1 while the host fails, labelled with the last failure's class.
	// # TYPE norn_host_failure_info gauge
	// norn_host_failure_info{error_class="timeout",host="r2"} 1
	// # HELP norn_host_last_success_timestamp_seconds Unix time of the host's last good result (0: never).
	// # TYPE norn_host_last_success_timestamp_seconds gauge
	// norn_host_last_success_timestamp_seconds{host="r1"} 1.7513496e+09
	// norn_host_last_success_timestamp_seconds{host="r2"} 0
}
