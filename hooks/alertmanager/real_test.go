package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/internal/hooktest"
	"github.com/gonorn/norn/tasks"
)

// These tests run a real Alertmanager (Debian's prometheus-alertmanager, or an "alertmanager"
// binary on PATH, or the one named by $NORN_ALERTMANAGER) on loopback.

func alertmanagerBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NORN_ALERTMANAGER"); p != "" {
		return p
	}
	return hooktest.LookTool(t, "prometheus-alertmanager", "prometheus-alertmanager", "alertmanager")
}

// notification is what Alertmanager posts to a webhook receiver.
type notification struct {
	Status string `json:"status"`
	Alerts []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		EndsAt      time.Time         `json:"endsAt"`
	} `json:"alerts"`
	GroupLabels map[string]string `json:"groupLabels"`
}

type webhookSink struct {
	srv   *httptest.Server
	mu    sync.Mutex
	notes []notification
}

func (s *webhookSink) all() []notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notification(nil), s.notes...)
}

// startAlertmanager runs Alertmanager with a webhook receiver pointing at a local sink and
// returns its base URL. The process is killed when the test ends.
func startAlertmanager(t *testing.T) (string, *webhookSink) {
	return startAlertmanagerWith(t, "5m", "")
}

// startAlertmanagerWith is startAlertmanager with a resolve_timeout and extra configuration
// (inhibit_rules, ...) appended to the file.
func startAlertmanagerWith(t *testing.T, resolveTimeout, extra string) (string, *webhookSink) {
	bin := alertmanagerBinary(t)
	sink := &webhookSink{}
	sink.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("webhook receiver: %v", err)
		}
		sink.mu.Lock()
		sink.notes = append(sink.notes, n)
		sink.mu.Unlock()
	}))
	t.Cleanup(sink.srv.Close)

	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  resolve_timeout: %s
route:
  receiver: norn-test
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: norn-test
    webhook_configs:
      - url: %s/notify
        send_resolved: true
`, resolveTimeout, sink.srv.URL) + extra
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port := hooktest.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	hooktest.StartTool(t, base+"/-/ready", bin,
		"--config.file="+cfgPath,
		"--storage.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		"--cluster.listen-address=",
		"--log.level=debug",
	)
	return base, sink
}

// gettableAlert is the part of GET /api/v2/alerts the tests read.
type gettableAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

func activeAlerts(t *testing.T, base string) []gettableAlert {
	t.Helper()
	return queryAlerts(t, base, url.Values{"filter": {`alertname="NornTaskFailed"`}})
}

// queryAlerts is GET /api/v2/alerts with q, sorted by host.
func queryAlerts(t *testing.T, base string, q url.Values) []gettableAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v2/alerts: %d %s", resp.StatusCode, body)
	}
	var out []gettableAlert
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET /api/v2/alerts: %v: %s", err, body)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Labels["host"] < out[j].Labels["host"] })
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRealAlertmanager(t *testing.T) {
	base, sink := startAlertmanager(t)
	h := newHook(t, Config{URL: base, DataLabels: []string{"site", "role"}, Labels: map[string]string{"severity": "warning"}})
	hs := fleet(3)
	ctx := context.Background()
	for _, host := range hs {
		h.TaskFailed(ctx, failed(host, fmt.Errorf("%s: dial with Pa55-%s: %w", host.Name, host.Name, context.DeadlineExceeded), time.Now()))
	}
	flush(t, h)
	if s := h.Stats(); s.Sent != 3 || s.Failed != 0 {
		t.Fatalf("Stats = %+v", s)
	}

	// The alerts are in Alertmanager's API with the hook's labels.
	got := activeAlerts(t, base)
	if len(got) != 3 {
		t.Fatalf("Alertmanager holds %d alerts, want 3: %+v", len(got), got)
	}
	for i, a := range got {
		want := map[string]string{"alertname": "NornTaskFailed", "host": fmt.Sprintf("r%d", i), "task": "backup",
			"platform": "cisco_iosxe", "site": "ams1", "role": "edge", "severity": "warning", "error_class": "timeout"}
		if fmt.Sprint(a.Labels) != fmt.Sprint(want) {
			t.Errorf("alert %d labels = %v, want %v", i, a.Labels, want)
		}
		if a.Status.State != "active" || a.Labels["error_class"] != "timeout" || a.Annotations["attempts"] != "3" {
			t.Errorf("alert %d state %q annotations %v", i, a.Status.State, a.Annotations)
		}
		if strings.Contains(a.Annotations["description"], "Pa55") {
			t.Errorf("alert %d leaks the password: %q", i, a.Annotations["description"])
		}
	}

	// The webhook receiver configured in Alertmanager gets them.
	eventually(t, "a firing notification with 3 alerts", func() bool {
		for _, n := range sink.all() {
			if n.Status == "firing" && len(n.Alerts) == 3 {
				return true
			}
		}
		return false
	})

	// r0 succeeds: its alert resolves in Alertmanager and the receiver is told.
	h.TaskOK(ctx, ok(hs[0], time.Now()))
	flush(t, h)
	eventually(t, "r0 resolved in the API", func() bool {
		for _, a := range activeAlerts(t, base) {
			if a.Labels["host"] == "r0" {
				return false
			}
		}
		return true
	})
	if n := len(activeAlerts(t, base)); n != 2 {
		t.Fatalf("%d alerts active after resolving r0, want 2", n)
	}
	eventually(t, "a notification resolving r0", func() bool {
		for _, n := range sink.all() {
			for _, a := range n.Alerts {
				if a.Labels["host"] == "r0" && a.Status == "resolved" {
					return true
				}
			}
		}
		return false
	})
}

// TestRealAlertmanagerRejects: Alertmanager's 400 for an invalid alert is not retried, and is
// logged with its message.
func TestRealAlertmanagerRejects(t *testing.T) {
	base, _ := startAlertmanager(t)
	log := &hooktest.Buffer{}
	h := newHook(t, Config{URL: base, Logger: zerologTo(log), sleep: func(context.Context, time.Duration) error {
		return errors.New("no retry expected")
	}})
	// An alert Alertmanager refuses: its end before its start.
	h.q.Enqueue(alert{Labels: map[string]string{"alertname": "NornTaskFailed", "host": "x"}, key: "x",
		StartsAt: "2025-01-02T00:00:00Z", EndsAt: "2025-01-01T00:00:00Z"})
	flush(t, h)
	if s := h.Stats(); s.Failed != 1 || s.Retries != 0 {
		t.Fatalf("Stats = %+v", s)
	}
	if !strings.Contains(log.String(), "400 Bad Request") {
		t.Fatalf("log lacks the 400:\n%s", log)
	}
}

// hostState returns the state of host's alert in Alertmanager ("active", "suppressed") and its
// error_class, or "" when it has none (never raised, or resolved).
func hostState(t *testing.T, base, host string) (state, class string) {
	for _, a := range queryAlerts(t, base, url.Values{"filter": {`host="` + host + `"`}}) {
		return a.Status.State, a.Labels["error_class"]
	}
	return "", ""
}

// TestRealAlertmanagerAcrossRuns plays three cron runs as three processes (three Hooks, each
// closed at its run's end) against an Alertmanager whose resolve_timeout is 1s: r0 fails, fails
// again, then succeeds. With Expire, r0's alert stays firing between the runs, long after the
// resolve_timeout, until run 3 resolves it; r1, which never failed, is never posted. r2, raised
// without Expire (the old behaviour), auto-resolves after resolve_timeout.
func TestRealAlertmanagerAcrossRuns(t *testing.T) {
	base, _ := startAlertmanagerWith(t, "1s", "")
	hs := fleet(3)
	ctx := context.Background()
	failing := map[string]Failure{} // the store's status: last failure per host
	var mu sync.Mutex
	runOnce := func(r0Fails bool) Stats {
		h := newHook(t, Config{URL: base, Expire: 4 * time.Second, ResendInterval: time.Second,
			MayBeFiring: func(host string) (Failure, bool) {
				mu.Lock()
				defer mu.Unlock()
				f, ok := failing[host]
				return f, ok
			}})
		if r0Fails {
			h.TaskFailed(ctx, failed(hs[0], fmt.Errorf("dial: %w", context.DeadlineExceeded), time.Now()))
		} else {
			h.TaskOK(ctx, ok(hs[0], time.Now()))
		}
		h.TaskOK(ctx, ok(hs[1], time.Now()))
		flush(t, h)
		closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := h.Close(closeCtx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if r0Fails {
			failing["r0"] = Failure{Class: tasks.ClassTimeout}
		} else {
			delete(failing, "r0")
		}
		return h.Stats()
	}
	old := newHook(t, Config{URL: base})
	old.TaskFailed(ctx, failed(hs[2], errors.New("no Expire"), time.Now()))
	flush(t, old)

	if s := runOnce(true); s.Sent != 1 {
		t.Fatalf("run 1 posted %d alerts, want r0's only: %+v", s.Sent, s)
	}
	time.Sleep(2 * time.Second) // past resolve_timeout
	if st, class := hostState(t, base, "r0"); st != "active" || class != "timeout" {
		t.Fatalf("after run 1 and 2s: r0 alert %q %q, want active timeout", st, class)
	}
	eventually(t, "r2 (no Expire) auto-resolved", func() bool { st, _ := hostState(t, base, "r2"); return st == "" })

	if s := runOnce(true); s.Sent != 1 {
		t.Fatalf("run 2 posted %d alerts, want r0's only (r1 never fired): %+v", s.Sent, s)
	}
	time.Sleep(3 * time.Second) // past run 1's endsAt (4s) and resolve_timeout
	if st, _ := hostState(t, base, "r0"); st != "active" {
		t.Fatalf("after run 2 and 3s: r0 alert %q, want still active", st)
	}
	if st, _ := hostState(t, base, "r1"); st != "" {
		t.Fatalf("r1, which never failed, has an alert: %q", st)
	}

	if s := runOnce(false); s.Sent != 1 {
		t.Fatalf("run 3 posted %d alerts, want r0's resolve only: %+v", s.Sent, s)
	}
	if st, _ := hostState(t, base, "r0"); st != "" {
		t.Fatalf("after run 3 (r0 ok): r0 alert %q, want resolved", st)
	}
}

// inhibitRule is the README's rule: a breaker_open alert whose breaker opened on authentication
// failures is hidden while an authentication alert of the same task and site fires.
const inhibitRule = `inhibit_rules:
  - source_matchers: [alertname="NornBackupFailed", error_class="authentication"]
    target_matchers: [alertname="NornBackupFailed", error_class="breaker_open", breaker_cause="authentication"]
    equal: [task, site]
`

// TestRealAlertmanagerInhibitsBreakerOpen: with the README's inhibit rule, the hosts a breaker
// skipped after authentication failures are suppressed under the authentication alert.
func TestRealAlertmanagerInhibitsBreakerOpen(t *testing.T) {
	base, _ := startAlertmanagerWith(t, "5m", inhibitRule)
	h := newHook(t, Config{URL: base, AlertName: "NornBackupFailed", DataLabels: []string{"site"}})
	hs := fleet(3)
	ctx := context.Background()
	authErr := fmt.Errorf("login: %w", connection.ErrAuthentication)
	h.BreakerStateChange(ctx, &hooks.BreakerEvent{Name: "run", From: "closed", To: "open", Failures: 3, Err: authErr})
	h.TaskFailed(ctx, failed(hs[0], authErr, time.Now()))
	h.TaskFailed(ctx, failed(hs[1], tasks.WithClass(tasks.ClassBreakerOpen,
		errors.New(`host r1: not attempted: circuit breaker "run" is open`)), time.Now()))
	h.TaskFailed(ctx, failed(hs[2], fmt.Errorf("dial: %w", context.DeadlineExceeded), time.Now()))
	flush(t, h)
	eventually(t, "r1 suppressed", func() bool { st, _ := hostState(t, base, "r1"); return st == "suppressed" })
	for host, want := range map[string]string{"r0": "active", "r2": "active"} {
		if st, _ := hostState(t, base, host); st != want {
			t.Errorf("%s: %q, want %q", host, st, want)
		}
	}
	got := queryAlerts(t, base, url.Values{"filter": {`host="r1"`}})
	if len(got) != 1 || got[0].Labels["breaker_cause"] != "authentication" {
		t.Fatalf("r1 alert = %+v, want breaker_cause authentication", got)
	}
}
