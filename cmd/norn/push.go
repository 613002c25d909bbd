package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup/gitstore"
	"github.com/gonorn/norn/tasks/rollout"
)

const pushAbout = `Changes the configuration of the selected hosts safely (package tasks/rollout): per host a
checkpoint of the running configuration, pre-checks, the lines not yet on the device (a dry run
stops here and prints them), the change with the platform's own safety net (Junos and IOS-XR
commit confirmed, EOS configure session with commit timer, NX-OS checkpoint, IOS-XE archive and
configure replace), post-checks, and on any failure a rollback verified against the checkpoint.
Hosts already in the intended state are left alone. Hosts run in canary batches: -canary hosts
first, then batches doubling in size (at most -batch-size); the first batch with a failed host
stops the rollout, and every host after it is reported not run.

The lines come from -lines FILE (the same lines for every host) or -template FILE (Go
text/template over .Host, .Hostname, .Platform, .Data, and 'get "key"' through groups and
defaults), rendered and printed per host before anything is sent. Write child lines indented
under their section line, as the running configuration shows them.

Exit status: 0 every host changed or already in the intended state (or, with -dry-run, checked);
1 some host failed, was rolled back, FAILED TO ROLL BACK, or did not run; 2 bad usage or setup.`

const pushExamples = `
norn push -inventory ./inv -filter 'platform=cisco_iosxe' -lines ntp.txt -dry-run
norn push -inventory ./inv -filter 'site=ams1' -template snmp.tmpl -post-check 'show ntp status::synchronised'
norn push -inventory ./inv -lines ntp.txt -canary 2 -batch-size 50 -json > push.json`

// checkFlag collects -pre-check / -post-check values: 'COMMAND::TEXT' (the output must contain
// TEXT) or 'COMMAND::!TEXT' (it must not).
type checkFlag struct{ checks []rollout.Check }

func (c *checkFlag) String() string { return "" }

func (c *checkFlag) Set(v string) error {
	cmd, text, ok := strings.Cut(v, "::")
	cmd, text = strings.TrimSpace(cmd), strings.TrimSpace(text)
	if !ok || cmd == "" || text == "" || text == "!" {
		return errors.New("want 'COMMAND::TEXT' (output contains TEXT) or 'COMMAND::!TEXT' (does not)")
	}
	ch := rollout.Check{Name: v, Command: cmd, Contains: text}
	if rest, neg := strings.CutPrefix(text, "!"); neg {
		ch.Contains, ch.NotContains = "", rest
	}
	c.checks = append(c.checks, ch)
	return nil
}

// pushHost is one host's outcome in 'norn push' output.
type pushHost struct {
	Host         string          `json:"host"`
	Batch        int             `json:"batch,omitempty"` // 1-based; 0: not run
	Status       string          `json:"status"`          // ok, failed, not_run
	Outcome      rollout.Outcome `json:"outcome,omitempty"`
	Method       string          `json:"method,omitempty"`
	Class        tasks.Class     `json:"class,omitempty"`
	Error        string          `json:"error,omitempty"`
	Lines        []string        `json:"lines,omitempty"`
	Diff         string          `json:"diff,omitempty"`
	RollbackDiff string          `json:"rollback_diff,omitempty"`
	RolledBackBy string          `json:"rolled_back_by,omitempty"`
	Duration     float64         `json:"duration_seconds"`
}

// pushReport is 'norn push -json”s document.
type pushReport struct {
	DryRun  bool           `json:"dry_run"`
	Batches []int          `json:"batches"`
	Stopped string         `json:"stopped,omitempty"`
	Counts  map[string]int `json:"counts"`
	Hosts   []pushHost     `json:"hosts"`
}

// pushCmd is 'norn push [flags] -lines FILE | -template FILE'.
func pushCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	c := newCommand("push", "[flags] -lines FILE | -template FILE", pushAbout, pushExamples, stderr)
	c.configFlags()
	c.inventoryFlags()
	linesFile := c.fs.String("lines", "", "`file` of configuration lines to push to every selected host")
	tplFile := c.fs.String("template", "", "Go text/template `file` rendered per host into the lines to push")
	dryRun := c.fs.Bool("dry-run", false, "print each host's pending lines and change nothing")
	asJSON := c.fs.Bool("json", false, "print the results as JSON on stdout")
	canary := c.fs.Int("canary", 1, "hosts in the first batch")
	batchSize := c.fs.Int("batch-size", 0, "largest batch after the canary (0: batches keep doubling)")
	ckptOut := c.fs.String("checkpoint-out", "", "backup repository `dir`ectory where each host's checkpoint is stored (and committed) like a backup before the change")
	confirm := c.fs.Duration("confirm-timeout", 5*time.Minute, "how long a device keeps an unconfirmed change (commit confirmed, commit timer) before it rolls back by itself; -timeout is raised to this plus 2m")
	var pre, post checkFlag
	c.fs.Var(&pre, "pre-check", "`COMMAND::TEXT` whose output must contain TEXT (::!TEXT: must not) before the change; repeatable")
	c.fs.Var(&post, "post-check", "`COMMAND::TEXT` checked after the change, before it is confirmed; a failure rolls back; repeatable")
	c.runnerFlags()
	c.alertFlags()
	if err := c.parse(args); err != nil {
		return exitCode(err)
	}
	switch {
	case c.fs.NArg() > 0:
		c.bad("unexpected argument %q (the lines come from -lines or -template)", c.fs.Arg(0))
		return exitUsage
	case (*linesFile == "") == (*tplFile == ""):
		c.bad("give exactly one of -lines FILE and -template FILE")
		return exitUsage
	case *canary < 1:
		c.bad("-canary %d: want at least 1", *canary)
		return exitUsage
	case *batchSize < 0:
		c.bad("-batch-size %d: want 0 (no cap) or more", *batchSize)
		return exitUsage
	case *confirm < time.Second:
		c.bad("-confirm-timeout %s: want at least 1s", *confirm)
		return exitUsage
	}
	cfg, err := c.load()
	if err != nil {
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "norn push: "+format+"\n", a...)
		return exitUsage
	}
	rcfg := rollout.Config{PreChecks: pre.checks, PostChecks: post.checks, ConfirmTimeout: *confirm}
	if *linesFile != "" {
		b, err := os.ReadFile(*linesFile)
		if err != nil {
			return fail("-lines: %v", err)
		}
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, strings.TrimRight(l, " \t\r"))
			}
		}
		if len(lines) == 0 {
			return fail("-lines %s: no configuration lines", *linesFile)
		}
		rcfg.Lines = func(*inventory.Host) ([]string, error) { return lines, nil }
	} else {
		b, err := os.ReadFile(*tplFile)
		if err != nil {
			return fail("-template: %v", err)
		}
		if rcfg.Template, err = rollout.ParseTemplate(*tplFile, string(b)); err != nil {
			return fail("-template: %v", err)
		}
	}
	var store *gitstore.Store
	if *ckptOut != "" && !*dryRun {
		if store, err = gitstore.Open(gitstore.Config{Dir: *ckptOut}); err != nil {
			return fail("-checkpoint-out %s: %v", *ckptOut, err)
		}
		if store.Busy() {
			return fail("-checkpoint-out %s: %v; wait for it to end", *ckptOut, gitstore.ErrBusy)
		}
		rcfg.OnCheckpoint = func(_ context.Context, host, config string) error {
			_, _, err := store.Put(host, []byte(config))
			return err
		}
	}
	task, err := rollout.New(rcfg)
	if err != nil {
		return fail("%v", err)
	}
	filter, err := parseFilter(c.filter)
	if err != nil {
		return fail("%v", err)
	}
	// A host may wait for its device's own rollback (up to the confirm window and a minute): a
	// shorter per-host timeout would cut that wait and leave the rollback unverified.
	if least := *confirm + 2*time.Minute; cfg.Runner.Timeout > 0 && cfg.Runner.Timeout < least {
		cfg.Runner.Timeout = least
	}
	hr, err := setupHostRun(ctx, "push", cfg, stdout, stderr, !*asJSON, func(rc *runner.Config) {
		// The canary batches are push's own; each batch is one run.
		rc.BatchSize, rc.MaxFailRatio = 0, 0

	})
	if err != nil {
		return fail("%v", err)
	}
	defer hr.close(ctx, "push", stderr)
	inv, label, r := hr.inv, hr.label, hr.runner
	sel := r.Filter(filter)
	hosts := sel.Hosts()
	if len(hosts) == 0 {
		return fail("-filter %q selects none of the %d hosts of %s", c.filter, inv.Len(), label)
	}
	if rcfg.Template != nil {
		// Render every host's lines first: a template error stops everything before any change,
		// and people see what will be sent.
		for _, hst := range hosts {
			lines, err := rcfg.Template.Render(hst, hst.Platform())
			if err != nil {
				return fail("-template: %v", err)
			}
			if !*asJSON {
				fmt.Fprintf(stdout, "---- %s: rendered from %s\n%s\n", hst.Name, *tplFile, strings.Join(lines, "\n"))
			}
		}
	}
	sizes := rollout.CanaryBatches(len(hosts), *canary, *batchSize)
	verb := "pushing to"
	if *dryRun {
		verb = "dry run on"
	}
	fmt.Fprintf(stderr, "%s %d hosts of %s in %d batches %v: %s\n", verb, len(hosts), label, len(sizes), sizes, cfg.Runner.Describe())

	rep := pushReport{DryRun: *dryRun, Batches: sizes, Counts: map[string]int{}}
	results := make([]pushHost, len(hosts))
	for i, hst := range hosts {
		results[i] = pushHost{Host: hst.Name, Status: "not_run", Outcome: "not_run"}
	}
	order := make(map[string]int, len(hosts))
	for i, hst := range hosts {
		order[hst.Name] = i
	}
	start := 0
	for b, size := range sizes {
		if ctx.Err() != nil {
			rep.Stopped = "interrupted"
			break
		}
		batch := map[string]bool{}
		for _, hst := range hosts[start : start+size] {
			batch[hst.Name] = true
		}
		failed := 0
		for res := range sel.Filter(func(h *inventory.Host) bool { return batch[h.Name] }).Stream(ctx, "push", task, runner.DryRun(*dryRun)) {
			ph := newPushHost(res, b+1)
			results[order[res.Host]] = ph
			if ph.Status != "ok" {
				failed++
			}
			if !*asJSON {
				ph.writeText(stdout)
			}
		}
		start += size
		if failed > 0 && start < len(hosts) {
			rep.Stopped = fmt.Sprintf("batch %d of %d had %d failed host(s) of %d: the remaining %d hosts were not run", b+1, len(sizes), failed, size, len(hosts)-start)
			break
		}
	}
	if store != nil {
		info, err := store.Commit("norn push: configurations before the change")
		if err != nil {
			fmt.Fprintf(stderr, "norn push: -checkpoint-out %s: %v\n", *ckptOut, err)
		} else if info.Hash != "" {
			fmt.Fprintf(stderr, "checkpoints committed to %s (%s)\n", *ckptOut, info.Hash)
		}
	}
	var rollbackFailed []string
	for _, ph := range results {
		rep.Counts[string(ph.Outcome)]++
		if ph.Outcome == rollout.RollbackFailed {
			rollbackFailed = append(rollbackFailed, ph.Host)
		}
	}
	rep.Hosts = results
	if *asJSON {
		if code := writeJSON(stdout, stderr, rep); code != exitOK {
			return code
		}
	}
	if rep.Stopped != "" {
		fmt.Fprintf(stderr, "norn push: stopped: %s\n", rep.Stopped)
	}
	fmt.Fprintf(stderr, "%d hosts: %s\n", len(hosts), countsLine(rep.Counts))
	if len(rollbackFailed) > 0 {
		fmt.Fprintf(stderr, "norn push: ROLLBACK FAILED on %d host(s), which are neither in their old nor in the intended state: %s\n",
			len(rollbackFailed), strings.Join(rollbackFailed, ", "))
	}
	for _, ph := range results {
		if ph.Status != "ok" {
			return exitFailed
		}
	}
	if ctx.Err() != nil {
		return exitFailed
	}
	return exitOK
}

// countsLine prints the outcome counts in a fixed order.
func countsLine(counts map[string]int) string {
	var parts []string
	for _, o := range []string{string(rollout.Changed), string(rollout.Unchanged), string(rollout.WouldChange),
		string(rollout.RolledBack), string(rollout.RollbackFailed), string(rollout.NotChanged), "failed", "not_run"} {
		if n := counts[o]; n > 0 || o == string(rollout.Changed) || o == "not_run" {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	return strings.Join(parts, ", ")
}

func newPushHost(res tasks.Result, batch int) pushHost {
	ph := pushHost{Host: res.Host, Batch: batch, Duration: res.Duration.Seconds()}
	switch res.Status {
	case tasks.StatusOK:
		ph.Status = "ok"
	case tasks.StatusNotRun:
		ph.Status, ph.Outcome = "not_run", "not_run"
	default:
		ph.Status, ph.Outcome = "failed", "failed"
	}
	if res.Err != nil {
		ph.Class, ph.Error = tasks.Classify(res.Err), oneLine(res.Err)
	}
	if rep, ok := res.Value.(rollout.Report); ok {
		if rep.Outcome != "" {
			ph.Outcome = rep.Outcome
		}
		ph.Method, ph.Lines, ph.RollbackDiff, ph.RolledBackBy = rep.Method, rep.Lines, rep.RollbackDiff, rep.RolledBackBy
	}
	ph.Diff = res.Diff
	return ph
}

// writeText prints the host's block: a header line, then its diff.
func (ph pushHost) writeText(w io.Writer) {
	var b strings.Builder
	out := strings.ToUpper(strings.ReplaceAll(string(ph.Outcome), "_", " "))
	fmt.Fprintf(&b, "==== %s %s", ph.Host, out)
	if ph.Method != "" {
		fmt.Fprintf(&b, " (%s)", ph.Method)
	}
	if ph.Error != "" {
		fmt.Fprintf(&b, " [%s]: %s", ph.Class, ph.Error)
	}
	b.WriteByte('\n')
	if ph.Diff != "" {
		b.WriteString(ph.Diff)
		if !strings.HasSuffix(ph.Diff, "\n") {
			b.WriteByte('\n')
		}
	}
	if ph.RollbackDiff != "" {
		b.WriteString("---- the device differs from its checkpoint:\n" + ph.RollbackDiff)
		if !strings.HasSuffix(ph.RollbackDiff, "\n") {
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(w, b.String()) // one write per host: blocks do not interleave
}
