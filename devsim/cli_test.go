package devsim

import (
	"strings"
	"testing"
)

// Configuration changes typed in the CLI show in the next running configuration, per platform.

func TestNXOSConfigChange(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "nx1", Platform: CiscoNXOS, Seed: 11})
	c := dial(t, d, "admin", "admin")
	c.readUntil("nx1# ")
	c.cmd("terminal length 0", "nx1# ")
	c.cmd("configure terminal", "nx1(config)# ")
	c.cmd("interface Ethernet1/1", "nx1(config-if)# ")
	c.cmd("description CHANGED-BY-TEST", "nx1(config-if)# ")
	c.cmd("hostname nx2", "nx2(config)# ")
	c.cmd("ntp server 192.0.2.10 use-vrf management", "nx2(config)# ")
	if got := c.cmd("zzz line", "nx2(config)# "); got != "             ^\n% Invalid command at '^' marker.\nnx2(config)# " {
		t.Fatalf("error in config mode: %q", got)
	}
	c.cmd("end", "nx2# ")
	out := c.cmd("show running-config", "nx2# ")
	for _, want := range []string{"\nhostname nx2\n", "interface Ethernet1/1\n  description CHANGED-BY-TEST\n", "\nntp server 192.0.2.10 use-vrf management\n", "!Running configuration last done at: "} {
		if !strings.Contains(out, want) {
			t.Errorf("show running-config lacks %q", want)
		}
	}
	if got := c.cmd("copy running-config startup-config", "nx2# "); !strings.Contains(got, "Copy complete.") {
		t.Fatalf("copy run start: %q", got)
	}
}

func TestIOSXRCommit(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "xr1", Platform: CiscoIOSXR, Seed: 12})
	p := "RP/0/RP0/CPU0:xr1"
	c := dial(t, d, "admin", "admin")
	c.readUntil(p + "#")
	c.cmd("terminal length 0", p+"#")
	c.cmd("configure terminal", p+"(config)#")
	c.cmd("hostname xr2", p+"(config)#")
	c.cmd("interface GigabitEthernet0/0/0/0", p+"(config-if)#")
	c.cmd("description CHANGED-BY-TEST", p+"(config-if)#")
	if out := c.cmd("show running-config", p+"(config-if)#"); strings.Contains(out, "hostname xr2") {
		t.Fatal("an uncommitted change is in the running configuration")
	}
	if out := c.cmd("show configuration", p+"(config-if)#"); !strings.Contains(out, "hostname xr2\ninterface GigabitEthernet0/0/0/0\n description CHANGED-BY-TEST\n") {
		t.Fatalf("show configuration: %q", out)
	}
	if out := c.cmd("commit", "RP/0/RP0/CPU0:xr2(config-if)#"); !xrStamp.MatchString(strings.TrimSuffix(out, "\nRP/0/RP0/CPU0:xr2(config-if)#")) {
		t.Fatalf("commit: %q", out)
	}
	p = "RP/0/RP0/CPU0:xr2"
	c.cmd("end", p+"#")
	out := c.cmd("show running-config", p+"#")
	if !strings.Contains(out, "\nhostname xr2\n") || !strings.Contains(out, "interface GigabitEthernet0/0/0/0\n description CHANGED-BY-TEST\n") {
		t.Fatalf("committed change missing:\n%s", out)
	}
	// uncommitted changes: IOS-XR asks, and "no" throws them away
	c.cmd("configure", p+"(config)#")
	c.cmd("ntp server 192.0.2.1", p+"(config-ntp)#")
	c.cmd("root", p+"(config)#")
	if q := c.cmd("end", "[cancel]:"); q != "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:" {
		t.Fatalf("end with changes: %q", q)
	}
	c.cmd("no", p+"#")
	if out := c.cmd("show running-config", p+"#"); strings.Contains(out, "192.0.2.1") {
		t.Fatal("discarded change is in the running configuration")
	}
	// "commit comment ..." typed in a sub-mode commits, as on IOS-XR, rather than being taken
	// as a line of that sub-mode.
	c.cmd("configure", p+"(config)#")
	c.cmd("interface Loopback99", p+"(config-if)#")
	c.cmd("description LOOP99", p+"(config-if)#")
	c.cmd("commit comment from-submode", p+"(config-if)#")
	c.cmd("end", p+"#")
	out = c.cmd("show running-config", p+"#")
	if !strings.Contains(out, "interface Loopback99\n description LOOP99\n") || strings.Contains(out, "commit comment") {
		t.Fatalf("commit comment in a sub-mode:\n%s", out)
	}
}

func TestEOSEnableAndConfig(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "eos1", Platform: AristaEOS, Seed: 13, EnableSecret: "s3cr3t"})
	c := dial(t, d, "admin", "admin")
	c.readUntil("eos1>")
	if got := c.cmd("show running-config", "eos1>"); got != "% Invalid input (privileged mode required)\neos1>" {
		t.Fatalf("show run unprivileged: %q", got)
	}
	c.cmd("enable", "Password: ")
	c.send("wrong\n")
	if got, _ := c.readUntil("eos1>"); got != "\n% Access denied\neos1>" {
		t.Fatalf("wrong secret: %q", got)
	}
	c.cmd("enable", "Password: ")
	c.send("s3cr3t\n")
	c.readUntil("eos1#")
	c.cmd("terminal length 0", "eos1#")
	c.cmd("configure", "eos1(config)#")
	c.cmd("interface Ethernet1", "eos1(config-if-Et1)#")
	c.cmd("description CHANGED-BY-TEST", "eos1(config-if-Et1)#")
	c.cmd("exit", "eos1(config)#")
	c.cmd("hostname eos2", "eos2(config)#")
	c.cmd("end", "eos2#")
	out := c.cmd("show running-config", "eos2#")
	if !strings.Contains(out, "\nhostname eos2\n") || !strings.Contains(out, "interface Ethernet1\n   description CHANGED-BY-TEST\n") || !strings.HasPrefix(out, "! Command: show running-config\n! Time: ") {
		t.Fatalf("running config:\n%s", out)
	}
	if got := c.cmd("write memory", "eos2#"); got != "Copy completed successfully.\neos2#" {
		t.Fatalf("write memory: %q", got)
	}
}

func TestJunosCommit(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "j1", Platform: JuniperJunos, Seed: 14})
	c := dial(t, d, "admin", "admin")
	c.readUntil("admin@j1> ")
	c.cmd("set cli screen-length 0", "admin@j1> ")
	c.cmd("configure", "[edit]\nadmin@j1# ")
	c.cmd("set system host-name j2", "admin@j1# ")
	c.cmd(`set interfaces ge-0/0/1 description "CHANGED BY TEST"`, "admin@j1# ")
	c.cmd("edit protocols bgp group EXTERNAL", "[edit protocols bgp group EXTERNAL]\nadmin@j1# ")
	c.cmd("set neighbor 192.0.2.7 peer-as 65099", "admin@j1# ")
	c.cmd("top", "[edit]\nadmin@j1# ")
	if got := c.cmd("show | compare", "admin@j1# "); !strings.Contains(got, "[edit system]\n-  host-name j1;\n") || !strings.Contains(got, "+  host-name j2;") {
		t.Fatalf("show | compare: %q", got)
	}
	if got := c.cmd("commit", "admin@j2# "); got != " \ncommit complete\n\n[edit]\nadmin@j2# " {
		t.Fatalf("commit: %q", got)
	}
	c.cmd("exit", "admin@j2> ")
	out := c.cmd("show configuration", "admin@j2> ")
	for _, want := range []string{"    host-name j2;\n", "        description \"CHANGED BY TEST\";\n", "            neighbor 192.0.2.7 {\n                peer-as 65099;\n", "## Last commit: "} {
		if !strings.Contains(out, want) {
			t.Errorf("show configuration lacks %q", want)
		}
	}
	set := c.cmd("show configuration | display set | match host-name", "admin@j2> ")
	if set != " \nset system host-name j2\n\nadmin@j2> " {
		t.Fatalf("display set: %q", set)
	}
	// leaving with uncommitted changes asks first
	c.cmd("configure", "admin@j2# ")
	c.cmd("delete snmp", "admin@j2# ")
	if q := c.cmd("exit", "(yes) "); !strings.Contains(q, "Exit with uncommitted changes? [yes,no] (yes) ") {
		t.Fatalf("exit with changes: %q", q)
	}
	c.cmd("yes", "admin@j2> ")
	if out := c.cmd("show configuration snmp", "admin@j2> "); !strings.Contains(out, "community") {
		t.Fatalf("an uncommitted delete took effect: %q", out)
	}
	if got := c.cmd("show configuration bogus", "admin@j2> "); !strings.Contains(got, "syntax error") {
		t.Fatalf("bad path: %q", got)
	}
}

func TestPagingKeys(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "pg", Seed: 15, ConfigSize: 8000})
	c := dial(t, d, "admin", "admin")
	c.readUntil("pg#")
	first := c.cmd("show running-config", " --More-- ")
	if n := strings.Count(first, "\n"); n != 24 { // "Building configuration..." + 23 rows
		t.Fatalf("first page has %d lines:\n%s", n, first)
	}
	c.send("\r") // return: one more line
	one, _ := c.readUntil(" --More-- ")
	if got := strings.Count(one, "\n"); got != 1 {
		t.Fatalf("return showed %d lines: %q", got, one)
	}
	c.send(" ") // space: a page
	page, _ := c.readUntil(" --More-- ")
	if got := strings.Count(page, "\n"); got != 23 {
		t.Fatalf("space showed %d lines", got)
	}
	c.send("q")
	if rest, err := c.readUntil("pg#"); err != nil || strings.Contains(rest, "\nend\n") {
		t.Fatalf("q did not stop the output: %v", err)
	}
	// ^Z leaves configuration mode
	c.cmd("configure terminal", "pg(config)#")
	c.send("\x1a")
	if got, err := c.readUntil("pg#"); err != nil || got != "^Z\npg#" {
		t.Fatalf("^Z: %q %v", got, err)
	}
}

func TestIOSXEEnableSecretChange(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "en", Privilege: 1})
	if err := d.Configure("enable secret 0 N3w-secret"); err != nil {
		t.Fatal(err)
	}
	if cfg := d.RunningConfig(); strings.Contains(cfg, "N3w-secret") || !strings.Contains(cfg, "\nenable secret 9 $9$") {
		t.Fatal("the enable secret is not stored hashed")
	}
	c := dial(t, d, "admin", "admin")
	c.readUntil("en>")
	c.cmd("enable", "Password: ")
	c.send("enable\n") // the old secret
	if got, _ := c.readUntil("Password: "); got != "\nPassword: " {
		t.Fatalf("old secret: %q", got)
	}
	c.send("N3w-secret\n")
	if _, err := c.readUntil("en#"); err != nil {
		t.Fatal(err)
	}
}

func TestNoHostname(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "named"})
	if err := d.Configure("no hostname"); err != nil {
		t.Fatal(err)
	}
	if d.Hostname() != "Router" {
		t.Fatalf("hostname after no hostname: %q", d.Hostname())
	}
	c := dial(t, d, "admin", "admin")
	if _, err := c.readUntil("Router#"); err != nil {
		t.Fatal(err)
	}
}
