package devsim

import (
	"fmt"
	"strings"
	"time"
)

// iosxeDialect is Cisco IOS-XE (modelled on IOS-XE 16.12/17.x on a CSR1000v).
type iosxeDialect struct{}

const iosxeBadHost = "% Bad IP address or host name% Unknown command or computer name, or unable to find computer address\n"

// iosxeExecSpecs is the user exec vocabulary (privilege 1).
var iosxeExecSpecs = []cmdSpec{
	{"access-enable [LINE]", "noop"}, {"archive config", "archive config"}, {"archive [LINE]", "noop"}, {"cd [LINE]", "noop"},
	{"clear line LINE", "noop"}, {"clear ip LINE", "noop"}, {"connect LINE", "noop"},
	{"crypto LINE", "noop"}, {"dir [LINE]", "dir"}, {"disable", "disable"}, {"disconnect [LINE]", "noop"},
	{"enable [LINE]", "enable"}, {"ethernet LINE", "noop"}, {"exit", "exit"}, {"help", "noop"},
	{"lock", "noop"}, {"login [LINE]", "noop"}, {"logout", "exit"}, {"mrinfo [LINE]", "noop"},
	{"mstat LINE", "noop"}, {"mtrace LINE", "noop"}, {"name-connection", "noop"},
	{"ping LINE", "ping"}, {"ppp LINE", "noop"}, {"quit", "exit"}, {"release LINE", "noop"},
	{"renew LINE", "noop"}, {"resume [LINE]", "noop"}, {"rlogin LINE", "noop"}, {"set LINE", "noop"},
	{"show arp [LINE]", "noop"}, {"show bgp [LINE]", "noop"}, {"show cdp [LINE]", "noop"},
	{"show clock [LINE]", "show clock"}, {"show crypto LINE", "noop"}, {"show dhcp LINE", "noop"},
	{"show history", "noop"}, {"show hosts [LINE]", "noop"}, {"show interfaces [LINE]", "noop"},
	{"show inventory [LINE]", "show inventory"}, {"show ip interface brief [LINE]", "show ip interface brief"},
	{"show ip route [LINE]", "noop"}, {"show ip bgp [LINE]", "noop"}, {"show ip ospf [LINE]", "noop"},
	{"show ipv6 LINE", "noop"}, {"show license [LINE]", "noop"}, {"show mpls LINE", "noop"},
	{"show ntp LINE", "noop"}, {"show platform [LINE]", "noop"}, {"show policy-map [LINE]", "noop"},
	{"show privilege", "show privilege"}, {"show redundancy [LINE]", "noop"},
	{"show rom-monitor [LINE]", "noop"}, {"show sessions", "noop"}, {"show snmp [LINE]", "noop"},
	{"show ssh [LINE]", "noop"}, {"show standby [LINE]", "noop"}, {"show terminal", "noop"},
	{"show users [LINE]", "noop"}, {"show version [LINE]", "show version"}, {"show vrf [LINE]", "noop"},
	{"ssh LINE", "noop"}, {"systat [LINE]", "noop"}, {"tclquit", "noop"}, {"telnet LINE", "noop"},
	{"terminal length WORD", "terminal"}, {"terminal width WORD", "terminal"},
	{"terminal monitor", "noop"}, {"terminal no LINE", "noop"}, {"terminal exec LINE", "noop"},
	{"traceroute LINE", "noop"}, {"tunnel LINE", "noop"}, {"where", "noop"},
}

// iosxePrivSpecs are the commands privilege 15 adds.
var iosxePrivSpecs = []cmdSpec{
	{"configure terminal", "configure"}, {"configure", "configure?"}, {"configure replace LINE", "configure replace"},
	{"configure memory", "noop"}, {"copy running-config startup-config", "copy run start"},
	{"copy LINE", "noop"}, {"clear logging", "clear logging"}, {"clear counters [LINE]", "noop"},
	{"debug LINE", "noop"}, {"delete LINE", "noop"}, {"erase LINE", "noop"}, {"more LINE", "noop"},
	{"reload [LINE]", "noop"}, {"send LINE", "noop"}, {"show running-config [LINE]", "show running-config"},
	{"show startup-config [LINE]", "show startup-config"}, {"show archive [LINE]", "show archive"},
	{"show logging [LINE]", "noop"}, {"show tech-support [LINE]", "noop"},
	{"tclsh", "tclsh"}, {"test LINE", "noop"}, {"undebug LINE", "noop"},
	{"verify LINE", "verify"}, {"write", "write"}, {"write memory", "write"}, {"write terminal", "show running-config"},
	{"write erase", "noop"},
}

// iosxeConfigKeywords are the global configuration commands; everything after the keyword is
// accepted.
var iosxeConfigKeywords = []string{
	"aaa", "access-list", "alias", "archive", "arp", "banner", "bfd", "boot", "bridge", "call-home", "cdp",
	"class-map", "clock", "crypto", "default", "define", "dial-peer", "diagnostic", "dot1x", "enable",
	"errdisable", "event", "file", "flow", "hostname", "interface", "ip", "ipv6", "key", "license",
	"line", "lldp", "logging", "login", "mac", "memory", "monitor", "mpls", "multilink", "netconf",
	"netconf-yang", "ntp", "object-group", "parameter-map", "platform", "policy-map", "privilege",
	"radius", "radius-server", "redundancy", "restconf", "rmon", "route-map", "router", "sampler",
	"service", "snmp", "snmp-server", "spanning-tree", "subscriber", "tacacs", "tacacs-server",
	"template", "track", "transceiver", "username", "version", "virtual-service", "vlan", "vrf", "wsma",
}

var (
	iosxeExecTree   = newCmdTree(iosxeExecSpecs...)
	iosxePrivTree   = newCmdTree(append(append([]cmdSpec{}, iosxeExecSpecs...), iosxePrivSpecs...)...)
	iosxeConfigTree = func() *cmdTree {
		specs := []cmdSpec{
			{"configuration mode exclusive [LINE]", "noop"},
			{"shell processing full", "line"},
			{"terminal-queue entry-retry-interval WORD", "line"},
			{"do LINE", "do"}, {"end", "end"}, {"exit", "exit"}, {"no LINE", "no"}, {"archive", "line"},
		}
		for _, k := range iosxeConfigKeywords {
			specs = append(specs, cmdSpec{k + " LINE", "line"})
		}
		return newCmdTree(specs...)
	}()
)

// iosxeOpeners are the configuration lines that open sub-modes.
var iosxeOpeners = []opener{
	{"", "interface", "config-if"}, {"", "router", "config-router"}, {"", "line", "config-line"},
	{"", "ip access-list extended", "config-ext-nacl"}, {"", "ip access-list standard", "config-std-nacl"},
	{"", "route-map", "config-route-map"}, {"", "key chain", "config-keychain"},
	{"config-keychain", "key", "config-keychain-key"}, {"", "policy-map", "config-pmap"},
	{"config-pmap", "class", "config-pmap-c"}, {"", "class-map", "config-cmap"},
	{"", "vrf definition", "config-vrf"}, {"config-vrf", "address-family", "config-vrf-af"},
	{"config-router", "address-family", "config-router-af"}, {"", "tacacs server", "config-server-tacacs"},
	{"", "radius server", "config-radius-server"}, {"", "aaa group server tacacs+", "config-sg-tacacs+"},
	{"", "aaa group server radius", "config-sg-radius"}, {"", "crypto pki trustpoint", "ca-trustpoint"},
	{"", "archive", "config-archive"}, {"config-archive", "log config", "config-archive-log-cfg"},
	{"", "redundancy", "config-red"}, {"", "control-plane", "config-cp"}, {"", "vlan", "config-vlan"},
	{"", "call-home", "cfg-call-home"}, {"", "ip vrf", "config-vrf"},
}

// iosxeGlobalOnly are first words that are never sub-mode commands: typed in a sub-mode, IOS
// runs them in global configuration and leaves the sub-mode.
var iosxeGlobalOnly = map[string]bool{
	"hostname": true, "ntp": true, "snmp-server": true, "username": true, "banner": true, "enable": true,
	"service": true, "aaa": true, "clock": true, "tacacs-server": true, "radius-server": true, "boot": true,
}

func (iosxeDialect) more() string { return " --More-- " }

func (iosxeDialect) scripts() (string, []string, string) {
	return "configure terminal", []string{"end"}, "show running-config"
}

func (iosxeDialect) start(s *session) {
	s.mode = modeExec
	if s.priv >= 15 {
		s.mode = modePriv
	}
	s.print("\n")
}

func (iosxeDialect) prompt(s *session) string {
	h := s.hostname()
	switch s.mode {
	case modeExec:
		return h + ">"
	case modeConfig:
		if len(s.ctx) > 0 {
			return h + "(" + s.ctx[len(s.ctx)-1].prompt + ")#"
		}
		return h + "(config)#"
	case modeTclsh:
		if s.tclUser {
			return h + "(tcl)>"
		}
		return h + "(tcl)#"
	}
	return h + "#"
}

// iosxeError prints the message for a line that did not parse in exec or privileged exec.
func iosxeExecError(s *session, p parsed, line string) {
	switch p.err {
	case parseUnknown:
		f := strings.Fields(line)
		if s.mode == modeTclsh {
			s.fail(fmt.Sprintf("invalid command name %q", f[0]) + caret(s.promptWidth()+p.caret) + "% Invalid input detected at '^' marker.\n\n")
			return
		}
		if len(f) == 1 {
			// a single word IOS does not know is taken for a host to connect to
			s.fail(iosxeBadHost)
			return
		}
		s.fail(caret(s.promptWidth()+p.caret) + "% Invalid input detected at '^' marker.\n\n")
	case parseInvalid:
		s.fail(caret(s.promptWidth()+p.caret) + "% Invalid input detected at '^' marker.\n\n")
	case parseIncomplete:
		s.fail("% Incomplete command.\n\n")
	case parseAmbiguous:
		s.fail(fmt.Sprintf("%% Ambiguous command:  %q\n", line))
	}
}

func (dl iosxeDialect) exec(s *session, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if s.mode == modeConfig {
		dl.configLine(s, line)
		return
	}
	dl.execLine(s, line, s.mode)
}

// execLine runs a line in exec, privileged exec or tclsh (as a privileged line).
func (dl iosxeDialect) execLine(s *session, line string, m mode) {
	cmd, pipes := splitPipe(line)
	tree := iosxeExecTree
	if m == modePriv || m == modeTclsh || m == modeConfig {
		tree = iosxePrivTree
	}
	if m == modeTclsh {
		switch strings.ToLower(strings.TrimSpace(cmd)) {
		case "tclquit", "exit":
			s.mode, s.tclUser = modePriv, false
			return
		case "tclsh", "enable":
			return
		case "disable":
			s.tclUser = true
			return
		}
		if f := strings.Fields(cmd); len(f) > 0 && strings.HasPrefix("configure", strings.ToLower(f[0])) && len(f[0]) >= 4 {
			s.fail("% Configuration not allowed from TCL shell.Use 'ios_config' instead\n")
			return
		}
	}
	p := tree.parse(cmd)
	if p.err != parseOK {
		iosxeExecError(s, p, cmd)
		return
	}
	text, ok := dl.run(s, p)
	if !ok || text == "" {
		return
	}
	if len(pipes) > 0 {
		var good bool
		if text, _, good = filterOutput(text, pipes); !good {
			s.fail(caret(s.promptWidth()+len(cmd)+3) + "% Invalid input detected at '^' marker.\n\n")
			return
		}
	}
	s.output(text)
}

// run executes a parsed exec command. It prints what is printed unpaged and returns the
// output to page; ok is false when nothing more is to be printed.
func (dl iosxeDialect) run(s *session, p parsed) (string, bool) {
	d := s.d
	switch p.action {
	case "noop", "ping":
		return "", false
	case "exit":
		s.hangup = true
	case "disable":
		if s.mode == modePriv {
			s.mode = modeExec
		}
	case "enable":
		if s.mode != modeExec {
			return "", false
		}
		dl.askEnable(s, 0)
	case "terminal":
		if !terminalSetting(s, p.keywords, p.args) {
			s.fail(caret(s.promptWidth()+len("terminal length ")) + "% Invalid input detected at '^' marker.\n\n")
		}
	case "configure":
		s.mode, s.ctx = modeConfig, nil
		s.print("Enter configuration commands, one per line.  End with CNTL/Z.\n")
	case "configure?":
		s.ask("Configuring from terminal, memory, or network [terminal]? ", false, func(ans string) {
			a := strings.ToLower(strings.TrimSpace(ans))
			if a == "" || strings.HasPrefix("terminal", a) {
				s.mode, s.ctx = modeConfig, nil
				s.print("Enter configuration commands, one per line.  End with CNTL/Z.\n")
				return
			}
			s.fail("?Must be \"terminal\", \"memory\" or \"network\"\n")
		})
	case "tclsh":
		s.mode = modeTclsh
	case "clear logging":
		s.ask("Clear logging buffer [confirm]", false, func(string) {})
	case "write", "copy run start":
		save := func() {
			s.print("Building configuration...\n[OK]\n")
			d.saveConfig(s.user)
		}
		if p.action == "write" {
			save()
			return "", false
		}
		s.ask("Destination filename [startup-config]? ", false, func(ans string) {
			if a := strings.TrimSpace(ans); a != "" && a != "startup-config" {
				s.fail("%Error opening " + a + " (Permission denied)\n")
				return
			}
			save()
		})
	case "show version":
		return iosxeShowVersion(d, s.hostname()), true
	case "show clock":
		return "*" + time.Now().UTC().Format("15:04:05.000 MST Mon Jan 2 2006") + "\n", true
	case "show privilege":
		lvl := 1
		if s.mode != modeExec {
			lvl = 15
		}
		return fmt.Sprintf("Current privilege level is %d\n", lvl), true
	case "show inventory":
		return fmt.Sprintf("NAME: \"Chassis\", DESCR: \"Cisco %s Chassis\"\nPID: %s , VID: V01  , SN: %s\n\n", d.ident.model, strings.SplitN(d.ident.model, "/", 2)[0], d.ident.serial), true
	case "show ip interface brief":
		var b strings.Builder
		fmt.Fprintf(&b, "%-27s%-16sOK? Method Status                Protocol\n", "Interface", "IP-Address")
		for _, i := range interfacesOf(d.currentConfig().lines) {
			addr, method, status, proto := "unassigned", "unset", "up", "up"
			if i.addr != "" {
				addr, method = i.addr, "NVRAM"
			}
			if i.shutdown {
				status, proto = "administratively down", "down"
			}
			fmt.Fprintf(&b, "%-27s%-16sYES %-7s%-22s%s\n", i.name, addr, method, status, proto)
		}
		return b.String(), true
	case "show running-config":
		s.countConfigRead()
		return dl.showRun(s, p), true
	case "show startup-config":
		return dl.showStartup(s), true
	case "show archive":
		return d.showArchive(), true
	case "dir":
		return fileCommand(s, "dir", p.args)
	case "verify":
		return fileCommand(s, "verify", p.args)
	case "archive config":
		if s.mode == modeExec {
			return "", false
		}
		if d.archiveConfig() == "" {
			s.fail("%Archive path not configured\n")
		}
	case "configure replace":
		dl.configureReplace(s, strings.Fields(p.args[0]))
	}
	return "", false
}

// askEnable asks for the enable secret; three wrong answers end with "% Bad secrets".
func (dl iosxeDialect) askEnable(s *session, tries int) {
	s.ask("Password: ", true, func(ans string) {
		if ans == s.d.enableSecret() {
			s.mode = modePriv
			return
		}
		if tries+1 >= 3 {
			s.fail("% Bad secrets\n\n")
			return
		}
		dl.askEnable(s, tries+1)
	})
}

// showRun renders "show running-config": a line printed before paging starts, then the text to
// page.
func (dl iosxeDialect) showRun(s *session, p parsed) string {
	d := s.d
	body := renderLines(d.currentConfig().lines, time.Now().UTC(), d.cfg.Seed)
	if len(p.args) > 0 {
		// show running-config interface X, and the like: the block that starts with the args
		hdr := strings.Join(strings.Fields(p.args[0]), " ")
		body = sectionOf(body, hdr)
	}
	changed, by, saved, savedBy := d.changeTimes()
	rest := "!\n! Last configuration change at " + iosxeTime(changed) + " by " + by + "\n" +
		"! NVRAM config last updated at " + iosxeTime(saved) + " by " + savedBy + "\n!\n" + body + "end\n"
	if len(p.args) > 0 {
		rest = "!\n" + body + "end\n"
	}
	if d.Faults().TruncateConfig {
		rest = truncateConfig(rest)
	}
	s.print("Building configuration...\n")
	return fmt.Sprintf("\nCurrent configuration : %d bytes\n", len(rest)) + rest + "\n"
}

func (dl iosxeDialect) showStartup(s *session) string {
	d := s.d
	body := renderLines(d.startupConfig().lines, time.Now().UTC(), d.cfg.Seed)
	changed, by, saved, savedBy := d.changeTimes()
	rest := "!\n! Last configuration change at " + iosxeTime(changed) + " by " + by + "\n" +
		"! NVRAM config last updated at " + iosxeTime(saved) + " by " + savedBy + "\n!\n" + body + "end\n"
	return fmt.Sprintf("Using %d out of 33554432 bytes\n", len(rest)) + rest + "\n"
}

// sectionArg returns the section header that the arguments of "show running-config ARGS"
// name on NX-OS and EOS ("interface Ethernet1/1"; EOS's "interfaces Ethernet1" too), or false
// for whole-configuration variants ("all", "diff", "sanitized") and none.
func sectionArg(args []string) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	f := strings.Fields(args[0])
	switch strings.ToLower(f[0]) {
	case "all", "diff", "sanitized", "detail", "|":
		return "", false
	case "interfaces":
		f[0] = "interface"
	}
	return strings.Join(f, " "), true
}

// sectionOf returns the top-level block of a configuration text whose header starts with hdr
// ("interface GigabitEthernet1").
func sectionOf(text, hdr string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.SplitAfter(text, "\n") {
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, " ") {
			in = strings.EqualFold(strings.TrimSpace(l), hdr)
		}
		if in {
			b.WriteString(l)
		}
	}
	return b.String()
}

func iosxeTime(t time.Time) string {
	return t.Format("15:04:05 MST Mon Jan 2 2006")
}

// configLine runs a line typed in configuration mode.
func (dl iosxeDialect) configLine(s *session, line string) {
	t := strings.TrimSpace(line)
	lower := strings.ToLower(t)
	// leave a sub-mode for a command that belongs to global configuration
	if len(s.ctx) > 0 {
		switch {
		case lower == "exit" || lower == "exit-address-family" && strings.HasSuffix(s.ctx[len(s.ctx)-1].prompt, "-af"):
			s.ctx = s.ctx[:len(s.ctx)-1]
			return
		case lower == "end":
			s.mode, s.ctx = modePriv, nil
			return
		case strings.HasPrefix(lower, "do "):
			dl.execLine(s, strings.TrimSpace(t[3:]), modeConfig)
			return
		}
		if prompt, ok := openerFor(iosxeOpeners, s.ctx, t); ok {
			s.ctx = append(s.ctx, ctxFrame{header: t, prompt: prompt})
			s.d.editConfig(s.user, func(c *config) *config {
				c.lines = ensureBlock(c.lines, ctxHeaders(s.ctx), 1, "!")
				return c
			})
			return
		}
		if !isTopOpener(iosxeOpeners, t) && !iosxeGlobalOnly[firstWord(lower)] {
			if isIfaceMode(s.ctx) {
				if p := ifaceTree.parse(t); p.err != parseOK {
					s.fail(caret(s.promptWidth()+p.caret) + "% Invalid input detected at '^' marker.\n\n")
					return
				}
			}
			dl.applyLine(s, t)
			return
		}
		s.ctx = nil
	}
	p := iosxeConfigTree.parse(t)
	switch p.err {
	case parseOK:
	case parseIncomplete:
		s.fail("% Incomplete command.\n\n")
		return
	case parseAmbiguous:
		s.fail(fmt.Sprintf("%% Ambiguous command:  %q\n", t))
		return
	default:
		s.fail(caret(s.promptWidth()+p.caret) + "% Invalid input detected at '^' marker.\n\n")
		return
	}
	switch p.action {
	case "end":
		s.mode, s.ctx = modePriv, nil
		return
	case "exit":
		s.mode, s.ctx = modePriv, nil
		return
	case "do":
		dl.execLine(s, p.args[0], modeConfig)
		return
	case "noop":
		return
	}
	if prompt, ok := openerFor(iosxeOpeners, nil, t); ok {
		s.ctx = []ctxFrame{{header: t, prompt: prompt}}
		s.d.editConfig(s.user, func(c *config) *config {
			c.lines = ensureBlock(c.lines, ctxHeaders(s.ctx), 1, "!")
			return c
		})
		return
	}
	dl.applyLine(s, t)
}

// applyLine stores a configuration line at the current context, the way IOS shows it: plain
// secrets are stored hashed, and the enable secret takes effect.
func (dl iosxeDialect) applyLine(s *session, t string) {
	f := strings.Fields(t)
	if plain, ok := plainEnableSecret(s, f); ok {
		s.d.setEnableSecret(plain)
		t = "enable secret 9 " + secretType9(plain, s.d.cfg.Name+time.Now().String())
	}
	if len(s.ctx) == 0 && len(f) >= 4 && f[0] == "username" {
		for i := 2; i+1 < len(f); i++ {
			if f[i] == "secret" && i+1 < len(f) {
				plain := ""
				if f[i+1] == "0" && i+2 < len(f) {
					plain = f[i+2]
				} else if len(f) == i+2 {
					plain = f[i+1]
				}
				if plain != "" {
					t = strings.Join(f[:i], " ") + " secret 9 " + secretType9(plain, f[1])
				}
				break
			}
		}
	}
	ctx := ctxHeaders(s.ctx)
	s.d.editConfig(s.user, func(c *config) *config {
		c.lines = editLines(c.lines, ctx, t, 1, "!")
		return c
	})
}

func iosxeVersionLong(v string) string {
	// 17.6.5 -> 17.06.05, 17.3.4a -> 17.03.04a
	parts := strings.Split(v, ".")
	for i := 1; i < len(parts); i++ {
		if len(parts[i]) == 1 || (len(parts[i]) == 2 && parts[i][1] >= 'a') {
			parts[i] = "0" + parts[i]
		}
	}
	return strings.Join(parts, ".")
}

// iosxeShowVersion renders "show version" for an IOS-XE device.
func iosxeShowVersion(d *Device, host string) string {
	id := d.ident
	now := time.Now().UTC()
	up := now.Sub(id.boot)
	model := id.model
	sw, proc := "Virtual XE Software", fmt.Sprintf("cisco %s (VXE) processor (revision VXE) with %dK/3075K bytes of memory.", model, id.memoryKB/2)
	switch {
	case strings.HasPrefix(model, "ISR"):
		sw, proc = "ISR Software", fmt.Sprintf("cisco %s (2RU) processor with %dK/6147K bytes of memory.", model, id.memoryKB/2)
	case strings.HasPrefix(model, "C8300"):
		sw, proc = "c8000be", fmt.Sprintf("cisco %s (1RU) processor with %dK/6147K bytes of memory.", model, id.memoryKB/2)
	case strings.HasPrefix(model, "ASR"):
		sw, proc = "ASR1000 Software", fmt.Sprintf("cisco %s (1NG) processor (revision 1NG) with %dK/6147K bytes of memory.", model, id.memoryKB/2)
	case strings.HasPrefix(model, "C9300"):
		sw, proc = "Catalyst L3 Switch Software", fmt.Sprintf("cisco %s (X86) processor (revision V01) with %dK/3071K bytes of memory.", model, id.memoryKB/2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Cisco IOS XE Software, Version %s\n", iosxeVersionLong(id.version))
	fmt.Fprintf(&b, "Cisco IOS Software [%s], %s (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version %s, RELEASE SOFTWARE (fc2)\n", id.train, sw, id.version)
	b.WriteString("Technical Support: http://www.cisco.com/techsupport\n")
	b.WriteString("Copyright (c) 1986-2023 by Cisco Systems, Inc.\n")
	b.WriteString("Compiled Wed 25-Jan-23 16:15 by mcpre\n\n\n")
	b.WriteString("Cisco IOS-XE software, Copyright (c) 2005-2023 by cisco Systems, Inc.\n")
	b.WriteString("All rights reserved.  Certain components of Cisco IOS-XE software are\n")
	b.WriteString("licensed under the GNU General Public License (\"GPL\") Version 2.0.  The\n")
	b.WriteString("software code licensed under GPL Version 2.0 is free software that comes\n")
	b.WriteString("with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such\n")
	b.WriteString("GPL code under the terms of GPL Version 2.0.  For more details, see the\n")
	b.WriteString("documentation or \"License Notice\" file accompanying the IOS-XE software,\n")
	b.WriteString("or the applicable URL provided on the flyer accompanying the IOS-XE\n")
	b.WriteString("software.\n\n\n")
	b.WriteString("ROM: IOS-XE ROMMON\n\n")
	fmt.Fprintf(&b, "%s uptime is %s\n", host, uptimeCisco(up))
	fmt.Fprintf(&b, "Uptime for this control processor is %s\n", uptimeCisco(up+time.Minute))
	b.WriteString("System returned to ROM by reload\n")
	fmt.Fprintf(&b, "System restarted at %s\n", id.boot.Format("15:04:05 MST Mon Jan 2 2006"))
	b.WriteString("System image file is \"bootflash:packages.conf\"\n")
	b.WriteString("Last reload reason: reload\n\n\n\n")
	b.WriteString("This product contains cryptographic features and is subject to United\n")
	b.WriteString("States and local country laws governing import, export, transfer and\n")
	b.WriteString("use. Delivery of Cisco cryptographic products does not imply\n")
	b.WriteString("third-party authority to import, export, distribute or use encryption.\n\n")
	b.WriteString("License Level: ax\nLicense Type: N/A(Smart License Enabled)\nNext reload license Level: ax\n\n\n")
	b.WriteString("Smart Licensing Status: UNREGISTERED/No Licenses in Use\n\n")
	b.WriteString(proc + "\n")
	fmt.Fprintf(&b, "Processor board ID %s\n", id.serial)
	b.WriteString("Router operating mode: Autonomous\n")
	fmt.Fprintf(&b, "%d Gigabit Ethernet interfaces\n", 4+int(hashString(d.cfg.Name)%6))
	b.WriteString("32768K bytes of non-volatile configuration memory.\n")
	fmt.Fprintf(&b, "%dK bytes of physical memory.\n", id.memoryKB)
	b.WriteString("6188032K bytes of virtual hard disk at bootflash:.\n\n")
	b.WriteString("Configuration register is 0x2102\n\n")
	return b.String()
}

// plainEnableSecret returns the clear-text secret of a top-level "enable secret PLAIN" or
// "enable secret 0 PLAIN" line (the IOS and EOS forms), which the device stores hashed.
func plainEnableSecret(s *session, f []string) (string, bool) {
	if len(s.ctx) != 0 || len(f) < 3 || f[0] != "enable" || f[1] != "secret" {
		return "", false
	}
	switch {
	case len(f) == 3:
		return f[2], true
	case len(f) == 4 && f[2] == "0":
		return f[3], true
	}
	return "", false
}

// configureReplace runs "configure replace FILE [force]" (an archive file): the running
// configuration becomes the file's. Without "force" the device asks for confirmation.
func (dl iosxeDialect) configureReplace(s *session, f []string) {
	c, ok := s.d.archiveFile(f[0])
	if !ok {
		s.fail("%Error opening " + f[0] + " (No such file or directory)\n")
		return
	}
	replace := func() {
		if s.d.Faults().FailRollback {
			s.fail("%Rollback aborted: the configuration could not be applied\nRollback failed\n")
			return
		}
		s.d.commitConfig(s.user, c)
		s.print("Total number of passes: 1\nRollback Done\n\n")
	}
	if len(f) > 1 && f[1] == "force" {
		replace()
		return
	}
	s.ask("This will apply all necessary additions and deletions\nto replace the contents of the current running configuration\nwith the contents of the specified configuration file, which is\nassumed to be a complete configuration, not a partial configuration.\nEnter Y if you are sure you want to proceed. ? [no]: ", false, func(ans string) {
		if a := strings.ToLower(strings.TrimSpace(ans)); a == "y" || a == "yes" {
			replace()
		}
	})
}
