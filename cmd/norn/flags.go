package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/hooks/progress"
	"github.com/gonorn/norn/inventory_plugins/netbox"
	"github.com/gonorn/norn/tasks/backup"
)

// options are the command line's settings.
type options struct {
	inventory  string
	filter     string
	out        string
	workers    int
	timeout    time.Duration
	onlyFailed bool
	stale      time.Duration
	dryRun     bool
	json       bool
	redact     backup.RedactLevel
	progress   progress.Mode
	verbose    bool

	fleet     int
	faults    float64
	seed      uint64
	platforms []devsim.Platform

	retries   int
	retryTO   bool
	retryWait time.Duration
	breaker   bool
	loginRate float64
	showFail  int

	netbox netboxOptions
	alert  alertOptions

	cpuProfile string // hidden
	memProfile string // hidden
}

// netboxOptions are the -netbox-* flags.
type netboxOptions struct {
	url       string
	tokenFile string
	groups    string
	defaults  string
	groupBy   string
	platforms string
	params    string
	caFile    string
	timeout   time.Duration // -netbox-timeout
	retries   int           // -netbox-retries
}

// hiddenFlags are left out of the usage text (profiling aids).
var hiddenFlags = map[string]bool{"cpuprofile": true, "memprofile": true, "help": true}

// errUsage is returned by parseFlags after it has printed what is wrong.
var errUsage = errors.New("bad usage")

// parseFlags parses args. It prints the problem (or the help text) to stderr itself and returns
// flag.ErrHelp for -h and errUsage for a bad command line.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.inventory, "inventory", "", "Nornir SimpleInventory `dir`ectory (hosts.yaml, groups.yaml, defaults.yaml); default: an embedded simulated fleet")
	fs.StringVar(&o.netbox.url, "netbox-url", "", "load the inventory from NetBox at this `URL` (token from $NB_TOKEN or $NETBOX_TOKEN, or -netbox-token-file)")
	fs.StringVar(&o.netbox.tokenFile, "netbox-token-file", "", "`file` holding the NetBox API token")
	fs.StringVar(&o.netbox.groups, "netbox-groups", "", "SimpleInventory groups.yaml `file` merged with NetBox's groups (credentials, connection options)")
	fs.StringVar(&o.netbox.defaults, "netbox-defaults", "", "SimpleInventory defaults.yaml `file` merged with NetBox's hosts (credentials, connection options)")
	fs.StringVar(&o.netbox.groupBy, "netbox-group-by", "site,role,platform", "NetBox `fields` hosts are grouped by, as groups named <field>__<value> (site, role, platform, manufacturer, device_type, tenant, region, location, tag, status, cluster)")
	fs.StringVar(&o.netbox.platforms, "netbox-platforms", "", "extra NetBox platform slug `mappings` to norn platforms, e.g. 'ios-xe-17=cisco_iosxe,junos-evo=juniper_junos' (common slugs are mapped already)")
	fs.StringVar(&o.netbox.params, "netbox-params", "", "NetBox device filter `query`, e.g. 'tag=backup&site=ams1' (default: status=active only; 'status=planned' or 'status__n=offline' replace it)")
	fs.DurationVar(&o.netbox.timeout, "netbox-timeout", netbox.DefaultTimeout, "time limit of each NetBox request attempt (a page of 1,000 devices can take NetBox several seconds)")
	fs.IntVar(&o.netbox.retries, "netbox-retries", netbox.DefaultRetries, "retries of a failed NetBox request (5xx, 429, network errors, timeouts); 0 for none")
	fs.StringVar(&o.netbox.caFile, "netbox-ca-file", "", "PEM `file` of the certificate authorities trusted for NetBox's certificate")
	fs.StringVar(&o.filter, "filter", "", "host filter `expr`ession, e.g. 'site=ams1 and platform in [eos, junos]'")
	fs.StringVar(&o.out, "out", "backup-out", "git repository `dir`ectory the configurations are stored in")
	fs.IntVar(&o.workers, "workers", 100, "hosts backed up at the same time")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "time limit of each attempt on a host")
	fs.BoolVar(&o.onlyFailed, "only-failed", false, "back up only the hosts whose last backup failed or is older than -stale (per the store's status)")
	fs.DurationVar(&o.stale, "stale", 24*time.Hour, "age after which a host's last good backup counts as stale")
	fs.BoolVar(&o.dryRun, "dry-run", false, "fetch and compare the configurations, write and commit nothing")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON on stdout instead of the summary")
	redact := fs.String("redact", "all", "secret redaction: all (every secret, hashes included), reversible (only secrets that can be decrypted) or off")
	prog := fs.String("progress", "auto", "progress display on stderr: auto, bar, lines or off")
	fs.BoolVar(&o.verbose, "v", false, "debug logging to stderr")
	fs.IntVar(&o.fleet, "fleet", 200, "devices of the embedded simulated fleet (without -inventory)")
	fs.Float64Var(&o.faults, "faults", 0.05, "fraction of simulated devices that inject a fault (without -inventory)")
	plats := fs.String("platforms", "", "comma-separated platforms of the simulated fleet (default all five: cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the simulated fleet (names, configurations, faults)")
	fs.IntVar(&o.retries, "retries", 3, "attempts per host, the first included (1: no retries)")
	fs.BoolVar(&o.retryTO, "retry-timeouts", false, "retry hosts whose attempt timed out too (by default a device that did not answer within -timeout is not tried again in this run)")
	fs.DurationVar(&o.retryWait, "retry-wait", 500*time.Millisecond, "wait before the first retry (doubles, with jitter)")
	fs.BoolVar(&o.breaker, "breaker", true, "stop logging in after 3 consecutive authentication failures (circuit breaker; -breaker=false to turn off)")
	fs.Float64Var(&o.loginRate, "login-rate", 0, "cap on new logins per second, to spare a TACACS/RADIUS server (0: no cap)")
	fs.IntVar(&o.showFail, "show-failed", 20, "failed hosts listed in the summary (all of them are in the store's status.json)")
	fs.StringVar(&o.alert.alertmanagerURL, "alertmanager-url", "", "raise an Alertmanager alert per failed host, resolved when it next succeeds (Alertmanager's base `URL`)")
	fs.StringVar(&o.alert.webhookURL, "webhook-url", "", "post a JSON event per failed host and a run summary to this `URL`")
	fs.StringVar(&o.alert.webhookSecret, "webhook-secret", "", "sign -webhook-url posts (Standard Webhooks, \"whsec_...\"); default $"+webhookSecretEnv+", which keeps it out of the process list")
	fs.StringVar(&o.alert.slackURL, "slack-url", "", "post the run summary to this Slack incoming-webhook `URL`")
	fs.StringVar(&o.alert.metricsListen, "metrics-listen", "", "serve Prometheus metrics on this `address` (e.g. 127.0.0.1:9469) at /metrics while the run lasts")
	fs.StringVar(&o.alert.pushgatewayURL, "pushgateway-url", "", "push Prometheus metrics (job norn_backup) to this Pushgateway `URL` at the end of the run")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to `file`")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile to `file` at the end of the run")
	fullUsage := func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: backup [flags]\n\n")
		fmt.Fprintf(w, "Backs up the running configuration of every selected device into a git repository.\n")
		fmt.Fprintf(w, "Without -inventory it starts a simulated fleet on 127.0.0.1.\n\n")
		fs.VisitAll(func(f *flag.Flag) {
			if hiddenFlags[f.Name] {
				return
			}
			name, usage := flag.UnquoteUsage(f)
			line := "  -" + f.Name
			if name != "" {
				line += " " + name
			}
			fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(w)
		})
		fmt.Fprintf(w, "\nExit status: 0 all hosts backed up, 1 some host failed or did not run, 2 bad usage or setup error.\n")
	}
	help := fs.Bool("h", false, "show this help")
	fs.BoolVar(help, "help", false, "show this help")
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "Run 'backup -h' for the flags.\n") }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage // flag printed the problem
	}
	if *help {
		fullUsage()
		return nil, flag.ErrHelp
	}
	bad := func(format string, a ...any) (*options, error) {
		fmt.Fprintf(stderr, "backup: "+format+"\n", a...)
		fmt.Fprintf(stderr, "Run 'backup -h' for the flags.\n")
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q (every setting is a flag)", fs.Arg(0))
	}
	var err error
	if o.redact, err = backup.ParseRedactLevel(*redact); err != nil {
		return bad("-redact: %v", err)
	}
	switch strings.ToLower(*prog) {
	case "auto":
		o.progress = progress.Auto
	case "bar":
		o.progress = progress.Bar
	case "lines":
		o.progress = progress.Lines
	case "off", "none":
		o.progress = progress.Off
	default:
		return bad("-progress %q: want auto, bar, lines or off", *prog)
	}
	switch {
	case o.workers < 1:
		return bad("-workers %d: want at least 1", o.workers)
	case o.timeout < 0:
		return bad("-timeout %s: want 0 (none) or more", o.timeout)
	case o.stale <= 0:
		return bad("-stale %s: want a positive duration", o.stale)
	case o.retries < 1:
		return bad("-retries %d: want at least 1 (1 turns retries off)", o.retries)
	case o.retryWait < 0:
		return bad("-retry-wait %s: want 0 or more", o.retryWait)
	case o.loginRate < 0:
		return bad("-login-rate %g: want 0 (no cap) or more", o.loginRate)
	case o.showFail < 0:
		return bad("-show-failed %d: want 0 or more", o.showFail)
	case strings.TrimSpace(o.out) == "":
		return bad("-out: empty directory name")
	}
	if o.inventory != "" && o.netbox.url != "" {
		return bad("-inventory and -netbox-url: choose one inventory")
	}
	switch {
	case o.netbox.timeout <= 0:
		return bad("-netbox-timeout %s: want more than 0", o.netbox.timeout)
	case o.netbox.retries < 0:
		return bad("-netbox-retries %d: want 0 or more", o.netbox.retries)
	}
	if o.netbox.url == "" {
		for name, v := range map[string]string{"-netbox-token-file": o.netbox.tokenFile, "-netbox-groups": o.netbox.groups,
			"-netbox-defaults": o.netbox.defaults, "-netbox-params": o.netbox.params, "-netbox-ca-file": o.netbox.caFile, "-netbox-platforms": o.netbox.platforms} {
			if v != "" {
				return bad("%s needs -netbox-url", name)
			}
		}
	}
	if o.simulated() {
		if o.fleet < 1 {
			return bad("-fleet %d: want at least 1 device", o.fleet)
		}
		if o.faults < 0 || o.faults > 1 {
			return bad("-faults %g: want a fraction between 0 and 1", o.faults)
		}
		for _, p := range strings.Split(*plats, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			pl, err := devsim.ParsePlatform(p)
			if err != nil {
				return bad("-platforms: %v", err)
			}
			o.platforms = append(o.platforms, pl)
		}
	}
	return o, nil
}

// simulated reports whether the run backs up the embedded simulated fleet.
func (o *options) simulated() bool { return o.inventory == "" && o.netbox.url == "" }
