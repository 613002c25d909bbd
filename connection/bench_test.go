package connection_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
)

func benchRegistry() *connection.Registry {
	r := connection.NewRegistry()
	for _, p := range []string{"cisco_iosxe", "cisco_nxos", "cisco_iosxr", "arista_eos", "juniper_junos"} {
		r.MustRegister(key(p, "ssh", "scrapli"), cli(), connection.BuiltIn(), connection.Default(), connection.DefaultForType())
		r.MustRegister(key(p, "netconf", "scrapli"), cfg(), connection.BuiltIn(), connection.DefaultForType())
	}
	return r
}

// BenchmarkResolve measures a cached resolution (the per-host cost of choosing a plugin).
func BenchmarkResolve(b *testing.B) {
	r := benchRegistry()
	h := host("r1", "ios")
	opts := []connection.Option{connection.Require(connection.CapConfigGetter), connection.FallbackToDefault()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(h, opts...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolveParallel measures cached resolution from many workers at once.
func BenchmarkResolveParallel(b *testing.B) {
	r := benchRegistry()
	h := host("r1", "nxos")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Resolve(h, connection.WithType("ssh")); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHostLifecycle measures a host's whole connection life in a run: Host, Get (resolve
// and open a session of a no-op plugin), a second Get sharing it, Use, Close.
func BenchmarkHostLifecycle(b *testing.B) {
	r := benchRegistry()
	m := connection.NewManager(r, connection.ManagerConfig{MaxSessions: 64})
	hosts := make([]*inventory.Host, 1024)
	for i := range hosts {
		hosts[i] = host(fmt.Sprintf("r%d", i), "eos")
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s := m.Host(hosts[i%len(hosts)])
		i++
		p, err := s.Get(ctx, connection.WithType("ssh"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(ctx, connection.Require(connection.CapCommandSender), connection.FallbackToDefault()); err != nil {
			b.Fatal(err)
		}
		if _, err := connection.Use[connection.CommandSender](p); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/host")
}
