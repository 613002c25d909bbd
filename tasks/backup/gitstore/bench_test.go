package gitstore

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchConfig returns an IOS-style configuration of about size bytes for host i.
func benchConfig(i, size int) []byte {
	var b strings.Builder
	b.Grow(size + 256)
	fmt.Fprintf(&b, "!\nversion 17.3\nhostname sw%05d\n!\n", i)
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, "interface GigabitEthernet1/0/%d\n description access port %d of sw%05d\n switchport access vlan %d\n switchport mode access\n spanning-tree portfast\n!\n", n, n, i, 10+n%90)
	}
	b.WriteString("end\n")
	return []byte(b.String())
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
		cfgs[i] = benchConfig(i, size)
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
		s, err := Open(Config{Dir: dir})
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
