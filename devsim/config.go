package devsim

import (
	"strings"
	"time"
)

// config is a device's configuration once it exists in memory: the body lines for the
// Cisco-like platforms and EOS (without the volatile header and the end marker), or the tree
// for Junos.
type config struct {
	lines []string
	junos *jnode
}

func (c *config) clone() *config {
	n := &config{}
	if c.lines != nil {
		n.lines = append([]string(nil), c.lines...)
	}
	if c.junos != nil {
		n.junos = c.junos.clone()
	}
	return n
}

// hostname is the hostname the configuration sets ("" when it sets none).
func (c *config) hostname() string {
	if c.junos != nil {
		if n := c.junos.find("system", "host-name"); n != nil {
			return unquote(n.value)
		}
		return ""
	}
	for _, l := range c.lines {
		if strings.HasPrefix(l, "hostname ") {
			return strings.TrimSpace(l[len("hostname "):])
		}
	}
	return ""
}

func (c *config) equal(o *config) bool {
	if c.junos != nil || o.junos != nil {
		if c.junos == nil || o.junos == nil {
			return false
		}
		return c.junos.render(0) == o.junos.render(0)
	}
	if len(c.lines) != len(o.lines) {
		return false
	}
	for i := range c.lines {
		if c.lines[i] != o.lines[i] {
			return false
		}
	}
	return true
}

// currentConfig returns the device's configuration, generating it from the seed when it has
// never been changed. The result must not be modified.
func (d *Device) currentConfig() *config {
	d.mu.Lock()
	if d.st != nil && d.st.cfg != nil {
		c := d.st.cfg
		d.mu.Unlock()
		return c
	}
	d.mu.Unlock()
	return d.generate()
}

// generate builds the configuration from the seed.
func (d *Device) generate() *config {
	return generateConfig(d.cfg, d.ident)
}

// saveConfig copies the running configuration to the startup configuration.
func (d *Device) saveConfig(user string) {
	d.mu.Lock()
	st := d.stateLocked()
	if st.cfg != nil {
		st.startup = st.cfg
	}
	st.savedAt = time.Now().UTC()
	st.savedBy = user
	d.mu.Unlock()
}

// changeTimes returns when and by whom the configuration was last changed and saved.
func (d *Device) changeTimes() (changed time.Time, by string, saved time.Time, savedBy string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	changed, by, saved, savedBy = d.ident.changed, d.ident.by, d.ident.saved, d.ident.by
	if d.st != nil {
		if !d.st.lastChange.IsZero() {
			changed, by = d.st.lastChange, d.st.lastChangeBy
		}
		if !d.st.savedAt.IsZero() {
			saved, savedBy = d.st.savedAt, d.st.savedBy
		}
	}
	return
}

// startupConfig returns the startup configuration.
func (d *Device) startupConfig() *config {
	d.mu.Lock()
	if d.st != nil && d.st.startup != nil {
		c := d.st.startup
		d.mu.Unlock()
		return c
	}
	d.mu.Unlock()
	return d.generate()
}

// setEnableSecret changes the enable secret (when "enable secret 0 X" is configured).
func (d *Device) setEnableSecret(secret string) {
	d.mu.Lock()
	d.stateLocked().enableSecret = secret
	d.mu.Unlock()
}

// ---- editing Cisco-style configurations ----

// depth is the indentation level of a configuration line for an indentation unit.
func depth(line string, unit int) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n / unit
}

// blockEnd returns the index after the last child line of the line at i.
func blockEnd(lines []string, i, unit int) int {
	d := depth(lines[i], unit)
	j := i + 1
	for j < len(lines) && lines[j] != "" && depth(lines[j], unit) > d {
		j++
	}
	return j
}

// findBlock finds the lines of the block that ctx names: it returns the index of the last
// header and the end of its children. ok is false when the block does not exist; the index
// then says where the missing level would go (the parent's end).
func findBlock(lines []string, ctx []string, unit int) (hdr, end int, ok bool) {
	lo, hi := 0, len(lines)
	hdr = -1
	for lvl, h := range ctx {
		found := -1
		for i := lo; i < hi; i++ {
			if depth(lines[i], unit) == lvl && strings.TrimSpace(lines[i]) == h && lines[i][:lvl*unit] == strings.Repeat(" ", lvl*unit) {
				found = i
				break
			}
		}
		if found < 0 {
			return hdr, hi, false
		}
		hdr = found
		lo, hi = found+1, blockEnd(lines, found, unit)
	}
	return hdr, hi, true
}

// lineKey is the part of a configuration line that identifies what it sets, so that a new
// value replaces the old one ("hostname X" replaces "hostname Y"; "description" replaces the
// description). Lines of commands that may be repeated ("ntp server A", "ntp server B") have no
// key ("") and are only ever added or removed whole.
func lineKey(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	take := func(n int) string {
		if len(f) < n {
			return ""
		}
		return strings.Join(f[:n], " ")
	}
	two := take(2)
	switch f[0] {
	case "hostname", "description", "mtu", "speed", "duplex", "encapsulation", "bandwidth",
		"channel-group", "exec-timeout", "transport", "remote-as", "password", "secret",
		"key-string", "router-id", "shutdown", "version", "key", "access-class", "login":
		if f[0] == "transport" || f[0] == "access-class" {
			return two
		}
		if f[0] == "shutdown" {
			return "shutdown"
		}
		return f[0]
	case "enable", "clock", "banner", "domain", "vrf", "switchport", "service-policy":
		if f[0] == "switchport" && len(f) > 2 && (f[1] == "access" || f[1] == "trunk") {
			return take(3)
		}
		return two
	case "ip", "ipv4", "ipv6":
		switch {
		case len(f) > 1 && f[1] == "address" && !strings.Contains(line, "secondary"):
			return two
		case two == "ip domain" || two == "ip domain-name":
			return two + " " + strings.Join(f[2:min(3, len(f))], " ")
		case two == "ip vrf", two == "ip ospf" && len(f) > 2 && f[2] != "message-digest-key":
			return take(3)
		}
	case "snmp-server":
		if len(f) > 1 && (f[1] == "location" || f[1] == "contact" || f[1] == "chassis-id") {
			return two
		}
	case "username":
		return two
	case "logging":
		if len(f) > 1 && (f[1] == "buffered" || f[1] == "console" || f[1] == "source-interface" || f[1] == "trap") {
			return two
		}
	case "ntp":
		if len(f) > 1 && (f[1] == "source" || f[1] == "source-interface" || f[1] == "master") {
			return two
		}
	case "neighbor":
		if len(f) > 2 {
			return take(3)
		}
	case "bgp":
		if two == "bgp router-id" {
			return two
		}
	case "address":
		return two
	}
	return ""
}

// defaultOn are commands enabled by default, which a configuration shows as "no X" when they
// are turned off.
var defaultOn = map[string]bool{
	"ip domain lookup": true, "ip domain-lookup": true, "ip http server": true, "ip http secure-server": true,
	"ip routing": true, "aaa new-model": true, "switchport": true, "mop enabled": true, "cdp run": true,
	"lldp run": true, "ip source-route": true, "shutdown": false,
}

// editLines applies one configuration line typed at ctx (a stack of block headers) to lines,
// the way IOS, NX-OS, IOS-XR and EOS do, and returns the new lines. sep is the separator
// between top-level blocks ("!" or "").
func editLines(lines []string, ctx []string, line string, unit int, sep string) []string {
	line = strings.TrimSpace(line)
	if line == "" {
		return lines
	}
	// make sure the block exists
	lines = ensureBlock(lines, ctx, unit, sep)
	hdr, end, _ := findBlock(lines, ctx, unit)
	lo := hdr + 1
	if len(ctx) == 0 {
		lo, end = 0, len(lines)
	}
	lvl := len(ctx)
	indent := strings.Repeat(" ", lvl*unit)
	atLevel := func(i int) bool {
		return depth(lines[i], unit) == lvl && strings.HasPrefix(lines[i], indent) && (len(lines[i]) == len(indent) || lines[i][len(indent)] != ' ')
	}
	remove := func(i int) {
		j := blockEnd(lines, i, unit)
		lines = append(lines[:i], lines[j:]...)
		end -= j - i
	}
	if neg, ok := strings.CutPrefix(line, "no "); ok {
		neg = strings.TrimSpace(neg)
		removed := false
		for i := lo; i < end; {
			t := strings.TrimSpace(lines[i])
			if atLevel(i) && (t == neg || strings.HasPrefix(t, neg+" ")) {
				remove(i)
				removed = true
				// a removed top-level block leaves a doubled separator behind: drop one
				if lvl == 0 && sep != "" && i < len(lines) && i > 0 && lines[i] == sep && lines[i-1] == sep {
					lines = append(lines[:i], lines[i+1:]...)
					end--
				}
				continue
			}
			i++
		}
		if removed && !defaultOn[neg] {
			return lines
		}
		for i := lo; i < end; i++ {
			if atLevel(i) && strings.TrimSpace(lines[i]) == line {
				return lines
			}
		}
		return insertLine(lines, lo, end, indent+line, unit)
	}
	// a positive line replaces its "no" form and any line with the same key
	key := lineKey(line)
	for i := lo; i < end; i++ {
		if !atLevel(i) {
			continue
		}
		t := strings.TrimSpace(lines[i])
		if t == line {
			return lines
		}
		if t == "no "+line || (key != "" && lineKey(t) == key) {
			if blockEnd(lines, i, unit) == i+1 {
				lines[i] = indent + line
				return lines
			}
		}
	}
	return insertLine(lines, lo, end, indent+line, unit)
}

// insertLine inserts line into lines[lo:end]: after the last line at the same level that starts
// with the same word, or at the end of the range.
func insertLine(lines []string, lo, end int, line string, unit int) []string {
	first := firstWord(line)
	lvl := depth(line, unit)
	if first == "description" && lvl > 0 {
		// IOS, NX-OS, IOS-XR and EOS show an interface's description first
		return insertAt(lines, lo, line)
	}
	pos := end
	for i := end - 1; i >= lo; i-- {
		if depth(lines[i], unit) == lvl && firstWord(lines[i]) == first {
			pos = blockEnd(lines, i, unit)
			break
		}
	}
	if pos == end && lvl == 0 {
		// top level with no sibling: before a trailing separator run
		for pos > lo && (lines[pos-1] == "!" || lines[pos-1] == "") {
			pos--
		}
	}
	lines = append(lines, "")
	copy(lines[pos+1:], lines[pos:])
	lines[pos] = line
	return lines
}

func firstWord(l string) string {
	f := strings.Fields(l)
	if len(f) == 0 {
		return ""
	}
	if f[0] == "no" && len(f) > 1 {
		return f[1]
	}
	return f[0]
}

// ensureBlock creates the blocks of ctx that do not exist yet.
func ensureBlock(lines []string, ctx []string, unit int, sep string) []string {
	for lvl := range ctx {
		hdr, end, ok := findBlock(lines, ctx[:lvl+1], unit)
		if ok {
			continue
		}
		_ = hdr
		line := strings.Repeat(" ", lvl*unit) + ctx[lvl]
		if lvl > 0 {
			pHdr, pEnd, _ := findBlock(lines, ctx[:lvl], unit)
			lines = insertLine(lines, pHdr+1, pEnd, line, unit)
			if strings.HasPrefix(ctx[lvl], "address-family") && unit == 1 {
				_, nEnd, _ := findBlock(lines, ctx[:lvl+1], unit)
				lines = insertAt(lines, nEnd, strings.Repeat(" ", lvl*unit)+"exit-address-family")
			}
			continue
		}
		// top level: after the last block that starts with the same word, with separators
		first := firstWord(ctx[0])
		pos := -1
		for i := len(lines) - 1; i >= 0; i-- {
			if depth(lines[i], unit) == 0 && firstWord(lines[i]) == first && lines[i] != "" {
				pos = blockEnd(lines, i, unit)
				break
			}
		}
		if pos < 0 {
			pos = end
			for pos > 0 && (lines[pos-1] == "!" || lines[pos-1] == "") {
				pos--
			}
		}
		if sep == "" && unit == 2 {
			// NX-OS separates blocks with an empty line
			lines = insertAt(lines, pos, "", line)
		} else if sep != "" {
			lines = insertAt(lines, pos, sep, line)
		} else {
			lines = insertAt(lines, pos, line)
		}
	}
	return lines
}

func insertAt(lines []string, pos int, add ...string) []string {
	lines = append(lines, add...)
	copy(lines[pos+len(add):], lines[pos:])
	copy(lines[pos:], add)
	return lines
}

// editConfig changes the running configuration with fn under the device's lock and records the
// change (time, user, counter) unless fn changed nothing. fn gets a private copy it may modify
// and returns the new configuration.
func (d *Device) editConfig(user string, fn func(c *config) *config) {
	d.mu.Lock()
	var orig *config
	if d.st != nil && d.st.cfg != nil {
		orig = d.st.cfg
	} else {
		orig = d.generate()
	}
	next := fn(orig.clone())
	if next.equal(orig) {
		d.mu.Unlock()
		return
	}
	st := d.stateLocked()
	st.cfg = next
	st.lastChange = time.Now().UTC()
	st.lastChangeBy = user
	d.mu.Unlock()
	d.stats.configChanges.Add(1)
}
