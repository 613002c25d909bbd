package devsim

import (
	"fmt"
	"strings"
	"time"
)

// nxosDialect is Cisco NX-OS (modelled on NX-OS 9.x on a Nexus 9000).
type nxosDialect struct{}

var nxosSpecs = []cmdSpec{
	{"attach LINE", "noop"}, {"cd LINE", "noop"}, {"checkpoint WORD", "checkpoint"},
	{"no checkpoint WORD", "no checkpoint"}, {"rollback running-config checkpoint WORD [LINE]", "rollback checkpoint"},
	{"show checkpoint summary", "show checkpoint summary"}, {"clear counters [LINE]", "noop"},
	{"clear logging onboard [LINE]", "clear logging"}, {"clear logging logfile", "clear logging"}, {"clear ip LINE", "noop"},
	{"cli LINE", "noop"}, {"configure terminal", "configure"}, {"configure", "configure"},
	{"copy running-config startup-config", "copy run start"}, {"copy LINE", "noop"},
	{"debug LINE", "noop"}, {"delete LINE", "noop"}, {"dir [LINE]", "dir"}, {"show file WORD md5sum", "show file md5sum"}, {"echo [LINE]", "echo"},
	{"end", "noop"}, {"exit", "exit"}, {"find LINE", "noop"}, {"install LINE", "noop"},
	{"load LINE", "noop"}, {"mkdir LINE", "noop"}, {"move LINE", "noop"}, {"ping LINE", "noop"},
	{"reload [LINE]", "noop"}, {"run-script LINE", "noop"}, {"send LINE", "noop"}, {"setup", "noop"},
	{"show clock", "show clock"}, {"show hostname", "show hostname"}, {"show interface [LINE]", "noop"},
	{"show inventory [LINE]", "noop"}, {"show ip LINE", "noop"}, {"show logging [LINE]", "noop"},
	{"show running-config [LINE]", "show running-config"}, {"show startup-config [LINE]", "show startup-config"},
	{"show version [LINE]", "show version"}, {"show vlan [LINE]", "noop"}, {"show users", "noop"},
	{"sleep WORD", "noop"}, {"ssh LINE", "noop"}, {"system LINE", "noop"}, {"tac-pac [LINE]", "noop"},
	{"tail LINE", "noop"}, {"tclsh [LINE]", "tclsh"}, {"telnet LINE", "noop"},
	{"terminal length WORD", "terminal"}, {"terminal width WORD", "terminal"}, {"terminal monitor", "noop"},
	{"terminal session-timeout WORD", "noop"}, {"test LINE", "noop"}, {"traceroute LINE", "noop"},
	{"undebug LINE", "noop"}, {"where [LINE]", "noop"}, {"xml LINE", "noop"},
}

var nxosConfigKeywords = []string{
	"aaa", "banner", "boot", "callhome", "cfs", "class-map", "clock", "copp", "crypto", "diagnostic",
	"errdisable", "event", "feature", "hardware", "hostname", "interface", "ip", "ipv6", "key",
	"line", "logging", "mac", "monitor", "ntp", "object-group", "password", "policy-map", "port-channel",
	"radius-server", "rmon", "role", "route-map", "router", "snmp-server", "spanning-tree", "ssh",
	"switchname", "tacacs-server", "telemetry", "username", "vdc", "vlan", "vpc", "vrf",
}

var (
	nxosTree       = newCmdTree(nxosSpecs...)
	nxosConfigTree = func() *cmdTree {
		var specs []cmdSpec
		for _, sp := range nxosSpecs {
			if sp.pattern != "end" && sp.pattern != "exit" {
				specs = append(specs, sp)
			}
		}
		specs = append(specs, cmdSpec{"end", "end"}, cmdSpec{"exit", "config exit"}, cmdSpec{"no LINE", "line"}, cmdSpec{"default LINE", "line"})
		for _, k := range nxosConfigKeywords {
			specs = append(specs, cmdSpec{k + " LINE", "line"})
		}
		return newCmdTree(specs...)
	}()
)

var nxosOpeners = []opener{
	{"", "interface", "config-if"}, {"", "router", "config-router"}, {"config-router", "neighbor", "config-router-neighbor"},
	{"config-router", "address-family", "config-router-af"}, {"config-router-neighbor", "address-family", "config-router-neighbor-af"},
	{"", "vlan", "config-vlan"}, {"", "vrf context", "config-vrf"}, {"", "line console", "config-console"},
	{"", "line vty", "config-line"}, {"", "aaa group server", "config-tacacs+"}, {"", "ip access-list", "config-acl"},
	{"", "route-map", "config-route-map"}, {"", "vdc", "config-vdc"}, {"", "role name", "config-role"},
}

var nxosGlobalOnly = map[string]bool{"hostname": true, "ntp": true, "snmp-server": true, "username": true, "feature": true, "aaa": true, "tacacs-server": true, "boot": true}

func (nxosDialect) more() string { return "--More--" }

func (nxosDialect) scripts() (string, []string, string) {
	return "configure terminal", []string{"end"}, "show running-config"
}

func (nxosDialect) start(s *session) {
	s.mode = modePriv // NX-OS has no user exec level
	s.print("\n")
}

func (nxosDialect) prompt(s *session) string {
	h := s.hostname()
	switch s.mode {
	case modeConfig:
		if len(s.ctx) > 0 {
			return h + "(" + s.ctx[len(s.ctx)-1].prompt + ")# "
		}
		return h + "(config)# "
	case modeTclsh:
		return h + "-tcl# "
	case modeTclConfig:
		return h + "(config-tcl)# "
	}
	return h + "# "
}

func nxosError(s *session, p parsed, line string, width int) {
	switch p.err {
	case parseIncomplete:
		s.fail(caret(width+len(line)+1) + "% Incomplete command at '^' marker.\n")
	case parseAmbiguous:
		s.fail(caret(width+p.wordPos) + "% Ambiguous command at '^' marker.\n")
	default:
		s.fail(caret(width+p.caret) + "% Invalid command at '^' marker.\n")
	}
}

func (dl nxosDialect) exec(s *session, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	switch s.mode {
	case modeConfig, modeTclConfig:
		dl.configLine(s, line)
		return
	case modeTclsh:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "tclquit":
			s.print("Exiting Tcl\n")
			s.mode = modePriv
			return
		case "exit":
			s.mode = modePriv
			return
		case "tclsh", "end":
			return
		}
	}
	dl.execLine(s, line, nxosTree)
}

func (dl nxosDialect) execLine(s *session, line string, tree *cmdTree) {
	cmd, pipes := splitPipe(line)
	p := tree.parse(cmd)
	if p.err != parseOK {
		width := s.promptWidth()
		if s.mode == modeTclsh {
			width = len(s.hostname()) + 2 // carets count from the exec prompt
		}
		nxosError(s, p, cmd, width)
		return
	}
	text := dl.run(s, p)
	if text == "" {
		return
	}
	if len(pipes) > 0 {
		var ok bool
		if text, _, ok = filterOutput(text, pipes); !ok {
			s.fail(caret(s.promptWidth()+len(cmd)+3) + "% Invalid command at '^' marker.\n")
			return
		}
	}
	s.output(text)
}

func (dl nxosDialect) run(s *session, p parsed) string {
	d := s.d
	switch p.action {
	case "exit":
		s.hangup = true
	case "config exit":
		s.mode, s.ctx = modePriv, nil
	case "terminal":
		if !terminalSetting(s, p.keywords, p.args) {
			s.fail(caret(s.promptWidth()+len("terminal length ")) + "% Invalid command at '^' marker.\n")
		}
	case "configure":
		switch s.mode {
		case modeTclsh:
			s.mode = modeTclConfig
			s.print("Enter configuration commands, one per line. End with CNTL/Z.\n")
		case modePriv:
			s.mode, s.ctx = modeConfig, nil
			s.print("Enter configuration commands, one per line. End with CNTL/Z.\n")
		}
	case "tclsh":
		s.mode, s.ctx = modeTclsh, nil
	case "echo":
		if len(p.args) > 0 {
			return p.args[0] + "\n"
		}
		return "\n"
	case "clear logging":
		s.ask("!!!WARNING! This will clear the selected logging buffer(s)!!\nDo you want to continue? (y/n)  [n] ", false, func(string) {})
	case "copy run start":
		d.saveConfig(s.user)
		s.print("[########################################] 100%\nCopy complete, now saving to disk (please wait)...\nCopy complete.\n")
	case "show clock":
		return time.Now().UTC().Format("15:04:05.000 MST Mon Jan 02 2006") + "\nTime source is NTP\n"
	case "dir", "show file md5sum":
		out, _ := fileCommand(s, p.action, p.args)
		return out
	case "show hostname":
		return s.hostname() + "\n"
	case "checkpoint":
		if !d.saveCheckpoint(p.args[0]) {
			s.fail("Checkpoint name " + p.args[0] + " is already in use\n")
			return ""
		}
		s.print("...........Done\n")
	case "no checkpoint":
		if !d.deleteCheckpoint(p.args[0]) {
			s.fail("Checkpoint " + p.args[0] + " does not exist\n")
		}
	case "show checkpoint summary":
		var b strings.Builder
		for _, n := range d.Checkpoints() {
			fmt.Fprintf(&b, "%s\n--------------------\nCreated by %s\nCreated at %s\n\n", n, s.user, nxosTime(time.Now().UTC()))
		}
		return b.String()
	case "rollback checkpoint":
		c, ok := d.checkpoint(p.args[0])
		if !ok {
			s.fail("Checkpoint " + p.args[0] + " does not exist\n")
			return ""
		}
		s.print("Note: Applying config parallelly may fail Rollback verification\nCollecting Running-Config\n#Generating Rollback Patch\nExecuting Rollback Patch\n")
		if d.Faults().FailRollback {
			s.fail("Rollback Patch execution failed\nRollback failed.\n")
			return ""
		}
		d.commitConfig(s.user, c)
		s.print("#Generating Running-config for verification\n#Generating Patch for verification\nVerification is Successful.\n\nRollback completed successfully.\n")
	case "show version":
		return nxosShowVersion(d, s.hostname())
	case "show running-config":
		s.countConfigRead()
		if hdr, ok := sectionArg(p.args); ok {
			now := time.Now().UTC()
			changed, _, _, _ := d.changeTimes()
			return fmt.Sprintf("\n!Command: show running-config %s\n!Running configuration last done at: %s\n!Time: %s\n\n", p.args[0], nxosTime(changed), nxosTime(now)) +
				sectionOf(renderLines(d.currentConfig().lines, now, d.cfg.Seed), hdr) + "\n\n"
		}
		return nxosShowRun(d, "running-config", d.currentConfig())
	case "show startup-config":
		return nxosShowRun(d, "startup-config", d.startupConfig())
	}
	return ""
}

func nxosTime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

func nxosShowRun(d *Device, what string, c *config) string {
	now := time.Now().UTC()
	changed, _, saved, _ := d.changeTimes()
	var b strings.Builder
	fmt.Fprintf(&b, "\n!Command: show %s\n", what)
	if what == "startup-config" {
		fmt.Fprintf(&b, "!Startup config saved at: %s\n", nxosTime(saved))
	} else {
		fmt.Fprintf(&b, "!Running configuration last done at: %s\n", nxosTime(changed))
	}
	fmt.Fprintf(&b, "!Time: %s\n\n", nxosTime(now))
	body := renderLines(c.lines, now, d.cfg.Seed)
	if d.Faults().TruncateConfig {
		body = truncateConfig(body)
	}
	b.WriteString(body)
	b.WriteString("\n\n\n")
	return b.String()
}

func nxosShowVersion(d *Device, host string) string {
	id := d.ident
	now := time.Now().UTC()
	up := now.Sub(id.boot)
	days := int(up / (24 * time.Hour))
	_, _, _, h, m, sec := uptimeParts(up)
	img := strings.NewReplacer("(", ".", ")", "").Replace(id.version)
	chassis := "cisco Nexus9000 " + strings.TrimPrefix(id.model, "N9K-") + " chassis"
	if id.model == "N9K-9000v" {
		chassis = "cisco Nexus9000 9000v Chassis"
	}
	var b strings.Builder
	b.WriteString("Cisco Nexus Operating System (NX-OS) Software\nTAC support: http://www.cisco.com/tac\n")
	b.WriteString("Copyright (C) 2002-2023, Cisco and/or its affiliates.\nAll rights reserved.\n")
	b.WriteString("The copyrights to certain works contained in this software are\n")
	b.WriteString("owned by other third parties and used and distributed under their own\n")
	b.WriteString("licenses, such as open source.  This software is provided \"as is,\" and unless\n")
	b.WriteString("otherwise stated, there is no warranty, express or implied, including but not\n")
	b.WriteString("limited to warranties of merchantability and fitness for a particular purpose.\n")
	b.WriteString("Certain components of this software are licensed under\n")
	b.WriteString("the GNU General Public License (GPL) version 2.0 or\n")
	b.WriteString("GNU General Public License (GPL) version 3.0  or the GNU\n")
	b.WriteString("Lesser General Public License (LGPL) Version 2.1 or\n")
	b.WriteString("Lesser General Public License (LGPL) Version 2.0.\n\n")
	b.WriteString("Software\n")
	b.WriteString("  BIOS: version 05.47\n")
	fmt.Fprintf(&b, " NXOS: version %s\n", id.version)
	b.WriteString("  BIOS compile time:  04/28/2022\n")
	fmt.Fprintf(&b, "  NXOS image file is: bootflash:///nxos.%s.bin\n", img)
	b.WriteString("  NXOS compile time:  12/22/2022 2:00:00 [12/22/2022 14:00:37]\n\n\n")
	b.WriteString("Hardware\n")
	fmt.Fprintf(&b, "  %s \n", chassis)
	fmt.Fprintf(&b, "  Intel(R) Xeon(R) CPU  @ 1.80GHz with %d kB of memory.\n", id.memoryKB)
	fmt.Fprintf(&b, "  Processor Board ID %s\n\n", id.serial)
	fmt.Fprintf(&b, "  Device name: %s\n", host)
	b.WriteString("  bootflash:   53298520 kB\n")
	fmt.Fprintf(&b, "Kernel uptime is %d day(s), %d hour(s), %d minute(s), %d second(s)\n\n", days, h, m, sec)
	fmt.Fprintf(&b, "Last reset at %d usecs after %s\n", 100000+int(hashString(d.cfg.Name)%900000), id.boot.Format("Mon Jan _2 15:04:05 2006"))
	b.WriteString("  Reason: Reset Requested by CLI command reload\n")
	fmt.Fprintf(&b, "  System version: %s\n  Service: \n\n", id.version)
	b.WriteString("plugin\n  Core Plugin, Ethernet Plugin\n\nActive Package(s):\n\t\n")
	return b.String()
}

func (dl nxosDialect) configLine(s *session, line string) {
	t := strings.TrimSpace(line)
	lower := strings.ToLower(t)
	if s.mode == modeTclConfig && (lower == "end" || lower == "exit") {
		s.mode = modeTclsh
		return
	}
	if len(s.ctx) > 0 {
		switch lower {
		case "exit":
			s.ctx = s.ctx[:len(s.ctx)-1]
			return
		case "end":
			s.mode, s.ctx = modePriv, nil
			return
		}
		if prompt, ok := openerFor(nxosOpeners, s.ctx, t); ok {
			dl.open(s, t, prompt)
			return
		}
		if !isTopOpener(nxosOpeners, t) && !nxosGlobalOnly[firstWord(lower)] && !strings.HasPrefix(lower, "show ") {
			if isIfaceMode(s.ctx) {
				if p := ifaceTree.parse(t); p.err != parseOK {
					nxosError(s, p, t, s.promptWidth())
					return
				}
			}
			dl.apply(s, t)
			return
		}
		if !strings.HasPrefix(lower, "show ") {
			s.ctx = nil
		}
	}
	p := nxosConfigTree.parse(t)
	if p.err != parseOK {
		nxosError(s, p, t, s.promptWidth())
		return
	}
	switch p.action {
	case "end":
		s.mode, s.ctx = modePriv, nil
		return
	case "line":
	default:
		// exec commands work in configuration mode on NX-OS
		dl.execLine(s, t, nxosConfigTree)
		return
	}
	if prompt, ok := openerFor(nxosOpeners, nil, t); ok {
		s.ctx = nil
		dl.open(s, t, prompt)
		return
	}
	dl.apply(s, t)
}

func (dl nxosDialect) open(s *session, t, prompt string) {
	s.ctx = append(s.ctx, ctxFrame{header: t, prompt: prompt})
	hdrs := ctxHeaders(s.ctx)
	s.d.editConfig(s.user, func(c *config) *config {
		c.lines = ensureBlock(c.lines, hdrs, 2, "")
		return c
	})
}

func (dl nxosDialect) apply(s *session, t string) {
	hdrs := ctxHeaders(s.ctx)
	s.d.editConfig(s.user, func(c *config) *config {
		c.lines = editLines(c.lines, hdrs, t, 2, "")
		return c
	})
}
