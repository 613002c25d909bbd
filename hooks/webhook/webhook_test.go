package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/internal/hooktest"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// verify checks a request's Standard Webhooks signature, written from the specification
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
// independently of the hook's signing code.
func verify(secret string, hdr http.Header, body []byte, now time.Time) error {
	id, ts, sigs := hdr.Get("webhook-id"), hdr.Get("webhook-timestamp"), hdr.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s outside the 5 minute tolerance", ts)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no valid v1 signature")
}

type request struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver records posts and answers with the scripted statuses, then 204.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []request
	answers []func(w http.ResponseWriter)
}

func newReceiver(t *testing.T, answers ...func(w http.ResponseWriter)) *receiver {
	r := &receiver{answers: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, request{header: req.Header.Clone(), body: body, at: time.Now()})
		var answer func(http.ResponseWriter)
		if len(r.answers) > 0 {
			answer, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		if answer != nil {
			answer(w)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func status(code int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, http.StatusText(code), code)
	}
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

func fleet(n int) []*inventory.Host {
	var hs []*inventory.Host
	for i := range n {
		hs = append(hs, &inventory.Host{
			Name:  fmt.Sprintf("r%d", i),
			Attrs: inventory.Attrs{Platform: "arista_eos", Password: fmt.Sprintf("Pw-%d-x", i)},
			Data:  map[string]any{"site": "fra2", "role": "spine"},
			ConnectionOptions: map[string]*inventory.ConnectionOptions{
				"scrapli": {Extras: map[string]any{"auth_secondary": fmt.Sprintf("En-%d-x", i)}},
			},
		})
	}
	inventory.New(hs, nil, nil)
	return hs
}

var testRun = &hooks.Run{ID: "run-7", Task: "backup", Hosts: 3, Started: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}

func failedEvent4(h *inventory.Host, err error) *hooks.Event {
	return &hooks.Event{Run: testRun, Host: h, Task: "backup", Time: time.Date(2025, 6, 1, 8, 0, 5, 0, time.UTC),
		Result: &tasks.Result{Host: h.Name, Task: "backup", Status: tasks.StatusFailed, Err: err, Attempts: 2, Duration: 2 * time.Second}}
}

func runEnd(ok, failed int) *hooks.RunEvent {
	return &hooks.RunEvent{Run: testRun, Time: time.Date(2025, 6, 1, 8, 1, 0, 0, time.UTC),
		Summary: hooks.Summary{OK: ok, Failed: failed, Changed: 1, Duration: time.Minute}}
}

func TestSignedJSONEvents(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.srv.URL + "/hooks/norn", Secret: secret, DataFields: []string{"site", "role", "absent"},
		Header: http.Header{"Authorization": {"Bearer rcv-token"}}})
	hs := fleet(3)
	ctx := context.Background()
	h.TaskFailed(ctx, failedEvent4(hs[0], fmt.Errorf("r0: login Pw-0-x refused; enable En-0-x: %w", context.DeadlineExceeded)))
	h.TaskFailed(ctx, failedEvent4(hs[1], errors.New("show run: % Invalid input")))
	h.RunEnd(ctx, runEnd(1, 2))
	reqs := rcv.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 2 task.failed and 1 run.completed", len(reqs))
	}
	ids := map[string]bool{}
	for i, r := range reqs {
		if err := verify(secret, r.header, r.body, time.Now()); err != nil {
			t.Errorf("request %d: signature: %v", i, err)
		}
		if r.header.Get("Authorization") != "Bearer rcv-token" || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d headers %v", i, r.header)
		}
		ids[r.header.Get("webhook-id")] = true
		// A tampered body or another secret does not verify: the verifier can fail.
		if verify(secret, r.header, append([]byte(" "), r.body...), time.Now()) == nil {
			t.Fatal("tampered body verified")
		}
		other, _ := NewSecret()
		if verify(other, r.header, r.body, time.Now()) == nil {
			t.Fatal("another secret verified")
		}
		if verify(secret, r.header, r.body, time.Now().Add(10*time.Minute)) == nil {
			t.Fatal("stale timestamp verified")
		}
	}
	if len(ids) != 3 {
		t.Errorf("webhook-ids not unique: %v", ids)
	}
	type env struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	byType := map[string][]request{}
	for _, r := range reqs {
		var e env
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatal(err)
		}
		byType[e.Type] = append(byType[e.Type], r)
	}
	if len(byType[TypeTaskFailed]) != 2 || len(byType[TypeRunCompleted]) != 1 {
		t.Fatalf("events by type: %v", byType)
	}
	var e0, e2 env
	for _, r := range byType[TypeTaskFailed] {
		if err := json.Unmarshal(r.body, &e0); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(r.body, []byte(`"host":"r0"`)) {
			break
		}
	}
	var f failedEvent
	if err := json.Unmarshal(e0.Data, &f); err != nil {
		t.Fatal(err)
	}
	if e0.Type != TypeTaskFailed || e0.Timestamp != "2025-06-01T08:00:05Z" || f.Host != "r0" || f.Task != "backup" ||
		f.RunID != "run-7" || f.Platform != "arista_eos" || f.ErrorClass != "timeout" || f.Attempts != 2 ||
		f.DurationMS != 2000 || fmt.Sprint(f.Data) != "map[role:spine site:fra2]" {
		t.Errorf("task.failed = %+v", f)
	}
	if err := json.Unmarshal(byType[TypeRunCompleted][0].body, &e2); err != nil {
		t.Fatal(err)
	}
	var s runSummary
	if err := json.Unmarshal(e2.Data, &s); err != nil {
		t.Fatal(err)
	}
	if e2.Type != TypeRunCompleted || s.RunID != "run-7" || s.Task != "backup" || s.Hosts != 3 || s.OK != 1 || s.Failed != 2 ||
		s.Changed != 1 || s.DurationMS != 60000 || len(s.FailedHosts) != 2 || s.ErrorClasses["timeout"] != 1 ||
		s.ErrorClasses["task"] != 1 || s.OmittedFailed != 0 || s.Started != "2025-06-01T08:00:00Z" {
		t.Errorf("run.completed = %s", e2.Data)
	}
	for _, r := range reqs {
		for _, secret := range []string{"Pw-0-x", "En-0-x"} {
			if bytes.Contains(r.body, []byte(secret)) {
				t.Errorf("body leaks %q: %s", secret, r.body)
			}
		}
	}
	if s := h.Stats(); s.Sent != 3 || s.Queued != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestUnsignedWithoutSecret(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.srv.URL})
	h.RunEnd(context.Background(), runEnd(3, 0))
	reqs := rcv.requests()
	if len(reqs) != 1 || reqs[0].header.Get("webhook-signature") != "" {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestSummaryOnlyOnlyFailuresMaxHosts(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.srv.URL, SummaryOnly: true, OnlyFailures: true, MaxHosts: 2})
	ctx := context.Background()
	h.RunEnd(ctx, runEnd(3, 0)) // all ok: nothing sent
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("%d requests for an all-ok run with OnlyFailures", n)
	}
	for _, host := range fleet(5) {
		h.TaskFailed(ctx, failedEvent4(host, errors.New("down")))
	}
	h.RunEnd(ctx, runEnd(0, 5))
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want the summary only", len(reqs))
	}
	var e struct{ Data runSummary }
	_ = json.Unmarshal(reqs[0].body, &e)
	if len(e.Data.FailedHosts) != 2 || e.Data.OmittedFailed != 3 || e.Data.ErrorClasses["task"] != 5 {
		t.Fatalf("summary = %s", reqs[0].body)
	}
}

func TestSlackFormat(t *testing.T) {
	rcv := newReceiver(t)
	h := newHook(t, Config{URL: rcv.srv.URL + "/services/T0/B0/XYZ", Format: FormatSlack, MaxHosts: 3})
	ctx := context.Background()
	hs := fleet(5)
	run9 := &hooks.Run{ID: "run-9", Task: "backup", Hosts: 1000}
	for _, host := range hs {
		e := failedEvent4(host, fmt.Errorf("auth as admin/%s failed: %w", host.Password(), context.DeadlineExceeded))
		e.Run = run9
		h.TaskFailed(ctx, e)
	}
	h.RunEnd(ctx, &hooks.RunEvent{Run: run9, Time: time.Now(),
		Summary: hooks.Summary{OK: 995, Failed: 5, Duration: 93 * time.Second}})
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want one Slack message per run", len(reqs))
	}
	var p slackPayload
	if err := json.Unmarshal(reqs[0].body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Text != "norn backup: 5 of 1000 hosts failed (995 ok, 5 failed, 0 not run, 0 changed in 1m33s)" {
		t.Errorf("text = %q", p.Text)
	}
	if len(p.Blocks) != 3 || p.Blocks[0].Type != "section" || p.Blocks[2].Type != "context" {
		t.Fatalf("blocks = %s", reqs[0].body)
	}
	hostsText := p.Blocks[1].Text.Text
	if !strings.Contains(hostsText, "• `r0` timeout: auth as admin/&lt;redacted&gt; failed") ||
		!strings.Contains(hostsText, "…and 2 more") || strings.Contains(hostsText, "`r3`") {
		t.Errorf("failed hosts block = %q", hostsText)
	}
	if got := p.Blocks[2].Elements[0].Text; got != "errors: timeout 5 · run run-9" {
		t.Errorf("context = %q", got)
	}
	if bytes.Contains(reqs[0].body, []byte("Pw-")) {
		t.Errorf("Slack message leaks a password: %s", reqs[0].body)
	}
}

func TestSlackSectionLimit(t *testing.T) {
	rf := &runFailures{classes: map[string]int{"task": 100}, total: 100}
	for i := range 100 {
		rf.hosts = append(rf.hosts, failedHost{Host: fmt.Sprintf("host-%03d", i), ErrorClass: "task", Error: strings.Repeat("e", 190)})
	}
	body, err := slackMessage(&hooks.RunEvent{Summary: hooks.Summary{Failed: 100}}, rf)
	if err != nil {
		t.Fatal(err)
	}
	var p slackPayload
	_ = json.Unmarshal(body, &p)
	txt := p.Blocks[1].Text.Text
	if n := len([]rune(txt)); n > slackSectionLimit {
		t.Fatalf("section of %d characters, Slack's limit is %d", n, slackSectionLimit)
	}
	if !strings.Contains(txt, "more") {
		t.Fatalf("no 'and N more' line: %q", txt)
	}
}

// fakeClock advances when the hook sleeps before a retry.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	secret, _ := NewSecret()
	date := clock.Now().Add(45 * time.Second).UTC().Format(http.TimeFormat)
	rcv := newReceiver(t,
		status(http.StatusServiceUnavailable, "7"),
		status(http.StatusTooManyRequests, date),
		func(w http.ResponseWriter) { // the connection drops without an answer
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close()
		},
		status(http.StatusBadGateway, ""),
	)
	// RetryFor leaves room for the two jittered backoff waits after the 52 s the receiver asked
	// for (with the default minute, a long draw of the jitter ends the retries one early).
	h := newHook(t, Config{URL: rcv.srv.URL, Secret: secret, RetryFor: 2 * time.Minute, now: clock.Now, sleep: clock.Sleep})
	h.RunEnd(context.Background(), runEnd(1, 0))
	reqs := rcv.requests()
	if len(reqs) != 5 {
		t.Fatalf("%d attempts, want 5 (503, 429, dropped connection, 502, then ok)", len(reqs))
	}
	waits := clock.Waits()
	if len(waits) != 4 || waits[0] != 7*time.Second || waits[1] < 44*time.Second || waits[1] > 46*time.Second {
		t.Fatalf("waits = %v, want 7s (Retry-After seconds), ~45s (Retry-After date), then backoff", waits)
	}
	for i := 2; i < 4; i++ {
		if waits[i] <= 0 || waits[i] > 30*time.Second {
			t.Errorf("backoff wait %d = %v", i, waits[i])
		}
	}
	id := reqs[0].header.Get("webhook-id")
	var stamps []string
	for i, r := range reqs {
		if r.header.Get("webhook-id") != id {
			t.Errorf("attempt %d webhook-id %q, want the first attempt's %q", i, r.header.Get("webhook-id"), id)
		}
		// Each attempt is signed afresh with its own timestamp (the fake clock moved).
		ts, _ := strconv.ParseInt(r.header.Get("webhook-timestamp"), 10, 64)
		if err := verify(secret, r.header, r.body, time.Unix(ts, 0)); err != nil {
			t.Errorf("attempt %d: %v", i, err)
		}
		stamps = append(stamps, r.header.Get("webhook-timestamp"))
	}
	if stamps[0] == stamps[1] {
		t.Errorf("retries reuse the first timestamp: %v", stamps)
	}
	if s := h.Stats(); s.Sent != 1 || s.Retries != 4 || s.Failed != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	for _, code := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusGone, http.StatusRequestEntityTooLarge} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			clock := &fakeClock{now: time.Now()}
			log := &hooktest.Buffer{}
			rcv := newReceiver(t, status(code, "1"))
			h := newHook(t, Config{URL: rcv.srv.URL + "/services/T0/B0/SECRET", now: clock.Now, sleep: clock.Sleep, Logger: zerolog.New(log)})
			h.RunEnd(context.Background(), runEnd(1, 0))
			if n := len(rcv.requests()); n != 1 {
				t.Fatalf("%d attempts for a %d, want 1", n, code)
			}
			if s := h.Stats(); s.Failed != 1 || s.Retries != 0 || len(clock.Waits()) != 0 {
				t.Fatalf("Stats = %+v, waits %v", s, clock.Waits())
			}
			if !strings.Contains(log.String(), strconv.Itoa(code)) || !strings.Contains(log.String(), "/services/...") ||
				strings.Contains(log.String(), "SECRET") {
				t.Fatalf("log should name the status and the redacted URL:\n%s", log)
			}
		})
	}
}

func TestRetryBudgetExhausted(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	var answers []func(http.ResponseWriter)
	for range 100 {
		answers = append(answers, status(http.StatusInternalServerError, ""))
	}
	rcv := newReceiver(t, answers...)
	h := newHook(t, Config{URL: rcv.srv.URL, RetryFor: 10 * time.Second, now: clock.Now, sleep: clock.Sleep})
	h.RunEnd(context.Background(), runEnd(1, 0))
	if s := h.Stats(); s.Failed != 1 || s.Sent != 0 {
		t.Fatalf("Stats = %+v", s)
	}
	n := len(rcv.requests())
	if n < 3 || n > 15 {
		t.Fatalf("%d attempts within a 10s budget starting at 500ms", n)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "URL is required"},
		{Config{URL: "ftp://127.0.0.1/x"}, "want http(s)"},
		{Config{URL: "http://127.0.0.1/x", Format: "teams"}, "Format"},
		{Config{URL: "http://127.0.0.1/x", Secret: "whsec_not base64!"}, "base64"},
		{Config{URL: "http://127.0.0.1/x", Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))}, "24 to 64"},
		{Config{URL: "http://127.0.0.1/x", DataFields: []string{"snmp_community"}}, "names a secret"},
	} {
		h, err := New(tc.cfg)
		if err == nil {
			_ = h.Close(context.Background())
			t.Errorf("New(%+v) = nil error, want %q", tc.cfg, tc.want)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	// A secret given without the whsec_ prefix is accepted.
	s, _ := NewSecret()
	h, err := New(Config{URL: "http://127.0.0.1/x", Secret: strings.TrimPrefix(s, "whsec_")})
	if err != nil {
		t.Fatal(err)
	}
	_ = h.Close(context.Background())
}

func TestSignKnownVector(t *testing.T) {
	// The example of the Standard Webhooks reference libraries.
	key, err := parseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("sign = %s", got)
	}
}

func TestHangingReceiverDirectCalls(t *testing.T) {
	log := &hooktest.Buffer{}
	url, _ := hooktest.Hanging(t)
	h, err := New(Config{URL: url + "/hook", QueueSize: 100, Logger: zerolog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	hs := fleet(1000)
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < 1000; i += 100 {
				h.TaskFailed(context.Background(), failedEvent4(hs[i], errors.New("unreachable")))
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	h.RunEnd(ctx, runEnd(0, 1000))
	cancel()
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	closeErr := h.Close(ctx)
	cancel()
	s := h.Stats()
	t.Logf("stats %+v; close: %v", s, closeErr)
	// 1000 task.failed events and one summary.
	if s.Sent != 0 || s.Dropped == 0 || s.Dropped+s.Failed != 1001 || s.Queued != 0 {
		t.Errorf("Stats = %+v, want 1001 = dropped + failed", s)
	}
	if closeErr == nil || !strings.Contains(closeErr.Error(), "undelivered") {
		t.Errorf("Close = %v", closeErr)
	}
	for _, want := range []string{"item dropped", "flush deadline passed", "hook delivery: closed"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// BenchmarkTaskFailed measures what a failing host costs the runner's worker: building,
// redacting, encoding and queueing its event (the receiver hangs, so most are dropped).
func BenchmarkTaskFailed(b *testing.B) {
	url, _ := hooktest.Hanging(b)
	h, err := New(Config{URL: url, DataFields: []string{"site", "role"}})
	if err != nil {
		b.Fatal(err)
	}
	hs := fleet(1000)
	err1 := fmt.Errorf("dial tcp 192.0.2.1:22: connect: %w", context.DeadlineExceeded)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.TaskFailed(context.Background(), failedEvent4(hs[i%1000], err1))
		i++
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = h.Close(ctx)
}

func TestSetupFailed(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatSlack} {
		t.Run(string(format), func(t *testing.T) {
			rcv := newReceiver(t)
			h := newHook(t, Config{URL: rcv.srv.URL, Format: format})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h.SetupFailed(ctx, "backup", "inventory",
				errors.New(`GET https://netbox.example/api/dcim/devices/: 403 Forbidden: token 0123456789abcdef0123456789abcdef01234567 invalid`))
			reqs := rcv.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d posts, want 1 (SetupFailed flushes)", len(reqs))
			}
			body := string(reqs[0].body)
			if strings.Contains(body, "0123456789abcdef0123456789abcdef01234567") {
				t.Errorf("the token reached the webhook: %s", body)
			}
			if format == FormatJSON {
				var ev struct {
					Type string    `json:"type"`
					Data runFailed `json:"data"`
				}
				if err := json.Unmarshal(reqs[0].body, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Type != TypeRunFailed || ev.Data.Task != "backup" || ev.Data.Stage != "inventory" ||
					!strings.Contains(ev.Data.Error, "403 Forbidden") {
					t.Errorf("event = %+v", ev)
				}
			} else if !strings.Contains(body, "norn backup could not start (inventory)") {
				t.Errorf("slack message = %s", body)
			}
		})
	}
}
