package compliance

import (
	"slices"
	"strings"

	"github.com/gonorn/norn/platform"
)

// Config is a configuration read for checking: its lines (trimmed, spaces collapsed; on Junos
// set-style paths without "set ") and its sections.
type Config struct {
	// Platform is the canonical platform the configuration was read as.
	Platform string
	junos    bool
	lines    []string // in order
	sorted   []string // lines, sorted, for lookups
	sections []section
}

// section is a top-level line and the indented lines after it (Cisco-style).
type section struct {
	header     string
	start, end int // lines[start:end] is the block, header excluded
}

// ParseConfig reads a configuration of platform (any name package platform knows). Junos
// configurations may be in braces (show configuration) or set commands (display set).
func ParseConfig(plat, text string) *Config {
	c := &Config{Platform: platform.Normalize(plat)}
	text = strings.ReplaceAll(text, "\r", "")
	if c.Platform == platform.JuniperJunos {
		c.junos = true
		c.lines = junosPaths(text)
	} else {
		c.parseIndented(text)
	}
	c.sorted = slices.Clone(c.lines)
	slices.Sort(c.sorted)
	return c
}

// parseIndented reads Cisco-style configurations: a line without indentation opens a section
// that holds the indented lines after it; "!" lines are comments.
func (c *Config) parseIndented(text string) {
	n := strings.Count(text, "\n") + 1
	c.lines = make([]string, 0, n)
	c.sections = make([]section, 0, n/8)
	cur := -1
	for raw := range strings.SplitSeq(text, "\n") {
		l := normLine(raw)
		if l == "" || l[0] == '!' {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		c.lines = append(c.lines, l)
		if !indented {
			if cur >= 0 {
				c.sections[cur].end = len(c.lines) - 1
			}
			c.sections = append(c.sections, section{header: l, start: len(c.lines), end: len(c.lines)})
			cur = len(c.sections) - 1
		}
	}
	if cur >= 0 {
		c.sections[cur].end = len(c.lines)
	}
}

// junosPaths turns a Junos configuration into set-style paths, one per statement, without
// "set ". Inactive statements and their children are left out (they do not apply).
func junosPaths(text string) []string {
	out := make([]string, 0, strings.Count(text, "\n")+1)
	var stack []string
	inactiveDepth := -1 // depth of the inactive block being skipped; -1: none
	inComment := false
	for raw := range strings.SplitSeq(text, "\n") {
		l := strings.TrimSpace(raw)
		if inComment {
			if strings.Contains(l, "*/") {
				inComment = false
			}
			continue
		}
		if strings.HasPrefix(l, "/*") {
			inComment = !strings.Contains(l, "*/")
			continue
		}
		if l == "" || l[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "set "); ok { // display set form
			out = append(out, normLine(stripComment(rest)))
			continue
		}
		if strings.HasPrefix(l, "deactivate ") || strings.HasPrefix(l, "delete ") {
			continue
		}
		l = strings.TrimSpace(stripComment(l))
		inactive := false
		for _, p := range []string{"inactive: ", "protect: ", "replace: "} {
			if rest, ok := strings.CutPrefix(l, p); ok {
				inactive = inactive || p == "inactive: "
				l = rest
			}
		}
		switch {
		case l == "}":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if inactiveDepth > len(stack) {
				inactiveDepth = -1
			}
		case strings.HasSuffix(l, "{"):
			stack = append(stack, normLine(strings.TrimSuffix(l, "{")))
			if inactive && inactiveDepth < 0 {
				inactiveDepth = len(stack)
			}
			if inactiveDepth < 0 {
				out = append(out, strings.Join(stack, " "))
			}
		case strings.HasSuffix(l, ";"):
			if inactive || inactiveDepth >= 0 {
				continue
			}
			stmt := normLine(strings.TrimSuffix(l, ";"))
			if len(stack) > 0 {
				stmt = strings.Join(stack, " ") + " " + stmt
			}
			out = append(out, stmt)
		}
	}
	return out
}

// stripComment removes a trailing "## ..." comment outside quotes ("## SECRET-DATA").
func stripComment(l string) string {
	quoted := false
	for i := 0; i < len(l); i++ {
		switch {
		case l[i] == '"' && (i == 0 || l[i-1] != '\\'):
			quoted = !quoted
		case !quoted && l[i] == '#' && i+1 < len(l) && l[i+1] == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return strings.TrimRight(l[:i], " \t")
		}
	}
	return l
}

// Lines returns the configuration's lines (Junos: set-style paths without "set ").
func (c *Config) Lines() []string { return slices.Clone(c.lines) }

// has reports whether lines (sorted) hold want: equal, or on Junos a path below it.
func (c *Config) has(sorted []string, want string) bool {
	i, found := slices.BinarySearch(sorted, want)
	if found {
		return true
	}
	return c.junos && i < len(sorted) && strings.HasPrefix(sorted[i], want+" ")
}

// hasIn is has on an unsorted, usually short, list of lines.
func (c *Config) hasIn(lines []string, want string) bool {
	for _, l := range lines {
		if l == want || c.junos && strings.HasPrefix(l, want+" ") {
			return true
		}
	}
	return false
}

// scope is a part of a configuration a rule looks at.
type scope struct {
	name   string   // the section's header, "" for the whole configuration
	lines  []string // its lines
	sorted bool     // lines are sorted
}

// scopes returns the parts of the configuration rule r looks at, and false when r has a
// section and none matches.
func (c *Config) scopes(r *Rule) ([]scope, bool) {
	if r.Section == nil {
		return []scope{{lines: c.sorted, sorted: true}}, true
	}
	var out []scope
	if c.junos {
		idx := map[string]int{}
		for _, p := range c.lines {
			loc := r.Section.FindStringIndex(p)
			// A path matches at its start and ends at a word: "system services ssh" is not
			// "system services ssh-x".
			if loc == nil || loc[0] != 0 || loc[1] < len(p) && p[loc[1]] != ' ' {
				continue
			}
			key := p[:loc[1]]
			i, ok := idx[key]
			if !ok {
				i = len(out)
				idx[key] = i
				out = append(out, scope{name: key})
			}
			if rest := strings.TrimSpace(p[loc[1]:]); rest != "" {
				out[i].lines = append(out[i].lines, rest)
			}
		}
		return out, len(out) > 0
	}
	for _, s := range c.sections {
		if r.Section.MatchString(s.header) {
			out = append(out, scope{name: s.header, lines: c.lines[s.start:s.end]})
		}
	}
	return out, len(out) > 0
}
