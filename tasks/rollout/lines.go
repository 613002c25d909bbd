package rollout

import (
	"strings"
)

// item is one intended line with its section lines.
type item struct {
	raw     string   // as given (with its indentation)
	parents []string // section lines above it, trimmed
	line    string   // trimmed
	missing bool     // not yet in the configuration
	context bool     // shown only because a line below it is missing
}

// tree is a configuration as a set of paths.
type tree struct {
	paths    map[string]bool
	children map[string][]string // parent path -> child lines, in order
}

const sep = "\x00"

func pathKey(parents []string, line string) string {
	return strings.Join(append(append([]string(nil), parents...), line), sep)
}

func skipLine(t string) bool {
	return t == "" || strings.HasPrefix(t, "!") || t == "end" || t == "exit" || strings.HasPrefix(t, "#")
}

// parseIndented reads indented configuration text into items (parents by indentation).
func parseIndented(lines []string) []item {
	type frame struct {
		indent int
		text   string
	}
	var stack []frame
	var out []item
	for _, raw := range lines {
		t := strings.TrimSpace(raw)
		if skipLine(t) {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		parents := make([]string, len(stack))
		for i, f := range stack {
			parents[i] = f.text
		}
		out = append(out, item{raw: strings.TrimRight(raw, " \t\r"), parents: parents, line: t})
		stack = append(stack, frame{indent, t})
	}
	return out
}

func newTree(items []item) *tree {
	tr := &tree{paths: map[string]bool{}, children: map[string][]string{}}
	for _, it := range items {
		tr.paths[pathKey(it.parents, it.line)] = true
		pk := strings.Join(it.parents, sep)
		tr.children[pk] = append(tr.children[pk], it.line)
	}
	return tr
}

// has reports whether the configuration has line under parents; "no X" is present when no
// line starting with X is there.
func (tr *tree) has(parents []string, line string) bool {
	if rest, ok := strings.CutPrefix(line, "no "); ok {
		for _, c := range tr.children[strings.Join(parents, sep)] {
			if c == rest || strings.HasPrefix(c, rest+" ") {
				return false
			}
		}
		return true
	}
	return tr.paths[pathKey(parents, line)]
}

// junosSet turns a Junos configuration in curly-brace form into its "set" lines.
func junosSet(text string) map[string]bool {
	set := map[string]bool{}
	var stack []string
	for _, raw := range strings.Split(text, "\n") {
		t := strings.TrimSpace(raw)
		if i := strings.Index(t, "; ##"); i >= 0 {
			t = t[:i+1]
		}
		t = strings.TrimPrefix(t, "inactive: ")
		switch {
		case t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "/*"):
		case strings.HasSuffix(t, "{"):
			stack = append(stack, strings.TrimSpace(strings.TrimSuffix(t, "{")))
		case t == "}":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case strings.HasSuffix(t, ";"):
			leaf := strings.TrimSuffix(t, ";")
			prefix := strings.Join(append([]string{"set"}, stack...), " ")
			if i := strings.Index(leaf, " [ "); i >= 0 && strings.HasSuffix(leaf, " ]") {
				for _, v := range strings.Fields(leaf[i+3 : len(leaf)-2]) {
					set[prefix+" "+leaf[:i]+" "+v] = true
				}
				continue
			}
			set[prefix+" "+leaf] = true
		}
	}
	return set
}

// classify marks the intended items missing or present in the configuration.
func classify(platform, config string, lines []string) []item {
	if platform == "juniper_junos" {
		set := junosSet(config)
		var out []item
		for _, raw := range lines {
			t := strings.Join(strings.Fields(raw), " ")
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			it := item{raw: t, line: t, missing: true}
			switch {
			case strings.HasPrefix(t, "set "):
				it.missing = !set[t]
			case strings.HasPrefix(t, "delete "):
				p := "set " + strings.TrimPrefix(t, "delete ")
				it.missing = false
				for l := range set {
					if l == p || strings.HasPrefix(l, p+" ") {
						it.missing = true
						break
					}
				}
			}
			out = append(out, it)
		}
		return out
	}
	tr := newTree(parseIndented(strings.Split(config, "\n")))
	items := parseIndented(lines)
	for i := range items {
		items[i].missing = !tr.has(items[i].parents, items[i].line)
	}
	// A section line with a missing line below it is shown as context.
	for i := range items {
		if items[i].missing {
			continue
		}
		key := pathKey(items[i].parents, items[i].line)
		for j := i + 1; j < len(items); j++ {
			if len(items[j].parents) <= len(items[i].parents) {
				break
			}
			if items[j].missing && strings.HasPrefix(pathKey(items[j].parents, items[j].line), key+sep) {
				items[i].context = true
				break
			}
		}
	}
	return items
}

// Pending returns the lines of lines that the configuration config (cleaned, as a backup
// stores it) does not have yet, each with the section lines above it. An empty result means
// the host is already in the intended state. See the package documentation for what
// "present" means per platform.
func Pending(platform, config string, lines []string) []string {
	var out []string
	for _, it := range classify(platform, config, lines) {
		if it.missing || it.context {
			out = append(out, it.raw)
		}
	}
	return out
}

// diffOf shows the pending lines as additions ("+ ") under their context lines ("  "), each
// line passed through show (secret redaction).
func diffOf(platform, config string, lines []string, show func(string) string) string {
	var b strings.Builder
	for _, it := range classify(platform, config, lines) {
		switch {
		case it.missing:
			b.WriteString("+ " + show(it.raw) + "\n")
		case it.context:
			b.WriteString("  " + show(it.raw) + "\n")
		}
	}
	return b.String()
}

// twoWordKeys are the first words whose lines are identified by their first two words.
var twoWordKeys = map[string]bool{"ip": true, "ipv6": true, "snmp-server": true, "ntp": true, "logging": true,
	"spanning-tree": true, "switchport": true, "aaa": true, "router": true, "vrf": true}

func keyOf(line string) string {
	f := strings.Fields(line)
	switch {
	case len(f) == 0:
		return ""
	case len(f) > 1 && twoWordKeys[f[0]]:
		return f[0] + " " + f[1]
	}
	return f[0]
}

// inverse returns the lines that undo the missing lines of lines on a configuration like
// checkpoint: a new section is removed whole ("no interface Loopback9"), a line that replaced
// another gets the old one back, a new line is negated, a negated line gets the lines it
// removed back. It is the weak rollback of IOS-XE without an archive.
func inverse(checkpoint string, lines []string) []string {
	tr := newTree(parseIndented(strings.Split(checkpoint, "\n")))
	items := classify("", checkpoint, lines)
	var out []string
	removed := map[string]bool{} // sections removed whole
	emitted := map[string]bool{}
	emit := func(parents []string, line string) {
		for i := range parents {
			k := pathKey(parents[:i], parents[i])
			if !emitted[k] {
				out = append(out, strings.Repeat(" ", i)+parents[i])
				emitted[k] = true
			}
		}
		out = append(out, strings.Repeat(" ", len(parents))+line)
	}
	for _, it := range items {
		if !it.missing {
			continue
		}
		under := false
		for i := range it.parents {
			if removed[pathKey(it.parents[:i], it.parents[i])] {
				under = true
			}
		}
		if under {
			continue
		}
		if len(it.parents) == 0 && hasChildren(items, it) {
			removed[pathKey(nil, it.line)] = true
			emit(nil, "no "+it.line)
			continue
		}
		pk := strings.Join(it.parents, sep)
		if rest, ok := strings.CutPrefix(it.line, "no "); ok {
			for _, c := range tr.children[pk] {
				if c == rest || strings.HasPrefix(c, rest+" ") {
					emit(it.parents, c)
				}
			}
			continue
		}
		old := ""
		for _, c := range tr.children[pk] {
			if keyOf(c) == keyOf(it.line) {
				old = c
			}
		}
		if old != "" {
			emit(it.parents, old)
		} else {
			emit(it.parents, "no "+it.line)
		}
	}
	return out
}

func hasChildren(items []item, it item) bool {
	key := pathKey(it.parents, it.line)
	for _, o := range items {
		if len(o.parents) > len(it.parents) && strings.HasPrefix(pathKey(o.parents, o.line), key+sep) {
			return true
		}
	}
	return false
}
