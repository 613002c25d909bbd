package redact

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gonorn/norn/inventory"
)

// Mask replaces each secret.
const Mask = "<redacted>"

// secretWords are the parts of names that hold secrets.
var secretWords = []string{"passw", "pwd", "secret", "token", "apikey", "api_key", "community", "passphrase",
	"privatekey", "private_key", "auth_secondary", "credential"}

// IsSecretName reports whether a key name (a data key, an extra, a label) names a secret:
// password, secret, token, api key, community, passphrase, private key, credential.
func IsSecretName(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "-", "_"))
	return slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(n, w) })
}

type rule struct {
	re   *regexp.Regexp
	repl string
	// hints are lower-case literals at least one of which a match contains: the regexp runs
	// only when one is in the text (regexps are costly; most error messages hold no secret).
	hints []string
}

// rules mask values by their form. The kept prefix is group 1; the value is replaced.
var rules = []rule{
	// PEM private keys, whole.
	{regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`), Mask, []string{"private key"}},
	// URL userinfo passwords: scheme://user:pass@host.
	{regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(@)`), "${1}" + Mask + "${2}", []string{"@"}},
	// HTTP authorization headers and bearer tokens.
	{regexp.MustCompile(`(?i)(\bauthorization\s*[:=]\s*(?:(?:bearer|basic|token|digest)\s+)?)\S+`), "${1}" + Mask, []string{"authorization"}},
	{regexp.MustCompile(`(?i)(\b(?:bearer|token)\s+)[A-Za-z0-9._~+/=-]{8,}`), "${1}" + Mask, []string{"bearer", "token"}},
	// key=value and key: value forms (JSON, YAML, query strings, CLI flags).
	{regexp.MustCompile(`(?i)(\b[a-z0-9_.-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|community|passphrase|auth_secondary|credentials?)[a-z0-9_-]*"?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)`), "${1}" + Mask, []string{"pass", "pwd", "secret", "token", "api", "community", "passphrase", "auth_secondary", "credential"}},
	// IOS/NX-OS/EOS: enable secret 5 ..., username x [privilege 15] secret 9 ..., password 7 ...
	{regexp.MustCompile(`(?im)^(\s*(?:enable\s+)?(?:secret|password)\s+(?:(?:sha512|[0-9]{1,2})\s+)?)\S+`), "${1}" + Mask, []string{"secret", "password"}},
	{regexp.MustCompile(`(?i)(\benable\s+(?:secret|password)\s+(?:(?:sha512|[0-9]{1,2})\s+)?)\S+`), "${1}" + Mask, []string{"secret", "password"}},
	{regexp.MustCompile(`(?i)(\b(?:secret|password)\s+(?:sha512|[0-9]{1,2})\s+)\S+`), "${1}" + Mask, []string{"secret", "password"}},
	{regexp.MustCompile(`(?i)(\busername\s+\S+\s+(?:\S+\s+){0,4}?(?:secret|password)\s+(?:(?:sha512|[0-9]{1,2})\s+)?)\S+`), "${1}" + Mask, []string{"username"}},
	// key 7 ..., key-string 7 ..., tacacs-server key ..., radius-server key ...
	{regexp.MustCompile(`(?i)(\bkey(?:-string)?\s+[0-9]\s+)\S+`), "${1}" + Mask, []string{"key"}},
	{regexp.MustCompile(`(?i)(\b(?:tacacs-server|radius-server)\s+(?:\S+\s+){0,3}?key\s+(?:[0-9]\s+)?)\S+`), "${1}" + Mask, []string{"tacacs-server", "radius-server"}},
	// SNMP communities.
	{regexp.MustCompile(`(?i)(\bsnmp-server\s+community\s+)\S+`), "${1}" + Mask, []string{"snmp-server"}},
	{regexp.MustCompile(`(?i)(\bcommunity\s+)("[^"]*"|\S+)(\s+(?:ro|rw|view|authorization)\b)`), "${1}" + Mask + "${3}", []string{"community"}},
	// Junos: encrypted-password "...", secret "...", authentication-key "...", pre-shared-key ascii-text "...".
	{regexp.MustCompile(`(?i)(\b(?:encrypted-password|secret|authentication-key|pre-shared-key\s+ascii-text|ascii-text)\s+)("[^"]*"|\$\S+)`), "${1}" + Mask, []string{"encrypted-password", "secret", "authentication-key", "ascii-text"}},
	// Well-known token formats.
	{regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{8,}`), Mask, []string{"xox"}},
	{regexp.MustCompile(`\bwhsec_[A-Za-z0-9+/=]{8,}`), Mask, []string{"whsec_"}},
	{regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{20,}`), Mask, []string{"gh"}},
	{regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), Mask, []string{"akia", "asia"}},
}

// Redactor masks a set of known secrets, then anything shaped like a secret.
// The zero value masks by form only.
type Redactor struct {
	secrets []string // longest first
}

// New returns a Redactor for the given secrets (empty and blank ones are ignored).
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if strings.TrimSpace(s) == "" || slices.Contains(r.secrets, s) {
			continue
		}
		r.secrets = append(r.secrets, s)
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	return r
}

// String returns s with every secret masked.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, sec := range r.secrets {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	lower := strings.ToLower(s)
	for _, ru := range rules {
		if !slices.ContainsFunc(ru.hints, func(h string) bool { return strings.Contains(lower, h) }) {
			continue
		}
		s = ru.re.ReplaceAllString(s, ru.repl)
		lower = strings.ToLower(s)
	}
	return s
}

// String masks secrets (and secret-shaped values) in s.
func String(s string, secrets ...string) string { return New(secrets...).String(s) }

// connectionNames are the connection option names norn's plugins and Nornir users commonly set.
var connectionNames = []string{"scrapli", "scrapli_netconf", "netconf", "netmiko", "napalm", "ssh", "paramiko", "ncclient"}

// dataNames are data keys that commonly hold secrets, looked up through groups and defaults.
var dataNames = []string{"enable_secret", "enable_password", "secret", "snmp_community", "community",
	"snmp_auth_password", "snmp_priv_password", "token", "api_token", "password"}

// HostSecrets returns the secrets a host's inventory holds: its password, each connection's
// password and secret extras (auth_secondary, the enable secret; netmiko's secret; key
// passphrases) and data values whose key names a secret.
func HostSecrets(h *inventory.Host) []string {
	if h == nil {
		return nil
	}
	var out []string
	add := func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case fmt.Stringer:
			out = append(out, v.String())
		case int, int64, uint64, float64:
			out = append(out, fmt.Sprint(v))
		}
	}
	add(h.Password())
	names := slices.Clone(connectionNames)
	for _, n := range h.ConnectionNames() { // host, groups and defaults
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		p := h.ConnectionParams(n)
		add(p.Password)
		for k, v := range p.Extras {
			if IsSecretName(k) {
				add(v)
			}
		}
	}
	keys := slices.Clone(dataNames)
	for k := range h.ExtendedData() { // host, groups and defaults, resolved
		if IsSecretName(k) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if v, ok := h.Get(k); ok {
			add(v)
		}
	}
	return out
}

// Host returns a Redactor for the host's secrets (see HostSecrets) plus extra ones.
func Host(h *inventory.Host, extra ...string) *Redactor {
	return New(append(HostSecrets(h), extra...)...)
}

// URL returns raw fit for a log line or an error: without user info, query or fragment, and,
// unless keepPath, with only the first path segment (webhook URLs such as Slack's carry their
// token in the path).
func URL(raw string, keepPath bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid URL>"
	}
	s := u.Scheme + "://" + u.Host
	p := u.EscapedPath()
	if !keepPath {
		rest := strings.TrimPrefix(p, "/")
		first, _, more := strings.Cut(rest, "/")
		p = ""
		if first != "" {
			p = "/" + first
		}
		if more {
			p += "/..."
		}
	}
	s += p
	if u.RawQuery != "" {
		s += "?..."
	}
	return s
}
