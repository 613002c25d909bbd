package compliance

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gonorn/norn/platform"
)

// Severity ranks a rule's failures.
type Severity int

// The severities, lowest first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

// String returns the severity's name ("info", "low", "medium", "high", "critical").
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText returns the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads a severity name (case-insensitive).
func ParseSeverity(name string) (Severity, error) {
	i := slices.Index(severityNames, strings.ToLower(strings.TrimSpace(name)))
	if i < 0 {
		return 0, fmt.Errorf("unknown severity %q (want one of %s)", name, strings.Join(severityNames, ", "))
	}
	return Severity(i), nil
}

// Rule is one compliance rule.
type Rule struct {
	// ID names the rule in reports and alerts; unique in a rule set.
	ID string
	// Description says what the rule is for.
	Description string
	// Severity ranks failures. Default Medium.
	Severity Severity
	// Platforms are the canonical platforms the rule applies to (aliases such as ios or junos
	// are accepted in the file). Empty: every platform.
	Platforms []string
	// Groups are inventory groups; the rule applies to hosts in any of them. Empty: every host.
	Groups []string
	// Section, when set, restricts the checks to each section whose header (Cisco-style: a
	// top-level line; Junos: a set-style path) matches this regular expression at its start.
	// Every matching section must pass.
	Section *regexp.Regexp
	// IfPresent makes the rule pass (as skipped) when no section matches; by default a rule
	// with MustContain or MustMatch fails then.
	IfPresent bool
	// MustContain are lines that must be present (compared trimmed; on Junos, a path is present
	// when a statement at or below it is).
	MustContain []string
	// MustNotContain are lines that must be absent (same comparison).
	MustNotContain []string
	// MustMatch are regular expressions that some line must match.
	MustMatch []*regexp.Regexp
	// MustNotMatch are regular expressions that no line may match.
	MustNotMatch []*regexp.Regexp

	// Pos is where the rule is defined: "file:line:col".
	Pos string

	// The literal text every line matching MustMatch[i] / MustNotMatch[i] starts with ("" when
	// unknown), to look lines up in sorted order instead of running the expression on each.
	matchPrefix, notMatchPrefix []string
}

// RuleSet is a list of rules, read from a file.
type RuleSet struct {
	// Rules in file order.
	Rules []*Rule
	// File is the file the rules came from.
	File string
}

// ErrRules is wrapped by the errors of rule files that cannot be used.
var ErrRules = errors.New("compliance: bad rules")

// Load reads a rule file.
func Load(path string) (*RuleSet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRules, err)
	}
	return Parse(path, b)
}

// ruleKeys are the keys a rule may have.
var ruleKeys = []string{"id", "description", "severity", "platforms", "groups", "section", "if_present",
	"must_contain", "must_not_contain", "must_match", "must_not_match"}

// Parse reads rules from data; name (the file's path) prefixes errors as "name:line:col: ...".
//
// The format:
//
//	rules:
//	  - id: vty-ssh-only
//	    description: VTY lines accept SSH only
//	    severity: high                  # info, low, medium (default), high, critical
//	    platforms: [cisco_iosxe, cisco_nxos, arista_eos]
//	    groups: [core]                  # optional: inventory groups
//	    section: '^line vty'            # optional: regular expression on section headers
//	    must_contain: [transport input ssh]
//	    must_not_contain: [transport input telnet]
//	    must_match: ['^exec-timeout [1-9]']
//	    must_not_match: ['^transport input .*telnet']
func Parse(name string, data []byte) (*RuleSet, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRules, name, yamlErr(err))
	}
	rs := &RuleSet{File: name}
	at := func(n *yaml.Node) string { return fmt.Sprintf("%s:%d:%d", name, n.Line, n.Column) }
	fail := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrRules, at(n), fmt.Sprintf(format, args...))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%w: %s: empty file (want a \"rules:\" list)", ErrRules, name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fail(root, "want a mapping with a \"rules\" list")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "rules" {
			return nil, fail(k, "unknown key %q (want \"rules\")", k.Value)
		}
		list = v
	}
	if list == nil {
		return nil, fail(root, "no \"rules\" list")
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fail(list, "\"rules\" must be a list")
	}
	ids := map[string]string{}
	for _, rn := range list.Content {
		if rn.Kind != yaml.MappingNode {
			return nil, fail(rn, "a rule must be a mapping (id, must_contain, ...)")
		}
		r := &Rule{Severity: Medium, Pos: at(rn)}
		for i := 0; i+1 < len(rn.Content); i += 2 {
			k, v := rn.Content[i], rn.Content[i+1]
			var err error
			switch k.Value {
			case "id":
				r.ID, err = scalar(v)
			case "description":
				r.Description, err = scalar(v)
			case "severity":
				var s string
				if s, err = scalar(v); err == nil {
					r.Severity, err = ParseSeverity(s)
				}
			case "platforms":
				var ps []string
				if ps, err = strList(v); err == nil {
					for _, p := range ps {
						c, ok := platform.Canonical(p)
						if !ok {
							return nil, fail(v, "unknown platform %q (want one of %s, or an alias)", p, strings.Join(platform.Names(), ", "))
						}
						r.Platforms = append(r.Platforms, c)
					}
				}
			case "groups":
				r.Groups, err = strList(v)
			case "section":
				var s string
				if s, err = scalar(v); err == nil {
					r.Section, err = compileAnchored(s)
				}
			case "if_present":
				err = v.Decode(&r.IfPresent)
			case "must_contain":
				r.MustContain, err = lineList(v)
			case "must_not_contain":
				r.MustNotContain, err = lineList(v)
			case "must_match", "must_not_match":
				var ss []string
				if ss, err = strList(v); err == nil {
					for j, s := range ss {
						re, cerr := regexp.Compile(s)
						if cerr != nil {
							n := v
							if v.Kind == yaml.SequenceNode {
								n = v.Content[j]
							}
							return nil, fail(n, "%s: %v", k.Value, cerr)
						}
						if k.Value == "must_match" {
							r.MustMatch = append(r.MustMatch, re)
							r.matchPrefix = append(r.matchPrefix, anchoredPrefix(s))
						} else {
							r.MustNotMatch = append(r.MustNotMatch, re)
							r.notMatchPrefix = append(r.notMatchPrefix, anchoredPrefix(s))
						}
					}
				}
			default:
				return nil, fail(k, "unknown rule key %q (want one of %s)", k.Value, strings.Join(ruleKeys, ", "))
			}
			if err != nil {
				return nil, fail(v, "%s: %v", k.Value, err)
			}
		}
		switch {
		case r.ID == "":
			return nil, fail(rn, "rule without an id")
		case strings.ContainsAny(r.ID, " \t\n/"):
			return nil, fail(rn, "rule id %q: no spaces or slashes", r.ID)
		case len(r.MustContain)+len(r.MustNotContain)+len(r.MustMatch)+len(r.MustNotMatch) == 0:
			return nil, fail(rn, "rule %q checks nothing (want must_contain, must_not_contain, must_match or must_not_match)", r.ID)
		}
		if prev, dup := ids[r.ID]; dup {
			return nil, fail(rn, "rule id %q already defined at %s", r.ID, prev)
		}
		ids[r.ID] = r.Pos
		rs.Rules = append(rs.Rules, r)
	}
	return rs, nil
}

// anchoredPrefix returns the literal text at the start of every line expr matches when expr
// is anchored at the start ("^ntp server " -> "ntp server "), else "".
func anchoredPrefix(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return ""
	}
	if op := re.Sub[0].Op; op != syntax.OpBeginText && op != syntax.OpBeginLine {
		return ""
	}
	lit := re.Sub[1]
	if lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 {
		return ""
	}
	return string(lit.Rune)
}

// compileAnchored compiles a section expression, anchored at the start of the header.
func compileAnchored(s string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + strings.TrimPrefix(s, "^") + `)`)
}

func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errors.New("want a single value")
	}
	return n.Value, nil
}

// strList reads a list of strings, or one string as a list of one.
func strList(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("want a list of strings")
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: want a string", c.Line)
		}
		out = append(out, c.Value)
	}
	return out, nil
}

// lineList reads configuration lines: trimmed, spaces collapsed.
func lineList(n *yaml.Node) ([]string, error) {
	ls, err := strList(n)
	for i, l := range ls {
		ls[i] = normLine(l)
		if ls[i] == "" {
			return nil, errors.New("empty line")
		}
	}
	return ls, err
}

// normLine trims a line and collapses its spaces (without allocating when the inside of the
// line is regular, which is most lines).
func normLine(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' && s[i+1] == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' {
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}

// yamlErr shortens yaml.v3's messages ("yaml: line 3: ...").
func yamlErr(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// Applies reports whether the rule applies to a host of platform (canonical name) in groups,
// and why not.
func (r *Rule) Applies(plat string, inGroup func(string) bool) (bool, string) {
	if len(r.Platforms) > 0 && !slices.Contains(r.Platforms, plat) {
		if plat == "" {
			return false, "platform unknown"
		}
		return false, "not for " + plat
	}
	if len(r.Groups) > 0 {
		if inGroup == nil {
			return false, "groups unknown (no inventory)"
		}
		if !slices.ContainsFunc(r.Groups, inGroup) {
			return false, "not in groups " + strings.Join(r.Groups, ",")
		}
	}
	return true, ""
}
