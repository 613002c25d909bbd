// Package alertmanager is a norn hook that raises a Prometheus Alertmanager alert for each host
// whose task failed and resolves it when the host's task next succeeds, through Alertmanager's
// v2 API (POST /api/v2/alerts).
//
// Each alert carries labels a user can route, inhibit and silence on: alertname (default
// "NornTaskFailed"), host, task, platform, error_class (timeout, authentication, ...), severity
// (default "warning"), breaker_cause on breaker_open alerts (the class of the failures that
// opened the breaker, for an inhibit rule), the host data keys named in Config.DataLabels (site,
// role, ...) and static Config.Labels; and annotations: summary, description (the error
// message, without the host's name and address the labels already give), attempts, duration,
// run_id and an optional runbook_url. Error messages are redacted first: the host's password and
// enable secret, and anything shaped like a secret, never leave the process.
//
// Alerts stay true across runs of a batch program: Config.Expire keeps a failing host's alert
// firing between runs (each run that finds it failing posts it again), Config.MayBeFiring says
// which hosts an earlier run may have left firing so that only those are resolved, and
// SetupFailed raises a run-level alert when a run cannot start, resolved by the next RunStart.
//
// Alerts are posted in batches by background workers: TaskFailed and TaskOK never block the
// runner's workers, whatever Alertmanager does. Alerts still firing are re-sent every
// Config.ResendInterval while the program runs. RunEnd flushes what is queued within its
// context's deadline; Close stops the hook; Undelivered names the hosts whose alerts were lost.
//
// It is not a replacement for Prometheus alert rules on metrics (see hooks/metrics for
// staleness alerts on hosts that were not reached).
package alertmanager
