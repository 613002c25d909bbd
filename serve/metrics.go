package serve

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gonorn/norn/hooks/metrics"
)

// hostStates adapts Config.Status to the per-host state metrics.HostCollector exports (one home
// for those metrics: norn_host_last_success_timestamp_seconds, norn_host_failure_info, ...).
func (s *Server) hostStates(ctx context.Context) ([]metrics.HostState, error) {
	sts, err := s.cfg.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]metrics.HostState, len(sts))
	for i, st := range sts {
		hs := metrics.HostState{
			Host: st.Host, Platform: st.Platform,
			LastAttempt: st.LastAttempt, LastSuccess: st.LastSuccess, LastFailure: st.LastFailure,
			FailureClass: string(st.FailureClass), ConsecutiveFailures: st.ConsecutiveFailures,
			LastDuration: st.LastDuration, ConfigBytes: st.Bytes, ConfigLines: int64(st.Lines),
		}
		if s.cfg.Labels != nil {
			hs.Site, hs.Role = s.cfg.Labels(st.Host)
		}
		out[i] = hs
	}
	return out, nil
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
