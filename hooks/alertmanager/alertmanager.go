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
	"github.com/gonorn/norn/internal/retry"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/redact"
	"github.com/gonorn/norn/tasks"
)

// DefaultAlertName is the alertname label of the alerts, unless Config.AlertName is set.
const DefaultAlertName = "NornTaskFailed"

// DefaultSetupAlertName is the alertname label of the run-level alert SetupFailed raises,
// unless Config.SetupAlertName is set.
const DefaultSetupAlertName = "NornSetupFailed"

// ClassSetup is the error_class label of the alert SetupFailed raises.
const ClassSetup tasks.Class = "setup"

// Failure is what an earlier process may have left firing for a host (see Config.MayBeFiring):
// its alert's error class and, for tasks.ClassBreakerOpen, the class of the failures that
// opened the breaker.
type Failure struct {
	// Class is the error_class of the host's last failure.
	Class tasks.Class
	// BreakerCause is the breaker_cause of a ClassBreakerOpen failure (e.g. "authentication").
	BreakerCause tasks.Class
}

// Config configures a Hook. Zero fields take the documented defaults; New validates it.
type Config struct {
	// URL is Alertmanager's base URL, e.g. "http://alertmanager:9093" (a path prefix such as
	// "/alertmanager" is kept; "/api/v2/alerts" is appended). Required. For an Alertmanager
	// cluster, give one Hook per instance, as Prometheus sends to each.
	URL string
	// AlertName is the alertname label. Default DefaultAlertName ("NornTaskFailed").
	AlertName string
	// SetupAlertName is the alertname label of the run-level alert raised by SetupFailed.
	// Default DefaultSetupAlertName ("NornSetupFailed").
	SetupAlertName string
	// DataLabels are host data keys (looked up with Host.Get, through groups and defaults) added
	// as labels, e.g. "site", "role", "tenant". A key with characters a label name cannot hold
	// is turned into one ("site.name" -> "site_name"). Keys naming a secret are refused.
	// A host without the key gets no such label. Default none.
	DataLabels []string
	// Labels are added to every alert, e.g. {"team": "netops"}. They may not override
	// alertname, host, task, platform, error_class, breaker_cause or a data label. A "severity"
	// here replaces the default of the host alerts ("warning"); the setup alert is "critical".
	// Default none.
	Labels map[string]string
	// Annotations are added to every alert. Default none.
	Annotations map[string]string
	// RunbookURL is the alerts' runbook_url annotation (what to do about a failed backup).
	// Default none.
	RunbookURL string
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
	// an hourly backup; norn backup uses twice -stale), so the alert of a host that keeps failing
	// stays firing from one run to the next until the host succeeds. Must exceed
	// ResendInterval. Default 0: endsAt is not sent (Alertmanager resolves the alert
	// resolve_timeout, 5m by default, after the process stops re-sending it).
	Expire time.Duration
	// MayBeFiring reports whether an earlier process (the previous cron run) may have left the
	// host's alert firing, and with which error class: for a backup, whether the host's last
	// attempt failed, from the store's status. A host that succeeds is resolved only when this
	// Hook raised its alert or MayBeFiring says so, so a run over 10,000 healthy hosts posts no
	// resolve; a host that fails with another class than before also resolves the earlier alert
	// (error_class is a label: a new class is a new alert). It is called from the runner's
	// workers and must be safe for concurrent use. Default nil: only the alerts this Hook raised
	// are resolved.
	MayBeFiring func(host string) (Failure, bool)
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
// hooks.TaskOKHook, hooks.RunStartHook, hooks.RunEndHook and hooks.BreakerHook. Create it with New; Close it when the program ends.
type Hook struct {
	hooks.HookDefaults
	cfg        Config
	endpoint   string
	shown      string
	dataLabels []dataLabel
	ignore     map[tasks.Class]bool
	q          *queue.Queue[alert]

	mu       sync.Mutex
	firing   map[string]*alert
	earlier  map[string]bool        // keys whose earlier-run alert was dealt with
	breakers map[string]tasks.Class // breaker name -> class of the failure that opened it

	lostMu sync.Mutex        // not mu: the queue reports drops from Enqueue, called with mu held
	lost   map[string]string // host -> why its last undelivered alert was lost

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
	host    string
	started time.Time
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// builtin labels the hook sets.
var builtin = []string{"alertname", "host", "task", "platform", "error_class", "breaker_cause"}

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
	if cfg.SetupAlertName == "" {
		cfg.SetupAlertName = DefaultSetupAlertName
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
	h := &Hook{cfg: cfg, firing: map[string]*alert{}, earlier: map[string]bool{}, breakers: map[string]tasks.Class{},
		lost: map[string]string{}, stop: make(chan struct{}), done: make(chan struct{})}
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
	}, h.post, queue.Options[alert]{Key: func(a alert) string { return a.key }, Lost: h.recordLost})
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

// labels builds the labels of a host's alert for failure f.
func (h *Hook) labels(host *inventory.Host, hostname, task string, f Failure, r *redact.Redactor) map[string]string {
	l := make(map[string]string, len(builtin)+len(h.dataLabels)+len(h.cfg.Labels)+1)
	l["severity"] = "warning"
	maps.Copy(l, h.cfg.Labels)
	l["alertname"] = h.cfg.AlertName
	l["host"] = hostname
	if task != "" {
		l["task"] = task
	}
	l["error_class"] = string(f.Class)
	if f.Class == tasks.ClassBreakerOpen && f.BreakerCause != "" {
		l["breaker_cause"] = string(f.BreakerCause)
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
		msg = truncate(strings.ToValidUTF8(r.String(describe(err.Error(), host)), "\uFFFD"), h.cfg.MessageLimit)
	}
	now := h.eventTime(e)
	f := Failure{Class: class}
	if class == tasks.ClassBreakerOpen {
		f.BreakerCause = h.breakerCause(err)
	}
	ann := h.annotations(len(h.cfg.Annotations) + 6)
	ann["summary"] = fmt.Sprintf("norn task %s failed on %s (%s)", task, host, class)
	ann["description"] = msg
	if attempts > 0 {
		ann["attempts"] = strconv.Itoa(attempts)
	}
	if dur > 0 {
		ann["duration"] = dur.Round(time.Millisecond).String()
	}
	if e.Run != nil && e.Run.ID != "" {
		ann["run_id"] = e.Run.ID
	}
	key := alertKey(task, host)
	a := &alert{
		Labels:       h.labels(e.Host, host, task, f, r),
		Annotations:  ann,
		GeneratorURL: h.cfg.GeneratorURL,
		key:          key,
		host:         host,
		started:      now,
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.firing[key]
	if ok && old.started.Before(now) && maps.Equal(old.Labels, a.Labels) {
		a.started = old.started
	}
	if ok && !maps.Equal(old.Labels, a.Labels) {
		h.enqueueResolve(old, now) // another class: that alert ends, this one starts
	}
	if prev, ok := h.earlierAlert(e.Host, host, task, key, r); ok && !maps.Equal(prev.Labels, a.Labels) {
		h.enqueueResolve(prev, now)
	}
	a.StartsAt = formatTime(a.started)
	if h.cfg.Expire > 0 {
		a.EndsAt = formatTime(h.cfg.now().Add(h.cfg.Expire))
	}
	h.firing[key] = a
	h.q.Enqueue(*a)
}

// annotations returns a new annotation map holding Config.Annotations and RunbookURL.
func (h *Hook) annotations(size int) map[string]string {
	ann := make(map[string]string, size)
	maps.Copy(ann, h.cfg.Annotations)
	if h.cfg.RunbookURL != "" {
		ann["runbook_url"] = h.cfg.RunbookURL
	}
	return ann
}

// earlierAlert returns, once per key, the alert an earlier process may have left firing for the
// host (Config.MayBeFiring). h.mu is held.
func (h *Hook) earlierAlert(ih *inventory.Host, host, task, key string, r *redact.Redactor) (*alert, bool) {
	if h.cfg.MayBeFiring == nil || h.earlier[key] {
		return nil, false
	}
	h.earlier[key] = true
	f, ok := h.cfg.MayBeFiring(host)
	if !ok || f.Class == "" || h.ignore[f.Class] {
		return nil, false
	}
	return &alert{Labels: h.labels(ih, host, task, f, r), key: key, host: host}, true
}

// enqueueResolve queues the resolve of a (its labels, ended at now). h.mu is held.
func (h *Hook) enqueueResolve(a *alert, now time.Time) {
	res := alert{Labels: a.Labels, Annotations: a.Annotations, GeneratorURL: h.cfg.GeneratorURL,
		EndsAt: formatTime(now), key: a.key, host: a.host}
	res.StartsAt = res.EndsAt
	if !a.started.IsZero() && a.started.Before(now) {
		res.StartsAt = formatTime(a.started)
	}
	h.q.Enqueue(res)
}

// describe removes from an error message what the alert's labels already say: the host's name
// and address ("host r1 (10.0.0.1:22): ", a leading "r1: ").
func describe(msg, host string) string {
	if host == "" {
		return msg
	}
	s := strings.TrimPrefix(msg, host+": ")
	needle := "host " + host
	var b strings.Builder
	for {
		i := strings.Index(s, needle)
		if i < 0 {
			b.WriteString(s)
			break
		}
		after := s[i+len(needle):]
		rest, ok := "", false
		if i == 0 || !isWordByte(s[i-1]) {
			rest, ok = cutDelim(after)
			if strings.HasPrefix(after, " (") {
				if j := strings.IndexByte(after, ')'); j > 0 && !strings.ContainsAny(after[2:j], "()") {
					if r, ok2 := cutDelim(after[j+1:]); ok2 {
						rest, ok = r, true
					}
				}
			}
		}
		if !ok { // another host whose name starts with this one's, or a word ending in "host"
			b.WriteString(s[:i+len(needle)])
			s = after
			continue
		}
		b.WriteString(s[:i])
		s = rest
	}
	if out := strings.TrimSpace(b.String()); out != "" {
		return out
	}
	return msg
}

// cutDelim removes what ends a host mention (": ", " " or the end of the message).
func cutDelim(s string) (string, bool) {
	switch {
	case strings.HasPrefix(s, ": "):
		return s[2:], true
	case s == "" || s[0] == ' ':
		return strings.TrimPrefix(s, " "), true
	}
	return "", false
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// breakerCause returns the class of the failures that opened the breaker err names (learnt from
// BreakerStateChange), or "" when not known.
func (h *Hook) breakerCause(err error) tasks.Class {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.breakers) == 1 {
		for _, c := range h.breakers {
			return c
		}
	}
	msg := err.Error()
	for name, c := range h.breakers {
		if strings.Contains(msg, strconv.Quote(name)) {
			return c
		}
	}
	return ""
}

// BreakerStateChange remembers why a breaker opened, for the breaker_cause label of the
// alerts of the hosts it then skips.
func (h *Hook) BreakerStateChange(_ context.Context, e *hooks.BreakerEvent) {
	if e.To != "open" || e.Err == nil {
		return
	}
	c := tasks.Classify(e.Err)
	if c == tasks.ClassNone {
		c = tasks.ClassTask
	}
	h.mu.Lock()
	h.breakers[e.Name] = c
	h.mu.Unlock()
}

// TaskOK resolves the alert of the event's host and task when this Hook raised it or an earlier
// process may have (Config.MayBeFiring). It never blocks.
func (h *Hook) TaskOK(_ context.Context, e *hooks.Event) {
	host, task := hostName(e), taskName(e)
	key := alertKey(task, host)
	now := h.eventTime(e)
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.firing[key]; ok {
		delete(h.firing, key)
		h.enqueueResolve(old, now)
	}
	if prev, ok := h.earlierAlert(e.Host, host, task, key, redact.Host(e.Host)); ok {
		prev.Annotations = map[string]string{"summary": fmt.Sprintf("norn task %s succeeded on %s", task, host)}
		h.enqueueResolve(prev, now)
	}
}

// SetupFailed raises the run-level alert of task (alertname Config.SetupAlertName, error_class
// "setup", severity "critical", and the stage that failed as an annotation, e.g. "inventory",
// "repository"): the run could not start (inventory not loaded, NetBox refused the token, the
// backup repository unusable), so no host alert can say it. It stays firing like a host's
// (Config.Expire) until a run of task starts (RunStart resolves it). It never blocks.
func (h *Hook) SetupFailed(_ context.Context, task, stage string, err error) {
	msg := "setup failed"
	if err != nil {
		msg = truncate(strings.ToValidUTF8(redact.Host(nil).String(err.Error()), "\uFFFD"), h.cfg.MessageLimit)
	}
	now := h.cfg.now()
	a := &alert{
		Labels:       h.setupLabels(task),
		Annotations:  h.annotations(len(h.cfg.Annotations) + 4),
		GeneratorURL: h.cfg.GeneratorURL,
		key:          alertKey(task, "\x00setup"),
		started:      now,
	}
	a.Annotations["summary"] = fmt.Sprintf("norn task %s could not start: no host was attempted", task)
	a.Annotations["description"] = msg
	if stage != "" {
		a.Annotations["stage"] = stage
	}
	a.StartsAt = formatTime(now)
	if h.cfg.Expire > 0 {
		a.EndsAt = formatTime(now.Add(h.cfg.Expire))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.firing[a.key]; ok {
		a.started, a.StartsAt = old.started, old.StartsAt
	}
	h.firing[a.key] = a
	h.q.Enqueue(*a)
}

func (h *Hook) setupLabels(task string) map[string]string {
	l := make(map[string]string, len(h.cfg.Labels)+4)
	maps.Copy(l, h.cfg.Labels)
	l["alertname"] = h.cfg.SetupAlertName
	l["task"] = task
	l["error_class"] = string(ClassSetup)
	l["severity"] = "critical"
	return l
}

// RunStart resolves the run's task's setup alert (SetupFailed): the run got past its setup.
// One resolve per run, posted whether or not an earlier process raised it.
func (h *Hook) RunStart(_ context.Context, e *hooks.RunEvent) {
	if e.Run == nil {
		return
	}
	now := e.Time
	if now.IsZero() {
		now = h.cfg.now()
	}
	key := alertKey(e.Run.Task, "\x00setup")
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.firing[key]
	delete(h.firing, key)
	if !ok {
		a = &alert{Labels: h.setupLabels(e.Run.Task), key: key}
	}
	h.enqueueResolve(a, now)
}

// recordLost remembers the hosts whose alerts were lost (Undelivered).
func (h *Hook) recordLost(items []alert, why string) {
	h.lostMu.Lock()
	defer h.lostMu.Unlock()
	for _, a := range items {
		name := a.host
		if name == "" {
			name = SetupUndelivered
		}
		h.lost[name] = why
	}
}

// SetupUndelivered stands for the run-level setup alert (or its resolve) in Undelivered.
const SetupUndelivered = "(setup alert)"

// Undelivered returns, sorted, the hosts (and SetupUndelivered for the setup alert) whose alert
// or resolve was dropped (queue full) or given up (Alertmanager down past RetryFor, a refused
// post, still queued at Close). Stats counts them; this names them.
func (h *Hook) Undelivered() []string {
	h.lostMu.Lock()
	defer h.lostMu.Unlock()
	return slices.Sorted(maps.Keys(h.lost))
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
	_ hooks.RunStartHook   = (*Hook)(nil)
	_ hooks.BreakerHook    = (*Hook)(nil)
)
