package scrapli

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gonorn/norn/connection"
)

// ErrParse is wrapped by ParseVersion's errors: the output is not a recognizable "show version".
var ErrParse = errors.New("scrapli: cannot parse device output")

// The "show version" readers. Each pattern is anchored on the words the platform prints before
// the value, so that a line the parser does not know yields nothing rather than a wrong value.
// The formats are those of real devices (vendor documentation, public outputs), covered by the
// golden tests in facts_test.go.
var (
	// A version: digits, a dot, digits (16.12.03, 12.4(15)T1, 9.3(10), 4.28.3M, 21.4R3-S2.3).
	reVersionLike = regexp.MustCompile(`^\d+\.\d+`)

	reIOSXEVersion = regexp.MustCompile(`(?m)^Cisco IOS[ -]XE Software, Version (\S+)`)
	reIOSVersion   = regexp.MustCompile(`(?m)^(?:Cisco IOS Software|IOS \(tm\)).*?, Version ([^,\s]+)`)
	reUptimeLine   = regexp.MustCompile(`(?m)^(\S+) uptime is (.+)$`)
	// "cisco C9300-48P (X86) processor (revision V01) with 1392780K/6147K bytes of memory.",
	// "Cisco 1801 (MPC8500) processor (revision 0x400) with ...", "Cisco IOSv (revision 1.0)
	// with  with 460033K/62464K bytes of memory.", "Cisco C881-K9 (revision 1.0) with ...".
	reCiscoModel   = regexp.MustCompile(`(?m)^(?:[Cc]isco|Allen-Bradley) (\S+) \([^)\n]*\) (?:processor|with) .*bytes of memory`)
	reModelNumber  = regexp.MustCompile(`(?m)^Model [Nn]umber\s*:[ \t]*(\S+)`)
	reBoardID      = regexp.MustCompile(`(?m)^Processor board ID ([^\s,]+)`)
	reSystemSerial = regexp.MustCompile(`(?m)^System [Ss]erial [Nn]umber\s*:[ \t]*(\S+)`)

	reNXOSVersion = regexp.MustCompile(`(?m)^\s*(?:NXOS|NX-OS|system):\s+version\s+(\S+)`)
	reNXOSHWLine  = regexp.MustCompile(`(?m)^Hardware\s*\n\s+cisco (.+)$`)
	reNXOSQuoted  = regexp.MustCompile(`\s*\("[^"]*"\)\s*$`)
	reNXOSChassis = regexp.MustCompile(`(?i)\s+chassis$`)
	reNXOSBoardID = regexp.MustCompile(`(?m)^\s+Processor Board ID (\S+)`)
	reNXOSDevice  = regexp.MustCompile(`(?m)^\s*Device name:\s*(\S+)`)
	reNXOSUptime  = regexp.MustCompile(`(?m)^\s*Kernel uptime is (.+)$`)

	reXRVersion = regexp.MustCompile(`(?m)^Cisco IOS XR Software, Version ([^\s\[]+)`)
	// "cisco ASR9K Series (Intel 686 F6M14S4) processor", "cisco NCS-5500 (Intel(R) Xeon(R) CPU
	// D-1530 @ 2.40GHz) processor", "cisco IOS-XRv 9000 () processor": the model ends at the
	// first " (".
	reXRModel  = regexp.MustCompile(`(?m)^cisco ([^(\n]+?) \(.*\) processor`)
	reXRUptime = regexp.MustCompile(`(?m)^System uptime is (.+)$`)

	reEOSVersion = regexp.MustCompile(`(?m)^Software image version:\s*(\S+)`)
	reEOSSerial  = regexp.MustCompile(`(?m)^Serial number:[ \t]*(\S*)`)
	reEOSUptime  = regexp.MustCompile(`(?m)^Uptime:\s*(.+)$`)
	reEOSModel   = regexp.MustCompile(`^(?:Arista )?([^\s:]+)$`)

	reJunosVersion = regexp.MustCompile(`(?m)^Junos:\s*(\S+)`)
	// Only the packages that carry the release: on vmhost and recent releases the other
	// "JUNOS ... [...]" lines carry build stamps ("JUNOS OS Kernel 64-bit [20220419.9889e6f_...]").
	reJunosRelease  = regexp.MustCompile(`(?m)^JUNOS (?:Software Release|Base OS boot|Base OS Software Suite|Kernel Software Suite) \[([^\]\s]+)\]`)
	reJunosModel    = regexp.MustCompile(`(?m)^Model:\s*(\S+)`)
	reJunosHostname = regexp.MustCompile(`(?m)^Hostname:\s*(\S+)`)
	reJunosChassis  = regexp.MustCompile(`(?m)^Chassis[ \t]+(\S+)[ \t]+\S`)

	reSRLField   = regexp.MustCompile(`(?m)^(Hostname|Chassis Type|Serial Number|Software Version)\s*:[ \t]*(.*?)\s*$`)
	reUptimePart = regexp.MustCompile(`(?i)(\d{1,9})\s*(year|week|day|hour|minute|second)`)
)

// ParseVersion parses the output of "show version" of platform (cisco_iosxe, cisco_nxos,
// cisco_iosxr, arista_eos, juniper_junos, nokia_srl) into facts. Fields the output does not
// carry stay empty (IOS-XR, EOS and Junos do not always print the hostname: the session fills it
// from the prompt; Junos prints no serial number: see ParseChassisSerial). A line the parser
// does not recognize leaves its field empty rather than filling it with a wrong value. It
// returns an error wrapping ErrParse when no software version is found, and the facts it did
// find.
func ParseVersion(platform, output string) (connection.Facts, error) {
	output = strings.ReplaceAll(output, "\r", "")
	var f connection.Facts
	switch platform {
	case "cisco_iosxe":
		f = parseIOS(output)
	case "cisco_nxos":
		f = parseNXOS(output)
	case "cisco_iosxr":
		f = parseIOSXR(output)
	case "arista_eos":
		f = parseEOS(output)
	case "juniper_junos":
		f = parseJunos(output)
	case "nokia_srl":
		f.Vendor = "Nokia"
		for _, m := range reSRLField.FindAllStringSubmatch(output, -1) {
			switch m[1] {
			case "Hostname":
				f.Hostname = m[2]
			case "Chassis Type":
				f.Model = m[2]
			case "Serial Number":
				f.Serial = m[2]
			case "Software Version":
				f.OSVersion = m[2]
			}
		}
	default:
		return f, fmt.Errorf("%w: no show version parser for platform %q", ErrParse, platform)
	}
	if f.OSVersion == "" {
		return f, fmt.Errorf("%w: %s show version: no software version found", ErrParse, platform)
	}
	return f, nil
}

// parseIOS reads IOS and IOS-XE.
func parseIOS(out string) connection.Facts {
	f := connection.Facts{Vendor: "Cisco"}
	// IOS-XE prints its version twice: "Cisco IOS XE Software, Version 17.06.05" and the IOS
	// line "..., Version 17.6.5, RELEASE SOFTWARE". Special builds print a name on the first
	// ("Version V169_5_SR689355441_2"): the IOS line then has the release.
	for _, re := range []*regexp.Regexp{reIOSXEVersion, reIOSVersion} {
		if v := first(re, out); reVersionLike.MatchString(v) {
			f.OSVersion = v
			break
		}
	}
	for _, m := range reUptimeLine.FindAllStringSubmatch(out, -1) {
		if m[1] != "System" && m[1] != "Kernel" { // IOS-XR's and NX-OS's lines, no host name
			f.Hostname, f.Uptime = m[1], parseUptime(m[2])
			break
		}
	}
	// Catalyst switches print a "Model Number" table: it names the model even when the
	// processor line names an OEM brand or a board.
	f.Model = first(reModelNumber, out)
	if f.Model == "" {
		f.Model = first(reCiscoModel, out)
	}
	f.Serial = first(reBoardID, out)
	if f.Serial == "" {
		f.Serial = first(reSystemSerial, out)
	}
	return f
}

func parseNXOS(out string) connection.Facts {
	f := connection.Facts{Vendor: "Cisco"}
	f.OSVersion = first(reNXOSVersion, out)
	// The first line of the Hardware section: "cisco Nexus9000 C93180YC-EX chassis",
	// "cisco Nexus7000 C7010 (10 Slot) Chassis ("Supervisor Module-2")", and on ACI leaves
	// "cisco N9K-C93180LC-EX ("supervisor")" without "Chassis".
	if hw := first(reNXOSHWLine, out); hw != "" {
		hw = reNXOSQuoted.ReplaceAllString(hw, "")
		hw = reNXOSChassis.ReplaceAllString(strings.TrimSpace(hw), "")
		if !strings.ContainsAny(hw, `"`) {
			f.Model = strings.TrimSpace(hw)
		}
	}
	f.Serial = first(reNXOSBoardID, out)
	f.Hostname = first(reNXOSDevice, out)
	if u := first(reNXOSUptime, out); u != "" {
		f.Uptime = parseUptime(u)
	}
	return f
}

func parseIOSXR(out string) connection.Facts {
	f := connection.Facts{Vendor: "Cisco"}
	f.OSVersion = first(reXRVersion, out)
	f.Model = first(reXRModel, out)
	if u := first(reXRUptime, out); u != "" {
		f.Uptime = parseUptime(u)
	} else if m := reUptimeLine.FindStringSubmatch(out); m != nil {
		// 32-bit IOS-XR: "router1 uptime is 4 weeks, ..."
		f.Hostname, f.Uptime = m[1], parseUptime(m[2])
	}
	f.Serial = first(reBoardID, out)
	return f
}

func parseEOS(out string) connection.Facts {
	f := connection.Facts{Vendor: "Arista"}
	f.OSVersion = first(reEOSVersion, out)
	f.Serial = first(reEOSSerial, out)
	if u := first(reEOSUptime, out); u != "" {
		f.Uptime = parseUptime(u)
	}
	// The model is the first line: "Arista DCS-7050SX3-48YC8-F", "Arista vEOS-lab", " vEOS"
	// (vEOS 4.22): one word, after "Arista".
	for line := range strings.SplitSeq(out, "\n") {
		if l := strings.TrimSpace(line); l != "" {
			f.Model = first(reEOSModel, l)
			break
		}
	}
	return f
}

func parseJunos(out string) connection.Facts {
	f := connection.Facts{Vendor: "Juniper"}
	// Chassis clusters and multi-RE systems print one section per node ("node0:",
	// "fpc0:"); the first is the local one.
	f.OSVersion = first(reJunosVersion, out)
	if !reVersionLike.MatchString(f.OSVersion) {
		f.OSVersion = ""
		if v := first(reJunosRelease, out); reVersionLike.MatchString(v) {
			f.OSVersion = v
		}
	}
	f.Model = first(reJunosModel, out)
	f.Hostname = first(reJunosHostname, out)
	return f
}

// serialCommands are the commands that give the serial number on platforms whose "show
// version" does not print it.
var serialCommands = map[string]string{
	"juniper_junos": "show chassis hardware",
}

// ParseChassisSerial returns the chassis serial number in the output of Junos "show chassis
// hardware" (the Serial number column of the Chassis line), or "".
func ParseChassisSerial(output string) string {
	output = strings.ReplaceAll(output, "\r", "")
	header := -1
	for line := range strings.SplitSeq(output, "\n") {
		if i := strings.Index(line, "Serial number"); i >= 0 && strings.HasPrefix(strings.TrimSpace(line), "Item") {
			header = i
			continue
		}
		if header < 0 || !strings.HasPrefix(line, "Chassis") {
			continue
		}
		// The serial starts under the header's "Serial number" column.
		if len(line) > header && (header == 0 || line[header-1] == ' ') && line[header] != ' ' {
			return strings.Fields(line[header:])[0]
		}
		return ""
	}
	if header < 0 {
		// No header (an excerpt): "Chassis  <serial>  <description>".
		return first(reJunosChassis, output)
	}
	return ""
}

func first(re *regexp.Regexp, s string) string {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

// parseUptime reads "1 year, 2 weeks, 3 days, 4 hours, 5 minutes", "0 day(s), 3 hour(s), ...",
// "3 hours 24 minutes", "0 weeks, 0 days, 4 hours and 6 minutes". It saturates instead of
// overflowing.
func parseUptime(s string) time.Duration {
	var total time.Duration
	for _, m := range reUptimePart.FindAllStringSubmatch(s, -1) {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			continue
		}
		var unit time.Duration
		switch strings.ToLower(m[2]) {
		case "year":
			unit = 365 * 24 * time.Hour
		case "week":
			unit = 7 * 24 * time.Hour
		case "day":
			unit = 24 * time.Hour
		case "hour":
			unit = time.Hour
		case "minute":
			unit = time.Minute
		case "second":
			unit = time.Second
		}
		if n > int64(math.MaxInt64/unit) {
			return time.Duration(math.MaxInt64)
		}
		d := time.Duration(n) * unit
		if total > time.Duration(math.MaxInt64)-d {
			return time.Duration(math.MaxInt64)
		}
		total += d
	}
	return total
}

// hostnameFromPrompt returns the device name in a prompt: "csr1000v#" -> "csr1000v",
// "RP/0/RP0/CPU0:ios#" -> "ios", "admin@boxen>" -> "boxen", "switch(config)#" -> "switch",
// "A:srl#" (last line of an SR Linux prompt) -> "srl".
func hostnameFromPrompt(prompt string) string {
	p := strings.TrimSpace(prompt)
	if i := strings.LastIndexByte(p, '\n'); i >= 0 {
		p = strings.TrimSpace(p[i+1:])
	}
	p = strings.TrimRight(p, "#>$% ")
	if i := strings.IndexByte(p, '('); i >= 0 {
		p = p[:i]
	}
	if i := strings.LastIndexByte(p, '@'); i >= 0 {
		p = p[i+1:]
	}
	if i := strings.LastIndexByte(p, ':'); i >= 0 {
		p = p[i+1:]
	}
	return p
}
