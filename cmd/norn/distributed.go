package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/gonorn/norn/config"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/redact"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/runner/natsexec"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup"
)

// natsKeys are the settings of a controller's connection to NATS (nats.region is the worker's).
var natsKeys = []string{"nats.url", "nats.creds_file", "nats.nkey_file", "nats.ca_file", "nats.route", "nats.no_worker_wait"}

// natsConnect connects to the NATS servers of nc (credentials, nkey, TLS as set), reconnecting
// forever. Errors name the setting at fault.
func natsConnect(nc config.NATSConfig, name string, log zerolog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn().Err(err).Msg("nats: disconnected")
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info().Str("server", c.ConnectedUrlRedacted()).Msg("nats: reconnected") }),
	}
	if nc.CredsFile != "" {
		if _, err := os.Stat(nc.CredsFile); err != nil {
			return nil, fmt.Errorf("-nats-creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(nc.CredsFile))
	}
	if nc.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(nc.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("-nats-nkey %s: %w", nc.NKeyFile, err)
		}
		opts = append(opts, o)
	}
	if nc.CAFile != "" {
		if _, err := os.Stat(nc.CAFile); err != nil {
			return nil, fmt.Errorf("-nats-ca-file: %w", err)
		}
		opts = append(opts, nats.RootCAs(nc.CAFile))
	}
	conn, err := nats.Connect(nc.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("-nats-url %s: %w", redactURL(nc.URL), err)
	}
	return conn, nil
}

// redactURL shows the NATS server URLs (comma-separated) without their user information.
func redactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		parts[i] = redact.URL(strings.TrimSpace(u), true)
	}
	return strings.Join(parts, ",")
}

// natsRoute returns the queue of a host: its first data key of keys that is set, else "default".
func natsRoute(keys []string) func(*inventory.Host) string {
	return func(h *inventory.Host) string {
		for _, k := range keys {
			if v, ok := h.Get(k); ok && v != nil {
				if q := natsexec.QueueName(fmt.Sprint(v)); q != "" {
					return q
				}
			}
		}
		return "default"
	}
}

// distributedBackup makes rcfg run the backup's hosts on regional workers: they fetch, clean,
// redact and check each configuration (backup.NewFetcher) and send it back; storer stores it
// in the controller's repository, so the run makes one commit as a local one does.
func distributedBackup(ctx context.Context, nc config.NATSConfig, storer *backup.Storer, rcfg *runner.Config, log zerolog.Logger) (closeFn func(), err error) {
	conn, err := natsConnect(nc, "norn backup", log)
	if err != nil {
		return nil, err
	}
	ex, err := natsexec.New(ctx, natsexec.Config{
		Conn: conn, StreamOptions: natsexec.StreamOptions{Prefix: nc.Prefix}, Route: natsRoute(nc.Route),
		NoWorkerWait: nc.NoWorkerWait, Logger: log,
		Finish: func(h *inventory.Host, job *runner.Job, r tasks.Result) tasks.Result {
			return storer.Store(h, job.DryRun, r)
		},
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("-nats-url %s: %w", redactURL(nc.URL), err)
	}
	rcfg.Executor = ex
	return conn.Close, nil
}

const workerAbout = `Serves one queue (region) of distributed runs: it pulls the hosts a controller ('norn backup
-nats-url URL') routed to its region from NATS JetStream, resolves them in its own inventory with
its own credentials, runs them (the backup's fetch, clean, redact and check) and sends the results
back. Start one or more per region, next to the devices they can reach. Messages carry host
names, never credentials; a worker that dies leaves its hosts to be redelivered to another.`

const workerExamples = `
norn worker -region emea -config /etc/norn/norn.yaml -nats-url nats://nats.example.com:4222
NORN_NATS_URL=nats://127.0.0.1:4222 norn worker -region amer -inventory ./inv -workers 200`

// workerCmd is 'norn worker'.
func workerCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	c := newCommand("worker", "-region R [flags]", workerAbout, workerExamples, stderr)
	c.configFlags()
	c.bind("inventory.", "nats.", "backup.redact")
	c.runnerFlags()
	if err := c.parse(args); err != nil {
		return exitCode(err)
	}
	if c.fs.NArg() > 0 {
		c.bad("unexpected argument %q (every setting is a flag)", c.fs.Arg(0))
		return exitUsage
	}
	cfg, err := c.load()
	if err != nil {
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "norn worker: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case cfg.NATS.URL == "":
		return fail("-nats-url (nats.url, $NORN_NATS_URL) is required")
	case cfg.NATS.Region == "":
		return fail("-region (nats.region, $NORN_REGION) is required: the queue this worker serves")
	case natsexec.QueueName(cfg.NATS.Region) != cfg.NATS.Region:
		return fail("-region %q: want lower-case letters, digits, '-' or '_' (hosts' values are lower-cased the same way: %q)",
			cfg.NATS.Region, natsexec.QueueName(cfg.NATS.Region))
	case !cfg.Inventory.Configured():
		return fail("no inventory: a worker resolves hosts in its own inventory (-inventory DIR or -netbox-url URL)")
	}
	if c.verbose {
		cfg.Logging.Level = "debug"
	}
	log, closeLog, err := newLogger(stderr, stderr, cfg.Logging)
	if err != nil {
		return fail("%v", err)
	}
	defer closeLog()
	inv, label, err := loadInventory(ctx, cfg, "", log, stderr)
	if err != nil {
		return fail("%v", err)
	}
	level, _ := backup.ParseRedactLevel(cfg.Backup.Redact)
	fetch, err := backup.NewFetcher(backup.Config{Redact: level})
	if err != nil {
		return fail("%v", err)
	}
	var hs []any
	if c.verbose {
		hs = append(hs, hooks.Logging(log))
	}
	rcfg, err := runnerConfig(cfg, inv, log, hs)
	if err != nil {
		return fail("%v", err)
	}
	r, err := runner.New(rcfg)
	if err != nil {
		return fail("%v", err)
	}
	conn, err := natsConnect(cfg.NATS, "norn worker "+cfg.NATS.Region, log)
	if err != nil {
		return fail("%v", err)
	}
	defer conn.Close()
	w, err := natsexec.NewWorker(ctx, natsexec.WorkerConfig{
		Conn: conn, StreamOptions: natsexec.StreamOptions{Prefix: cfg.NATS.Prefix}, Queue: cfg.NATS.Region,
		Runner: r, Tasks: map[string]tasks.Func{"backup": fetch}, Concurrency: cfg.Runner.Workers, Logger: log,
		AckWait: cfg.NATS.AckWait,
	})
	if err != nil {
		return fail("-nats-url %s: %v", redactURL(cfg.NATS.URL), err)
	}
	fmt.Fprintf(stderr, "norn worker %s: serving queue %q of %s over %s with %d hosts of %s at a time (Ctrl-C stops)\n",
		w.Name(), cfg.NATS.Region, redactURL(cfg.NATS.URL), cfg.NATS.Prefix, cfg.Runner.Workers, label)
	if err := w.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "norn worker: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "norn worker %s: stopped\n", w.Name())
	return exitOK
}
