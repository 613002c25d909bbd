package devsim

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// NETCONF over SSH (RFC 6241, RFC 6242) on the "netconf" subsystem: the hello exchange, base:1.0
// end-of-message framing and, when both sides announce base:1.1, chunked framing; get-config
// (and get) of the running configuration, lock, unlock and close-session; an rpc-error for
// everything else.

const (
	ncBase10   = "urn:ietf:params:netconf:base:1.0"
	ncBase11   = "urn:ietf:params:netconf:base:1.1"
	ncEOM      = "]]>]]>"
	ncMaxBytes = 16 << 20 // the largest message the server reads
)

var errNCFraming = errors.New("netconf: invalid framing")

// ncReader reads NETCONF messages in either framing.
type ncReader struct {
	r       *bufio.Reader
	chunked bool
}

// next returns the next message.
func (n *ncReader) next() ([]byte, error) {
	if n.chunked {
		return n.nextChunked()
	}
	var buf []byte
	for {
		b, err := n.r.ReadByte()
		if err != nil {
			return nil, err
		}
		buf = append(buf, b)
		if b == '>' && bytes.HasSuffix(buf, []byte(ncEOM)) {
			return buf[:len(buf)-len(ncEOM)], nil
		}
		if len(buf) > ncMaxBytes {
			return nil, fmt.Errorf("netconf: message larger than %d bytes", ncMaxBytes)
		}
	}
}

// nextChunked reads "\n#<size>\n<data>" chunks until "\n##\n" (RFC 6242 section 4.2).
func (n *ncReader) nextChunked() ([]byte, error) {
	var msg []byte
	for {
		// LF HASH; tolerate extra whitespace between messages
		b, err := n.r.ReadByte()
		for err == nil && (b == '\n' || b == '\r' || b == ' ' || b == '\t') {
			b, err = n.r.ReadByte()
		}
		if err != nil {
			return nil, err
		}
		if b != '#' {
			return nil, errNCFraming
		}
		b, err = n.r.ReadByte()
		if err != nil {
			return nil, err
		}
		if b == '#' {
			if c, err := n.r.ReadByte(); err != nil || c != '\n' {
				if err != nil {
					return nil, err
				}
				return nil, errNCFraming
			}
			if len(msg) == 0 {
				return nil, errNCFraming
			}
			return msg, nil
		}
		size := 0
		digits := 0
		for b != '\n' {
			if b < '0' || b > '9' || digits >= 10 || (digits == 0 && b == '0') {
				return nil, errNCFraming
			}
			size = size*10 + int(b-'0')
			digits++
			if b, err = n.r.ReadByte(); err != nil {
				return nil, err
			}
		}
		if digits == 0 || size == 0 || len(msg)+size > ncMaxBytes {
			return nil, errNCFraming
		}
		start := len(msg)
		msg = append(msg, make([]byte, size)...)
		if _, err := io.ReadFull(n.r, msg[start:]); err != nil {
			return nil, err
		}
	}
}

// frame frames a message for sending.
func frame(msg []byte, chunked bool) []byte {
	if chunked {
		var b bytes.Buffer
		fmt.Fprintf(&b, "\n#%d\n", len(msg))
		b.Write(msg)
		b.WriteString("\n##\n")
		return b.Bytes()
	}
	return append(append([]byte{}, msg...), ncEOM...)
}

// ncCapabilities are the capabilities the device announces.
func (d *Device) ncCapabilities() []string {
	caps := []string{ncBase10, ncBase11, "urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit"}
	switch d.cfg.Platform {
	case JuniperJunos:
		caps = append(caps, "urn:ietf:params:netconf:capability:candidate:1.0", "http://xml.juniper.net/netconf/junos/1.0", "http://xml.juniper.net/dmi/system/1.0")
	case CiscoIOSXR:
		caps = append(caps, "urn:ietf:params:netconf:capability:candidate:1.0", "http://cisco.com/ns/yang/Cisco-IOS-XR-shellutil-oper?module=Cisco-IOS-XR-shellutil-oper&revision=2019-01-01")
	case CiscoIOSXE:
		caps = append(caps, "http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&revision=2021-11-01")
	case CiscoNXOS:
		caps = append(caps, "http://cisco.com/ns/yang/cisco-nx-os-device?revision=2021-07-22&module=Cisco-NX-OS-device")
	case AristaEOS:
		caps = append(caps, "http://arista.com/yang/openconfig/eos/types?module=arista-eos-types&revision=2021-09-01")
	}
	return caps
}

// ncSession is one NETCONF session.
type ncSession struct {
	d       *Device
	ch      io.ReadWriter
	conn    interface{ Close() error }
	in      *ncReader
	id      uint32
	chunked bool
	dropped bool
}

// runNetconf serves the netconf subsystem on ch.
func (d *Device) runNetconf(sc *ssh.ServerConn, ch ssh.Channel) {
	d.stats.netconf.Add(1)
	if d.Faults().SilentShell {
		_, _ = io.Copy(io.Discard, ch)
		return
	}
	n := &ncSession{d: d, ch: ch, conn: sc, in: &ncReader{r: bufio.NewReaderSize(latencyReader{r: ch, d: d}, 32<<10)}}
	n.id = d.ident.sessions + uint32(d.stats.netconf.Load())
	n.serve()
}

func (n *ncSession) write(msg []byte) error {
	out := frame(msg, n.chunked)
	f := n.d.Faults()
	if f.DropMidOutput && len(out) > 1024 {
		_, _ = n.ch.Write(out[:len(out)/2])
		n.dropped = true
		return n.conn.Close()
	}
	if f.WriteLatency > 0 && !n.d.sleep(f.WriteLatency) {
		return errors.New("device closed")
	}
	_, err := n.ch.Write(out)
	return err
}

func (n *ncSession) serve() {
	var hello strings.Builder
	hello.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	hello.WriteString(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">` + "\n  <capabilities>\n")
	for _, c := range n.d.ncCapabilities() {
		fmt.Fprintf(&hello, "    <capability>%s</capability>\n", escapeXML(c))
	}
	fmt.Fprintf(&hello, "  </capabilities>\n  <session-id>%d</session-id>\n</hello>", n.id)
	if err := n.write([]byte(hello.String())); err != nil {
		return
	}
	// the client's hello, always end-of-message framed
	msg, err := n.in.next()
	if err != nil {
		return
	}
	caps, err := parseHello(msg)
	if err != nil {
		n.d.log.Debug().Err(err).Msg("netconf: bad hello")
		return
	}
	for _, c := range caps {
		if c == ncBase11 {
			n.chunked = true
		}
	}
	n.in.chunked = n.chunked
	for {
		msg, err := n.in.next()
		if err != nil {
			if errors.Is(err, errNCFraming) {
				// RFC 6242: on a framing error the session is terminated
				n.d.log.Debug().Err(err).Msg("netconf: framing error")
			}
			return
		}
		reply, closeAfter := n.handle(msg)
		if err := n.write(reply); err != nil || closeAfter || n.dropped {
			return
		}
	}
}

// parseHello checks a client hello and returns its capabilities.
func parseHello(msg []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(msg))
	var caps []string
	sawHello := false
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("netconf: hello: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "hello" {
				sawHello = true
			}
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if t.Name.Local == "capability" {
				caps = append(caps, strings.TrimSpace(text.String()))
			}
		}
	}
	if !sawHello {
		return nil, errors.New("netconf: the first message is not a hello")
	}
	ok := false
	for _, c := range caps {
		ok = ok || c == ncBase10 || c == ncBase11
	}
	if !ok {
		return nil, errors.New("netconf: the client supports neither base:1.0 nor base:1.1")
	}
	return caps, nil
}

// rpcRequest is what the server needs from an <rpc>.
type rpcRequest struct {
	attrs  []xml.Attr
	op     string
	source string // get-config: running, candidate, startup
	target string // lock, unlock
}

func parseRPC(msg []byte) (*rpcRequest, error) {
	dec := xml.NewDecoder(bytes.NewReader(msg))
	req := &rpcRequest{}
	depth := 0
	var path []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return req, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			path = append(path, t.Name.Local)
			switch {
			case depth == 1:
				if t.Name.Local != "rpc" {
					return req, fmt.Errorf("the message is <%s>, not <rpc>", t.Name.Local)
				}
				req.attrs = t.Attr
			case depth == 2 && req.op == "":
				req.op = t.Name.Local
			case depth == 4 && path[2] == "source":
				req.source = t.Name.Local
			case depth == 4 && path[2] == "target":
				req.target = t.Name.Local
			}
		case xml.EndElement:
			depth--
			path = path[:len(path)-1]
		}
	}
	if depth != 0 || req.attrs == nil && req.op == "" {
		return req, errors.New("incomplete message")
	}
	return req, nil
}

func (r *rpcRequest) messageID() string {
	for _, a := range r.attrs {
		if a.Name.Local == "message-id" {
			return a.Value
		}
	}
	return ""
}

// replyOpen is the <rpc-reply> start tag with the rpc's attributes (RFC 6241 section 4.2).
func (n *ncSession) replyOpen(req *rpcRequest) string {
	var b strings.Builder
	b.WriteString(`<rpc-reply xmlns="` + "urn:ietf:params:xml:ns:netconf:base:1.0" + `"`)
	if n.d.cfg.Platform == JuniperJunos {
		b.WriteString(` xmlns:junos="http://xml.juniper.net/junos/` + n.d.ident.version + `/junos"`)
	}
	if req != nil {
		for _, a := range req.attrs {
			if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
				continue
			}
			fmt.Fprintf(&b, ` %s="%s"`, a.Name.Local, escapeXML(a.Value))
		}
	}
	b.WriteString(">")
	return b.String()
}

func (n *ncSession) rpcError(req *rpcRequest, typ, tag, msg string, info string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(n.replyOpen(req))
	b.WriteString("\n  <rpc-error>\n")
	fmt.Fprintf(&b, "    <error-type>%s</error-type>\n    <error-tag>%s</error-tag>\n    <error-severity>error</error-severity>\n", typ, tag)
	if info != "" {
		fmt.Fprintf(&b, "    <error-info>%s</error-info>\n", info)
	}
	fmt.Fprintf(&b, "    <error-message xml:lang=\"en\">%s</error-message>\n  </rpc-error>\n</rpc-reply>", escapeXML(msg))
	return []byte(b.String())
}

func (n *ncSession) ok(req *rpcRequest) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + n.replyOpen(req) + "\n  <ok/>\n</rpc-reply>")
}

// handle answers one rpc; closeAfter is set by close-session.
func (n *ncSession) handle(msg []byte) ([]byte, bool) {
	req, err := parseRPC(msg)
	if err != nil {
		return n.rpcError(nil, "rpc", "malformed-message", "malformed message: "+err.Error(), ""), false
	}
	if req.messageID() == "" {
		return n.rpcError(req, "rpc", "missing-attribute", "the rpc has no message-id attribute",
			"<bad-attribute>message-id</bad-attribute><bad-element>rpc</bad-element>"), false
	}
	n.d.stats.commands.Add(1)
	switch req.op {
	case "close-session":
		return n.ok(req), true
	case "lock", "unlock":
		if req.target != "running" && req.target != "candidate" {
			return n.rpcError(req, "protocol", "invalid-value", "unknown datastore "+req.target, ""), false
		}
		return n.ok(req), false
	case "get-config", "get", "get-configuration":
		src := req.source
		if req.op != "get-config" {
			src = "running"
		}
		switch src {
		case "running", "candidate":
		case "startup":
			if n.d.cfg.Platform == JuniperJunos || n.d.cfg.Platform == CiscoIOSXR {
				return n.rpcError(req, "protocol", "invalid-value", "the startup datastore is not supported", ""), false
			}
		case "":
			return n.rpcError(req, "protocol", "missing-element", "get-config needs a <source>", "<bad-element>source</bad-element>"), false
		default:
			return n.rpcError(req, "protocol", "invalid-value", "unknown datastore "+src, ""), false
		}
		if req.op == "get-configuration" && n.d.cfg.Platform != JuniperJunos {
			break
		}
		n.d.stats.configReads.Add(1)
		return n.configReply(req, src), false
	}
	return n.rpcError(req, "protocol", "operation-not-supported", fmt.Sprintf("the operation %q is not supported by this device", req.op),
		"<bad-element>"+escapeXML(req.op)+"</bad-element>"), false
}

// configReply is the data of a get-config: Junos' <configuration> tree, or the CLI
// configuration text in a <cli-config-data-block> (as IOS' legacy NETCONF returns it).
func (n *ncSession) configReply(req *rpcRequest, src string) []byte {
	d := n.d
	c := d.currentConfig()
	if src == "startup" {
		c = d.startupConfig()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(n.replyOpen(req))
	b.WriteString("\n")
	if req.op != "get-configuration" {
		b.WriteString("  <data>\n")
	}
	if c.junos != nil {
		changed, by, _, _ := d.changeTimes()
		fmt.Fprintf(&b, "    <configuration xmlns=\"http://xml.juniper.net/xnm/1.1/xnm\" junos:commit-seconds=\"%d\" junos:commit-localtime=\"%s\" junos:commit-user=\"%s\">\n",
			changed.Unix(), junosTime(changed), escapeXML(by))
		c.junos.renderXML(&b, "", 3)
		b.WriteString("    </configuration>\n")
	} else {
		b.WriteString("    <cli-config-data-block>")
		b.WriteString(escapeXML(renderLines(c.lines, time.Now().UTC(), d.cfg.Seed) + "end\n"))
		b.WriteString("</cli-config-data-block>\n")
	}
	if req.op != "get-configuration" {
		b.WriteString("  </data>\n")
	}
	b.WriteString("</rpc-reply>")
	return []byte(b.String())
}

// escapeXML escapes text for element content and attribute values (newlines stay as they are).
func escapeXML(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c >= 0x80 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' {
			continue // not allowed in XML 1.0
		}
		switch s[i] {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\r':
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
