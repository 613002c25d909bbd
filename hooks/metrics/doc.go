// Package metrics is a norn hook that turns runs into Prometheus metrics (client_golang): tasks
// by result and error class, a task duration histogram, retries, circuit-breaker state, the
// last success of each host (for staleness alerts: "not backed up for 24 h"), and each run's
// duration and counts.
//
// Each Hook has its own registry (never the global one). Long-running programs serve it with
// Handler; batch programs (cron) set Config.PushURL and the hook pushes the registry to a
// Pushgateway at the end of each run, in the background, within RunEnd's deadline, with
// retries. ObserveHook exports the delivery counters of other background hooks (alertmanager,
// webhook) as norn_hook_*_total.
//
// Metric labels are task, host, result, error_class, breaker and hook: never an error message
// or anything else that could hold a secret.
//
// It is not a general Prometheus exporter for device data (interface counters, ...).
package metrics
