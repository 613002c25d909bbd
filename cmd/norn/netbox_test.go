package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// The NetBox load as the command runs it: active devices only, platform slugs through the
// platform table and -netbox-platforms, warnings naming the flag, counts in the label.
func TestNetBoxLoadWarnings(t *testing.T) {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true})
	defer srv.Close()
	srv.AddPlatforms(netboxtest.Platform{Slug: "cisco-ios-xe"}, netboxtest.Platform{Slug: "ios-classic"}, netboxtest.Platform{Slug: "vyos"})
	srv.AddDevices(
		netboxtest.Device{Name: "r1", Platform: "cisco-ios-xe", PrimaryIP4: "192.0.2.1/32"},
		netboxtest.Device{Name: "old", Platform: "ios-classic", PrimaryIP4: "192.0.2.2/32"},
		netboxtest.Device{Name: "vy", Platform: "vyos", PrimaryIP4: "192.0.2.3/32"},
		netboxtest.Device{Name: "noip", Platform: "cisco-ios-xe"},
		netboxtest.Device{Name: "spare", Platform: "vyos", Status: "planned"},
	)
	o := netboxTestConfig(t, "-netbox-url", srv.URL, "-netbox-platforms", "ios-classic=cisco_iosxe", "-netbox-timeout", "5s", "-netbox-retries", "1")
	var w bytes.Buffer
	inv, rep, err := loadNetBoxReport(context.Background(), o, zerolog.Nop(), &w)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Len() != 4 {
		t.Errorf("%d hosts, want 4 (the planned device is left out)", inv.Len())
	}
	for name, want := range map[string]string{"r1": "cisco_iosxe", "old": "cisco_iosxe", "vy": "vyos"} {
		if h, ok := inv.Host(name); !ok || h.Platform() != want {
			t.Errorf("%s: platform %q, want %q", name, h.Platform(), want)
		}
	}
	out := w.String()
	for _, want := range []string{
		`warning: netbox: platform slug "vyos" of 1 host (vy) maps to no platform norn knows and has no backup profile: map it with -netbox-platforms vyos=NAME (NAME one of cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos, nokia_srl)`,
		`warning: netbox: 1 host without any IP address in NetBox (no primary IPv4/IPv6, no OOB IP): noip`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got, want := netboxLabel(srv.URL, rep), "NetBox "+srv.URL+"; 1 host with an unknown platform, 1 host without an IP address"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
}

// Errors of the NetBox load name the flag at fault, not a Go field.
func TestNetBoxErrorsNameFlags(t *testing.T) {
	o := netboxTestConfig(t, "-netbox-url", "http://127.0.0.1:1", "-netbox-token-file", filepath.Join(t.TempDir(), "missing"), "-netbox-timeout", "1s")
	_, _, err := loadNetBoxReport(context.Background(), o, zerolog.Nop(), nil)
	if err == nil || !strings.Contains(err.Error(), "netbox: -netbox-token-file: open ") || strings.Contains(err.Error(), "Config.") {
		t.Errorf("token file: %v", err)
	}
	o = netboxTestConfig(t, "-netbox-url", "ftp://netbox", "-netbox-timeout", "1s")
	_, _, err = loadNetBoxReport(context.Background(), o, zerolog.Nop(), nil)
	if err == nil || !strings.Contains(err.Error(), `-netbox-url "ftp://netbox": scheme must be http or https`) {
		t.Errorf("url: %v", err)
	}
	for _, c := range []struct{ args, want string }{
		{"-netbox-url http://nb -netbox-timeout 0s", "-netbox-timeout 0s: want more than 0"},
		{"-netbox-url http://nb -netbox-retries -1", "-netbox-retries -1: want 0 or more"},
	} {
		var stderr bytes.Buffer
		if _, err := parseFlags(strings.Fields(c.args), &stderr); err == nil || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%s: %v\n%s", c.args, err, stderr.String())
		}
	}
	var stderr bytes.Buffer
	o2, err := parseFlags([]string{"-netbox-url", "http://nb"}, &stderr)
	if err != nil || o2.cfg.Inventory.NetBox.Timeout != 60*time.Second || o2.cfg.Inventory.NetBox.Retries != 3 {
		t.Errorf("defaults: %+v %v %s", o2, err, stderr.String())
	}
}

// A load of several pages prints its progress: the first page and the last at least.
func TestNetBoxProgress(t *testing.T) {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true, MaxPageSize: 2})
	defer srv.Close()
	for _, n := range []string{"r1", "r2", "r3", "r4", "r5"} {
		srv.AddDevices(netboxtest.Device{Name: n, Platform: "eos", PrimaryIP4: "192.0.2.1/32"})
	}
	var w bytes.Buffer
	if _, _, err := loadNetBoxReport(context.Background(), netboxTestConfig(t, "-netbox-url", srv.URL), zerolog.Nop(), &w); err != nil {
		t.Fatal(err)
	}
	if out := w.String(); !strings.HasPrefix(out, "netbox: 2 of 5 objects loaded\n") || !strings.HasSuffix(out, "netbox: 5 of 5 objects loaded\n") {
		t.Errorf("progress:\n%s", out)
	}
}
