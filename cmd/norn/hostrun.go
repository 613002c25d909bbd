package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/config"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/progress"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
)

// hostRun is what a subcommand that runs a task over the selected hosts sets up from its
// settings: the logger, the inventory, the alerting and metrics hooks (as the backup job builds
// them), a progress display and the runner. 'norn push' and 'norn run' use it.
type hostRun struct {
	log      zerolog.Logger
	inv      *inventory.Inventory
	label    string // the inventory's label for people
	runner   *runner.Runner
	alert    *alerting
	closeLog func()
}

// setupHostRun builds the hostRun of command name; quietProgress turns the progress display off
// when it would be on only because stderr is a terminal (the per-host blocks are the
// progress). tune may change the runner's configuration before the runner is built.
func setupHostRun(ctx context.Context, name string, cfg *config.Config, stdout, stderr io.Writer, quietProgress bool, tune func(*runner.Config)) (*hostRun, error) {
	log, closeLog, err := newLogger(stderr, stderr, cfg.Logging)
	if err != nil {
		return nil, err
	}
	hr := &hostRun{log: log, closeLog: closeLog}
	fail := func(err error) (*hostRun, error) {
		hr.close(ctx, name, stderr)
		return nil, err
	}
	if hr.inv, hr.label, err = loadInventory(ctx, cfg, "", log, stderr); err != nil {
		return fail(err)
	}
	alert, err := alertOptionsFrom(cfg)
	if err != nil {
		return fail(err)
	}
	j := &job{o: &options{cfg: cfg, alert: alert}, stdout: stdout, stderr: stderr, info: stderr, log: log}
	if hr.alert, err = j.startAlerting(); err != nil {
		return fail(err)
	}
	hr.alert.task = name
	mode, _ := cfg.Logging.ProgressMode()
	if quietProgress && mode == progress.Auto {
		mode = progress.Off
	}
	var progressOut = stderr
	if lw, ok := stderr.(*lockedWriter); ok {
		if f, ok := lw.w.(*os.File); ok {
			progressOut = f
		}
	}
	hooksList := []any{progress.New(progress.Config{Output: progressOut, Mode: mode})}
	if strings.EqualFold(cfg.Logging.Level, "debug") {
		hooksList = append(hooksList, hooks.Logging(log))
	}
	hooksList = append(hooksList, hr.alert.hooks...)
	rcfg, err := runnerConfig(cfg, hr.inv, log, hooksList)
	if err != nil {
		return fail(err)
	}
	if tune != nil {
		tune(&rcfg)
	}
	if hr.runner, err = runner.New(rcfg); err != nil {
		return fail(err)
	}
	return hr, nil
}

// close pushes the metrics, flushes the alerts (within 10 s), says what was not delivered,
// and closes the log.
func (hr *hostRun) close(ctx context.Context, name string, stderr io.Writer) {
	if hr.alert != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		d := hr.alert.finish(cctx)
		d.writeText(stderr)
		if d.err != nil {
			fmt.Fprintf(stderr, "norn %s: alerting: %v\n", name, d.err)
		}
	}
	hr.closeLog()
}
