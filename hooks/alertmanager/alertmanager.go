package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/internal/queue"
	"github.com/gonorn/norn/hooks/internal/redact"
	"github.com/gonorn/norn/internal/retry"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// DefaultAlertName is the alertname label of the alerts, unless Config.AlertName is set.
const DefaultAlertName = "NornTaskFailed"

// Config configures a Hook. Zero fields take the documented defaults; New validates it.
type Config struct {
	// URL is Alertmanager's base URL, e.g. "http://alertmanager:9093" (a path prefix such as
	// "/alertmanager" is kept; "/api/v2/alerts" is appended). Required. For an Alertmanager
	// cluster, give one Hook per instance, as Prometheus sends to each.
	URL string
	// AlertName is the alertname label. Default DefaultAlertName ("NornTaskFailed").
	AlertName string
	// DataLabels are host data keys (looked up with Host.Get, through groups and defaults) added
	// as labels, e.g. "site", "role", "tenant". A key with characters a label name cannot hold
	// is turned into one ("site.name" -> "site_name"). Keys naming a secret are refused.
	// A host without the key gets no such label. Default none.
	DataLabels []string
	// Labels are added to every alert, e.g. {"severity": "warning", "team": "netops"}.
	// They may not override alertname, host, task, platform or a data label. Default none.
	Labels map[string]string
	// Annotations are added to every alert, e.g. {"runbook_url": "https://..."}. Default none.
	Annotations map[string]string
	// GeneratorURL is the alerts' generatorURL (a link to the job's dashboard or logs).
	// Default none.
	GeneratorURL string
	// ResendInterval is how often alerts still firing are re-sent while the program runs. It
	// must be shorter than Alertmanager's resolve_timeout (default 5m) when Expire is 0.
	// Default 1m.
	ResendInterval time.Duration
	// Expire, when set, is sent as each firing alert's end (endsAt = now + Expire, moved on every
	// re-send): Alertmanager resolves an alert that stops being re-sent after Expire rather than
	// its resolve_timeout. Batch programs run from cron set it beyond their interval (e.g. 2h for
	// an hourly backup), so an alert outlives the process that raised it. Must exceed
	// ResendInterval. Default 0: endsAt is not sent.
	Expire time.Duration
	// ResolveOnlyFired makes TaskOK resolve only the alerts this Hook raised. Default false:
	// every host whose task succeeds sends a resolve, so an alert raised by an earlier process
	// (the previous cron run) is cleared.
	ResolveOnlyFired bool
	// IgnoreClasses are error classes that raise no alert. Default (nil): tasks.ClassCanceled
	// and tasks.ClassNotRun (a run cancelled by its operator is not a device failure). An empty,
	// non-nil slice ignores none.
	IgnoreClasses []tasks.Class
	// MessageLimit caps the description annotation (the error message), in bytes. Default 2048.
	MessageLimit int
	// BatchSize is the most alerts posted at once. Default 64.
	BatchSize int
	// BatchWait is how long a worker waits for a batch to fill. Default 200ms.
	BatchWait time.Duration
	// QueueSize is how many alerts may wait for delivery; more are dropped and counted.
	// Default 4096.
	QueueSize int
	// Workers is how many posts run at once. Default 2.
	Workers int
	// Timeout bounds one post. Default 10s.
	Timeout time.Duration
	// RetryFor bounds the retries of one batch (network errors, 5xx, 429; never other 4xx).
	// Default 1m; negative: no retries.
	RetryFor time.Duration
	// Header is added to every request (e.g. Authorization for an Alertmanager behind a proxy).
	// Its values never reach a log line.
	Header http.Header
	// Client sends the requests. Default: a client with the default transport.
	Client *http.Client
	// Logger receives delivery failures, drops and undelivered counts. Default: no logging.
	Logger zerolog.Logger

	now   func() time.Time                                 // tests
	sleep func(ctx context.Context, d time.Duration) error // tests
}

// Stats are a Hook's delivery counters, in alerts (firing and resolved).
type Stats struct {
	// Queued is how many alerts wait or are being posted.
	Queued int
	// Sent is how many alerts Alertmanager accepted.
	Sent uint64
	// Dropped is how many alerts were refused because the queue was full (or closed).
	Dropped uint64
	// Failed is how many alerts were given up (4xx answer, retries exhausted, closed).
	Failed uint64
	// Retries is how many posts were retried.
	Retries uint64
	// Firing is how many alerts this Hook holds as firing (and re-sends).
	Firing int
}

// Hook raises and resolves Alertmanager alerts. It implements hooks.TaskFailedHook,
// hooks.TaskOKHook and hooks.RunEndHook. Create it with New; Close it when the program ends.
type Hook struct {
	cfg        Config
	endpoint   string
	shown      string
	dataLabels []dataLabel
	ignore     map[tasks.Class]bool
	q          *queue.Queue[alert]

	mu     sync.Mutex
	firing map[string]*alert

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type dataLabel struct{ key, label string }

// alert is one posted alert, in Alertmanager's v2 shape (postableAlert).
type alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`

	key     string
	started time.Time
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// builtin labels every alert has.
var builtin = []string{"alertname", "host", "task", "platform"}

// New validates cfg and starts the hook's delivery workers and re-send loop.
func New(cfg Config) (*Hook, error) {
	if cfg.URL == "" {
		return nil, errors.New("alertmanager: Config.URL is required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("alertmanager: Config.URL %q: want http(s)://host:port", redact.URL(cfg.URL, true))
	}
	if u.User != nil {
		if cfg.Header == nil || cfg.Header.Get("Authorization") == "" {
			pw, _ := u.User.Password()
			cfg.Header = cfg.Header.Clone()
			if cfg.Header == nil {
				cfg.Header = http.Header{}
			}
			req := &http.Request{Header: cfg.Header}
			req.SetBasicAuth(u.User.Username(), pw)
		}
		u.User = nil
	}
	if cfg.AlertName == "" {
		cfg.AlertName = DefaultAlertName
	}
	if cfg.ResendInterval <= 0 {
		cfg.ResendInterval = time.Minute
	}
	if cfg.Expire < 0 {
		return nil, fmt.Errorf("alertmanager: Config.Expire %s is negative", cfg.Expire)
	}
	if cfg.Expire > 0 && cfg.Expire <= cfg.ResendInterval {
		return nil, fmt.Errorf("alertmanager: Config.Expire %s must exceed ResendInterval %s, or alerts would resolve between re-sends", cfg.Expire, cfg.ResendInterval)
	}
	if cfg.MessageLimit <= 0 {
		cfg.MessageLimit = 2048
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 64
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = 200 * time.Millisecond
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	h := &Hook{cfg: cfg, firing: map[string]*alert{}, stop: make(chan struct{}), done: make(chan struct{})}
	h.endpoint = strings.TrimSuffix(u.String(), "/") + "/api/v2/alerts"
	h.shown = redact.URL(h.endpoint, true)

	used := map[string]bool{}
	for _, l := range builtin {
		used[l] = true
	}
	for _, k := range cfg.DataLabels {
		if redact.IsSecretName(k) {
			return nil, fmt.Errorf("alertmanager: Config.DataLabels: %q names a secret; it may not become a label", k)
		}
		l := toLabelName(k)
		if used[l] {
			return nil, fmt.Errorf("alertmanager: Config.DataLabels: %q gives label %q, which is already used", k, l)
		}
		used[l] = true
		h.dataLabels = append(h.dataLabels, dataLabel{key: k, label: l})
	}
	for k, v := range cfg.Labels {
		if !labelName.MatchString(k) {
			return nil, fmt.Errorf("alertmanager: Config.Labels: %q is not a valid label name", k)
		}
		if used[k] {
			return nil, fmt.Errorf("alertmanager: Config.Labels: %q would override a label the hook sets", k)
		}
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("alertmanager: Config.Labels[%q]: value is not valid UTF-8", k)
		}
	}
	for k := range cfg.Annotations {
		if !labelName.MatchString(k) {
			return nil, fmt.Errorf("alertmanager: Config.Annotations: %q is not a valid annotation name", k)
		}
	}
	if cfg.IgnoreClasses == nil {
		cfg.IgnoreClasses = []tasks.Class{tasks.ClassCanceled, tasks.ClassNotRun}
	}
	h.ignore = map[tasks.Class]bool{}
	for _, c := range cfg.IgnoreClasses {
		h.ignore[c] = true
	}
	h.cfg = cfg
	h.q = queue.New(queue.Config{
		Name:      "alertmanager",
		Size:      cfg.QueueSize,
		Workers:   cfg.Workers,
		BatchSize: cfg.BatchSize,
		BatchWait: cfg.BatchWait,
		Timeout:   cfg.Timeout,
		RetryFor:  cfg.RetryFor,
		Logger:    cfg.Logger.With().Str("url", h.shown).Logger(),
		Sleep:     cfg.sleep,
		Now:       cfg.now,
	}, h.post, queue.Options[alert]{Key: func(a alert) string { return a.key }})
	go h.resendLoop()
	return h, nil
}

// toLabelName turns a data key into a valid label name.
func toLabelName(k string) string {
	var b strings.Builder
	for i, r := range k {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// post sends one batch.
func (h *Hook) post(ctx context.Context, batch []alert) error {
	body, err := json.Marshal(batch)
	if err != nil {
		return retry.Permanent(fmt.Errorf("alertmanager: encoding %d alerts: %w", len(batch), err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint, bytes.NewReader(body))
	if err != nil {
		return retry.Permanent(err)
	}
	for k, v := range h.cfg.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "norn-alertmanager-hook")
	return queue.Do(h.cfg.Client, req, h.shown)
}

func alertKey(task, host string) string { return task + "\x00" + host }

func hostName(e *hooks.Event) string {
	switch {
	case e.Host != nil:
		return e.Host.Name
	case e.Result != nil:
		return e.Result.Host
	}
	return ""
}

func taskName(e *hooks.Event) string {
	switch {
	case e.Task != "":
		return e.Task
	case e.Result != nil:
		return e.Result.Task
	case e.Run != nil:
		return e.Run.Task
	}
	return ""
}

func (h *Hook) eventTime(e *hooks.Event) time.Time {
	if !e.Time.IsZero() {
		return e.Time
	}
	return h.cfg.now()
}

// labels builds an alert's labels for a host.
func (h *Hook) labels(host *inventory.Host, hostname, task string, r *redact.Redactor) map[string]string {
	l := make(map[string]string, len(builtin)+len(h.dataLabels)+len(h.cfg.Labels))
	maps.Copy(l, h.cfg.Labels)
	l["alertname"] = h.cfg.AlertName
	l["host"] = hostname
	if task != "" {
		l["task"] = task
	}
	if host != nil {
		if p := host.Platform(); p != "" {
			l["platform"] = p
		}
		for _, d := range h.dataLabels {
			v, ok := host.Get(d.key)
			if !ok || v == nil {
				continue
			}
			s := strings.ToValidUTF8(r.String(fmt.Sprint(v)), "\uFFFD")
			if s != "" {
				l[d.label] = s
			}
		}
	}
	return l
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// TaskFailed raises (or refreshes) the alert of the event's host and task. It never blocks.
func (h *Hook) TaskFailed(_ context.Context, e *hooks.Event) {
	var err error
	attempts := 0
	var dur time.Duration
	if e.Result != nil {
		err, attempts, dur = e.Result.Err, e.Result.Attempts, e.Result.Duration
		if e.Result.Status == tasks.StatusNotRun {
			return
		}
	}
	if err == nil {
		err = e.Err
	}
	class := tasks.Classify(err)
	if class == tasks.ClassNone {
		class = tasks.ClassTask
	}
	if h.ignore[class] {
		return
	}
	host, task := hostName(e), taskName(e)
	r := redact.Host(e.Host)
	msg := "task failed"
	if err != nil {
		msg = truncate(strings.ToValidUTF8(r.String(err.Error()), "\uFFFD"), h.cfg.MessageLimit)
	}
	now := h.eventTime(e)
	ann := make(map[string]string, 6+len(h.cfg.Annotations))
	maps.Copy(ann, h.cfg.Annotations)
	ann["summary"] = fmt.Sprintf("norn task %s failed on %s (%s)", task, host, class)
	ann["description"] = msg
	ann["error_class"] = string(class)
	if attempts > 0 {
		ann["attempts"] = strconv.Itoa(attempts)
	}
	if dur > 0 {
		ann["duration"] = dur.Round(time.Millisecond).String()
	}
	if e.Run != nil && e.Run.ID != "" {
		ann["run_id"] = e.Run.ID
	}
	a := &alert{
		Labels:       h.labels(e.Host, host, task, r),
		Annotations:  ann,
		GeneratorURL: h.cfg.GeneratorURL,
		key:          alertKey(task, host),
		started:      now,
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.firing[a.key]; ok && old.started.Before(now) {
		a.started = old.started
	}
	a.StartsAt = formatTime(a.started)
	if h.cfg.Expire > 0 {
		a.EndsAt = formatTime(h.cfg.now().Add(h.cfg.Expire))
	}
	h.firing[a.key] = a
	h.q.Enqueue(*a)
}

// TaskOK resolves the alert of the event's host and task (see Config.ResolveOnlyFired). It
// never blocks.
func (h *Hook) TaskOK(_ context.Context, e *hooks.Event) {
	host, task := hostName(e), taskName(e)
	key := alertKey(task, host)
	now := h.eventTime(e)
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.firing[key]
	delete(h.firing, key)
	if !ok && h.cfg.ResolveOnlyFired {
		return
	}
	a := alert{key: key, GeneratorURL: h.cfg.GeneratorURL, EndsAt: formatTime(now)}
	if ok {
		a.Labels, a.Annotations = old.Labels, old.Annotations
		a.StartsAt = old.StartsAt
		if !old.started.Before(now) {
			a.StartsAt = a.EndsAt
		}
	} else {
		a.Labels = h.labels(e.Host, host, task, redact.Host(e.Host))
		a.Annotations = map[string]string{"summary": fmt.Sprintf("norn task %s succeeded on %s", task, host)}
		a.StartsAt = a.EndsAt
	}
	h.q.Enqueue(a)
}

// RunEnd posts what is queued, within ctx's deadline; alerts left undelivered are logged and
// stay queued.
func (h *Hook) RunEnd(ctx context.Context, _ *hooks.RunEvent) {
	_ = h.Flush(ctx)
}

// Flush waits until every queued alert has been posted or given up, or ctx is done.
func (h *Hook) Flush(ctx context.Context) error { return h.q.Flush(ctx) }

// resendLoop re-sends firing alerts every ResendInterval.
func (h *Hook) resendLoop() {
	defer close(h.done)
	t := time.NewTicker(h.cfg.ResendInterval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.resend()
		}
	}
}

// resend queues every firing alert again.
func (h *Hook) resend() {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := slices.Sorted(maps.Keys(h.firing))
	for _, k := range keys {
		a := h.firing[k]
		if h.cfg.Expire > 0 {
			a.EndsAt = formatTime(h.cfg.now().Add(h.cfg.Expire))
		}
		h.q.Enqueue(*a)
	}
}

// Stats returns the hook's delivery counters.
func (h *Hook) Stats() Stats {
	s := h.q.Stats()
	h.mu.Lock()
	firing := len(h.firing)
	h.mu.Unlock()
	return Stats{Queued: s.Queued, Sent: s.Sent, Dropped: s.Dropped, Failed: s.Failed, Retries: s.Retries, Firing: firing}
}

// Close stops re-sending, posts what is queued until ctx is done, then stops the workers.
// Alerts still firing stay firing in Alertmanager until their endsAt (Config.Expire) or its
// resolve_timeout. It returns an error when alerts were left undelivered.
func (h *Hook) Close(ctx context.Context) error {
	h.once.Do(func() { close(h.stop) })
	<-h.done
	err := h.q.Close(ctx)
	if errors.Is(err, queue.ErrClosed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("alertmanager %s: %w", h.shown, err)
	}
	return nil
}

// Interface guards.
var (
	_ hooks.TaskFailedHook = (*Hook)(nil)
	_ hooks.TaskOKHook     = (*Hook)(nil)
	_ hooks.RunEndHook     = (*Hook)(nil)
)
