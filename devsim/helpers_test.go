package devsim

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// cli is a test client: an interactive shell over x/crypto/ssh.
type cli struct {
	t      testing.TB
	client *ssh.Client
	sess   *ssh.Session
	stdin  io.WriteCloser

	shared bool          // the connection outlives this shell
	wait   time.Duration // how long readUntil waits (default 10s)

	mu     sync.Mutex
	buf    bytes.Buffer
	notify chan struct{}
	eof    bool
}

func clientConfig(user string, auth ...ssh.AuthMethod) *ssh.ClientConfig {
	return &ssh.ClientConfig{User: user, Auth: auth, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second}
}

// dial logs in with a password and opens an interactive shell with a pty.
func dial(t testing.TB, d *Device, user, pass string) *cli {
	t.Helper()
	c, err := dialErr(d, clientConfig(user, ssh.Password(pass)))
	if err != nil {
		t.Fatalf("dial %s: %v", d.Addr(), err)
	}
	c.t = t
	t.Cleanup(c.close)
	return c
}

func dialErr(d *Device, cfg *ssh.ClientConfig) (*cli, error) {
	client, err := ssh.Dial("tcp", d.Addr(), cfg)
	if err != nil {
		return nil, err
	}
	c, err := shellOn(client)
	if err != nil {
		client.Close()
		return nil, err
	}
	return c, nil
}

// shellOn opens an interactive shell on a new session of an existing connection; closing the
// cli then closes the connection too unless shared is set.
func shellOn(client *ssh.Client) (*cli, error) {
	sess, err := client.NewSession()
	if err != nil {
		return nil, err
	}
	if err := sess.RequestPty("xterm", 255, 80, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		sess.Close()
		return nil, err
	}
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		sess.Close()
		return nil, err
	}
	c := &cli{client: client, sess: sess, stdin: stdin, notify: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 32<<10)
		for {
			n, err := stdout.Read(b)
			c.mu.Lock()
			c.buf.Write(b[:n])
			if err != nil {
				c.eof = true
			}
			c.mu.Unlock()
			select {
			case c.notify <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

func (c *cli) close() {
	c.sess.Close()
	if !c.shared {
		c.client.Close()
	}
}

// readUntil reads until the output (with "\r" removed) ends with one of ends, or EOF; it
// returns the output consumed.
func (c *cli) readUntil(ends ...string) (string, error) {
	wait := c.wait
	if wait == 0 {
		wait = 10 * time.Second
	}
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		raw := c.buf.String()
		s := strings.ReplaceAll(raw, "\r", "")
		for _, e := range ends {
			if strings.HasSuffix(s, e) {
				c.buf.Reset()
				c.mu.Unlock()
				return s, nil
			}
		}
		if c.eof {
			c.buf.Reset()
			c.mu.Unlock()
			return s, io.EOF
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-deadline:
			return s, fmt.Errorf("timeout waiting for %q; got %q", ends, tail(s, 300))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func (c *cli) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, s); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// cmd types line and a return, checks the echo, and returns what follows the echo up to and
// including one of ends.
func (c *cli) cmd(line string, ends ...string) string {
	c.t.Helper()
	out, err := c.cmdErr(line, ends...)
	if err != nil {
		c.t.Fatalf("%s: %v", line, err)
	}
	return out
}

func (c *cli) cmdErr(line string, ends ...string) (string, error) {
	c.send(line)
	if _, err := c.readUntil(line); err != nil {
		return "", fmt.Errorf("echo of %q: %w", line, err)
	}
	c.send("\n")
	out, err := c.readUntil(ends...)
	if err != nil {
		return out, err
	}
	if !strings.HasPrefix(out, "\n") {
		return out, fmt.Errorf("output of %q does not start with the echo of the return: %q", line, tail(out, 200))
	}
	return out[1:], nil
}

func startDevice(t testing.TB, cfg DeviceConfig) *Device {
	t.Helper()
	d, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func sshPassword(p string) ssh.AuthMethod { return ssh.Password(p) }
