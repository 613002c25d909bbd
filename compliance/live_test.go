package compliance_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/compliance"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/plugins/scrapli/scraplitest"
	"github.com/gonorn/norn/runner"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTaskLive checks live devices over real SSH (devsim) through the runner: IOS-XE devices
// carry a read-write SNMP community (devsim's generator writes one), so they fail; the
// others pass; hooks see the failures.
func TestTaskLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated fleet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lab := scraplitest.StartFleet(t, ctx, devsim.FleetConfig{N: 5, Seed: 2, ConfigSize: 6 << 10})
	inv, reg := lab.Inventory, lab.Registry
	var mu sync.Mutex
	failed := map[string]string{}
	r, err := runner.New(runner.Config{Inventory: inv, Connections: reg, Workers: 5, Hooks: []hooks.Hook{
		hooks.TaskFailedFunc(func(_ context.Context, e *hooks.Event) {
			mu.Lock()
			failed[e.Host.Name] = e.Result.Err.Error()
			mu.Unlock()
		}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	rs := loadRules(t)
	res, err := r.Run(ctx, "compliance", compliance.Task(rs))
	if err != nil {
		t.Fatal(err)
	}
	for hr := range res.All() {
		h, _ := inv.Host(hr.Host)
		results, _ := hr.Value.([]compliance.Result)
		if len(results) != len(rs.Rules) {
			t.Errorf("%s: %d results (err %v)", hr.Host, len(results), hr.Err)
			continue
		}
		var nc *compliance.NonCompliantError
		isNC := errors.As(hr.Err, &nc)
		switch h.Platform() {
		case "cisco_iosxe":
			if !isNC || !strings.Contains(failed[hr.Host], "no-snmp-write-community (critical)") || hr.Attempts != 1 {
				t.Errorf("%s: err %v, hook saw %q, attempts %d", hr.Host, hr.Err, failed[hr.Host], hr.Attempts)
			}
		default:
			if hr.Err != nil {
				t.Errorf("%s (%s): %v", hr.Host, h.Platform(), hr.Err)
			}
		}
	}
}

// recorder is a hook chain's view of Emit.
type recorder struct {
	mu         sync.Mutex
	ok, failed []string
	start, end int
	summary    hooks.Summary
}

func TestEmit(t *testing.T) {
	rs := loadRules(t)
	rep := &compliance.Report{Rules: rs.File, Source: "test"}
	rep.Results = append(rep.Results, rs.Check(compliance.Target{Host: "edge1", Platform: "cisco_iosxe"}, iosConfig)...)
	rep.Results = append(rep.Results, rs.Check(compliance.Target{Host: "j1", Platform: "junos"}, junosConfig)...)
	rep.Errors = []compliance.HostError{{Host: "gone", Err: "unreadable"}}
	var rec recorder
	chain, err := hooks.NewChain(zerolog.Nop(),
		hooks.TaskOKFunc(func(_ context.Context, e *hooks.Event) {
			rec.mu.Lock()
			rec.ok = append(rec.ok, e.Host.Name+" "+e.Task)
			rec.mu.Unlock()
		}),
		hooks.TaskFailedFunc(func(_ context.Context, e *hooks.Event) {
			rec.mu.Lock()
			rec.failed = append(rec.failed, e.Host.Name+" "+e.Task+": "+e.Result.Err.Error())
			rec.mu.Unlock()
		}),
		hooks.RunStartFunc(func(context.Context, *hooks.RunEvent) { rec.start++ }),
		hooks.RunEndFunc(func(_ context.Context, e *hooks.RunEvent) { rec.end++; rec.summary = e.Summary }),
	)
	if err != nil {
		t.Fatal(err)
	}
	compliance.Emit(context.Background(), chain, "compliance", rep, nil)
	wantFailed := []string{
		`edge1 compliance/vty-ssh-only: host edge1: compliance rule vty-ssh-only (high) failed: line vty 5 15: missing "transport input ssh" (and 1 more)`,
		`edge1 compliance/no-snmp-write-community: host edge1: compliance rule no-snmp-write-community (critical) failed: forbidden line "snmp-server community private RW" (matches "^snmp-server community \\S+ (RW|rw)\\b")`,
		`gone compliance: host gone: unreadable`,
	}
	if strings.Join(rec.failed, "\n") != strings.Join(wantFailed, "\n") {
		t.Errorf("failed events:\n%s\nwant\n%s", strings.Join(rec.failed, "\n"), strings.Join(wantFailed, "\n"))
	}
	// Applicable rules only: 5 passing on edge1 (core-bgp-logging is skipped without
	// groups), 2 on j1.
	if len(rec.ok) != 6 || rec.start != 1 || rec.end != 1 || rec.summary.OK != 1 || rec.summary.Failed != 2 {
		t.Errorf("ok %q, run start %d end %d, summary %+v", rec.ok, rec.start, rec.end, rec.summary)
	}
}
