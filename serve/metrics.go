package serve

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// StatusCollector exports every host's backup state from a status source at each scrape, so
// each host always has its series, whether it failed, succeeded or was not part of the last
// run:
//
//	norn_host_last_success_timestamp_seconds{host}   0 when never backed up
//	norn_host_last_failure_timestamp_seconds{host}   0 when never failed
//	norn_host_last_attempt_timestamp_seconds{host}
//	norn_host_consecutive_failures{host}
//	norn_host_never_backed_up{host}                  1 when the host has no good backup yet
//	norn_host_config_bytes{host}                     size of the last good configuration
//	norn_host_failure_info{host,error_class}         1 while the host fails, by the last failure's class
//	norn_status_hosts                                hosts in the status store
//	norn_status_read_errors_total                    scrapes that could not read the status
type StatusCollector struct {
	status func(ctx context.Context) ([]gitstore.HostStatus, error)

	lastSuccess, lastFailure, lastAttempt, consecutive, never, bytes, failure, hosts *prometheus.Desc
	readErrors                                                                       prometheus.Counter
}

// NewStatusCollector returns a collector of status's hosts, with metric names prefixed by
// namespace (default "norn").
func NewStatusCollector(status func(ctx context.Context) ([]gitstore.HostStatus, error), namespace string) *StatusCollector {
	if namespace == "" {
		namespace = "norn"
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	return &StatusCollector{
		status:      status,
		lastSuccess: d("host_last_success_timestamp_seconds", "Unix time of the host's last good backup (0: never).", "host"),
		lastFailure: d("host_last_failure_timestamp_seconds", "Unix time of the host's last failed backup (0: never).", "host"),
		lastAttempt: d("host_last_attempt_timestamp_seconds", "Unix time of the host's last backup attempt.", "host"),
		consecutive: d("host_consecutive_failures", "Runs that failed to back up the host since its last success.", "host"),
		never:       d("host_never_backed_up", "1 when the host has no good backup yet.", "host"),
		bytes:       d("host_config_bytes", "Size of the host's last good configuration in bytes.", "host"),
		failure:     d("host_failure_info", "1 while the host's backup fails, labelled with the last failure's class.", "host", "error_class"),
		hosts:       d("status_hosts", "Hosts in the status store."),
		readErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "status_read_errors_total",
			Help: "Scrapes that could not read the hosts' status."}),
	}
}

// Describe implements prometheus.Collector.
func (c *StatusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lastSuccess, c.lastFailure, c.lastAttempt, c.consecutive, c.never, c.bytes, c.failure, c.hosts} {
		ch <- d
	}
	c.readErrors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *StatusCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.readErrors.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sts, err := c.status(ctx)
	if err != nil {
		c.readErrors.Inc()
		ch <- prometheus.NewInvalidMetric(c.hosts, err)
		return
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	g(c.hosts, float64(len(sts)))
	for _, st := range sts {
		g(c.lastSuccess, unixOrZero(st.LastSuccess), st.Host)
		g(c.lastFailure, unixOrZero(st.LastFailure), st.Host)
		g(c.lastAttempt, unixOrZero(st.LastAttempt), st.Host)
		g(c.consecutive, float64(st.ConsecutiveFailures), st.Host)
		never := 0.0
		if st.LastSuccess.IsZero() {
			never = 1
		}
		g(c.never, never, st.Host)
		g(c.bytes, float64(st.Bytes), st.Host)
		if st.ConsecutiveFailures > 0 {
			g(c.failure, 1, st.Host, string(st.FailureClass))
		}
	}
}

func unixOrZero(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// runMetrics are the service's run metrics.
type runMetrics struct {
	running func() (RunInfo, bool)

	mu        sync.Mutex
	runs      *prometheus.CounterVec
	last      *RunInfo
	lastGood  time.Time // end of the last run that completed (ok or failed)
	inFlight  *prometheus.Desc
	lastEnd   *prometheus.Desc
	lastDur   *prometheus.Desc
	lastHosts *prometheus.Desc
	lastOK    *prometheus.Desc
	lastState *prometheus.Desc
}

func newRunMetrics(ns string, running func() (RunInfo, bool)) *runMetrics {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(ns, "serve", name), help, labels, nil)
	}
	return &runMetrics{
		running: running,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "serve", Name: "runs_total",
			Help: "Backup runs that ended, by trigger (schedule, api) and state (ok, failed, error, canceled)."}, []string{"trigger", "state"}),
		inFlight:  d("run_in_progress", "1 while a backup run is in progress."),
		lastEnd:   d("last_run_timestamp_seconds", "Unix time the last backup run ended."),
		lastDur:   d("last_run_duration_seconds", "Wall time of the last backup run."),
		lastHosts: d("last_run_hosts", "Hosts of the last backup run, by result (ok, changed, failed, not_run).", "result"),
		lastOK:    d("last_completed_run_timestamp_seconds", "Unix time the last backup run that completed (state ok or failed) ended; alert when it gets old."),
		lastState: d("last_run_state", "1 for the state of the last backup run (ok, failed, error, canceled).", "state"),
	}
}

func (m *runMetrics) observe(r RunInfo) {
	m.runs.WithLabelValues(r.Trigger, string(r.State)).Inc()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = &r
	if r.State == StateOK || r.State == StateFailed {
		m.lastGood = r.Ended
	}
}

// Describe implements prometheus.Collector.
func (m *runMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.runs.Describe(ch)
	for _, d := range []*prometheus.Desc{m.inFlight, m.lastEnd, m.lastDur, m.lastHosts, m.lastOK, m.lastState} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *runMetrics) Collect(ch chan<- prometheus.Metric) {
	m.runs.Collect(ch)
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	_, running := m.running()
	g(m.inFlight, b2f(running))
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		return
	}
	g(m.lastEnd, unixOrZero(m.last.Ended))
	g(m.lastDur, m.last.DurationSeconds)
	g(m.lastOK, unixOrZero(m.lastGood))
	for _, st := range []RunState{StateOK, StateFailed, StateError, StateCanceled} {
		g(m.lastState, b2f(m.last.State == st), string(st))
	}
	if s := m.last.Summary; s != nil {
		g(m.lastHosts, float64(s.OK), "ok")
		g(m.lastHosts, float64(s.Changed), "changed")
		g(m.lastHosts, float64(s.Failed), "failed")
		g(m.lastHosts, float64(s.NotRun), "not_run")
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
