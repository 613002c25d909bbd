package devsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// iosxrDialect is Cisco IOS-XR (modelled on IOS-XR 6.5/7.x): every exec command's output starts
// with a timestamp, and configuration changes go to a candidate until "commit".
type iosxrDialect struct{}

var iosxrSpecs = []cmdSpec{
	{"admin [LINE]", "noop"}, {"bash [LINE]", "noop"}, {"cd LINE", "noop"},
	{"clear logging", "clear logging"}, {"clear counters [LINE]", "noop"}, {"clear LINE", "noop"},
	{"clock LINE", "noop"}, {"configure", "configure"}, {"configure terminal", "configure"},
	{"configure exclusive", "configure"}, {"copy LINE", "noop"}, {"crypto LINE", "noop"},
	{"debug LINE", "noop"}, {"delete LINE", "noop"}, {"describe LINE", "noop"}, {"dir [LINE]", "dir"}, {"show md5 file WORD", "show md5 file"},
	{"environment LINE", "noop"}, {"exit", "exit"}, {"format LINE", "noop"}, {"hw-module LINE", "noop"},
	{"install LINE", "noop"}, {"logout", "exit"}, {"mkdir LINE", "noop"}, {"monitor LINE", "noop"},
	{"more LINE", "noop"}, {"ping LINE", "noop"}, {"process LINE", "noop"}, {"reload [LINE]", "noop"},
	{"rmdir LINE", "noop"}, {"run [LINE]", "noop"}, {"rollback configuration last WORD", "rollback last"},
	{"rollback configuration to WORD", "noop"},
	{"show clock", "show clock"}, {"show configuration [LINE]", "noop"}, {"show interfaces [LINE]", "noop"},
	{"show inventory [LINE]", "show inventory"}, {"show ipv4 LINE", "noop"}, {"show logging [LINE]", "noop"},
	{"show platform [LINE]", "noop"}, {"show route [LINE]", "noop"}, {"show bgp [LINE]", "noop"},
	{"show running-config [LINE]", "show running-config"}, {"show users", "noop"},
	{"show version [LINE]", "show version"}, {"ssh LINE", "noop"}, {"telnet LINE", "noop"},
	{"terminal length WORD", "terminal"}, {"terminal width WORD", "terminal"}, {"terminal monitor [LINE]", "noop"},
	{"terminal exec LINE", "noop"}, {"top [LINE]", "noop"}, {"traceroute LINE", "noop"},
	{"undebug LINE", "noop"}, {"upgrade LINE", "noop"}, {"utility LINE", "noop"}, {"watch LINE", "noop"},
}

var iosxrConfigKeywords = []string{
	"aaa", "banner", "call-home", "cdp", "clock", "control-plane", "crypto", "domain", "flow", "grpc",
	"hostname", "interface", "ipv4", "ipv6", "key", "line", "logging", "lldp", "mpls", "multicast-routing",
	"netconf", "netconf-yang", "ntp", "policy-map", "prefix-set", "rd-set", "route-policy", "router",
	"snmp-server", "ssh", "tacacs-server", "tcp", "telemetry", "telnet", "tftp", "username", "vrf", "xml",
}

var (
	iosxrTree       = newCmdTree(iosxrSpecs...)
	iosxrConfigTree = func() *cmdTree {
		specs := []cmdSpec{
			{"configuration commit auto-save [LINE]", "line"}, {"configuration display LINE", "noop"},
			{"commit [LINE]", "commit"}, {"abort", "abort"}, {"end", "end"}, {"exit", "exit"},
			{"clear", "clear"}, {"clear logging LINE", "noop"}, {"do LINE", "do"}, {"no LINE", "line"},
			{"show running-config [LINE]", "show running-config"}, {"show configuration [LINE]", "show configuration"},
			{"show commit LINE", "noop"}, {"root", "root"},
		}
		for _, k := range iosxrConfigKeywords {
			specs = append(specs, cmdSpec{k + " LINE", "line"})
		}
		return newCmdTree(specs...)
	}()
)

var iosxrOpeners = []opener{
	{"", "interface", "config-if"}, {"", "router bgp", "config-bgp"}, {"config-bgp", "neighbor", "config-bgp-nbr"},
	{"config-bgp", "address-family", "config-bgp-af"}, {"config-bgp-nbr", "address-family", "config-bgp-nbr-af"},
	{"", "router ospf", "config-ospf"}, {"config-ospf", "area", "config-ospf-ar"}, {"config-ospf-ar", "interface", "config-ospf-ar-if"},
	{"", "router static", "config-static"}, {"config-static", "vrf", "config-static-vrf"},
	{"config-static-vrf", "address-family", "config-static-vrf-afi"}, {"config-static", "address-family", "config-static-afi"},
	{"", "username", "config-un"}, {"", "tacacs-server host", "config-tacacs-host"}, {"", "aaa group server", "config-sg-tacacs"},
	{"", "vrf", "config-vrf"}, {"config-vrf", "address-family", "config-vrf-af"}, {"", "line", "config-line"},
	{"", "ntp", "config-ntp"}, {"", "call-home", "config-call-home"}, {"config-call-home", "profile", "config-call-home-profile"},
	{"", "netconf-yang agent", "config-ncy-agent"}, {"", "route-policy", "config-rpl"}, {"", "prefix-set", "config-pfx"},
}

var iosxrGlobalOnly = map[string]bool{"hostname": true, "snmp-server": true, "logging": true, "domain": true, "telnet": true, "aaa": true}

func (iosxrDialect) more() string { return " --More-- " }

func (iosxrDialect) scripts() (string, []string, string) {
	return "configure terminal", []string{"commit", "end"}, "show running-config"
}

func (iosxrDialect) start(s *session) {
	s.mode = modePriv // IOS-XR users land in exec with their task groups' rights
	s.print("\n")
}

func (iosxrDialect) prompt(s *session) string {
	p := "RP/0/RP0/CPU0:" + s.hostname()
	if s.mode == modeConfig {
		if len(s.ctx) > 0 {
			return p + "(" + s.ctx[len(s.ctx)-1].prompt + ")#"
		}
		return p + "(config)#"
	}
	return p + "#"
}

// xrStampLine is the timestamp IOS-XR prints before a command's output.
func xrStampLine() string {
	return time.Now().UTC().Format("Mon Jan _2 15:04:05.000 MST") + "\n"
}

func iosxrError(s *session, p parsed, line string) {
	switch p.err {
	case parseIncomplete:
		s.fail("% Incomplete command.\n")
	case parseAmbiguous:
		s.fail(fmt.Sprintf("%% Ambiguous command:  %q\n", line))
	default:
		s.fail(caret(s.promptWidth()+p.caret) + "% Invalid input detected at '^' marker.\n")
	}
}

func (dl iosxrDialect) exec(s *session, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if s.mode == modeConfig {
		dl.configLine(s, line)
		return
	}
	dl.execLine(s, line)
}

func (dl iosxrDialect) execLine(s *session, line string) {
	cmd, pipes := splitPipe(line)
	p := iosxrTree.parse(cmd)
	if p.err != parseOK {
		iosxrError(s, p, cmd)
		return
	}
	if p.action == "exit" {
		s.hangup = true
		return
	}
	s.print(xrStampLine())
	text := dl.run(s, p)
	if text == "" {
		return
	}
	if len(pipes) > 0 {
		var ok bool
		if text, _, ok = filterOutput(text, pipes); !ok {
			s.fail(caret(s.promptWidth()+len(cmd)+3) + "% Invalid input detected at '^' marker.\n")
			return
		}
	}
	s.output(text)
}

func (dl iosxrDialect) run(s *session, p parsed) string {
	d := s.d
	switch p.action {
	case "terminal":
		terminalSetting(s, p.keywords, p.args)
	case "configure":
		s.mode, s.ctx, s.cand, s.candLines = modeConfig, nil, nil, nil
	case "clear logging":
		s.ask("Clear logging buffer [confirm] [y/n] :", false, func(string) {})
	case "show clock":
		return time.Now().UTC().Format("15:04:05.000 MST Mon Jan 2 2006") + "\n"
	case "show inventory":
		return fmt.Sprintf("NAME: \"Rack 0\", DESCR: \"%s Chassis\"\nPID: %s, VID: V01, SN: %s\n\n", d.ident.model, strings.ReplaceAll(d.ident.model, " ", "-"), d.ident.serial)
	case "show version":
		return iosxrShowVersion(d)
	case "show running-config":
		s.countConfigRead()
		return iosxrShowRun(s, d.currentConfig(), p)
	case "dir", "show md5 file":
		out, _ := fileCommand(s, p.action, p.args)
		return out
	case "rollback last":
		dl.rollbackLast(s, p.args[0])
	}
	return ""
}

// iosxrShowRun prints "Building configuration..." unpaged and returns the rest.
func iosxrShowRun(s *session, c *config, p parsed) string {
	d := s.d
	changed, by, _, _ := d.changeTimes()
	body := renderLines(c.lines, time.Now().UTC(), d.cfg.Seed)
	if len(p.args) > 0 {
		body = sectionOf(body, strings.Join(strings.Fields(p.args[0]), " "))
	}
	text := fmt.Sprintf("!! IOS XR Configuration version = %s\n!! Last configuration change at %s by %s\n", d.ident.version, changed.Format("Mon Jan _2 15:04:05 2006"), by) +
		body + "end\n"
	if d.Faults().TruncateConfig {
		text = truncateConfig(text)
	}
	s.print("Building configuration...\n")
	return text + "\n"
}

func iosxrShowVersion(d *Device) string {
	id := d.ident
	up := time.Since(id.boot)
	y, w, dd, h, m, _ := uptimeParts(up)
	var ut []string
	if y > 0 {
		ut = append(ut, plural(y, "year"))
	}
	if y > 0 || w > 0 {
		ut = append(ut, plural(w, "week"))
	}
	if y > 0 || w > 0 || dd > 0 {
		ut = append(ut, plural(dd, "day"))
	}
	ut = append(ut, plural(h, "hour"), plural(m, "minute"))
	proc := fmt.Sprintf("cisco %s () processor", id.model)
	switch {
	case strings.HasPrefix(id.model, "ASR-99"):
		proc = fmt.Sprintf("cisco ASR9K Series (Intel 686 F6M14S4) processor with %dK bytes of memory.", id.memoryKB*2)
	case strings.HasPrefix(id.model, "NCS"):
		proc = fmt.Sprintf("cisco NCS-5500 () processor with %dK bytes of memory.", id.memoryKB*2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Cisco IOS XR Software, Version %s\n", id.version)
	b.WriteString("Copyright (c) 2013-2022 by Cisco Systems, Inc.\n\n")
	b.WriteString("Build Information:\n")
	b.WriteString(" Built By     : ingunawa\n")
	b.WriteString(" Built On     : Tue Jun 21 21:04:43 PDT 2022\n")
	b.WriteString(" Built Host   : iox-ucs-029\n")
	fmt.Fprintf(&b, " Workspace    : /auto/srcarchive17/prod/%s/xrv9k/ws\n", id.version)
	fmt.Fprintf(&b, " Version      : %s\n", id.version)
	b.WriteString(" Location     : /opt/cisco/XR/packages/\n")
	fmt.Fprintf(&b, " Label        : %s\n\n", id.version)
	b.WriteString(proc + "\n")
	fmt.Fprintf(&b, "System uptime is %s\n\n", strings.Join(ut, " "))
	return b.String()
}

// candidate returns the session's candidate configuration, copying the running one on first
// use.
func (s *session) candidate() *config {
	if s.cand == nil {
		c := s.d.currentConfig()
		s.cand = c.clone()
	}
	return s.cand
}

func (dl iosxrDialect) configLine(s *session, line string) {
	t := strings.TrimSpace(line)
	lower := strings.ToLower(t)
	if len(s.ctx) > 0 {
		switch {
		case lower == "exit":
			s.ctx = s.ctx[:len(s.ctx)-1]
			return
		case lower == "root":
			s.ctx = nil
			return
		case lower == "end" || lower == "commit" || strings.HasPrefix(lower, "commit ") || lower == "abort" || strings.HasPrefix(lower, "do ") || strings.HasPrefix(lower, "show "):
		default:
			if prompt, ok := openerFor(iosxrOpeners, s.ctx, t); ok {
				dl.open(s, t, prompt)
				return
			}
			if !isTopOpener(iosxrOpeners, t) && !iosxrGlobalOnly[firstWord(lower)] {
				if isIfaceMode(s.ctx) {
					if p := ifaceTree.parse(t); p.err != parseOK {
						iosxrError(s, p, t)
						return
					}
				}
				dl.apply(s, t)
				return
			}
			s.ctx = nil
		}
	}
	p := iosxrConfigTree.parse(t)
	if p.err != parseOK {
		iosxrError(s, p, t)
		return
	}
	switch p.action {
	case "noop":
		return
	case "end", "exit":
		if len(s.ctx) > 0 && p.action == "exit" {
			s.ctx = s.ctx[:len(s.ctx)-1]
			return
		}
		dl.leave(s)
		return
	case "abort":
		s.mode, s.ctx, s.cand, s.candLines = modePriv, nil, nil, nil
		return
	case "clear":
		s.cand, s.candLines = nil, nil
		return
	case "root":
		s.ctx = nil
		return
	case "commit":
		s.print(xrStampLine())
		if len(p.args) > 0 {
			if f := strings.Fields(strings.ToLower(p.args[0])); f[0] == "confirmed" {
				dl.commitConfirmed(s, f[1:])
				return
			}
		}
		dl.commit(s)
		return
	case "do":
		dl.execLine(s, p.args[0])
		return
	case "show running-config":
		s.print(xrStampLine())
		s.countConfigRead()
		s.output(iosxrShowRun(s, s.d.currentConfig(), p))
		return
	case "show configuration":
		s.print(xrStampLine())
		s.print("Building configuration...\n")
		s.output(fmt.Sprintf("!! IOS XR Configuration %s\n", s.d.ident.version) + strings.Join(s.candLines, "") + "end\n\n")
		return
	}
	if prompt, ok := openerFor(iosxrOpeners, nil, t); ok {
		s.ctx = nil
		dl.open(s, t, prompt)
		return
	}
	dl.apply(s, t)
}

// leave handles "end" (and "exit" at the top): with uncommitted changes IOS-XR asks first.
func (dl iosxrDialect) leave(s *session) {
	if s.cand == nil || len(s.candLines) == 0 {
		s.mode, s.ctx, s.cand, s.candLines = modePriv, nil, nil, nil
		return
	}
	s.ask("Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:", false, func(ans string) {
		switch strings.ToLower(strings.TrimSpace(ans)) {
		case "yes", "y":
			dl.commit(s)
			s.mode, s.ctx = modePriv, nil
		case "no", "n":
			s.mode, s.ctx, s.cand, s.candLines = modePriv, nil, nil, nil
		}
	})
}

// commit makes the candidate the running configuration; a plain commit also confirms a
// pending commit confirmed.
func (dl iosxrDialect) commit(s *session) {
	s.d.confirmPending("")
	if s.cand == nil || len(s.candLines) == 0 {
		return
	}
	s.d.commitConfig(s.user, s.cand)
	s.cand, s.candLines = nil, nil
}

// commitConfirmed handles "commit confirmed [seconds | minutes N]" (default 600 seconds, at
// least 30).
func (dl iosxrDialect) commitConfirmed(s *session, args []string) {
	secs := 600
	switch {
	case len(args) == 2 && args[0] == "minutes":
		v, err := strconv.Atoi(args[1])
		if err != nil || v < 1 || v > 1440 {
			s.fail("% Invalid input detected at '^' marker.\n")
			return
		}
		secs = v * 60
	case len(args) == 1:
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 30 || v > 65535 {
			s.fail("% Invalid input detected at '^' marker.\n")
			return
		}
		secs = v
	case len(args) > 0:
		s.fail("% Invalid input detected at '^' marker.\n")
		return
	}
	if s.cand == nil || len(s.candLines) == 0 {
		s.print("% No configuration changes to commit.\n")
		return
	}
	s.d.commitConfirmed(s.user, s.cand, s.d.confirmDuration(secs), "")
	s.cand, s.candLines = nil, nil
	if s.d.Faults().DropAfterCommit {
		s.drop()
	}
}

// rollbackLast handles "rollback configuration last N".
func (dl iosxrDialect) rollbackLast(s *session, arg string) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 {
		s.fail("% Invalid input detected at '^' marker.\n")
		return
	}
	old, ok := s.d.historyAt(n)
	if !ok || s.d.Faults().FailRollback {
		s.fail(fmt.Sprintf("\n%% Failed to rollback %d commits: 'CFGMGR' detected the 'warning' condition 'The specified rollback point is not valid'\n", n))
		return
	}
	s.d.confirmPending("")
	s.print("\nLoading Rollback Changes.\nLoaded Rollback Changes in 1 sec \nCommitting.\n")
	s.d.commitConfig(s.user, old)
	s.print(fmt.Sprintf("1 items committed in 1 sec (0)items/sec\nUpdating.\nUpdated Commit database in 1 sec \nConfiguration successfully rolled back %d commits.\n", n))
}

func (dl iosxrDialect) record(s *session, t string) {
	s.candLines = append(s.candLines, strings.Repeat(" ", len(s.ctx))+t+"\n")
}

func (dl iosxrDialect) open(s *session, t, prompt string) {
	s.ctx = append(s.ctx, ctxFrame{header: t, prompt: prompt})
	c := s.candidate()
	c.lines = ensureBlock(c.lines, ctxHeaders(s.ctx), 1, "!")
	s.ctx[len(s.ctx)-1].header = t
	s.candLines = append(s.candLines, strings.Repeat(" ", len(s.ctx)-1)+t+"\n")
}

func (dl iosxrDialect) apply(s *session, t string) {
	c := s.candidate()
	c.lines = editLines(c.lines, ctxHeaders(s.ctx), t, 1, "!")
	dl.record(s, t)
}
