package backup

import (
	"regexp"
	"strings"
)

var (
	// pagerRe matches pager prompts left in the output: Cisco/Arista " --More-- ", Junos
	// "---(more)---" and "---(more 45%)---", IOS-XR/others "<--- More --->" and "-- More --".
	pagerRe = regexp.MustCompile(` ?<?-{2,3} ?\(?[Mm]ore(?: \d+%)?\)? ?-{2,3}>? ?`)
	// eraseRe matches the backspace/space runs a terminal uses to wipe a pager prompt.
	eraseRe = regexp.MustCompile(`\x08+(?: +\x08+)*`)
	// ansiRe matches ANSI escape sequences (colours, cursor movement).
	ansiRe = regexp.MustCompile(`\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][A-Z0-9]|[=>78])`)
	// echoRe matches the echo of the configuration command, with or without a prompt.
	echoRe = regexp.MustCompile(`^(?:\S*[>#%$] ?)?(?:show|sh) (?:run|running-config|running|configuration|config)\b`)
	// promptRe matches a device prompt on a line of its own: csr1000v#, switch(config)#,
	// RP/0/RP0/CPU0:ios#, user@router>, router%.
	promptRe = regexp.MustCompile(`^[\w.@:/\-]+(?:\([\w.:/\-]+\))?[>#%$] ?$`)
	// junosContextRe matches the context lines Junos prints around its prompt.
	junosContextRe = regexp.MustCompile(`^(?:\[edit[^\]]*\]|\{(?:master|backup|primary|secondary|linecard|hadoop)(?::[\w-]+)?\})$`)
)

// Clean turns a device's output into the configuration to store: it removes carriage returns,
// ANSI escapes, pager prompts and the backspaces that erase them, the echoed command and the
// trailing prompt, the profile's volatile lines and trailing blanks, and leading and trailing
// blank lines. The result ends with a newline (or is empty). Clean never fails: whether the
// result is a whole configuration is Check's job.
func (p *Profile) Clean(raw string) string {
	c := p.compiled()
	s := normalize(raw)
	lines := splitLines(s)

	// Trim blank lines, the command echo and context lines at the top.
	start := 0
	for start < len(lines) {
		l := strings.TrimSpace(lines[start])
		if l == "" || junosContextRe.MatchString(l) || l == p.Command || echoRe.MatchString(l) {
			start++
			continue
		}
		break
	}
	// Trim blank lines, the prompt and context lines at the bottom.
	end := len(lines)
	prompts := 0
	for end > start {
		l := strings.TrimSpace(lines[end-1])
		if l == "" || junosContextRe.MatchString(l) {
			end--
			continue
		}
		if prompts == 0 && promptRe.MatchString(l) {
			prompts++
			end--
			continue
		}
		break
	}

	var b strings.Builder
	b.Grow(len(s))
	started := false
	for _, line := range lines[start:end] {
		line = strings.TrimRight(line, " \t")
		if isVolatile(c.volatile, line) {
			continue
		}
		if !started {
			if line == "" {
				continue
			}
			started = true
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	out := b.String()
	// Volatile lines at the end may have left blank lines behind.
	trimmed := strings.TrimRight(out, "\n")
	if trimmed == "" {
		return ""
	}
	return trimmed + "\n"
}

func isVolatile(vs []volatileRe, line string) bool {
	for i := range vs {
		if vs[i].match(line) {
			return true
		}
	}
	return false
}

// normalize removes terminal artefacts: ANSI escapes, pager prompts with the backspaces and
// blanks that erase them, stray backspaces (applied), and carriage returns (a lone one returns
// to the start of the line: what follows it wins, as on a terminal).
func normalize(s string) string {
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansiRe.ReplaceAllString(s, "")
	}
	if strings.Contains(s, "More") || strings.Contains(s, "more") {
		s = pagerRe.ReplaceAllString(s, "")
	}
	if strings.IndexByte(s, '\b') >= 0 {
		s = eraseRe.ReplaceAllStringFunc(s, func(m string) string {
			// A lone run of backspaces (no blanks) deletes characters; keep it for applyBackspaces.
			if !strings.Contains(m, " ") {
				return m
			}
			return ""
		})
		s = applyBackspaces(s)
	}
	if strings.IndexByte(s, '\r') >= 0 {
		var b strings.Builder
		b.Grow(len(s))
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				b.WriteByte('\n')
			}
			line = strings.TrimRight(line, "\r")
			if j := strings.LastIndexByte(line, '\r'); j >= 0 {
				line = line[j+1:]
			}
			b.WriteString(line)
		}
		s = b.String()
	}
	return s
}

// applyBackspaces deletes the character before each backspace, within a line.
func applyBackspaces(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\b' {
			if n := len(out); n > 0 && out[n-1] != '\n' {
				out = out[:n-1]
			}
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

// splitLines splits s into lines without their "\n"; a final newline adds no empty line.
func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Redact removes secrets from a cleaned configuration according to level, then the literal
// secrets (the host's own password and enable secret) wherever they appear as a whole token,
// at every level. The same input always gives the same output.
func (p *Profile) Redact(config string, level RedactLevel, literals ...string) string {
	return p.compiled().secrets.Text(config, level, Placeholder, literals...)
}
