// Package alertmanager is a norn hook that raises a Prometheus Alertmanager alert for each host
// whose task failed and resolves it when the host's task next succeeds, through Alertmanager's
// v2 API (POST /api/v2/alerts).
//
// Each alert carries labels a user can route and silence on: alertname (default
// "NornTaskFailed"), host, task, platform, the host data keys named in Config.DataLabels (site,
// role, ...) and static Config.Labels (severity, team, ...); and annotations: summary,
// description (the error message), error_class, attempts, duration and run_id. Error messages
// are redacted first: the host's password and enable secret, and anything shaped like a secret,
// never leave the process.
//
// Alerts are posted in batches by background workers: TaskFailed and TaskOK never block the
// runner's workers, whatever Alertmanager does. Alerts still firing are re-sent every
// Config.ResendInterval while the program runs, so Alertmanager does not resolve them on its
// resolve_timeout. RunEnd flushes what is queued within its context's deadline; Close stops the
// hook.
//
// It is not a replacement for Prometheus alert rules on metrics (see hooks/metrics for
// staleness alerts on hosts that were not reached).
package alertmanager
