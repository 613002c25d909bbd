package textfsm_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gonorn/norn/textfsm"
)

const templatesDir = "testdata/templates"

func loadIndex(t testing.TB) *textfsm.Index {
	t.Helper()
	ix, err := textfsm.LoadIndex(templatesDir)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

const iosVersion = `Cisco IOS XE Software, Version 17.09.04a
Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.9.4a, RELEASE SOFTWARE (fc3)
Technical Support: http://www.cisco.com/techsupport

ROM: IOS-XE ROMMON
BOOTLDR: System Bootstrap, Version 17.9.1r, RELEASE SOFTWARE (P)

sw-ams-01 uptime is 3 weeks, 2 days, 5 hours, 12 minutes
Uptime for this control processor is 3 weeks, 2 days, 5 hours, 14 minutes

cisco C9300-48P (X86) processor with 1392780K/6147K bytes of memory.
Processor board ID FOC2331X0AB
Configuration register is 0x102
`

const iosIPBrief = `Interface                  IP-Address      OK? Method Status                Protocol
GigabitEthernet1           10.0.0.15       YES NVRAM  up                    up
GigabitEthernet2           unassigned      YES unset  administratively down down
Loopback0                  192.0.2.1       YES NVRAM  up                    up
`

func TestIndexParsePlatforms(t *testing.T) {
	ix := loadIndex(t)
	cases := []struct {
		platform, command, output string
		want                      []map[string]any
	}{
		{"cisco_iosxe", "show version", iosVersion, []map[string]any{{
			"version": "17.09.04a", "hostname": "sw-ams-01", "uptime": "3 weeks, 2 days, 5 hours, 12 minutes",
			"hardware": "C9300-48P", "serial": "FOC2331X0AB", "config_register": "0x102"}}},
		{"cisco_ios", "sh ver", "Cisco IOS Software, 1841 Software (C1841-ADVIPSERVICESK9-M), Version 12.4(15)T1, RELEASE SOFTWARE (fc2)\n" +
			"r1 uptime is 1 hour, 2 minutes\nCisco 1841 (revision 7.0) with 236544K/25600K bytes of memory.\nProcessor board ID FTX1234A5BC\n",
			[]map[string]any{{"version": "12.4(15)T1", "hostname": "r1", "uptime": "1 hour, 2 minutes", "hardware": "", "serial": "FTX1234A5BC", "config_register": ""}}},
		{"cisco_xe", "show ip int brief", iosIPBrief, []map[string]any{
			{"interface": "GigabitEthernet1", "ip_address": "10.0.0.15", "status": "up", "proto": "up"},
			{"interface": "GigabitEthernet2", "ip_address": "unassigned", "status": "administratively down", "proto": "down"},
			{"interface": "Loopback0", "ip_address": "192.0.2.1", "status": "up", "proto": "up"},
		}},
		{"cisco_iosxe", "show inventory", "NAME: \"Chassis\", DESCR: \"Cisco C8300-1N1S-6T Chassis\"\nPID: C8300-1N1S-6T     , VID: V02  , SN: FDO2412M0AB\n\n" +
			"NAME: \"Power Supply Module 0\", DESCR: \"Cisco 250W AC Power Supply\"\nPID: PWR-CC1-250WAC    , VID: V01  , SN: ART2405F0CD\n",
			[]map[string]any{
				{"name": "Chassis", "descr": "Cisco C8300-1N1S-6T Chassis", "pid": "C8300-1N1S-6T", "vid": "V02", "sn": "FDO2412M0AB"},
				{"name": "Power Supply Module 0", "descr": "Cisco 250W AC Power Supply", "pid": "PWR-CC1-250WAC", "vid": "V01", "sn": "ART2405F0CD"},
			}},
		{"nxos", "show version", "Software\n  BIOS: version 08.38\n  NXOS: version 9.3(10)\n\nHardware\n  cisco Nexus9000 C93180YC-EX chassis\n" +
			"  Processor Board ID FDO21120ABC\n\n  Device name: leaf-1\nKernel uptime is 12 day(s), 3 hour(s), 4 minute(s), 5 second(s)\n\n" +
			"Last reset at 123 usecs after Mon Jan  2 10:00:00 2023\n  Reason: Reset Requested by CLI command reload\n",
			[]map[string]any{{"os": "9.3(10)", "platform": "Nexus9000 C93180YC-EX", "hostname": "leaf-1",
				"uptime": "12 day(s), 3 hour(s), 4 minute(s), 5 second(s)", "serial": "FDO21120ABC", "last_reboot_reason": "Reset Requested by CLI command reload"}}},
		{"cisco_nxos", "show interface brief", "\n--------------------------------------------------------------------------------\n" +
			"Port   VRF          Status IP Address                              Speed    MTU\n" +
			"--------------------------------------------------------------------------------\n" +
			"mgmt0  --           up     10.0.0.15                               1000     1500\n\n" +
			"--------------------------------------------------------------------------------\n" +
			"Ethernet      VLAN    Type Mode   Status  Reason                   Speed     Port\n" +
			"Interface                                                                    Ch #\n" +
			"--------------------------------------------------------------------------------\n" +
			"Eth1/1        1       eth  access up      none                       10G(D) --\n" +
			"Eth1/2        --      eth  routed down    Link not connected         auto(D) 101\n\n" +
			"--------------------------------------------------------------------------------\n" +
			"Port-channel VLAN    Type Mode   Status  Reason                    Speed   Protocol\n" +
			"Interface\n" +
			"--------------------------------------------------------------------------------\n" +
			"Po101        1       eth  trunk  up      none                       a-10G(D)  lacp\n",
			[]map[string]any{
				{"interface": "Eth1/1", "vlan": "1", "type": "eth", "mode": "access", "status": "up", "reason": "none", "speed": "10G(D)", "port_channel": "--"},
				{"interface": "Eth1/2", "vlan": "--", "type": "eth", "mode": "routed", "status": "down", "reason": "Link not connected", "speed": "auto(D)", "port_channel": "101"},
			}},
		{"cisco_xr", "show ipv4 int brief", "Fri Dec  4 16:01:42.635 UTC\n\n" +
			"Interface                      IP-Address      Status          Protocol Vrf-Name\n" +
			"Loopback0                      192.0.2.1       Up              Up       default \n" +
			"MgmtEth0/RP0/CPU0/0            10.0.0.5        Up              Up       MGMT\n" +
			"GigabitEthernet0/0/0/0         unassigned      Shutdown        Down     default \n",
			[]map[string]any{
				{"interface": "Loopback0", "ip_address": "192.0.2.1", "status": "Up", "protocol": "Up", "vrf": "default"},
				{"interface": "MgmtEth0/RP0/CPU0/0", "ip_address": "10.0.0.5", "status": "Up", "protocol": "Up", "vrf": "MGMT"},
				{"interface": "GigabitEthernet0/0/0/0", "ip_address": "unassigned", "status": "Shutdown", "protocol": "Down", "vrf": "default"},
			}},
		{"eos", "sh ip int br", "                                                                               Address\n" +
			"Interface         IP Address           Status       Protocol           MTU    Owner  \n" +
			"----------------- -------------------- ------------ -------------- ---------- -------\n" +
			"Ethernet1         10.1.1.1/31          up           up                1500          \n" +
			"Loopback0         192.0.2.11/32        up           up               65535          \n" +
			"Vlan10            unassigned           admin down   down              1500\n",
			[]map[string]any{
				{"interface": "Ethernet1", "ip_address": "10.1.1.1/31", "status": "up", "protocol": "up", "mtu": "1500"},
				{"interface": "Loopback0", "ip_address": "192.0.2.11/32", "status": "up", "protocol": "up", "mtu": "65535"},
				{"interface": "Vlan10", "ip_address": "unassigned", "status": "admin down", "protocol": "down", "mtu": "1500"},
			}},
		{"cisco_iosxr", "show version", "Cisco IOS XR Software, Version 7.5.2\nCopyright (c) 2013-2022 by Cisco Systems, Inc.\n\n" +
			"cisco ASR9K Series (Intel 686 F6M14S4) processor with 6291456K bytes of memory.\nSystem uptime is 2 weeks 1 day 3 hours 4 minutes\n",
			[]map[string]any{{"version": "7.5.2", "hardware": "ASR9K Series", "uptime": "2 weeks 1 day 3 hours 4 minutes"}}},
		{"eos", "show version", "Arista DCS-7050SX3-48YC8-F\nHardware version: 11.02\nSerial number: JPE20123456\nSystem MAC address: 2899.3a00.0001\n\n" +
			"Software image version: 4.28.3M\nArchitecture: x86_64\n\nUptime: 5 weeks, 1 days, 2 hours and 3 minutes\nTotal memory: 8099732 kB\nFree memory: 6074799 kB\n",
			[]map[string]any{{"model": "DCS-7050SX3-48YC8-F", "hw_version": "11.02", "serial_number": "JPE20123456", "sys_mac": "2899.3a00.0001",
				"image": "4.28.3M", "uptime": "5 weeks, 1 days, 2 hours and 3 minutes", "total_memory": "8099732", "free_memory": "6074799"}}},
		{"junos", "show version", "Hostname: edge-1\nModel: mx204\nJunos: 21.4R3-S2.3\nJUNOS OS Kernel 64-bit  [20221220.9f1a53b_builder_stable_12]\nJUNOS Software Release [21.4R3-S2.3]\n",
			[]map[string]any{{"hostname": "edge-1", "model": "mx204", "junos_version": "21.4R3-S2.3"}}},
		{"juniper_junos", "show interfaces terse", "Interface               Admin Link Proto    Local                 Remote\n" +
			"ge-0/0/0                up    up\nge-0/0/0.0              up    up   inet     10.1.0.1/30\n                                   inet6    fe80::1/64\n" +
			"ge-0/0/1                down  down\nlo0                     up    up\nlo0.0                   up    up   inet     192.0.2.9/32\n",
			[]map[string]any{
				{"interface": "ge-0/0/0", "admin": "up", "link": "up", "proto": "", "local": []string{}},
				{"interface": "ge-0/0/0.0", "admin": "up", "link": "up", "proto": "inet6", "local": []string{"10.1.0.1/30", "fe80::1/64"}},
				{"interface": "ge-0/0/1", "admin": "down", "link": "down", "proto": "", "local": []string{}},
				{"interface": "lo0", "admin": "up", "link": "up", "proto": "", "local": []string{}},
				{"interface": "lo0.0", "admin": "up", "link": "up", "proto": "inet", "local": []string{"192.0.2.9/32"}},
			}},
	}
	for _, c := range cases {
		t.Run(c.platform+"/"+c.command, func(t *testing.T) {
			got, err := ix.Parse(c.platform, c.command, strings.ReplaceAll(c.output, "\n", "\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got\n%#v\nwant\n%#v", got, c.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	ix := loadIndex(t)
	for _, c := range []struct{ platform, command, template string }{
		{"cisco_iosxe", "sh ver", "cisco_ios_show_version.textfsm"},
		{"cisco_iosxe", "show   version", "cisco_ios_show_version.textfsm"},
		{"cisco_ios", "sho ip interface br", "cisco_ios_show_ip_interface_brief.textfsm"},
		{"cisco_xr", "show version", "cisco_xr_show_version.textfsm"},
		{"cisco_iosxr", "show ver", "cisco_xr_show_version.textfsm"},
		{"juniper_junos", "show interfaces terse", "juniper_junos_show_interfaces_terse.textfsm"},
		{"arista_eos", "show version detail", "arista_eos_show_version.textfsm"}, // prefix match, as clitable
	} {
		tpl, err := ix.Lookup(c.platform, c.command)
		if err != nil {
			t.Errorf("Lookup(%s, %q): %v", c.platform, c.command, err)
			continue
		}
		if filepath.Base(tpl.Name()) != c.template {
			t.Errorf("Lookup(%s, %q) = %s, want %s", c.platform, c.command, tpl.Name(), c.template)
		}
	}
	for _, c := range []struct{ platform, command string }{
		{"cisco_iosxe", "s ver"},          // "s" is not a completion of "sh"
		{"cisco_iosxe", "show vlan"},      // no template
		{"cisco_nxos", "show ip int br"},  // IOS template only
		{"cisco_ios_xe2", "show version"}, // platform matched whole, not as a prefix
	} {
		if _, err := ix.Lookup(c.platform, c.command); !errors.Is(err, textfsm.ErrNoTemplate) {
			t.Errorf("Lookup(%s, %q): err = %v, want ErrNoTemplate", c.platform, c.command, err)
		}
	}
}

func TestParseIndexErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", "idx: no header line"},
		{"# only comments\n\n", "idx: no header line"},
		{"Hostname, Platform, Command\n", "idx:1:1: header has no Template column"},
		{"Template, Platform\n", "idx:1:1: header has no Command column"},
		{"Template, Platform, Command\n\na.textfsm, cisco_ios\n", "idx:3:21: 2 columns, the header has 3"},
		{"Template, Platform, Command\na.textfsm, cisco_ios, show ver, extra\n", "idx:2:33: 4 columns, the header has 3"},
		{"Template, Platform, Command\na.textfsm, cisco_(ios, show ver\n", "idx:2:12: platform: error parsing regexp"},
		{"Template, Platform, Command\na.textfsm, cisco_ios, sh[[ow]] (ver\n", "idx:2:23: command: error parsing regexp"},
		{"Template, Platform, Command\n , cisco_ios, show ver\n", "idx:2:2: empty template"},
		{"Template, Template, Command\n", "idx:1:11: column \"Template\" twice"},
	} {
		_, err := textfsm.ParseIndex("dir", "idx", strings.NewReader(c.text))
		if err == nil || !errors.Is(err, textfsm.ErrIndex) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseIndex(%q): err = %v, want %q", c.text, err, c.want)
		}
	}
}

func TestJoinedTemplatesRefused(t *testing.T) {
	ix, err := textfsm.ParseIndex(t.TempDir(), "idx", strings.NewReader("Template, Platform, Command\na.textfsm:b.textfsm, cisco_ios, sh[[ow]] ver[[sion]]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Lookup("cisco_ios", "show version"); err == nil || !strings.Contains(err.Error(), "idx:2: several templates") {
		t.Errorf("err = %v", err)
	}
}

func TestTemplateErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", "t.textfsm:1: empty template"},
		{"Value A (\\S+\n\nStart\n  ^${A}\n", "t.textfsm:1: Value A: \"(\\\\S+\" must be contained within a '()' pair"},
		{"Value A ([)\n\nStart\n  ^${A}\n", "t.textfsm:1: Value A: invalid regular expression"},
		{"Value A (\\S+)\n\nStart\n  ^${A} -> Nowhere\n", `t.textfsm:4: state "Nowhere" not found, referenced in state "Start"`},
		{"Value A (\\S+)\n\nStart\n^${A}\n", "t.textfsm:4: missing white space or caret"},
		{"Value Bogus A (\\S+)\n\nStart\n  ^${A}\n", `t.textfsm:1: invalid option "Bogus"`},
		{"Value A (\\S+)\n\nStart\n  ^${A}\n  ^${B} -> Record\n", `t.textfsm:5: unknown Value "B" in rule`},
		{"Value A (\\S+)\n\nStart\n  ^${A} -> Continue Other\n\nOther\n  ^x\n", `t.textfsm:4: action "Continue" with a new state`},
		{"Value A (\\S+)\nStart\n", "t.textfsm:2: expected a blank line after the last Value"},
		{"Value A (\\S+)\n\nBegin\n  ^${A}\n", "missing state 'Start'"},
		{"Value A (\\S+)\n\nStart\n  ^${A}\n\nEOF\n  ^x\n", `t.textfsm:7: non-empty "EOF" state`},
		{"Value A \\S+\n\nStart\n  ^${A}\n", `t.textfsm:1: invalid option "A"`},
		{"Value A (x)\nValue A (y)\n\nStart\n  ^${A}\n", `t.textfsm:2: duplicate Value "A"`},
		{"Value A (x)\n\nStart\n  ^${A} -> Bad.Op\n", "t.textfsm:4: badly formatted rule"},
	} {
		_, err := textfsm.ParseTemplate("t.textfsm", c.text)
		if err == nil || !errors.Is(err, textfsm.ErrTemplate) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseTemplate(%q): err = %v, want %q", c.text, err, c.want)
		}
	}
	ix := loadIndex(t)
	_, err := ix.Parse("cisco_ios", "show ip interface brief", "Interface  IP-Address  OK? Method Status Protocol\nsomething else entirely\n")
	if !errors.Is(err, textfsm.ErrParse) {
		t.Errorf("Error action: err = %v, want ErrParse", err)
	}
}

func TestMissingTemplateFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index"), []byte("Template, Platform, Command\ngone.textfsm, cisco_ios, show clock\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix, err := textfsm.LoadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Parse("cisco_iosxe", "show clock", "x"); !errors.Is(err, textfsm.ErrTemplate) || !strings.Contains(err.Error(), "gone.textfsm") {
		t.Errorf("err = %v", err)
	}
	if _, err := textfsm.LoadIndex(filepath.Join(dir, "nope")); !errors.Is(err, textfsm.ErrIndex) {
		t.Errorf("missing dir: err = %v", err)
	}
	if _, err := textfsm.LoadIndex(""); err == nil || !strings.Contains(err.Error(), "NET_TEXTFSM") {
		t.Errorf("no dir: err = %v", err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("NET_TEXTFSM", "")
	t.Setenv("NTC_TEMPLATES_DIR", "/b")
	if d := textfsm.DefaultDir(); d != "/b" {
		t.Errorf("DefaultDir = %q", d)
	}
	t.Setenv("NET_TEXTFSM", "/a")
	if d := textfsm.DefaultDir(); d != "/a" {
		t.Errorf("DefaultDir = %q", d)
	}
}

// TestConcurrentParse checks that one compiled template serves many goroutines without
// records leaking between parses (gotextfsm keeps the record in the template).
func TestConcurrentParse(t *testing.T) {
	ix := loadIndex(t)
	tpl, err := ix.Lookup("juniper_junos", "show interfaces terse")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				name := fmt.Sprintf("ge-%d/0/%d", g, i)
				out := "Interface Admin Link Proto Local Remote\n" + name + ".0  up up inet 10.0.0.1/30\n"
				rows, err := tpl.Parse(out)
				if err != nil {
					t.Error(err)
					return
				}
				if len(rows) != 1 || rows[0]["interface"] != name+".0" || !reflect.DeepEqual(rows[0]["local"], []string{"10.0.0.1/30"}) {
					t.Errorf("rows = %v", rows)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestDecode(t *testing.T) {
	ix := loadIndex(t)
	rows, err := ix.Parse("cisco_iosxe", "show ip interface brief", iosIPBrief)
	if err != nil {
		t.Fatal(err)
	}
	type iface struct {
		Interface string
		IPAddress string `textfsm:"ip_address"`
		Status    string
		Proto     string
		Ignored   string `textfsm:"-"`
	}
	var got []iface
	if err := textfsm.Decode(rows, &got); err != nil {
		t.Fatal(err)
	}
	want := []iface{{"GigabitEthernet1", "10.0.0.15", "up", "up", ""}, {"GigabitEthernet2", "unassigned", "administratively down", "down", ""}, {"Loopback0", "192.0.2.1", "up", "up", ""}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}

	type typed struct {
		TotalMemory int64
		FreeMemory  uint
		Ratio       float64
		OK          bool
		Local       []string
		Name        []string
		Missing     int
	}
	var tv []*typed
	in := []map[string]any{{"total_memory": "1,024", "free_memory": "7", "ratio": "0.5", "ok": "True", "local": []string{"a", "b"}, "name": "x", "missing": ""}}
	if err := textfsm.Decode(in, &tv); err != nil {
		t.Fatal(err)
	}
	want2 := typed{TotalMemory: 1024, FreeMemory: 7, Ratio: 0.5, OK: true, Local: []string{"a", "b"}, Name: []string{"x"}}
	if len(tv) != 1 || !reflect.DeepEqual(*tv[0], want2) {
		t.Errorf("got %+v, want %+v", tv, want2)
	}
	if err := textfsm.Decode([]map[string]any{{"total_memory": "lots"}}, &tv); err == nil || !strings.Contains(err.Error(), "row 0 column total_memory into typed.TotalMemory") {
		t.Errorf("bad int: err = %v", err)
	}
	if err := textfsm.Decode(rows, got); err == nil {
		t.Error("non-pointer accepted")
	}
	var notStructs []string
	if err := textfsm.Decode(rows, &notStructs); err == nil {
		t.Error("slice of strings accepted")
	}
}

func TestTableText(t *testing.T) {
	ix := loadIndex(t)
	tb, err := ix.ParseTable("cisco_iosxe", "show ip interface brief", iosIPBrief)
	if err != nil {
		t.Fatal(err)
	}
	want := "INTERFACE         IP_ADDRESS  STATUS                 PROTO\n" +
		"GigabitEthernet1  10.0.0.15   up                     up\n" +
		"GigabitEthernet2  unassigned  administratively down  down\n" +
		"Loopback0         192.0.2.1   up                     up\n"
	if got := tb.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestLookupHost checks the index's Hostname column: a host-specific template first.
func TestLookupHost(t *testing.T) {
	dir := t.TempDir()
	tpl := "Value A (\\S+)\n\nStart\n  ^${A} -> Record\n"
	for name, text := range map[string]string{"index": "Template, Hostname, Platform, Command\nspecial.textfsm, lab-.*, cisco_ios, sh[[ow]] clock\ngeneric.textfsm, .*, cisco_ios, sh[[ow]] clock\n",
		"special.textfsm": tpl, "generic.textfsm": tpl} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := textfsm.LoadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"lab-r1": "special.textfsm", "core-r1": "generic.textfsm", "xlab-r1": "generic.textfsm"} {
		got, err := ix.LookupHost(host, "cisco_iosxe", "show clock")
		if err != nil || filepath.Base(got.Name()) != want {
			t.Errorf("%s: %v, %v; want %s", host, got, err, want)
		}
	}
}
