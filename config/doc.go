// Package config reads norn.yaml, norn's configuration file (the equivalent of Nornir's
// config.yaml and InitNornir), and turns it into what a run needs: a loaded inventory, a
// runner.Config with its connection plugins, retry and breaker, and the alerting and metrics
// hooks.
//
// A program loads and builds everything in one call:
//
//	n, err := config.Init(ctx, "norn.yaml")
//	if err != nil { ... }        // names file:line:col, the environment variable or the flag
//	defer n.Close(context.Background())
//	r, err := runner.New(n.Runner)
//
// or in two steps, to change settings in between (as the norn command applies its flags):
//
//	cfg, err := config.Load("norn.yaml") // file, then NORN_* environment variables
//	cfg.Set("runner.workers", "20", config.Origin{Source: config.FromFlag, Name: "-workers"})
//	n, err := cfg.Build(ctx)
//
// Each setting has a dotted key (runner.workers), an environment variable (NORN_WORKERS) and
// usually a flag of the norn command (-workers); Keys lists them. Precedence is flags, then
// the environment, then the file, then the documented defaults, and Config.Origin tells where
// each value came from. Unknown keys and wrong types are errors naming file:line:col.
//
// Secrets (the NetBox token, the webhook signing secret) are never read from norn.yaml, which is
// often kept in git: they come from the environment or from files named by *_file keys.
// WriteTo prints the effective configuration with secrets masked.
//
// It is not for a single component's settings: each component keeps its own Config struct
// (runner.Config, netbox.Config, ...), which this package fills in.
package config
