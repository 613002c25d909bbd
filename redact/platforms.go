package redact

import (
	"slices"
	"sync"

	"github.com/gonorn/norn/platform"
)

const (
	// ciscoType is an optional Cisco-style secret type before the value: "7", "5", "sha512",
	// "encrypted" (IOS-XR), "clear".
	ciscoType = `(?: (?P<type>\d+|sha512|sha256|encrypted|clear|cleartext))?`
	// secretVal is a secret value: a quoted string (NX-OS quotes keys) or a token.
	secretVal = `(?P<secret>"[^"]*"|\S+)`
)

// ciscoRules are the rules shared by the Cisco-style CLIs (IOS-XE, NX-OS, IOS-XR, EOS).
func ciscoRules() []Rule {
	return []Rule{
		{Name: "enable password/secret", Keyword: "enable ",
			Pattern: `^\s*enable (?:password|secret)(?: level \d+)?` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "username password/secret", Keyword: "username ",
			Pattern: `^\s*username \S+(?: .*?)? (?:password|secret)` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "snmp community", Keyword: "snmp-server community",
			Pattern: `^\s*snmp-server community(?: (?:encrypted|clear))? ` + secretVal},
		{Name: "snmp host community", Keyword: "snmp-server host",
			Pattern: `^\s*snmp-server host \S+(?: vrf \S+)?(?: (?:informs|traps))?(?: version (?:1|2c))?(?: (?:encrypted|clear))? ` + secretVal,
			Skip:    `snmp-server host \S+ (?:.*\s)?(?:version 3|use-vrf|filter-vrf|source-interface)\b`},
		{Name: "snmp v3 auth key", Keyword: "snmp-server user",
			Pattern: ` auth (?:md5|sha\S*)(?: (?:encrypted|clear))? ` + secretVal},
		{Name: "snmp v3 priv key", Keyword: "snmp-server user",
			Pattern: ` priv(?: (?:3des|des56|des|aes(?:-?\d+)?(?: \d+)?))?(?: (?:encrypted|clear))? ` + secretVal},
		{Name: "tacacs key", Keyword: "tacacs-server",
			Pattern: `^\s*tacacs-server\b(?: .*?)? key` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "radius key", Keyword: "radius-server",
			Pattern: `^\s*radius-server\b(?: .*?)? key` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "aaa server key", Keyword: "key",
			Section: `^(?:tacacs server|radius server|tacacs-server host|radius-server host|aaa group server|aaa server)\b`,
			Pattern: `^\s+(?:.*\s)?key` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "key-string", Keyword: "key-string",
			Pattern: `\bkey-string(?: (?P<type>\d+|password|encrypted|clear))? ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "bgp neighbor password", Keyword: " password",
			Pattern: `^\s*neighbor \S+ password` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "ospf authentication key", Keyword: "authentication-key",
			Pattern: `(?:^\s*|\bip ospf |\bipv6 ospf |\bospfv3 )authentication-key` + ciscoType + ` ` + secretVal,
			Skip:    `authentication-key \d+ (?:md5|sha\S*|hmac\S*|cmac\S*)\b`, // NTP keys: their own rule
			Hashed:  CiscoHashed},
		{Name: "ospf message-digest key", Keyword: "message-digest-key",
			Pattern: `\bmessage-digest-key \d+ md5` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "is-is password", Keyword: "password",
			Pattern: `\b(?:area-password|domain-password|isis password|lsp-password|hello-password)(?: (?:hmac-md5|text|md5))?` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "hsrp/vrrp text authentication", Keyword: "authentication",
			Pattern: `\b(?:standby|vrrp)(?: \d+)? authentication(?: text)? ` + secretVal,
			Skip:    `authentication (?:md5|hmac|key-chain|ietf)`},
		{Name: "isakmp key", Keyword: "isakmp key",
			Pattern: `\bcrypto isakmp key(?: (?P<type>\d))? ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "pre-shared key", Keyword: "pre-share",
			Pattern: `\bpre-share(?:d-key)?(?: (?:address \S+(?: \S+)? key|hostname \S+ key|local|remote|key))?(?: (?P<type>\d|password|encrypted|clear))? ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "ipsec shared key", Keyword: "shared-key",
			Pattern: `(?:^|\s)shared-key` + ciscoType + ` ` + secretVal,
			Hashed:  CiscoHashed},
		{Name: "wpa psk", Keyword: "wpa-psk",
			Pattern: `\bwpa-psk (?:ascii|hex)(?: (?P<type>\d))? ` + secretVal},
		// The safety nets: any "password X", "secret X" or "key 0|7 X" a specific rule missed.
		{Name: "password", Keyword: "password",
			Pattern: `(?:^|\s)password` + ciscoType + ` ` + secretVal,
			Skip:    `^\s*(?:no\s|service password|ip ssh server algorithm)|\bpassword (?:encryption|strength-check|prompt|minimum|policy|secure-mode|lifetime|history|keyboard)\b`,
			Hashed:  CiscoHashed},
		{Name: "secret", Keyword: "secret",
			Pattern: `(?:^|\s)secret` + ciscoType + ` ` + secretVal,
			Skip:    `^\s*no\s`,
			Hashed:  CiscoHashed},
		{Name: "type 0/7 key", Keyword: "key ",
			Pattern: `\bkey (?P<type>[067]) ` + secretVal,
			Hashed:  CiscoHashed},
	}
}

// ntpRule is the NTP authentication key of IOS-XE and NX-OS ("ntp authentication-key 1 md5
// X 7").
var ntpRule = Rule{Name: "ntp authentication key", Keyword: "ntp authentication-key",
	Pattern: `^\s*ntp authentication-key \d+ \S+ ` + secretVal}

// junosStatements are the Junos statements whose value is a secret even without the
// "## SECRET-DATA" comment (e.g. "| display omit" or "no-comments" output); one rule each so
// that the keyword filter keeps the regular expressions off the other lines.
func junosRules() []Rule {
	rules := []Rule{
		{Name: "SECRET-DATA", Keyword: "## SECRET-DATA",
			Pattern: `(?P<secret>"[^"]*"|[^\s;]+);\s*## SECRET-DATA`,
			Hashed:  JunosHashed},
		{Name: "encrypted-password", Keyword: "encrypted-password",
			Pattern: `\bencrypted-password (?P<secret>"[^"]*"|[^\s;]+)`,
			Hashed:  JunosHashed},
		{Name: "quoted key", Keyword: "key \"",
			Pattern: `(?:^|\s)key (?P<secret>"[^"]*");`,
			Hashed:  JunosHashed},
		{Name: "$9$ value", Keyword: "$9$",
			Pattern: `(?P<secret>"\$9\$[^"]*"|\$9\$[^\s;"]+)`},
		{Name: "snmp community", Keyword: "community",
			Section: `^snmp \{`,
			Pattern: `^\s*community (?P<secret>"[^"]*"|[^\s;{]+)(?: \{|;)`},
	}
	for _, w := range []string{"secret", "authentication-key", "ascii-text", "hexadecimal", "simple-password",
		"hello-authentication-key", "authentication-password", "privacy-password", "privacy-key", "shared-secret", "md5-key"} {
		rules = append(rules, Rule{Name: w, Keyword: w + " ",
			Pattern: `(?:^|\s)` + w + ` (?P<secret>"[^"]*"|[^\s;{]+);`, Hashed: JunosHashed})
	}
	return rules
}

// builtin returns the built-in rules by canonical platform name.
func builtin() map[string][]Rule {
	return map[string][]Rule{
		platform.CiscoIOSXE: append(ciscoRules(), ntpRule),
		platform.CiscoNXOS:  append(ciscoRules(), ntpRule),
		platform.CiscoIOSXR: append(ciscoRules(), Rule{Name: "ntp authentication key", Keyword: "authentication-key",
			Pattern: `^\s*(?:ntp )?authentication-key \d+ md5(?: (?:encrypted|clear))? ` + secretVal}),
		platform.AristaEOS: append(ciscoRules(), Rule{Name: "ntp authentication key", Keyword: "ntp authentication-key",
			Pattern: `^\s*ntp authentication-key \d+ \S+(?: (?P<type>\d))? ` + secretVal,
			Hashed:  CiscoHashed}),
		platform.JuniperJunos: junosRules(),
	}
}

// Rules returns the built-in configuration secret rules of a platform, given by its canonical
// name or any alias the platform package knows ("ios", "cisco_xe", "junos", ...), or nil when
// norn has none for it. The slice is the caller's to extend.
func Rules(name string) []Rule {
	c, _ := platform.Canonical(name)
	return builtin()[c]
}

// Platforms returns the canonical names of the platforms with built-in rules, sorted.
func Platforms() []string {
	var out []string
	for p := range builtin() {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// anyRules are the rules of every built-in platform, each distinct rule once: the rules used
// when a text's platform is unknown.
func anyRules() []Rule {
	var out []Rule
	seen := map[string]bool{}
	for _, p := range Platforms() {
		for _, r := range Rules(p) {
			if k := r.Name + "\x00" + r.Pattern + "\x00" + r.Section + "\x00" + r.Skip; !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// compiled holds the built-in rule sets compiled once: by canonical platform name, and "" for
// the rules of every platform. It is read-only after its first use.
var compiled = sync.OnceValue(func() map[string]*Ruleset {
	m := map[string]*Ruleset{"": MustCompile(anyRules()...)}
	for p, rules := range builtin() {
		m[p] = MustCompile(rules...)
	}
	return m
})

// PlatformRuleset returns the compiled built-in rules of a platform (any of its names), and
// whether norn has rules for it; for an unknown platform it returns the rules of every
// built-in platform, the safe choice for text of unknown origin.
func PlatformRuleset(name string) (*Ruleset, bool) {
	c, _ := platform.Canonical(name)
	if rs, ok := compiled()[c]; ok && c != "" {
		return rs, true
	}
	return compiled()[""], false
}
