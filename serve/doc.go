// Package serve is norn's backup service: it runs a backup on a schedule and on demand, one
// run at a time, and serves what the runs produced over HTTP, as Oxidized does for its users.
//
// A Server serves:
//
//	GET  /healthz                        liveness (never needs the token)
//	GET  /metrics                        Prometheus: per-host state from the status store, run metrics
//	GET  /api/v1/hosts                   every host's backup status
//	GET  /api/v1/hosts/{name}            one host's status
//	GET  /api/v1/hosts/{name}/config     the host's stored configuration (?rev= a commit)
//	GET  /api/v1/hosts/{name}/diff       the last change of the host's configuration (?rev=)
//	GET  /api/v1/hosts/{name}/history    the commits that changed the host's configuration
//	GET  /api/v1/runs                    recent runs, newest first, with their summaries
//	GET  /api/v1/runs/{id}               one run
//	POST /api/v1/run                     start a run now ({"host": "x"} or ?host=x for one host)
//	GET  /                               an HTML page of the hosts (no JavaScript), with pages
//	                                     per host (/hosts/{name}), per diff and per configuration
//
// Errors are JSON documents {"error": "..."} with the HTTP status. Bound beyond loopback, a
// Server refuses to start without a token; with a token every path but /healthz needs it, as
// "Authorization: Bearer TOKEN" (or HTTP Basic auth with the token as the password, which a
// browser asks for). Configurations are stored redacted; error messages pass Config.Redact.
//
// The package does not run backups itself: Config.Run does (cmd/norn wires the backup job),
// Config.Status reads the hosts' status and Config.History the git repository of the
// configurations (GitHistory reads a norn backup repository with go-git).
package serve
