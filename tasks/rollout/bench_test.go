package rollout_test

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks/rollout"
)

// fiveLines are a 5-line change per platform.
func fiveLines(tag string) func(h *inventory.Host) ([]string, error) {
	return func(h *inventory.Host) ([]string, error) {
		if h.Platform() == "juniper_junos" {
			return []string{"set system location building " + tag, "set system location floor f" + tag,
				"set snmp location " + tag, "set snmp contact noc-" + tag, "set system location rack r" + tag}, nil
		}
		return []string{"snmp-server location " + tag, "snmp-server contact noc-" + tag, "snmp-server chassis-id c" + tag,
			"interface Loopback77", " description " + tag}, nil
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRollout1000 rolls a 5-line change out to a simulated fleet (1,000 devices of the
// five platforms by default; NORN_BENCH_DEVICES changes it) with checkpoint, a post-check and
// verification of the result, through the runner (100 workers). It reports the wall time per
// rollout and the CPU time per device of this process, which runs the devices too.
func BenchmarkRollout1000(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("NORN_BENCH_DEVICES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	fleet, err := devsim.StartFleet(ctx, devsim.FleetConfig{N: n, Seed: 5, Dir: b.TempDir(), ConfigSize: 6 << 10})
	if err != nil {
		b.Fatal(err)
	}
	defer fleet.Close()
	dir := b.TempDir()
	if err := fleet.WriteInventory(dir); err != nil {
		b.Fatal(err)
	}
	inv, err := inventory.LoadDir(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	reg := connection.NewRegistry()
	scrapli.MustRegister(reg)
	b.ResetTimer()
	for i := range b.N {
		fn, err := rollout.New(rollout.Config{Lines: fiveLines("b" + strconv.Itoa(i)), PostChecks: []rollout.Check{passingCheck}})
		if err != nil {
			b.Fatal(err)
		}
		r, err := runner.New(runner.Config{Inventory: inv, Connections: reg, Workers: 100, Timeout: 2 * time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		start, cpu0 := time.Now(), cpuTime()
		res, err := r.Run(ctx, "rollout", fn)
		if err != nil {
			b.Fatal(err)
		}
		wall, cpu := time.Since(start), cpuTime()-cpu0
		for hr := range res.All() {
			rep, _ := hr.Value.(rollout.Report)
			if hr.Err != nil || rep.Outcome != rollout.Changed {
				b.Fatalf("%s (%s): %s %v", hr.Host, rep.Platform, rep.Outcome, hr.Err)
			}
		}
		b.ReportMetric(wall.Seconds(), "s/rollout")
		b.ReportMetric(float64(cpu.Milliseconds())/float64(n), "cpu-ms/device")
	}
}
