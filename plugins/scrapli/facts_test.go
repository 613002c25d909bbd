package scrapli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gonorn/norn/connection"
)

// loadRecorded returns the post-on-open output of command at level in the recorded
// real-device session of platform (../shared/device-sessions beside the repository), without
// its prompt.
func loadRecorded(platform, level, command string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "device-sessions", platform+".yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var doc struct {
		Prompts map[string]string `yaml:"privilege_level_prompts"`
		Events  map[string]map[string]map[string]struct {
			Output string `yaml:"channel_output"`
		} `yaml:"events"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	ev, ok := doc.Events[level]["post_on_open"][command]
	if !ok {
		return "", fmt.Errorf("%s: no %q at %s", path, command, level)
	}
	out := strings.TrimRight(ev.Output, " ")
	out = strings.TrimSuffix(out, strings.TrimRight(doc.Prompts[level], " "))
	return out, nil
}

// recorded is loadRecorded for a test, skipped when ../shared is not there.
func recorded(t testing.TB, platform, level, command string) string {
	t.Helper()
	out, err := loadRecorded(platform, level, command)
	if err != nil {
		t.Skipf("recorded sessions not available: %v", err)
	}
	return out
}

func TestParseVersionRecorded(t *testing.T) {
	cases := []struct {
		platform, level string
		want            connection.Facts
	}{
		{"cisco_iosxe", "privilege_exec", connection.Facts{Vendor: "Cisco", Model: "CSR1000V", Serial: "9IB2R42M6QG",
			OSVersion: "16.12.03", Hostname: "csr1000v", Uptime: 2*time.Hour + 17*time.Minute}},
		{"cisco_nxos", "privilege_exec", connection.Facts{Vendor: "Cisco", Model: "Nexus9000 9000v", Serial: "9FPSFFLS9ZL",
			OSVersion: "9.2(4)", Hostname: "switch", Uptime: 3*time.Hour + 31*time.Minute + 27*time.Second}},
		{"cisco_iosxr", "privilege_exec", connection.Facts{Vendor: "Cisco", Model: "IOS-XRv 9000",
			OSVersion: "6.5.3", Uptime: 3*time.Hour + 24*time.Minute}},
		{"arista_eos", "privilege_exec", connection.Facts{Vendor: "Arista", Model: "vEOS",
			OSVersion: "4.22.1F", Uptime: 4*time.Hour + 6*time.Minute}},
		{"juniper_junos", "exec", connection.Facts{Vendor: "Juniper", Model: "srx4100", OSVersion: "17.3R2.10"}},
	}
	for _, c := range cases {
		t.Run(c.platform, func(t *testing.T) {
			out := recorded(t, c.platform, c.level, "show version")
			got, err := ParseVersion(c.platform, out)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("ParseVersion(%s) =\n%+v, want\n%+v", c.platform, got, c.want)
			}
		})
	}
}

func TestParseVersionSamples(t *testing.T) {
	srl := `--------------------------------------------------------------------------------------
Hostname             : srl
Chassis Type         : 7220 IXR-D2
Part Number          : Sim Part No.
Serial Number        : Sim Serial No.
System HW MAC Address: 1A:B0:00:FF:00:00
Software Version     : v21.11.2
Build Number         : 172-g8e9e4a9e5d
Architecture         : x86_64
Last Booted          : 2022-03-01T09:34:37.829Z
Total Memory         : 24052875 kB
Free Memory          : 11950296 kB
--------------------------------------------------------------------------------------`
	f, err := ParseVersion("nokia_srl", srl)
	if err != nil {
		t.Fatal(err)
	}
	want := connection.Facts{Vendor: "Nokia", Model: "7220 IXR-D2", Serial: "Sim Serial No.", OSVersion: "v21.11.2", Hostname: "srl"}
	if f != want {
		t.Errorf("srl: %+v, want %+v", f, want)
	}

	ios := "Cisco IOS XE Software, Version 17.06.05\nrtr-1 uptime is 1 year, 2 weeks, 3 days, 4 hours, 5 minutes\n" +
		"cisco C9300-48P (X86) processor with 1K bytes of memory.\nProcessor board ID FOC123\n"
	f, err = ParseVersion("cisco_iosxe", ios)
	if err != nil {
		t.Fatal(err)
	}
	wantUp := 365*24*time.Hour + 2*7*24*time.Hour + 3*24*time.Hour + 4*time.Hour + 5*time.Minute
	if f.Hostname != "rtr-1" || f.Uptime != wantUp || f.Model != "C9300-48P" || f.Serial != "FOC123" {
		t.Errorf("iosxe: %+v", f)
	}

	if _, err := ParseVersion("cisco_iosxe", "% Invalid input detected at '^' marker."); !errors.Is(err, ErrParse) {
		t.Errorf("garbage: err = %v, want ErrParse", err)
	}
	if _, err := ParseVersion("vyos", "x"); !errors.Is(err, ErrParse) {
		t.Errorf("unknown platform: err = %v, want ErrParse", err)
	}
	if d := parseUptime("99999999 years"); d <= 0 {
		t.Errorf("saturating uptime = %v", d)
	}
}

func TestHostnameFromPrompt(t *testing.T) {
	for prompt, want := range map[string]string{
		"csr1000v#":                     "csr1000v",
		"csr1000v>":                     "csr1000v",
		"switch(config)#":               "switch",
		"RP/0/RP0/CPU0:ios#":            "ios",
		"admin@vsrx> ":                  "vsrx",
		"boxen>":                        "boxen",
		"localhost#":                    "localhost",
		"--{ running }--[  ]--\nA:srl#": "srl",
	} {
		if got := hostnameFromPrompt(prompt); got != want {
			t.Errorf("hostnameFromPrompt(%q) = %q, want %q", prompt, got, want)
		}
	}
}

// FuzzParseVersion checks that no device output makes the parser panic and that what it
// returns is well-formed: single-line fields, a version when it reports success, a non-negative
// uptime.
func FuzzParseVersion(f *testing.F) {
	for _, c := range []struct{ platform, level string }{
		{"cisco_iosxe", "privilege_exec"}, {"cisco_nxos", "privilege_exec"}, {"cisco_iosxr", "privilege_exec"},
		{"arista_eos", "privilege_exec"}, {"juniper_junos", "exec"},
	} {
		if out, err := loadRecorded(c.platform, c.level, "show version"); err == nil {
			f.Add(c.platform, out)
		}
	}
	f.Add("nokia_srl", "Hostname : a\nSoftware Version : v1\n")
	f.Add("cisco_iosxe", "x uptime is 99999999999 years, 5 days\nCisco IOS XE Software, Version 1\n")
	f.Add("arista_eos", "\n\n Arista DCS-7050\nSoftware image version: 4.28\nUptime: 1 week and 2 hours\n")
	f.Fuzz(func(t *testing.T, platform, output string) {
		facts, err := ParseVersion(platform, output)
		if err == nil && facts.OSVersion == "" {
			t.Fatalf("success without a version: %+v", facts)
		}
		if err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error %v does not wrap ErrParse", err)
		}
		for _, v := range []string{facts.Vendor, facts.Model, facts.Serial, facts.OSVersion, facts.Hostname} {
			if strings.ContainsAny(v, "\n") {
				t.Fatalf("multi-line field %q in %+v", v, facts)
			}
		}
		if facts.Uptime < 0 {
			t.Fatalf("negative uptime %v", facts.Uptime)
		}
		_ = hostnameFromPrompt(output)
	})
}
