package devsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Helpers shared by the Cisco-style dialects (IOS-XE, NX-OS, IOS-XR, EOS).

// opener says which configuration lines open a sub-mode and what the sub-mode's prompt is.
type opener struct {
	parent string // prompt of the mode it is valid in ("" = global configuration)
	prefix string // the line's first words
	prompt string // the sub-mode's prompt name
}

// openerFor finds the sub-mode a line opens in the current context.
func openerFor(openers []opener, ctx []ctxFrame, line string) (string, bool) {
	parent := ""
	if len(ctx) > 0 {
		parent = ctx[len(ctx)-1].prompt
	}
	l := strings.ToLower(line)
	for _, o := range openers {
		if o.parent != parent && !(o.parent == "*" && parent != "") {
			continue
		}
		if l == o.prefix || strings.HasPrefix(l, o.prefix+" ") {
			if o.prompt == "config-if" && strings.Contains(l, ".") {
				return "config-subif", true
			}
			return o.prompt, true
		}
	}
	return "", false
}

// isTopOpener reports whether line opens a sub-mode from global configuration.
func isTopOpener(openers []opener, line string) bool {
	_, ok := openerFor(openers, nil, line)
	return ok
}

// ctxHeaders returns the header lines of a context stack.
func ctxHeaders(ctx []ctxFrame) []string {
	h := make([]string, len(ctx))
	for i, f := range ctx {
		h[i] = f.header
	}
	return h
}

// terminalSetting handles "terminal length N" and "terminal width N" (and the like); it
// returns false when the line is not one.
func terminalSetting(s *session, kw []string, args []string) bool {
	if len(kw) < 2 || kw[0] != "terminal" {
		return false
	}
	n := 0
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 0 {
			return false
		}
		n = v
	}
	switch kw[1] {
	case "length":
		s.length = n
	case "width":
		s.width = n
	}
	return true
}

// uptimeCisco formats an uptime the IOS way: "2 years, 1 week, 3 days, 4 hours, 5 minutes".
func uptimeCisco(d time.Duration) string {
	y, w, dd, h, m, _ := uptimeParts(d)
	var parts []string
	if y > 0 {
		parts = append(parts, plural(y, "year"))
	}
	if y > 0 || w > 0 {
		parts = append(parts, plural(w, "week"))
	}
	if y > 0 || w > 0 || dd > 0 {
		parts = append(parts, plural(dd, "day"))
	}
	parts = append(parts, plural(h, "hour"), plural(m, "minute"))
	return strings.Join(parts, ", ")
}

// clockPeriod is the volatile "ntp clock-period" value: it drifts a little every minute.
func clockPeriod(seed uint64, now time.Time) int {
	return 17179869 + int((uint64(now.Unix()/60)+seed)%41) - 20
}

// renderLines joins configuration body lines, filling in volatile values.
func renderLines(lines []string, now time.Time, seed uint64) string {
	var b strings.Builder
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	b.Grow(n + 16)
	for _, l := range lines {
		if l == "ntp clock-period" {
			fmt.Fprintf(&b, "ntp clock-period %d\n", clockPeriod(seed, now))
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// truncateConfig cuts a configuration text about 60% of the way through, at the end of a line
// inside a block (the next line is indented), so that neither an end marker nor balanced braces
// make the rest look complete.
func truncateConfig(text string) string {
	cut := len(text) * 6 / 10
	for i := cut; i > 0; i-- {
		if text[i-1] == '\n' && i < len(text) && text[i] == ' ' {
			return text[:i]
		}
	}
	if i := strings.LastIndexByte(text[:cut], '\n'); i > 0 {
		return text[:i+1]
	}
	return text[:cut]
}

// interfacesOf lists the interfaces of a Cisco-style configuration with their address and
// whether they are shut down.
type ifaceInfo struct {
	name, addr, mask string
	shutdown         bool
	description      string
}

func interfacesOf(lines []string) []ifaceInfo {
	var out []ifaceInfo
	cur := -1
	for _, l := range lines {
		if name, ok := strings.CutPrefix(l, "interface "); ok {
			out = append(out, ifaceInfo{name: strings.TrimSpace(name)})
			cur = len(out) - 1
			continue
		}
		if cur < 0 {
			continue
		}
		if !strings.HasPrefix(l, " ") {
			cur = -1
			continue
		}
		t := strings.TrimSpace(l)
		f := strings.Fields(t)
		switch {
		case t == "shutdown":
			out[cur].shutdown = true
		case len(f) >= 3 && (f[0] == "ip" || f[0] == "ipv4") && f[1] == "address" && out[cur].addr == "":
			out[cur].addr = f[2]
			if len(f) >= 4 {
				out[cur].mask = f[3]
			}
		case f[0] == "description" && len(t) > 12:
			out[cur].description = t[12:]
		}
	}
	return out
}

// ifaceKeywords are the commands of the interface configuration sub-mode (all platforms'
// together); a line there that starts with anything else is rejected with the platform's error.
var ifaceKeywords = []string{
	"access-group", "arp", "bandwidth", "bfd", "bundle", "carrier-delay", "cdp", "channel-group", "dampening",
	"default", "delay", "description", "dot1q", "duplex", "encapsulation", "error-disable", "evpn", "flowcontrol",
	"hold-queue", "ip", "ipv4", "ipv6", "isis", "keepalive", "l2transport", "lacp", "link", "lldp", "load-interval",
	"logging", "mac", "mac-address", "media-type", "medium", "mpls", "mtu", "negotiation", "nv", "ospf", "pim",
	"priority-flow-control", "qos", "service-instance", "service-policy", "shutdown", "speed", "spanning-tree",
	"standby", "storm-control", "switchport", "tunnel", "udld", "vlan", "vpc", "vrf", "vrrp", "xconnect", "mop",
	"autostate", "management", "no", "exit", "end", "do", "show", "root", "commit", "abort", "ptp", "sflow",
}

var ifaceTree = func() *cmdTree {
	var specs []cmdSpec
	for _, k := range ifaceKeywords {
		specs = append(specs, cmdSpec{k + " [LINE]", "line"})
	}
	return newCmdTree(specs...)
}()

// isIfaceMode reports whether the innermost sub-mode is an interface's.
func isIfaceMode(ctx []ctxFrame) bool {
	if len(ctx) == 0 {
		return false
	}
	p := ctx[len(ctx)-1].prompt
	return strings.HasPrefix(p, "config-if") || strings.HasPrefix(p, "config-subif")
}
