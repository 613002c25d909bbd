package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli/scraplitest"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/rollout"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lab is a fleet of one device per platform, with commit-confirmed timers running 50x faster
// than real time (a 2-minute confirm window lasts 2.4 s).
type lab struct {
	fleet *devsim.Fleet
	inv   *inventory.Inventory
	reg   *connection.Registry
}

func startLab(t *testing.T) *lab {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a simulated fleet")
	}
	f := scraplitest.StartFleet(t, context.Background(), devsim.FleetConfig{N: 5, Seed: 13, ConfigSize: 4 << 10, ConfirmUnit: 20 * time.Millisecond})
	return &lab{fleet: f.Fleet, inv: f.Inventory, reg: f.Registry}
}

func (l *lab) run(t *testing.T, cfg rollout.Config, opts ...runner.RunOption) map[string]tasks.Result {
	t.Helper()
	if cfg.ConfirmTimeout == 0 {
		cfg.ConfirmTimeout = 2 * time.Minute
	}
	cfg.Poll = 50 * time.Millisecond
	fn, err := rollout.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(runner.Config{Inventory: l.inv, Connections: l.reg, Workers: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, "rollout", fn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	out := res.ByHost()
	for name, r := range out {
		rep, _ := r.Value.(rollout.Report)
		t.Logf("%s (%s, %s): %s by %q: %v", name, rep.Platform, rep.Method, rep.Outcome, rep.RolledBackBy, r.Err)
	}
	return out
}

// location returns the lines that set the SNMP location (or the Junos system location) to v.
func location(v string) func(h *inventory.Host) ([]string, error) {
	return func(h *inventory.Host) ([]string, error) {
		if h.Platform() == "juniper_junos" {
			return []string{"set system location building " + v}, nil
		}
		return []string{"snmp-server location " + v}, nil
	}
}

func report(t *testing.T, r tasks.Result) rollout.Report {
	t.Helper()
	rep, ok := r.Value.(rollout.Report)
	if !ok {
		t.Fatalf("%s: Value is %T (err %v)", r.Host, r.Value, r.Err)
	}
	return rep
}

var failingCheck = rollout.Check{Name: "version-is-99", Command: "show version", Contains: "Version 99.9"}
var passingCheck = rollout.Check{Command: "show version", Func: func(_ context.Context, out string) error {
	if len(out) < 50 {
		return fmt.Errorf("short show version: %q", out)
	}
	return nil
}}

func TestRolloutAllPlatforms(t *testing.T) {
	l := startLab(t)
	before := map[string]string{}
	for _, d := range l.fleet.Devices() {
		before[d.Name()] = d.RunningConfig()
	}

	// dry run: the diff per host, nothing sent
	res := l.run(t, rollout.Config{Lines: location("norn-a1")}, runner.DryRun(true))
	for name, r := range res {
		rep := report(t, r)
		if r.Err != nil || rep.Outcome != rollout.WouldChange || !strings.Contains(r.Diff, "+ ") || !strings.Contains(r.Diff, "norn-a1") {
			t.Errorf("%s dry run: err %v outcome %s diff %q", name, r.Err, rep.Outcome, r.Diff)
		}
		d, _ := l.fleet.Device(name)
		if strings.Contains(d.RunningConfig(), "norn-a1") {
			t.Errorf("%s: dry run changed the device", name)
		}
	}

	// the change, with pre- and post-checks that pass
	res = l.run(t, rollout.Config{Lines: location("norn-a1"), PreChecks: []rollout.Check{passingCheck}, PostChecks: []rollout.Check{passingCheck}})
	changes := map[string]int64{}
	for name, r := range res {
		rep := report(t, r)
		d, _ := l.fleet.Device(name)
		if r.Err != nil || rep.Outcome != rollout.Changed || !r.Changed || !strings.Contains(r.Diff, "norn-a1") {
			t.Errorf("%s (%s): err %v outcome %s changed %v diff %q", name, rep.Platform, r.Err, rep.Outcome, r.Changed, r.Diff)
		}
		if !strings.Contains(d.RunningConfig(), "norn-a1") || d.PendingConfirm() {
			t.Errorf("%s: change not on the device, or left unconfirmed", name)
		}
		if rep.Checkpoint == "" || rep.Method == "" {
			t.Errorf("%s: no checkpoint or method in the report", name)
		}
		changes[name] = d.Stats().ConfigChanges
	}

	// idempotent rerun: unchanged, nothing sent
	res = l.run(t, rollout.Config{Lines: location("norn-a1")})
	for name, r := range res {
		rep := report(t, r)
		d, _ := l.fleet.Device(name)
		if r.Err != nil || rep.Outcome != rollout.Unchanged || r.Changed {
			t.Errorf("%s rerun: err %v outcome %s", name, r.Err, rep.Outcome)
		}
		if got := d.Stats().ConfigChanges; got != changes[name] {
			t.Errorf("%s rerun: config changes %d -> %d", name, changes[name], got)
		}
	}

	// a failing post-check: rolled back, verified
	res = l.run(t, rollout.Config{Lines: location("norn-b2"), PostChecks: []rollout.Check{failingCheck}})
	for name, r := range res {
		rep := report(t, r)
		d, _ := l.fleet.Device(name)
		var ce *rollout.CheckError
		if rep.Outcome != rollout.RolledBack || !errors.Is(r.Err, rollout.ErrRolledBack) || tasks.Classify(r.Err) != rollout.ClassRolledBack || !errors.As(r.Err, &ce) {
			t.Errorf("%s (%s) post-check failure: outcome %s err %v class %s", name, rep.Platform, rep.Outcome, r.Err, tasks.Classify(r.Err))
		}
		cfg := d.RunningConfig()
		if strings.Contains(cfg, "norn-b2") || !strings.Contains(cfg, "norn-a1") || d.PendingConfirm() {
			t.Errorf("%s: not back at the checkpoint", name)
		}
	}
	_ = before
}

func TestRolloutRollbackFails(t *testing.T) {
	l := startLab(t)
	for _, d := range l.fleet.Devices() {
		d.SetFaults(devsim.Faults{FailRollback: true})
	}
	res := l.run(t, rollout.Config{Lines: location("norn-c3"), PostChecks: []rollout.Check{failingCheck}, ConfirmTimeout: 10 * time.Minute})
	for name, r := range res {
		rep := report(t, r)
		if rep.Outcome != rollout.RollbackFailed || !errors.Is(r.Err, rollout.ErrRollbackFailed) || tasks.Classify(r.Err) != rollout.ClassRollbackFailed ||
			!strings.Contains(r.Err.Error(), "ROLLBACK FAILED") || rep.RollbackDiff == "" {
			t.Errorf("%s (%s): outcome %s class %s err %v", name, rep.Platform, rep.Outcome, tasks.Classify(r.Err), r.Err)
		}
	}
}

// TestRolloutSessionLost drops the session right after the commit confirmed: the devices with
// a confirm timer (Junos, IOS-XR, EOS) restore the checkpoint by themselves and the task,
// reconnected, verifies it.
func TestRolloutSessionLost(t *testing.T) {
	l := startLab(t)
	timed := map[string]bool{}
	for _, d := range l.fleet.Devices() {
		switch d.Platform() {
		case devsim.JuniperJunos, devsim.CiscoIOSXR, devsim.AristaEOS:
			d.SetFaults(devsim.Faults{DropAfterCommit: true})
			timed[d.Name()] = true
		}
	}
	res := l.run(t, rollout.Config{Lines: location("norn-d4")})
	for name, r := range res {
		rep := report(t, r)
		d, _ := l.fleet.Device(name)
		if !timed[name] {
			if rep.Outcome != rollout.Changed {
				t.Errorf("%s: %s %v", name, rep.Outcome, r.Err)
			}
			continue
		}
		if rep.Outcome != rollout.RolledBack || rep.RolledBackBy != "device" || !errors.Is(r.Err, connection.ErrConnectionLost) {
			t.Errorf("%s (%s): outcome %s by %q err %v", name, rep.Platform, rep.Outcome, rep.RolledBackBy, r.Err)
		}
		if d.Stats().AutoRollbacks != 1 || strings.Contains(d.RunningConfig(), "norn-d4") {
			t.Errorf("%s: auto rollbacks %d", name, d.Stats().AutoRollbacks)
		}
	}
}

// TestRolloutIOSXEWithoutArchive: with no archive path, IOS-XE falls back to the line-by-line
// inverse, says so, and still verifies the rollback against the checkpoint.
func TestRolloutIOSXEWithoutArchive(t *testing.T) {
	l := startLab(t)
	var name string
	for _, d := range l.fleet.Devices() {
		if d.Platform() == devsim.CiscoIOSXE {
			name = d.Name()
			if err := d.Configure("no archive"); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(d.RunningConfig(), "\narchive\n") {
				t.Fatal("archive still configured")
			}
		}
	}
	lines := func(*inventory.Host) ([]string, error) {
		return []string{"snmp-server location inv-1", "snmp-server contact inv-noc", "interface Loopback55", " description inv-test"}, nil
	}
	fn, err := rollout.New(rollout.Config{Lines: lines, PostChecks: []rollout.Check{failingCheck}, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(runner.Config{Inventory: l.inv, Connections: l.reg, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Filter(func(h *inventory.Host) bool { return h.Name == name }).Run(context.Background(), "rollout", fn)
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := res.Get(name)
	rep := report(t, hr)
	if rep.Outcome != rollout.RolledBack || !strings.Contains(rep.Method, "line-by-line inverse") {
		t.Fatalf("outcome %s method %q err %v", rep.Outcome, rep.Method, hr.Err)
	}
	d, _ := l.fleet.Device(name)
	if cfg := d.RunningConfig(); strings.Contains(cfg, "inv-") || strings.Contains(cfg, "Loopback55") {
		t.Fatal("the inverse left lines behind")
	}
}

// TestRolloutRejectedLine: a line the device rejects fails the change at "apply"; what was
// applied before it is rolled back and verified (NX-OS, IOS-XE), or never reached the running
// configuration (EOS session, Junos and IOS-XR candidates).
func TestRolloutRejectedLine(t *testing.T) {
	l := startLab(t)
	res := l.run(t, rollout.Config{Lines: func(h *inventory.Host) ([]string, error) {
		if h.Platform() == "juniper_junos" {
			return []string{"set system location building rej1", "set bogus-statement x"}, nil
		}
		return []string{"snmp-server location rej1", "frobnicate the router"}, nil
	}})
	for name, r := range res {
		rep := report(t, r)
		var e *rollout.Error
		if rep.Outcome != rollout.RolledBack || !errors.As(r.Err, &e) || e.Stage != "apply" || !errors.Is(r.Err, connection.ErrCommandFailed) {
			t.Errorf("%s (%s): %s %v", name, rep.Platform, rep.Outcome, r.Err)
		}
		d, _ := l.fleet.Device(name)
		if strings.Contains(d.RunningConfig(), "rej1") {
			t.Errorf("%s: the lines before the rejected one are still there", name)
		}
	}
}
