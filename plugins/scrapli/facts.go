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

var (
	reIOSXEVersion  = regexp.MustCompile(`(?m)^Cisco IOS[ -]XE Software, Version (\S+)`)
	reIOSVersion    = regexp.MustCompile(`(?m)^Cisco IOS Software.*?, Version ([^,\s]+)`)
	reUptimeLine    = regexp.MustCompile(`(?m)^(\S+) uptime is (.+)$`)
	reCiscoModel    = regexp.MustCompile(`(?m)^cisco (\S+) .*?processor`)
	reBoardID       = regexp.MustCompile(`(?mi)^\s*Processor board ID (\S+)`)
	reNXOSVersion   = regexp.MustCompile(`(?m)^\s*(?:NXOS|NX-OS|system):\s+version\s+(\S+)`)
	reNXOSModel     = regexp.MustCompile(`(?m)^\s*cisco (.+?)\s+[Cc]hassis`)
	reNXOSDevice    = regexp.MustCompile(`(?m)^\s*Device name:\s*(\S+)`)
	reNXOSUptime    = regexp.MustCompile(`(?m)^\s*Kernel uptime is (.+)$`)
	reXRVersion     = regexp.MustCompile(`(?m)^Cisco IOS XR Software, Version ([^\s\[]+)`)
	reXRModel       = regexp.MustCompile(`(?m)^cisco (.+?) (?:\([^)\n]*\) )?processor`)
	reXRUptime      = regexp.MustCompile(`(?m)^System uptime is (.+)$`)
	reEOSVersion    = regexp.MustCompile(`(?m)^Software image version:\s*(\S+)`)
	reEOSSerial     = regexp.MustCompile(`(?m)^Serial number:[ \t]*(\S*)`)
	reEOSUptime     = regexp.MustCompile(`(?m)^Uptime:\s*(.+)$`)
	reJunosVersion  = regexp.MustCompile(`(?m)^Junos:\s*(\S+)`)
	reJunosRelease  = regexp.MustCompile(`(?m)^JUNOS .*?\[([^\]\s]+)\]`)
	reJunosModel    = regexp.MustCompile(`(?m)^Model:\s*(\S+)`)
	reJunosHostname = regexp.MustCompile(`(?m)^Hostname:\s*(\S+)`)
	reSRLField      = regexp.MustCompile(`(?m)^(Hostname|Chassis Type|Serial Number|Software Version)\s*:[ \t]*(.*?)\s*$`)
	reUptimePart    = regexp.MustCompile(`(?i)(\d{1,9})\s*(year|week|day|hour|minute|second)`)
)

// ParseVersion parses the output of "show version" of platform (cisco_iosxe, cisco_nxos,
// cisco_iosxr, arista_eos, juniper_junos, nokia_srl) into facts. Fields the output does not
// carry stay empty (IOS-XR, EOS and Junos do not always print the hostname: the session fills it
// from the prompt). It returns an error wrapping ErrParse when no software version is found, and
// the facts it did find.
func ParseVersion(platform, output string) (connection.Facts, error) {
	output = strings.ReplaceAll(output, "\r", "")
	var f connection.Facts
	switch platform {
	case "cisco_iosxe":
		f.Vendor = "Cisco"
		f.OSVersion = first(reIOSXEVersion, output)
		if f.OSVersion == "" {
			f.OSVersion = first(reIOSVersion, output)
		}
		if m := reUptimeLine.FindStringSubmatch(output); m != nil {
			f.Hostname, f.Uptime = m[1], parseUptime(m[2])
		}
		f.Model = first(reCiscoModel, output)
		f.Serial = first(reBoardID, output)
	case "cisco_nxos":
		f.Vendor = "Cisco"
		f.OSVersion = first(reNXOSVersion, output)
		f.Model = first(reNXOSModel, output)
		f.Serial = first(reBoardID, output)
		f.Hostname = first(reNXOSDevice, output)
		if u := first(reNXOSUptime, output); u != "" {
			f.Uptime = parseUptime(u)
		}
	case "cisco_iosxr":
		f.Vendor = "Cisco"
		f.OSVersion = first(reXRVersion, output)
		f.Model = first(reXRModel, output)
		if u := first(reXRUptime, output); u != "" {
			f.Uptime = parseUptime(u)
		} else if m := reUptimeLine.FindStringSubmatch(output); m != nil {
			f.Hostname, f.Uptime = m[1], parseUptime(m[2])
		}
		f.Serial = first(reBoardID, output)
	case "arista_eos":
		f.Vendor = "Arista"
		f.OSVersion = first(reEOSVersion, output)
		f.Serial = first(reEOSSerial, output)
		if u := first(reEOSUptime, output); u != "" {
			f.Uptime = parseUptime(u)
		}
		for line := range strings.SplitSeq(output, "\n") {
			if l := strings.TrimSpace(line); l != "" {
				if !strings.Contains(l, ":") {
					f.Model = strings.TrimSpace(strings.TrimPrefix(l, "Arista "))
				}
				break
			}
		}
	case "juniper_junos":
		f.Vendor = "Juniper"
		f.OSVersion = first(reJunosVersion, output)
		if f.OSVersion == "" {
			f.OSVersion = first(reJunosRelease, output)
		}
		f.Model = first(reJunosModel, output)
		f.Hostname = first(reJunosHostname, output)
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
