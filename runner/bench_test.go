package runner

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/tasks"
)

// BenchmarkRun10kSleep50ms runs a task sleeping 50 ms on 10,000 hosts with 10,000 workers
// (Nornir: 0.96 s, the old Go port: 0.11 s; the floor is 0.05 s).
func BenchmarkRun10kSleep50ms(b *testing.B) {
	r := mustNew(b, Config{Inventory: testInventory(10_000), Workers: 10_000})
	task := func(ctx context.Context, _ *tasks.Task) (tasks.Result, error) {
		time.Sleep(50 * time.Millisecond)
		return tasks.Result{}, nil
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := r.Run(ctx, "sleep", task)
		if err != nil || res.Summary.OK != 10_000 {
			b.Fatalf("%v %v", res.Summary, err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
}

// BenchmarkRunOverhead measures the runner's cost per host: a no-op task, no logging, one hook
// of each kind, retry and breaker on. Reported as ns/host and B/host.
func BenchmarkRunOverhead(b *testing.B) {
	for _, workers := range []int{1, 100} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			const hosts = 10_000
			r := mustNew(b, Config{
				Inventory: testInventory(hosts),
				Workers:   workers,
				Hooks: []hooks.Hook{
					hooks.TaskStartFunc(func(context.Context, *hooks.Event) error { return nil }),
					hooks.TaskOKFunc(func(context.Context, *hooks.Event) {}),
					hooks.TaskFailedFunc(func(context.Context, *hooks.Event) {}),
					hooks.TaskRetryFunc(func(context.Context, *hooks.Event) {}),
					hooks.RunStartFunc(func(context.Context, *hooks.RunEvent) {}),
					hooks.RunEndFunc(func(context.Context, *hooks.RunEvent) {}),
					hooks.BreakerFunc(func(context.Context, *hooks.BreakerEvent) {}),
				},
				Retry:   &RetryConfig{},
				Breaker: &BreakerConfig{},
			})
			ctx := context.Background()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for b.Loop() {
				res, err := r.Run(ctx, "noop", noop)
				if err != nil || res.Summary.OK != hosts {
					b.Fatalf("%v %v", res.Summary, err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			n := float64(b.N * hosts)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/host")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/host")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/host")
		})
	}
}

// BenchmarkStream streams a no-op task over 100k and 1M hosts and reports the peak live heap
// during the run above the heap held before it (the inventory), which stays flat: the runner
// keeps no per-host state beyond the host slice. The live heap is sampled with a forced GC
// every 100,000 results (outside the timer).
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			inv := testInventory(n)
			r := mustNew(b, Config{Inventory: inv, Workers: 100})
			ctx := context.Background()
			sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			live := func() uint64 {
				runtime.GC()
				metrics.Read(sample)
				return sample[0].Value.Uint64()
			}
			runtime.GC()
			base := live()
			var peak uint64
			b.ResetTimer()
			for b.Loop() {
				got := 0
				for x := range r.Stream(ctx, "noop", noop) {
					if !x.OK() {
						b.Fatal(x.Err)
					}
					got++
					if got%100_000 == 0 {
						b.StopTimer() // the forced GC is not the runner's time
						peak = max(peak, live())
						b.StartTimer()
					}
				}
				if got != n {
					b.Fatalf("%d results", got)
				}
			}
			b.StopTimer()
			runtime.KeepAlive(inv)
			b.ReportMetric(float64(base)/(1<<20), "inventory-heap-MB")
			b.ReportMetric(float64(max(peak, base)-base)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/host")
		})
	}
}

// BenchmarkRun10kSleep50msPair runs, side by side in one run, 10,000 hosts sleeping 50 ms
// through the runner with a cancellable run context (as from signal.NotifyContext: every host
// runs under its watchdog) and a Timeout, against the bare-Go floor: 10,000 goroutines
// sleeping 50 ms and a WaitGroup. Compare their s/op (target: runner within 1.3x of floor).
func BenchmarkRun10kSleep50msPair(b *testing.B) {
	const n = 10_000
	sleep := func(ctx context.Context, _ *tasks.Task) (tasks.Result, error) {
		time.Sleep(50 * time.Millisecond)
		return tasks.Result{}, nil
	}
	b.Run("runner=cancellable", func(b *testing.B) {
		r := mustNew(b, Config{Inventory: testInventory(n), Workers: n})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.ReportAllocs()
		for b.Loop() {
			res, err := r.Run(ctx, "sleep", sleep)
			if err != nil || res.Summary.OK != n {
				b.Fatalf("%v %v", res.Summary, err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	})
	b.Run("floor=goroutines", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() { time.Sleep(50 * time.Millisecond) })
			}
			wg.Wait()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	})
}
