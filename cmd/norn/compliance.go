package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/compliance"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/alertmanager"
	"github.com/gonorn/norn/hooks/metrics"
	"github.com/gonorn/norn/inventory"
)

const complianceUsage = `usage: norn compliance -rules FILE [flags]

Checks the configurations stored by 'norn backup' against compliance rules, offline: no device
is contacted. Each rule applies to some platforms (and inventory groups); a rule that does not
apply to a host is skipped, not failed. The report lists the failures per host and rule (text,
JSON or JUnit XML); failures can raise Alertmanager alerts and Prometheus metrics, one per host
and rule.

Platforms come from -inventory, else from the store's status (.git/norn-status.json, the
platform at each host's last backup), else are detected from the configurations. Exit status: 0
when no rule failed (at or above -fail-on), 1 when some rule failed or a configuration could not
be read, 2 on bad usage or setup errors (rule file errors name file:line:col).

examples:
  norn compliance -rules rules.yaml                      # ./backup-out, work tree
  norn compliance -rules rules.yaml -out /srv/backups -rev HEAD~7 -format junit > compliance.xml
  norn compliance -rules rules.yaml -inventory ./inv -filter 'site=ams1' -junit report.xml

flags:
`

// complianceCmd is 'norn compliance'.
func complianceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compliance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, complianceUsage)
		fs.PrintDefaults()
	}
	rulesFile := fs.String("rules", "", "compliance rules `file` (YAML); required")
	out := fs.String("out", "backup-out", "backup repository `dir`ectory (norn backup's -out)")
	rev := fs.String("rev", "", "git `revision` of the repository to check (HEAD, a commit, HEAD~7); default: the work tree's configs/, what the last backup wrote")
	invDir := fs.String("inventory", "", "Nornir SimpleInventory `dir`ectory: platforms, groups and -filter from it (stored hosts it does not list are not checked; hosts it lists without a stored configuration are reported)")
	filterExpr := fs.String("filter", "", "host filter `expr`ession, e.g. 'platform in [eos, junos]' or 'site=ams1' (with -inventory)")
	format := fs.String("format", "text", "report on stdout: text, json or junit")
	all := fs.Bool("all", false, "text report: list passed and skipped rules too")
	junitFile := fs.String("junit", "", "also write a JUnit XML report to `file` (for CI)")
	jsonFile := fs.String("json", "", "also write a JSON report to `file`")
	failOn := fs.String("fail-on", "info", "lowest `severity` that makes the exit status 1: info, low, medium, high, critical")
	workers := fs.Int("workers", 0, "configurations checked at once (default: the number of CPUs)")
	amURL := fs.String("alertmanager-url", "", "raise an Alertmanager alert per host and failed rule, resolved when it next passes (Alertmanager's base `URL`)")
	pushURL := fs.String("pushgateway-url", "", "push Prometheus metrics (job norn_compliance) to this Pushgateway `URL`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "norn compliance: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case *rulesFile == "":
		return bad("-rules: a rules file is required")
	case !slices.Contains([]string{"text", "json", "junit"}, *format):
		return bad("-format %q: want text, json or junit", *format)
	}
	minSev, err := compliance.ParseSeverity(*failOn)
	if err != nil {
		return bad("-fail-on: %v", err)
	}
	rs, err := compliance.Load(*rulesFile)
	if err != nil {
		return bad("%v", err)
	}
	if _, err := os.Stat(*out); err != nil {
		return bad("-out: %v", err)
	}
	var filter inventory.Filter
	if *filterExpr != "" {
		if filter, err = inventory.ParseFilter(*filterExpr); err != nil {
			return bad("-filter: %v", err)
		}
	}

	// The hosts: the inventory's, or one per stored configuration with the platform the store
	// recorded, so that -filter works on names and platforms without an inventory.
	var inv *inventory.Inventory
	cfg := compliance.StoreConfig{Dir: *out, Rev: *rev, Workers: *workers}
	if *invDir != "" {
		inv, err = inventory.LoadDir(ctx, *invDir)
		if err != nil {
			return bad("-inventory: %v", err)
		}
		cfg.Platform = func(h string) string {
			if host, ok := inv.Host(h); ok {
				return host.Platform()
			}
			return ""
		}
		cfg.InGroup = func(h, g string) bool {
			host, ok := inv.Host(h)
			return ok && host.InGroup(g)
		}
	} else {
		plats, err := compliance.StoredPlatforms(*out)
		if err != nil {
			return bad("-out: %v", err)
		}
		var hs []*inventory.Host
		for name, p := range plats {
			hs = append(hs, &inventory.Host{Name: name, Attrs: inventory.Attrs{Platform: p}})
		}
		inv = inventory.New(hs, nil, nil)
	}
	skippedHosts := 0
	cfg.Hosts = func(name string) bool {
		h, ok := inv.Host(name)
		if !ok {
			if *invDir != "" {
				skippedHosts++ // only the reading goroutine calls Hosts
				return false
			}
			h = &inventory.Host{Name: name}
		}
		return filter == nil || filter(h)
	}

	rep, err := rs.CheckStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "norn compliance: %v\n", err)
		if ctx.Err() != nil {
			return exitFailed
		}
		return exitUsage
	}
	if *invDir != "" {
		// A selected host without a stored configuration is a gap in the audit: report it.
		seen := map[string]bool{}
		for _, r := range rep.Results {
			seen[r.Host] = true
		}
		for _, e := range rep.Errors {
			seen[e.Host] = true
		}
		for _, h := range inv.Hosts() {
			if !seen[h.Name] && (filter == nil || filter(h)) {
				rep.Errors = append(rep.Errors, compliance.HostError{Host: h.Name, Err: "no stored configuration in " + *out})
			}
		}
		rep.Sort()
	}
	if len(rep.Results) == 0 && len(rep.Errors) == 0 {
		return bad("no stored configuration selected in %s (-filter %q)", *out, *filterExpr)
	}

	switch *format {
	case "json":
		err = rep.WriteJSON(stdout)
	case "junit":
		err = rep.WriteJUnit(stdout)
	default:
		err = rep.WriteText(stdout, *all)
	}
	if err != nil {
		fmt.Fprintf(stderr, "norn compliance: %v\n", err)
		return exitFailed
	}
	for _, f := range []struct {
		flag, path string
		write      func(io.Writer) error
	}{{"-junit", *junitFile, rep.WriteJUnit}, {"-json", *jsonFile, rep.WriteJSON}} {
		if f.path == "" {
			continue
		}
		if err := writeFileAtomic(f.path, f.write); err != nil {
			fmt.Fprintf(stderr, "norn compliance: %s: %v\n", f.flag, err)
			return exitFailed
		}
	}
	if skippedHosts > 0 {
		fmt.Fprintf(stderr, "norn compliance: %d stored configurations of hosts not in -inventory were not checked\n", skippedHosts)
	}

	if *amURL != "" || *pushURL != "" {
		if err := emitCompliance(ctx, rep, inv, *amURL, *pushURL, stderr); err != nil {
			fmt.Fprintf(stderr, "norn compliance: %v\n", err)
			return exitFailed
		}
	}
	if rep.Failed(minSev) {
		return exitFailed
	}
	return exitOK
}

// emitCompliance feeds the report to the Alertmanager and metrics hooks and flushes them.
func emitCompliance(ctx context.Context, rep *compliance.Report, inv *inventory.Inventory, amURL, pushURL string, stderr io.Writer) error {
	log := zerolog.New(stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	var hs []hooks.Hook
	var closers []func(context.Context) error
	if amURL != "" {
		h, err := alertmanager.New(alertmanager.Config{URL: amURL, AlertName: "NornComplianceFailed", Logger: log})
		if err != nil {
			return fmt.Errorf("-alertmanager-url: %w", err)
		}
		hs = append(hs, h)
		closers = append(closers, h.Close)
	}
	if pushURL != "" {
		h, err := metrics.New(metrics.Config{PushURL: pushURL, PushJob: "norn_compliance", Logger: log})
		if err != nil {
			return fmt.Errorf("-pushgateway-url: %w", err)
		}
		hs = append(hs, h)
		closers = append(closers, h.Close)
	}
	chain, err := hooks.NewChain(log, hs...)
	if err != nil {
		return err
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	compliance.Emit(fctx, chain, "compliance", rep, func(name string) *inventory.Host {
		h, _ := inv.Host(name)
		return h
	})
	var errs []error
	for _, c := range closers {
		if err := c(fctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// writeFileAtomic writes a report file through a temporary file renamed into place.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".norn-report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
