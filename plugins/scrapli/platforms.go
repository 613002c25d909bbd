package scrapli

import "regexp"

// Platform names (scrapli's), the keys' Platform field.
const (
	PlatformIOSXE = "cisco_iosxe"
	PlatformNXOS  = "cisco_nxos"
	PlatformIOSXR = "cisco_iosxr"
	PlatformEOS   = "arista_eos"
	PlatformJunos = "juniper_junos"
	// PlatformSRL is Nokia SR Linux. It is registered but not tested against the simulator
	// (devsim has no SR Linux profile): its prompts and commands come from scrapligo's platform
	// definition only.
	PlatformSRL = "nokia_srl"
)

// commitStyle is how a platform applies configuration.
type commitStyle int

const (
	commitNone  commitStyle = iota // lines apply as typed (IOS-XE, NX-OS, EOS)
	commitXR                       // candidate; "commit", "abort" on failure
	commitJunos                    // candidate; "commit" / "commit check", "rollback 0" on failure
	commitSRL                      // candidate; "commit now", "discard now" on failure
)

// platformSpec is what the plugin knows of a platform beyond scrapligo's definition.
type platformSpec struct {
	name        string
	showVersion string
	running     string
	startup     string   // "" when the platform has no separate startup configuration
	save        []string // commands that save running to startup; nil: nothing to save
	saveOK      *regexp.Regexp
	commit      commitStyle
	netconf     bool // serves NETCONF (registered as type "netconf")
	configFail  []string
	// cliExclude are privilege levels the plugin never enters whose prompts can look like a
	// line of output (Junos's shell "^.*[%$]"): they are left out of the prompt pattern of
	// commands and configuration (see prompts.cli).
	cliExclude []string
	// promptDepth is how many bytes from the end of what was read the prompt is looked for
	// (scrapligo's channel PromptSearchDepth); 0 keeps scrapligo's 1,000. The prompt is
	// matched after every read of a command's output, so a shorter window saves a regexp scan
	// of 750 bytes per 8 KB read; it must hold the longest prompt with the line before it that
	// a level's pattern may include (Junos's "{master:0}").
	promptDepth int
}

// shortPromptDepth is promptDepth for the platforms whose prompts are at most a 63-character
// hostname with a mode of at most 63 characters (EOS's "(config-...)#"), plus Junos's
// "{master:0}" line.
const shortPromptDepth = 256

var platformSpecs = map[string]*platformSpec{
	PlatformIOSXE: {
		name:        PlatformIOSXE,
		showVersion: "show version",
		running:     "show running-config",
		startup:     "show startup-config",
		save:        []string{"write memory"},
		saveOK:      regexp.MustCompile(`(?i)\[OK\]|copy complete|bytes copied`),
		netconf:     true,
		cliExclude:  []string{"tclsh"},

		promptDepth: shortPromptDepth,
	},
	PlatformNXOS: {
		name:        PlatformNXOS,
		showVersion: "show version",
		running:     "show running-config",
		startup:     "show startup-config",
		save:        []string{"copy running-config startup-config"},
		saveOK:      regexp.MustCompile(`(?i)copy complete|100%`),
		netconf:     true,
		cliExclude:  []string{"tclsh"},

		promptDepth: shortPromptDepth,
	},
	PlatformIOSXR: {
		name:        PlatformIOSXR,
		showVersion: "show version",
		running:     "show running-config",
		commit:      commitXR,
		netconf:     true,
		configFail:  []string{"% Failed to commit", "% Failed", "!! SYNTAX/AUTHORIZATION ERRORS"},
		cliExclude:  []string{"run"},

		promptDepth: shortPromptDepth,
	},
	PlatformEOS: {
		name:        PlatformEOS,
		showVersion: "show version",
		running:     "show running-config",
		startup:     "show startup-config",
		save:        []string{"copy running-config startup-config"},
		saveOK:      regexp.MustCompile(`(?i)copy completed successfully|copy complete|\[OK\]`),
		netconf:     true,
		promptDepth: shortPromptDepth,
	},
	PlatformJunos: {
		name:        PlatformJunos,
		showVersion: "show version",
		running:     "show configuration",
		commit:      commitJunos,
		netconf:     true,
		configFail:  []string{"error:", "commit failed", "configuration check-out failed"},
		cliExclude:  []string{"shell", "root-shell"},

		promptDepth: shortPromptDepth,
	},
	PlatformSRL: {
		name:        PlatformSRL,
		showVersion: "show version",
		running:     "info from running",
		commit:      commitSRL,
		configFail:  []string{"Error:", "error:"},
	},
}

// Platforms returns the platforms the plugin registers, in a stable order.
func Platforms() []string {
	return []string{PlatformIOSXE, PlatformNXOS, PlatformIOSXR, PlatformEOS, PlatformJunos, PlatformSRL}
}
