package backup

import (
	"fmt"
	"regexp"
	"strings"
)

// RedactLevel says which secrets are removed from a stored configuration, like RANCID's
// FILTER_PWDS. The zero value is RedactAll.
type RedactLevel int

const (
	// RedactAll removes every secret: cleartext and reversibly encoded ones (Cisco type 0/7,
	// Junos $9$, SNMP communities, keys) and one-way hashes too (Cisco type 5/8/9, $1$/$5$/$6$
	// crypt hashes, Junos encrypted-password). It is the default: a hash in a backup can still
	// be cracked offline.
	RedactAll RedactLevel = iota
	// RedactReversible removes cleartext and reversibly encoded secrets but keeps one-way
	// hashes, so that a changed password hash shows in the diff (RANCID's FILTER_PWDS=YES).
	RedactReversible
	// RedactOff removes nothing but the host's own password and enable secret, which are
	// always removed where they appear literally.
	RedactOff
)

// String returns "all", "reversible" or "off".
func (l RedactLevel) String() string {
	switch l {
	case RedactAll:
		return "all"
	case RedactReversible:
		return "reversible"
	case RedactOff:
		return "off"
	}
	return fmt.Sprintf("RedactLevel(%d)", int(l))
}

// ParseRedactLevel parses "all", "reversible" or "off" (case-insensitive), as a -redact flag
// would take them.
func ParseRedactLevel(s string) (RedactLevel, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "all", "":
		return RedactAll, nil
	case "reversible", "reversible-only", "yes":
		return RedactReversible, nil
	case "off", "none", "no":
		return RedactOff, nil
	}
	return RedactAll, fmt.Errorf("backup: unknown redaction level %q (want all, reversible or off)", s)
}

// MarshalText encodes the level as its String form.
func (l RedactLevel) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText decodes a level written by MarshalText or accepted by ParseRedactLevel.
func (l *RedactLevel) UnmarshalText(b []byte) error {
	v, err := ParseRedactLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Placeholder replaces every redacted secret. It is constant so that the same configuration
// always redacts to the same text and diffs stay quiet. A quoted secret keeps its quotes.
const Placeholder = "<removed>"

// SecretRule finds secrets in configuration lines.
type SecretRule struct {
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
	// line starting without blank) must match, e.g. `^tacacs server ` for its indented "key"
	// lines.
	Section string
	// Skip, when set, is a regular expression: lines matching it are left alone.
	Skip string
	// Hashed reports whether a matched secret is a one-way hash, kept at RedactReversible.
	// nil means the secret is always reversible (removed at RedactAll and RedactReversible).
	Hashed func(typ, value string) bool

	re, section, skip *regexp.Regexp
	secretGroups      []int
	typeGroup         int
}

func (r SecretRule) compile() (SecretRule, error) {
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

// apply redacts the rule's secrets in line.
func (r *SecretRule) apply(line string, level RedactLevel) string {
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
			if bare == Placeholder || bare == "" {
				continue
			}
			if level != RedactAll && r.Hashed != nil && r.Hashed(typ, bare) {
				continue
			}
			if b.Cap() == 0 {
				b.Grow(len(line) + len(Placeholder))
			}
			b.WriteString(line[last:s])
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				b.WriteString(`"` + Placeholder + `"`)
			} else {
				b.WriteString(Placeholder)
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

// redactLiterals replaces the literal secrets where they appear as a whole token (bounded by
// blanks, quotes or punctuation), so that a host's own password never reaches a stored copy
// even in a command no rule knows.
func redactLiterals(line string, literals []string) string {
	for _, lit := range literals {
		if lit == "" || !strings.Contains(line, lit) {
			continue
		}
		var b strings.Builder
		rest := line
		changed := false
		for {
			i := strings.Index(rest, lit)
			if i < 0 {
				break
			}
			end := i + len(lit)
			if (i == 0 || isBoundary(rest[i-1])) && (end == len(rest) || isBoundary(rest[end])) {
				b.WriteString(rest[:i])
				b.WriteString(Placeholder)
				changed = true
			} else {
				b.WriteString(rest[:end])
			}
			rest = rest[end:]
		}
		if changed {
			b.WriteString(rest)
			line = b.String()
		}
	}
	return line
}

func isBoundary(c byte) bool {
	switch c {
	case ' ', '\t', '"', '\'', ';', ',', '=', ':', '(', ')', '[', ']', '{', '}':
		return true
	}
	return false
}
