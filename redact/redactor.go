package redact

import (
	"slices"
	"strings"
)

// Redactor masks secrets in text meant for people and machines other than the device: log
// lines, error messages, alerts, webhook bodies, session logs. It masks, line by line,
//
//  1. configuration secrets by the rules of its platform (of every built-in platform when the
//     platform is unknown or not set), at level All;
//  2. secret-shaped strings (see the package doc) and PEM private key blocks, whole;
//  3. its literal secrets wherever they appear, even inside a word.
//
// Every secret becomes Mask. The result is stable: redacting it again changes nothing.
// A Redactor is immutable and safe for concurrent use; the zero value and nil mask by rules
// and form only.
type Redactor struct {
	secrets  []string // longest first
	rules    *Ruleset // nil: every platform's
	platform string
}

// New returns a Redactor for the given literal secrets (blank ones are ignored), with the
// configuration rules of every built-in platform.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if strings.TrimSpace(s) == "" || s == Mask || slices.Contains(r.secrets, s) {
			continue
		}
		r.secrets = append(r.secrets, s)
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	return r
}

// String masks secrets in s.
func String(s string, secrets ...string) string { return New(secrets...).String(s) }

// WithPlatform returns a copy of r that uses the configuration rules of a platform (any of its
// names, see Rules) instead of those of every platform. An unknown platform keeps the rules of
// every platform.
func (r *Redactor) WithPlatform(name string) *Redactor {
	c := &Redactor{}
	if r != nil {
		*c = *r
	}
	c.rules, _ = PlatformRuleset(name)
	c.platform = name
	return c
}

// WithSecrets returns a copy of r that also masks the given literal secrets.
func (r *Redactor) WithSecrets(secrets ...string) *Redactor {
	c := New(append(r.Secrets(), secrets...)...)
	if r != nil {
		c.rules, c.platform = r.rules, r.platform
	}
	return c
}

// Secrets returns the literal secrets, longest first. The slice is the caller's.
func (r *Redactor) Secrets() []string {
	if r == nil {
		return nil
	}
	return slices.Clone(r.secrets)
}

func (r *Redactor) ruleset() *Ruleset {
	if r != nil && r.rules != nil {
		return r.rules
	}
	rs, _ := PlatformRuleset("")
	return rs
}

// lineState is what a line's redaction needs of the lines before it.
type lineState struct {
	section string // the configuration section header in force
	inPEM   bool   // inside a PEM private key block
}

// String returns s with every secret masked.
func (r *Redactor) String(s string) string {
	if s == "" {
		return s
	}
	var st lineState
	if !strings.Contains(s, "\n") {
		return r.line(s, &st, false)
	}
	var b strings.Builder
	b.Grow(len(s))
	for rest := s; ; {
		line, more, found := strings.Cut(rest, "\n")
		b.WriteString(r.line(line, &st, false))
		if !found {
			break
		}
		b.WriteByte('\n')
		rest = more
	}
	return b.String()
}

// maxPasses bounds the passes over one line until it no longer changes (a literal masked in
// the first pass may expose a rule's keyword to the next).
const maxPasses = 4

// line masks one line (without its "\n"; a final "\r" is kept as is) and advances st. With
// prompt, whatever follows a password prompt on the line is masked too (session logs).
func (r *Redactor) line(line string, st *lineState, prompt bool) string {
	body, cr := strings.CutSuffix(line, "\r")
	orig := body
	if out, done := pemLine(body, st); done {
		body = out
	} else {
		st.section = Section(body, st.section)
		for range maxPasses {
			next := r.pass(body, st.section, prompt)
			if next == body {
				break
			}
			body = next
		}
	}
	if body == orig {
		return line
	}
	if cr {
		body += "\r"
	}
	return body
}

// pass masks one line once: configuration rules, forms, literals.
func (r *Redactor) pass(line, section string, prompt bool) string {
	line = r.ruleset().Line(line, section, All, Mask)
	line = compiledForms.line(line, Mask)
	if prompt {
		line = maskPrompt(line)
	}
	if r != nil && len(r.secrets) > 0 {
		line = replaceOutsideMasks(line, r.secrets)
	}
	return line
}

// pemLine masks the lines of a PEM private key block: from "-----BEGIN ... PRIVATE KEY-----"
// to "-----END ... PRIVATE KEY-----", markers included. It reports whether it handled line.
func pemLine(line string, st *lineState) (string, bool) {
	if st.inPEM {
		i := strings.Index(line, pemEnd)
		if i < 0 {
			if line == "" {
				return line, true
			}
			return Mask, true
		}
		st.inPEM = false
		rest := line[i+len(pemEnd):]
		if j := strings.Index(rest, pemKey); j >= 0 {
			rest = rest[j+len(pemKey):]
		}
		return Mask + rest, true
	}
	i := strings.Index(line, pemBegin)
	if i < 0 {
		return line, false
	}
	j := strings.Index(line[i:], pemKey)
	if j < 0 || strings.ContainsAny(line[i+len(pemBegin):i+j], "\t-") {
		return line, false
	}
	after := line[i+j+len(pemKey):]
	if k := strings.Index(after, pemEnd); k >= 0 {
		rest := after[k+len(pemEnd):]
		if l := strings.Index(rest, pemKey); l >= 0 {
			return line[:i] + Mask + rest[l+len(pemKey):], true
		}
	}
	st.inPEM = true
	return line[:i] + Mask, true
}

// maskPrompt masks what follows a password prompt on the same line ("Password: hunter2"),
// should a device echo the typed secret.
func maskPrompt(line string) string {
	if strings.IndexByte(line, ':') < 0 {
		return line
	}
	lower := strings.ToLower(line)
	for _, w := range []string{"password", "passphrase", "secret", "passcode"} {
		i := strings.Index(lower, w)
		if i < 0 {
			continue
		}
		rest := line[i+len(w):]
		c := strings.IndexByte(rest, ':')
		if c < 0 || c > 20 {
			continue
		}
		val := strings.TrimLeft(rest[c+1:], " \t")
		if val == "" || val == Mask || strings.HasPrefix(val, Mask) && strings.TrimSpace(val[len(Mask):]) == "" {
			continue
		}
		return line[:len(line)-len(val)] + Mask
	}
	return line
}

// replaceOutsideMasks replaces every occurrence of the secrets (longest first at a position)
// by Mask, outside the masks already in line, so that a secret that is part of the mask text
// does not change the line again.
func replaceOutsideMasks(line string, secrets []string) string {
	hit := false
	for _, s := range secrets {
		if strings.Contains(line, s) {
			hit = true
			break
		}
	}
	if !hit {
		return line
	}
	var b strings.Builder
	b.Grow(len(line))
	for piece, rest := line, ""; ; {
		var found bool
		piece, rest, found = strings.Cut(piece, Mask)
		b.WriteString(replaceAll(piece, secrets))
		if !found {
			break
		}
		b.WriteString(Mask)
		piece = rest
	}
	return b.String()
}

// replaceAll replaces, scanning left to right, the secret that starts first (the longest on a
// tie) by Mask.
func replaceAll(s string, secrets []string) string {
	var b strings.Builder
	for {
		at, n := -1, 0
		for _, sec := range secrets { // longest first: the first found at a position wins
			if i := strings.Index(s, sec); i >= 0 && (at < 0 || i < at) {
				at, n = i, len(sec)
			}
		}
		if at < 0 {
			if b.Len() == 0 {
				return s
			}
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:at])
		b.WriteString(Mask)
		s = s[at+n:]
	}
}
