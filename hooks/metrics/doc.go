// Package metrics is a norn hook that turns runs into Prometheus metrics (client_golang): tasks
// by result and error class, a task duration histogram, retries, circuit-breaker state, setup
// failures (norn_run_setup_failed, norn_inventory_load_failed), and each run's duration and
// counts.
//
// Per-host state that outlives a process (last success, last failure and its class,
// consecutive failures, never backed up, duration, configuration size, an info series with
// platform, site and role) comes from Config.HostStates, read at each scrape or push by a
// HostCollector, so every host of the fleet always has its series and a staleness alert
// (time() - norn_host_last_success_timestamp_seconds > 86400) can fire. A long-running program
// (norn serve) may register NewHostCollector on its own registry. Without HostStates the hook
// keeps the per-process norn_host_last_success_timestamp_seconds and norn_host_ok of the hosts
// it saw.
//
// Each Hook has its own registry (never the global one). Long-running programs serve it with
// Handler; batch programs (cron) set Config.PushURL and the registry is pushed to a Pushgateway
// at the end of each run (or by Push, with ManualPush), in the background, with retries.
// ObserveHook exports the delivery counters of other background hooks (alertmanager, webhook)
// as norn_hook_*_total.
//
// Metric labels are task, host, result, error_class, breaker, hook, platform, site and role:
// never an error message or anything else that could hold a secret.
//
// It is not a general Prometheus exporter for device data (interface counters, ...).
package metrics
