package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/internal/hooktest"
)

// fleetStates is a status store's view: r1 backed up, r2 failing, r3 never backed up.
func fleetStates(context.Context) ([]HostState, error) {
	return []HostState{
		{Host: "r1", Platform: "cisco_iosxe", Site: "ams1", Role: "edge", LastAttempt: t0, LastSuccess: t0,
			LastDuration: 1500 * time.Millisecond, ConfigBytes: 2048, ConfigLines: 80},
		{Host: "r2", Platform: "arista_eos", Site: "lon1", LastAttempt: t0, LastSuccess: t0.Add(-48 * time.Hour),
			LastFailure: t0, FailureClass: "authentication", ConsecutiveFailures: 3, ConfigBytes: 1000, ConfigLines: 40},
		{Host: "r3", Platform: "juniper_junos", LastAttempt: t0, LastFailure: t0, FailureClass: "timeout", ConsecutiveFailures: 1},
	}, nil
}

func TestHostStatesEveryHostHasItsSeries(t *testing.T) {
	h := newHook(t, Config{HostStates: fleetStates})
	// This run saw r1 only (a -filter run): the others keep their series all the same.
	h.TaskOK(context.Background(), okEvent("r1", time.Second, t0))
	mfs, body := scrape(t, h)
	for _, host := range []string{"r1", "r2", "r3"} {
		value(t, mfs, "norn_host_last_success_timestamp_seconds", map[string]string{"host": host})
		value(t, mfs, "norn_host_info", map[string]string{"host": host})
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"norn_host_last_success_timestamp_seconds", map[string]string{"host": "r3"}, 0},
		{"norn_host_never_backed_up", map[string]string{"host": "r3"}, 1},
		{"norn_host_never_backed_up", map[string]string{"host": "r1"}, 0},
		{"norn_host_consecutive_failures", map[string]string{"host": "r2"}, 3},
		{"norn_host_failure_info", map[string]string{"host": "r2", "error_class": "authentication"}, 1},
		{"norn_host_last_duration_seconds", map[string]string{"host": "r1"}, 1.5},
		{"norn_host_config_bytes", map[string]string{"host": "r1"}, 2048},
		{"norn_host_config_lines", map[string]string{"host": "r1"}, 80},
		{"norn_host_info", map[string]string{"host": "r1", "platform": "cisco_iosxe", "site": "ams1", "role": "edge"}, 1},
		{"norn_hosts", nil, 3},
	} {
		if got := value(t, mfs, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if strings.Contains(body, `norn_host_failure_info{error_class="authentication",host="r1"}`) || strings.Contains(body, "norn_host_ok") {
		t.Errorf("unexpected series:\n%s", body)
	}
	checkMetrics(t, body)
}

func TestHostStatesError(t *testing.T) {
	h := newHook(t, Config{HostStates: func(context.Context) ([]HostState, error) { return nil, errors.New("status.json: permission denied") }})
	if _, err := h.Registry().Gather(); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Gather = %v, want the source's error", err)
	}
}

func TestSetupFailedPushesWithPOST(t *testing.T) {
	gw := newGateway(t)
	h := newHook(t, Config{PushURL: gw.srv.URL, PushJob: "norn_backup", ManualPush: true,
		HostStates: func(context.Context) ([]HostState, error) { return nil, nil }})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.SetupFailed(ctx, "backup", "inventory", errors.New("hosts.yaml:1:1: bad"))
	p := gw.all()
	if len(p) != 1 || p[0].method != http.MethodPost || p[0].path != "/metrics/job/norn_backup" {
		t.Fatalf("pushes = %+v, want one POST", p)
	}
	if strings.Contains(p[0].body, "norn_hosts") {
		t.Errorf("a setup-failure push carries norn_hosts (it would replace the last run's):\n%s", p[0].body)
	}
	for _, line := range []string{`norn_run_setup_failed{task="backup"} 1`, `norn_inventory_load_failed{task="backup"} 1`} {
		if !strings.Contains(p[0].body, line+"\n") {
			t.Errorf("push lacks %q:\n%s", line, p[0].body)
		}
	}
	// A run that starts clears them; RunEnd does not push (ManualPush), Push does, with PUT.
	h.RunStart(ctx, &hooks.RunEvent{Run: run})
	h.RunEnd(ctx, &hooks.RunEvent{Run: run})
	if n := len(gw.all()); n != 1 {
		t.Fatalf("RunEnd pushed with ManualPush (%d pushes)", n)
	}
	if err := h.Push(ctx); err != nil {
		t.Fatal(err)
	}
	p = gw.all()
	if len(p) != 2 || p[1].method != http.MethodPut || !strings.Contains(p[1].body, `norn_run_setup_failed{task="backup"} 0`) {
		t.Fatalf("second push = %+v", p[len(p)-1])
	}
}

// checkMetrics lints an exposition with promlint and, when installed, promtool check metrics.
func checkMetrics(t *testing.T, body string) {
	t.Helper()
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not installed (apt-get install prometheus; scripts/test.sh does it): promlint only")
		return
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestRealPushgateway pushes the fleet's state to a real Pushgateway (Debian's
// prometheus-pushgateway) from two "runs", the second filtered to one host, and scrapes it:
// every host keeps its series.
func TestRealPushgateway(t *testing.T) {
	bin := hooktest.LookTool(t, "prometheus-pushgateway", "prometheus-pushgateway", "pushgateway")
	base := fmt.Sprintf("http://127.0.0.1:%d", hooktest.FreePort(t))
	hooktest.StartTool(t, base+"/-/ready", bin, "--web.listen-address="+strings.TrimPrefix(base, "http://"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for runN, seen := range [][]string{{"r1", "r2", "r3"}, {"r1"}} {
		h, err := New(Config{PushURL: base, PushJob: "norn_backup", HostStates: fleetStates})
		if err != nil {
			t.Fatal(err)
		}
		h.RunStart(ctx, &hooks.RunEvent{Run: run})
		for _, host := range seen {
			h.TaskOK(ctx, okEvent(host, time.Second, t0))
		}
		h.RunEnd(ctx, &hooks.RunEvent{Run: run, Summary: hooks.Summary{OK: len(seen)}})
		if err := h.Close(ctx); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, host := range []string{"r1", "r2", "r3"} {
			want := fmt.Sprintf(`norn_host_last_success_timestamp_seconds{host=%q,instance="",job="norn_backup"}`, host)
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("run %d: the Pushgateway lacks %s", runN+1, want)
			}
		}
		if !bytes.Contains(body, []byte(`norn_run_setup_failed{instance="",job="norn_backup",task="backup"} 0`)) {
			t.Errorf("run %d: no setup gauge", runN+1)
		}
		if t.Failed() {
			t.Fatalf("scrape:\n%s", body)
		}
	}
}
