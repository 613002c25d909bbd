package devsim

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
)

// mode is where a CLI session is.
type mode uint8

const (
	modeExec      mode = iota // user exec (">")
	modePriv                  // privileged exec ("#"); Junos operational mode
	modeConfig                // configuration mode
	modeTclsh                 // IOS-XE and NX-OS Tcl shell
	modeTclConfig             // NX-OS "configure terminal" inside tclsh
	modeShell                 // Junos "start shell"
)

// dialect is a platform's CLI: its prompts and how it answers a typed line.
type dialect interface {
	// start sets the session's initial mode and prints what the device prints before the
	// first prompt.
	start(s *session)
	// prompt is the text printed before the user types, for the session's current state.
	prompt(s *session) string
	// exec runs one typed line (never while an interactive question is pending).
	exec(s *session, line string)
	// more is the paging marker (" --More-- ", "---(more)---").
	more() string
	// scripts returns the commands that enter configuration mode, that make typed changes
	// take effect and leave configuration mode, and that show the running configuration.
	scripts() (configure string, finish []string, showRun string)
}

func dialectFor(p Platform) dialect {
	switch p {
	case CiscoNXOS:
		return nxosDialect{}
	case CiscoIOSXR:
		return iosxrDialect{}
	case AristaEOS:
		return eosDialect{}
	case JuniperJunos:
		return junosDialect{}
	}
	return iosxeDialect{}
}

// ctxFrame is one level of a configuration sub-mode (interface, router, ...).
type ctxFrame struct {
	header string // the configuration line that opened it, without indentation
	prompt string // the prompt's mode name ("config-if")
}

// session is one interactive CLI session (or a headless one, for Device.Configure and exec
// requests).
type session struct {
	d    *Device
	dl   dialect
	w    io.Writer     // nil for headless sessions
	in   *bufio.Reader // nil for headless sessions
	conn net.Conn      // to drop on DropMidOutput
	user string
	out  []byte // pending output, already with CRLF line ends

	mode     mode
	priv     int  // the user's privilege level in exec
	tclUser  bool // IOS-XE tclsh after "disable": prompt "(tcl)>"
	ctx      []ctxFrame
	length   int // terminal length: rows per page, 0 disables paging
	width    int // terminal width
	noMore   bool
	hangup   bool // the device hung up ("exit")
	dropped  bool // the connection was dropped by a fault
	failed   bool // headless: the last line was rejected
	lastErr  string
	pending  func(line string) // the next line answers a question
	hidden   bool              // and is not echoed
	lastCR   bool
	dropDone bool

	cand      *config  // IOS-XR, Junos and EOS-session candidate configuration; nil until changed
	eosSess   string   // EOS: the configure session being edited ("" outside one)
	candLines []string // IOS-XR: the uncommitted lines as typed, for "show configuration"
	jpath     []string // Junos: the [edit ...] path
	jprivate  bool     // Junos: "configure private" (the candidate is the session's own)
}

func newSession(d *Device, w io.Writer, r io.Reader, conn net.Conn, user string) *session {
	s := &session{d: d, dl: dialectFor(d.cfg.Platform), w: w, conn: conn, user: user, length: 24, width: 80, priv: d.cfg.Privilege}
	if r != nil {
		s.in = bufio.NewReaderSize(r, 4096)
	}
	return s
}

// headless returns a session that is not connected to anything: its output is collected and
// paging is off. Device.Configure and exec requests use it.
func (d *Device) headless(user string) *session {
	s := newSession(d, nil, nil, nil, user)
	s.length = 0
	return s
}

// print queues text for the client, turning "\n" into "\r\n".
func (s *session) print(text string) {
	for {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			s.out = append(s.out, text...)
			return
		}
		s.out = append(s.out, text[:i]...)
		s.out = append(s.out, '\r', '\n')
		text = text[i+1:]
	}
}

// flush writes the queued output, in chunks of at most 32 KiB, each after the write latency.
func (s *session) flush() error {
	if len(s.out) == 0 || s.dropped {
		s.out = s.out[:0]
		return nil
	}
	if s.w == nil {
		return nil // headless: output stays in s.out
	}
	lat := s.d.Faults().WriteLatency
	b := s.out
	for len(b) > 0 {
		n := min(len(b), 32<<10)
		if lat > 0 && !s.d.sleep(lat) {
			return net.ErrClosed
		}
		if _, err := s.w.Write(b[:n]); err != nil {
			s.out = s.out[:0]
			return err
		}
		b = b[n:]
	}
	if cap(s.out) > 64<<10 {
		s.out = nil // do not keep a megabyte buffer for an idle session
	} else {
		s.out = s.out[:0]
	}
	return nil
}

// output prints a command's output, paging it when paging is on. It applies the
// DropMidOutput fault. It reports false when the client quit the pager or the connection was
// dropped.
func (s *session) output(text string) bool {
	if s.dropped {
		return false
	}
	if f := s.d.Faults(); f.DropMidOutput && !s.dropDone && len(text) > 1024 && s.w != nil {
		s.dropDone = true
		s.print(text[:len(text)/2])
		_ = s.flush()
		s.drop()
		return false
	}
	if s.length <= 0 || s.noMore || s.in == nil {
		s.print(text)
		return true
	}
	return s.page(text)
}

// drop closes the TCP connection under the SSH session, as a device that crashes or a link that
// fails would: no SSH disconnect, no channel close.
func (s *session) drop() {
	s.dropped = true
	if s.conn != nil {
		s.conn.Close()
	}
}

// page prints text one screen at a time: after length-1 rows it prints the platform's marker
// and waits for a key: space shows the next page, return the next line, anything else stops.
func (s *session) page(text string) bool {
	marker := s.dl.more()
	per := s.length - 1
	rows := 0
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		var line string
		if i < 0 {
			line, text = text, ""
		} else {
			line, text = text[:i+1], text[i+1:]
		}
		if rows >= per {
			s.print(marker)
			if s.flush() != nil {
				return false
			}
			key, err := s.readKey()
			erase := strings.Repeat("\b", len(marker)) + strings.Repeat(" ", len(marker)) + strings.Repeat("\b", len(marker))
			s.out = append(s.out, erase...)
			if err != nil {
				return false
			}
			switch key {
			case ' ':
				rows = 0
			case '\r', '\n':
				rows = per - 1
			default:
				return false
			}
		}
		s.print(line)
		rows += s.rowsOf(len(line))
	}
	return true
}

// rowsOf is how many screen rows a line of n bytes (with its newline) takes.
func (s *session) rowsOf(n int) int {
	if n > 0 {
		n-- // the newline
	}
	if s.width <= 0 || n <= s.width {
		return 1
	}
	return (n + s.width - 1) / s.width
}

// readKey reads one key for the pager (a CR LF pair counts as one key).
func (s *session) readKey() (byte, error) {
	for {
		b, err := s.in.ReadByte()
		if err != nil {
			return 0, err
		}
		if b == '\n' && s.lastCR {
			s.lastCR = false
			continue
		}
		s.lastCR = b == '\r'
		return b, nil
	}
}

// ask prints a question and routes the next line typed to answer.
func (s *session) ask(question string, hidden bool, answer func(line string)) {
	s.print(question)
	s.pending = answer
	s.hidden = hidden
}

// fail records and prints an error message for a rejected line.
func (s *session) fail(msg string) {
	s.failed = true
	s.lastErr = msg
	s.print(msg)
}

// promptWidth is the width of the prompt's last line, which Cisco's "^" marker counts from.
func (s *session) promptWidth() int {
	p := s.dl.prompt(s)
	if i := strings.LastIndexByte(p, '\n'); i >= 0 {
		p = p[i+1:]
	}
	return len(p)
}

// caret is Cisco's error marker line: spaces up to column col, then "^".
func caret(col int) string {
	return strings.Repeat(" ", col) + "^\n"
}

// run is the interactive loop: it reads keys, echoes them, edits the line and runs it on return.
func (s *session) run() {
	s.dl.start(s)
	if f := s.d.Faults(); f.PromptDelay > 0 {
		if s.flush() != nil || !s.d.sleep(f.PromptDelay) {
			return
		}
	}
	s.print(s.dl.prompt(s))
	var line []byte
	esc := 0
	for !s.hangup && !s.dropped {
		if s.in.Buffered() == 0 {
			if s.flush() != nil {
				return
			}
		}
		b, err := s.in.ReadByte()
		if err != nil {
			_ = s.flush()
			return
		}
		if esc > 0 { // skip the rest of an escape sequence (arrow keys and the like)
			esc--
			if esc == 1 && b != '[' && b != 'O' {
				esc = 0
			}
			continue
		}
		if b == '\n' && s.lastCR {
			s.lastCR = false
			continue
		}
		s.lastCR = b == '\r'
		switch b {
		case '\r', '\n':
			s.print("\n")
			text := string(line)
			line = line[:0]
			s.enter(text)
		case 0x7f, 0x08: // backspace
			if len(line) > 0 {
				line = line[:len(line)-1]
				if !s.hidden {
					s.out = append(s.out, "\b \b"...)
				}
			}
		case 0x15: // ^U kills the line
			if !s.hidden {
				for range line {
					s.out = append(s.out, "\b \b"...)
				}
			}
			line = line[:0]
		case 0x03: // ^C abandons the line
			line = line[:0]
			s.pending, s.hidden = nil, false
			s.print("^C\n")
			s.interrupt()
			s.print(s.dl.prompt(s))
		case 0x1a: // ^Z leaves configuration mode
			line = line[:0]
			s.print("^Z\n")
			s.interrupt()
			s.print(s.dl.prompt(s))
		case 0x1b:
			esc = 2
		case '\t', 0x00:
		default:
			if b < 0x20 {
				continue
			}
			line = append(line, b)
			if !s.hidden {
				s.out = append(s.out, b)
			}
		}
	}
	_ = s.flush()
}

// interrupt handles ^C and ^Z: configuration mode ends, other modes stay.
func (s *session) interrupt() {
	if s.mode == modeConfig && s.d.cfg.Platform != JuniperJunos && s.d.cfg.Platform != CiscoIOSXR {
		s.mode = modePriv
		s.ctx = nil
	}
}

// enter runs a typed line (or answers a pending question) and prints the next prompt.
func (s *session) enter(line string) {
	if s.pending != nil {
		answer := s.pending
		s.pending, s.hidden = nil, false
		answer(line)
	} else {
		s.d.stats.commands.Add(1)
		s.dl.exec(s, strings.TrimRight(line, " \t"))
	}
	if s.hangup || s.dropped || s.pending != nil {
		return
	}
	s.print(s.dl.prompt(s))
}

// hostname is the device's current hostname as the prompt shows it.
func (s *session) hostname() string { return s.d.Hostname() }

// filterOutput applies Cisco-style pipes (include, exclude, begin, section, count) to text.
// It reports false with the offending pipe for an unknown filter.
func filterOutput(text string, pipes []string) (string, string, bool) {
	for _, p := range pipes {
		f := strings.Fields(p)
		if len(f) == 0 {
			return "", p, false
		}
		verb := strings.ToLower(f[0])
		arg := ""
		if len(f) > 1 {
			arg = strings.TrimSpace(p[strings.Index(p, f[0])+len(f[0]):])
		}
		lines := strings.SplitAfter(text, "\n")
		var b bytes.Buffer
		switch {
		case verb == "no-more" || verb == "nomore":
			continue
		case arg == "":
			return "", p, false
		case strings.HasPrefix("include", verb) || strings.HasPrefix("match", verb) || strings.HasPrefix("grep", verb):
			for _, l := range lines {
				if strings.Contains(l, arg) {
					b.WriteString(l)
				}
			}
		case strings.HasPrefix("exclude", verb) || strings.HasPrefix("except", verb):
			for _, l := range lines {
				if !strings.Contains(l, arg) {
					b.WriteString(l)
				}
			}
		case strings.HasPrefix("begin", verb):
			on := false
			for _, l := range lines {
				if !on && strings.Contains(l, arg) {
					on = true
				}
				if on {
					b.WriteString(l)
				}
			}
		case strings.HasPrefix("section", verb):
			in := false
			for _, l := range lines {
				indented := strings.HasPrefix(l, " ")
				if !indented {
					in = strings.Contains(l, arg)
				}
				if in && strings.TrimSpace(l) != "!" {
					b.WriteString(l)
				}
			}
		default:
			return "", p, false
		}
		text = b.String()
	}
	return text, "", true
}

// countConfigRead counts a configuration shown to a client (not to Device.RunningConfig).
func (s *session) countConfigRead() {
	if s.w != nil {
		s.d.stats.configReads.Add(1)
	}
}
