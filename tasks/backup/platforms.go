package backup

import "github.com/gonorn/norn/platform"

// The built-in profiles. Commands follow Oxidized's models; volatile lines follow Oxidized and
// RANCID; completeness markers follow the real outputs (IOS-XE, IOS-XR and EOS end with "end",
// NX-OS has no end marker but always starts with its "!Command: show running-config" header,
// Junos has neither, so its braces must balance).

const (
	// ciscoType is an optional Cisco-style secret type before the value: "7", "5", "sha512",
	// "encrypted" (IOS-XR), "clear".
	ciscoType = `(?: (?P<type>\d+|sha512|sha256|encrypted|clear|cleartext))?`
	// secretVal is a secret value: a quoted string (NX-OS quotes keys) or a token.
	secretVal = `(?P<secret>"[^"]*"|\S+)`
)

// ciscoSecrets are the rules shared by the Cisco-style CLIs (IOS-XE, NX-OS, IOS-XR, EOS).
func ciscoSecrets() []SecretRule {
	return []SecretRule{
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

// Day and month names of a Cisco timestamp line ("Thu Nov 21 09:00:00.123 UTC").
const ciscoTimestamp = `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)? ?\S*$`

type builtin struct {
	profile Profile
	aliases []string
}

func builtinProfiles() []builtin {
	iosxe := Profile{
		Platform: platform.CiscoIOSXE,
		Command:  "show running-config",
		Volatile: []string{
			`^Building configuration\.\.\.\s*$`,
			`^Current configuration\s*:\s*\d+ bytes$`,
			`^! Last configuration change at `,
			`^! NVRAM config last updated at `,
			`^! No configuration change since last restart`,
			`^\s*ntp clock-period \d+`,
		},
		Secrets: append(ciscoSecrets(),
			SecretRule{Name: "ntp authentication key", Keyword: "ntp authentication-key",
				Pattern: `^\s*ntp authentication-key \d+ \S+ ` + secretVal},
		),
		End: `^end$`,
	}
	nxos := Profile{
		Platform: platform.CiscoNXOS,
		Command:  "show running-config",
		Volatile: []string{
			`^!Command: show running-config`,
			`^!Time: `,
			`^!Running configuration last done at: `,
			`^!Startup config saved at: `,
			`^!No configuration change since last restart`,
		},
		Secrets: append(ciscoSecrets(),
			SecretRule{Name: "ntp authentication key", Keyword: "ntp authentication-key",
				Pattern: `^\s*ntp authentication-key \d+ \S+ ` + secretVal},
		),
		Begin:    `^!Command: show running-config`,
		Required: []string{`^version \d`, `^line vty\b`},
	}
	iosxr := Profile{
		Platform: platform.CiscoIOSXR,
		Command:  "show running-config",
		Volatile: []string{
			ciscoTimestamp,
			`^Building configuration\.\.\.\s*$`,
			`^!! Last configuration change at `,
		},
		Secrets: append(ciscoSecrets(),
			SecretRule{Name: "ntp authentication key", Keyword: "authentication-key",
				Pattern: `^\s*(?:ntp )?authentication-key \d+ md5(?: (?:encrypted|clear))? ` + secretVal},
		),
		End: `^end$`,
	}
	eos := Profile{
		Platform: platform.AristaEOS,
		Command:  "show running-config",
		Volatile: []string{
			`^! Command: show running-config`,
			`^! Time: `,
			`^! Startup-config last modified at `,
		},
		Secrets: append(ciscoSecrets(),
			SecretRule{Name: "ntp authentication key", Keyword: "ntp authentication-key",
				Pattern: `^\s*ntp authentication-key \d+ \S+(?: (?P<type>\d))? ` + secretVal,
				Hashed:  CiscoHashed},
		),
		End: `^end$`,
	}
	// Junos statements whose value is a secret even without the "## SECRET-DATA" comment
	// (e.g. "| display omit" or "no-comments" output); one rule each so that the keyword
	// filter keeps the regular expressions off the other lines.
	var junosStatements []SecretRule
	for _, w := range []string{"secret", "authentication-key", "ascii-text", "hexadecimal", "simple-password",
		"hello-authentication-key", "authentication-password", "privacy-password", "privacy-key", "shared-secret", "md5-key"} {
		junosStatements = append(junosStatements, SecretRule{Name: w, Keyword: w + " ",
			Pattern: `(?:^|\s)` + w + ` (?P<secret>"[^"]*"|[^\s;{]+);`, Hashed: JunosHashed})
	}
	junos := Profile{
		Platform: platform.JuniperJunos,
		Command:  "show configuration | display omit",
		Volatile: []string{
			`^## Last commit: `,
			`^## Last changed: `,
			`^\{(?:master|backup|primary|secondary|linecard|hadoop)(?::[\w-]+)?\}$`,
		},
		Secrets: append([]SecretRule{
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
		}, junosStatements...),
		End:            `^(?:\}|[^\s#/].*;)$`,
		BalancedBraces: true,
	}
	// The aliases are package platform's, so a name means the same platform here as in the
	// connection registry and the NetBox inventory.
	return []builtin{
		{iosxe, platform.Aliases(iosxe.Platform)},
		{nxos, platform.Aliases(nxos.Platform)},
		{iosxr, platform.Aliases(iosxr.Platform)},
		{eos, platform.Aliases(eos.Platform)},
		{junos, platform.Aliases(junos.Platform)},
	}
}
