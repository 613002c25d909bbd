package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/progress"
	"github.com/gonorn/norn/redact"
	"github.com/gonorn/norn/serve"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// serveTokenEnv holds the API token of `norn serve` (or -token-file).
const serveTokenEnv = "NORN_SERVE_TOKEN"

// serveOptions are the flags of `norn serve` itself; every other flag is a backup flag.
type serveOptions struct {
	listen    string
	every     time.Duration
	tokenFile string
	set       map[string]bool // the flags given on the command line
}

// serveFlagNames are the flags splitServeArgs takes for serve (each takes a value).
var serveFlagNames = map[string]bool{"listen": true, "every": true, "token-file": true}

// splitServeArgs separates serve's flags (with their values) from the backup flags, which
// keep their meaning and order. Arguments after "--" are all backup arguments.
func splitServeArgs(args []string) (serveArgs, backupArgs []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return serveArgs, append(backupArgs, args[i+1:]...)
		}
		if !strings.HasPrefix(a, "-") {
			backupArgs = append(backupArgs, a) // a backup flag's value
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !serveFlagNames[name] {
			backupArgs = append(backupArgs, a)
			continue
		}
		serveArgs = append(serveArgs, a)
		if !hasValue && i+1 < len(args) {
			serveArgs = append(serveArgs, args[i+1])
			i++
		}
	}
	return serveArgs, backupArgs
}

const serveUsage = `Usage: norn serve [-listen ADDR] [-every DURATION] [-token-file FILE] [backup flags]

Runs the backup as a service: every -every (the first run at start) and on demand
(POST /api/v1/run, or the page's button), one run at a time; serves the hosts' status,
configurations and diffs (HTML page at /, JSON API under /api/v1), /metrics and /healthz.
SIGTERM or Ctrl-C stops it cleanly: the run in progress is cancelled, what finished committed.

  norn serve                                         # simulated fleet, http://127.0.0.1:9469/
  norn serve -inventory ./inv -out /srv/backups -every 30m
  NORN_SERVE_TOKEN=... norn serve -listen :9469 -netbox-url https://netbox.example.com
  curl -X POST -d '{"host": "ams1-core-1"}' http://127.0.0.1:9469/api/v1/run

Serve flags:
`

// defineServeFlags defines serve's own flags on fs.
func defineServeFlags(fs *flag.FlagSet) *serveOptions {
	so := &serveOptions{}
	fs.StringVar(&so.listen, "listen", "127.0.0.1:9469", "`address` to serve HTTP on; beyond loopback a token is required ($"+serveTokenEnv+" or -token-file)")
	fs.DurationVar(&so.every, "every", time.Hour, "time between the starts of scheduled backups; 0: only on demand")
	fs.StringVar(&so.tokenFile, "token-file", "", "`file` holding the API token (default $"+serveTokenEnv+"); clients send 'Authorization: Bearer TOKEN'")
	return so
}

// parseServeFlags parses serve's own flags, printing what is wrong on stderr.
func parseServeFlags(args []string, stderr io.Writer) (*serveOptions, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	so := defineServeFlags(fs)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	so.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { so.set[f.Name] = true })
	if so.every < 0 {
		fmt.Fprintf(stderr, "serve: -every %s: want 0 (on demand only) or a positive duration\n", so.every)
		return nil, errUsage
	}
	return so, nil
}

// wantsHelp reports whether args ask for the help text.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help", "--h":
			return true
		case "--":
			return false
		}
	}
	return false
}

// serveToken returns the API token from -token-file or the environment ("" when none).
func serveToken(so *serveOptions) (string, error) {
	if so.tokenFile != "" {
		b, err := os.ReadFile(so.tokenFile)
		if err != nil {
			return "", fmt.Errorf("-token-file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("-token-file %s: the file is empty", so.tokenFile)
		}
		return tok, nil
	}
	return strings.TrimSpace(os.Getenv(serveTokenEnv)), nil
}

// serveCmd is `norn serve`.
func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return serveWith(ctx, args, stdout, stderr, nil)
}

// serveWith is serveCmd; ready, when not nil, receives the server and its address once it
// listens (tests).
func serveWith(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(*serve.Server, net.Addr)) int {
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	if wantsHelp(args) {
		fmt.Fprint(stdout, serveUsage)
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(stdout)
		defineServeFlags(fs)
		fs.PrintDefaults()
		fmt.Fprintf(stdout, "\nBackup flags: every flag of 'norn backup' (-inventory, -netbox-url, -out, -filter, -workers, ...):\n\n")
		_, _ = parseFlags([]string{"-h"}, stdout)
		return exitOK
	}
	sArgs, bArgs := splitServeArgs(args)
	so, err := parseServeFlags(sArgs, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "Run 'norn serve -h' for the flags.\n")
		return exitUsage
	}
	o, err := parseFlags(bArgs, stderr)
	if err != nil {
		return exitUsage
	}
	// serve.* from norn.yaml or the environment, where the command line says nothing.
	if !so.set["listen"] {
		so.listen = o.cfg.Serve.Listen
	}
	if !so.set["every"] {
		so.every = o.cfg.Serve.Every
	}
	if !so.set["token-file"] {
		so.tokenFile = o.cfg.Serve.TokenFile
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "serve: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case o.alert.metricsListen != "":
		return fail("-metrics-listen: serve serves /metrics on -listen itself")
	case o.dryRun:
		return fail("-dry-run: a service that writes nothing has nothing to serve; use 'norn backup -dry-run'")
	case o.onlyFailed:
		return fail("-only-failed: serve backs up every selected host each run (use POST /api/v1/run with a host for one)")
	case o.json:
		return fail("-json: serve reports runs at /api/v1/runs")
	}
	token, err := serveToken(so)
	if err != nil {
		return fail("%v", err)
	}
	if token == "" && !loopbackListen(so.listen) {
		return fail("-listen %s: reachable beyond this machine; set $%s or -token-file to require a token (or listen on 127.0.0.1)",
			so.listen, serveTokenEnv)
	}

	log := serveLogger(stderr, o.verbose)
	sv := &service{o: o, stderr: stderr, log: log}
	if o.simulated() {
		// One simulated fleet for the service's lifetime, not one per run.
		sf, err := startSimFleet(ctx, o, stderr)
		if err != nil {
			return fail("%v", err)
		}
		defer sf.Close()
		sv.invDir = sf.invDir
	}
	if _, err := sv.status(ctx); err != nil {
		return fail("-out %s: %v", o.out, err)
	}
	every := so.every
	if every == 0 {
		every = -1 // serve.Config: no schedule
	}
	srv, err := serve.New(serve.Config{
		Run:     sv.run,
		Status:  sv.status,
		History: &serve.GitHistory{Dir: o.out},
		Every:   every,
		Stale:   o.stale,
		Token:   token,
		Redact:  serveRedactor(o, token).String,
		Labels:  sv.labels,
		Logger:  log,
	})
	if err != nil {
		return fail("%v", err)
	}
	l, err := net.Listen("tcp", so.listen)
	if err != nil {
		return fail("-listen: %v", err)
	}
	if token == "" && !serve.IsLoopback(l.Addr()) {
		l.Close()
		return fail("-listen %s: %s is reachable beyond this machine; set $%s or -token-file to require a token (or listen on 127.0.0.1)",
			so.listen, l.Addr(), serveTokenEnv)
	}
	sched := "every " + shortDur(so.every)
	if so.every == 0 {
		sched = "on demand only"
	}
	fmt.Fprintf(stdout, "norn serve: http://%s/ (backups in %s, %s%s)\n", l.Addr(), o.out, sched, map[bool]string{true: ", token required"}[token != ""])
	if ready != nil {
		ready(srv, l.Addr())
	}
	if err := srv.Serve(ctx, l); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// serveRedactor masks, in the run errors the service shows, the secrets it knows besides those
// the backup job already masks: its own token, the NetBox token and the webhook secret.
func serveRedactor(o *options, token string) *redact.Redactor {
	secrets := []string{token, o.cfg.Inventory.NetBox.Token, os.Getenv("NB_TOKEN"), os.Getenv("NETBOX_TOKEN"), o.alert.webhookSecret, os.Getenv(webhookSecretEnv)}
	if tf := o.cfg.Inventory.NetBox.TokenFile; tf != "" {
		if b, err := os.ReadFile(tf); err == nil {
			secrets = append(secrets, strings.TrimSpace(string(b)))
		}
	}
	return redact.New(secrets...)
}

// loopbackListen reports whether a -listen address may be loopback: false for an empty host
// (every interface) or an IP beyond loopback. Host names are checked once listening.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true // net.Listen names the problem
	}
	if host == "" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || ip.IsLoopback()
}

// serveLogger logs the service's events (runs started and ended) at info level, debug with -v.
func serveLogger(w io.Writer, verbose bool) zerolog.Logger {
	level := zerolog.InfoLevel
	if verbose {
		level = zerolog.DebugLevel
	}
	color := false
	if lw, ok := w.(*lockedWriter); ok {
		if f, ok := lw.w.(*os.File); ok {
			color = isatty.IsTerminal(f.Fd())
		}
	}
	cw := zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: !color}
	return zerolog.New(cw).Level(level).With().Timestamp().Logger()
}

// service runs the backup job for the server and keeps the hosts' status.
type service struct {
	o      *options
	invDir string // the simulated fleet's inventory, when there is no other
	stderr io.Writer
	log    zerolog.Logger

	mu         sync.Mutex
	statuses   []gitstore.HostStatus // as of statusTime and statusSize of the status file
	statusTime time.Time
	statusSize int64
	siteRole   map[string][2]string // by host, from the inventory of the runs
}

// labels is serve.Config.Labels: a host's site and role as the last run's inventory had them.
func (sv *service) labels(host string) (site, role string) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	l := sv.siteRole[host]
	return l[0], l[1]
}

// observe records the site and role of the host an event is about.
func (sv *service) observe(_ context.Context, e *hooks.Event) {
	if e.Host == nil {
		return
	}
	l := [2]string{dataString(e.Host, "site"), dataString(e.Host, "role")}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.siteRole == nil {
		sv.siteRole = map[string][2]string{}
	}
	sv.siteRole[e.Host.Name] = l
}

// status returns the hosts' status from the store's status file (read without a lock, safe
// during a run: it is the status of the last commit). The file is decoded again only when it
// changed.
func (sv *service) status(context.Context) ([]gitstore.HostStatus, error) {
	fi, statErr := os.Stat(gitstore.StatusPath(sv.o.out))
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if statErr == nil && sv.statuses != nil && fi.ModTime().Equal(sv.statusTime) && fi.Size() == sv.statusSize {
		return sv.statuses, nil
	}
	sts, err := gitstore.ReadStatus(sv.o.out)
	if errors.Is(err, fs.ErrNotExist) {
		return []gitstore.HostStatus{}, nil // no backup yet
	}
	if err != nil {
		return nil, err
	}
	sv.statuses = sts
	if statErr == nil {
		sv.statusTime, sv.statusSize = fi.ModTime(), fi.Size()
	}
	return sts, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// lastErrorLines returns the "backup: " lines of the run's stderr: its setup errors.
func (t *tailBuffer) lastErrorLines() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, l := range strings.Split(string(t.b), "\n") {
		if msg, ok := strings.CutPrefix(l, "backup: "); ok {
			out = append(out, msg)
		}
	}
	return strings.Join(out, "; ")
}

// maxFailedHosts bounds the failed hosts a run's summary lists (all are in the status).
const maxFailedHosts = 100

// run is serve.Config.Run: one run of the backup job with the service's flags, as JSON.
func (sv *service) run(ctx context.Context, req serve.RunRequest) (serve.RunSummary, error) {
	o := *sv.o
	o.json, o.progress = true, progress.Off
	if sv.invDir != "" {
		o.inventory = sv.invDir
	}
	if req.Host != "" {
		hf := "name=" + strconv.Quote(req.Host)
		if strings.TrimSpace(o.filter) != "" {
			hf = "(" + o.filter + ") and " + hf
		}
		o.filter = hf
	}
	var doc bytes.Buffer
	errTail := &tailBuffer{max: 8 << 10}
	stderr := &lockedWriter{w: io.MultiWriter(sv.stderr, errTail)}
	j := &job{o: &o, stdout: &lockedWriter{w: &doc}, stderr: stderr, info: stderr, progressOut: stderr,
		extraHooks: []any{hooks.TaskOKFunc(sv.observe), hooks.TaskFailedFunc(sv.observe)}}
	code := j.run(ctx)
	if code == exitUsage {
		msg := errTail.lastErrorLines()
		if msg == "" {
			msg = "exit status 2"
		}
		return serve.RunSummary{}, errors.New(msg)
	}
	var rep jsonReport
	if err := json.Unmarshal(doc.Bytes(), &rep); err != nil {
		if ctx.Err() != nil {
			return serve.RunSummary{}, fmt.Errorf("interrupted: %w", ctx.Err())
		}
		return serve.RunSummary{}, fmt.Errorf("reading the run's report: %w", err)
	}
	s := rep.Summary
	sum := serve.RunSummary{Hosts: s.Hosts, OK: s.OK, Changed: s.Changed, Failed: s.Failed, NotRun: s.NotRun + s.Canceled}
	if rep.Commit != nil {
		sum.Commit = rep.Commit.Hash
	}
	for _, f := range rep.Failed[:min(len(rep.Failed), maxFailedHosts)] {
		sum.FailedHosts = append(sum.FailedHosts, serve.FailedHost{Host: f.Host, Class: string(f.Class), Message: f.Message})
	}
	if rep.CommitError != "" {
		return sum, fmt.Errorf("commit in %s failed: %s", o.out, rep.CommitError)
	}
	return sum, nil
}
