package devsim

import (
	"fmt"
	"strings"
	"time"
)

// eosDialect is Arista EOS (modelled on EOS 4.2x).
type eosDialect struct{}

// eosSpecs is the exec vocabulary; eosPrivOnly are the actions that need privileged mode.
var eosSpecs = []cmdSpec{
	{"bash [LINE]", "noop"}, {"clear counters [LINE]", "noop"}, {"clear logging", "clear logging"},
	{"clear ip LINE", "noop"}, {"configure", "configure"}, {"configure terminal", "configure"},
	{"configure session [LINE]", "configure session"}, {"copy running-config startup-config", "write"},
	{"copy LINE", "noop"}, {"delete LINE", "noop"}, {"dir [LINE]", "dir"}, {"verify LINE", "verify"}, {"disable", "disable"},
	{"enable [LINE]", "enable"}, {"exit", "exit"}, {"logout", "exit"}, {"quit", "exit"},
	{"ping LINE", "noop"}, {"reload [LINE]", "noop"}, {"show clock", "show clock"},
	{"show hostname", "show hostname"}, {"show interfaces [LINE]", "noop"}, {"show inventory", "noop"},
	{"show ip LINE", "noop"}, {"show lldp [LINE]", "noop"}, {"show logging [LINE]", "noop"},
	{"show privilege", "show privilege"}, {"show running-config [LINE]", "show running-config"},
	{"show startup-config [LINE]", "show startup-config"}, {"show users", "noop"},
	{"show version [LINE]", "show version"}, {"show vlan [LINE]", "noop"},
	{"terminal length WORD", "terminal"}, {"terminal width WORD", "terminal"},
	{"terminal monitor", "noop"}, {"terminal dont-ask", "noop"}, {"traceroute LINE", "noop"},
	{"write", "write"}, {"write memory", "write"}, {"zerotouch LINE", "noop"},
}

var eosPrivOnly = map[string]bool{
	"configure": true, "configure session": true, "clear logging": true, "write": true, "show running-config": true,
	"show startup-config": true, "bash [LINE]": true, "copy LINE": true, "delete LINE": true,
	"reload [LINE]": true,
}

// eosConfigKeywords are the global configuration commands.
var eosConfigKeywords = []string{
	"aaa", "alias", "banner", "boot", "clock", "cvx", "daemon", "dhcp", "dns", "email", "errdisable",
	"event-handler", "event-monitor", "hardware", "hostname", "interface", "ip", "ipv6", "lacp", "ldap",
	"lldp", "load-interval", "logging", "mac", "management", "monitor", "mpls", "ntp", "platform",
	"policy-map", "port-channel", "qos", "radius-server", "role", "route-map", "router", "service", "sflow",
	"snmp-server", "spanning-tree", "switchport", "tacacs-server", "transceiver", "username", "vlan", "vrf",
}

var (
	eosTree       = newCmdTree(eosSpecs...)
	eosConfigTree = func() *cmdTree {
		var specs []cmdSpec
		for _, sp := range eosSpecs {
			if sp.action != "enable" {
				specs = append(specs, sp)
			}
		}
		specs = append(specs, cmdSpec{"enable password LINE", "line"}, cmdSpec{"enable secret LINE", "line"},
			cmdSpec{"end", "end"}, cmdSpec{"do LINE", "do"}, cmdSpec{"no LINE", "no"}, cmdSpec{"default LINE", "no"})
		for _, k := range eosConfigKeywords {
			specs = append(specs, cmdSpec{k + " LINE", "line"})
		}
		return newCmdTree(specs...)
	}()
)

var eosOpeners = []opener{
	{"", "interface", "config-if"}, {"", "router bgp", "config-router-bgp"}, {"", "router ospf", "config-router-ospf"},
	{"", "ip access-list", "config-acl"}, {"", "ip prefix-list", "config-ip-pfx"}, {"", "route-map", "config-route-map"},
	{"", "vlan", "config-vlan"}, {"", "vrf instance", "config-vrf"}, {"", "management api http-commands", "config-mgmt-api-http-cmds"},
	{"", "management api netconf", "config-mgmt-api-netconf"}, {"", "management ssh", "config-mgmt-ssh"},
	{"", "aaa group server tacacs+", "config-sg-tacacs+"}, {"", "daemon", "config-daemon"},
	{"config-router-bgp", "address-family", "config-router-bgp-af"}, {"config-mgmt-api-http-cmds", "vrf", "config-mgmt-api-http-cmds-vrf"},
	{"config-mgmt-ssh", "vrf", "config-mgmt-ssh-vrf"},
}

var eosGlobalOnly = map[string]bool{"hostname": true, "ntp": true, "snmp-server": true, "username": true, "enable": true, "aaa": true, "tacacs-server": true, "logging": true, "dns": true}

func (eosDialect) more() string { return " --More-- " }

func (eosDialect) scripts() (string, []string, string) {
	return "configure terminal", []string{"end"}, "show running-config"
}

func (eosDialect) start(s *session) {
	s.mode = modeExec
	if s.priv >= 15 {
		s.mode = modePriv
	}
}

// eosIfShort abbreviates an interface name for the prompt (Ethernet1 -> Et1).
func eosIfShort(name string) string {
	for _, p := range [][2]string{{"Ethernet", "Et"}, {"Management", "Ma"}, {"Loopback", "Lo"}, {"Port-Channel", "Po"}, {"Vlan", "Vl"}, {"Vxlan", "Vx"}} {
		if rest, ok := strings.CutPrefix(name, p[0]); ok {
			return p[1] + rest
		}
	}
	return name
}

func (eosDialect) prompt(s *session) string {
	h := s.hostname()
	switch s.mode {
	case modeExec:
		return h + ">"
	case modeConfig:
		if s.eosSess != "" {
			sub := ""
			if len(s.ctx) > 0 {
				sub = strings.TrimPrefix(s.ctx[len(s.ctx)-1].prompt, "config")
			}
			return h + "(config-s-" + s.eosSess + sub + ")#"
		}
		if len(s.ctx) > 0 {
			return h + "(" + s.ctx[len(s.ctx)-1].prompt + ")#"
		}
		return h + "(config)#"
	}
	return h + "#"
}

// eosPromptName is the prompt of the sub-mode a line opens (config-if-Et1, config-acl-X).
func eosPromptName(base, line string) string {
	f := strings.Fields(line)
	switch base {
	case "config-if", "config-subif":
		if len(f) > 1 {
			return "config-if-" + eosIfShort(f[1])
		}
	case "config-acl", "config-route-map", "config-ip-pfx", "config-vrf", "config-sg-tacacs+", "config-daemon":
		return base + "-" + f[len(f)-1]
	case "config-vlan":
		return "config-vlan-" + f[len(f)-1]
	}
	return base
}

func eosError(s *session, p parsed) {
	switch p.err {
	case parseIncomplete:
		s.fail("% Incomplete command\n")
	case parseAmbiguous:
		s.fail("% Ambiguous command\n")
	default:
		s.fail("% Invalid input\n")
	}
}

func (dl eosDialect) exec(s *session, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if s.mode == modeConfig {
		dl.configLine(s, line)
		return
	}
	dl.execLine(s, line, eosTree)
}

func (dl eosDialect) execLine(s *session, line string, tree *cmdTree) {
	cmd, pipes := splitPipe(line)
	p := tree.parse(cmd)
	if p.err != parseOK {
		eosError(s, p)
		return
	}
	if s.mode == modeExec && eosPrivOnly[p.action] {
		s.fail("% Invalid input (privileged mode required)\n")
		return
	}
	text := dl.run(s, p)
	if text == "" {
		return
	}
	if len(pipes) > 0 {
		var ok bool
		if text, _, ok = filterOutput(text, pipes); !ok {
			s.fail("% Invalid input\n")
			return
		}
	}
	s.output(text)
}

func (dl eosDialect) run(s *session, p parsed) string {
	d := s.d
	switch p.action {
	case "exit":
		s.hangup = true
	case "disable":
		s.mode, s.ctx = modeExec, nil
	case "enable":
		if s.mode == modeExec {
			s.ask("Password: ", true, func(ans string) {
				if ans == d.enableSecret() {
					s.mode = modePriv
					return
				}
				s.fail("% Access denied\n")
			})
		}
	case "terminal":
		if !terminalSetting(s, p.keywords, p.args) {
			s.fail("% Invalid input\n")
			return ""
		}
		if p.keywords[1] == "length" {
			if s.length == 0 {
				s.print("Pagination disabled.\n")
			} else {
				s.print(fmt.Sprintf("Pagination set to %d lines.\n", s.length))
			}
		} else {
			s.print(fmt.Sprintf("Width set to %d columns.\n", s.width))
		}
	case "configure":
		s.mode, s.ctx = modeConfig, nil
	case "configure session":
		dl.session(s, p.args)
	case "clear logging":
	case "write":
		d.saveConfig(s.user)
		s.print("Copy completed successfully.\n")
	case "show clock":
		return time.Now().UTC().Format("Mon Jan 2 15:04:05 2006") + "\nTimezone: UTC\nClock source: NTP server (10.255.0.1)\n"
	case "dir", "verify":
		out, _ := fileCommand(s, p.action, p.args)
		return out
	case "show hostname":
		return fmt.Sprintf("Hostname: %s\nFQDN:     %s\n", s.hostname(), s.hostname())
	case "show privilege":
		if s.mode == modeExec {
			return "Current privilege level is 1\n"
		}
		return "Current privilege level is 15\n"
	case "show version":
		return eosShowVersion(d)
	case "show running-config":
		s.countConfigRead()
		if hdr, ok := sectionArg(p.args); ok {
			return sectionOf(renderLines(d.currentConfig().lines, time.Now().UTC(), d.cfg.Seed), hdr)
		}
		return eosShowRun(d, "running-config", d.currentConfig())
	case "show startup-config":
		return eosShowRun(d, "startup-config", d.startupConfig())
	}
	return ""
}

func eosShowRun(d *Device, what string, c *config) string {
	now := time.Now().UTC()
	model := d.ident.model
	var b strings.Builder
	fmt.Fprintf(&b, "! Command: show %s\n", what)
	if what == "startup-config" {
		_, _, saved, by := d.changeTimes()
		fmt.Fprintf(&b, "! Startup-config last modified at %s by %s\n", saved.Format("Mon Jan 2 15:04:05 2006"), by)
	} else {
		fmt.Fprintf(&b, "! Time: %s\n", now.Format("Mon Jan 2 15:04:05 2006"))
	}
	fmt.Fprintf(&b, "! device: %s (%s, EOS-%s)\n!\n", d.Hostname(), model, d.ident.version)
	body := renderLines(c.lines, now, d.cfg.Seed) + "end\n"
	if d.Faults().TruncateConfig {
		body = truncateConfig(body)
	}
	b.WriteString(body)
	return b.String()
}

func eosShowVersion(d *Device) string {
	id := d.ident
	up := time.Since(id.boot)
	_, _, _, hours, minutes, _ := uptimeParts(up)
	weeks := int(up / (7 * 24 * time.Hour))
	days := int(up/(24*time.Hour)) % 7
	var b strings.Builder
	if strings.HasPrefix(id.model, "vEOS") {
		fmt.Fprintf(&b, "Arista %s\n", id.model)
		b.WriteString("Hardware version: \nSerial number:       \n")
	} else {
		fmt.Fprintf(&b, "Arista %s\n", id.model)
		b.WriteString("Hardware version: 11.02\n")
		fmt.Fprintf(&b, "Serial number: %s\n", id.serial)
		fmt.Fprintf(&b, "Hardware MAC address: %s\n", macDotted(id.mac))
	}
	fmt.Fprintf(&b, "System MAC address: %s\n\n", macDotted(id.mac))
	fmt.Fprintf(&b, "Software image version: %s\n", id.version)
	b.WriteString("Architecture: x86_64\n")
	fmt.Fprintf(&b, "Internal build version: %s-%d.%s\n", id.version, 20000000+int(hashString(id.version)%9000000), strings.ReplaceAll(id.version, ".", ""))
	fmt.Fprintf(&b, "Internal build ID: %s-%s-%s-%s-%s\n", hexSecret(8, id.version), hexSecret(4, id.version, "a"), hexSecret(4, id.version, "b"), hexSecret(4, id.version, "c"), hexSecret(12, id.version, "d"))
	b.WriteString("Image format version: 3.0\nImage optimization: Default\n\n")
	fmt.Fprintf(&b, "Uptime: %d weeks, %d days, %d hours and %d minutes\n", weeks, days, hours, minutes)
	fmt.Fprintf(&b, "Total memory: %d kB\n", id.memoryKB)
	fmt.Fprintf(&b, "Free memory: %d kB\n\n", id.memoryKB*3/4)
	return b.String()
}

func (dl eosDialect) configLine(s *session, line string) {
	t := strings.TrimSpace(line)
	lower := strings.ToLower(t)
	if s.eosSess != "" && (lower == "commit" || strings.HasPrefix(lower, "commit ") || lower == "abort" ||
		lower == "end" || (lower == "exit" && len(s.ctx) == 0)) {
		dl.sessionLine(s, lower)
		return
	}
	if len(s.ctx) > 0 {
		switch {
		case lower == "exit":
			s.ctx = s.ctx[:len(s.ctx)-1]
			return
		case lower == "end":
			s.mode, s.ctx = modePriv, nil
			return
		}
		if base, ok := openerFor(eosOpeners, s.ctx, t); ok {
			dl.open(s, t, base)
			return
		}
		if !isTopOpener(eosOpeners, t) && !eosGlobalOnly[firstWord(lower)] && !strings.HasPrefix(lower, "show ") && !strings.HasPrefix(lower, "do ") {
			if isIfaceMode(s.ctx) {
				if p := ifaceTree.parse(t); p.err != parseOK {
					eosError(s, p)
					return
				}
			}
			dl.apply(s, t)
			return
		}
		if !strings.HasPrefix(lower, "show ") && !strings.HasPrefix(lower, "do ") {
			s.ctx = nil
		}
	}
	if lower == "exit" {
		s.mode, s.ctx = modePriv, nil
		return
	}
	p := eosConfigTree.parse(t)
	if p.err != parseOK {
		eosError(s, p)
		return
	}
	switch p.action {
	case "end":
		s.mode, s.ctx = modePriv, nil
		return
	case "do":
		dl.execLine(s, p.args[0], eosTree)
		return
	case "line", "no":
	default:
		// exec commands work in configuration mode on EOS
		dl.execLine(s, t, eosConfigTree)
		return
	}
	if base, ok := openerFor(eosOpeners, nil, t); ok {
		s.ctx = nil
		dl.open(s, t, base)
		return
	}
	dl.apply(s, t)
}

func (dl eosDialect) open(s *session, t, base string) {
	s.ctx = append(s.ctx, ctxFrame{header: t, prompt: eosPromptName(base, t)})
	hdrs := ctxHeaders(s.ctx)
	dl.edit(s, func(c *config) *config {
		c.lines = ensureBlock(c.lines, hdrs, 3, "!")
		return c
	})
}

func (dl eosDialect) apply(s *session, t string) {
	f := strings.Fields(t)
	if plain, ok := plainEnableSecret(s, f); ok {
		s.d.setEnableSecret(plain)
		t = "enable secret sha512 " + secretSHA512(plain, s.d.cfg.Name+time.Now().String())
	}
	hdrs := ctxHeaders(s.ctx)
	dl.edit(s, func(c *config) *config {
		c.lines = editLines(c.lines, hdrs, t, 3, "!")
		return c
	})
}

// edit changes the running configuration, or the session's candidate inside a configure
// session.
func (dl eosDialect) edit(s *session, fn func(c *config) *config) {
	if s.eosSess == "" {
		s.d.editConfig(s.user, fn)
		return
	}
	if s.cand == nil {
		s.cand = s.d.currentConfig().clone()
	}
	s.cand = fn(s.cand)
}

// session runs "configure session [NAME [commit|abort]]" in privileged exec.
func (dl eosDialect) session(s *session, args []string) {
	var f []string
	if len(args) > 0 {
		f = strings.Fields(args[0])
	}
	if len(f) == 0 {
		f = []string{fmt.Sprintf("session%d", 1000+hashString(s.d.cfg.Name+time.Now().String())%9000)}
	}
	name := f[0]
	if len(f) > 2 {
		s.fail("% Invalid input\n")
		return
	}
	if len(f) == 2 {
		switch f[1] {
		case "commit":
			if s.d.confirmPending(name) {
				return
			}
			if c, ok := s.d.eosSession(name); ok {
				s.d.commitConfig(s.user, c)
				s.d.setEOSSession(name, nil)
				return
			}
			s.fail("% Session " + name + " not found\n")
		case "abort":
			if s.d.Faults().FailRollback {
				s.fail("% Failed to abort session " + name + ": rollback of the running-config failed\n")
				return
			}
			if s.d.abortPending(name) {
				return
			}
			if _, ok := s.d.eosSession(name); ok {
				s.d.setEOSSession(name, nil)
				return
			}
			s.fail("% Session " + name + " not found\n")
		default:
			s.fail("% Invalid input\n")
		}
		return
	}
	s.mode, s.ctx, s.eosSess = modeConfig, nil, name
	s.cand = nil
	if c, ok := s.d.eosSession(name); ok {
		s.cand = c.clone()
	}
}

// sessionLine runs commit, commit timer, abort, end and exit inside a configure session.
func (dl eosDialect) sessionLine(s *session, lower string) {
	name := s.eosSess
	leave := func() { s.mode, s.ctx, s.eosSess, s.cand = modePriv, nil, "", nil }
	cand := s.cand
	if cand == nil {
		cand = s.d.currentConfig()
	}
	switch {
	case lower == "end" || lower == "exit":
		if s.cand != nil {
			s.d.setEOSSession(name, s.cand)
		}
		leave()
	case lower == "abort":
		s.d.setEOSSession(name, nil)
		leave()
	case lower == "commit":
		s.d.confirmPending(name)
		s.d.commitConfig(s.user, cand)
		s.d.setEOSSession(name, nil)
		leave()
	default: // commit timer hh:mm:ss
		f := strings.Fields(lower)
		secs, ok := 0, false
		if len(f) == 3 && f[1] == "timer" {
			secs, ok = parseHMS(f[2])
		}
		if !ok {
			s.fail("% Invalid input\n")
			return
		}
		s.d.commitConfirmed(s.user, cand, s.d.confirmDuration(secs), name)
		s.d.setEOSSession(name, nil)
		leave()
		if s.d.Faults().DropAfterCommit {
			s.drop()
		}
	}
}
