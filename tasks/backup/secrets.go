package backup

import (
	"slices"
	"unicode"

	"github.com/gonorn/norn/inventory"
)

// literals returns the host's own secrets (password, enable secret), removed from
// configurations and messages wherever they appear as a whole token.
func (b *task) literals(h *inventory.Host) []string {
	out := []string{h.Password()}
	for _, name := range b.cfg.SecretParams {
		p := h.ConnectionParams(name)
		out = append(out, p.Password)
		if s, ok := p.Extras["auth_secondary"].(string); ok {
			out = append(out, s)
		}
	}
	if s, ok := h.Get("auth_secondary"); ok {
		if s, ok := s.(string); ok {
			out = append(out, s)
		}
	}
	// A password equal to the user name is not replaced: "username <removed>" would tell
	// exactly what it is.
	users := map[string]bool{h.Username(): true}
	for _, name := range b.cfg.SecretParams {
		users[h.ConnectionParams(name).Username] = true
	}
	out = slices.DeleteFunc(out, func(s string) bool { return users[s] || !literalWorthy(s) })
	slices.Sort(out)
	out = slices.Compact(out)
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// literalWorthy reports whether a host secret is replaced wherever it appears: a short
// all-letter one (admin, enable, cisco) is also a configuration keyword, and replacing
// "enable" everywhere would wreck the configuration; the rules still catch it where a secret
// is expected.
func literalWorthy(s string) bool {
	if len(s) >= 8 {
		return true
	}
	for _, c := range s {
		if !unicode.IsLetter(c) {
			return true
		}
	}
	return false
}
