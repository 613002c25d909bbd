package devsim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// portAllocator picks free ports for a fleet's devices on one address.
//
// Binding port 0 lets the kernel search for a free port, and on Linux that search gets slow as
// the address fills up (10,000 listeners on 127.0.0.1 take about 20 seconds). Binding a given
// port is a hash lookup, so a fleet walks the kernel's own local port range
// (net.ipv4.ip_local_port_range) from a random start and takes the first port that binds,
// skipping ports in use. The kernel never hands a port bound this way to an outgoing
// connection, so the result is the same as binding port 0, only fast.
type portAllocator struct {
	lo, hi, next int
}

func newPortAllocator() *portAllocator {
	lo, hi := 32768, 60999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			l, err1 := strconv.Atoi(f[0])
			h, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && l > 0 && h > l && h < 65536 {
				lo, hi = l, h
			}
		}
	}
	return &portAllocator{lo: lo, hi: hi, next: lo + rand.IntN(hi-lo+1)}
}

// listenConfig is how devices listen: plain TCP (no Multipath TCP, which only slows listening
// down on loopback).
func listenConfig() *net.ListenConfig {
	lc := &net.ListenConfig{}
	lc.SetMultipathTCP(false)
	return lc
}

// listen binds the next free port on host.
func (a *portAllocator) listen(ctx context.Context, host string) (net.Listener, error) {
	lc := listenConfig()
	for tries := 0; tries <= a.hi-a.lo; tries++ {
		p := a.next
		a.next++
		if a.next > a.hi {
			a.next = a.lo
		}
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES) {
			continue
		}
		return nil, err
	}
	return nil, fmt.Errorf("no free port on %s in %d-%d", host, a.lo, a.hi)
}
