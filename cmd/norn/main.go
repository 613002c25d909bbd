// Command norn is norn's operator tool. Its main job, `norn backup`, backs up the running
// configuration of every device of an inventory into a git repository, one file per device and
// one commit per run, with secrets redacted, volatile lines removed, incomplete configurations
// rejected and each device's status remembered across runs.
//
// With no inventory it starts an embedded simulated fleet (devsim: 200 devices across IOS-XE,
// NX-OS, IOS-XR, EOS and Junos, 5% of them injecting faults) so the whole job can be seen on any
// machine:
//
//	go run ./cmd/norn backup                          # simulated fleet, backups in ./backup-out
//	go run ./cmd/norn backup -fleet 1000 -faults 0    # a bigger, healthy fleet
//	go run ./cmd/norn backup -inventory ./inv -filter 'site=ams1 and platform in [eos, junos]'
//	go run ./cmd/norn backup -inventory ./inv -only-failed
//
// Exit status: 0 when every selected host was backed up, 1 when some host failed or did not
// run (Ctrl-C keeps and commits what finished), 2 on bad usage or setup errors.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the program the default way.
		<-ctx.Done()
		stop()
	}()
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: norn COMMAND [flags] [arguments]

commands:
  backup      back up the configuration of every selected device into a git repository
  run         send commands to the selected devices and print each one's output
  push        change the configuration of the selected devices safely (canary batches, checks, verified rollback)
  inventory   list the hosts of the inventory, or show one host fully resolved
  compliance  check the stored configurations against compliance rules (offline; text, JSON, JUnit)
  worker      serve one region of distributed runs (norn backup -nats-url URL) through NATS JetStream
  serve       run the backup on a schedule and serve the hosts' status, configurations, diffs and metrics over HTTP
  devsim      run a fleet of simulated devices on loopback, with its inventory
  config      'norn config check': validate norn.yaml and print the effective configuration
  version     print norn's version

Settings come from flags, then NORN_* environment variables, then norn.yaml (-config,
$NORN_CONFIG or ./norn.yaml), then defaults. Run 'norn COMMAND -h' for a command's flags.
`

// dispatch runs the subcommand named by args[0] and returns the exit status.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "backup":
		return run(ctx, args[1:], stdout, stderr)
	case "worker":
		return workerCmd(ctx, args[1:], stdout, stderr)
	case "serve":
		return serveCmd(ctx, args[1:], stdout, stderr)
	case "compliance":
		return complianceCmd(ctx, args[1:], stdout, stderr)
	case "run":
		return runCmd(ctx, args[1:], stdout, stderr)
	case "push":
		return pushCmd(ctx, args[1:], stdout, stderr)
	case "inventory":
		return inventoryCmd(ctx, args[1:], stdout, stderr)
	case "devsim":
		return devsimCmd(ctx, args[1:], stdout, stderr)
	case "config":
		return configCmd(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		return versionCmd(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "norn: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}
