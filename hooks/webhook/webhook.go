package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/internal/queue"
	"github.com/gonorn/norn/internal/retry"
	"github.com/gonorn/norn/redact"
	"github.com/gonorn/norn/tasks"
)

// Format is the shape of the messages posted.
type Format string

const (
	// FormatJSON posts generic JSON events in the Standard Webhooks payload shape
	// {"type": ..., "timestamp": ..., "data": {...}}: "task.failed" per failed host,
	// "run.completed" at the end of each run and "run.failed" when a run could not start
	// (SetupFailed).
	FormatJSON Format = "json"
	// FormatSlack posts a Slack incoming-webhook message (text and blocks) at the end of each
	// run: the counts, the error classes and the failed hosts.
	FormatSlack Format = "slack"
)

// Event types of FormatJSON.
const (
	// TypeTaskFailed is the event of a failed host.
	TypeTaskFailed = "task.failed"
	// TypeRunCompleted is a run's summary.
	TypeRunCompleted = "run.completed"
	// TypeRunFailed is the event of a run that could not start: data {task, stage, error}.
	TypeRunFailed = "run.failed"
)

// Config configures a Hook. Zero fields take the documented defaults; New validates it.
type Config struct {
	// URL is the endpoint posted to. Required. Its path and query are never logged (Slack's
	// URLs carry their token there).
	URL string
	// Format is FormatJSON (default) or FormatSlack.
	Format Format
	// Secret signs each request per Standard Webhooks: "whsec_" followed by the base64 of a
	// 24 to 64 byte key (NewSecret makes one). Default empty: requests are not signed.
	Secret string
	// SummaryOnly sends the run summary only, no event per failed host (FormatJSON; the Slack
	// format always sends the summary only). Default false.
	SummaryOnly bool
	// OnlyFailures skips the run summary of runs in which no host failed. Default false.
	OnlyFailures bool
	// DataFields are host data keys (Host.Get) copied into each failed host's "data" object
	// (FormatJSON), e.g. "site", "role". Keys naming a secret are refused. Default none.
	DataFields []string
	// IgnoreClasses are error classes that send no "task.failed" event (the summary still counts
	// them). Default (nil): tasks.ClassCanceled and tasks.ClassNotRun. An empty, non-nil slice
	// ignores none.
	IgnoreClasses []tasks.Class
	// MaxHosts caps the failed hosts listed in a run summary; the rest are counted.
	// Default 50 for FormatJSON, 20 for FormatSlack.
	MaxHosts int
	// MessageLimit caps each error message, in bytes. Default 1024 for FormatJSON, 200 for
	// FormatSlack.
	MessageLimit int
	// QueueSize is how many messages may wait for delivery; more are dropped and counted.
	// Default 1024.
	QueueSize int
	// Workers is how many posts run at once. Default 2.
	Workers int
	// Timeout bounds one post. Default 10s.
	Timeout time.Duration
	// RetryFor bounds the retries of one message (network errors, 5xx, 429; never other 4xx).
	// Default 1m; negative: no retries.
	RetryFor time.Duration
	// Header is added to every request (an Authorization header, ...). Never logged.
	Header http.Header
	// Client sends the requests. Default: a client with the default transport.
	Client *http.Client
	// Logger receives delivery failures, drops and undelivered counts. Default: no logging.
	Logger zerolog.Logger

	now   func() time.Time                                 // tests
	sleep func(ctx context.Context, d time.Duration) error // tests
}

// Stats are a Hook's delivery counters, in messages.
type Stats struct {
	// Queued is how many messages wait or are being posted.
	Queued int
	// Sent is how many messages the receiver accepted (2xx).
	Sent uint64
	// Dropped is how many messages were refused because the queue was full (or closed).
	Dropped uint64
	// Failed is how many messages were given up (4xx answer, retries exhausted, closed).
	Failed uint64
	// Retries is how many posts were retried.
	Retries uint64
}

// Hook posts webhook messages. It implements hooks.TaskFailedHook and hooks.RunEndHook.
// Create it with New; Close it when the program ends.
type Hook struct {
	hooks.HookDefaults
	cfg    Config
	key    []byte // signing key; nil: unsigned
	shown  string
	ignore map[tasks.Class]bool
	q      *queue.Queue[message]

	mu   sync.Mutex
	runs map[string]*runFailures
}

// message is one queued post.
type message struct {
	id   string
	typ  string
	body []byte
}

// NewSecret returns a new random Standard Webhooks secret: "whsec_" and the base64 of 32 bytes.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// parseSecret decodes a "whsec_<base64>" secret.
func parseSecret(s string) ([]byte, error) {
	raw := strings.TrimPrefix(s, "whsec_")
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, errors.New("webhook: Config.Secret: want whsec_ followed by base64 (see NewSecret)")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("webhook: Config.Secret: key is %d bytes; Standard Webhooks wants 24 to 64", len(key))
	}
	return key, nil
}

// New validates cfg and starts the hook's delivery workers.
func New(cfg Config) (*Hook, error) {
	if cfg.URL == "" {
		return nil, errors.New("webhook: Config.URL is required")
	}
	shown := redact.URL(cfg.URL, false)
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: Config.URL %s: want http(s)://host/path", shown)
	}
	switch cfg.Format {
	case "":
		cfg.Format = FormatJSON
	case FormatJSON, FormatSlack:
	default:
		return nil, fmt.Errorf("webhook: Config.Format %q: want %q or %q", cfg.Format, FormatJSON, FormatSlack)
	}
	h := &Hook{shown: shown, runs: map[string]*runFailures{}}
	if cfg.Secret != "" {
		if h.key, err = parseSecret(cfg.Secret); err != nil {
			return nil, err
		}
	}
	for _, k := range cfg.DataFields {
		if redact.IsSecretName(k) {
			return nil, fmt.Errorf("webhook: Config.DataFields: %q names a secret; it may not be sent", k)
		}
	}
	if cfg.MaxHosts <= 0 {
		cfg.MaxHosts = 50
		if cfg.Format == FormatSlack {
			cfg.MaxHosts = 20
		}
	}
	if cfg.MessageLimit <= 0 {
		cfg.MessageLimit = 1024
		if cfg.Format == FormatSlack {
			cfg.MessageLimit = 200
		}
	}
	if cfg.IgnoreClasses == nil {
		cfg.IgnoreClasses = []tasks.Class{tasks.ClassCanceled, tasks.ClassNotRun}
	}
	h.ignore = map[tasks.Class]bool{}
	for _, c := range cfg.IgnoreClasses {
		h.ignore[c] = true
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	h.cfg = cfg
	name := "webhook"
	if cfg.Format == FormatSlack {
		name = "slack"
	}
	h.q = queue.New(queue.Config{
		Name:     name,
		Size:     cfg.QueueSize,
		Workers:  cfg.Workers,
		Timeout:  cfg.Timeout,
		RetryFor: cfg.RetryFor,
		Logger:   cfg.Logger.With().Str("url", shown).Str("format", string(cfg.Format)).Logger(),
		Sleep:    cfg.sleep,
		Now:      cfg.now,
	}, h.post, queue.Options[message]{})
	return h, nil
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

// sign returns the webhook-signature header value for a message.
func sign(key []byte, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// post makes one delivery attempt of one message.
func (h *Hook) post(ctx context.Context, batch []message) error {
	m := batch[0]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(m.body))
	if err != nil {
		return retry.Permanent(fmt.Errorf("POST %s: %w", h.shown, err))
	}
	for k, v := range h.cfg.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "norn-webhook")
	if h.key != nil {
		ts := strconv.FormatInt(h.cfg.now().Unix(), 10)
		req.Header.Set("webhook-id", m.id)
		req.Header.Set("webhook-timestamp", ts)
		req.Header.Set("webhook-signature", sign(h.key, m.id, ts, m.body))
	}
	if err := queue.Do(h.cfg.Client, req, h.shown); err != nil {
		return fmt.Errorf("%s %s: %w", m.typ, m.id, err)
	}
	return nil
}

func (h *Hook) enqueue(typ string, body []byte) {
	h.q.Enqueue(message{id: newID(), typ: typ, body: body})
}

// failedHost is one failed host as listed in a summary.
type failedHost struct {
	Host       string `json:"host"`
	ErrorClass string `json:"error_class"`
	Error      string `json:"error"`
}

// runFailures collects a run's failed hosts for its summary.
type runFailures struct {
	hosts   []failedHost
	total   int
	classes map[string]int
}

// runKey keys a run's failures by its ID ("" for events without a run).
func runKey(r *hooks.Run) string {
	if r == nil {
		return ""
	}
	return r.ID
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len("…"), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (h *Hook) eventTime(t time.Time) time.Time {
	if t.IsZero() {
		return h.cfg.now()
	}
	return t
}

// TaskFailed queues a "task.failed" event (FormatJSON) and records the host for the run's
// summary. It never blocks.
func (h *Hook) TaskFailed(_ context.Context, e *hooks.Event) {
	var err error
	f := failedEvent{Attempts: 0}
	if e.Result != nil {
		err = e.Result.Err
		f.Attempts = e.Result.Attempts
		f.DurationMS = float64(e.Result.Duration) / float64(time.Millisecond)
		f.Host, f.Task = e.Result.Host, e.Result.Task
	}
	if err == nil {
		err = e.Err
	}
	if e.Host != nil {
		f.Host = e.Host.Name
		f.Platform = e.Host.Platform()
	}
	if e.Task != "" {
		f.Task = e.Task
	}
	if e.Run != nil {
		f.RunID = e.Run.ID
		if f.Task == "" {
			f.Task = e.Run.Task
		}
	}
	class := tasks.Classify(err)
	if class == tasks.ClassNone {
		class = tasks.ClassTask
	}
	f.ErrorClass = string(class)
	r := redact.Host(e.Host)
	f.Error = "task failed"
	if err != nil {
		f.Error = truncate(strings.ToValidUTF8(r.String(err.Error()), "\uFFFD"), h.cfg.MessageLimit)
	}
	if e.Host != nil && len(h.cfg.DataFields) > 0 {
		f.Data = map[string]string{}
		for _, k := range h.cfg.DataFields {
			if v, ok := e.Host.Get(k); ok && v != nil {
				f.Data[k] = strings.ToValidUTF8(r.String(fmt.Sprint(v)), "\uFFFD")
			}
		}
	}

	h.mu.Lock()
	rf := h.runs[runKey(e.Run)]
	if rf == nil {
		rf = &runFailures{classes: map[string]int{}}
		h.runs[runKey(e.Run)] = rf
	}
	rf.total++
	rf.classes[f.ErrorClass]++
	if len(rf.hosts) < h.cfg.MaxHosts {
		rf.hosts = append(rf.hosts, failedHost{Host: f.Host, ErrorClass: f.ErrorClass, Error: f.Error})
	}
	h.mu.Unlock()

	if h.cfg.Format != FormatJSON || h.cfg.SummaryOnly || h.ignore[class] {
		return
	}
	body, jerr := encodeEvent(TypeTaskFailed, h.eventTime(e.Time), f)
	if jerr != nil {
		h.cfg.Logger.Error().Err(jerr).Str("host", f.Host).Msg("webhook: cannot encode task.failed event")
		return
	}
	h.enqueue(TypeTaskFailed, body)
}

// RunEnd queues the run's summary (unless OnlyFailures and none failed) and flushes the queue
// within ctx's deadline; messages left undelivered are logged and stay queued.
func (h *Hook) RunEnd(ctx context.Context, e *hooks.RunEvent) {
	h.mu.Lock()
	rf := h.runs[runKey(e.Run)]
	delete(h.runs, runKey(e.Run))
	h.mu.Unlock()
	if rf == nil {
		rf = &runFailures{classes: map[string]int{}}
	}
	if !(h.cfg.OnlyFailures && e.Summary.Failed == 0 && rf.total == 0) {
		var body []byte
		var err error
		if h.cfg.Format == FormatSlack {
			body, err = slackMessage(e, rf)
		} else {
			body, err = encodeEvent(TypeRunCompleted, h.eventTime(e.Time), summaryData(e, rf))
		}
		if err != nil {
			h.cfg.Logger.Error().Err(err).Msg("webhook: cannot encode run summary")
		} else {
			h.enqueue(TypeRunCompleted, body)
		}
	}
	_ = h.Flush(ctx)
}

// SetupFailed posts a "run.failed" event (Slack: a message) saying that a run of task could not
// start at stage ("inventory", "repository", ...) and why (secrets redacted), then flushes
// within ctx's deadline. No host was attempted, so no other event tells it.
func (h *Hook) SetupFailed(ctx context.Context, task, stage string, err error) {
	msg := "setup failed"
	if err != nil {
		msg = truncate(strings.ToValidUTF8(redact.Host(nil).String(err.Error()), "\uFFFD"), h.cfg.MessageLimit)
	}
	at := h.eventTime(time.Time{})
	var body []byte
	var jerr error
	if h.cfg.Format == FormatSlack {
		text := fmt.Sprintf("norn %s could not start (%s): %s", task, stage, msg)
		body, jerr = json.Marshal(slackPayload{Text: text, Blocks: []slackBlock{{Type: "section",
			Text: &slackText{Type: "mrkdwn", Text: ":rotating_light: " + slackEscape(truncate(text, slackSectionLimit-100))}}}})
	} else {
		body, jerr = encodeEvent(TypeRunFailed, at, runFailed{Task: task, Stage: stage, Error: msg})
	}
	if jerr != nil {
		h.cfg.Logger.Error().Err(jerr).Msg("webhook: cannot encode run failure")
		return
	}
	h.enqueue(TypeRunFailed, body)
	_ = h.Flush(ctx)
}

// Flush waits until every queued message has been posted or given up, or ctx is done.
func (h *Hook) Flush(ctx context.Context) error { return h.q.Flush(ctx) }

// Stats returns the hook's delivery counters.
func (h *Hook) Stats() Stats {
	s := h.q.Stats()
	return Stats{Queued: s.Queued, Sent: s.Sent, Dropped: s.Dropped, Failed: s.Failed, Retries: s.Retries}
}

// Close posts what is queued until ctx is done, then stops the workers. It returns an error
// when messages were left undelivered.
func (h *Hook) Close(ctx context.Context) error {
	err := h.q.Close(ctx)
	if errors.Is(err, queue.ErrClosed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("webhook %s: %w", h.shown, err)
	}
	return nil
}

// Interface guards.
var (
	_ hooks.TaskFailedHook = (*Hook)(nil)
	_ hooks.RunEndHook     = (*Hook)(nil)
)
