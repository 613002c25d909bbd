package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gonorn/norn/config"
)

const configAbout = `'norn config check' reads the configuration (norn.yaml found by -config, $NORN_CONFIG or
./norn.yaml; NORN_* environment variables over it; the flags given over both), validates it and
prints the effective configuration as norn.yaml, each value with where it came from (default,
file:line:col, $VARIABLE or -flag). Secrets are masked. Unknown keys and wrong types are errors
naming file:line:col (exit status 2).`

const configExamples = `
norn config check
norn config check -config /etc/norn/norn.yaml
NORN_WORKERS=20 norn config check -timeout 30s`

// configCmd is 'norn config check [flags]'.
func configCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "check" && args[0] != "-h" && args[0] != "-help" && args[0] != "--help") {
		what := "no subcommand"
		if len(args) > 0 {
			what = fmt.Sprintf("unknown subcommand %q", args[0])
		}
		fmt.Fprintf(stderr, "norn config: %s; want 'norn config check [flags]'\n", what)
		return exitUsage
	}
	if args[0] == "check" {
		args = args[1:]
	}
	c := newCommand("config check", "[flags]", configAbout, configExamples, stderr)
	c.configFlags()
	c.inventoryFlags()
	c.runnerFlags()
	c.alertFlags()
	c.bind("backup.")
	if err := c.parse(args); err != nil {
		return exitCode(err)
	}
	if c.fs.NArg() > 0 {
		c.bad("unexpected argument %q", c.fs.Arg(0))
		return exitUsage
	}
	cfg, err := c.load()
	if err != nil {
		return exitUsage
	}
	if _, err := cfg.WriteTo(stdout); err != nil {
		fmt.Fprintf(stderr, "norn config check: %v\n", err)
		return exitFailed
	}
	if cfg.File == "" {
		fmt.Fprintf(stderr, "norn config check: no configuration file (-config, $%s or ./%s); defaults, environment and flags are valid\n", config.EnvFile, config.FileName)
	} else {
		fmt.Fprintf(stderr, "norn config check: %s is valid\n", cfg.File)
	}
	return exitOK
}
