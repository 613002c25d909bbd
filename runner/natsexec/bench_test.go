package natsexec_test

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/runner/natsexec"
	"github.com/gonorn/norn/tasks"
)

// benchHosts is the fleet size of the distribution benchmarks (-benchtime 1x: one run each).
const benchHosts = 100_000

func noop(context.Context, *tasks.Task) (tasks.Result, error) { return tasks.Result{Value: "ok"}, nil }

// BenchmarkLocalPool100k runs a no-op task on 100,000 hosts with the local pool: the floor the
// distributed executor is compared with.
func BenchmarkLocalPool100k(b *testing.B) {
	inv := fleet(b, benchHosts, "emea")
	r, err := runner.New(runner.Config{Inventory: inv, Workers: 800})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		res, err := r.Run(context.Background(), "echo", noop)
		if err != nil || len(res.OK()) != benchHosts {
			b.Fatalf("%v, %d ok", err, len(res.OK()))
		}
	}
	b.ReportMetric(float64(benchHosts*b.N)/b.Elapsed().Seconds(), "hosts/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(benchHosts*b.N), "us/host")
}

// BenchmarkNATS4Workers100k runs the same task on 100,000 hosts through an embedded
// nats-server and 4 worker processes; BenchmarkNATS4WorkersOneKilled100k kills one of them
// (SIGKILL) a quarter of the way through.
func BenchmarkNATS4Workers100k(b *testing.B)          { benchNATS(b, false) }
func BenchmarkNATS4WorkersOneKilled100k(b *testing.B) { benchNATS(b, true) }

func benchNATS(b *testing.B, kill bool) {
	s := startNATS(b, "", 0)
	defer s.Shutdown()
	inv := fleet(b, benchHosts, "emea")
	r := controller(b, connect(b, s), inv, func(c *natsexec.Config) { c.Decode = nil; c.NoWorkerWait = time.Minute })
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		var procs []*exec.Cmd
		for i := range 4 {
			procs = append(procs, startWorkerProcess(b, s.ClientURL(), benchHosts, 0, fmt.Sprintf("p%d", i)))
		}
		b.StartTimer()
		n, ok := 0, 0
		killed := false
		for x := range r.Stream(context.Background(), "echo", noop) {
			n++
			if x.OK() {
				ok++
			}
			if kill && !killed && n == benchHosts/4 {
				killed = true
				_ = procs[0].Process.Kill()
			}
		}
		if n != benchHosts || ok != benchHosts {
			b.Fatalf("%d results, %d ok; want %d", n, ok, benchHosts)
		}
	}
	b.ReportMetric(float64(benchHosts*b.N)/b.Elapsed().Seconds(), "hosts/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(benchHosts*b.N), "us/host")
}
