package devsim

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// BenchmarkFleetStart starts (and closes, untimed) fleets of 1,000 devices and reports
// devices started per second.
func BenchmarkFleetStart(b *testing.B) {
	const n = 1000
	var started time.Duration
	for i := 0; i < b.N; i++ {
		t := time.Now()
		f, err := StartFleet(context.Background(), FleetConfig{N: n, Seed: uint64(i)})
		if err != nil {
			b.Fatal(err)
		}
		started += time.Since(t)
		b.StopTimer()
		f.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/started.Seconds(), "devices/s")
}

// showRunSession is one backup-style session: log in, open a shell, disable paging, show the
// running configuration, exit (the device hangs up).
func showRunSession(d *Device, cfg *ssh.ClientConfig, pageOff, show, prompt string) (int, error) {
	client, err := ssh.Dial("tcp", d.Addr(), cfg)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return 0, err
	}
	if err := sess.RequestPty("xterm", 255, 80, nil); err != nil {
		return 0, err
	}
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	var acc []byte
	readPrompt := func() error {
		acc = acc[:0]
		for {
			n, err := out.Read(buf)
			acc = append(acc, buf[:n]...)
			if len(acc) >= len(prompt) && string(acc[len(acc)-len(prompt):]) == prompt {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	if err := readPrompt(); err != nil {
		return 0, err
	}
	io.WriteString(in, pageOff+"\n")
	if err := readPrompt(); err != nil {
		return 0, err
	}
	io.WriteString(in, show+"\n")
	if err := readPrompt(); err != nil {
		return 0, err
	}
	size := len(acc)
	io.WriteString(in, "exit\n")
	for {
		if _, err := out.Read(buf); err != nil {
			break
		}
	}
	return size, nil
}

// BenchmarkShowRunSession runs whole sessions against one device with a 20 KB configuration
// and reports sessions per second (the x/crypto/ssh client runs in the same process and
// shares the CPU).
func BenchmarkShowRunSession(b *testing.B) {
	for _, p := range []Platform{CiscoIOSXE, JuniperJunos} {
		pageOff, show, prompt := "terminal length 0", "show running-config", "bench#"
		if p == JuniperJunos {
			pageOff, show, prompt = "set cli screen-length 0", "show configuration", "admin@bench> "
		}
		d, err := Start(DeviceConfig{Name: "bench", Platform: p, Seed: 1, ConfigSize: 20000})
		if err != nil {
			b.Fatal(err)
		}
		cfg := &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password("admin")}, HostKeyCallback: ssh.FixedHostKey(d.HostKey())}
		b.Run(fmt.Sprintf("%s/sequential", p), func(b *testing.B) {
			var bytes int
			for i := 0; i < b.N; i++ {
				n, err := showRunSession(d, cfg, pageOff, show, prompt)
				if err != nil {
					b.Fatal(err)
				}
				bytes = n
			}
			b.SetBytes(int64(bytes))
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
		})
		b.Run(fmt.Sprintf("%s/parallel", p), func(b *testing.B) {
			var failed atomic.Int64
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := showRunSession(d, cfg, pageOff, show, prompt); err != nil {
						failed.Add(1)
					}
				}
			})
			if failed.Load() > 0 {
				b.Fatalf("%d sessions failed", failed.Load())
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
		})
		d.Close()
	}
}

// BenchmarkGenerateConfig measures generating a 20 KB running configuration (devices generate
// theirs each time it is shown, until it is changed).
func BenchmarkGenerateConfig(b *testing.B) {
	for _, p := range Platforms() {
		b.Run(string(p), func(b *testing.B) {
			cfg := DeviceConfig{Name: "gen", Platform: p, Seed: 1, ConfigSize: 20000}
			if err := cfg.setDefaults(); err != nil {
				b.Fatal(err)
			}
			id := newIdentity(cfg)
			b.SetBytes(20000)
			for i := 0; i < b.N; i++ {
				c := generateConfig(cfg, id)
				if c.junos != nil {
					_ = c.junos.render(0)
				} else {
					_ = renderLines(c.lines, time.Now(), 1)
				}
			}
		})
	}
}
