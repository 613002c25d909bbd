package queue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/hooks/internal/hooktest"
	"github.com/gonorn/norn/internal/retry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func closeQ[T any](t *testing.T, q *Queue[T]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestDeliversEverythingInBatches(t *testing.T) {
	var mu sync.Mutex
	var got []int
	var sizes []int
	q := New(Config{Workers: 3, BatchSize: 7, Size: 100}, func(_ context.Context, b []int) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, b...)
		sizes = append(sizes, len(b))
		return nil
	}, Options[int]{})
	defer closeQ(t, q)
	for i := range 100 {
		if !q.Enqueue(i) {
			t.Fatalf("Enqueue(%d) refused", i)
		}
	}
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 100 {
		t.Fatalf("delivered %d items, want 100", len(got))
	}
	seen := map[int]bool{}
	for _, v := range got {
		seen[v] = true
	}
	if len(seen) != 100 {
		t.Fatalf("delivered %d distinct items, want 100", len(seen))
	}
	for _, s := range sizes {
		if s < 1 || s > 7 {
			t.Fatalf("batch of %d items, want 1..7", s)
		}
	}
	if s := q.Stats(); s.Sent != 100 || s.Queued != 0 || s.Dropped != 0 || s.Failed != 0 {
		t.Fatalf("Stats = %+v", s)
	}
}

func TestFlushCutsBatchWaitShort(t *testing.T) {
	var mu sync.Mutex
	var batches [][]string
	q := New(Config{Workers: 1, BatchSize: 10, BatchWait: time.Hour}, func(_ context.Context, b []string) error {
		mu.Lock()
		defer mu.Unlock()
		batches = append(batches, append([]string(nil), b...))
		return nil
	}, Options[string]{})
	defer closeQ(t, q)
	q.Enqueue("a")
	q.Enqueue("b")
	q.Enqueue("c")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 1 || strings.Join(batches[0], ",") != "a,b,c" {
		t.Fatalf("batches = %v, want one batch [a b c]", batches)
	}
}

func TestBatchWaitCollectsLateItems(t *testing.T) {
	got := make(chan []int, 10)
	q := New(Config{Workers: 1, BatchSize: 3, BatchWait: time.Hour}, func(_ context.Context, b []int) error {
		got <- append([]int(nil), b...)
		return nil
	}, Options[int]{})
	defer closeQ(t, q)
	for i := range 3 {
		q.Enqueue(i)
		time.Sleep(5 * time.Millisecond)
	}
	// BatchSize reached: sent without waiting for the hour.
	select {
	case b := <-got:
		if fmt.Sprint(b) != "[0 1 2]" {
			t.Fatalf("batch = %v, want [0 1 2]", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a full batch was not sent")
	}
}

func TestFullQueueDropsAndLogs(t *testing.T) {
	log := &hooktest.Buffer{}
	started := make(chan struct{})
	release := make(chan struct{})
	q := New(Config{Name: "testhook", Workers: 1, Size: 2, Logger: zerolog.New(log)},
		func(_ context.Context, b []int) error {
			if b[0] == 0 {
				close(started)
				<-release
			}
			return nil
		}, Options[int]{})
	defer closeQ(t, q)
	q.Enqueue(0)
	<-started
	if !q.Enqueue(1) || !q.Enqueue(2) {
		t.Fatal("queue with room refused an item")
	}
	for i := range 5 {
		if q.Enqueue(3 + i) {
			t.Fatalf("full queue accepted item %d", 3+i)
		}
	}
	s := q.Stats()
	if s.Dropped != 5 || s.Queued != 3 {
		t.Fatalf("Stats = %+v, want 5 dropped, 3 queued", s)
	}
	// Logged at drops 1, 2 and 4 only.
	if n := strings.Count(log.String(), "item dropped"); n != 3 {
		t.Fatalf("logged %d drops, want 3 (1st, 2nd, 4th):\n%s", n, log)
	}
	if !strings.Contains(log.String(), `"hook":"testhook"`) || !strings.Contains(log.String(), "queue full") {
		t.Fatalf("drop log lacks hook name or reason:\n%s", log)
	}
	close(release)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := q.Stats(); s.Sent != 3 || s.Dropped != 5 || s.Queued != 0 {
		t.Fatalf("Stats after flush = %+v", s)
	}
}

// fakeTime is a clock advanced by the injected sleep.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeTime() *fakeTime { return &fakeTime{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.now = f.now.Add(d)
	return ctx.Err()
}

func (f *fakeTime) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	ft := newFakeTime()
	calls := 0
	q := New(Config{Workers: 1, Sleep: ft.Sleep, Now: ft.Now}, func(_ context.Context, b []int) error {
		calls++
		switch calls {
		case 1:
			return &StatusError{Method: "POST", URL: "http://x", Code: 503, RetryAfter: 7 * time.Second, HasRetryAfter: true}
		case 2:
			return &StatusError{Method: "POST", URL: "http://x", Code: 429, RetryAfter: 3 * time.Second, HasRetryAfter: true}
		}
		return nil
	}, Options[int]{})
	defer closeQ(t, q)
	q.Enqueue(1)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := ft.Waits(); fmt.Sprint(w) != "[7s 3s]" {
		t.Fatalf("waits = %v, want [7s 3s]", w)
	}
	if s := q.Stats(); s.Sent != 1 || s.Retries != 2 || s.Failed != 0 {
		t.Fatalf("Stats = %+v", s)
	}
}

func TestRetryBacksOffOnNetworkErrorsAnd5xx(t *testing.T) {
	ft := newFakeTime()
	calls := 0
	q := New(Config{Workers: 1, Sleep: ft.Sleep, Now: ft.Now, InitialInterval: time.Second, MaxInterval: 4 * time.Second},
		func(_ context.Context, b []int) error {
			calls++
			switch calls {
			case 1:
				return fmt.Errorf("POST http://x: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")})
			case 2, 3, 4:
				return &StatusError{Code: 500}
			}
			return nil
		}, Options[int]{})
	defer closeQ(t, q)
	q.Enqueue(1)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := ft.Waits()
	if len(w) != 4 {
		t.Fatalf("waits = %v, want 4", w)
	}
	// Exponential with +-50% jitter: 1s, 2s, 4s, 4s (capped).
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	for i := range w {
		if w[i] < want[i]/2 || w[i] > want[i]*3/2 {
			t.Fatalf("wait %d = %v, want about %v (all: %v)", i, w[i], want[i], w)
		}
	}
}

func TestNoRetryOn4xxOrPermanent(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"400", &StatusError{Code: 400}},
		{"401", &StatusError{Code: 401}},
		{"404", &StatusError{Code: 404}},
		{"413", &StatusError{Code: 413, RetryAfter: time.Second, HasRetryAfter: true}},
		{"permanent", retry.Permanent(errors.New("cannot encode"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &hooktest.Buffer{}
			ft := newFakeTime()
			calls := 0
			q := New(Config{Workers: 1, Sleep: ft.Sleep, Now: ft.Now, Logger: zerolog.New(log)},
				func(_ context.Context, b []int) error { calls++; return tc.err }, Options[int]{})
			q.Enqueue(1)
			q.Enqueue(2)
			if err := q.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			closeQ(t, q)
			if s := q.Stats(); s.Failed != 2 || s.Retries != 0 || s.Sent != 0 {
				t.Fatalf("Stats = %+v", s)
			}
			if len(ft.Waits()) != 0 {
				t.Fatalf("slept %v, want no retry", ft.Waits())
			}
			if !strings.Contains(log.String(), "not retryable") {
				t.Fatalf("failure not logged:\n%s", log)
			}
		})
	}
}

func TestRetryBudget(t *testing.T) {
	ft := newFakeTime()
	calls := 0
	q := New(Config{Workers: 1, Sleep: ft.Sleep, Now: ft.Now, RetryFor: 20 * time.Second,
		InitialInterval: time.Second, MaxInterval: 2 * time.Second},
		func(_ context.Context, b []int) error { calls++; return &StatusError{Code: 502} }, Options[int]{})
	defer closeQ(t, q)
	q.Enqueue(1)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	for _, w := range ft.Waits() {
		total += w
	}
	if total > 20*time.Second+3*time.Second || total < 15*time.Second {
		t.Fatalf("retried for %v, want about the 20s budget (waits %v)", total, ft.Waits())
	}
	if s := q.Stats(); s.Failed != 1 || s.Retries != uint64(calls-1) {
		t.Fatalf("Stats = %+v after %d calls", s, calls)
	}
}

func TestRetryAfterBeyondBudgetGivesUp(t *testing.T) {
	ft := newFakeTime()
	log := &hooktest.Buffer{}
	q := New(Config{Workers: 1, Sleep: ft.Sleep, Now: ft.Now, RetryFor: time.Minute, Logger: zerolog.New(log)},
		func(_ context.Context, b []int) error {
			return &StatusError{Code: 429, RetryAfter: time.Hour, HasRetryAfter: true}
		}, Options[int]{})
	defer closeQ(t, q)
	q.Enqueue(1)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(ft.Waits()) != 0 || q.Stats().Failed != 1 {
		t.Fatalf("waits %v, stats %+v", ft.Waits(), q.Stats())
	}
	if !strings.Contains(log.String(), "retry after 1h0m0s") {
		t.Fatalf("log does not say why:\n%s", log)
	}
}

func TestRetriesDisabled(t *testing.T) {
	calls := 0
	q := New(Config{Workers: 1, RetryFor: -1}, func(_ context.Context, b []int) error { calls++; return &StatusError{Code: 503} }, Options[int]{})
	q.Enqueue(1)
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	closeQ(t, q)
	if calls != 1 || q.Stats().Failed != 1 {
		t.Fatalf("calls %d, stats %+v", calls, q.Stats())
	}
}

func TestHangingSendFlushDeadlineAndClose(t *testing.T) {
	log := &hooktest.Buffer{}
	var lostMu sync.Mutex
	lost := map[int]string{}
	q := New(Config{Name: "hang", Workers: 2, Size: 10, Timeout: time.Hour, Logger: zerolog.New(log)},
		func(ctx context.Context, b []int) error {
			<-ctx.Done() // a receiver that never answers
			return ctx.Err()
		}, Options[int]{Lost: func(items []int, why string) {
			lostMu.Lock()
			defer lostMu.Unlock()
			for _, v := range items {
				if _, dup := lost[v]; dup {
					t.Errorf("item %d lost twice", v)
				}
				lost[v] = why
			}
		}})
	for i := range 20 {
		q.Enqueue(i)
	}
	s := q.Stats()
	if s.Dropped < 8 || s.Queued+int(s.Dropped) != 20 {
		t.Fatalf("Stats = %+v, want 20 = queued + dropped with >= 8 dropped", s)
	}
	droppedFull := int(s.Dropped) // which items they are depends on how fast the workers took the first ones
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := q.Flush(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "undelivered") {
		t.Fatalf("Flush = %v, want a deadline error counting undelivered items", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if err := q.Close(ctx2); err == nil {
		t.Fatal("Close with items left returned nil")
	}
	s = q.Stats()
	if s.Queued != 0 || s.Sent != 0 || s.Failed+s.Dropped != 20 {
		t.Fatalf("Stats after Close = %+v, want every item failed or dropped", s)
	}
	if !strings.Contains(log.String(), "queue closed") || !strings.Contains(log.String(), `"hook":"hang"`) {
		t.Fatalf("log lacks the undelivered report:\n%s", log)
	}
	if q.Enqueue(99) {
		t.Fatal("closed queue accepted an item")
	}
	lostMu.Lock()
	defer lostMu.Unlock()
	full := 0
	for i := range 20 {
		switch why := lost[i]; {
		case strings.HasPrefix(why, "dropped: queue full"):
			full++
		case !strings.HasPrefix(why, "failed: "):
			t.Errorf("item %d lost as %q; want dropped (queue full) or failed", i, why)
		}
	}
	if full != droppedFull {
		t.Errorf("%d items lost as dropped (queue full); Stats counted %d", full, droppedFull)
	}
	if len(lost) != 21 || !strings.HasPrefix(lost[99], "dropped: queue closed") || !strings.HasPrefix(lost[0], "failed: ") {
		t.Fatalf("Lost saw %d items, want the 20 undelivered and the one refused after Close: %v", len(lost), lost)
	}
	if err := q.Close(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
}

func TestKeyKeepsOrderPerKey(t *testing.T) {
	type item struct {
		key string
		seq int
	}
	var mu sync.Mutex
	last := map[string]int{}
	bad := 0
	q := New(Config{Workers: 4, BatchSize: 5, Size: 10000}, func(_ context.Context, b []item) error {
		mu.Lock()
		defer mu.Unlock()
		for _, it := range b {
			if it.seq <= last[it.key] {
				bad++
			}
			last[it.key] = it.seq
		}
		return nil
	}, Options[item]{Key: func(it item) string { return it.key }})
	defer closeQ(t, q)
	for seq := 1; seq <= 200; seq++ {
		for k := range 20 {
			q.Enqueue(item{fmt.Sprintf("host%d", k), seq})
		}
	}
	if err := q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if bad != 0 || len(last) != 20 || q.Stats().Sent != 4000 {
		t.Fatalf("%d items out of order, %d keys, stats %+v", bad, len(last), q.Stats())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"Sat, 01 Mar 2025 12:00:30 GMT", 30 * time.Second, true},
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0, true},
		{"Saturday, 01-Mar-25 12:01:00 GMT", time.Minute, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"999999999999", 0, false},
		{"86401", 0, false},
	} {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "Sat, 01 Mar 2025 12:00:30 GMT", "Mon, 02 Jan 2006 15:04:05 MST", "-1", "1e9", ""} {
		f.Add(s)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || d > 24*time.Hour {
			t.Fatalf("ParseRetryAfter(%q) = %v out of range", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v with ok=false", s, d)
		}
	})
}

func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusAccepted)
		case "/busy":
			w.Header().Set("Retry-After", "12")
			http.Error(w, "slow down", http.StatusServiceUnavailable)
		case "/bad":
			http.Error(w, strings.Repeat("x", 2000), http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	client := srv.Client()
	req := func(path string) *http.Request {
		r, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader("{}"))
		return r
	}
	if err := Do(client, req("/ok"), "shown"); err != nil {
		t.Fatalf("2xx: %v", err)
	}
	err := Do(client, req("/busy"), "http://127.0.0.1/busy")
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 503 || !se.HasRetryAfter || se.RetryAfter != 12*time.Second || se.Body != "slow down" {
		t.Fatalf("503: %#v", err)
	}
	if !Retryable(err) {
		t.Fatal("503 not retryable")
	}
	if d, ok := RetryAfter(err); !ok || d != 12*time.Second {
		t.Fatalf("RetryAfter = %v %v", d, ok)
	}
	err = Do(client, req("/bad"), "shown")
	if !errors.As(err, &se) || se.Code != 400 || len(se.Body) > 512 || Retryable(err) {
		t.Fatalf("400: %v", err)
	}
	// A transport error names the shown URL, never the real one (its path may hold a token).
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	r, _ := http.NewRequest("POST", "http://"+addr+"/services/T000/B000/SECRETTOKEN", nil)
	err = Do(client, r, "http://"+addr+"/services/...")
	if err == nil || strings.Contains(err.Error(), "SECRETTOKEN") || !strings.Contains(err.Error(), "/services/...") {
		t.Fatalf("transport error = %v", err)
	}
	if !Retryable(err) {
		t.Fatal("connection refused not retryable")
	}
}

func BenchmarkEnqueue(b *testing.B) {
	q := New(Config{Workers: 2, Size: 1 << 16, BatchSize: 64}, func(_ context.Context, batch []int) error { return nil }, Options[int]{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q.Enqueue(i)
	}
	b.StopTimer()
	_ = q.Close(context.Background())
	s := q.Stats()
	b.ReportMetric(float64(s.Dropped)/float64(b.N), "dropped/op")
}

// BenchmarkEnqueueHanging measures the cost to the caller when the receiver never answers: every
// enqueue past the queue's size is a drop, and none may block.
func BenchmarkEnqueueHanging(b *testing.B) {
	q := New(Config{Workers: 2, Size: 1024}, func(ctx context.Context, batch []int) error { <-ctx.Done(); return ctx.Err() }, Options[int]{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q.Enqueue(i)
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = q.Close(ctx)
	s := q.Stats()
	b.ReportMetric(float64(s.Dropped)/float64(b.N), "dropped/op")
}
