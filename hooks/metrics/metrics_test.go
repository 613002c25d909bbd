package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/internal/hooktest"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newHook(t *testing.T, cfg Config) *Hook {
	t.Helper()
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Close(ctx)
	})
	return h
}

var (
	t0  = time.Date(2025, 7, 1, 6, 0, 0, 0, time.UTC)
	run = &hooks.Run{ID: "r", Task: "backup", Hosts: 4, Started: t0}
)

func host(name string) *inventory.Host {
	h := &inventory.Host{Name: name, Attrs: inventory.Attrs{Password: "S3cret-" + name}}
	inventory.New([]*inventory.Host{h}, nil, nil)
	return h
}

func okEvent(name string, d time.Duration, at time.Time) *hooks.Event {
	return &hooks.Event{Run: run, Host: host(name), Task: "backup", Time: at,
		Result: &tasks.Result{Host: name, Task: "backup", Status: tasks.StatusOK, Duration: d, Attempts: 1}}
}

func failEvent(name string, err error, d time.Duration) *hooks.Event {
	return &hooks.Event{Run: run, Host: host(name), Task: "backup", Time: t0,
		Result: &tasks.Result{Host: name, Task: "backup", Status: tasks.StatusFailed, Err: err, Duration: d, Attempts: 3}}
}

// feed drives a hook through a small run: 2 ok, 2 failed, 1 not run, 2 retries, a breaker.
func feed(h *Hook) {
	ctx := context.Background()
	h.TaskOK(ctx, okEvent("r1", 2*time.Second, t0.Add(10*time.Second)))
	h.TaskOK(ctx, okEvent("r2", 300*time.Millisecond, t0.Add(20*time.Second)))
	h.TaskRetry(ctx, &hooks.Event{Run: run, Task: "backup", Err: fmt.Errorf("dial: %w", connection.ErrOpen)})
	h.TaskRetry(ctx, &hooks.Event{Run: run, Task: "backup", Err: context.DeadlineExceeded})
	h.TaskFailed(ctx, failEvent("r3", fmt.Errorf("login with S3cret-r3: %w", connection.ErrAuthentication), 40*time.Second))
	h.TaskFailed(ctx, failEvent("r4", context.DeadlineExceeded, 700*time.Second))
	notRun := failEvent("r5", tasks.ErrNotRun, 0)
	notRun.Result.Status = tasks.StatusNotRun
	h.TaskFailed(ctx, notRun)
	h.BreakerStateChange(ctx, &hooks.BreakerEvent{Name: "site=ams1", From: "closed", To: "open", Time: t0})
	h.RunEnd(ctx, &hooks.RunEvent{Run: run, Time: t0.Add(time.Minute),
		Summary: hooks.Summary{OK: 2, Failed: 2, NotRun: 1, Changed: 1, Duration: 61500 * time.Millisecond}})
}

// scrape fetches the handler's exposition over HTTP and parses it.
func scrape(t *testing.T, h *Hook) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %s", resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the scrape: %v\n%s", err, body)
	}
	return mfs, string(body)
}

// value returns the value of the sample of family name whose labels match.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no %s sample with labels %v", name, labels)
	return 0
}

func TestScrapedMetrics(t *testing.T) {
	h := newHook(t, Config{})
	feed(h)
	mfs, body := scrape(t, h)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"norn_tasks_total", map[string]string{"task": "backup", "result": "ok"}, 2},
		{"norn_tasks_total", map[string]string{"task": "backup", "result": "failed"}, 2},
		{"norn_task_failures_total", map[string]string{"task": "backup", "error_class": "authentication"}, 1},
		{"norn_task_failures_total", map[string]string{"task": "backup", "error_class": "timeout"}, 1},
		{"norn_task_duration_seconds", map[string]string{"task": "backup", "result": "ok"}, 2},
		{"norn_task_duration_seconds", map[string]string{"task": "backup", "result": "failed"}, 2},
		{"norn_task_retries_total", map[string]string{"task": "backup", "error_class": "connection"}, 1},
		{"norn_task_retries_total", map[string]string{"task": "backup", "error_class": "timeout"}, 1},
		{"norn_breaker_state", map[string]string{"breaker": "site=ams1"}, BreakerOpen},
		{"norn_breaker_transitions_total", map[string]string{"breaker": "site=ams1", "state": "open"}, 1},
		{"norn_host_last_success_timestamp_seconds", map[string]string{"host": "r1", "task": "backup"}, float64(t0.Unix() + 10)},
		{"norn_host_last_success_timestamp_seconds", map[string]string{"host": "r2", "task": "backup"}, float64(t0.Unix() + 20)},
		{"norn_host_ok", map[string]string{"host": "r1", "task": "backup"}, 1},
		{"norn_host_ok", map[string]string{"host": "r4", "task": "backup"}, 0},
		{"norn_run_duration_seconds", map[string]string{"task": "backup"}, 61.5},
		{"norn_run_last_completion_timestamp_seconds", map[string]string{"task": "backup"}, float64(t0.Unix() + 60)},
		{"norn_run_hosts", map[string]string{"task": "backup", "result": "ok"}, 2},
		{"norn_run_hosts", map[string]string{"task": "backup", "result": "failed"}, 2},
		{"norn_run_hosts", map[string]string{"task": "backup", "result": "not_run"}, 1},
		{"norn_run_changed_hosts", map[string]string{"task": "backup"}, 1},
		{"norn_runs_total", map[string]string{"task": "backup"}, 1},
	} {
		if got := value(t, mfs, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Failed hosts have no last-success sample; the not-run host appears nowhere.
	if strings.Contains(body, `host="r3",task="backup"} 1.75`) || strings.Contains(body, `"r5"`) {
		t.Errorf("unexpected samples:\n%s", body)
	}
	if strings.Contains(body, "S3cret") {
		t.Error("a secret reached the metrics")
	}
	// The histogram's buckets, exactly.
	want := `
# HELP norn_task_duration_seconds Time a host's task took, retries included, by task and result.
# TYPE norn_task_duration_seconds histogram
norn_task_duration_seconds_bucket{result="failed",task="backup",le="0.1"} 0
norn_task_duration_seconds_bucket{result="failed",task="backup",le="0.25"} 0
norn_task_duration_seconds_bucket{result="failed",task="backup",le="0.5"} 0
norn_task_duration_seconds_bucket{result="failed",task="backup",le="1"} 0
norn_task_duration_seconds_bucket{result="failed",task="backup",le="2.5"} 0
norn_task_duration_seconds_bucket{result="failed",task="backup",le="5"} 0
norn_task_duration_seconds_bucket{result="failed",task="backup",le="10"} 0
norn_task_duration_seconds_bucket{result="failed",task="backup",le="30"} 0
norn_task_duration_seconds_bucket{result="failed",task="backup",le="60"} 1
norn_task_duration_seconds_bucket{result="failed",task="backup",le="120"} 1
norn_task_duration_seconds_bucket{result="failed",task="backup",le="300"} 1
norn_task_duration_seconds_bucket{result="failed",task="backup",le="600"} 1
norn_task_duration_seconds_bucket{result="failed",task="backup",le="+Inf"} 2
norn_task_duration_seconds_sum{result="failed",task="backup"} 740
norn_task_duration_seconds_count{result="failed",task="backup"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="0.1"} 0
norn_task_duration_seconds_bucket{result="ok",task="backup",le="0.25"} 0
norn_task_duration_seconds_bucket{result="ok",task="backup",le="0.5"} 1
norn_task_duration_seconds_bucket{result="ok",task="backup",le="1"} 1
norn_task_duration_seconds_bucket{result="ok",task="backup",le="2.5"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="5"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="10"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="30"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="60"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="120"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="300"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="600"} 2
norn_task_duration_seconds_bucket{result="ok",task="backup",le="+Inf"} 2
norn_task_duration_seconds_sum{result="ok",task="backup"} 2.3
norn_task_duration_seconds_count{result="ok",task="backup"} 2
`
	if err := testutil.GatherAndCompare(h.Registry(), strings.NewReader(want), "norn_task_duration_seconds"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(h.tasksTotal.WithLabelValues("backup", "ok")); got != 2 {
		t.Errorf("ToFloat64 = %v", got)
	}
}

func TestNamingConventions(t *testing.T) {
	h := newHook(t, Config{})
	h.ObserveHook("webhook", func() HookStats { return HookStats{} })
	feed(h)
	mfs, err := h.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if len(mfs) < 14 {
		t.Errorf("gathered %d families, want every metric", len(mfs))
	}
}

func TestOwnRegistry(t *testing.T) {
	a := newHook(t, Config{})
	b := newHook(t, Config{})
	a.TaskOK(context.Background(), okEvent("r1", time.Second, t0))
	if got := testutil.ToFloat64(b.tasksTotal.WithLabelValues("backup", "ok")); got != 0 {
		t.Fatalf("hooks share metrics: %v", got)
	}
	mfs, _ := prometheus.DefaultGatherer.Gather()
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "norn_") {
			t.Fatalf("%s registered globally", mf.GetName())
		}
	}
	// A second hook on the same registry and namespace is refused; another namespace is fine.
	if _, err := New(Config{Registry: a.Registry()}); err == nil || !strings.Contains(err.Error(), "registering") {
		t.Fatalf("New on a used registry = %v", err)
	}
	c := newHook(t, Config{Registry: a.Registry(), Namespace: "norn2"})
	c.TaskOK(context.Background(), okEvent("r1", time.Second, t0))
	if n, _ := testutil.GatherAndCount(a.Registry(), "norn2_tasks_total", "norn_tasks_total"); n != 2 {
		t.Fatalf("GatherAndCount = %d", n)
	}
}

func TestObserveHook(t *testing.T) {
	h := newHook(t, Config{})
	h.ObserveHook("alertmanager", func() HookStats { return HookStats{Queued: 3, Sent: 10, Dropped: 5, Failed: 2} })
	mfs, _ := scrape(t, h)
	l := map[string]string{"hook": "alertmanager"}
	if value(t, mfs, "norn_hook_queued", l) != 3 || value(t, mfs, "norn_hook_sent_total", l) != 10 ||
		value(t, mfs, "norn_hook_dropped_total", l) != 5 || value(t, mfs, "norn_hook_failed_total", l) != 2 {
		t.Fatal("hook stats not exported")
	}
	h.ObserveHook("alertmanager", nil)
	if mfs, _ := scrape(t, h); mfs["norn_hook_sent_total"] != nil {
		t.Fatal("removed source still exported")
	}
}

// gateway is a fake Pushgateway recording pushes.
type gateway struct {
	srv     *httptest.Server
	mu      sync.Mutex
	pushes  []pushed
	answers []int
}

type pushed struct {
	method, path, contentType, auth string
	body                            string
}

func newGateway(t *testing.T, answers ...int) *gateway {
	g := &gateway{answers: answers}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.pushes = append(g.pushes, pushed{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(body)})
		code := http.StatusOK
		if len(g.answers) > 0 {
			code, g.answers = g.answers[0], g.answers[1:]
		}
		g.mu.Unlock()
		if code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "3")
		}
		w.WriteHeader(code)
		fmt.Fprint(w, http.StatusText(code))
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) all() []pushed {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]pushed(nil), g.pushes...)
}

func TestPushAtRunEnd(t *testing.T) {
	gw := newGateway(t)
	h := newHook(t, Config{PushURL: gw.srv.URL, PushGrouping: map[string]string{"instance": "cron-1"},
		PushHeader: http.Header{"Authorization": {"Bearer gw-token"}}})
	feed(h)
	p := gw.all()
	if len(p) != 1 {
		t.Fatalf("%d pushes, want 1 at RunEnd", len(p))
	}
	if p[0].method != http.MethodPut || p[0].path != "/metrics/job/norn/instance/cron-1" || p[0].auth != "Bearer gw-token" {
		t.Fatalf("push %s %s auth %q", p[0].method, p[0].path, p[0].auth)
	}
	if !strings.HasPrefix(p[0].contentType, "text/plain") || !strings.Contains(p[0].contentType, "version=0.0.4") {
		t.Fatalf("content type %q, want the text exposition format", p[0].contentType)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(p[0].body))
	if err != nil {
		t.Fatalf("push body is not the text format: %v\n%s", err, p[0].body)
	}
	if value(t, mfs, "norn_tasks_total", map[string]string{"result": "failed"}) != 2 ||
		value(t, mfs, "norn_host_last_success_timestamp_seconds", map[string]string{"host": "r2"}) != float64(t0.Unix()+20) ||
		value(t, mfs, "norn_run_duration_seconds", nil) != 61.5 {
		t.Fatalf("push body values wrong:\n%s", p[0].body)
	}
	for _, line := range []string{
		`norn_tasks_total{result="ok",task="backup"} 2`,
		`# TYPE norn_task_duration_seconds histogram`,
		`norn_breaker_state{breaker="site=ams1"} 2`,
	} {
		if !strings.Contains(p[0].body, line+"\n") {
			t.Errorf("push body lacks %q", line)
		}
	}
	if strings.Contains(p[0].body, `job="`) || strings.Contains(p[0].body, "S3cret") {
		t.Errorf("push body holds a job label or a secret")
	}
	// The push's own counters are exported.
	mfs, _ = scrape(t, h)
	if value(t, mfs, "norn_hook_sent_total", map[string]string{"hook": "pushgateway"}) != 1 {
		t.Error("norn_hook_sent_total{hook=pushgateway} != 1")
	}
}

func TestPushAddBasicAuth(t *testing.T) {
	gw := newGateway(t)
	u := strings.Replace(gw.srv.URL, "http://", "http://pg:pgpass@", 1)
	log := &hooktest.Buffer{}
	h := newHook(t, Config{PushURL: u, PushAdd: true, PushJob: "nightly backup", Logger: zerolog.New(log)})
	if err := h.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := gw.all()
	if len(p) != 1 || p[0].method != http.MethodPost || p[0].path != "/metrics/job/nightly+backup" {
		t.Fatalf("pushes %+v", p)
	}
	req := &http.Request{Header: http.Header{"Authorization": {p[0].auth}}}
	if user, pw, ok := req.BasicAuth(); !ok || user != "pg" || pw != "pgpass" {
		t.Fatalf("basic auth %q", p[0].auth)
	}
}

func TestPushRetries(t *testing.T) {
	gw := newGateway(t, http.StatusServiceUnavailable, http.StatusBadGateway)
	var mu sync.Mutex
	var waits []time.Duration
	h := newHook(t, Config{PushURL: gw.srv.URL, sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}})
	if err := h.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(gw.all()); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 2 || waits[0] != 3*time.Second {
		t.Fatalf("waits %v, want Retry-After 3s then a backoff", waits)
	}
}

func TestPushNoRetryOn4xx(t *testing.T) {
	gw := newGateway(t, http.StatusBadRequest)
	log := &hooktest.Buffer{}
	h := newHook(t, Config{PushURL: gw.srv.URL, Logger: zerolog.New(log),
		sleep: func(context.Context, time.Duration) error { return errors.New("must not retry") }})
	_ = h.Push(context.Background())
	if n := len(gw.all()); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
	if s := h.push.stats(); s.Failed != 1 {
		t.Fatalf("stats %+v", s)
	}
	if !strings.Contains(log.String(), "400 Bad Request") || !strings.Contains(log.String(), "/metrics/job/norn") {
		t.Fatalf("log:\n%s", log)
	}
}

func TestHangingPushgateway(t *testing.T) {
	url, _ := hooktest.Hanging(t)
	log := &hooktest.Buffer{}
	h, err := New(Config{PushURL: url, Logger: zerolog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // three runs end while the first push hangs: pushes coalesce
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		h.RunEnd(ctx, &hooks.RunEvent{Run: run, Summary: hooks.Summary{Failed: 1000}})
		cancel()
	}
	if s := h.push.stats(); s.Dropped != 0 || s.Queued != 2 {
		t.Fatalf("stats %+v: want one push in flight and one waiting, none dropped", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := h.Close(ctx); err == nil {
		t.Fatal("Close with a hanging push returned nil")
	}
	if s := h.push.stats(); s.Failed != 2 || s.Sent != 0 {
		t.Fatalf("stats %+v", s)
	}
	if !strings.Contains(log.String(), "flush deadline passed") {
		t.Fatalf("log:\n%s", log)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Buckets: []float64{1, 1}}, "must increase"},
		{Config{PushURL: "pushgateway:9091"}, "want http(s)"},
		{Config{PushURL: "http://127.0.0.1:9091", PushGrouping: map[string]string{"bad-name": "x"}}, "not a valid label name"},
		{Config{PushURL: "http://127.0.0.1:9091", PushGrouping: map[string]string{"host": "x"}}, "would refuse"},
	} {
		h, err := New(tc.cfg)
		if err == nil {
			_ = h.Close(context.Background())
			t.Errorf("New(%+v) = nil error", tc.cfg)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// BenchmarkTaskOK measures what a successful host costs the runner's worker.
func BenchmarkTaskOK(b *testing.B) {
	h, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	events := make([]*hooks.Event, 1000)
	for i := range events {
		events[i] = okEvent(fmt.Sprintf("r%d", i), time.Second, t0)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.TaskOK(context.Background(), events[i%1000])
		i++
	}
}
