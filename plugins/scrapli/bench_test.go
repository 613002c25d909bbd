package scrapli_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/plugins/scrapli"
)

// Both benchmarks do the same cycle against the same simulated IOS-XE device: open an SSH
// session (strict host-key checking against a known_hosts file, password authentication, the
// platform's on-open: prompt, "terminal width 512", "terminal length 0"), send "show version",
// close (the platform's on-close: prompt, "exit"). They run it with 50 sessions at a time and
// one at a time, and report cycles/s and the latency of a cycle (mean, p50, p99).
//
//	go test -run XXX -bench 'OpenShowVersionClose' -benchtime 2000x ./plugins/scrapli/

const benchConcurrency = 50

func BenchmarkOpenShowVersionClose(b *testing.B) {
	l := startPlatform(b, devsim.CiscoIOSXE, devsim.DeviceConfig{Seed: 42})
	o := opener(b, scrapli.PlatformIOSXE)
	target := l.target(map[string]any{scrapli.ExtraTimeoutOps: 30, scrapli.ExtraTimeoutSocket: 15})
	cycle := func() error {
		ctx := context.Background()
		s, err := o.Open(ctx, target)
		if err != nil {
			return err
		}
		if _, err := s.(*scrapli.Session).SendCommand(ctx, "show version"); err != nil {
			_ = s.Close()
			return err
		}
		return s.Close()
	}
	runCycles(b, l, cycle)
}

func BenchmarkRawScrapligoOpenShowVersionClose(b *testing.B) {
	l := startPlatform(b, devsim.CiscoIOSXE, devsim.DeviceConfig{Seed: 42})
	cfg := l.dev.Config()
	cycle := func() error {
		p, err := platform.NewPlatform(scrapli.PlatformIOSXE, l.dev.Host(),
			options.WithTransportType("standard"),
			options.WithPort(l.dev.Port()),
			options.WithAuthUsername(cfg.Username),
			options.WithAuthPassword(cfg.Password),
			options.WithAuthSecondary(cfg.EnableSecret),
			options.WithSSHKnownHostsFile(l.knownHosts),
			options.WithTimeoutOps(30*time.Second),
			options.WithTimeoutSocket(15*time.Second),
		)
		if err != nil {
			return err
		}
		d, err := p.GetNetworkDriver()
		if err != nil {
			return err
		}
		if err := d.Open(); err != nil {
			return err
		}
		r, err := d.SendCommand("show version")
		if err == nil && r.Failed != nil {
			err = r.Failed
		}
		// scrapligo's Close returns io.EOF when the device hung up after "exit" (most of the
		// time): that is a successful close.
		_ = d.Close()
		return err
	}
	runCycles(b, l, cycle)
}

func runCycles(b *testing.B, l *lab, cycle func() error) {
	b.Run(fmt.Sprintf("concurrency=%d", benchConcurrency), func(b *testing.B) {
		measure(b, benchConcurrency, cycle)
	})
	b.Run("sequential", func(b *testing.B) {
		measure(b, 1, cycle)
	})
	waitIdle(b, l.dev)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs b.N cycles on workers goroutines and reports throughput and latency.
func measure(b *testing.B, workers int, cycle func() error) {
	b.ReportAllocs()
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var firstErr error
	var errOnce sync.Once
	var failed atomic.Int64
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for range min(workers, b.N) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				err := cycle()
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	if firstErr != nil {
		b.Fatalf("%d of %d cycles failed, first: %v", failed.Load(), b.N, errors.Unwrap(firstErr))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cycles/s")
	// CPU time of the process (client and simulator alike) per cycle: steadier than wall
	// time on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu-ms/cycle")
	b.ReportMetric(float64(sum.Microseconds())/float64(b.N)/1000, "ms/cycle-mean")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms/cycle-p50")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "ms/cycle-p99")
}
