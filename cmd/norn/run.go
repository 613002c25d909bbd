package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/gonorn/norn/config"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/progress"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks/backup"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// Exit statuses.
const (
	exitOK     = 0 // every selected host was backed up
	exitFailed = 1 // some host failed or did not run (or the run was interrupted)
	exitUsage  = 2 // bad usage or a setup error
)

// run is the program: it parses args, backs up the selected hosts and reports on stdout (the
// summary, or JSON with -json) and stderr (progress, logs, errors). It returns the exit status.
// Cancelling ctx (Ctrl-C) stops the run cleanly: what finished is committed, the hosts that did
// not run are reported, and the status is 1.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, nil)
}

// runWith is run with extra runner hooks (tests use them to act at a given point of a run).
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, extraHooks []any) int {
	progressOut := stderr
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	if _, isFile := progressOut.(*os.File); !isFile {
		progressOut = stderr // a terminal check needs the *os.File; anything else gets the lock
	}
	o, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		return exitUsage
	}
	j := &job{o: o, stdout: stdout, stderr: stderr, info: stdout, progressOut: progressOut, extraHooks: extraHooks}
	if o.json {
		j.info = stderr // stdout carries only the JSON document
	}
	return j.run(ctx)
}

// job is one run of the program.
type job struct {
	o                    *options
	stdout, stderr, info io.Writer
	progressOut          io.Writer
	log                  zerolog.Logger
	extraHooks           []any
	alert                *alerting // nil until built
	stage                string    // the setup stage running, for setup-failure alerts
}

// fail prints a setup error and returns exitUsage.
func (j *job) fail(format string, a ...any) int {
	fmt.Fprintf(j.stderr, "backup: "+format+"\n", a...)
	j.alert.setupFailed(j.stage, fmt.Errorf(format, a...)) // alert, webhook event, metric
	return exitUsage
}

func (j *job) run(ctx context.Context) int {
	o := j.o
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return j.fail("-cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return j.fail("-cpuprofile: %v", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if o.memProfile != "" {
		defer func() {
			f, err := os.Create(o.memProfile)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintf(j.stderr, "backup: -memprofile: %v\n", err)
			}
		}()
	}
	heap := startHeapSampler(50 * time.Millisecond)
	defer heap.Stop()
	log, closeLog, err := newLogger(j.stderr, j.progressOut, o.cfg.Logging)
	if err != nil {
		return j.fail("%v", err)
	}
	defer closeLog()
	j.log = log

	// The alerting hooks come first, so that a run that cannot start reaches them (j.fail).
	alert, err := j.startAlerting()
	if err != nil {
		return j.fail("%v", err)
	}
	j.alert = alert
	defer func() {
		// finish delivered what the run raised; this bounds the deliveries of an early exit.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := alert.close(cctx); err != nil {
			fmt.Fprintf(j.stderr, "backup: alerting: %v\n", err)
		}
	}()

	// The inventory: the user's, or the embedded simulated fleet's, loaded the same way.
	j.stage = "inventory"
	invDir, invLabel := o.inventory, o.inventory
	if o.simulated() {
		sf, err := startSimFleet(ctx, o, j.info)
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintf(j.stderr, "backup: interrupted while starting the simulated fleet\n")
				return exitFailed
			}
			return j.fail("%v", err)
		}
		defer sf.Close()
		invDir, invLabel = sf.invDir, "simulated fleet"
	}
	inv, label, err := loadInventory(ctx, o.cfg, invDir, j.log, j.stderr)
	if err != nil {
		return j.fail("%v", err)
	}
	if !o.simulated() {
		invLabel = label
	}
	if inv.Len() == 0 {
		return j.fail("inventory %s has no hosts", invLabel)
	}
	j.stage = "selection"
	filter, err := parseFilter(o.filter)
	if err != nil {
		return j.fail("%v", err)
	}

	j.stage = "repository"
	storeDir := o.out
	if _, statErr := os.Stat(o.out); o.dryRun && errors.Is(statErr, fs.ErrNotExist) {
		// A dry run writes nothing: with no repository yet, compare against an empty one.
		tmp, err := os.MkdirTemp("", "norn-backup-dry-run-")
		if err != nil {
			return j.fail("%v", err)
		}
		defer os.RemoveAll(tmp)
		storeDir = tmp
	}
	store, err := gitstore.Open(gitstore.Config{Dir: storeDir})
	if err != nil {
		return j.fail("-out %s: %v", o.out, err)
	}
	if store.Busy() && !o.dryRun {
		return j.fail("-out %s: %v; wait for it to end", o.out, gitstore.ErrBusy)
	}
	task, err := backup.New(backup.Config{Store: store, Redact: o.redact})
	if err != nil {
		return j.fail("%v", err)
	}
	rec, err := backup.NewRecorder(backup.RecorderConfig{Store: store, DryRun: o.dryRun})
	if err != nil {
		return j.fail("%v", err)
	}

	alert.attach(inv, store)

	j.stage = "runner"
	prog := progress.New(progress.Config{Output: j.progressOut, Mode: o.progress})
	hooksList := []any{prog}
	if o.verbose {
		hooksList = append(hooksList, hooks.Logging(j.log))
	}
	hooksList = append(hooksList, alert.hooks...)
	hooksList = append(hooksList, j.extraHooks...)
	rcfg, err := runnerConfig(o.cfg, inv, j.log, hooksList)
	if err != nil {
		return j.fail("%v", err)
	}
	if o.cfg.NATS.URL != "" {
		j.stage = "nats"
		storer, err := backup.NewStorer(backup.Config{Store: store, Redact: o.redact})
		if err != nil {
			return j.fail("%v", err)
		}
		closeNATS, err := distributedBackup(ctx, o.cfg.NATS, storer, &rcfg, j.log)
		if err != nil {
			return j.fail("%v", err)
		}
		defer closeNATS()
	}
	r, err := runner.New(rcfg)
	if err != nil {
		return j.fail("%v", err)
	}

	// The hosts: the inventory, narrowed by -filter and -only-failed.
	j.stage = "selection"
	sel := r.Filter(filter)
	if len(sel.Hosts()) == 0 {
		return j.fail("-filter %q selects none of the %d hosts of %s", o.filter, inv.Len(), invLabel)
	}
	if o.onlyFailed {
		// Resumes from what is on disk: a host without a committed configuration (never backed
		// up, or its run was killed before the commit) needs a backup too.
		need := store.NeedsBackup(time.Now(), o.stale)
		sel = sel.Filter(func(h *inventory.Host) bool { return need(h.Name) })
		if len(sel.Hosts()) == 0 {
			fmt.Fprintf(j.info, "nothing to do: every selected host has a good backup from the last %s (status of %d hosts in %s)\n",
				o.stale, len(store.Statuses()), o.out)
			return exitOK
		}
	}
	hosts := sel.Hosts()

	what := "backing up"
	if o.dryRun {
		what = "dry run: comparing"
	}
	fmt.Fprintf(j.info, "%s %d hosts into %s: %s\n", what, len(hosts), o.out, o.cfg.Runner.Describe())

	t := newTally(hosts, o.json)
	runStart := time.Now()
	for res := range sel.Stream(ctx, "backup", task, runner.DryRun(o.dryRun)) {
		rec.Record(res) // every host, those that never reached the task (not run, breaker open) too
		t.add(res)
		// At the last result: the hooks' flush at the run's end (a down Alertmanager) is not
		// the run's time.
		t.elapsed = time.Since(runStart)
	}
	interrupted := ctx.Err() != nil

	var commit gitstore.CommitInfo
	var commitErr error
	if !o.dryRun {
		// Commit what finished even when the run was interrupted: those backups are good.
		commit, commitErr = rec.Commit(context.WithoutCancel(ctx))
	}
	// The metrics push carries the committed status; alerts still queued get 10 s.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	delivered := alert.finish(fctx)
	cancel()
	rep := report{
		o: o, inventory: invLabel, tally: t, commit: commit, commitErr: commitErr,
		interrupted: interrupted,
		breakers:    r.Breaker().Report(),
		stale:       len(store.Stale(time.Now(), o.stale)),
		statusPath:  storeStatusPath(o.out),
		peakRSS:     peakRSS(),
		peakHeap:    heap.Stop(),
		cpu:         cpuTime(),
		delivery:    delivered,
	}
	if o.json {
		if err := rep.writeJSON(j.stdout); err != nil {
			fmt.Fprintf(j.stderr, "backup: writing JSON: %v\n", err)
			return exitFailed
		}
	} else {
		rep.writeText(j.stdout)
	}
	if commitErr != nil {
		fmt.Fprintf(j.stderr, "backup: commit in %s failed: %v\n", o.out, commitErr)
	}
	if interrupted {
		fmt.Fprintf(j.stderr, "backup: interrupted: %d hosts not backed up (%d not started, %d stopped in flight)\n",
			t.notRun+t.canceled, t.notRun, t.canceled)
	}
	if interrupted || commitErr != nil || t.failed > 0 || t.notRun > 0 {
		return exitFailed
	}
	return exitOK
}

func storeStatusPath(out string) string { return gitstore.StatusPath(out) }

// newLogger returns the program's logger (logging.*): to logging.file when set, else zerolog's
// console writer on stderr (colours only on a terminal) or JSON lines (logging.format json); at
// logging.level, error by default (the summary reports every failed host), debug with -v.
// close closes the log file.
func newLogger(w, term io.Writer, lc config.LoggingConfig) (log zerolog.Logger, close func(), err error) {
	if lc.File != "" {
		l, c, err := lc.Open()
		if err != nil {
			return l, nil, err
		}
		return l, func() { c.Close() }, nil
	}
	if strings.EqualFold(lc.Format, "json") {
		return zerolog.New(w).Level(lc.ZerologLevel()).With().Timestamp().Logger(), func() {}, nil
	}
	color := false
	if f, ok := term.(*os.File); ok {
		color = isatty.IsTerminal(f.Fd())
	}
	cw := zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000", NoColor: !color}
	return zerolog.New(cw).Level(lc.ZerologLevel()).With().Timestamp().Logger(), func() {}, nil
}

// lockedWriter serialises writes from the progress display, the logger and the report.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
