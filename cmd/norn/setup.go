package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/config"
	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/runner"
)

// The steps every subcommand that works on hosts shares: the inventory, the filter and the
// runner's configuration, all from the same settings (norn.yaml, NORN_*, flags).

// loadInventory loads the configured inventory: NetBox, or the SimpleInventory in dir (the
// configured directory, or the simulated fleet's). It returns the inventory and its label for
// people ("NetBox https://nb; 2 hosts without an IP address", the directory). NetBox's progress
// and warnings go to w. Errors name the file:line:col, or NetBox's URL and the setting at fault.
func loadInventory(ctx context.Context, cfg *config.Config, dir string, log zerolog.Logger, w io.Writer) (*inventory.Inventory, string, error) {
	if cfg.Inventory.Plugin == "netbox" && dir == "" {
		inv, rep, err := loadNetBoxReport(ctx, cfg, log, w)
		if err != nil {
			return nil, "", err // names the URL and NetBox's message, never the token
		}
		return inv, netboxLabel(cfg.Inventory.NetBox.URL, rep), nil
	}
	simple := cfg.Inventory.Simple
	if dir != "" && dir != simple.Dir {
		simple = config.SimpleConfig{Dir: dir, Strict: simple.Strict}
	}
	if simple.Dir == "" && simple.HostFile == "" {
		return nil, "", config.ErrNoInventory
	}
	inv, err := simple.Source().Load(ctx)
	if err != nil {
		return nil, "", err // names the file, line and column
	}
	label := simple.Dir
	if label == "" {
		label = simple.HostFile
	}
	return inv, label, nil
}

// parseFilter parses a -filter expression ("" selects every host). The error names the flag
// and the column, with a caret under it.
func parseFilter(expr string) (inventory.Filter, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	f, err := inventory.ParseFilter(expr)
	if err != nil {
		return nil, fmt.Errorf("-filter: %w", err)
	}
	return f, nil
}

// runnerConfig is the runner's configuration from the settings: workers, timeout, retry,
// breaker and login rate (config.RunnerConfig.Apply), the scrapli connection plugins, and the
// hooks given (each must be a hooks.Hook).
func runnerConfig(cfg *config.Config, inv *inventory.Inventory, log zerolog.Logger, hs []any) (runner.Config, error) {
	reg := connection.NewRegistry(connection.WithLogger(log))
	if err := scrapli.Register(reg); err != nil {
		return runner.Config{}, err
	}
	typed := make([]hooks.Hook, len(hs))
	for i, h := range hs {
		var ok bool
		if typed[i], ok = h.(hooks.Hook); !ok {
			return runner.Config{}, fmt.Errorf("hook %T is not a hooks.Hook", h)
		}
	}
	rcfg := runner.Config{Inventory: inv, Logger: log, Hooks: typed, Connections: reg,
		ConnectionLimits: connection.ManagerConfig{Logger: log}}
	cfg.Runner.Apply(&rcfg)
	return rcfg, nil
}
