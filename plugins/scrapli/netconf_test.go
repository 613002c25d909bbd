package scrapli_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
)

// ncServer is a small NETCONF-over-SSH server (RFC 6241/6242) for the NETCONF plugin's tests
// until the device simulator serves NETCONF: hello with base:1.0 and optionally base:1.1,
// end-of-message and chunked framing, get-config, close-session, rpc-error for anything else.
type ncServer struct {
	ln         net.Listener
	cfg        *ssh.ServerConfig
	knownHosts string
	v11        bool
	config     string

	delay        atomic.Int64 // ns before answering an RPC
	dropAfterRPC atomic.Bool  // drop the TCP connection after answering one RPC
	closeSession atomic.Int64 // close-session RPCs received
	active       atomic.Int64
	stop         chan struct{}
	wg           sync.WaitGroup
}

func startNetconfServer(t *testing.T, v11 bool) *ncServer {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(nil)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	s := &ncServer{v11: v11, stop: make(chan struct{}), config: `<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>nc1</hostname>` +
		`<enable><secret><type>9</type><secret>$9$abc</secret></secret></enable></native>`}
	s.cfg = &ssh.ServerConfig{PasswordCallback: func(m ssh.ConnMetadata, p []byte) (*ssh.Permissions, error) {
		if m.User() == "admin" && string(p) == "admin" {
			return nil, nil
		}
		return nil, errors.New("denied")
	}}
	s.cfg.AddHostKey(signer)
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.knownHosts = filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.ln.Addr().String())}, signer.PublicKey())
	if err := os.WriteFile(s.knownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.wg.Go(s.serve)
	t.Cleanup(func() { close(s.stop); _ = s.ln.Close(); s.wg.Wait() })
	return s
}

func (s *ncServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() { s.handle(c) })
	}
}

func (s *ncServer) handle(c net.Conn) {
	s.active.Add(1)
	defer s.active.Add(-1)
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() {
			for r := range creqs {
				ok := r.Type == "subsystem" && len(r.Payload) > 4 && string(r.Payload[4:]) == "netconf"
				_ = r.Reply(ok, nil)
				if ok {
					s.session(sc, ch)
				}
			}
		})
	}
}

var messageID = regexp.MustCompile(`message-id="(\d+)"`)

func (s *ncServer) session(sc *ssh.ServerConn, ch ssh.Channel) {
	defer ch.Close()
	caps := "<capability>urn:ietf:params:netconf:base:1.0</capability>"
	if s.v11 {
		caps += "<capability>urn:ietf:params:netconf:base:1.1</capability>"
	}
	fmt.Fprintf(ch, `<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>%s</capabilities><session-id>7</session-id></hello>]]>]]>`, caps)
	r := bufio.NewReader(ch)
	hello, err := readUntil(r, "]]>]]>")
	if err != nil {
		return
	}
	chunked := s.v11 && strings.Contains(hello, "base:1.1")
	for {
		var msg string
		if chunked {
			msg, err = readChunked(r)
		} else {
			msg, err = readUntil(r, "]]>]]>")
		}
		if err != nil {
			return
		}
		select {
		case <-time.After(time.Duration(s.delay.Load())):
		case <-s.stop:
			return
		}
		id := "0"
		if m := messageID.FindStringSubmatch(msg); m != nil {
			id = m[1]
		}
		var body string
		closing := false
		switch {
		case strings.Contains(msg, "<get-config>") && strings.Contains(msg, "<running"):
			body = "<data>" + s.config + "</data>"
		case strings.Contains(msg, "<close-session"):
			s.closeSession.Add(1)
			body, closing = "<ok/>", true
		default:
			body = `<rpc-error><error-type>protocol</error-type><error-tag>operation-not-supported</error-tag>` +
				`<error-severity>error</error-severity><error-message>not supported by the test server</error-message></rpc-error>`
		}
		reply := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="%s">%s</rpc-reply>`, id, body)
		if chunked {
			fmt.Fprintf(ch, "\n#%d\n%s\n##\n", len(reply), reply)
		} else {
			fmt.Fprintf(ch, "%s]]>]]>", reply)
		}
		if closing {
			return
		}
		if s.dropAfterRPC.Load() {
			time.Sleep(100 * time.Millisecond) // let the client take the reply first
			_ = sc.Conn.Close()
			return
		}
	}
}

func readUntil(r *bufio.Reader, delim string) (string, error) {
	var b bytes.Buffer
	for !bytes.HasSuffix(b.Bytes(), []byte(delim)) {
		c, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		b.WriteByte(c)
	}
	return strings.TrimSuffix(b.String(), delim), nil
}

// readChunked reads one base:1.1 message: "\n#len\n" chunks ended by "\n##\n" (leading
// newlines tolerated).
func readChunked(r *bufio.Reader) (string, error) {
	var msg strings.Builder
	for {
		c, err := r.ReadByte()
		for err == nil && (c == '\n' || c == '\r') {
			c, err = r.ReadByte()
		}
		if err != nil {
			return "", err
		}
		if c != '#' {
			return "", fmt.Errorf("bad chunk start %q", c)
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimSpace(line)
		if line == "#" {
			return msg.String(), nil
		}
		n, err := strconv.Atoi(line)
		if err != nil {
			return "", err
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		msg.Write(buf)
	}
}

func (s *ncServer) target(extras map[string]any) connection.Target {
	addr := s.ln.Addr().(*net.TCPAddr)
	ex := map[string]any{scrapli.ExtraKnownHostsFile: s.knownHosts, scrapli.ExtraTimeoutOps: 5, scrapli.ExtraTimeoutTransport: 5}
	for k, v := range extras {
		ex[k] = v
	}
	return connection.Target{
		Host:   &inventory.Host{Name: "nc1"},
		Key:    connection.Key{Platform: scrapli.PlatformIOSXE, Type: scrapli.TypeNETCONF, Library: scrapli.Library},
		Params: inventory.Params{Hostname: "127.0.0.1", Port: addr.Port, Username: "admin", Password: "admin", Extras: ex},
		Logger: zerolog.Nop(),
	}
}

func (s *ncServer) waitIdle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the NETCONF server still has %d connections", s.active.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNetconf(t *testing.T) {
	for _, v11 := range []bool{false, true} {
		t.Run(fmt.Sprintf("base1.1=%v", v11), func(t *testing.T) {
			srv := startNetconfServer(t, v11)
			o, err := scrapli.NewNetconfOpener(scrapli.PlatformIOSXE)
			if err != nil {
				t.Fatal(err)
			}
			log := filepath.Join(t.TempDir(), "nc.log")
			sess, err := o.Open(ctxT(t), srv.target(map[string]any{scrapli.ExtraSessionLog: log}))
			if err != nil {
				t.Fatal(err)
			}
			s := sess.(*scrapli.NetconfSession)
			want := "1.0"
			if v11 {
				want = "1.1"
			}
			if s.Version() != want || len(s.Capabilities()) == 0 {
				t.Errorf("version %q capabilities %v", s.Version(), s.Capabilities())
			}
			cfg, err := s.GetConfig(ctxT(t), "running")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(cfg, "<hostname>nc1</hostname>") || !strings.HasPrefix(cfg, "<rpc-reply") {
				t.Fatalf("get-config: %s", cfg)
			}
			_, err = s.GetConfig(ctxT(t), "startup")
			var ce *connection.CommandError
			if !errors.As(err, &ce) || !strings.Contains(ce.Output, "not supported by the test server") {
				t.Fatalf("rpc-error: %v", err)
			}
			if _, err := s.GetConfig(ctxT(t), "nonsense"); !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("unknown datastore: %v", err)
			}
			if s.Raw() == nil {
				t.Error("Raw() is nil")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if srv.closeSession.Load() != 1 {
				t.Errorf("close-session sent %d times", srv.closeSession.Load())
			}
			srv.waitIdle(t)
			b, _ := os.ReadFile(log)
			if strings.Contains(string(b), "$9$abc") || !strings.Contains(string(b), "<hostname>nc1</hostname>") {
				t.Errorf("session log:\n%s", b)
			}
		})
	}
}

// TestNetconfLostConnection covers scrapligo's netconf Close blocking forever once the
// connection is gone while the session is idle (its reader goroutine waits to hand the read
// error to an RPC that never comes): Close must return, and leave no goroutine (TestMain's
// goleak).
func TestNetconfLostConnection(t *testing.T) {
	for _, callAfterLoss := range []bool{false, true} {
		t.Run(fmt.Sprintf("call-after-loss=%v", callAfterLoss), func(t *testing.T) {
			srv := startNetconfServer(t, true)
			o, _ := scrapli.NewNetconfOpener(scrapli.PlatformIOSXE)
			sess, err := o.Open(ctxT(t), srv.target(nil))
			if err != nil {
				t.Fatal(err)
			}
			s := sess.(*scrapli.NetconfSession)
			srv.dropAfterRPC.Store(true)
			if _, err := s.GetConfig(ctxT(t), "running"); err != nil {
				t.Fatal(err)
			}
			srv.waitIdle(t) // the server dropped the connection
			time.Sleep(50 * time.Millisecond)
			if callAfterLoss {
				if _, err := s.GetConfig(ctxT(t), "running"); !errors.Is(err, connection.ErrConnectionLost) {
					t.Errorf("get-config on a dropped connection = %v", err)
				}
			}
			done := make(chan error, 1)
			go func() { done <- s.Close() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Close: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Close of a lost NETCONF session hangs")
			}
		})
	}
}

func TestNetconfCancel(t *testing.T) {
	srv := startNetconfServer(t, false)
	o, _ := scrapli.NewNetconfOpener(scrapli.PlatformIOSXE)
	sess, err := o.Open(ctxT(t), srv.target(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := sess.(*scrapli.NetconfSession)
	srv.delay.Store(int64(2 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.GetConfig(ctx, "running"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("get-config past its deadline = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	srv.delay.Store(0)

	// Bad credentials are an authentication error.
	bad := srv.target(nil)
	bad.Params.Password = "nope"
	if _, err := o.Open(ctxT(t), bad); !errors.Is(err, connection.ErrAuthentication) {
		t.Errorf("bad credentials: %v", err)
	}
	srv.waitIdle(t)
}
