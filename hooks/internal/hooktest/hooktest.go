package hooktest

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
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
