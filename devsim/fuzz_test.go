package devsim

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// FuzzCLI types arbitrary bytes into a CLI session of each platform: the session must neither
// panic nor hang, and must end at the end of input.
func FuzzCLI(f *testing.F) {
	f.Add(byte(0), []byte("terminal length 0\nshow running-config\nconfigure terminal\ninterface Gi1\ndescription x\nend\nexit\n"))
	f.Add(byte(1), []byte("conf t\nhostname a\x7f\x7fb\r\n\x1a\nshow run | inc host\n"))
	f.Add(byte(2), []byte("configure\nhostname x\nend\nno\ncommit\nshow configuration\n"))
	f.Add(byte(3), []byte("enable\nenable\nconfigure\nrouter bgp 1\n   neighbor 1.1.1.1 remote-as 2\nexit\nexit\n"))
	f.Add(byte(4), []byte("configure\nset system host-name \"a b\"\nedit interfaces\ndelete ge-0/0/0\nshow | compare\ncommit\nexit\nstart shell\nexit\n"))
	f.Add(byte(0), []byte("show version\n q\x03\x1b[A\tshow ver | bogus\n"))
	f.Fuzz(func(t *testing.T, which byte, input []byte) {
		p := Platforms()[int(which)%len(Platforms())]
		d := &Device{cfg: DeviceConfig{Platform: p, Name: "fz", Hostname: "fz", ConfigSize: 2000, Username: "admin", EnableSecret: "enable", Privilege: 1}}
		d.ident = newIdentity(d.cfg)
		d.closing = make(chan struct{})
		s := newSession(d, io.Discard, bytes.NewReader(input), nil, "admin")
		s.run()
	})
}

// FuzzParse parses arbitrary lines with every command tree: errors point inside the line.
func FuzzParse(f *testing.F) {
	for _, l := range []string{"show running-config", "sh ru", "configure terminal", "conf t", "", "   ", "end", "s", "show version | include x", "terminal length 0"} {
		f.Add(l)
	}
	trees := []*cmdTree{iosxeExecTree, iosxePrivTree, iosxeConfigTree, nxosTree, nxosConfigTree, iosxrTree, iosxrConfigTree, eosTree, eosConfigTree, junosOpTree, junosConfigTree}
	f.Fuzz(func(t *testing.T, line string) {
		for _, tr := range trees {
			p := tr.parse(line)
			switch p.err {
			case parseOK:
				if p.action == "" {
					t.Fatalf("%q parsed without an action", line)
				}
			default:
				if p.caret < 0 || p.caret > len(line) || p.wordPos < 0 || p.wordPos > len(line) {
					t.Fatalf("%q: caret %d, word at %d", line, p.caret, p.wordPos)
				}
			}
		}
	})
}

// FuzzJunosSet applies arbitrary set and delete commands to a Junos configuration: the result
// always renders, and its XML is well-formed.
func FuzzJunosSet(f *testing.F) {
	f.Add("set system host-name r1", "delete snmp")
	f.Add(`set interfaces ge-0/0/9 description "a <b> & c"`, "delete interfaces ge-0/0/0 unit 0")
	f.Add("set protocols bgp group G neighbor 1.2.3.4 peer-as 1", "delete protocols")
	f.Add("set security policies from-zone a to-zone b policy p then permit", "delete system login user admin")
	f.Fuzz(func(t *testing.T, set, del string) {
		d := &Device{cfg: DeviceConfig{Platform: JuniperJunos, Name: "fz", Hostname: "fz", ConfigSize: 2000, Username: "admin"}}
		d.ident = newIdentity(d.cfg)
		s := d.headless("admin")
		s.mode = modeConfig
		dl := junosDialect{}
		dl.configLine(s, set)
		dl.configLine(s, del)
		tree := dl.candidate(s)
		_ = tree.render(0)
		var b strings.Builder
		tree.renderSet("", &b)
		var x strings.Builder
		x.WriteString("<configuration>")
		tree.renderXML(&x, "", 0)
		x.WriteString("</configuration>")
		dec := xml.NewDecoder(strings.NewReader(x.String()))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("XML after %q / %q: %v\n%s", set, del, err, x.String())
			}
		}
	})
}
