package devsim

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// ncClient is a minimal NETCONF client for the tests.
type ncClient struct {
	t      *testing.T
	client *ssh.Client
	sess   *ssh.Session
	w      io.Writer
	r      *ncReader
}

func dialNetconf(t *testing.T, d *Device, version string) (*ncClient, string) {
	t.Helper()
	client, err := ssh.Dial("tcp", d.Addr(), clientConfig("admin", ssh.Password("admin")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := sess.StdinPipe()
	r, _ := sess.StdoutPipe()
	if err := sess.RequestSubsystem("netconf"); err != nil {
		t.Fatal(err)
	}
	c := &ncClient{t: t, client: client, sess: sess, w: w, r: &ncReader{r: bufio.NewReader(r)}}
	hello, err := c.r.next()
	if err != nil {
		t.Fatalf("server hello: %v", err)
	}
	caps := ncBase10
	if version == "1.1" {
		caps = ncBase11
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities><capability>%s</capability></capabilities></hello>]]>]]>`, caps)
	c.r.chunked = version == "1.1"
	return c, string(hello)
}

func (c *ncClient) rpc(id int, body string) string {
	c.t.Helper()
	msg := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="%d">%s</rpc>`, id, body)
	if _, err := c.w.Write(frame([]byte(msg), c.r.chunked)); err != nil {
		c.t.Fatal(err)
	}
	reply, err := c.r.next()
	if err != nil {
		c.t.Fatalf("reply to %d: %v", id, err)
	}
	var v struct{}
	if err := xml.Unmarshal(reply, &v); err != nil {
		c.t.Fatalf("reply to %d is not XML: %v\n%s", id, err, reply)
	}
	return string(reply)
}

func TestNetconf(t *testing.T) {
	for _, p := range []Platform{CiscoIOSXE, JuniperJunos} {
		for _, version := range []string{"1.0", "1.1"} {
			t.Run(fmt.Sprintf("%s/%s", p, version), func(t *testing.T) {
				d := startDevice(t, DeviceConfig{Platform: p, Name: "nc1", Seed: 9, ConfigSize: 40000})
				c, hello := dialNetconf(t, d, version)
				for _, want := range []string{ncBase10, ncBase11, "<session-id>"} {
					if !strings.Contains(hello, want) {
						t.Fatalf("hello lacks %s:\n%s", want, hello)
					}
				}
				reply := c.rpc(101, `<get-config><source><running/></source></get-config>`)
				if !strings.Contains(reply, `message-id="101"`) || !strings.Contains(reply, "<data>") {
					t.Fatalf("get-config: %s", tail(reply, 300))
				}
				if p == JuniperJunos {
					if !strings.Contains(reply, "<configuration") || !strings.Contains(reply, "<host-name>nc1</host-name>") {
						t.Fatalf("junos get-config: %s", reply[:400])
					}
				} else if !strings.Contains(reply, "<cli-config-data-block>") || !strings.Contains(reply, "hostname nc1\n") {
					t.Fatalf("get-config: %s", reply[:400])
				}
				if len(reply) < 30000 {
					t.Fatalf("get-config reply is %d bytes for a 40 KB configuration", len(reply))
				}
				reply = c.rpc(102, `<edit-config><target><running/></target><config/></edit-config>`)
				if !strings.Contains(reply, "<rpc-error>") || !strings.Contains(reply, "operation-not-supported") || !strings.Contains(reply, `message-id="102"`) {
					t.Fatalf("edit-config: %s", reply)
				}
				reply = c.rpc(103, `<get-config><source><bogus/></source></get-config>`)
				if !strings.Contains(reply, "invalid-value") {
					t.Fatalf("bad source: %s", reply)
				}
				reply = c.rpc(104, `<close-session/>`)
				if !strings.Contains(reply, "<ok/>") {
					t.Fatalf("close-session: %s", reply)
				}
				if _, err := c.r.next(); err != io.EOF {
					t.Fatalf("after close-session: %v", err)
				}
				if st := d.Stats(); st.NetconfSessions != 1 || st.ConfigReads != 1 {
					t.Fatalf("stats: %+v", st)
				}
			})
		}
	}
}

func TestNetconfMalformed(t *testing.T) {
	d := startDevice(t, DeviceConfig{Seed: 1})
	c, _ := dialNetconf(t, d, "1.1")
	// not XML
	if _, err := c.w.Write(frame([]byte("<rpc message-id=\"1\"><get-config>"), true)); err != nil {
		t.Fatal(err)
	}
	reply, err := c.r.next()
	if err != nil || !strings.Contains(string(reply), "malformed-message") {
		t.Fatalf("%v %s", err, reply)
	}
	// bad chunk framing ends the session
	io.WriteString(c.w, "\n#abc\n")
	if _, err := c.r.next(); err != io.EOF {
		t.Fatalf("after a framing error: %v", err)
	}
}

func FuzzNetconfChunked(f *testing.F) {
	f.Add([]byte("\n#4\nabcd\n##\n"))
	f.Add([]byte("\n#2\nab\n#3\ncde\n##\n"))
	f.Add([]byte("\n#0\n\n##\n"))
	f.Add([]byte("#99999999999\n"))
	f.Add([]byte("\n##\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &ncReader{r: bufio.NewReader(strings.NewReader(string(b))), chunked: true}
		for i := 0; i < 10; i++ {
			msg, err := r.next()
			if err != nil {
				return
			}
			if len(msg) == 0 {
				t.Fatal("empty message accepted")
			}
			// a message read back from its own framing is the same
			again, err := (&ncReader{r: bufio.NewReader(strings.NewReader(string(frame(msg, true)))), chunked: true}).next()
			if err != nil || string(again) != string(msg) {
				t.Fatalf("reframing %q: %q %v", msg, again, err)
			}
		}
	})
}

func FuzzParseRPC(f *testing.F) {
	f.Add([]byte(`<rpc message-id="1"><get-config><source><running/></source></get-config></rpc>`))
	f.Add([]byte(`<rpc><close-session/></rpc>`))
	f.Add([]byte(`<hello/>`))
	f.Add([]byte(`<rpc message-id="1"><lock><target><candidate/></target></lock></rpc>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := &Device{cfg: DeviceConfig{Platform: CiscoIOSXE}}
		n := &ncSession{d: d}
		reply, _ := n.handle(b)
		var v struct{}
		if err := xml.Unmarshal(reply, &v); err != nil {
			t.Fatalf("reply to %q is not XML: %v\n%s", b, err, reply)
		}
	})
}
