package devsim

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"
)

// The recorded sessions of real devices (../shared/device-sessions, see its README) are
// replayed against the simulator: every event is typed into a fresh session at the recorded
// privilege level, before or after the on-open commands (paging off), and the simulator's
// output is compared with the device's. Outputs that do not depend on the particular device
// (prompts, error texts and markers, mode changes, enable, exit) must be byte-for-byte equal
// once carriage returns are removed (the recordings have none) and timestamps are masked. Long
// device-specific outputs (show version, the running configuration) are checked for structure:
// first line, key lines, paging marker and page length before the on-open commands, end
// marker and prompt after.

type recEvent struct {
	ChannelOutput        string `yaml:"channel_output"`
	ResultPrivilegeLevel string `yaml:"result_privilege_level"`
	ReturnsPrompt        bool   `yaml:"returns_prompt"`
	ClosesConnection     bool   `yaml:"closes_connection"`
	Type                 string `yaml:"type"`
	EventSteps           []struct {
		ChannelInput  string `yaml:"channel_input"`
		ChannelOutput string `yaml:"channel_output"`
		HiddenInput   bool   `yaml:"hidden_input"`
		ReturnsPrompt bool   `yaml:"returns_prompt"`
	} `yaml:"event_steps"`
}

type recording struct {
	InitialPrivilegeLevel string                                    `yaml:"initial_privilege_level"`
	PrivilegeLevelPrompts map[string]string                         `yaml:"privilege_level_prompts"`
	OnOpenInputs          []string                                  `yaml:"on_open_inputs"`
	Events                map[string]map[string]map[string]recEvent `yaml:"events"`
	UnknownEvents         map[string]map[string]recEvent            `yaml:"unknown_events"`
	platform              Platform
	device                DeviceConfig
	navigate              map[string][]string // commands from the initial level to a level
	deviceSpecific        map[string]bool
	keyLines              map[string][]string // for device-specific outputs: line prefixes both must have
	client                *ssh.Client
}

// sessionsDir finds ../shared/device-sessions from the module root.
func sessionsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("recorded device sessions not found: no go.mod above the test's directory")
		}
		dir = parent
	}
	s := filepath.Join(dir, "..", "shared", "device-sessions")
	if _, err := os.Stat(s); err != nil {
		t.Skipf("recorded device sessions not found at %s (the CI checkout has ../shared beside the repository): %v", s, err)
	}
	return s
}

const replaySecret = "s3cr3t-enable"

func loadRecording(t *testing.T, dir string, p Platform) *recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, string(p)+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var r recording
	if err := yaml.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s.yaml: %v", p, err)
	}
	r.platform = p
	priv := 15
	if r.InitialPrivilegeLevel == "exec" {
		priv = 1
	}
	r.device = DeviceConfig{Platform: p, Privilege: priv, EnableSecret: replaySecret, Seed: 42, ConfigSize: 6000}
	r.deviceSpecific = map[string]bool{"show version": true, "show run": true, "show configuration": true}
	switch p {
	case CiscoIOSXE:
		r.device.Name = "csr1000v"
		r.navigate = map[string][]string{"exec": {"disable"}, "configuration": {"configure terminal"}, "tclsh": {"tclsh"}}
		r.keyLines = map[string][]string{
			"show version": {"Cisco IOS XE Software, Version ", "Cisco IOS Software [", "ROM: IOS-XE ROMMON", "csr1000v uptime is ", "System image file is ", "Processor board ID ", "Configuration register is "},
			"show run":     {"Building configuration...", "Current configuration : ", "! Last configuration change at ", "version ", "hostname csr1000v", "enable secret 9 $9$", "interface GigabitEthernet1", "line vty 0 4", "end"},
		}
	case CiscoNXOS:
		r.device.Name = "switch"
		r.navigate = map[string][]string{"configuration": {"configure terminal"}, "tclsh": {"tclsh"}}
		r.keyLines = map[string][]string{
			"show version": {"Cisco Nexus Operating System (NX-OS) Software", "Software", " NXOS: version ", "  NXOS image file is: ", "Hardware", "  Processor Board ID ", "  Device name: switch", "Kernel uptime is "},
			"show run":     {"!Command: show running-config", "!Running configuration last done at: ", "!Time: ", "version ", "feature ", "username admin password 5 $5$", "interface mgmt0", "boot nxos bootflash:/"},
		}
	case CiscoIOSXR:
		r.device.Name = "ios"
		r.navigate = map[string][]string{"configuration": {"configure terminal"}, "configuration_exclusive": {"configure exclusive"}}
		r.keyLines = map[string][]string{
			"show version": {"Cisco IOS XR Software, Version ", "Copyright (c) ", "Build Information:", " Version      : ", "System uptime is "},
			"show run":     {"Building configuration...", "!! IOS XR Configuration version = ", "!! Last configuration change at ", "username ", "interface MgmtEth0/RP0/CPU0/0", "end"},
		}
	case AristaEOS:
		r.device.Name = "localhost"
		r.navigate = map[string][]string{"privilege_exec": {"enable", replaySecret}, "configuration": {"enable", replaySecret, "configure terminal"}}
		r.keyLines = map[string][]string{
			"show version": {"Hardware version:", "Serial number:", "System MAC address:", "Software image version:", "Architecture:", "Internal build version:", "Uptime:", "Total memory:", "Free memory:"},
			"show run":     {"! Command: show running-config", "! device: localhost (", "enable secret sha512 $6$", "username ", "interface Management1", "end"},
		}
	case JuniperJunos:
		r.device.Name = "vsrx-boxen"
		r.device.Username = "boxen"
		r.navigate = map[string][]string{"configuration": {"configure"}, "configuration_exclusive": {"configure exclusive"}, "configuration_private": {"configure private"}, "shell": {"start shell"}}
		r.keyLines = map[string][]string{
			"show version":       {"Model: ", "Junos: ", "JUNOS "},
			"show configuration": {"## Last commit: ", "version ", "system {", "    root-authentication {", "        encrypted-password \"$6$", "interfaces {"},
		}
	}
	return &r
}

// prompts returns what a level's prompt looks like at the end of output.
func (r *recording) prompt(level string) []string {
	p := r.PrivilegeLevelPrompts[level]
	return []string{p, p + " "}
}

var (
	xrStamp      = regexp.MustCompile(`(?m)^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-9]\d \d\d:\d\d:\d\d\.\d{3} UTC$`)
	junosChanged = regexp.MustCompile(`## Last changed: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\nversion [^;]+;`)
)

// mask hides what legitimately differs between two devices in short outputs.
func mask(s string) string {
	s = xrStamp.ReplaceAllString(s, "<TIMESTAMP>")
	s = junosChanged.ReplaceAllString(s, "## Last changed: <TIME>\nversion <VERSION>;")
	return s
}

func TestReplayRecordedSessions(t *testing.T) {
	dir := sessionsDir(t)
	for _, p := range Platforms() {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			r := loadRecording(t, dir, p)
			d := startDevice(t, r.device)
			if p == JuniperJunos {
				// the recorded vSRX has no host-name, so its prompt is the user's name only
				if err := d.Configure("delete system host-name"); err != nil {
					t.Fatal(err)
				}
			}
			levels := sortedKeys(r.Events)
			checked, failed := 0, 0
			fail := func(format string, args ...any) {
				t.Errorf(format, args...)
				if failed++; failed >= 5 {
					t.Fatalf("%s: stopping after %d mismatches", p, failed)
				}
			}
			for _, level := range levels {
				for _, phase := range []string{"pre_on_open", "post_on_open"} {
					for _, cmd := range sortedKeys(r.Events[level][phase]) {
						ev := r.Events[level][phase][cmd]
						name := fmt.Sprintf("%s/%s/%s", level, phase, cmd)
						if err := r.replay(t, d, level, phase, cmd, ev); err != nil {
							fail("%s: %v", name, err)
						}
						checked++
					}
					unk := r.UnknownEvents[level][phase]
					if err := r.replay(t, d, level, phase, "__UNKNOWN_INPUT__", unk); err != nil {
						fail("%s/%s/unknown input: %v", level, phase, err)
					}
					checked++
				}
			}
			t.Logf("%s: %d recorded events replayed", p, checked)
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// open starts a session at level, before or after the on-open commands.
func (r *recording) open(t *testing.T, d *Device, level, phase string) (*cli, error) {
	// sessions share one SSH connection (the simulator, unlike most routers, accepts several
	// session channels on one connection), which keeps the replay fast; a session that ends
	// with "exit" gets a connection of its own, since the device hangs it up
	if r.client == nil {
		client, err := ssh.Dial("tcp", d.Addr(), clientConfig(d.cfg.Username, sshPassword(d.cfg.Password)))
		if err != nil {
			return nil, err
		}
		r.client = client
		t.Cleanup(func() { client.Close() })
	}
	c, err := shellOn(r.client)
	if err != nil {
		return nil, err
	}
	c.t, c.shared, c.wait = t, true, 3*time.Second
	if _, err := c.readUntil(r.prompt(r.InitialPrivilegeLevel)...); err != nil {
		c.close()
		return nil, fmt.Errorf("first prompt: %w", err)
	}
	if phase == "post_on_open" {
		for _, in := range r.OnOpenInputs {
			if _, err := c.cmdErr(in, r.prompt(r.InitialPrivilegeLevel)...); err != nil {
				c.close()
				return nil, fmt.Errorf("on-open %q: %w", in, err)
			}
		}
	}
	nav := r.navigate[level]
	for i := 0; i < len(nav); i++ {
		if nav[i] == "enable" {
			if _, err := c.cmdErr("enable", "Password: "); err != nil {
				c.close()
				return nil, err
			}
			i++
			c.send(nav[i] + "\n")
			if _, err := c.readUntil(r.prompt("privilege_exec")...); err != nil {
				c.close()
				return nil, err
			}
			continue
		}
		if _, err := c.cmdErr(nav[i], r.prompt(level)...); err != nil {
			c.close()
			return nil, fmt.Errorf("to %s: %w", level, err)
		}
	}
	return c, nil
}

func (r *recording) replay(t *testing.T, d *Device, level, phase, cmd string, ev recEvent) error {
	if ev.ClosesConnection {
		// the hang-up takes the connection with it: use a connection of its own
		saved := r.client
		r.client = nil
		defer func() { r.client = saved }()
	}
	c, err := r.open(t, d, level, phase)
	if err != nil {
		return err
	}
	defer c.close()
	if ev.Type == "interactive" {
		for i, st := range ev.EventSteps {
			want := st.ChannelOutput
			var got string
			switch {
			case st.HiddenInput:
				c.send(replaySecret + "\n")
				got, err = c.readUntil(lastLine(want))
				got = strings.TrimPrefix(got, "\n")
			case st.ChannelInput == "\n":
				c.send("\n")
				got, err = c.readUntil(lastLine(want))
				got = strings.TrimPrefix(got, "\n")
			default:
				got, err = c.cmdErr(st.ChannelInput, lastLine(want))
			}
			if err != nil {
				return fmt.Errorf("step %d (%q): %w", i, st.ChannelInput, err)
			}
			if mask(got) != mask(want) {
				return fmt.Errorf("step %d (%q):\n got %q\nwant %q", i, st.ChannelInput, got, want)
			}
		}
		return nil
	}
	if ev.ClosesConnection {
		c.send(cmd)
		if _, err := c.readUntil(cmd); err != nil {
			return err
		}
		c.send("\n")
		out, err := c.readUntil("\x00never")
		if err != io.EOF {
			return fmt.Errorf("the device did not hang up: %v (output %q)", err, tail(out, 100))
		}
		return nil
	}
	want := ev.ChannelOutput
	// device-specific outputs: long ones, paged ones, and Junos' short show version
	if r.deviceSpecific[cmd] && (len(want) > 300 || !ev.ReturnsPrompt || r.platform == JuniperJunos && level == "exec") {
		return r.checkStructure(c, cmd, ev)
	}
	got, err := c.cmdErr(cmd, lastLine(want))
	if err != nil {
		return err
	}
	if mask(got) != mask(want) {
		return fmt.Errorf("\n got %q\nwant %q", got, want)
	}
	return nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// rows counts screen rows at 80 columns, as the pager does.
func rows(lines []string) int {
	n := 0
	for _, l := range lines {
		n += max(1, (len(l)+79)/80)
	}
	return n
}

func (r *recording) checkStructure(c *cli, cmd string, ev recEvent) error {
	want := ev.ChannelOutput
	end := lastLine(want)
	got, err := c.cmdErr(cmd, end)
	if err != nil {
		return err
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	if !ev.ReturnsPrompt {
		// paged: same marker, same number of screen rows before it
		if rows(gl[:len(gl)-1]) != rows(wl[:len(wl)-1]) {
			return fmt.Errorf("first page: %d rows before %q, the device shows %d\n got %q", rows(gl[:len(gl)-1]), end, rows(wl[:len(wl)-1]), got)
		}
	} else {
		// the end: the same lines after the last content line (end marker, blank lines, prompt)
		wt, gt := trailer(wl), trailer(gl)
		if strings.Join(wt, "\n") != strings.Join(gt, "\n") {
			return fmt.Errorf("output ends with %q, the device's with %q", gt, wt)
		}
	}
	// the same first line (up to its first digit; show version's names the model) and the key
	// lines
	if a, b := untilDigit(mask(firstContent(gl))), untilDigit(mask(firstContent(wl))); a != b && cmd != "show version" {
		return fmt.Errorf("first line %q, the device's %q", firstContent(gl), firstContent(wl))
	}
	for _, k := range r.keyLines[cmd] {
		if !ev.ReturnsPrompt {
			break // a first page: its layout is the device's own
		}
		if !hasLinePrefix(wl, k) {
			return fmt.Errorf("test bug: key line %q is not in the recording", k)
		}
		if !hasLinePrefix(gl, k) {
			return fmt.Errorf("no line starting %q in\n%s", k, got)
		}
	}
	return nil
}

func trailer(lines []string) []string {
	i := len(lines) - 2
	for i >= 0 && strings.TrimSpace(lines[i]) == "" {
		i--
	}
	if i >= 0 && (lines[i] == "end" || lines[i] == "}") {
		i--
	}
	return lines[i+1:]
}

func firstContent(lines []string) string {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return l
		}
	}
	return ""
}

func untilDigit(s string) string {
	if i := strings.IndexAny(s, "0123456789"); i >= 0 {
		return s[:i]
	}
	return s
}

func hasLinePrefix(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
