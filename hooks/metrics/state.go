package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HostState is what is known of a host across runs, for a backup the repository's status:
// read afresh at each scrape or push, so that every host of the fleet has its series whether it
// failed, succeeded or was left out of the last run.
type HostState struct {
	// Host is the host's name.
	Host string
	// Platform, Site and Role label the host's norn_host_info series (for joins and routing);
	// empty ones are exported as "".
	Platform, Site, Role string
	// LastAttempt, LastSuccess and LastFailure are the times of the host's last attempt, good
	// result and failure; zero when it never had one.
	LastAttempt, LastSuccess, LastFailure time.Time
	// FailureClass is the error class of the last failure ("timeout", "authentication", ...).
	FailureClass string
	// ConsecutiveFailures counts the runs that failed since the last success (0: the last
	// attempt succeeded).
	ConsecutiveFailures int
	// LastDuration is how long the host's last attempt took.
	LastDuration time.Duration
	// ConfigBytes and ConfigLines measure the host's last good configuration.
	ConfigBytes, ConfigLines int64
}

// HostCollector exports the per-host state of a fleet (HostState) at each scrape or push:
//
//	norn_host_info{host,platform,site,role}          1, for joins (on (host) group_left ...)
//	norn_host_last_success_timestamp_seconds{host}   0 when never backed up
//	norn_host_last_failure_timestamp_seconds{host}   0 when it never failed
//	norn_host_last_attempt_timestamp_seconds{host}   0 when never attempted
//	norn_host_consecutive_failures{host}
//	norn_host_never_backed_up{host}                  1 when the host has no good result yet
//	norn_host_failure_info{host,error_class}         1 while the host fails, by the last failure's class
//	norn_host_last_duration_seconds{host}
//	norn_host_config_bytes{host}, norn_host_config_lines{host}
//	norn_hosts                                       hosts exported
//	norn_host_state_errors_total                     collections whose state could not be read
//
// The alert `time() - norn_host_last_success_timestamp_seconds > 86400` then fires for a host
// that keeps failing, and for one never backed up. Register it on a registry served at
// /metrics (norn serve) or pushed (Config.HostStates does both for a Hook).
type HostCollector struct {
	states func(ctx context.Context) ([]HostState, error)

	info, lastSuccess, lastFailure, lastAttempt, consecutive, never, failure, duration, bytes, lines, hosts *prometheus.Desc
	errs                                                                                                    prometheus.Counter
}

// NewHostCollector returns a collector of what states returns, with metric names prefixed by
// namespace (default "norn"). states is called at each collection with a 10 s deadline; an error
// is exported as an invalid metric (the scrape or push reports it) and counted; a nil slice
// (state not known yet) exports no host series, not even norn_hosts.
func NewHostCollector(namespace string, states func(ctx context.Context) ([]HostState, error)) *HostCollector {
	if namespace == "" {
		namespace = "norn"
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, append([]string{"host"}, labels...), nil)
	}
	return &HostCollector{
		states:      states,
		info:        d("host_info", "1 for each host, labelled with its platform, site and role (for joins).", "platform", "site", "role"),
		lastSuccess: d("host_last_success_timestamp_seconds", "Unix time of the host's last good result (0: never)."),
		lastFailure: d("host_last_failure_timestamp_seconds", "Unix time of the host's last failure (0: never)."),
		lastAttempt: d("host_last_attempt_timestamp_seconds", "Unix time of the host's last attempt (0: never)."),
		consecutive: d("host_consecutive_failures", "Runs that failed on the host since its last success."),
		never:       d("host_never_backed_up", "1 when the host has no good result yet."),
		failure:     d("host_failure_info", "1 while the host fails, labelled with the last failure's class.", "error_class"),
		duration:    d("host_last_duration_seconds", "How long the host's last attempt took."),
		bytes:       d("host_config_bytes", "Size of the host's last good configuration in bytes."),
		lines:       d("host_config_lines", "Lines of the host's last good configuration."),
		hosts:       prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "hosts"), "Hosts whose state is exported.", nil, nil),
		errs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "host_state_errors_total",
			Help: "Collections whose host state could not be read."}),
	}
}

// Describe implements prometheus.Collector.
func (c *HostCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.info, c.lastSuccess, c.lastFailure, c.lastAttempt, c.consecutive, c.never,
		c.failure, c.duration, c.bytes, c.lines, c.hosts} {
		ch <- d
	}
	c.errs.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *HostCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.errs.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sts, err := c.states(ctx)
	if err != nil {
		c.errs.Inc()
		ch <- prometheus.NewInvalidMetric(c.hosts, err)
		return
	}
	if sts == nil {
		return // not known yet (a run that failed before its state could be read): no series
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	g(c.hosts, float64(len(sts)))
	for _, st := range sts {
		g(c.info, 1, st.Host, st.Platform, st.Site, st.Role)
		g(c.lastSuccess, unixOrZero(st.LastSuccess), st.Host)
		g(c.lastFailure, unixOrZero(st.LastFailure), st.Host)
		g(c.lastAttempt, unixOrZero(st.LastAttempt), st.Host)
		g(c.consecutive, float64(st.ConsecutiveFailures), st.Host)
		never := 0.0
		if st.LastSuccess.IsZero() {
			never = 1
		}
		g(c.never, never, st.Host)
		if st.ConsecutiveFailures > 0 {
			class := st.FailureClass
			if class == "" {
				class = "task"
			}
			g(c.failure, 1, st.Host, class)
		}
		g(c.duration, st.LastDuration.Seconds(), st.Host)
		g(c.bytes, float64(st.ConfigBytes), st.Host)
		g(c.lines, float64(st.ConfigLines), st.Host)
	}
}

func unixOrZero(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return unixSeconds(t)
}

var _ prometheus.Collector = (*HostCollector)(nil)
