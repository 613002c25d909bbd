package devsim

import (
	"strings"
	"testing"
)

func TestIOSXEBasics(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "r1", Privilege: 1, Seed: 7})
	c := dial(t, d, "admin", "admin")
	if _, err := c.readUntil("r1>"); err != nil {
		t.Fatal(err)
	}
	// paging is on until terminal length 0
	out := c.cmd("show version", " --More-- ")
	if !strings.HasPrefix(out, "Cisco IOS XE Software, Version ") {
		t.Fatalf("show version: %q", out)
	}
	c.send("q")
	if _, err := c.readUntil("r1>"); err != nil {
		t.Fatal(err)
	}
	if got := c.cmd("terminal length 0", "r1>"); got != "r1>" {
		t.Fatalf("terminal length 0: %q", got)
	}
	if got := c.cmd("show run", "r1>"); got != "         ^\n% Invalid input detected at '^' marker.\n\nr1>" {
		t.Fatalf("show run at exec: %q", got)
	}
	if got := c.cmd("enable", "Password: "); got != "Password: " {
		t.Fatalf("enable: %q", got)
	}
	c.send("enable\n")
	if got, err := c.readUntil("r1#"); err != nil || got != "\nr1#" {
		t.Fatalf("after secret: %q %v", got, err)
	}
	out = c.cmd("show running-config", "r1#")
	if !strings.HasPrefix(out, "Building configuration...\n\nCurrent configuration : ") || !strings.HasSuffix(out, "\nend\n\nr1#") {
		t.Fatalf("show run: %q ... %q", out[:100], tail(out, 100))
	}
	if got := c.cmd("configure terminal", "r1(config)#"); got != "Enter configuration commands, one per line.  End with CNTL/Z.\nr1(config)#" {
		t.Fatalf("conf t: %q", got)
	}
	c.cmd("interface GigabitEthernet2", "r1(config-if)#")
	c.cmd("description TEST-LINK", "r1(config-if)#")
	c.cmd("hostname r2", "r2(config)#")
	c.cmd("end", "r2#")
	out = c.cmd("show running-config", "r2#")
	if !strings.Contains(out, "interface GigabitEthernet2\n description TEST-LINK\n") || !strings.Contains(out, "\nhostname r2\n") {
		t.Fatalf("change not in running config:\n%s", out)
	}
	c.send("exit\n")
	if _, err := c.readUntil("never"); err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("exit did not hang up: %v", err)
	}
}
