package hooktest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Buffer is a goroutine-safe io.Writer, for a zerolog.Logger under test.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Hanging starts a TCP listener on loopback that accepts every connection, reads what it is
// sent and never answers, and returns "http://127.0.0.1:port". It stops, closing every
// connection, when the test ends. Conns reports how many connections it accepted.
func Hanging(t testing.TB) (url string, conns func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var cs []net.Conn
	var readers sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			cs = append(cs, c)
			mu.Unlock()
			readers.Add(1)
			go func() {
				defer readers.Done()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		for _, c := range cs {
			c.Close()
		}
		mu.Unlock()
		readers.Wait()
	})
	return "http://" + l.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(cs)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for a tool under test
// that must be told where to listen.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// LookTool returns the path of the first of names found on PATH, or skips the test naming the
// Debian package that provides it.
func LookTool(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skipf("%s is not installed: apt-get install -y %s (scripts/test.sh does it)", names[0], pkg)
	return ""
}

// StartTool runs a real tool (Alertmanager, the Pushgateway) and waits until readyURL answers
// 200, failing the test if the tool exits first or is not ready within 30 s. The process is
// killed when the test ends, and its output logged if the test failed.
func StartTool(t testing.TB, readyURL, bin string, args ...string) {
	t.Helper()
	out := &Buffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", bin, out)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(readyURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s exited: %v\n%s", bin, err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready at %s after 30s\n%s", bin, readyURL, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
