package scrapli_test

import (
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/plugins/scrapli"
)

// openFDs counts the process's open file descriptors (-1 where /proc is not available).
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// TestOpenCloseNoLeak opens and closes 1,000 sessions (100 with -short) and checks that no
// goroutine, file descriptor or device connection is left behind: scrapligo's own standard
// transport leaks the SSH client on about half of these closes (the device hangs up after
// "exit" and session.Close returns io.EOF before the client is closed).
func TestOpenCloseNoLeak(t *testing.T) {
	cycles := 1000
	if testing.Short() {
		cycles = 100
	}
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Seed: 11})
	o := opener(t, scrapli.PlatformIOSXE)
	target := l.target(nil)
	ignore := goleak.IgnoreCurrent()
	fds := openFDs()

	const workers = 4
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				s, err := o.Open(ctxT(t), target)
				if err == nil && i%10 == 0 {
					_, err = s.(*scrapli.Session).SendCommand(ctxT(t), "show version")
				}
				if s != nil {
					if cerr := s.Close(); cerr != nil && err == nil {
						err = cerr
					}
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range cycles {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for i, err := range failures {
		if i < 5 {
			t.Error(err)
		}
	}
	if len(failures) > 0 {
		t.Fatalf("%d of %d cycles failed", len(failures), cycles)
	}
	waitIdle(t, l.dev)
	st := l.dev.Stats()
	if st.Connections != int64(cycles) || st.Sessions != int64(cycles) {
		t.Errorf("device saw %d connections, %d shells, want %d", st.Connections, st.Sessions, cycles)
	}
	goleak.VerifyNone(t, ignore)
	if after := openFDs(); fds >= 0 && after > fds+4 {
		t.Errorf("open file descriptors grew from %d to %d over %d cycles", fds, after, cycles)
	}
}
