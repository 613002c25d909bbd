package backup

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gonorn/norn/tasks"
)

// ClassIncomplete is the error class of a configuration that failed the completeness checks
// (empty, truncated, an error banner, no end marker, unbalanced braces, a sudden shrink).
const ClassIncomplete tasks.Class = "incomplete"

// ErrIncomplete is what an *IncompleteError unwraps to.
var ErrIncomplete = errors.New("backup: incomplete configuration")

// IncompleteError says why a configuration was refused. The last good copy is kept.
type IncompleteError struct {
	// Host is the host's name (empty when Check is called directly).
	Host string
	// Platform is the profile's platform.
	Platform string
	// Reason says what is missing or wrong.
	Reason string
	// NoLastGood is set when the store held no earlier copy of the host (its first backup).
	NoLastGood bool
}

// Error names the host (when known), the platform and the reason.
func (e *IncompleteError) Error() string {
	if e.Host == "" {
		return fmt.Sprintf("incomplete %s configuration: %s", e.Platform, e.Reason)
	}
	kept := "last good copy kept"
	if e.NoLastGood {
		kept = "no earlier copy to keep"
	}
	return fmt.Sprintf("host %s: incomplete %s configuration: %s (%s)", e.Host, e.Platform, e.Reason, kept)
}

// Unwrap returns ErrIncomplete.
func (e *IncompleteError) Unwrap() error { return ErrIncomplete }

// commonErrors are error banners of the five CLIs, checked on the first and last lines.
var commonErrors = []*regexp.Regexp{
	regexp.MustCompile(`^% ?(?:Invalid|Incomplete|Ambiguous|Unknown|Unrecognized|Bad|Error|Permission denied|Authorization failed|Not authorized|Command rejected)`),
	regexp.MustCompile(`Invalid input detected`),
	regexp.MustCompile(`^Command authorization failed`),
	regexp.MustCompile(`(?i)^\s*syntax error\b`),
	regexp.MustCompile(`^\s*error: `),
	regexp.MustCompile(`(?i)^\s*unknown command\b`),
	regexp.MustCompile(`(?i)^\s*permission denied\b`),
}

// edgeLines is how many non-blank lines at each end of the output are checked for error
// banners: an error replaces the output, so it is never only in the middle, while a banner or
// description in the middle of a configuration may legitimately say "error:".
const edgeLines = 5

// Check reports whether cleaned, produced by Clean from the device output raw, is a complete
// configuration: not empty, not cut at a pager prompt, no error banner, the profile's begin
// and end markers and required lines present and, for Junos, balanced braces. It returns nil or an
// *IncompleteError (without the host, which the task adds).
func (p *Profile) Check(raw, cleaned string) error {
	c := p.compiled()
	fail := func(format string, a ...any) error {
		return &IncompleteError{Platform: p.Platform, Reason: fmt.Sprintf(format, a...)}
	}
	if strings.TrimSpace(cleaned) == "" {
		if strings.TrimSpace(raw) == "" {
			return fail("the device returned nothing")
		}
		return fail("nothing left after cleaning %d bytes of output", len(raw))
	}
	if endsAtPager(raw) {
		return fail("output ends at a pager prompt (--More--): paging was not disabled")
	}
	head, tail := firstLines(cleaned, edgeLines), lastLines(cleaned, edgeLines)
	for _, l := range append(head, tail...) {
		for _, re := range append(commonErrors[:len(commonErrors):len(commonErrors)], c.errors...) {
			if re.MatchString(l) {
				return fail("device error: %q", truncate(l, 120))
			}
		}
	}
	if c.begin != nil {
		found := false
		for _, l := range firstLines(normalize(raw[:min(len(raw), 8<<10)]), 10) {
			if c.begin.MatchString(strings.TrimSpace(l)) {
				found = true
				break
			}
		}
		if !found {
			return fail("no begin marker (want a line matching %s in the first lines)", c.begin)
		}
	}
	last := tail[len(tail)-1]
	if c.end != nil && !c.end.MatchString(last) {
		return fail("no end marker: last line is %q (want %s)", truncate(last, 80), c.end)
	}
	if len(c.required) > 0 {
		missing := missingRequired(c.required, cleaned)
		if missing != nil {
			return fail("no line matching %s: a complete configuration has one", missing)
		}
	}
	if p.BalancedBraces {
		if depth, line := braceDepth(cleaned); depth != 0 {
			if depth < 0 {
				return fail("unbalanced braces: unexpected \"}\" on line %d", line)
			}
			return fail("unbalanced braces: %d unclosed \"{\" at the end", depth)
		}
	}
	return nil
}

// missingRequired returns the first required pattern no line of s matches, or nil.
func missingRequired(req []volatileRe, s string) *regexp.Regexp {
	found := make([]bool, len(req))
	left := len(req)
	for len(s) > 0 && left > 0 {
		line, rest, _ := strings.Cut(s, "\n")
		s = rest
		for i, r := range req {
			if !found[i] && r.match(line) {
				found[i] = true
				left--
			}
		}
	}
	for i, r := range req {
		if !found[i] {
			return r.re
		}
	}
	return nil
}

// endsAtPager reports whether the output's last line (before a prompt) is a pager prompt.
func endsAtPager(raw string) bool {
	tail := raw
	if len(tail) > 512 {
		tail = tail[len(tail)-512:]
	}
	ls := nonBlankLines(strings.ReplaceAll(tail, "\r", "\n"))
	for i := len(ls) - 1; i >= 0 && i >= len(ls)-2; i-- {
		if pagerRe.MatchString(ls[i]) {
			return true
		}
		if !promptRe.MatchString(strings.TrimSpace(ls[i])) {
			break
		}
	}
	return false
}

// firstLines returns the first n non-blank lines of s.
func firstLines(s string, n int) []string {
	var out []string
	for len(s) > 0 && len(out) < n {
		l, rest, _ := strings.Cut(s, "\n")
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
		s = rest
	}
	return out
}

// lastLines returns the last n non-blank lines of s, in order.
func lastLines(s string, n int) []string {
	var out []string
	for len(s) > 0 && len(out) < n {
		i := strings.LastIndexByte(s, '\n')
		l := s[i+1:]
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
		if i < 0 {
			break
		}
		s = s[:i]
	}
	slices.Reverse(out)
	return out
}

func nonBlankLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// braceDepth returns the brace depth at the end of a Junos configuration, ignoring braces in
// quoted strings, "#" comments and "/* */" annotations, or a negative depth and its line when
// a "}" closes nothing.
func braceDepth(s string) (depth, line int) {
	line = 1
	inQuote, inBlock := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\n':
			line++
			inQuote = false // Junos strings never span lines; do not let one bad quote hide the rest
		case inBlock:
			if ch == '*' && i+1 < len(s) && s[i+1] == '/' {
				inBlock = false
				i++
			}
		case inQuote:
			if ch == '\\' {
				i++
			} else if ch == '"' {
				inQuote = false
			}
		case ch == '"':
			inQuote = true
		case ch == '#':
			for i+1 < len(s) && s[i+1] != '\n' {
				i++
			}
		case ch == '/' && i+1 < len(s) && s[i+1] == '*':
			inBlock = true
			i++
		case ch == '{':
			depth++
		case ch == '}':
			depth--
			if depth < 0 {
				return depth, line
			}
		}
	}
	return depth, line
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
