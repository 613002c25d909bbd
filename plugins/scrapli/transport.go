package scrapli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scrapli/scrapligo/transport"
	"golang.org/x/crypto/ssh"
)

// sshTransport is the plugin's "standard" transport: crypto/ssh, like scrapligo's own standard
// transport, plugged into scrapligo through options.WithCustomTransport. It exists because
// scrapligo's transport.Standard
//
//   - dials without a context (cancellation cannot interrupt the dial or the handshake),
//   - returns from Close on the io.EOF that session.Close gives when the device has already hung
//     up (after "exit"), without closing the *ssh.Client: the TCP connection and the client's
//     goroutines leak on about half the closes,
//   - gives no way to interrupt a blocked read from outside (needed for cancellation).
//
// Here Open dials with the open's context, the handshake is bounded by a deadline, Close always
// closes the client, and abort closes the connection from any goroutine.
type sshTransport struct {
	addr         string
	cfg          *ssh.ClientConfig
	netconf      bool
	dialTimeout  time.Duration // TCP connect (timeout_socket)
	setupTimeout time.Duration // SSH handshake, auth, pty and shell (timeout_transport)
	ctx          context.Context

	mu      sync.Mutex
	conn    net.Conn
	client  *ssh.Client
	session *ssh.Session
	stdin   io.WriteCloser
	stdout  io.Reader
	closed  bool
	eof     bool // a read failed: the device closed the session or the connection broke

	read atomic.Int64 // bytes read so far

	buf []byte // Read's buffer, reused: only scrapligo's read goroutine calls Read
}

// Interface guard.
var _ transport.Implementation = (*sshTransport)(nil)

func (t *sshTransport) Open(a *transport.Args) error {
	ctx := t.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	d := net.Dialer{Timeout: t.dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", t.addr, err)
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		_ = conn.Close()
		return fmt.Errorf("dial %s: %w", t.addr, net.ErrClosed)
	}
	t.conn = conn
	t.mu.Unlock()

	if t.setupTimeout > 0 {
		_ = conn.SetDeadline(time.Now().Add(t.setupTimeout))
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, t.addr, t.cfg)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("ssh handshake with %s: %w", t.addr, err)
	}
	client := ssh.NewClient(c, chans, reqs)
	t.mu.Lock()
	t.client = client
	closed := t.closed
	t.mu.Unlock()
	if closed {
		_ = client.Close()
		return fmt.Errorf("ssh %s: %w", t.addr, net.ErrClosed)
	}

	session, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("ssh session on %s: %w", t.addr, err)
	}
	stdin, err := session.StdinPipe()
	if err != nil {
		return fmt.Errorf("ssh session on %s: %w", t.addr, err)
	}
	stdout, err := session.StdoutPipe()
	if err != nil {
		return fmt.Errorf("ssh session on %s: %w", t.addr, err)
	}
	if t.netconf {
		if err := session.RequestSubsystem("netconf"); err != nil {
			return fmt.Errorf("ssh %s: netconf subsystem: %w", t.addr, err)
		}
	} else {
		modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 115200, ssh.TTY_OP_OSPEED: 115200}
		if err := session.RequestPty("xterm", a.TermHeight, a.TermWidth, modes); err != nil {
			return fmt.Errorf("ssh %s: pty: %w", t.addr, err)
		}
		if err := session.Shell(); err != nil {
			return fmt.Errorf("ssh %s: shell: %w", t.addr, err)
		}
	}
	_ = conn.SetDeadline(time.Time{})

	t.mu.Lock()
	t.session, t.stdin, t.stdout = session, stdin, stdout
	t.mu.Unlock()
	return nil
}

// Close closes the session and always the client (the TCP connection). io.EOF from closing a
// session the device already closed is success.
func (t *sshTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closeLocked()
}

func (t *sshTransport) closeLocked() error {
	t.closed = true
	var errs []error
	if t.session != nil {
		if err := t.session.Close(); err != nil && !errors.Is(err, io.EOF) {
			errs = append(errs, err)
		}
		t.session = nil
	}
	if t.client != nil {
		if err := t.client.Close(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
			errs = append(errs, err)
		}
		t.client = nil
	}
	if t.conn != nil {
		_ = t.conn.Close() // already closed by client.Close; closes a half-open dial
		t.conn = nil
	}
	return errors.Join(errs...)
}

// abort closes the connection from any goroutine: a blocked Read returns io.EOF at once.
func (t *sshTransport) abort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.closeLocked()
}

func (t *sshTransport) IsAlive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.session != nil && !t.closed && !t.eof
}

// Read reads at most n bytes. The returned slice is only valid until the next Read: its one
// caller, scrapligo's channel read loop, copies what it reads at once (it strips "\r" with
// bytes.ReplaceAll, which always returns a new slice), so one buffer serves every read
// instead of a new 8 KB one per read.
func (t *sshTransport) Read(n int) ([]byte, error) {
	t.mu.Lock()
	r := t.stdout
	t.mu.Unlock()
	if r == nil {
		return nil, io.EOF
	}
	if cap(t.buf) < n {
		t.buf = make([]byte, n)
	}
	b := t.buf[:n]
	n, err := r.Read(b)
	t.read.Add(int64(n))
	if err != nil {
		t.mu.Lock()
		t.eof = true
		t.mu.Unlock()
		if n > 0 {
			return b[:n], nil
		}
		return nil, err
	}
	return b[:n], nil
}

// bytesRead returns how many bytes were read so far.
func (t *sshTransport) bytesRead() int64 { return t.read.Load() }

// waitRead waits until more than before bytes were read, a read failed, or d passed.
func (t *sshTransport) waitRead(before int64, d time.Duration) {
	deadline := time.Now().Add(d)
	for t.read.Load() <= before && t.IsAlive() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

func (t *sshTransport) Write(b []byte) error {
	t.mu.Lock()
	w, closed := t.stdin, t.closed
	t.mu.Unlock()
	if w == nil || closed {
		if t.netconf && closed {
			// scrapligo's netconf Close needs an RPC to go through after the transport is
			// closed (see NetconfSession.closeDriver): discard its write.
			return nil
		}
		return io.EOF
	}
	_, err := w.Write(b)
	return err
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
