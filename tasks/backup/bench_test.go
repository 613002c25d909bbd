package backup

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonorn/norn/devsim"
)

// syntheticConfig returns an IOS-style configuration of about size bytes for host i, with
// secrets and volatile lines so that cleaning and redaction have work to do.
func syntheticConfig(i, size int) string {
	var b strings.Builder
	b.Grow(size + 512)
	fmt.Fprintf(&b, "Building configuration...\n\nCurrent configuration : %d bytes\n!\n! Last configuration change at 09:12:44 UTC Thu Nov 21 2024 by netops\n!\nversion 17.3\nhostname sw%05d\n!\n", size, i)
	b.WriteString("enable secret 9 $9$xvWnx8Fe35f8xE$E9ijp7GM/V48P5y1Uz3IEPtotXgwkJKYJmN0q3q2E92\nusername netops privilege 15 password 7 0822455D0A16544541\n!\n")
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, "interface GigabitEthernet1/0/%d\n description access port %d of sw%05d\n switchport access vlan %d\n switchport mode access\n spanning-tree portfast\n!\n", n, n, i, 10+n%90)
		if n%20 == 0 {
			fmt.Fprintf(&b, "snmp-server community Comm%d-%d RO\nntp clock-period 17179%03d\n", i, n, n%1000)
		}
	}
	b.WriteString("line vty 0 4\n password 7 094F471A1A0A\n login local\n!\nend\n")
	return b.String()
}

// BenchmarkCleanRedact1MB: the whole pipeline (Clean, Redact at RedactAll, Check) on a 1 MB
// IOS configuration.
func BenchmarkCleanRedact1MB(b *testing.B) {
	raw := syntheticConfig(1, 1<<20) + "\nsw00001#"
	p, _ := DefaultProfiles().Lookup("cisco_iosxe")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		out := p.Redact(p.Clean(raw), RedactAll, "hunter2-literal")
		if err := p.Check(raw, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkStoreCommit10k: 10,000 device files of about 20 KB written by 64 concurrent workers
// (compressed object kept for the pack + atomic work-tree file each) and committed in one
// commit; then a second run where 1% changed. Reports the write throughput and the commit
// times. The store goes to $NORN_BENCH_DIR (default: the system's temporary directory).
func BenchmarkStoreCommit10k(b *testing.B) {
	const devices, size, workers = 10000, 20 << 10, 64
	cfgs := make([][]byte, devices)
	total := 0
	for i := range cfgs {
		cfgs[i] = []byte(syntheticConfig(i, size))
		total += len(cfgs[i])
	}
	b.SetBytes(int64(total))
	var writeDur, commitDur, recommitDur, writeCPU time.Duration
	for b.Loop() {
		b.StopTimer()
		dir, err := os.MkdirTemp(os.Getenv("NORN_BENCH_DIR"), "norn-bench-store-")
		if err != nil {
			b.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		put := func(idx []int) {
			var wg sync.WaitGroup
			next := make(chan int)
			for range workers {
				wg.Go(func() {
					for i := range next {
						host := fmt.Sprintf("sw%05d", i)
						e, _, err := s.Put(host, cfgs[i])
						if err != nil {
							b.Error(err)
						}
						now := time.Now()
						s.SetStatus(HostStatus{Host: host, Platform: "cisco_iosxe", LastAttempt: now, LastSuccess: now, LastChange: now, SHA: e.SHA, Bytes: e.Bytes})
					}
				})
			}
			for _, i := range idx {
				next <- i
			}
			close(next)
			wg.Wait()
		}
		all := make([]int, devices)
		for i := range all {
			all[i] = i
		}
		put(all)
		writeDur += time.Since(start)
		writeCPU += processCPU() - cpu0
		start = time.Now()
		if c, err := s.Commit("bench"); err != nil || c.Files != devices {
			b.Fatalf("commit: %+v %v", c, err)
		}
		commitDur += time.Since(start)

		// Second run: 1% changed.
		var changed []int
		for i := 0; i < devices; i += 100 {
			cfgs[i] = append(cfgs[i][:len(cfgs[i])-4], []byte("! changed\nend\n")...)
			changed = append(changed, i)
		}
		put(changed)
		start = time.Now()
		if c, err := s.Commit("bench 2"); err != nil || c.Files != len(changed) {
			b.Fatalf("commit 2: %+v %v", c, err)
		}
		recommitDur += time.Since(start)
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(total)/(1<<20)/(writeDur.Seconds()/n), "write-MB/s")
	b.ReportMetric(float64(writeDur.Milliseconds())/n, "write-ms")
	b.ReportMetric(float64(writeCPU.Milliseconds())/n, "write-cpu-ms")
	b.ReportMetric(float64(commitDur.Milliseconds())/n, "commit10k-ms")
	b.ReportMetric(float64(recommitDur.Milliseconds())/n, "commit1pct-ms")
}

// BenchmarkPipelineDevsim: Clean, Redact and Check on the simulator's configurations of each
// platform (about 20 KB, the fleet's typical size), as the task runs them per device.
func BenchmarkPipelineDevsim(b *testing.B) {
	ps := DefaultProfiles()
	for _, pl := range devsimPlatforms {
		b.Run(string(pl), func(b *testing.B) {
			dev, err := devsim.Start(devsim.DeviceConfig{Name: "bench1", Platform: pl, Seed: 7, ConfigSize: 20 << 10})
			if err != nil {
				b.Fatal(err)
			}
			defer dev.Close()
			raw := dev.RunningConfig()
			p, _ := ps.Lookup(string(pl))
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				out := p.Redact(p.Clean(raw), RedactAll, "Adm1n-pw", "En4ble-Secret")
				if err := p.Check(raw, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/device")
		})
	}
}
