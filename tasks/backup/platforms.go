package backup

import (
	"github.com/gonorn/norn/platform"
	"github.com/gonorn/norn/redact"
)

// The built-in profiles. Commands follow Oxidized's models; volatile lines follow Oxidized and
// RANCID; completeness markers follow the real outputs (IOS-XE, IOS-XR and EOS end with "end",
// NX-OS has no end marker but always starts with its "!Command: show running-config" header,
// Junos has neither, so its braces must balance).

// The secret rules of each profile are package redact's (redact.Rules), the one home of what a
// secret is; the session log and the alerting hooks use the same rules.

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
		Secrets: redact.Rules(platform.CiscoIOSXE),
		End:     `^end$`,
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
		Secrets:  redact.Rules(platform.CiscoNXOS),
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
		Secrets: redact.Rules(platform.CiscoIOSXR),
		End:     `^end$`,
	}
	eos := Profile{
		Platform: platform.AristaEOS,
		Command:  "show running-config",
		Volatile: []string{
			`^! Command: show running-config`,
			`^! Time: `,
			`^! Startup-config last modified at `,
		},
		Secrets: redact.Rules(platform.AristaEOS),
		End:     `^end$`,
	}
	junos := Profile{
		Platform: platform.JuniperJunos,
		Command:  "show configuration | display omit",
		Volatile: []string{
			`^## Last commit: `,
			`^## Last changed: `,
			`^\{(?:master|backup|primary|secondary|linecard|hadoop)(?::[\w-]+)?\}$`,
		},
		Secrets:        redact.Rules(platform.JuniperJunos),
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
