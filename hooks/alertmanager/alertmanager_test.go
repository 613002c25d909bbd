package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/internal/hooktest"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// postedAlert is what the receiver decodes.
type postedAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// receiver is a fake Alertmanager API recording each post.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	posts  [][]postedAlert
	header http.Header
	status int // answer; 0: 200
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/prefix/api/v2/alerts" {
			http.Error(w, "wrong endpoint "+req.Method+" "+req.URL.Path, http.StatusNotFound)
			return
		}
		var batch []postedAlert
		body, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(body, &batch); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.posts = append(r.posts, batch)
		r.header = req.Header.Clone()
		status := r.status
		r.mu.Unlock()
		if status != 0 {
			http.Error(w, "maintenance", status)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/prefix/" }

func (r *receiver) alerts() []postedAlert {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []postedAlert
	for _, p := range r.posts {
		out = append(out, p...)
	}
	return out
}

func (r *receiver) postCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.posts)
}

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

func flush(t *testing.T, h *Hook) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// fleet builds n hosts r0..r{n-1} with secrets and routing data.
func fleet(n int) []*inventory.Host {
	site := &inventory.Group{Name: "ams1", Data: map[string]any{"site": "ams1"}}
	var hs []*inventory.Host
	for i := range n {
		hs = append(hs, &inventory.Host{
			Name:   fmt.Sprintf("r%d", i),
			Attrs:  inventory.Attrs{Platform: "cisco_iosxe", Password: "Pa55-r" + fmt.Sprint(i)},
			Groups: []*inventory.Group{site},
			Data:   map[string]any{"role": "edge"},
			ConnectionOptions: map[string]*inventory.ConnectionOptions{
				"scrapli": {Extras: map[string]any{"auth_secondary": "En4ble-r" + fmt.Sprint(i)}},
			},
		})
	}
	inventory.New(hs, []*inventory.Group{site}, nil)
	return hs
}

var run = &hooks.Run{ID: "run-1", Task: "backup", Hosts: 3}

func failed(h *inventory.Host, err error, at time.Time) *hooks.Event {
	return &hooks.Event{Run: run, Host: h, Task: "backup", Time: at, Result: &tasks.Result{
		Host: h.Name, Task: "backup", Status: tasks.StatusFailed, Err: err, Attempts: 3, Duration: 1500 * time.Millisecond,
	}}
}

func ok(h *inventory.Host, at time.Time) *hooks.Event {
	return &hooks.Event{Run: run, Host: h, Task: "backup", Time: at, Result: &tasks.Result{
		Host: h.Name, Task: "backup", Status: tasks.StatusOK, Attempts: 1,
	}}
}

func TestFiringAlertLabelsAndAnnotations(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{
		URL: rcv.url(), DataLabels: []string{"site", "role", "tenant"},
		Labels:       map[string]string{"severity": "warning"},
		Annotations:  map[string]string{"runbook_url": "https://wiki.example/backup"},
		GeneratorURL: "https://ci.example/job/1",
		Header:       http.Header{"Authorization": {"Bearer am-token"}},
	})
	hs := fleet(1)
	at := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	err := fmt.Errorf("r0: login with Pa55-r0 failed, enable En4ble-r0 refused; config line: enable secret 5 $1$abc$xyz: %w",
		context.DeadlineExceeded)
	h.TaskFailed(context.Background(), failed(hs[0], err, at))
	flush(t, h)
	got := rcv.alerts()
	if len(got) != 1 {
		t.Fatalf("posted %d alerts, want 1", len(got))
	}
	a := got[0]
	wantLabels := map[string]string{"alertname": "NornTaskFailed", "host": "r0", "task": "backup",
		"platform": "cisco_iosxe", "site": "ams1", "role": "edge", "severity": "warning", "error_class": "timeout"}
	if fmt.Sprint(a.Labels) != fmt.Sprint(wantLabels) {
		t.Errorf("labels = %v, want %v", a.Labels, wantLabels)
	}
	if a.Annotations["attempts"] != "3" ||
		a.Annotations["duration"] != "1.5s" || a.Annotations["run_id"] != "run-1" ||
		a.Annotations["runbook_url"] != "https://wiki.example/backup" ||
		a.Annotations["summary"] != "norn task backup failed on r0 (timeout)" {
		t.Errorf("annotations = %v", a.Annotations)
	}
	desc := a.Annotations["description"]
	for _, secret := range []string{"Pa55-r0", "En4ble-r0", "$1$abc$xyz"} {
		if strings.Contains(desc, secret) {
			t.Errorf("description leaks %q: %s", secret, desc)
		}
	}
	if !strings.Contains(desc, "context deadline exceeded") || !strings.Contains(desc, "<redacted>") {
		t.Errorf("description = %q", desc)
	}
	if a.StartsAt != "2025-05-01T10:00:00Z" || a.EndsAt != "" || a.GeneratorURL != "https://ci.example/job/1" {
		t.Errorf("startsAt %q endsAt %q generatorURL %q", a.StartsAt, a.EndsAt, a.GeneratorURL)
	}
	rcv.mu.Lock()
	hdr := rcv.header
	rcv.mu.Unlock()
	if hdr.Get("Authorization") != "Bearer am-token" || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", hdr)
	}
	if s := h.Stats(); s.Sent != 1 || s.Firing != 1 || s.Queued != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestResolveSameLabels(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.url(), DataLabels: []string{"site"}})
	hs := fleet(2)
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	h.TaskFailed(context.Background(), failed(hs[0], errors.New("boom"), t0))
	// A second failure keeps the first startsAt.
	h.TaskFailed(context.Background(), failed(hs[0], errors.New("boom again"), t0.Add(time.Minute)))
	h.TaskOK(context.Background(), ok(hs[0], t0.Add(2*time.Minute)))
	flush(t, h)
	got := rcv.alerts()
	if len(got) != 3 {
		t.Fatalf("posted %d alerts, want 3: %+v", len(got), got)
	}
	fire, again, res := got[0], got[1], got[2]
	if again.StartsAt != fire.StartsAt {
		t.Errorf("re-raised alert startsAt %s, want the first %s", again.StartsAt, fire.StartsAt)
	}
	if fmt.Sprint(res.Labels) != fmt.Sprint(fire.Labels) {
		t.Errorf("resolve labels %v differ from firing %v", res.Labels, fire.Labels)
	}
	if res.EndsAt != "2025-05-01T10:02:00Z" || res.StartsAt != fire.StartsAt {
		t.Errorf("resolve startsAt %s endsAt %s", res.StartsAt, res.EndsAt)
	}
	if h.Stats().Firing != 0 {
		t.Errorf("still firing: %+v", h.Stats())
	}
}

func TestResolveUnknownAlert(t *testing.T) {
	hs := fleet(3)
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	t.Run("default resolves only what it raised", func(t *testing.T) {
		rcv := newReceiver(t)
		h := newHook(t, Config{URL: rcv.url()})
		h.TaskOK(context.Background(), ok(hs[0], t0))
		flush(t, h)
		if n := len(rcv.alerts()); n != 0 {
			t.Fatalf("posted %d alerts, want none", n)
		}
	})
	t.Run("MayBeFiring", func(t *testing.T) {
		rcv := newReceiver(t)
		var asked sync.Map
		h := newHook(t, Config{URL: rcv.url(), MayBeFiring: func(host string) (Failure, bool) {
			asked.Store(host, true)
			switch host {
			case "r1":
				return Failure{Class: tasks.ClassTimeout}, true
			case "r2":
				return Failure{Class: tasks.ClassBreakerOpen, BreakerCause: tasks.ClassAuthentication}, true
			}
			return Failure{}, false
		}})
		for _, host := range hs {
			h.TaskOK(context.Background(), ok(host, t0))
			h.TaskOK(context.Background(), ok(host, t0.Add(time.Hour))) // asked once per host
		}
		flush(t, h)
		got := rcv.alerts()
		if len(got) != 2 {
			t.Fatalf("posted %d alerts, want the resolves of r1 and r2 only: %+v", len(got), got)
		}
		r1, r2 := got[0], got[1]
		if r1.Labels["host"] == "r2" {
			r1, r2 = r2, r1
		}
		if r1.Labels["host"] != "r1" || r1.Labels["error_class"] != "timeout" || r1.EndsAt != "2025-05-01T10:00:00Z" ||
			r1.StartsAt != r1.EndsAt || r1.Labels["severity"] != "warning" || r1.Labels["platform"] != "cisco_iosxe" {
			t.Errorf("r1 resolve = %+v", r1)
		}
		if r2.Labels["error_class"] != "breaker_open" || r2.Labels["breaker_cause"] != "authentication" {
			t.Errorf("r2 resolve = %+v", r2)
		}
		for _, host := range []string{"r0", "r1", "r2"} {
			if _, ok := asked.Load(host); !ok {
				t.Errorf("MayBeFiring not asked about %s", host)
			}
		}
	})
	t.Run("another class resolves the earlier alert", func(t *testing.T) {
		rcv := newReceiver(t)
		h := newHook(t, Config{URL: rcv.url(), MayBeFiring: func(string) (Failure, bool) {
			return Failure{Class: tasks.ClassTimeout}, true
		}})
		h.TaskFailed(context.Background(), failed(hs[0], fmt.Errorf("login: %w", connection.ErrAuthentication), t0))
		h.TaskFailed(context.Background(), failed(hs[1], fmt.Errorf("dial: %w", context.DeadlineExceeded), t0))
		flush(t, h)
		got := rcv.alerts()
		if len(got) != 3 {
			t.Fatalf("posted %d alerts, want 3 (r0: resolve timeout, fire authentication; r1: fire timeout): %+v", len(got), got)
		}
		var r0 []postedAlert
		for _, a := range got {
			if a.Labels["host"] == "r0" {
				r0 = append(r0, a)
			}
		}
		if len(r0) != 2 || r0[0].Labels["error_class"] != "timeout" || r0[0].EndsAt != "2025-05-01T10:00:00Z" ||
			r0[1].Labels["error_class"] != "authentication" || r0[1].EndsAt != "" {
			t.Fatalf("r0 alerts = %+v", r0)
		}
	})
}

func TestIgnoredClasses(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.url()})
	hs := fleet(3)
	h.TaskFailed(context.Background(), failed(hs[0], context.Canceled, time.Now()))
	h.TaskFailed(context.Background(), failed(hs[1], fmt.Errorf("r1: %w", tasks.ErrNotRun), time.Now()))
	e := failed(hs[2], tasks.ErrNotRun, time.Now())
	e.Result.Status = tasks.StatusNotRun
	h.TaskFailed(context.Background(), e)
	flush(t, h)
	if n := len(rcv.alerts()); n != 0 {
		t.Fatalf("posted %d alerts for cancelled/not-run hosts", n)
	}
	// An empty, non-nil IgnoreClasses alerts on them.
	rcv2 := newReceiver(t)
	h2 := newHook(t, Config{URL: rcv2.url(), IgnoreClasses: []tasks.Class{}})
	h2.TaskFailed(context.Background(), failed(hs[0], context.Canceled, time.Now()))
	flush(t, h2)
	if got := rcv2.alerts(); len(got) != 1 || got[0].Labels["error_class"] != "canceled" {
		t.Fatalf("got %+v", got)
	}
}

func TestBatching(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.url(), BatchSize: 10, BatchWait: time.Hour, Workers: 1})
	hs := fleet(95)
	for _, host := range hs {
		h.TaskFailed(context.Background(), failed(host, errors.New("unreachable"), time.Now()))
	}
	flush(t, h)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	total := 0
	for _, p := range rcv.posts {
		if len(p) > 10 {
			t.Errorf("post of %d alerts, BatchSize 10", len(p))
		}
		total += len(p)
	}
	if total != 95 || len(rcv.posts) != 10 {
		t.Fatalf("%d alerts in %d posts, want 95 in 10", total, len(rcv.posts))
	}
}

func TestResendWhileFiring(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.url(), ResendInterval: 20 * time.Millisecond, Expire: time.Hour, BatchWait: time.Millisecond})
	hs := fleet(2)
	h.TaskFailed(context.Background(), failed(hs[0], errors.New("down"), time.Now()))
	h.TaskFailed(context.Background(), failed(hs[1], errors.New("down"), time.Now()))
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := 0
		for _, a := range rcv.alerts() {
			if a.Labels["host"] == "r0" {
				n++
			}
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("r0 sent %d times in 10s with a 20ms resend interval", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, a := range rcv.alerts() {
		end, err := time.Parse(time.RFC3339Nano, a.EndsAt)
		if err != nil || time.Until(end) < 50*time.Minute {
			t.Fatalf("firing alert endsAt %q, want about now+1h", a.EndsAt)
		}
	}
	h.TaskOK(context.Background(), ok(hs[0], time.Now()))
	flush(t, h)
	// After the resolve, r0 is not re-sent firing; r1 still is.
	before := len(rcv.alerts())
	time.Sleep(100 * time.Millisecond)
	flush(t, h)
	after := rcv.alerts()[before:]
	r1 := 0
	for _, a := range after {
		if a.Labels["host"] == "r0" {
			t.Fatalf("resolved alert re-sent: %+v", a)
		}
		r1++
	}
	if r1 == 0 {
		t.Fatal("firing r1 not re-sent")
	}
}

func TestNoRetryOn400(t *testing.T) {
	rcv := newReceiver(t)
	rcv.status = http.StatusBadRequest
	log := &hooktest.Buffer{}
	h := newHook(t, Config{URL: rcv.url(), Logger: zerolog.New(log),
		sleep: func(context.Context, time.Duration) error { t.Error("slept before a retry of a 400"); return nil }})
	h.TaskFailed(context.Background(), failed(fleet(1)[0], errors.New("x"), time.Now()))
	flush(t, h)
	if s := h.Stats(); s.Failed != 1 || s.Retries != 0 || rcv.postCount() != 1 {
		t.Fatalf("Stats = %+v, posts %d", s, rcv.postCount())
	}
	if !strings.Contains(log.String(), "400 Bad Request") || !strings.Contains(log.String(), "/prefix/api/v2/alerts") {
		t.Fatalf("log lacks the answer or URL:\n%s", log)
	}
}

func TestRetryOn503(t *testing.T) {
	rcv := newReceiver(t)
	rcv.status = http.StatusServiceUnavailable
	var waits []time.Duration
	var mu sync.Mutex
	h := newHook(t, Config{URL: rcv.url(), sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		rcv.mu.Lock()
		rcv.status = 0 // back up
		rcv.mu.Unlock()
		return nil
	}})
	h.TaskFailed(context.Background(), failed(fleet(1)[0], errors.New("x"), time.Now()))
	flush(t, h)
	if s := h.Stats(); s.Sent != 1 || s.Retries != 1 || rcv.postCount() != 2 {
		t.Fatalf("Stats = %+v, posts %d", s, rcv.postCount())
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "URL is required"},
		{Config{URL: "alertmanager:9093"}, "want http(s)://host:port"},
		{Config{URL: "http://127.0.0.1:9093", DataLabels: []string{"enable_secret"}}, "names a secret"},
		{Config{URL: "http://127.0.0.1:9093", DataLabels: []string{"host"}}, "already used"},
		{Config{URL: "http://127.0.0.1:9093", Labels: map[string]string{"task": "x"}}, "override"},
		{Config{URL: "http://127.0.0.1:9093", Labels: map[string]string{"bad-name": "x"}}, "not a valid label name"},
		{Config{URL: "http://127.0.0.1:9093", ResendInterval: time.Minute, Expire: time.Minute}, "must exceed ResendInterval"},
	} {
		h, err := New(tc.cfg)
		if err == nil {
			_ = h.Close(context.Background())
			t.Errorf("New(%+v) = nil error, want %q", tc.cfg, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if got := toLabelName("site.name"); got != "site_name" {
		t.Errorf("toLabelName = %q", got)
	}
	if got := toLabelName("9x"); got != "_9x" {
		t.Errorf("toLabelName = %q", got)
	}
}

func TestURLUserInfoBecomesBasicAuth(t *testing.T) {
	rcv := newReceiver(t)
	u := strings.Replace(rcv.url(), "http://", "http://am:s3cr3t@", 1)
	log := &hooktest.Buffer{}
	h := newHook(t, Config{URL: u, Logger: zerolog.New(log).Level(zerolog.DebugLevel)})
	h.TaskFailed(context.Background(), failed(fleet(1)[0], errors.New("x"), time.Now()))
	flush(t, h)
	rcv.mu.Lock()
	user, pw, okAuth := (&http.Request{Header: rcv.header}).BasicAuth()
	rcv.mu.Unlock()
	if !okAuth || user != "am" || pw != "s3cr3t" {
		t.Fatalf("basic auth = %q %q %v", user, pw, okAuth)
	}
	_ = h.Close(context.Background())
	if strings.Contains(log.String(), "s3cr3t") {
		t.Fatalf("log leaks the password:\n%s", log)
	}
}

// TestHangingReceiverDirectCalls: 1,000 hosts fail from 100 goroutines against an Alertmanager
// that accepts connections but never answers. Every call returns at once, RunEnd returns at
// its deadline, and the hook reports what it dropped and could not deliver.
func TestHangingReceiverDirectCalls(t *testing.T) {
	log := &hooktest.Buffer{}
	url, _ := hooktest.Hanging(t)
	h, err := New(Config{URL: url, QueueSize: 256, Logger: zerolog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	hs := fleet(1000)
	var wg sync.WaitGroup
	var slowest time.Duration
	var mu sync.Mutex
	start := time.Now()
	for g := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < 1000; i += 100 {
				t0 := time.Now()
				h.TaskFailed(context.Background(), failed(hs[i], errors.New("unreachable"), time.Now()))
				d := time.Since(t0)
				mu.Lock()
				slowest = max(slowest, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	calls := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	h.RunEnd(ctx, &hooks.RunEvent{Run: run, Summary: hooks.Summary{Failed: 1000}})
	cancel()
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	closeErr := h.Close(ctx)
	cancel()
	s := h.Stats()
	t.Logf("1000 TaskFailed calls in %v (slowest %v); stats %+v; close: %v", calls, slowest, s, closeErr)
	if closeErr == nil || !strings.Contains(closeErr.Error(), "undelivered") {
		t.Errorf("Close = %v, want an undelivered error", closeErr)
	}
	if s.Sent != 0 || s.Dropped == 0 || s.Dropped+s.Failed != 1000 || s.Queued != 0 {
		t.Errorf("Stats = %+v, want 1000 = dropped + failed, some dropped", s)
	}
	for _, want := range []string{"item dropped", "flush deadline passed", "hook delivery: closed"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func zerologTo(w io.Writer) zerolog.Logger { return zerolog.New(w) }

// BenchmarkTaskFailed measures what a failing host costs the runner's worker: building,
// redacting and queueing its alert (the receiver hangs, so most alerts are dropped).
func BenchmarkTaskFailed(b *testing.B) {
	url, _ := hooktest.Hanging(b)
	h, err := New(Config{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	hs := fleet(1000)
	err1 := fmt.Errorf("dial tcp 192.0.2.1:22: connect: %w", context.DeadlineExceeded)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.TaskFailed(context.Background(), failed(hs[i%1000], err1, time.Now()))
		i++
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = h.Close(ctx)
}

func TestSetupFailedAndRunStart(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.url(), Expire: 2 * time.Hour, Labels: map[string]string{"team": "netops"},
		RunbookURL: "https://wiki.example/norn"})
	h.SetupFailed(context.Background(), "backup", "inventory", errors.New("inventory hosts.yaml:3:5: unknown key \"hostnme\""))
	flush(t, h)
	if s := h.Stats(); s.Firing != 1 {
		t.Fatalf("Stats = %+v, want the setup alert firing", s)
	}
	h.RunStart(context.Background(), &hooks.RunEvent{Run: run, Time: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)})
	flush(t, h)
	got := rcv.alerts()
	if len(got) != 2 {
		t.Fatalf("posted %d alerts, want the setup alert and its resolve: %+v", len(got), got)
	}
	fire, res := got[0], got[1]
	want := map[string]string{"alertname": "NornSetupFailed", "task": "backup", "error_class": "setup", "severity": "critical", "team": "netops"}
	if fmt.Sprint(fire.Labels) != fmt.Sprint(want) || fmt.Sprint(res.Labels) != fmt.Sprint(want) {
		t.Errorf("labels %v / %v, want %v", fire.Labels, res.Labels, want)
	}
	if !strings.Contains(fire.Annotations["description"], "hosts.yaml:3:5") || fire.Annotations["stage"] != "inventory" || fire.Annotations["runbook_url"] != "https://wiki.example/norn" ||
		fire.EndsAt == "" {
		t.Errorf("setup alert = %+v", fire)
	}
	if res.EndsAt != "2025-05-01T10:00:00Z" || h.Stats().Firing != 0 {
		t.Errorf("resolve = %+v, stats %+v", res, h.Stats())
	}
}

func TestBreakerCauseLabel(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.url()})
	hs := fleet(2)
	ctx := context.Background()
	open := func(name string, err error) {
		h.BreakerStateChange(ctx, &hooks.BreakerEvent{Name: name, From: "closed", To: "open", Err: err})
	}
	open("site=ams1", fmt.Errorf("login: %w", connection.ErrAuthentication))
	open("site=lon1", fmt.Errorf("dial: %w", context.DeadlineExceeded))
	skipped := func(breaker string) error {
		return tasks.WithClass(tasks.ClassBreakerOpen, fmt.Errorf("not attempted: circuit breaker %q is open", breaker))
	}
	h.TaskFailed(ctx, failed(hs[0], skipped("site=ams1"), time.Now()))
	h.TaskFailed(ctx, failed(hs[1], skipped("site=lon1"), time.Now()))
	flush(t, h)
	got := map[string]string{}
	for _, a := range rcv.alerts() {
		got[a.Labels["host"]] = a.Labels["error_class"] + "/" + a.Labels["breaker_cause"]
	}
	if got["r0"] != "breaker_open/authentication" || got["r1"] != "breaker_open/timeout" {
		t.Fatalf("class/cause by host = %v", got)
	}
}

func TestDescribeDropsHostAndAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`host r1: task "backup" timed out after 10s: connection: host r1 (127.0.0.1:2201) with plugin x: scrapli: host r1 (127.0.0.1:2201): open: context deadline exceeded`,
			`task "backup" timed out after 10s: connection: with plugin x: scrapli: open: context deadline exceeded`},
		{`r1: login refused`, `login refused`},
		{`host r10: other host`, `host r10: other host`},
		{`host r1`, `host r1`},
		{`ghost r1: x`, `ghost r1: x`},
		{`dial host r1 (a (b)): refused`, `dial (a (b)): refused`},
		{`r1: host r1: host r1 (x): done`, `done`},
	} {
		if got := describe(tc.in, "r1"); got != tc.want {
			t.Errorf("describe(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
