package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/tasks"
)

// DefaultBuckets returns the task duration histogram's default buckets, in seconds: device
// tasks take from a fraction of a second (a show command) to minutes (a large config over a
// slow link): 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600.
func DefaultBuckets() []float64 {
	return []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
}

// Breaker states as norn_breaker_state values.
const (
	BreakerClosed   = 0
	BreakerHalfOpen = 1
	BreakerOpen     = 2
)

// Config configures a Hook. Zero fields take the documented defaults; New validates it.
type Config struct {
	// Namespace prefixes every metric name. Default "norn".
	Namespace string
	// Buckets are the task duration histogram's upper bounds in seconds. Default DefaultBuckets().
	Buckets []float64
	// Registry receives the metrics. Default: a new registry owned by the Hook (see Registry);
	// never prometheus.DefaultRegisterer.
	Registry *prometheus.Registry
	// HostStates, when set, is the fleet's per-host state across runs (for a backup, the
	// repository's status), exported by a HostCollector at each scrape and push in place of the
	// per-process norn_host_last_success_timestamp_seconds and norn_host_ok gauges: every host
	// then has its series, including hosts that failed or were left out of this run, and a
	// push (PUT) replaces the group with the whole fleet's state, so a -filter run does not
	// wipe the other hosts' series. Default nil: the per-process gauges, fed by this process's
	// events only.
	HostStates func(ctx context.Context) ([]HostState, error)

	// PushURL is a Pushgateway's base URL (e.g. "http://pushgateway:9091"); when set, the
	// registry is pushed at the end of each run. A user:password in it becomes basic auth.
	// Default empty: no push (serve Handler instead).
	PushURL string
	// PushJob is the job label of the push's grouping key. Default "norn".
	PushJob string
	// PushGrouping adds labels to the push's grouping key, e.g. {"instance": "backup-cron"}.
	// Programs that push to the same Pushgateway must differ in job or grouping. Default none.
	PushGrouping map[string]string
	// PushAdd pushes with POST, replacing only the pushed metric names in the group. Default
	// false: PUT, replacing the whole group (the usual choice for a batch job).
	PushAdd bool
	// ManualPush leaves pushing to the program (Push), for one that records the run's results in
	// the state HostStates reads after the run ends. Default false: RunEnd pushes.
	ManualPush bool
	// PushTimeout bounds one push. Default 10s.
	PushTimeout time.Duration
	// PushRetryFor bounds the retries of a push (network errors, 5xx, 429; never other 4xx).
	// Default 30s; negative: no retries.
	PushRetryFor time.Duration
	// PushHeader is added to each push request (an Authorization header, ...). Never logged.
	PushHeader http.Header
	// PushClient sends the pushes. Default: a client with the default transport.
	PushClient *http.Client

	// Logger receives push failures. Default: no logging.
	Logger zerolog.Logger

	now   func() time.Time                                 // tests
	sleep func(ctx context.Context, d time.Duration) error // tests
}

// HookStats are the delivery counters of a background hook, exported by ObserveHook.
type HookStats struct {
	// Queued is how many items wait or are being delivered.
	Queued int
	// Sent, Dropped and Failed count delivered, dropped (queue full) and given-up items.
	Sent, Dropped, Failed uint64
}

// Hook records metrics. It implements hooks.TaskOKHook, hooks.TaskFailedHook,
// hooks.TaskRetryHook, hooks.RunStartHook, hooks.RunEndHook and hooks.BreakerHook. Create it
// with New; Close it when the program ends.
type Hook struct {
	hooks.HookDefaults
	cfg Config
	reg *prometheus.Registry

	tasksTotal   *prometheus.CounterVec
	failures     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	retries      *prometheus.CounterVec
	breaker      *prometheus.GaugeVec
	transitions  *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec
	hostOK       *prometheus.GaugeVec
	runDuration  *prometheus.GaugeVec
	runLast      *prometheus.GaugeVec
	runHosts     *prometheus.GaugeVec
	runChanged   *prometheus.GaugeVec
	runsTotal    *prometheus.CounterVec
	setupFailed  *prometheus.GaugeVec
	invFailed    *prometheus.GaugeVec
	hookObserver *hookCollector

	push *pusher // nil without PushURL
}

// New validates cfg, registers the metrics and, with PushURL, starts the push worker.
func New(cfg Config) (*Hook, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = "norn"
	}
	if cfg.Buckets == nil {
		cfg.Buckets = DefaultBuckets()
	}
	for i := 1; i < len(cfg.Buckets); i++ {
		if cfg.Buckets[i] <= cfg.Buckets[i-1] {
			return nil, fmt.Errorf("metrics: Config.Buckets must increase: %v", cfg.Buckets)
		}
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	ns := cfg.Namespace
	h := &Hook{cfg: cfg, reg: cfg.Registry}
	h.tasksTotal = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "tasks_total",
		Help: "Hosts whose task ended, by task and result (ok or failed)."}, []string{"task", "result"})
	h.failures = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "task_failures_total",
		Help: "Hosts whose task failed, by task and error class (timeout, authentication, connection, ...)."},
		[]string{"task", "error_class"})
	h.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "task_duration_seconds",
		Help: "Time a host's task took, retries included, by task and result.", Buckets: cfg.Buckets},
		[]string{"task", "result"})
	h.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "task_retries_total",
		Help: "Task attempts that failed and were retried, by task and error class."}, []string{"task", "error_class"})
	h.breaker = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "breaker_state",
		Help: "Circuit breaker state: 0 closed, 1 half-open, 2 open."}, []string{"breaker"})
	h.transitions = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "breaker_transitions_total",
		Help: "Circuit breaker state changes, by breaker and new state."}, []string{"breaker", "state"})
	h.lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "host_last_success_timestamp_seconds",
		Help: "Unix time of the host's last successful task, by host and task (alert on time() minus it)."},
		[]string{"host", "task"})
	h.hostOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "host_ok",
		Help: "1 when the host's last task of this name succeeded, 0 when it failed."}, []string{"host", "task"})
	h.runDuration = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "run_duration_seconds",
		Help: "Wall time of the last run of the task."}, []string{"task"})
	h.runLast = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "run_last_completion_timestamp_seconds",
		Help: "Unix time the last run of the task ended."}, []string{"task"})
	h.runHosts = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "run_hosts",
		Help: "Hosts of the last run of the task, by result (ok, failed, not_run)."}, []string{"task", "result"})
	h.runChanged = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "run_changed_hosts",
		Help: "Hosts the last run of the task changed."}, []string{"task"})
	h.runsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "runs_total",
		Help: "Runs that ended, by task."}, []string{"task"})
	h.setupFailed = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "run_setup_failed",
		Help: "1 when the last run of the task stopped before any host ran (inventory, NetBox, repository), 0 once a run started."},
		[]string{"task"})
	h.invFailed = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "inventory_load_failed",
		Help: "1 when the last run of the task could not load its inventory (file error, NetBox down or refusing the token)."},
		[]string{"task"})
	h.hookObserver = newHookCollector(ns)
	cs := []prometheus.Collector{h.tasksTotal, h.failures, h.duration, h.retries, h.breaker, h.transitions,
		h.runDuration, h.runLast, h.runHosts, h.runChanged, h.runsTotal, h.setupFailed, h.invFailed, h.hookObserver}
	if cfg.HostStates != nil {
		h.lastSuccess, h.hostOK = nil, nil
		cs = append(cs, NewHostCollector(ns, cfg.HostStates))
	} else {
		cs = append(cs, h.lastSuccess, h.hostOK)
	}
	for _, c := range cs {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: registering: %w (is another metrics.Hook using this Registry and Namespace?)", err)
		}
	}
	if cfg.PushURL != "" {
		p, err := newPusher(cfg, cfg.Registry)
		if err != nil {
			return nil, err
		}
		h.push = p
		h.hookObserver.observe("pushgateway", p.stats)
	}
	return h, nil
}

// Registry returns the registry the metrics are in, to add collectors of your own (for
// example collectors.NewGoCollector()) or to serve it another way.
func (h *Hook) Registry() *prometheus.Registry { return h.reg }

// Handler serves the registry's metrics in the Prometheus exposition formats (promhttp), for a
// long-running program: http.Handle("/metrics", hook.Handler()).
func (h *Hook) Handler() http.Handler {
	return promhttp.HandlerFor(h.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ObserveHook exports a background hook's delivery counters, read at each scrape or push, as
// norn_hook_queued{hook=name}, norn_hook_sent_total, norn_hook_dropped_total and
// norn_hook_failed_total. A second call with the same name replaces the first.
func (h *Hook) ObserveHook(name string, stats func() HookStats) { h.hookObserver.observe(name, stats) }

func eventTask(e *hooks.Event) string {
	switch {
	case e.Task != "":
		return e.Task
	case e.Result != nil && e.Result.Task != "":
		return e.Result.Task
	case e.Run != nil:
		return e.Run.Task
	}
	return ""
}

func eventHost(e *hooks.Event) string {
	switch {
	case e.Host != nil:
		return e.Host.Name
	case e.Result != nil:
		return e.Result.Host
	}
	return ""
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// TaskOK counts a success and stamps the host's last success.
func (h *Hook) TaskOK(_ context.Context, e *hooks.Event) {
	task, host := eventTask(e), eventHost(e)
	h.tasksTotal.WithLabelValues(task, "ok").Inc()
	if e.Result != nil {
		h.duration.WithLabelValues(task, "ok").Observe(e.Result.Duration.Seconds())
	}
	at := e.Time
	if at.IsZero() {
		at = h.cfg.now()
	}
	if h.lastSuccess != nil {
		h.lastSuccess.WithLabelValues(host, task).Set(unixSeconds(at))
		h.hostOK.WithLabelValues(host, task).Set(1)
	}
}

// TaskFailed counts a failure by error class. Hosts that were not run (cancelled runs) are
// not counted: they did not fail.
func (h *Hook) TaskFailed(_ context.Context, e *hooks.Event) {
	var err error
	if e.Result != nil {
		if e.Result.Status == tasks.StatusNotRun {
			return
		}
		err = e.Result.Err
	}
	if err == nil {
		err = e.Err
	}
	class := tasks.Classify(err)
	if class == tasks.ClassNone {
		class = tasks.ClassTask
	}
	task, host := eventTask(e), eventHost(e)
	h.tasksTotal.WithLabelValues(task, "failed").Inc()
	h.failures.WithLabelValues(task, string(class)).Inc()
	if e.Result != nil {
		h.duration.WithLabelValues(task, "failed").Observe(e.Result.Duration.Seconds())
	}
	if h.hostOK != nil {
		h.hostOK.WithLabelValues(host, task).Set(0)
	}
}

// TaskRetry counts a retried attempt.
func (h *Hook) TaskRetry(_ context.Context, e *hooks.Event) {
	class := tasks.Classify(e.Err)
	if class == tasks.ClassNone {
		class = tasks.ClassTask
	}
	h.retries.WithLabelValues(eventTask(e), string(class)).Inc()
}

// BreakerStateChange sets the breaker's state gauge and counts the transition.
func (h *Hook) BreakerStateChange(_ context.Context, e *hooks.BreakerEvent) {
	v := -1.0
	switch e.To {
	case "closed":
		v = BreakerClosed
	case "half-open":
		v = BreakerHalfOpen
	case "open":
		v = BreakerOpen
	}
	h.breaker.WithLabelValues(e.Name).Set(v)
	h.transitions.WithLabelValues(e.Name, e.To).Inc()
}

// RunEnd records the run's duration and counts and, with a PushURL, pushes the registry
// within ctx's deadline (a push still running when it passes goes on in the background).
func (h *Hook) RunEnd(ctx context.Context, e *hooks.RunEvent) {
	task := ""
	if e.Run != nil {
		task = e.Run.Task
	}
	at := e.Time
	if at.IsZero() {
		at = h.cfg.now()
	}
	s := e.Summary
	h.runDuration.WithLabelValues(task).Set(s.Duration.Seconds())
	h.runLast.WithLabelValues(task).Set(unixSeconds(at))
	h.runHosts.WithLabelValues(task, "ok").Set(float64(s.OK))
	h.runHosts.WithLabelValues(task, "failed").Set(float64(s.Failed))
	h.runHosts.WithLabelValues(task, "not_run").Set(float64(s.NotRun))
	h.runChanged.WithLabelValues(task).Set(float64(s.Changed))
	h.runsTotal.WithLabelValues(task).Inc()
	if h.push != nil && !h.cfg.ManualPush {
		_ = h.Push(ctx)
	}
}

// RunStart clears the task's setup failure gauges: the run got past its setup.
func (h *Hook) RunStart(_ context.Context, e *hooks.RunEvent) {
	if e.Run == nil {
		return
	}
	h.setupFailed.WithLabelValues(e.Run.Task).Set(0)
	h.invFailed.WithLabelValues(e.Run.Task).Set(0)
}

// SetupFailed records that a run of task stopped before any host ran, at stage ("inventory"
// also sets norn_inventory_load_failed), and with a PushURL pushes at once within ctx, with
// POST: the setup gauges replace their earlier values in the group while the hosts' series of
// earlier runs stay (a HostStates source that cannot be read yet adds nothing).
func (h *Hook) SetupFailed(ctx context.Context, task, stage string, _ error) {
	h.setupFailed.WithLabelValues(task).Set(1)
	inv := 0.0
	if stage == "inventory" {
		inv = 1
	}
	h.invFailed.WithLabelValues(task).Set(inv)
	if h.push != nil {
		_ = h.push.pushAndWait(ctx, http.MethodPost)
	}
}

// Push queues a push of the registry to the Pushgateway and waits for it until ctx is done.
// Pushes coalesce: one waiting push carries every change made before it starts. It returns
// nil at once without a PushURL.
func (h *Hook) Push(ctx context.Context) error {
	if h.push == nil {
		return nil
	}
	return h.push.pushAndWait(ctx, h.push.method)
}

// Close waits for a push in progress until ctx is done, then stops the push worker.
func (h *Hook) Close(ctx context.Context) error {
	if h.push == nil {
		return nil
	}
	return h.push.close(ctx)
}

// hookCollector exports other hooks' delivery counters.
type hookCollector struct {
	queued, sent, dropped, failed *prometheus.Desc
	mu                            sync.Mutex
	sources                       map[string]func() HookStats
}

func newHookCollector(ns string) *hookCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(ns, "hook", name), help, []string{"hook"}, nil)
	}
	return &hookCollector{
		queued:  d("queued", "Items a background hook holds for delivery."),
		sent:    d("sent_total", "Items a background hook delivered."),
		dropped: d("dropped_total", "Items a background hook dropped because its queue was full."),
		failed:  d("failed_total", "Items a background hook gave up delivering (refused, retries exhausted, closed)."),
		sources: map[string]func() HookStats{},
	}
}

func (c *hookCollector) observe(name string, f func() HookStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f == nil {
		delete(c.sources, name)
		return
	}
	c.sources[name] = f
}

func (c *hookCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queued
	ch <- c.sent
	ch <- c.dropped
	ch <- c.failed
}

func (c *hookCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sources := make(map[string]func() HookStats, len(c.sources))
	for k, v := range c.sources {
		sources[k] = v
	}
	c.mu.Unlock()
	for name, f := range sources {
		s := f()
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(s.Queued), name)
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(s.Sent), name)
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(s.Dropped), name)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(s.Failed), name)
	}
}

// parsePushURL validates a Pushgateway URL and splits off its user info.
func parsePushURL(raw string) (*url.URL, *url.Userinfo, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, errors.New("want http(s)://host:port")
	}
	ui := u.User
	u.User = nil
	return u, ui, nil
}

// Interface guards.
var (
	_ hooks.TaskOKHook     = (*Hook)(nil)
	_ hooks.TaskFailedHook = (*Hook)(nil)
	_ hooks.TaskRetryHook  = (*Hook)(nil)
	_ hooks.RunEndHook     = (*Hook)(nil)
	_ hooks.RunStartHook   = (*Hook)(nil)
	_ hooks.BreakerHook    = (*Hook)(nil)
)
