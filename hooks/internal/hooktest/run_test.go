package hooktest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/alertmanager"
	"github.com/gonorn/norn/hooks/internal/hooktest"
	"github.com/gonorn/norn/hooks/metrics"
	"github.com/gonorn/norn/hooks/webhook"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// allHooks builds the three delivering hooks against url, the metrics hook observing the
// other two, as a program wires them.
type allHooks struct {
	am *alertmanager.Hook
	wh *webhook.Hook
	mx *metrics.Hook
}

func newAllHooks(tb testing.TB, amURL, whURL, pgURL string, queueSize int, log zerolog.Logger) *allHooks {
	tb.Helper()
	am, err := alertmanager.New(alertmanager.Config{URL: amURL, QueueSize: queueSize, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	wh, err := webhook.New(webhook.Config{URL: whURL, QueueSize: queueSize, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	mx, err := metrics.New(metrics.Config{PushURL: pgURL, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	mx.ObserveHook("alertmanager", func() metrics.HookStats {
		s := am.Stats()
		return metrics.HookStats{Queued: s.Queued, Sent: s.Sent, Dropped: s.Dropped, Failed: s.Failed}
	})
	mx.ObserveHook("webhook", func() metrics.HookStats {
		s := wh.Stats()
		return metrics.HookStats{Queued: s.Queued, Sent: s.Sent, Dropped: s.Dropped, Failed: s.Failed}
	})
	return &allHooks{am: am, wh: wh, mx: mx}
}

func (a *allHooks) list() []hooks.Hook { return []hooks.Hook{a.am, a.wh, a.mx} }

func (a *allHooks) close(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return errors.Join(a.am.Close(ctx), a.wh.Close(ctx), a.mx.Close(ctx))
}

func fleet(n int) *inventory.Inventory {
	var hosts []*inventory.Host
	for i := range n {
		hosts = append(hosts, &inventory.Host{Name: fmt.Sprintf("dev%05d", i), Attrs: inventory.Attrs{Platform: "juniper_junos", Password: "pw"}})
	}
	return inventory.New(hosts, nil, nil)
}

func failAll(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
	return tasks.Result{}, tasks.WithClass(tasks.ClassConnection, errors.New("connect: connection refused"))
}

// TestRunWithEveryReceiverHanging: Alertmanager, the webhook receiver and the Pushgateway all
// accept connections and never answer; a 1,000-host run with every host failing still ends
// within its flush deadline, and the hooks report, in their stats, their log and the metrics,
// what they dropped or could not deliver.
func TestRunWithEveryReceiverHanging(t *testing.T) {
	amURL, amConns := hooktest.Hanging(t)
	whURL, whConns := hooktest.Hanging(t)
	pgURL, pgConns := hooktest.Hanging(t)
	log := &hooktest.Buffer{}
	hs := newAllHooks(t, amURL, whURL+"/hook", pgURL, 256, zerolog.New(log))
	const flush = 500 * time.Millisecond
	r, err := runner.New(runner.Config{Inventory: fleet(1000), Hooks: hs.list(), FlushTimeout: flush})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := r.Run(context.Background(), "backup", failAll)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Failed != 1000 {
		t.Fatalf("summary %+v", res.Summary)
	}
	// The metrics record the run and the other hooks' troubles, whatever the receivers do.
	srv := httptest.NewServer(hs.mx.Handler())
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	srv.Close()
	for _, want := range []string{
		`norn_tasks_total{result="failed",task="backup"} 1000`,
		`norn_task_failures_total{error_class="connection",task="backup"} 1000`,
		`norn_hook_sent_total{hook="alertmanager"} 0`,
		`norn_hook_sent_total{hook="webhook"} 0`,
	} {
		if !strings.Contains(body.String(), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(body.String(), `norn_hook_dropped_total{hook="alertmanager"}`) {
		t.Error("no dropped counter for alertmanager")
	}
	amS, whS := hs.am.Stats(), hs.wh.Stats()
	closeErr := hs.close(300 * time.Millisecond)
	amS2, whS2 := hs.am.Stats(), hs.wh.Stats()
	t.Logf("1000-host run, every receiver hanging: %v (flush deadline %v); connections am %d, webhook %d, pushgateway %d",
		elapsed, flush, amConns(), whConns(), pgConns())
	t.Logf("at run end: alertmanager %+v, webhook %+v; after Close: alertmanager %+v, webhook %+v", amS, whS, amS2, whS2)
	t.Logf("Close: %v", closeErr)
	// Alertmanager: 1000 host alerts and the resolve of the run's setup alert (RunStart).
	if amS2.Sent != 0 || amS2.Dropped+amS2.Failed != 1001 || whS2.Dropped+whS2.Failed != 1001 {
		t.Errorf("stats after Close: alertmanager %+v, webhook %+v", amS2, whS2)
	}
	if closeErr == nil {
		t.Error("Close returned nil with everything undelivered")
	}
	for _, hook := range []string{`"hook":"alertmanager"`, `"hook":"webhook"`, `"hook":"pushgateway"`} {
		if !strings.Contains(log.String(), hook) {
			t.Errorf("nothing logged for %s", hook)
		}
	}
}

// BenchmarkRun1000 measures a 1,000-host run in which every host fails at once, without hooks,
// with the three delivering hooks (default queue sizes) posting to live receivers, and with
// every receiver hanging (the run then lasts its work plus the runner's FlushTimeout, 200 ms
// here, and no more).
func BenchmarkRun1000(b *testing.B) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	for _, mode := range []string{"no-hooks", "live-receivers", "hanging-receivers"} {
		b.Run(mode, func(b *testing.B) {
			var hs *allHooks
			switch mode {
			case "live-receivers":
				hs = newAllHooks(b, ok.URL, ok.URL, ok.URL, 0, zerolog.Nop())
			case "hanging-receivers":
				u1, _ := hooktest.Hanging(b)
				u2, _ := hooktest.Hanging(b)
				u3, _ := hooktest.Hanging(b)
				hs = newAllHooks(b, u1, u2, u3, 0, zerolog.Nop())
			}
			var list []hooks.Hook
			if hs != nil {
				list = hs.list()
			}
			r, err := runner.New(runner.Config{Inventory: fleet(1000), Hooks: list, FlushTimeout: 200 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				if _, err := r.Run(context.Background(), "backup", failAll); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/run")
			b.StopTimer()
			if hs != nil {
				s := hs.am.Stats()
				b.ReportMetric(float64(s.Dropped)/float64(b.N), "am-dropped/run")
				_ = hs.close(100 * time.Millisecond)
			}
		})
	}
}
