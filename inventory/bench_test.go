package inventory

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The 100k benchmark inventory: 100,000 hosts in 200 groups three levels deep (10 regions,
// 40 sites each in a region, 150 leaf groups each in a site), each host in one leaf group
// with 10 data keys. It is generated once per test binary into a temporary directory that
// TestMain removes.
const (
	benchHosts   = 100_000
	benchRegions = 10
	benchSites   = 40
	benchLeaves  = 150
)

var benchDir struct {
	once sync.Once
	dir  string
	err  error
}

func benchInventoryDir(b *testing.B) string {
	b.Helper()
	benchDir.once.Do(func() {
		benchDir.dir, benchDir.err = os.MkdirTemp("", "norn-inventory-bench-")
		if benchDir.err == nil {
			benchDir.err = writeBenchInventory(benchDir.dir)
		}
	})
	if benchDir.err != nil {
		b.Fatal(benchDir.err)
	}
	return benchDir.dir
}

func writeBenchInventory(dir string) error {
	g, err := os.Create(filepath.Join(dir, "groups.yaml"))
	if err != nil {
		return err
	}
	gw := bufio.NewWriter(g)
	for r := range benchRegions {
		fmt.Fprintf(gw, "region-%02d:\n  data:\n    region: r%02d\n    ntp: [127.0.0.123]\n", r, r)
	}
	for s := range benchSites {
		fmt.Fprintf(gw, "site-%02d:\n  groups: [region-%02d]\n  data:\n    site: s%02d\n", s, s%benchRegions, s)
	}
	platforms := []string{"eos", "junos", "iosxe", "nxos", "iosxr"}
	for l := range benchLeaves {
		fmt.Fprintf(gw, "leaf-%03d:\n  groups: [site-%02d]\n  platform: %s\n  connection_options:\n    scrapli:\n      port: 22\n", l, l%benchSites, platforms[(l/10)%len(platforms)])
	}
	if err := gw.Flush(); err != nil {
		return err
	}
	if err := g.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "defaults.yaml"), []byte("username: netops\npassword: secret\nport: 22\n"), 0o600); err != nil {
		return err
	}
	h, err := os.Create(filepath.Join(dir, "hosts.yaml"))
	if err != nil {
		return err
	}
	hw := bufio.NewWriter(h)
	roles := []string{"spine", "leaf", "border", "edge"}
	for i := range benchHosts {
		fmt.Fprintf(hw, "host-%06d:\n  hostname: 127.%d.%d.%d\n  groups:\n    - leaf-%03d\n  data:\n", i, 1+i>>16, (i>>8)&255, i&255, i%benchLeaves)
		fmt.Fprintf(hw, "    role: %s\n    serial: SN%08d\n    asset_tag: AT-%06d\n    rack: r%02d\n    model: m%d\n", roles[i%len(roles)], i*7919, i, i%48, i%6)
		fmt.Fprintf(hw, "    os_version: 4.%d.%dF\n    mgmt_vlan: %d\n    tenant: t%d\n    contact: noc@example.net\n    in_service: %t\n", i%30, i%3, 100+i%4, i%20, i%10 != 0)
	}
	if err := hw.Flush(); err != nil {
		return err
	}
	return h.Close()
}

// cpuTime returns the process's user+system CPU time (the wall time of a benchmark on a busy
// machine says little; CPU time says what the work costs).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkLoadYAML100k loads the 100k inventory (target: at most 4 s per load, at most 3 KB of
// retained heap per host, reported as retained-B/host).
func BenchmarkLoadYAML100k(b *testing.B) {
	dir := benchInventoryDir(b)
	if fi, err := os.Stat(filepath.Join(dir, "hosts.yaml")); err == nil {
		b.SetBytes(fi.Size())
	}
	ctx := context.Background()
	b.ReportAllocs()
	var retained float64
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		before := heapInUse()
		b.StartTimer()
		c0 := cpuTime()
		inv, err := LoadDir(ctx, dir)
		cpu += cpuTime() - c0
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if inv.Len() != benchHosts {
			b.Fatalf("%d hosts", inv.Len())
		}
		retained = float64(heapInUse()-before) / benchHosts
		runtime.KeepAlive(inv)
		b.StartTimer()
	}
	b.ReportMetric(retained, "retained-B/host")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkFilter100k runs a compound filter with nested-group membership over the 100k
// inventory (target: at most 20 ms).
func BenchmarkFilter100k(b *testing.B) {
	inv, err := LoadDir(context.Background(), benchInventoryDir(b))
	if err != nil {
		b.Fatal(err)
	}
	filters := map[string]Filter{
		// region-03 is reached through leaf -> site -> region.
		"Go": And(
			InGroup("region-03"),
			Or(Field("role").Eq("edge"), Platform("junos", "eos")),
			Not(Field("os_version").In("4.0.0F", "4.1.1F")),
			Field("in_service").Eq(true),
		),
		"ParseFilter": MustParseFilter("group=region-03 and (role=edge or platform in [junos, eos]) and os_version not in [4.0.0F, 4.1.1F] and in_service=true"),
	}
	want := -1
	for _, name := range []string{"Go", "ParseFilter"} {
		f := filters[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				n = len(inv.Filter(f))
			}
			if want >= 0 && n != want {
				b.Fatalf("%d hosts, the Go filter found %d", n, want)
			}
			if n == 0 {
				b.Fatal("no host matched")
			}
			want = n
			b.ReportMetric(float64(n), "hosts")
		})
	}
}

// BenchmarkHostLookups measures the resolved lookups a task makes on a host of the 100k
// inventory (three levels of groups): four attributes, a data key inherited from the top
// group, a membership test walking all groups and connection parameters, on hosts taken in
// a cache-unfriendly order.
func BenchmarkHostLookups(b *testing.B) {
	inv, err := LoadDir(context.Background(), benchInventoryDir(b))
	if err != nil {
		b.Fatal(err)
	}
	hosts := inv.Hosts()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h := hosts[i%len(hosts)]
		i += 7919
		if h.Platform() == "" || h.Username() == "" || h.Port() != 22 || h.Hostname() == "" {
			b.Fatal("unresolved attribute")
		}
		if _, ok := h.Get("region"); !ok {
			b.Fatal("region not inherited")
		}
		if h.InGroup("no-such-group") {
			b.Fatal("InGroup")
		}
		if p := h.ConnectionParams("scrapli"); p.Port != 22 {
			b.Fatal("params")
		}
	}
}
