package redact

import (
	"fmt"
	"regexp"
	"strings"
)

// Rule finds secrets in configuration lines.
type Rule struct {
	// Name describes the rule (for documentation and error messages), e.g. "snmp community".
	Name string
	// Keyword is a literal a line must contain for the rule to be tried (a fast filter);
	// empty means every line.
	Keyword string
	// Pattern is a regular expression with one or more groups named "secret" whose text is
	// replaced, and optionally a group named "type" (e.g. the 7 of "password 7 ...") passed to
	// Hashed. Every match in a line is redacted.
	Pattern string
	// Section, when set, is a regular expression the line's top-level section header (the last
	// line starting without blank, see Section) must match, e.g. `^tacacs server ` for its
	// indented "key" lines.
	Section string
	// Skip, when set, is a regular expression: lines matching it are left alone.
	Skip string
	// Hashed reports whether a matched secret is a one-way hash, kept at level Reversible.
	// nil means the secret is always reversible (removed at All and Reversible).
	Hashed func(typ, value string) bool

	re, section, skip *regexp.Regexp
	secretGroups      []int
	typeGroup         int
}

func (r Rule) compile() (Rule, error) {
	var err error
	if r.re, err = regexp.Compile(r.Pattern); err != nil {
		return r, fmt.Errorf("secret rule %q: pattern: %w", r.Name, err)
	}
	r.secretGroups, r.typeGroup = nil, -1
	for i, n := range r.re.SubexpNames() {
		switch n {
		case "secret":
			r.secretGroups = append(r.secretGroups, i)
		case "type":
			r.typeGroup = i
		}
	}
	if len(r.secretGroups) == 0 {
		return r, fmt.Errorf("secret rule %q: pattern %q has no group named \"secret\"", r.Name, r.Pattern)
	}
	if r.Section != "" {
		if r.section, err = regexp.Compile(r.Section); err != nil {
			return r, fmt.Errorf("secret rule %q: section: %w", r.Name, err)
		}
	}
	if r.Skip != "" {
		if r.skip, err = regexp.Compile(r.Skip); err != nil {
			return r, fmt.Errorf("secret rule %q: skip: %w", r.Name, err)
		}
	}
	return r, nil
}

// apply redacts the rule's secrets in line with mask. A value that is already a mask (or a
// quoted mask) is left alone, so applying a rule twice changes nothing.
func (r *Rule) apply(line string, level Level, mask string) string {
	ms := r.re.FindAllStringSubmatchIndex(line, -1)
	if ms == nil {
		return line
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		typ := ""
		if r.typeGroup >= 0 && m[2*r.typeGroup] >= 0 {
			typ = line[m[2*r.typeGroup]:m[2*r.typeGroup+1]]
		}
		for _, g := range r.secretGroups {
			s, e := m[2*g], m[2*g+1]
			if s < 0 || s < last {
				continue
			}
			val := line[s:e]
			bare := strings.Trim(val, `"`)
			if bare == mask || bare == "" {
				continue
			}
			if level != All && r.Hashed != nil && r.Hashed(typ, bare) {
				continue
			}
			if b.Cap() == 0 {
				b.Grow(len(line) + len(mask))
			}
			b.WriteString(line[last:s])
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				b.WriteString(`"` + mask + `"`)
			} else {
				b.WriteString(mask)
			}
			last = e
		}
	}
	if last == 0 {
		return line
	}
	b.WriteString(line[last:])
	return b.String()
}

// CiscoHashed reports whether a Cisco-style secret is a one-way hash: types 4, 5, 8, 9 and 10,
// sha256/sha512 (EOS), or a value in crypt format ($1$, $5$, $6$, $8$, $9$, $14$). Types 0, 3,
// 6 and 7 and "encrypted" are reversible.
func CiscoHashed(typ, value string) bool {
	switch typ {
	case "4", "5", "8", "9", "10", "sha256", "sha512":
		return true
	case "":
		for _, p := range []string{"$1$", "$5$", "$6$", "$8$", "$9$", "$14$"} {
			if strings.HasPrefix(value, p) {
				return true
			}
		}
	}
	return false
}

// JunosHashed reports whether a Junos secret is a one-way hash ($1$, $5$, $6$, $sha1$, ...):
// anything in crypt format except $9$, which Junos encodes reversibly.
func JunosHashed(_, value string) bool {
	return strings.HasPrefix(value, "$") && !strings.HasPrefix(value, "$9$")
}

// Ruleset is a compiled list of rules, safe for concurrent use.
type Ruleset struct {
	rules    []Rule
	keywords *keywordSet // the rules' keywords
	bits     []uint64    // per rule: its keyword's bit, 0 when it runs on every line or has to use strings.Contains
}

// Compile checks the rules' patterns and returns them compiled. The error names the rule.
func Compile(rules ...Rule) (*Ruleset, error) {
	rs := &Ruleset{}
	for _, r := range rules {
		cr, err := r.compile()
		if err != nil {
			return nil, err
		}
		rs.rules = append(rs.rules, cr)
	}
	bit := map[string]uint64{}
	var words []string
	for _, r := range rs.rules {
		var b uint64
		if r.Keyword != "" {
			if b = bit[r.Keyword]; b == 0 && len(words) < 64 {
				b = 1 << uint(len(words))
				bit[r.Keyword] = b
				words = append(words, r.Keyword)
			}
		}
		rs.bits = append(rs.bits, b)
	}
	rs.keywords = newKeywordSet(words, false)
	return rs, nil
}

// MustCompile is Compile that panics on an invalid rule (for package-level rule sets).
func MustCompile(rules ...Rule) *Ruleset {
	rs, err := Compile(rules...)
	if err != nil {
		panic(err)
	}
	return rs
}

// Len returns the number of rules.
func (rs *Ruleset) Len() int {
	if rs == nil {
		return 0
	}
	return len(rs.rules)
}

// Section returns the section header in force after line, given the one in force before it:
// a line starting without blank (and not a "!" or "#" comment) opens a new section.
func Section(line, prev string) string {
	if line != "" && line[0] != ' ' && line[0] != '\t' && line[0] != '!' && line[0] != '#' {
		return line
	}
	return prev
}

// Line redacts one line (without its newline) whose section header is section, replacing
// each secret the rules find at level with mask. A nil Ruleset or level Off changes nothing.
func (rs *Ruleset) Line(line, section string, level Level, mask string) string {
	if rs == nil || level == Off || len(rs.rules) == 0 {
		return line
	}
	found := rs.keywords.match(line)
	for i := range rs.rules {
		r := &rs.rules[i]
		if bit := rs.bits[i]; bit != 0 && found&bit == 0 || bit == 0 && r.Keyword != "" && !strings.Contains(line, r.Keyword) {
			continue
		}
		if r.section != nil && !r.section.MatchString(section) {
			continue
		}
		if r.skip != nil && r.skip.MatchString(line) {
			continue
		}
		line = r.apply(line, level, mask)
	}
	return line
}

// Text redacts a configuration (or any text) line by line: the rules' secrets at level, then
// each literal secret wherever it appears as a whole token (bounded by blanks, quotes or
// punctuation, see ReplaceTokens) at every level, all replaced by mask. The same input always
// gives the same output.
func (rs *Ruleset) Text(text string, level Level, mask string, literals ...string) string {
	var lits []string
	for _, l := range literals {
		if strings.TrimSpace(l) != "" && l != mask {
			lits = append(lits, l)
		}
	}
	if (level == Off || rs.Len() == 0) && len(lits) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + len(text)/64)
	section := ""
	rest := text
	for len(rest) > 0 {
		var line string
		nl := strings.IndexByte(rest, '\n')
		if nl < 0 {
			line, rest = rest, ""
		} else {
			line, rest = rest[:nl], rest[nl+1:]
		}
		section = Section(line, section)
		line = rs.Line(line, section, level, mask)
		if len(lits) > 0 {
			line = ReplaceTokens(line, mask, lits...)
		}
		b.WriteString(line)
		if nl >= 0 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// ReplaceTokens replaces each literal where it appears as a whole token, bounded by the start
// or end of s, blanks, quotes or punctuation (; , = : ( ) [ ] { }), by mask. A configuration
// keeps its keywords that way: a password "enable" does not turn "enable secret" into
// "<removed> secret". Empty literals are ignored.
func ReplaceTokens(s, mask string, literals ...string) string {
	for _, lit := range literals {
		if lit == "" || !strings.Contains(s, lit) {
			continue
		}
		var b strings.Builder
		rest := s
		changed := false
		for {
			i := strings.Index(rest, lit)
			if i < 0 {
				break
			}
			end := i + len(lit)
			if (i == 0 || isBoundary(rest[i-1])) && (end == len(rest) || isBoundary(rest[end])) {
				b.WriteString(rest[:i])
				b.WriteString(mask)
				changed = true
			} else {
				b.WriteString(rest[:end])
			}
			rest = rest[end:]
		}
		if changed {
			b.WriteString(rest)
			s = b.String()
		}
	}
	return s
}

func isBoundary(c byte) bool {
	switch c {
	case ' ', '\t', '"', '\'', ';', ',', '=', ':', '(', ')', '[', ']', '{', '}':
		return true
	}
	return false
}
