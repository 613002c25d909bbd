package compliance

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gonorn/norn/platform"
)

// Status is a rule's outcome on a host.
type Status string

// The outcomes.
const (
	// Pass: the rule applies and holds.
	Pass Status = "pass"
	// Fail: the rule applies and does not hold.
	Fail Status = "fail"
	// Skip: the rule does not apply (platform, groups, or an absent optional section).
	Skip Status = "skip"
)

// Result is one rule's outcome on one host.
type Result struct {
	// Host is the host's name.
	Host string `json:"host"`
	// Platform is the platform the configuration was read as ("" when unknown).
	Platform string `json:"platform,omitempty"`
	// Rule is the rule's ID.
	Rule string `json:"rule"`
	// Description is the rule's description.
	Description string `json:"description,omitempty"`
	// Severity is the rule's severity.
	Severity Severity `json:"severity"`
	// Status is the outcome.
	Status Status `json:"status"`
	// Reason says why a rule was skipped.
	Reason string `json:"reason,omitempty"`
	// NotApplicable marks a rule skipped because of the host's platform or groups (rather than
	// an absent optional section); reports other than JSON leave these out.
	NotApplicable bool `json:"not_applicable,omitempty"`
	// Findings say what is wrong, one per violation: `line vty 0 4: missing "transport input
	// ssh"`.
	Findings []string `json:"findings,omitempty"`
}

// Target is the host a configuration belongs to.
type Target struct {
	// Host is the host's name.
	Host string
	// Platform is its platform (any name package platform knows; "" when unknown: rules
	// restricted to platforms are then skipped).
	Platform string
	// InGroup reports whether the host is in an inventory group; nil when groups are unknown
	// (rules restricted to groups are then skipped).
	InGroup func(group string) bool
}

// Check evaluates every rule of the set on a configuration and returns one result per rule, in
// the set's order.
func (rs *RuleSet) Check(t Target, config string) []Result {
	return rs.CheckConfig(t, ParseConfig(t.Platform, config))
}

// CheckConfig is Check on a configuration already parsed (for the same platform as t's).
func (rs *RuleSet) CheckConfig(t Target, c *Config) []Result {
	plat := ""
	if t.Platform != "" {
		plat = platform.Normalize(t.Platform)
	}
	out := make([]Result, 0, len(rs.Rules))
	for _, r := range rs.Rules {
		res := Result{Host: t.Host, Platform: plat, Rule: r.ID, Description: r.Description, Severity: r.Severity}
		if ok, why := r.Applies(plat, t.InGroup); !ok {
			res.Status, res.Reason, res.NotApplicable = Skip, why, true
			out = append(out, res)
			continue
		}
		res.Findings = r.evaluate(c)
		switch {
		case res.Findings == nil:
			res.Status = Pass
		case len(res.Findings) == 1 && res.Findings[0] == skipNoSection:
			res.Status, res.Reason, res.Findings = Skip, "no section matching "+r.Section.String(), nil
		default:
			res.Status = Fail
		}
		out = append(out, res)
	}
	return out
}

const skipNoSection = "\x00skip"

// evaluate returns the rule's findings on c (nil: it holds).
func (r *Rule) evaluate(c *Config) []string {
	scopes, found := c.scopes(r)
	if !found {
		if r.IfPresent || len(r.MustContain)+len(r.MustMatch) == 0 {
			return []string{skipNoSection}
		}
		return []string{fmt.Sprintf("no section matching %s", r.Section)}
	}
	var findings []string
	want := func(s string) string {
		if c.junos {
			return strings.TrimPrefix(s, "set ")
		}
		return s
	}
	for _, sc := range scopes {
		prefix := ""
		if sc.name != "" {
			prefix = sc.name + ": "
		}
		has := func(l string) bool {
			if sc.sorted {
				return c.has(sc.lines, l)
			}
			return c.hasIn(sc.lines, l)
		}
		for _, l := range r.MustContain {
			if !has(want(l)) {
				findings = append(findings, fmt.Sprintf("%smissing %q", prefix, l))
			}
		}
		for _, l := range r.MustNotContain {
			if has(want(l)) {
				findings = append(findings, fmt.Sprintf("%sforbidden %q present", prefix, l))
			}
		}
		for i, re := range r.MustMatch {
			if !sc.any(prefixAt(r.matchPrefix, i), re) {
				findings = append(findings, fmt.Sprintf("%sno line matches %q", prefix, re))
			}
		}
		for i, re := range r.MustNotMatch {
			for _, l := range sc.candidates(prefixAt(r.notMatchPrefix, i)) {
				if re.MatchString(l) {
					findings = append(findings, fmt.Sprintf("%sforbidden line %q (matches %q)", prefix, l, re))
				}
			}
		}
	}
	return findings
}

func prefixAt(ps []string, i int) string {
	if i < len(ps) {
		return ps[i]
	}
	return ""
}

// candidates returns the lines of the scope that may match an expression whose matches start
// with prefix: in a sorted scope, the range of lines starting with it.
func (sc scope) candidates(prefix string) []string {
	if prefix == "" || !sc.sorted {
		return sc.lines
	}
	i, _ := slices.BinarySearch(sc.lines, prefix)
	j := i
	for j < len(sc.lines) && strings.HasPrefix(sc.lines[j], prefix) {
		j++
	}
	return sc.lines[i:j]
}

// any reports whether a line of the scope matches re.
func (sc scope) any(prefix string, re *regexp.Regexp) bool {
	for _, l := range sc.candidates(prefix) {
		if strings.HasPrefix(l, prefix) && re.MatchString(l) {
			return true
		}
	}
	return false
}
