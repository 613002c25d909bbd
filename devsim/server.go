package devsim

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// handshakeTimeout bounds how long a client may take to finish the SSH handshake and log in.
const handshakeTimeout = 30 * time.Second

// serve starts the device's accept loop.
func (d *Device) serve() {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.acceptLoop()
	}()
}

func (d *Device) acceptLoop() {
	var delay time.Duration
	for {
		c, err := d.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// out of file descriptors and the like: back off as net/http does
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				if !d.sleep(delay) {
					return
				}
				continue
			}
			d.log.Debug().Err(err).Msg("accept failed")
			return
		}
		delay = 0
		if !d.track(c) {
			c.Close()
			return
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer d.untrack(c)
			defer c.Close()
			d.handleConn(c)
		}()
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// handleConn runs one TCP connection: the faults that act before SSH, the handshake, and the
// session channels.
func (d *Device) handleConn(c net.Conn) {
	d.stats.connections.Add(1)
	d.stats.active.Add(1)
	defer d.stats.active.Add(-1)
	f := d.Faults()
	d.log.Debug().Str("remote", c.RemoteAddr().String()).Msg("connection accepted")
	if f.HangOnConnect {
		// accept, then never say anything; wait for the client or Close to hang up
		_, _ = io.Copy(io.Discard, c)
		return
	}
	if f.BannerDelay > 0 && !d.sleep(f.BannerDelay) {
		return
	}
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(c, d.serverConfig(f))
	if err != nil {
		d.log.Debug().Err(err).Str("remote", c.RemoteAddr().String()).Msg("ssh handshake failed")
		return
	}
	_ = c.SetDeadline(time.Time{})
	defer sc.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.handleChannel(sc, c, ch, creqs)
		}()
	}
}

// serverConfig builds the SSH server configuration for one connection.
func (d *Device) serverConfig(f Faults) *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{
		Config: ssh.Config{
			// what network operating systems offer: no post-quantum hybrid key exchange, which
			// the devices do not have and which would only cost CPU
			KeyExchanges: []string{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
				"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1"},
		},
		ServerVersion: d.cfg.Platform.sshVersion(),
		MaxAuthTries:  3,
	}
	cfg.AddHostKey(d.hostKey)
	checkPassword := func(user string, pass []byte) bool {
		if f.RejectAuth || d.cfg.Password == "" {
			return false
		}
		okUser := subtle.ConstantTimeCompare([]byte(user), []byte(d.cfg.Username)) == 1
		okPass := subtle.ConstantTimeCompare(pass, []byte(d.cfg.Password)) == 1
		return okUser && okPass
	}
	result := func(user, method string, ok bool) (*ssh.Permissions, error) {
		if ok {
			d.stats.logins.Add(1)
			return &ssh.Permissions{Extensions: map[string]string{"method": method}}, nil
		}
		d.stats.authFailures.Add(1)
		d.log.Debug().Str("user", user).Str("method", method).Msg("authentication failed")
		return nil, fmt.Errorf("devsim: %s authentication failed for %q", method, user)
	}
	cfg.PasswordCallback = func(m ssh.ConnMetadata, pass []byte) (*ssh.Permissions, error) {
		return result(m.User(), "password", checkPassword(m.User(), pass))
	}
	cfg.KeyboardInteractiveCallback = func(m ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
		if d.cfg.Password == "" {
			return nil, errors.New("devsim: keyboard-interactive authentication is disabled")
		}
		answers, err := client(m.User(), "", []string{"Password: "}, []bool{false})
		if err != nil {
			return nil, err
		}
		ok := len(answers) == 1 && checkPassword(m.User(), []byte(answers[0]))
		return result(m.User(), "keyboard-interactive", ok)
	}
	if len(d.authKey) > 0 {
		cfg.PublicKeyCallback = func(m ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			ok := !f.RejectAuth && m.User() == d.cfg.Username && d.authKey[string(key.Marshal())]
			return result(m.User(), "publickey", ok)
		}
	}
	return cfg
}

// handleChannel serves one session channel: pty, shell, exec and the netconf subsystem.
func (d *Device) handleChannel(sc *ssh.ServerConn, conn net.Conn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	started := false
	done := make(chan struct{})
	for {
		var req *ssh.Request
		var ok bool
		select {
		case req, ok = <-reqs:
		case <-done:
			// the shell, exec or subsystem ended: close our side, then keep answering requests
			// until the client closes its side
			done = nil
			_ = ch.Close()
			continue
		}
		if !ok {
			if started && done != nil {
				<-done
			}
			return
		}
		switch req.Type {
		case "pty-req":
			// devices keep their own terminal settings (24x80) until the client sets them
			_ = req.Reply(true, nil)
		case "env", "window-change", "keepalive@openssh.com":
			if req.WantReply {
				_ = req.Reply(true, nil)
			}
		case "shell", "exec", "subsystem":
			if started {
				_ = req.Reply(false, nil)
				continue
			}
			var run func()
			switch req.Type {
			case "shell":
				run = func() { d.runShell(sc, conn, ch) }
			case "exec":
				cmd, ok := sshString(req.Payload)
				if !ok {
					_ = req.Reply(false, nil)
					continue
				}
				run = func() { d.runExec(sc, ch, cmd) }
			case "subsystem":
				name, ok := sshString(req.Payload)
				switch {
				case ok && name == "netconf":
					run = func() { d.runNetconf(sc, ch) }
				case ok && name == "sftp":
					run = func() { d.runSFTP(ch) }
				default:
					_ = req.Reply(false, nil)
					continue
				}
			}
			started = true
			_ = req.Reply(true, nil)
			go func(done chan struct{}) {
				defer close(done)
				run()
			}(done)
		default:
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}
}

// sshString decodes an SSH string (uint32 length, bytes) payload.
func sshString(b []byte) (string, bool) {
	if len(b) < 4 {
		return "", false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return "", false
	}
	return string(b[4 : 4+n]), true
}

// latencyReader applies the device's read latency after every read.
type latencyReader struct {
	r io.Reader
	d *Device
}

func (l latencyReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		if lat := l.d.Faults().ReadLatency; lat > 0 && !l.d.sleep(lat) {
			return 0, net.ErrClosed
		}
	}
	return n, err
}

func exitStatus(ch ssh.Channel, code uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], code)
	_, _ = ch.SendRequest("exit-status", false, b[:])
}

// runShell runs an interactive CLI session on ch.
func (d *Device) runShell(sc *ssh.ServerConn, conn net.Conn, ch ssh.Channel) {
	d.stats.sessions.Add(1)
	if d.Faults().SilentShell {
		_, _ = io.Copy(io.Discard, ch)
		return
	}
	s := newSession(d, ch, latencyReader{r: ch, d: d}, conn, sc.User())
	s.run()
	if s.hangup {
		exitStatus(ch, 0)
		_ = ch.Close()
		_ = sc.Close() // the device hangs up the whole connection, as "exit" on a router does
	}
}

// runExec runs a single command (ssh host "show version"): the output without echo, paging or
// prompt, then the exit status.
func (d *Device) runExec(sc *ssh.ServerConn, ch ssh.Channel, cmd string) {
	d.stats.sessions.Add(1)
	if d.Faults().SilentShell {
		_, _ = io.Copy(io.Discard, ch)
		return
	}
	if sink, path, ok := scpCommand(cmd); ok {
		exitStatus(ch, d.runSCP(ch, sink, path))
		return
	}
	s := newSession(d, ch, nil, nil, sc.User())
	s.length = 0
	s.dl.start(s)
	s.out = s.out[:0] // no banner for exec requests
	d.stats.commands.Add(1)
	s.dl.exec(s, cmd)
	if err := s.flush(); err != nil {
		return
	}
	code := uint32(0)
	if s.failed {
		code = 1
	}
	exitStatus(ch, code)
}
