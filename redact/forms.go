package redact

import "strings"

// Mask replaces each secret a Redactor finds.
const Mask = "<redacted>"

// form is a rule that finds secrets by their shape in any text (log lines, error messages,
// HTTP exchanges), whatever the platform. Its regular expression runs only on lines holding
// one of its hints (ASCII case-insensitive).
type form struct {
	rule  Rule
	hints []string
}

// forms find secret-shaped strings. Each pattern's "secret" groups are replaced.
var forms = []form{
	// URL userinfo passwords: scheme://user:pass@host.
	{Rule{Name: "url password", Pattern: `(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]*:(?P<secret>[^@\s/]+)@`}, []string{"://"}},
	// HTTP authorization headers.
	{Rule{Name: "authorization header", Pattern: `(?i)\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:bearer|basic|token|digest|apikey)\s+)?(?P<secret>"[^"]*"|[^\s"]+)`}, []string{"authorization"}},
	// Bearer and token values.
	{Rule{Name: "bearer token", Pattern: `(?i)\b(?:bearer|token)\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})`}, []string{"bearer", "token"}},
	// key=value and key: value forms (JSON, YAML, query strings, CLI flags, headers such as
	// X-Api-Key).
	{Rule{Name: "secret parameter", Pattern: `(?i)\b[a-z0-9_.-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|community|passphrase|auth_secondary|credentials?|private[_-]?key)[a-z0-9_-]*["']?\s*[:=]\s*(?P<secret>"[^"]*"|'[^']*'|[^\s,;&}]+)`},
		[]string{"pass", "pwd", "secret", "token", "api", "community", "auth_secondary", "credential", "private"}},
	// TACACS+/RADIUS keys anywhere in a line (config rules want them at the start).
	{Rule{Name: "aaa key", Pattern: `(?i)\b(?:tacacs-server|radius-server)\s+(?:\S+\s+){0,3}?key\s+(?:[0-9]\s+)?(?P<secret>"[^"]*"|\S+)`}, []string{"tacacs-server", "radius-server"}},
	// SNMP communities followed by their access.
	{Rule{Name: "community", Pattern: `(?i)\bcommunity\s+(?P<secret>"[^"]*"|\S+)\s+(?:ro|rw|view|authorization)\b`}, []string{"community"}},
	// Junos secrets outside a statement (error messages, "set" commands).
	{Rule{Name: "junos secret", Pattern: `(?i)\b(?:encrypted-password|secret|authentication-key|pre-shared-key\s+ascii-text|ascii-text)\s+(?P<secret>"[^"]*"|\$\S+)`},
		[]string{"encrypted-password", "secret", "authentication-key", "ascii-text"}},
	// The text of secret XML elements (NETCONF replies).
	{Rule{Name: "xml secret", Pattern: `(?i)<(?:[\w-]+:)?(?:encrypted-password|secret|password|key|authentication-key|pre-shared-key|community-name|key-string|shared-secret|simple-password|md5-key)>(?P<secret>[^<]+)`},
		[]string{"password>", "secret>", "key>", "community-name>", "key-string>"}},
	// Well-known token formats: Slack, Standard Webhooks secrets, GitHub, AWS, NetBox v2.
	{Rule{Name: "slack token", Pattern: `\b(?P<secret>xox[abposr]-[A-Za-z0-9-]{8,})`}, []string{"xox"}},
	{Rule{Name: "webhook secret", Pattern: `\b(?P<secret>whsec_[A-Za-z0-9+/=]{8,})`}, []string{"whsec_"}},
	{Rule{Name: "github token", Pattern: `\b(?P<secret>gh[pousr]_[A-Za-z0-9]{20,})`}, []string{"gh"}},
	{Rule{Name: "aws key", Pattern: `\b(?P<secret>(?:AKIA|ASIA)[0-9A-Z]{16})\b`}, []string{"akia", "asia"}},
	{Rule{Name: "netbox token", Pattern: `\b(?P<secret>nbt_[A-Za-z0-9._-]{8,})`}, []string{"nbt_"}},
}

// formSet is forms compiled, with the automaton of their hints.
type formSet struct {
	rules []Rule
	bits  []uint64 // per rule: the bits of its hints
	hints *keywordSet
}

var compiledForms = func() *formSet {
	fs := &formSet{}
	bit := map[string]uint64{}
	var words []string
	for _, f := range forms {
		r, err := f.rule.compile()
		if err != nil {
			panic(err)
		}
		var b uint64
		for _, h := range f.hints {
			h = strings.ToLower(h)
			if bit[h] == 0 {
				bit[h] = 1 << uint(len(words))
				words = append(words, h)
			}
			b |= bit[h]
		}
		fs.rules = append(fs.rules, r)
		fs.bits = append(fs.bits, b)
	}
	fs.hints = newKeywordSet(words, true)
	return fs
}()

// line masks the secret-shaped strings of one line.
func (fs *formSet) line(line, mask string) string {
	found := fs.hints.match(line)
	if found == 0 {
		return line
	}
	for i := range fs.rules {
		if fs.bits[i]&found != 0 {
			line = fs.rules[i].apply(line, All, mask)
		}
	}
	return line
}

// PEM private key blocks span lines: the line state of a Redactor follows them.
const (
	pemBegin = "-----BEGIN "
	pemKey   = "PRIVATE KEY-----"
	pemEnd   = "-----END "
)
