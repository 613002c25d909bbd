package devsim

import (
	"strings"
	"testing"
	"time"
)

// waitFor polls cond (a device's own timer is running) for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestJunosCommitConfirmedRollsBackUnconfirmed(t *testing.T) {
	d := startDevice(t, DeviceConfig{Platform: JuniperJunos, Name: "j1", ConfirmUnit: time.Millisecond})
	before := d.RunningConfig()
	c := dial(t, d, "admin", "admin")
	if _, err := c.readUntil("admin@j1> "); err != nil {
		t.Fatal(err)
	}
	c.cmd("configure", "admin@j1# ")
	c.cmd("set system location building b1", "admin@j1# ")
	out := c.cmd("commit confirmed 1", "admin@j1# ")
	if !strings.Contains(out, "commit confirmed will be automatically rolled back in 1 minutes unless confirmed") {
		t.Fatalf("commit confirmed: %q", out)
	}
	if !strings.Contains(d.RunningConfig(), "building b1") || !d.PendingConfirm() {
		t.Fatal("commit confirmed did not take effect or is not pending")
	}
	waitFor(t, "the automatic rollback", func() bool { return !d.PendingConfirm() })
	if got := d.RunningConfig(); strings.Contains(got, "building b1") {
		t.Fatal("not rolled back")
	}
	if d.Stats().AutoRollbacks != 1 {
		t.Fatalf("AutoRollbacks = %d", d.Stats().AutoRollbacks)
	}
	// confirmed in time: stays; rollback 1 + commit undoes it
	d2 := startDevice(t, DeviceConfig{Platform: JuniperJunos, Name: "j2", ConfirmUnit: time.Hour})
	c2 := dial(t, d2, "admin", "admin")
	c2.readUntil("admin@j2> ")
	c2.cmd("configure", "admin@j2# ")
	c2.cmd("set system location building b2", "admin@j2# ")
	c2.cmd("commit confirmed 5", "admin@j2# ")
	c2.cmd("commit", "admin@j2# ")
	if d2.PendingConfirm() || !strings.Contains(d2.RunningConfig(), "building b2") {
		t.Fatal("confirming commit did not confirm")
	}
	c2.cmd("rollback 1", "admin@j2# ")
	c2.cmd("commit", "admin@j2# ")
	if strings.Contains(d2.RunningConfig(), "building b2") {
		t.Fatal("rollback 1 did not undo the change")
	}
	_ = before
}

func TestIOSXRCommitConfirmedAndRollbackLast(t *testing.T) {
	d := startDevice(t, DeviceConfig{Platform: CiscoIOSXR, Name: "xr1", ConfirmUnit: time.Millisecond})
	c := dial(t, d, "admin", "admin")
	p := "RP/0/RP0/CPU0:xr1#"
	if _, err := c.readUntil(p); err != nil {
		t.Fatal(err)
	}
	c.cmd("configure", "RP/0/RP0/CPU0:xr1(config)#")
	c.cmd("snmp-server location lab9", "RP/0/RP0/CPU0:xr1(config)#")
	c.cmd("commit confirmed 30", "RP/0/RP0/CPU0:xr1(config)#")
	if !strings.Contains(d.RunningConfig(), "snmp-server location lab9") {
		t.Fatal("commit confirmed did not apply")
	}
	waitFor(t, "the automatic rollback", func() bool { return !d.PendingConfirm() })
	if strings.Contains(d.RunningConfig(), "snmp-server location lab9") {
		t.Fatal("not rolled back")
	}
	c.cmd("snmp-server location lab10", "RP/0/RP0/CPU0:xr1(config)#")
	c.cmd("commit", "RP/0/RP0/CPU0:xr1(config)#")
	c.cmd("end", p)
	out := c.cmd("rollback configuration last 1", p)
	if !strings.Contains(out, "Configuration successfully rolled back 1 commits.") || strings.Contains(d.RunningConfig(), "lab10") {
		t.Fatalf("rollback configuration last 1: %q", out)
	}
}

func TestEOSConfigureSessionTimer(t *testing.T) {
	d := startDevice(t, DeviceConfig{Platform: AristaEOS, Name: "sw1", Privilege: 15, ConfirmUnit: time.Hour})
	c := dial(t, d, "admin", "admin")
	c.readUntil("sw1#")
	c.cmd("configure session s1", "sw1(config-s-s1)#")
	c.cmd("interface Ethernet1", "sw1(config-s-s1-if-Et1)#")
	c.cmd("description via-session", "sw1(config-s-s1-if-Et1)#")
	if strings.Contains(d.RunningConfig(), "via-session") {
		t.Fatal("session lines reached the running configuration before commit")
	}
	c.cmd("commit timer 00:05:00", "sw1#")
	if !strings.Contains(d.RunningConfig(), "via-session") || !d.PendingConfirm() {
		t.Fatal("commit timer did not apply the session")
	}
	c.cmd("configure session s1 abort", "sw1#")
	if strings.Contains(d.RunningConfig(), "via-session") || d.PendingConfirm() {
		t.Fatal("abort did not roll back")
	}
	// abort of an uncommitted session discards it
	c.cmd("configure session s2", "sw1(config-s-s2)#")
	c.cmd("hostname other", "sw1(config-s-s2)#")
	c.cmd("abort", "sw1#")
	if d.Hostname() != "sw1" {
		t.Fatal("aborted session changed the device")
	}
}

func TestNXOSCheckpointRollback(t *testing.T) {
	d := startDevice(t, DeviceConfig{Platform: CiscoNXOS, Name: "n1"})
	c := dial(t, d, "admin", "admin")
	c.readUntil("n1# ")
	c.cmd("checkpoint norn1", "n1# ")
	if err := d.Configure("snmp-server location moved"); err != nil {
		t.Fatal(err)
	}
	out := c.cmd("rollback running-config checkpoint norn1", "n1# ")
	if !strings.Contains(out, "Rollback completed successfully.") || strings.Contains(d.RunningConfig(), "location moved") {
		t.Fatalf("rollback: %q", out)
	}
	d.SetFaults(Faults{FailRollback: true})
	out = c.cmd("rollback running-config checkpoint nope", "n1# ")
	if !strings.Contains(out, "does not exist") {
		t.Fatalf("missing checkpoint: %q", out)
	}
}

func TestIOSXEArchiveConfigureReplace(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "r1"})
	c := dial(t, d, "admin", "admin")
	c.readUntil("r1#")
	if err := d.Configure("archive", "path bootflash:norn-$h"); err != nil {
		t.Fatal(err)
	}
	c.cmd("archive config", "r1#")
	out := c.cmd("show archive", "r1#")
	if !strings.Contains(out, "bootflash:norn-r1-1 <- Most Recent") {
		t.Fatalf("show archive: %q", out)
	}
	if err := d.Configure("snmp-server location moved"); err != nil {
		t.Fatal(err)
	}
	out = c.cmd("configure replace bootflash:norn-r1-1 force", "r1#")
	if !strings.Contains(out, "Rollback Done") || strings.Contains(d.RunningConfig(), "location moved") {
		t.Fatalf("configure replace: %q", out)
	}
}

// TestShowRunningSection: NX-OS and EOS print only the section asked for.
func TestShowRunningSection(t *testing.T) {
	for _, c := range []struct {
		p          Platform
		name, cmd  string
		prompt     string
		want, lead string
	}{
		{CiscoNXOS, "n1", "show running-config interface Ethernet1/7", "n1# ", "interface Ethernet1/7\n  description sec-test\n", "!Command: show running-config interface Ethernet1/7"},
		{AristaEOS, "e1", "show running-config interfaces Ethernet7", "e1#", "interface Ethernet7\n   description sec-test\n", ""},
	} {
		d := startDevice(t, DeviceConfig{Platform: c.p, Name: c.name, Privilege: 15})
		if err := d.Configure("interface "+strings.Fields(c.want)[1], "description sec-test"); err != nil {
			t.Fatal(err)
		}
		cl := dial(t, d, "admin", "admin")
		cl.readUntil(c.prompt)
		cl.cmd("terminal length 0", c.prompt)
		out := strings.TrimSuffix(cl.cmd(c.cmd, c.prompt), c.prompt)
		if !strings.Contains(out, c.want) || strings.Contains(out, "hostname ") || !strings.Contains(out, c.lead) {
			t.Errorf("%s: %q", c.cmd, out)
		}
	}
}

// TestJunosSharedCandidate: the candidate of plain "configure" survives "exit
// configuration-mode" (answered yes) and a later session commits it, as Netmiko's
// send_config_set then commit() rely on; "configure private" keeps its own.
func TestJunosSharedCandidate(t *testing.T) {
	d := startDevice(t, DeviceConfig{Platform: JuniperJunos, Name: "j3"})
	c := dial(t, d, "admin", "admin")
	c.readUntil("admin@j3> ")
	c.cmd("configure", "admin@j3# ")
	c.cmd("set system location building shared1", "admin@j3# ")
	c.cmd("exit configuration-mode", "(yes) ")
	c.cmd("yes", "admin@j3> ")
	if strings.Contains(d.RunningConfig(), "shared1") {
		t.Fatal("uncommitted change is running")
	}
	c2 := dial(t, d, "admin", "admin")
	c2.readUntil("admin@j3> ")
	if out := c2.cmd("configure", "admin@j3# "); !strings.Contains(out, "The configuration has been changed but not committed") {
		t.Fatalf("configure: %q", out)
	}
	if out := c2.cmd("show | compare", "admin@j3# "); !strings.Contains(out, "+  building shared1;") {
		t.Fatalf("show | compare: %q", out)
	}
	c2.cmd("commit", "admin@j3# ")
	if !strings.Contains(d.RunningConfig(), "shared1") {
		t.Fatal("the shared candidate was not committed")
	}
	c2.cmd("exit", "admin@j3> ")
	c2.cmd("configure private", "admin@j3# ")
	c2.cmd("set system location building private1", "admin@j3# ")
	c2.cmd("exit", "(yes) ")
	c2.cmd("yes", "admin@j3> ")
	if out := c2.cmd("configure", "admin@j3# "); strings.Contains(out, "not committed") {
		t.Fatalf("a private candidate leaked into the shared one: %q", out)
	}
}
