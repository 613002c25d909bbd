package netbox_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/gonorn/norn/inventory_plugins/netbox"
	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// cpuTime returns the user and system CPU time used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNetBoxLoad10k loads 10,000 devices shaped like NetBox 4.x full device objects
// (about 2.8 KB of JSON each) at 1,000 per page from a fake NetBox that adds 20 ms of latency
// to every request. It reports ms/load, devices/s and cpu-ms/load (the process's CPU per load,
// the fake's included).
//
//	go test -run '^$' -bench BenchmarkNetBoxLoad10k -benchtime 10x ./inventory_plugins/netbox/
func BenchmarkNetBoxLoad10k(b *testing.B) {
	const devices = 10000
	srv := netboxtest.NewServer(netboxtest.Config{Version: "4.2.9", Tokens: []string{token}, Latency: 20 * time.Millisecond})
	defer srv.Close()
	srv.AddFleet(netboxtest.Generate(devices, 0, 1))
	// Every status (the generated fleet mixes them), so that all 10,000 load.
	src, err := netbox.New(netbox.Config{URL: srv.URL, Token: token, PageSize: 1000,
		Devices: netbox.Filter{Status: []string{netbox.AnyStatus}},
		GroupBy: []netbox.GroupField{netbox.GroupBySite, netbox.GroupByRole, netbox.GroupByPlatform}})
	if err != nil {
		b.Fatal(err)
	}
	defer src.CloseIdleConnections()
	ctx := context.Background()
	// Warm the fake's render cache so that the figure is the client's.
	if _, err := src.Load(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		inv, err := src.Load(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(inv.Hosts()); n != devices {
			b.Fatalf("%d hosts, want %d", n, devices)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/load")
	// CPU of the whole process: the client and the fake NetBox serving it.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/load")
	b.ReportMetric(float64(devices*b.N)/elapsed.Seconds(), "devices/s")
}
