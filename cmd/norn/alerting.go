package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/alertmanager"
	"github.com/gonorn/norn/hooks/metrics"
	"github.com/gonorn/norn/hooks/webhook"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// alertOptions are the flags of the alerting and metrics hooks.
type alertOptions struct {
	alertmanagerURL string
	webhookURL      string
	webhookSecret   string
	slackURL        string
	metricsListen   string
	pushgatewayURL  string
}

// webhookSecretEnv holds the webhook signing secret when -webhook-secret is not given, so the
// secret stays out of the process list.
const webhookSecretEnv = "NORN_WEBHOOK_SECRET"

// alerting is the set of background hooks a run feeds: Alertmanager, webhooks, Prometheus.
// It is built before the inventory is loaded, so that a run that cannot start (SetupFailed)
// still reaches every channel.
type alerting struct {
	hooks   []any
	closers []func(context.Context) error
	srv     *http.Server
	served  chan error

	task     string
	am       *alertmanager.Hook
	mh       *metrics.Hook
	setup    []setupFailer
	webhooks map[string]*webhook.Hook // by flag

	// The fleet, set by attach once the repository is open (before the run starts).
	inv      *inventory.Inventory
	store    *gitstore.Store
	failedIn map[string]gitstore.HostStatus // hosts whose last attempt failed, before this run

	closeOnce sync.Once
	closeErr  error
}

// setupFailer is a hook that reports a run that could not start.
type setupFailer interface {
	SetupFailed(ctx context.Context, task, stage string, err error)
}

// alertResend is how often firing alerts are re-sent while a run lasts.
const alertResend = time.Minute

// hostLabels are the host data keys put on alerts and webhook events.
var hostLabels = []string{"site", "role"}

// startAlerting builds the hooks the flags ask for and starts the metrics server. Errors name
// the flag at fault.
func (j *job) startAlerting() (*alerting, error) {
	o := &j.o.alert
	a := &alerting{task: "backup", webhooks: map[string]*webhook.Hook{}}
	if j.o.cfg != nil {
		if err := a.startAlertmanager(j); err != nil {
			return nil, err
		}
	}
	if o.metricsListen != "" || o.pushgatewayURL != "" {
		mh, err := metrics.New(metrics.Config{PushURL: o.pushgatewayURL, PushJob: "norn_backup", Logger: j.log,
			HostStates: a.hostStates, ManualPush: true})
		if err != nil {
			a.close(context.Background())
			return nil, fmt.Errorf("-pushgateway-url: %w", err)
		}
		a.mh = mh
		a.add(mh, mh.Close)
		if a.am != nil {
			am := a.am
			mh.ObserveHook("alertmanager", func() metrics.HookStats {
				s := am.Stats()
				return metrics.HookStats{Queued: s.Queued, Sent: s.Sent, Dropped: s.Dropped, Failed: s.Failed}
			})
		}
	}
	secret := o.webhookSecret
	if secret == "" {
		secret = os.Getenv(webhookSecretEnv)
	}
	for _, w := range []struct {
		flag, url string
		format    webhook.Format
	}{{"-webhook-url", o.webhookURL, webhook.FormatJSON}, {"-slack-url", o.slackURL, webhook.FormatSlack}} {
		if w.url == "" {
			continue
		}
		cfg := webhook.Config{URL: w.url, Format: w.format, Logger: j.log}
		if w.format == webhook.FormatJSON {
			cfg.Secret, cfg.DataFields = secret, hostLabels
		}
		h, err := webhook.New(cfg)
		if err != nil {
			a.close(context.Background())
			return nil, fmt.Errorf("%s: %w", w.flag, err)
		}
		a.add(h, h.Close)
		a.webhooks[w.flag] = h
		if a.mh != nil {
			name := "webhook"
			if w.format == webhook.FormatSlack {
				name = "slack"
			}
			a.mh.ObserveHook(name, func() metrics.HookStats {
				s := h.Stats()
				return metrics.HookStats{Queued: s.Queued, Sent: s.Sent, Dropped: s.Dropped, Failed: s.Failed}
			})
		}
	}
	if o.metricsListen != "" {
		l, err := net.Listen("tcp", o.metricsListen)
		if err != nil {
			a.close(context.Background())
			return nil, fmt.Errorf("-metrics-listen: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", a.mh.Handler())
		a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		a.served = make(chan error, 1)
		go func() { a.served <- a.srv.Serve(l) }()
		fmt.Fprintf(j.info, "metrics: http://%s/metrics (while the run lasts; for a scraper, push with -pushgateway-url or run norn serve)\n", l.Addr())
	}
	return a, nil
}

// startAlertmanager builds the Alertmanager hook (hooks.alertmanager.*).
func (a *alerting) startAlertmanager(j *job) error {
	c := j.o.cfg.Hooks.Alertmanager
	if c.URL == "" {
		return nil
	}
	expire := c.Expire
	if expire < 0 || (expire > 0 && expire <= alertResend) {
		return fmt.Errorf("-alert-expire %s: want more than %s (firing alerts are re-sent every %s while a run lasts), or 0 for twice -stale",
			expire, alertResend, alertResend)
	}
	if expire == 0 {
		// Runs must come more often than -stale for backups to stay fresh: twice -stale outlasts
		// the gap between two runs, even a late one, so a failing host's alert does not
		// resolve between runs. When runs stop altogether, it resolves after this, and the
		// staleness alert on norn_host_last_success_timestamp_seconds takes over.
		expire = 2 * j.o.cfg.Backup.Stale
	}
	h, err := alertmanager.New(alertmanager.Config{URL: c.URL, AlertName: "NornBackupFailed", DataLabels: hostLabels,
		Expire: expire, ResendInterval: alertResend, RunbookURL: c.RunbookURL, GeneratorURL: c.GeneratorURL,
		MayBeFiring: a.mayBeFiring, Logger: j.log})
	if err != nil {
		return fmt.Errorf("-alertmanager-url: %w", err)
	}
	a.am = h
	a.add(h, h.Close)
	return nil
}

func (a *alerting) add(h hooks.Hook, close func(context.Context) error) {
	a.hooks = append(a.hooks, h)
	a.closers = append(a.closers, close)
	if s, ok := h.(setupFailer); ok {
		a.setup = append(a.setup, s)
	}
}

// attach gives the hooks the fleet: the inventory whose hosts the metrics export, and the
// repository whose status says which hosts failed last (read now, before the run records its
// own results), so that only those are resolved.
func (a *alerting) attach(inv *inventory.Inventory, store *gitstore.Store) {
	if a == nil {
		return
	}
	a.inv, a.store = inv, store
	a.failedIn = map[string]gitstore.HostStatus{}
	for _, st := range store.Failing() {
		a.failedIn[st.Host] = st
	}
}

// mayBeFiring is the Alertmanager hook's MayBeFiring: a host whose last attempt failed may have
// an alert firing since an earlier run, with its last failure's class. The breaker of norn
// backup counts authentication failures, so a breaker_open alert was caused by them.
func (a *alerting) mayBeFiring(host string) (alertmanager.Failure, bool) {
	st, ok := a.failedIn[host]
	if !ok {
		return alertmanager.Failure{}, false
	}
	f := alertmanager.Failure{Class: st.FailureClass}
	if f.Class == tasks.ClassBreakerOpen {
		f.BreakerCause = tasks.ClassAuthentication
	}
	return f, true
}

// hostStates is the metrics hook's HostStates: every host of the inventory (not only the ones
// this run selected) with its status from the repository, so every host has its series and a
// -filter or -only-failed run does not wipe the others' from the Pushgateway. Hosts the
// repository knows but the inventory no longer has are left out (decommissioned). Before the
// repository is open (a setup failure), it exports none.
func (a *alerting) hostStates(context.Context) ([]metrics.HostState, error) {
	if a.inv == nil || a.store == nil {
		return nil, nil
	}
	hs := a.inv.Hosts()
	out := make([]metrics.HostState, 0, len(hs))
	for _, h := range hs {
		st, _ := a.store.Status(h.Name)
		out = append(out, metrics.HostState{
			Host: h.Name, Platform: h.Platform(), Site: dataString(h, "site"), Role: dataString(h, "role"),
			LastAttempt: st.LastAttempt, LastSuccess: st.LastSuccess, LastFailure: st.LastFailure,
			FailureClass: string(st.FailureClass), ConsecutiveFailures: st.ConsecutiveFailures,
			LastDuration: st.LastDuration, ConfigBytes: st.Bytes, ConfigLines: int64(st.Lines),
		})
	}
	return out, nil
}

func dataString(h *inventory.Host, key string) string {
	v, ok := h.Get(key)
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// setupFailed tells every channel that the run could not start at stage: an Alertmanager
// alert, a webhook "run.failed" event, norn_run_setup_failed (pushed). It waits up to 10 s for
// the deliveries; nil-safe (no hooks yet).
func (a *alerting) setupFailed(stage string, err error) {
	if a == nil || len(a.setup) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range a.setup {
		s.SetupFailed(ctx, a.task, stage, err)
	}
}

// delivery is what became of the run's alerts and pushes, for the summary.
type delivery struct {
	// undelivered names, per channel, the hosts whose alert or event was lost.
	undelivered map[string][]string
	dropped     map[string]uint64
	took        time.Duration
	err         error
}

// finish pushes the metrics (after the run's results are recorded in the repository, so the
// push carries them), then flushes and closes every hook within ctx, and says what was lost.
// The time it takes is not part of the run's time.
func (a *alerting) finish(ctx context.Context) delivery {
	start := time.Now()
	d := delivery{undelivered: map[string][]string{}, dropped: map[string]uint64{}}
	if a.mh != nil {
		if err := a.mh.Push(ctx); err != nil {
			d.err = err
		}
	}
	if err := a.close(ctx); err != nil {
		d.err = errors.Join(d.err, err)
	}
	if a.am != nil {
		if lost := a.am.Undelivered(); len(lost) > 0 {
			d.undelivered["alertmanager"] = lost
		}
		s := a.am.Stats()
		d.dropped["alertmanager"] = s.Dropped + s.Failed
	}
	for flag, h := range a.webhooks {
		s := h.Stats()
		d.dropped[strings.TrimSuffix(strings.TrimPrefix(flag, "-"), "-url")] = s.Dropped + s.Failed
	}
	d.took = time.Since(start)
	return d
}

// writeText prints the delivery line of the summary: nothing when every alert was delivered.
func (d delivery) writeText(w io.Writer) {
	for _, ch := range []string{"alertmanager", "webhook", "slack"} {
		n := d.dropped[ch]
		if n == 0 {
			continue
		}
		hosts := d.undelivered[ch]
		list := strings.Join(hosts[:min(len(hosts), 10)], ", ")
		if len(hosts) > 10 {
			list += fmt.Sprintf(", ... (%d hosts)", len(hosts))
		}
		if list != "" {
			list = ": " + list
		}
		fmt.Fprintf(w, "  %-18s %d not delivered (flush took %s, not counted in the run's time)%s\n",
			ch, n, d.took.Round(time.Millisecond), list)
	}
}

// undeliveredJSON is what -json reports: per channel, the hosts whose alert was lost, or the
// count for channels that do not name them; nil when nothing was lost.
func (d delivery) undeliveredJSON() map[string][]string {
	var out map[string][]string
	for ch, n := range d.dropped {
		if n == 0 {
			continue
		}
		if out == nil {
			out = map[string][]string{}
		}
		out[ch] = d.undelivered[ch]
		if out[ch] == nil {
			out[ch] = []string{fmt.Sprintf("%d messages", n)}
		}
	}
	return out
}

// close stops the metrics server and flushes and stops the hooks, within ctx. Calls after the
// first return its result.
func (a *alerting) close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		var errs []error
		if a.srv != nil {
			if err := a.srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("metrics server: %w", err))
			}
			if err := <-a.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs = append(errs, fmt.Errorf("metrics server: %w", err))
			}
		}
		for i := len(a.closers) - 1; i >= 0; i-- {
			if err := a.closers[i](ctx); err != nil {
				errs = append(errs, err)
			}
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}
