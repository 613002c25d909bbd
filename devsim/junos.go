package devsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// junosDialect is Juniper Junos (modelled on Junos 17.x-22.x): operational mode ("user@host> "),
// configuration mode with a candidate, "set"/"delete"/"edit", "commit", and "start shell".
type junosDialect struct{}

var junosOpSpecs = []cmdSpec{
	{"clear LINE", "noop"}, {"configure", "configure"}, {"configure exclusive", "configure exclusive"},
	{"configure private", "configure private"}, {"exit", "exit"}, {"quit", "exit"}, {"file checksum md5 WORD", "file checksum md5"}, {"file LINE", "noop"},
	{"help [LINE]", "noop"}, {"monitor LINE", "noop"}, {"op LINE", "noop"}, {"ping LINE", "noop"},
	{"request LINE", "noop"}, {"restart LINE", "noop"}, {"save LINE", "noop"},
	{"set cli screen-length WORD", "screen-length"}, {"set cli screen-width WORD", "screen-width"},
	{"set cli complete-on-space WORD", "complete-on-space"}, {"set cli timestamp [LINE]", "noop"},
	{"set cli idle-timeout [LINE]", "noop"}, {"set date LINE", "noop"},
	{"show chassis hardware [LINE]", "show chassis hardware"}, {"show cli [LINE]", "noop"},
	{"show configuration [LINE]", "show configuration"}, {"show interfaces terse [LINE]", "show interfaces terse"},
	{"show interfaces [LINE]", "noop"}, {"show route [LINE]", "noop"}, {"show bgp LINE", "noop"},
	{"show system uptime [LINE]", "show system uptime"}, {"show system storage [LINE]", "show system storage"}, {"show system LINE", "noop"},
	{"show version [LINE]", "show version"}, {"start shell", "start shell"}, {"start shell user WORD", "start shell"},
	{"test LINE", "noop"}, {"traceroute LINE", "noop"},
}

var junosConfigSpecs = []cmdSpec{
	{"activate LINE", "noop"}, {"annotate LINE", "noop"}, {"commit [LINE]", "commit"}, {"copy LINE", "noop"},
	{"deactivate LINE", "noop"}, {"delete LINE", "delete"}, {"edit [LINE]", "edit"}, {"exit [LINE]", "exit"},
	{"help [LINE]", "noop"}, {"insert LINE", "noop"}, {"load LINE", "noop"}, {"quit [LINE]", "exit"},
	{"rename LINE", "noop"}, {"replace LINE", "noop"}, {"rollback [LINE]", "rollback"}, {"run LINE", "run"},
	{"save LINE", "noop"}, {"set LINE", "set"}, {"show [LINE]", "show"}, {"status", "noop"},
	{"top [LINE]", "top"}, {"up [LINE]", "up"}, {"update", "noop"}, {"wildcard LINE", "noop"},
}

var (
	junosOpTree     = newCmdTree(junosOpSpecs...)
	junosConfigTree = newCmdTree(junosConfigSpecs...)
)

// junosTop are the top-level configuration statements.
var junosTop = map[string]bool{
	"version": true, "system": true, "chassis": true, "services": true, "security": true, "interfaces": true,
	"snmp": true, "forwarding-options": true, "routing-options": true, "protocols": true, "policy-options": true,
	"class-of-service": true, "firewall": true, "routing-instances": true, "vlans": true, "applications": true,
	"groups": true, "apply-groups": true, "access": true, "event-options": true, "poe": true,
	"switch-options": true, "virtual-chassis": true, "ethernet-switching-options": true, "bridge-domains": true,
}

func (junosDialect) more() string { return "---(more)---" }

func (junosDialect) scripts() (string, []string, string) {
	return "configure", []string{"commit", "exit"}, "show configuration"
}

func (junosDialect) start(s *session) {
	s.mode = modePriv
	s.print(fmt.Sprintf("--- JUNOS %s Kernel 64-bit  JNPR-12.1-20230118.a0d2e6f_buil\n", s.d.ident.version))
}

func (junosDialect) userHost(s *session) string {
	if h := s.hostname(); h != "" {
		return s.user + "@" + h
	}
	return s.user
}

func (dl junosDialect) prompt(s *session) string {
	switch s.mode {
	case modeShell:
		return "% "
	case modeConfig:
		path := ""
		if len(s.jpath) > 0 {
			path = " " + strings.Join(s.jpath, " ")
		}
		return "\n[edit" + path + "]\n" + dl.userHost(s) + "# "
	}
	return "\n" + dl.userHost(s) + "> "
}

func junosTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }

// junosError prints a Junos parse error: the "^" under the start of the offending word.
func junosError(s *session, p parsed, line string, config bool) {
	pos := p.wordPos
	switch {
	case p.err == parseUnknown:
		s.fail(caret(s.promptWidth()+pos) + "unknown command.\n")
	case p.err == parseAmbiguous:
		w := tokenize(line)[p.word].text
		s.fail(caret(s.promptWidth()+pos) + fmt.Sprintf("'%s' is ambiguous.\n", w))
	case config:
		s.fail(caret(s.promptWidth()+pos) + "syntax error.\n")
	default:
		s.fail(caret(s.promptWidth()+pos) + "syntax error, expecting <command>.\n")
	}
}

func (dl junosDialect) exec(s *session, line string) {
	switch s.mode {
	case modeShell:
		dl.shell(s, line)
		return
	case modeConfig:
		if strings.TrimSpace(line) == "" {
			return
		}
		dl.configLine(s, line)
		return
	}
	if strings.TrimSpace(line) == "" {
		return
	}
	dl.opLine(s, line)
}

// pipes applies Junos output pipes; it reports false for an unknown one.
func (dl junosDialect) pipes(s *session, text string, pipes []string, tree *jnode) (string, bool) {
	var rest []string
	for _, p := range pipes {
		f := strings.Fields(p)
		switch {
		case len(f) == 0:
			return "", false
		case strings.HasPrefix("no-more", f[0]) && len(f[0]) >= 2:
			s.noMore = true
		case strings.HasPrefix("display", f[0]) && len(f) == 2 && strings.HasPrefix("set", f[1]) && tree != nil:
			var b strings.Builder
			tree.renderSet("", &b)
			text = b.String()
		case strings.HasPrefix("display", f[0]) && len(f) == 2 && strings.HasPrefix("xml", f[1]) && tree != nil:
			var b strings.Builder
			b.WriteString("<rpc-reply xmlns:junos=\"http://xml.juniper.net/junos/" + s.d.ident.version + "/junos\">\n    <configuration>\n")
			tree.renderXML(&b, "", 2)
			b.WriteString("    </configuration>\n    <cli>\n        <banner></banner>\n    </cli>\n</rpc-reply>\n")
			text = b.String()
		case strings.HasPrefix("count", f[0]):
			text = fmt.Sprintf("Count: %d lines\n", strings.Count(text, "\n"))
		default:
			rest = append(rest, p)
		}
	}
	if len(rest) > 0 {
		var ok bool
		if text, _, ok = filterOutput(text, rest); !ok {
			return "", false
		}
	}
	return text, true
}

func (dl junosDialect) opLine(s *session, line string) {
	cmd, pipes := splitPipe(line)
	p := junosOpTree.parse(cmd)
	if p.err != parseOK {
		junosError(s, p, cmd, false)
		return
	}
	d := s.d
	var text string
	var tree *jnode
	switch p.action {
	case "exit":
		s.hangup = true
		return
	case "noop":
		s.print(" \n")
		return
	case "screen-length", "screen-width":
		n, err := strconv.Atoi(p.args[0])
		if err != nil || n < 0 {
			s.fail(caret(s.promptWidth()+tokenize(cmd)[3].start) + "syntax error, expecting <number>.\n")
			return
		}
		if p.action == "screen-length" {
			s.length = n
			s.print(fmt.Sprintf(" \nScreen length set to %d\n", n))
		} else {
			s.width = n
			s.print(fmt.Sprintf(" \nScreen width set to %d\n", n))
		}
		return
	case "complete-on-space":
		switch p.args[0] {
		case "off":
			s.print(" \nDisabling complete-on-space\n")
		case "on":
			s.print(" \nEnabling complete-on-space\n")
		default:
			s.fail(caret(s.promptWidth()+tokenize(cmd)[3].start) + "syntax error.\n")
		}
		return
	case "configure", "configure exclusive", "configure private":
		s.print(" \n")
		if p.action != "configure" {
			s.print("warning: uncommitted changes will be discarded on exit\n")
		}
		s.print("Entering configuration mode\n")
		s.mode, s.jpath, s.cand = modeConfig, nil, nil
		s.jprivate = p.action == "configure private"
		if !s.jprivate {
			// plain configure edits the shared candidate, with what earlier sessions left in it
			s.cand = d.sharedCandidate()
			if s.cand != nil {
				s.print("The configuration has been changed but not committed\n")
			}
		}
		return
	case "start shell":
		s.print(" \n")
		s.mode = modeShell
		return
	case "show version":
		text = dl.showVersion(s)
	case "show system uptime":
		text = dl.showUptime(s)
	case "show chassis hardware":
		text = fmt.Sprintf("Hardware inventory:\nItem             Version  Part number  Serial number     Description\nChassis                                %-17s %s\n", d.ident.serial, strings.ToUpper(d.ident.model))
	case "show interfaces terse":
		text = dl.showTerse(s)
	case "show system storage":
		text = d.storageOutput()
	case "file checksum md5":
		out, ok := d.md5Output(p.args[0])
		if !ok {
			s.fail(" \n" + out)
			return
		}
		text = out
	case "show configuration":
		s.countConfigRead()
		cfg := d.currentConfig().junos
		var path []string
		if len(p.args) > 0 {
			for _, t := range tokenize(p.args[0]) {
				path = append(path, t.text)
			}
			if !junosTop[path[0]] {
				pos := strings.Index(cmd, p.args[0])
				s.fail(caret(s.promptWidth()+pos) + "syntax error, expecting <command>.\n")
				return
			}
		}
		text, tree = dl.showTree(s, cfg, path, true)
	}
	out, ok := dl.pipes(s, text, pipes, tree)
	if !ok {
		s.fail(caret(s.promptWidth()+len(cmd)+3) + "syntax error, expecting <command>.\n")
		return
	}
	s.print(" \n")
	s.output(out)
	s.noMore = false
}

// showTree renders the configuration (or the part at path) with its header line.
func (dl junosDialect) showTree(s *session, cfg *jnode, path []string, running bool) (string, *jnode) {
	d := s.d
	changed, by, _, _ := d.changeTimes()
	var b strings.Builder
	sub := cfg
	if len(path) > 0 {
		sub = cfg.walk(path, false)
		if sub == nil {
			// a leaf, or nothing
			if n := cfg.find(path...); n != nil && n.leaf {
				sub = &jnode{children: []*jnode{n}}
			} else if len(path) > 1 {
				if parent := cfg.walk(path[:len(path)-1], false); parent != nil {
					for _, ch := range parent.children {
						if ch.name == path[len(path)-1] {
							sub = &jnode{children: []*jnode{ch}}
						}
					}
				}
			}
		}
		if sub == nil {
			return "", nil
		}
	}
	if running {
		if len(path) == 0 {
			fmt.Fprintf(&b, "## Last commit: %s by %s\n", junosTime(changed), by)
		}
	} else {
		fmt.Fprintf(&b, "## Last changed: %s\n", junosTime(changed))
	}
	text := sub.render(0)
	if running && len(path) == 0 && d.Faults().TruncateConfig {
		text = truncateConfig(text)
	}
	b.WriteString(text)
	return b.String(), sub
}

func (dl junosDialect) showVersion(s *session) string {
	id := s.d.ident
	var b strings.Builder
	if h := s.hostname(); h != "" {
		fmt.Fprintf(&b, "Hostname: %s\n", h)
	}
	fmt.Fprintf(&b, "Model: %s\n", id.model)
	fmt.Fprintf(&b, "Junos: %s\n", id.version)
	fmt.Fprintf(&b, "JUNOS OS Kernel 64-bit  [20230118.a0d2e6f_builder_stable_12]\n")
	fmt.Fprintf(&b, "JUNOS OS libs [20230118.a0d2e6f_builder_stable_12]\n")
	fmt.Fprintf(&b, "JUNOS OS runtime [20230118.a0d2e6f_builder_stable_12]\n")
	fmt.Fprintf(&b, "JUNOS Software Release [%s]\n", id.version)
	return b.String()
}

func (dl junosDialect) showUptime(s *session) string {
	d := s.d
	now := time.Now().UTC()
	up := now.Sub(d.ident.boot)
	changed, by, _, _ := d.changeTimes()
	days := int(up / (24 * time.Hour))
	_, _, _, h, m, _ := uptimeParts(up)
	return fmt.Sprintf("Current time: %s\nTime Source:  NTP CLOCK \nSystem booted: %s (%dd %02d:%02d ago)\nLast configured: %s by %s\n%s  up %d days, %2d:%02d, 1 user, load averages: 0.08, 0.11, 0.09\n",
		junosTime(now), junosTime(d.ident.boot), days, h, m, junosTime(changed), by, now.Format("3:04PM"), days, h, m)
}

func (dl junosDialect) showTerse(s *session) string {
	var b strings.Builder
	b.WriteString("Interface               Admin Link Proto    Local                 Remote\n")
	ifs := s.d.currentConfig().junos.find("interfaces")
	if ifs == nil {
		return b.String()
	}
	for _, in := range ifs.children {
		admin := "up"
		if in.find("disable") != nil {
			admin = "down"
		}
		fmt.Fprintf(&b, "%-24s%-6s%-5s\n", in.name, admin, admin)
		for _, u := range in.children {
			if !strings.HasPrefix(u.name, "unit ") {
				continue
			}
			addr := ""
			if a := u.find("family inet", "address"); a != nil {
				addr = a.value
			}
			proto := ""
			if addr != "" {
				proto = "inet"
			}
			fmt.Fprintf(&b, "%-24s%-6s%-5s%-9s%s\n", in.name+"."+strings.TrimPrefix(u.name, "unit "), admin, admin, proto, addr)
		}
	}
	return b.String()
}

// candidate returns the session's Junos candidate configuration.
func (dl junosDialect) candidate(s *session) *jnode {
	if s.cand == nil {
		s.cand = s.d.currentConfig().clone()
	}
	return s.cand.junos
}

func (dl junosDialect) changed(s *session) bool {
	return s.cand != nil && !s.cand.equal(s.d.currentConfig())
}

func (dl junosDialect) configLine(s *session, line string) {
	cmd, pipes := splitPipe(line)
	p := junosConfigTree.parse(cmd)
	if p.err != parseOK {
		junosError(s, p, cmd, true)
		return
	}
	var words []string
	var toks []token
	if len(p.args) > 0 {
		var err error
		off := strings.Index(cmd, p.args[0])
		toks, err = jtokens(p.args[0])
		if err != nil {
			s.fail(caret(s.promptWidth()+len(cmd)) + "syntax error.\n")
			return
		}
		for i := range toks {
			toks[i].start += off
			words = append(words, toks[i].text)
		}
	}
	// a path in a set/delete/edit/show must start with a top-level statement (at [edit])
	checkPath := func() bool {
		if len(s.jpath) > 0 || len(words) == 0 {
			return true
		}
		if !junosTop[words[0]] {
			s.fail(caret(s.promptWidth()+toks[0].start) + "syntax error.\n")
			return false
		}
		return true
	}
	switch p.action {
	case "noop":
		s.print(" \n")
	case "set":
		if !checkPath() {
			return
		}
		c := dl.candidate(s)
		c.walk(s.jpath, true).setPath(words)
		s.print(" \n")
	case "delete":
		if !checkPath() {
			return
		}
		c := dl.candidate(s)
		base := c.walk(s.jpath, false)
		if base == nil || !base.deletePath(words) {
			s.print(" \nwarning: statement not found\n")
			return
		}
		s.print(" \n")
	case "edit":
		if !checkPath() {
			return
		}
		dl.candidate(s).walk(append(append([]string{}, s.jpath...), words...), true)
		s.jpath = append(s.jpath, words...)
		s.print(" \n")
	case "top":
		s.jpath = nil
		s.print(" \n")
	case "up":
		n := 1
		if len(words) > 0 {
			if v, err := strconv.Atoi(words[0]); err == nil && v > 0 {
				n = v
			}
		}
		s.jpath = s.jpath[:max(0, len(s.jpath)-n)]
		s.print(" \n")
	case "exit":
		if len(s.jpath) > 0 && (len(words) == 0 || words[0] != "configuration-mode") {
			s.jpath = s.jpath[:len(s.jpath)-1]
			s.print(" \n")
			return
		}
		dl.leave(s)
	case "rollback":
		n := 0
		if len(words) > 0 {
			v, err := strconv.Atoi(words[0])
			if err != nil || v < 0 || v > 49 {
				s.fail(caret(s.promptWidth()+toks[0].start) + "syntax error.\n")
				return
			}
			n = v
		}
		if n == 0 {
			s.cand = nil
			if !s.jprivate {
				s.d.setSharedCandidate(nil)
			}
			s.print(" \nload complete\n")
			return
		}
		if s.d.Faults().FailRollback {
			s.fail(" \nerror: rollback file " + strconv.Itoa(n) + " could not be loaded\n")
			return
		}
		old, ok := s.d.historyAt(n)
		if !ok {
			s.fail(" \nerror: Cannot find rollback " + strconv.Itoa(n) + "\n")
			return
		}
		s.cand = old.clone()
		s.print(" \nload complete\n")
	case "commit":
		arg := strings.Join(words, " ")
		switch {
		case strings.HasPrefix(arg, "check"):
			s.print(" \nconfiguration check succeeds\n")
			return
		case words != nil && words[0] == "confirmed":
			mins := 10
			if len(words) > 1 {
				v, err := strconv.Atoi(words[1])
				if err != nil || v < 1 || v > 65535 {
					s.fail(" \nerror: commit confirmed: invalid timeout " + strconv.Quote(words[1]) + " (1..65535 minutes)\n")
					return
				}
				mins = v
			}
			next := s.d.currentConfig()
			if s.cand != nil {
				next = s.cand
			}
			s.d.commitConfirmed(s.user, next, s.d.confirmDuration(mins*60), "")
			s.cand = nil
			if !s.jprivate {
				s.d.setSharedCandidate(nil)
			}
			if s.d.Faults().DropAfterCommit {
				s.drop()
				return
			}
			s.print(fmt.Sprintf(" \ncommit confirmed will be automatically rolled back in %d minutes unless confirmed\ncommit complete\n", mins))
			return
		case strings.HasPrefix(arg, "and-quit"):
			dl.commit(s)
			s.print(" \ncommit complete\nExiting configuration mode\n")
			s.mode, s.jpath = modePriv, nil
			return
		}
		dl.commit(s)
		s.print(" \ncommit complete\n")
	case "run":
		dl.opLine(s, p.args[0])
	case "show":
		if len(pipes) > 0 && strings.TrimSpace(pipes[0]) == "compare" {
			s.print(" \n")
			s.output(dl.compare(s))
			return
		}
		if !checkPath() {
			return
		}
		path := append(append([]string{}, s.jpath...), words...)
		text, tree := dl.showTree(s, dl.candidate(s), path, false)
		out, ok := dl.pipes(s, text, pipes, tree)
		if !ok {
			s.fail(caret(s.promptWidth()+len(cmd)+3) + "syntax error.\n")
			return
		}
		s.print(" \n")
		s.output(out)
		s.noMore = false
	}
}

// leave leaves configuration mode; with uncommitted changes Junos asks first.
func (dl junosDialect) leave(s *session) {
	exit := func() {
		s.print("Exiting configuration mode\n")
		if !s.jprivate && dl.changed(s) {
			// the shared candidate keeps the changes, as on a real device
			s.d.setSharedCandidate(s.cand)
		}
		s.mode, s.jpath, s.cand = modePriv, nil, nil
	}
	if !dl.changed(s) {
		s.print(" \n")
		exit()
		return
	}
	s.ask(" \nThe configuration has been changed but not committed\nExit with uncommitted changes? [yes,no] (yes) ", false, func(ans string) {
		switch strings.ToLower(strings.TrimSpace(ans)) {
		case "", "yes", "y":
			exit()
		}
	})
}

// commit makes the candidate the running configuration; it also confirms a pending commit
// confirmed.
func (dl junosDialect) commit(s *session) {
	s.d.confirmPending("")
	if !s.jprivate {
		s.d.setSharedCandidate(nil)
	}
	if !dl.changed(s) {
		s.cand = nil
		return
	}
	s.d.commitConfig(s.user, s.cand)
	s.cand = nil
}

// compare renders "show | compare": the statements the candidate adds and removes, grouped by
// their hierarchy, in set form.
func (dl junosDialect) compare(s *session) string {
	if s.cand == nil {
		return ""
	}
	var a, b strings.Builder
	s.d.currentConfig().junos.renderSet("", &a)
	s.cand.junos.renderSet("", &b)
	old := map[string]bool{}
	for _, l := range strings.Split(a.String(), "\n") {
		old[l] = true
	}
	now := map[string]bool{}
	for _, l := range strings.Split(b.String(), "\n") {
		now[l] = true
	}
	var out strings.Builder
	emit := func(lines []string, set map[string]bool, sign string) {
		for _, l := range lines {
			if l == "" || set[l] {
				continue
			}
			f := strings.Fields(strings.TrimPrefix(l, "set "))
			if len(f) > 2 {
				fmt.Fprintf(&out, "[edit %s]\n%s  %s;\n", strings.Join(f[:len(f)-2], " "), sign, strings.Join(f[len(f)-2:], " "))
			} else {
				fmt.Fprintf(&out, "[edit]\n%s  %s;\n", sign, strings.Join(f, " "))
			}
		}
	}
	emit(strings.Split(a.String(), "\n"), now, "-")
	emit(strings.Split(b.String(), "\n"), old, "+")
	return out.String()
}

// shell is the csh of "start shell": a few commands, and the errors csh prints.
func (dl junosDialect) shell(s *session, line string) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return
	}
	switch f[0] {
	case "exit", "logout":
		if len(f) > 1 {
			s.fail(f[0] + ": Expression Syntax.\n")
			return
		}
		s.print("exit\n")
		s.mode = modePriv
	case "cli":
		s.mode = modePriv
	case "set":
		if len(f) > 2 {
			s.fail("set: Syntax Error.\n")
		}
	case "echo":
		s.print(strings.Join(f[1:], " ") + "\n")
	case "pwd":
		s.print("/var/home/" + s.user + "\n")
	case "whoami":
		s.print(s.user + "\n")
	case "hostname":
		s.print(s.hostname() + "\n")
	case "date":
		s.print(time.Now().UTC().Format("Mon Jan _2 15:04:05 MST 2006") + "\n")
	case "uname":
		s.print("JUNOS\n")
	default:
		s.fail(f[0] + ": Command not found.\n")
	}
}
