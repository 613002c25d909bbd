package netbox_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/inventory_plugins/netbox"
	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

func hostNames(inv *inventory.Inventory) string {
	var out []string
	for _, h := range inv.Hosts() {
		out = append(out, h.Name)
	}
	return strings.Join(out, ",")
}

// Only active devices load by default; Status, a status filter in Params and AnyStatus
// override it, and the query NetBox gets says so.
func TestDefaultStatus(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	sample(srv) // core1 and device-3 active, lab-sw planned
	cases := []struct {
		name  string
		f     netbox.Filter
		want  string
		query []string // the status values sent
		param string
	}{
		{"default", netbox.Filter{}, "core1,device-3", []string{"active"}, "status"},
		{"status", netbox.Filter{Status: []string{"planned"}}, "lab-sw", []string{"planned"}, "status"},
		{"params", netbox.Filter{Params: map[string][]string{"status": {"planned", "active"}}}, "core1,lab-sw,device-3", []string{"planned", "active"}, "status"},
		{"negation", netbox.Filter{Params: map[string][]string{"status__n": {"active"}}}, "lab-sw", []string{"active"}, "status__n"},
		{"any", netbox.Filter{Status: []string{netbox.AnyStatus}}, "core1,lab-sw,device-3", nil, "status"},
	}
	for _, c := range cases {
		srv.ResetRequests()
		inv, err := loadAsIs(t, srv, netbox.Config{Devices: c.f})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := hostNames(inv); got != c.want {
			t.Errorf("%s: hosts %s, want %s", c.name, got, c.want)
		}
		for _, r := range srv.Requests() {
			if r.Path != "/api/dcim/devices/" {
				continue // the DNS name look-up of device-3
			}
			if got := r.Query[c.param]; !slices.Equal(got, c.query) {
				t.Errorf("%s: %s=%v sent, want %v", c.name, c.param, got, c.query)
			}
			if c.param != "status" && r.Query["status"] != nil {
				t.Errorf("%s: status=%v sent besides %s", c.name, r.Query["status"], c.param)
			}
		}
	}
	// A status NetBox does not know is NetBox's 400, naming the filter.
	_, err := loadAsIs(t, srv, netbox.Config{Devices: netbox.Filter{Status: []string{"retired"}}})
	if err == nil || !strings.Contains(err.Error(), "status: Select a valid choice. retired is not one of the available choices.") {
		t.Errorf("unknown status: %v", err)
	}
}

func TestReportWarnings(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddPlatforms(netboxtest.Platform{Slug: "ios-classic", Name: "IOS Classic"}, netboxtest.Platform{Slug: "cisco-ios-xe", Name: "Cisco IOS XE"})
	srv.AddDevices(
		netboxtest.Device{Name: "ok", Platform: "cisco-ios-xe", PrimaryIP4: "192.0.2.1/32"},
		netboxtest.Device{Name: "old1", Platform: "ios-classic", PrimaryIP4: "192.0.2.2/32"},
		netboxtest.Device{Name: "old2", Platform: "ios-classic", OOBIP: "198.51.100.2/24"},
		netboxtest.Device{Name: "bare", PrimaryIP6: "2001:db8::3/128"},
		netboxtest.Device{Name: "noip", Platform: "cisco-ios-xe"},
	)
	var buf bytes.Buffer
	log := zerolog.New(zerolog.SyncWriter(&buf))
	flags := map[string]string{"Platforms": "-netbox-platforms", "DefaultsFile": "-netbox-defaults", "GroupsFile": "-netbox-groups"}
	cfg := netbox.Config{URL: srv.URL, Token: token, Logger: &log, FieldName: func(f string) string { return flags[f] }}
	src, err := netbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src.CloseIdleConnections()
	inv, rep, err := src.LoadWithReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if inv.Len() != 5 || rep.Devices != 5 || rep.VirtualMachines != 0 {
		t.Fatalf("%d hosts, report %+v", inv.Len(), rep)
	}
	if h, _ := inv.Host("ok"); h.Platform() != "cisco_iosxe" {
		t.Errorf("cisco-ios-xe maps to %q", h.Platform())
	}
	want := []netbox.UnknownPlatform{{Platform: "", Hosts: []string{"bare"}}, {Platform: "ios-classic", Slug: "ios-classic", Hosts: []string{"old1", "old2"}}}
	if fmt.Sprint(rep.UnknownPlatforms) != fmt.Sprint(want) || rep.UnknownPlatformHosts() != 3 {
		t.Errorf("UnknownPlatforms = %+v, want %+v", rep.UnknownPlatforms, want)
	}
	if !slices.Equal(rep.NoAddress, []string{"noip"}) {
		t.Errorf("NoAddress = %v", rep.NoAddress)
	}
	if len(rep.Warnings) != 3 ||
		!strings.Contains(rep.Warnings[0], "1 host (bare) without a platform: set one in NetBox, or in -netbox-groups or -netbox-defaults") ||
		!strings.Contains(rep.Warnings[1], `platform slug "ios-classic" of 2 hosts (old1, old2) maps to no platform norn knows and has no backup profile: map it with -netbox-platforms ios-classic=NAME (NAME one of cisco_iosxe,`) ||
		!strings.Contains(rep.Warnings[2], "1 host without any IP address in NetBox (no primary IPv4/IPv6, no OOB IP): noip") {
		t.Errorf("Warnings:\n%s", strings.Join(rep.Warnings, "\n"))
	}
	if n := strings.Count(buf.String(), `"level":"warn"`); n != 3 || !strings.Contains(buf.String(), `"no_address_hosts":1`) {
		t.Errorf("log: %d warnings\n%s", n, buf.String())
	}

	// Mapped slugs and a platform from the defaults file silence the warnings.
	dir := t.TempDir()
	defaults := filepath.Join(dir, "defaults.yaml")
	if err := os.WriteFile(defaults, []byte("platform: eos\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Platforms = map[string]string{"ios-classic": "cisco_iosxe"}
	cfg.DefaultsFile = defaults
	src2, err := netbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src2.CloseIdleConnections()
	_, rep, err = src2.LoadWithReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.UnknownPlatforms) != 0 || len(rep.Warnings) != 1 {
		t.Errorf("after mapping: %+v", rep)
	}

	// A mapping to a name norn does not know is named as such.
	cfg.Platforms = map[string]string{"ios-classic": "cisco_ios_classic"}
	srcMap, err := netbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srcMap.CloseIdleConnections()
	_, rep, err = srcMap.LoadWithReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 2 || !strings.Contains(rep.Warnings[0], `platform slug "ios-classic" of 2 hosts (old1, old2) maps to "cisco_ios_classic", which is no platform norn knows and has no backup profile: fix it in -netbox-platforms`) {
		t.Errorf("mapped to an unknown name: %q", rep.Warnings)
	}

	// KnownPlatform narrows what counts as known (e.g. to the backup profiles a program has).
	cfg.Platforms = map[string]string{"ios-classic": "cisco_iosxe"}
	cfg.KnownPlatform = func(p string) bool { return p == "arista_eos" }
	src3, err := netbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src3.CloseIdleConnections()
	_, rep, err = src3.LoadWithReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The host's platform as resolved is asked: bare's is "eos" from the defaults file.
	if len(rep.UnknownPlatforms) != 2 || rep.UnknownPlatforms[0].Platform != "cisco_iosxe" || len(rep.UnknownPlatforms[0].Hosts) != 4 ||
		rep.UnknownPlatforms[1].Platform != "eos" || rep.UnknownPlatforms[1].Slug != "" {
		t.Errorf("KnownPlatform: %+v", rep.UnknownPlatforms)
	}
}

// Progress counts the pages of the device and virtual machine lists as they arrive.
func TestProgress(t *testing.T) {
	srv := fake(t, netboxtest.Config{MaxPageSize: 100})
	srv.AddFleet(netboxtest.Generate(450, 120, 7))
	var mu sync.Mutex
	var calls [][2]int
	inv := mustLoad(t, srv, netbox.Config{PageSize: 100, VirtualMachines: true, Progress: func(loaded, total int) {
		mu.Lock()
		calls = append(calls, [2]int{loaded, total})
		mu.Unlock()
	}})
	if inv.Len() != 570 {
		t.Fatalf("%d hosts", inv.Len())
	}
	// 5 device pages + 2 virtual machine pages; the last call has everything.
	if len(calls) != 7 || calls[6] != [2]int{570, 570} {
		t.Fatalf("calls %v", calls)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] || calls[i][0] > calls[i][1] {
			t.Fatalf("progress not monotonic or past the total: %v", calls)
		}
	}
}

// FieldName puts a command's flag names into errors.
func TestFieldNameInErrors(t *testing.T) {
	flags := func(f string) string { return "-netbox-" + strings.ToLower(f) }
	_, err := netbox.New(netbox.Config{URL: "http://127.0.0.1", Timeout: -time.Second, FieldName: flags})
	if err == nil || !strings.Contains(err.Error(), "-netbox-timeout: negative (-1s)") || strings.Contains(err.Error(), "Config.") {
		t.Errorf("validation: %v", err)
	}
	_, err = netbox.New(netbox.Config{FieldName: flags})
	if err == nil || !strings.Contains(err.Error(), "-netbox-url is required") {
		t.Errorf("no URL: %v", err)
	}
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{Name: "r1"})
	srv.InjectFault(netboxtest.Fault{Hang: true})
	e := loadErr(t, srv, netbox.Config{Timeout: 50 * time.Millisecond, Retries: -1, FieldName: flags})
	if !strings.Contains(e.Message, "no answer within 50ms (-netbox-timeout)") || e.Attempts != 1 {
		t.Errorf("timeout: %+v", e)
	}
}
