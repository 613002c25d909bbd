package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gonorn/norn/hooks/alertmanager"
	"github.com/gonorn/norn/hooks/metrics"
	"github.com/gonorn/norn/hooks/webhook"
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
type alerting struct {
	hooks   []any
	closers []func(context.Context) error
	srv     *http.Server
	served  chan error
}

// hostLabels are the host data keys put on alerts and webhook events.
var hostLabels = []string{"site", "role"}

// startAlerting builds the hooks the flags ask for and starts the metrics server. Errors name
// the flag at fault.
func (j *job) startAlerting() (*alerting, error) {
	o := &j.o.alert
	a := &alerting{}
	var mh *metrics.Hook
	if o.metricsListen != "" || o.pushgatewayURL != "" {
		var err error
		mh, err = metrics.New(metrics.Config{PushURL: o.pushgatewayURL, PushJob: "norn_backup", Logger: j.log})
		if err != nil {
			return nil, fmt.Errorf("-pushgateway-url: %w", err)
		}
		a.hooks = append(a.hooks, mh)
		a.closers = append(a.closers, mh.Close)
	}
	if o.alertmanagerURL != "" {
		h, err := alertmanager.New(alertmanager.Config{URL: o.alertmanagerURL, AlertName: "NornBackupFailed",
			DataLabels: hostLabels, Logger: j.log})
		if err != nil {
			a.close(context.Background())
			return nil, fmt.Errorf("-alertmanager-url: %w", err)
		}
		a.hooks = append(a.hooks, h)
		a.closers = append(a.closers, h.Close)
		if mh != nil {
			mh.ObserveHook("alertmanager", func() metrics.HookStats {
				s := h.Stats()
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
		a.hooks = append(a.hooks, h)
		a.closers = append(a.closers, h.Close)
		if mh != nil {
			name := "webhook"
			if w.format == webhook.FormatSlack {
				name = "slack"
			}
			mh.ObserveHook(name, func() metrics.HookStats {
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
		mux.Handle("/metrics", mh.Handler())
		a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		a.served = make(chan error, 1)
		go func() { a.served <- a.srv.Serve(l) }()
		fmt.Fprintf(j.info, "metrics: http://%s/metrics (while the run lasts)\n", l.Addr())
	}
	return a, nil
}

// close stops the metrics server and flushes and stops the hooks, within ctx.
func (a *alerting) close(ctx context.Context) error {
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
	return errors.Join(errs...)
}
