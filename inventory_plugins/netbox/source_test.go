package netbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/inventory_plugins/netbox"
	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// fake starts a fake NetBox accepting token (and the v2 token for 4.5+).
func fake(t testing.TB, cfg netboxtest.Config) *netboxtest.Server {
	t.Helper()
	if cfg.Tokens == nil {
		cfg.Tokens = []string{token, tokenV2}
	}
	srv := netboxtest.NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv
}

const tokenV2 = "nbt_AbCdEf123456.s3cr3tV2tokenValue0123456789abcdefghijklmn"

// load builds a Source on srv with cfg (URL and Token filled in when empty) and loads it.
// Unless cfg filters on status, it loads every status (the fixtures mix them); TestDefaultStatus
// covers the default, active only.
func load(t testing.TB, srv *netboxtest.Server, cfg netbox.Config) (*inventory.Inventory, error) {
	t.Helper()
	for _, f := range []*netbox.Filter{&cfg.Devices, &cfg.VirtualMachineFilter} {
		if f.Status == nil && f.Params["status"] == nil && f.Params["status__n"] == nil {
			f.Status = []string{netbox.AnyStatus}
		}
	}
	return loadAsIs(t, srv, cfg)
}

// loadAsIs is load without the status override.
func loadAsIs(t testing.TB, srv *netboxtest.Server, cfg netbox.Config) (*inventory.Inventory, error) {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = srv.URL
	}
	if cfg.Token == "" && cfg.TokenFunc == nil {
		cfg.Token = token
	}
	if cfg.RetryWait == 0 {
		cfg.RetryWait = time.Millisecond
	}
	src, err := netbox.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(src.CloseIdleConnections)
	return src.Load(context.Background())
}

func mustLoad(t testing.TB, srv *netboxtest.Server, cfg netbox.Config) *inventory.Inventory {
	t.Helper()
	inv, err := load(t, srv, cfg)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return inv
}

func host(t *testing.T, inv *inventory.Inventory, name string) *inventory.Host {
	t.Helper()
	h, ok := inv.Host(name)
	if !ok {
		var names []string
		for _, h := range inv.Hosts() {
			names = append(names, h.Name)
		}
		t.Fatalf("no host %q in %v", name, names)
	}
	return h
}

func groupNames(h *inventory.Host) []string {
	var out []string
	for _, g := range h.Groups {
		out = append(out, g.Name)
	}
	sort.Strings(out)
	return out
}

// sample is a small NetBox with the cases the mapping must handle.
func sample(srv *netboxtest.Server) {
	srv.AddRegions(netboxtest.Region{Slug: "europe", Name: "Europe"}, netboxtest.Region{Slug: "nl", Name: "Netherlands", Parent: "europe"})
	srv.AddSites(netboxtest.Site{Slug: "ams1", Name: "Amsterdam 1", Region: "nl"}, netboxtest.Site{Slug: "lab", Name: "Lab"})
	srv.AddManufacturers(netboxtest.Manufacturer{Slug: "cisco", Name: "Cisco"})
	srv.AddDeviceTypes(netboxtest.DeviceType{Slug: "c9300-48p", Model: "C9300-48P", Manufacturer: "cisco"})
	srv.AddPlatforms(netboxtest.Platform{Slug: "ios-xe", Name: "Cisco IOS-XE", Manufacturer: "cisco"}, netboxtest.Platform{Slug: "eos", Name: "Arista EOS"})
	srv.AddRoles(netboxtest.Role{Slug: "core", Name: "Core"})
	srv.AddDevices(
		netboxtest.Device{ID: 1, Name: "core1", Site: "ams1", Role: "core", Platform: "ios-xe", DeviceType: "c9300-48p",
			Tenant: "acme", Location: "hall-a", Rack: "R01", Serial: "FOC123", AssetTag: "AT-1", Description: "core switch",
			Tags: []string{"backup", "pci"}, PrimaryIP4: "192.0.2.1/32", PrimaryIP6: "2001:db8::1/128", OOBIP: "198.51.100.1/24",
			CustomFields:  map[string]any{"backup_enabled": true, "power_watts": 450, "contract": "CT-1", "site": "shadow"},
			ConfigContext: map[string]any{"ntp": []any{"192.0.2.123"}, "mtu": 9216}},
		netboxtest.Device{ID: 2, Name: "lab-sw", Site: "lab", Role: "access", Platform: "eos", Status: "planned", OOBIP: "198.51.100.2/24"},
		netboxtest.Device{ID: 3, Site: "lab", Role: "access", DeviceType: "c9300-48p"}, // unnamed, no address
	)
}

func TestLoadNetBox3And4(t *testing.T) {
	for _, version := range []string{"3.5.9", "3.7.8", "4.0.11", "4.2.9", "4.5.0"} {
		t.Run(version, func(t *testing.T) {
			srv := fake(t, netboxtest.Config{Version: version})
			sample(srv)
			tok := token
			if version == "4.5.0" {
				tok = tokenV2
			}
			inv := mustLoad(t, srv, netbox.Config{Token: tok, GroupBy: []netbox.GroupField{netbox.GroupBySite, netbox.GroupByRole}})
			if inv.Len() != 3 {
				t.Fatalf("%d hosts", inv.Len())
			}
			h := host(t, inv, "core1")
			// NetBox's primary_ip is the IPv6 address (PREFER_IPV4 off); the slug ios-xe is
			// in package platform's table.
			if h.Hostname() != "2001:db8::1" || h.Platform() != "cisco_iosxe" {
				t.Errorf("core1: hostname %q platform %q", h.Hostname(), h.Platform())
			}
			if got, _ := h.Get("role"); got != "core" {
				t.Errorf("core1 role = %v (role and device_role must both map)", got)
			}
			if got := groupNames(h); !reflect.DeepEqual(got, []string{"role__core", "site__ams1"}) {
				t.Errorf("core1 groups %v", got)
			}
			if got, _ := host(t, inv, "lab-sw").Get("status"); got != "planned" {
				t.Errorf("lab-sw status %v", got)
			}
			if h := host(t, inv, "device-3"); h.Hostname() != "device-3" {
				t.Errorf("unnamed device hostname %q", h.Hostname())
			}
			reqs := srv.Requests()
			wantAuth := "Token " + token
			if version == "4.5.0" {
				wantAuth = "Bearer " + tokenV2
			}
			if reqs[0].Authorization != wantAuth {
				t.Errorf("Authorization %q, want %q", reqs[0].Authorization, wantAuth)
			}
		})
	}
}

func TestData(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	sample(srv)
	inv := mustLoad(t, srv, netbox.Config{})
	h := host(t, inv, "core1")
	want := map[string]any{
		"id": 1, "kind": "device", "site": "ams1", "location": "hall-a", "rack": "R01", "role": "core",
		"platform": "ios-xe", "manufacturer": "cisco", "device_type": "c9300-48p", "model": "C9300-48P",
		"tenant": "acme", "status": "active", "serial": "FOC123", "asset_tag": "AT-1", "description": "core switch",
		"tags": []string{"backup", "pci"}, "primary_ip4": "192.0.2.1", "primary_ip6": "2001:db8::1",
		"oob_ip":        "198.51.100.1",
		"custom_fields": map[string]any{"backup_enabled": true, "power_watts": 450, "contract": "CT-1", "site": "shadow"},
	}
	if !reflect.DeepEqual(h.Data, want) {
		t.Errorf("core1 data\n got %#v\nwant %#v", h.Data, want)
	}
	// The unnamed device: empty values are absent, tags always set; the other device's custom
	// fields are defined with null values.
	u := host(t, inv, "device-3")
	for _, k := range []string{"serial", "asset_tag", "primary_ip4", "tenant", "platform"} {
		if v, ok := u.Data[k]; ok {
			t.Errorf("device-3 has %s = %v", k, v)
		}
	}
	if tags, ok := u.Data["tags"].([]string); !ok || len(tags) != 0 {
		t.Errorf("device-3 tags %#v", u.Data["tags"])
	}
	cf, _ := u.Data["custom_fields"].(map[string]any)
	if v, ok := cf["contract"]; !ok || v != nil {
		t.Errorf("device-3 custom field contract = %#v, %v (want defined and null)", v, ok)
	}
	if _, ok := h.Data["config_context"]; ok {
		t.Error("config_context loaded without Config.ConfigContext")
	}
	for _, r := range srv.Requests() {
		if r.Path == "/api/dcim/devices/" && r.Query.Get("exclude") != "config_context" {
			t.Errorf("request without exclude=config_context: %s?%s", r.Path, r.Query.Encode())
		}
	}
}

func TestConfigContextAndFlatten(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	sample(srv)
	inv := mustLoad(t, srv, netbox.Config{ConfigContext: true, FlattenCustomFields: true})
	h := host(t, inv, "core1")
	if got := h.Data["config_context"]; !reflect.DeepEqual(got, map[string]any{"ntp": []any{"192.0.2.123"}, "mtu": 9216}) {
		t.Errorf("config_context %#v", got)
	}
	if v, _ := h.Get("power_watts"); v != 450 {
		t.Errorf("flattened power_watts = %#v (whole numbers are int)", v)
	}
	if v, _ := h.Get("backup_enabled"); v != true {
		t.Errorf("flattened backup_enabled = %#v", v)
	}
	// A custom field named like a plugin key does not replace it.
	if v, _ := h.Get("site"); v != "ams1" {
		t.Errorf("site = %v: a custom field overwrote it", v)
	}
	if got := host(t, inv, "lab-sw").Data["config_context"]; !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("empty config_context = %#v", got)
	}
	for _, r := range srv.Requests() {
		if r.Query.Has("exclude") {
			t.Errorf("ConfigContext but the request excludes it: %s", r.Query.Encode())
		}
	}
}

func TestHostnameSources(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(
		netboxtest.Device{Name: "both", PrimaryIP4: "192.0.2.1/32", PrimaryIP6: "2001:db8::1/64", DNSName: "both.example.net"},
		netboxtest.Device{Name: "v4", PrimaryIP4: "192.0.2.2/24", OOBIP: "198.51.100.2/24"},
		netboxtest.Device{Name: "oob", OOBIP: "198.51.100.3/24"},
		netboxtest.Device{Name: "dns", DNSName: "dns.example.net", InterfaceIP: "203.0.113.4/32"},
		netboxtest.Device{Name: "bare"},
	)
	ipRequests := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Path == "/api/ipam/ip-addresses/" {
				n++
			}
		}
		return n
	}
	cases := []struct {
		order []netbox.HostnameSource
		want  map[string]string
	}{
		{nil, map[string]string{"both": "2001:db8::1", "v4": "192.0.2.2", "oob": "198.51.100.3", "dns": "dns.example.net", "bare": "bare"}},
		{[]netbox.HostnameSource{netbox.FromPrimaryIP4, netbox.FromName}, map[string]string{"both": "192.0.2.1", "v4": "192.0.2.2", "oob": "oob", "dns": "dns", "bare": "bare"}},
		{[]netbox.HostnameSource{netbox.FromDNSName, netbox.FromPrimaryIP4}, map[string]string{"both": "both.example.net", "v4": "192.0.2.2", "oob": "", "dns": "dns.example.net", "bare": ""}},
		{[]netbox.HostnameSource{netbox.FromPrimaryIP6, netbox.FromOOBIP}, map[string]string{"both": "2001:db8::1", "v4": "198.51.100.2", "oob": "198.51.100.3", "dns": "", "bare": ""}},
	}
	for _, c := range cases {
		before := ipRequests()
		inv := mustLoad(t, srv, netbox.Config{Hostname: c.order})
		for name, want := range c.want {
			h := host(t, inv, name)
			if h.Attrs.Hostname != want {
				t.Errorf("order %v: %s hostname %q, want %q", c.order, name, h.Attrs.Hostname, want)
			}
		}
		usesDNS := slices.Contains(c.order, netbox.FromDNSName) || c.order == nil
		if got := ipRequests() - before; (got > 0) != usesDNS {
			t.Errorf("order %v: %d requests for DNS names", c.order, got)
		}
	}
	// Without a host reaching FromDNSName no address is read.
	srv2 := fake(t, netboxtest.Config{})
	srv2.AddDevices(netboxtest.Device{Name: "a", PrimaryIP4: "192.0.2.9/32"})
	mustLoad(t, srv2, netbox.Config{})
	for _, r := range srv2.Requests() {
		if r.Path != "/api/dcim/devices/" {
			t.Errorf("unneeded request %s", r.Path)
		}
	}
}

func TestPreferIPv4(t *testing.T) {
	srv := fake(t, netboxtest.Config{PreferIPv4: true})
	srv.AddDevices(netboxtest.Device{Name: "both", PrimaryIP4: "192.0.2.1/32", PrimaryIP6: "2001:db8::1/64"})
	if h := host(t, mustLoad(t, srv, netbox.Config{}), "both"); h.Hostname() != "192.0.2.1" {
		t.Fatalf("hostname %q: NetBox's primary_ip with PREFER_IPV4 is the IPv4 address", h.Hostname())
	}
}

func TestPlatforms(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddPlatforms(netboxtest.Platform{Slug: "ios-xe", Name: "Cisco IOS-XE"}, netboxtest.Platform{Slug: "junos", Name: "Juniper Junos"},
		netboxtest.Platform{Slug: "eos", Name: "Arista EOS"})
	srv.AddDevices(netboxtest.Device{Name: "a", Platform: "ios-xe"}, netboxtest.Device{Name: "b", Platform: "junos"},
		netboxtest.Device{Name: "c", Platform: "eos"}, netboxtest.Device{Name: "d"})
	inv := mustLoad(t, srv, netbox.Config{Platforms: map[string]string{"ios-xe": "cisco_iosxe", "Juniper Junos": "juniper_junos"}})
	// c: the slug eos is in package platform's table.
	for name, want := range map[string]string{"a": "cisco_iosxe", "b": "juniper_junos", "c": "arista_eos", "d": ""} {
		if got := host(t, inv, name).Platform(); got != want {
			t.Errorf("%s platform %q, want %q", name, got, want)
		}
	}
	if v, _ := host(t, inv, "a").Get("platform"); v != "ios-xe" {
		t.Errorf("data platform %v: should stay NetBox's slug", v)
	}
}

func TestGroupBy(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	sample(srv)
	srv.AddVirtualMachines(netboxtest.VirtualMachine{Name: "vm1", Site: "ams1", Cluster: "Prod Cluster", Role: "core", Tags: []string{"backup"}})
	all := []netbox.GroupField{netbox.GroupBySite, netbox.GroupByRole, netbox.GroupByPlatform, netbox.GroupByManufacturer,
		netbox.GroupByDeviceType, netbox.GroupByTenant, netbox.GroupByRegion, netbox.GroupByLocation, netbox.GroupByTag,
		netbox.GroupByStatus, netbox.GroupByCluster}
	inv := mustLoad(t, srv, netbox.Config{GroupBy: all, VirtualMachines: true})
	h := host(t, inv, "core1")
	want := []string{"device_type__c9300-48p", "location__hall-a", "manufacturer__cisco", "platform__ios-xe", "region__nl",
		"role__core", "site__ams1", "status__active", "tag__backup", "tag__pci", "tenant__acme"}
	if got := groupNames(h); !reflect.DeepEqual(got, want) {
		t.Errorf("core1 groups\n got %v\nwant %v", got, want)
	}
	if !h.InGroup("region__europe") {
		t.Error("core1 is not in region__europe through region__nl")
	}
	if v, _ := h.Get("region"); v != "nl" {
		t.Errorf("region data %v", v)
	}
	vm := host(t, inv, "vm1")
	if got := groupNames(vm); !reflect.DeepEqual(got, []string{"cluster__Prod Cluster", "region__nl", "role__core", "site__ams1", "status__active", "tag__backup"}) {
		t.Errorf("vm1 groups %v", got)
	}
	if got := len(inv.ChildrenOf("site__ams1")); got != 2 {
		t.Errorf("site__ams1 has %d hosts", got)
	}
	// No GroupBy: no groups, and no request for sites or regions.
	srv.ResetRequests()
	inv = mustLoad(t, srv, netbox.Config{})
	if len(inv.Groups()) != 0 {
		t.Errorf("groups without GroupBy: %v", inv.Groups())
	}
	for _, r := range srv.Requests() {
		if r.Path == "/api/dcim/sites/" || r.Path == "/api/dcim/regions/" {
			t.Errorf("unneeded request %s", r.Path)
		}
	}
}

func TestGroupsAndDefaultsFiles(t *testing.T) {
	dir := t.TempDir()
	groups := filepath.Join(dir, "groups.yaml")
	defaults := filepath.Join(dir, "defaults.yaml")
	writeFile(t, groups, `
site__ams1:
  username: ams-admin
  data:
    ntp: 192.0.2.123
  groups: [cisco]
cisco:
  password: cisco-secret
  port: 22
region__nl:
  data:
    country: NL
`)
	writeFile(t, defaults, `
username: netops
password: default-secret
connection_options:
  scrapli:
    extras:
      auth_strict_key: false
`)
	srv := fake(t, netboxtest.Config{})
	sample(srv)
	inv := mustLoad(t, srv, netbox.Config{GroupBy: []netbox.GroupField{netbox.GroupBySite, netbox.GroupByRegion}, GroupsFile: groups, DefaultsFile: defaults})
	core := host(t, inv, "core1")
	if core.Username() != "ams-admin" || core.Password() != "cisco-secret" || core.Port() != 22 {
		t.Errorf("core1 credentials: %q %q %d", core.Username(), core.Password(), core.Port())
	}
	if v, _ := core.Get("ntp"); v != "192.0.2.123" {
		t.Errorf("core1 ntp %v", v)
	}
	if v, _ := core.Get("country"); v != "NL" || !core.InGroup("region__europe") {
		t.Errorf("region__nl from the file: country %v, in region__europe %v", v, core.InGroup("region__europe"))
	}
	lab := host(t, inv, "lab-sw")
	if lab.Username() != "netops" || lab.Password() != "default-secret" {
		t.Errorf("lab-sw falls back to the defaults: %q %q", lab.Username(), lab.Password())
	}
	if p := lab.ConnectionParams("scrapli"); p.Extras["auth_strict_key"] != false {
		t.Errorf("connection options from defaults: %#v", p)
	}
	// Each load reads the files again: a new password is seen by the next load.
	writeFile(t, defaults, "username: netops\npassword: rotated\n")
	inv = mustLoad(t, srv, netbox.Config{GroupsFile: groups, DefaultsFile: defaults})
	if p := host(t, inv, "lab-sw").Password(); p != "rotated" {
		t.Errorf("password after rewrite %q", p)
	}

	// A configured file that does not exist is an error naming it.
	_, err := load(t, srv, netbox.Config{GroupsFile: filepath.Join(dir, "nope.yaml")})
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("missing groups file: %v", err)
	}
	// A broken file: the loader's error with file and line.
	writeFile(t, groups, "site__ams1:\n  port: [oops\n")
	_, err = load(t, srv, netbox.Config{GroupsFile: groups})
	if err == nil || !strings.Contains(err.Error(), "groups.yaml:") {
		t.Errorf("broken groups file: %v", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestUnnamedAndDuplicateNames(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{ID: 40}, netboxtest.Device{ID: 41, Name: "r1"})
	a := mustLoad(t, srv, netbox.Config{})
	b := mustLoad(t, srv, netbox.Config{})
	if _, ok := a.Host("device-40"); !ok {
		t.Fatal("no device-40")
	}
	if _, ok := b.Host("device-40"); !ok {
		t.Fatal("the fallback name is not stable")
	}

	srv.AddDevices(netboxtest.Device{ID: 7, Name: "r1", Site: "other"})
	srv.AddVirtualMachines(netboxtest.VirtualMachine{ID: 9, Name: "r1"})
	_, err := load(t, srv, netbox.Config{VirtualMachines: true})
	if !errors.Is(err, netbox.ErrDuplicateName) {
		t.Fatalf("duplicates: %v", err)
	}
	for _, want := range []string{`"r1"`, `device "r1" (id 7)`, `device "r1" (id 41)`, `virtual machine "r1" (id 9)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestVirtualMachines(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{Name: "r1", Site: "ams1"})
	srv.AddVirtualMachines(
		netboxtest.VirtualMachine{Name: "web1", Site: "ams1", Cluster: "c1", Platform: "ubuntu", PrimaryIP4: "10.0.0.5/24", Status: "paused"},
		netboxtest.VirtualMachine{Name: "db1", Cluster: "c2", PrimaryIP6: "2001:db8::5/64", DNSName: "db1.example.net"},
		netboxtest.VirtualMachine{ID: 77},
	)
	if inv := mustLoad(t, srv, netbox.Config{}); inv.Len() != 1 {
		t.Fatalf("virtual machines loaded without Config.VirtualMachines: %d hosts", inv.Len())
	}
	inv := mustLoad(t, srv, netbox.Config{VirtualMachines: true, Hostname: []netbox.HostnameSource{netbox.FromDNSName, netbox.FromPrimaryIP}})
	if inv.Len() != 4 {
		t.Fatalf("%d hosts", inv.Len())
	}
	web := host(t, inv, "web1")
	if web.Hostname() != "10.0.0.5" || web.Platform() != "ubuntu" {
		t.Errorf("web1: %q %q", web.Hostname(), web.Platform())
	}
	if v, _ := web.Get("kind"); v != "virtual_machine" {
		t.Errorf("kind %v", v)
	}
	if v, _ := web.Get("cluster"); v != "c1" {
		t.Errorf("cluster %v", v)
	}
	if host(t, inv, "db1").Hostname() != "db1.example.net" {
		t.Errorf("db1 hostname %q", host(t, inv, "db1").Hostname())
	}
	host(t, inv, "vm-77")
	// Hosts are in NetBox's order, devices first.
	if inv.Hosts()[0].Name != "r1" {
		t.Errorf("first host %s", inv.Hosts()[0].Name)
	}

	inv = mustLoad(t, srv, netbox.Config{SkipDevices: true, VirtualMachines: true, VirtualMachineFilter: netbox.Filter{Cluster: []string{"c1"}, Status: []string{"paused"}}})
	if inv.Len() != 1 || inv.Hosts()[0].Name != "web1" {
		t.Fatalf("VM filter: %d hosts", inv.Len())
	}
}

func TestFilters(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddRegions(netboxtest.Region{Slug: "eu"}, netboxtest.Region{Slug: "nl", Parent: "eu"})
	srv.AddSites(netboxtest.Site{Slug: "ams1", Region: "nl"}, netboxtest.Site{Slug: "nyc1"})
	srv.AddDevices(
		netboxtest.Device{Name: "a", Site: "ams1", Role: "core", Platform: "ios", Tags: []string{"x", "y"}, Tenant: "t1", Location: "hall-a", CustomFields: map[string]any{"tier": "gold"}},
		netboxtest.Device{Name: "b", Site: "ams1", Role: "edge", Platform: "junos", Tags: []string{"x"}, Status: "offline", CustomFields: map[string]any{"tier": "silver"}},
		netboxtest.Device{Name: "c", Site: "nyc1", Role: "core", Platform: "ios", Tags: []string{"y"}, Tenant: "t1", Serial: "ZZ-9"},
	)
	cases := []struct {
		f    netbox.Filter
		want string
	}{
		{netbox.Filter{}, "a,b,c"},
		{netbox.Filter{Site: []string{"ams1"}}, "a,b"},
		{netbox.Filter{Site: []string{"ams1", "nyc1"}, Role: []string{"core"}}, "a,c"},
		{netbox.Filter{Tag: []string{"x", "y"}}, "a"},
		{netbox.Filter{Tag: []string{"x"}}, "a,b"},
		{netbox.Filter{Platform: []string{"junos"}}, "b"},
		{netbox.Filter{Status: []string{"offline"}}, "b"},
		{netbox.Filter{Tenant: []string{"t1"}}, "a,c"},
		{netbox.Filter{Region: []string{"eu"}}, "a,b"},
		{netbox.Filter{Location: []string{"hall-a"}}, "a"},
		{netbox.Filter{Query: "zz-9"}, "c"},
		{netbox.Filter{CustomFields: map[string][]string{"tier": {"gold", "silver"}}}, "a,b"},
		{netbox.Filter{Params: map[string][]string{"name": {"C"}}}, "c"},
	}
	for _, c := range cases {
		inv := mustLoad(t, srv, netbox.Config{Devices: c.f})
		var names []string
		for _, h := range inv.Hosts() {
			names = append(names, h.Name)
		}
		if got := strings.Join(names, ","); got != c.want {
			t.Errorf("%+v: %s, want %s", c.f, got, c.want)
		}
	}
	// The parameters as NetBox expects them: repeated for OR and for tags.
	srv.ResetRequests()
	mustLoad(t, srv, netbox.Config{Devices: netbox.Filter{Site: []string{"ams1", "nyc1"}, Tag: []string{"x", "y"}}})
	q := srv.Requests()[0].Query
	if !reflect.DeepEqual(q["site"], []string{"ams1", "nyc1"}) || !reflect.DeepEqual(q["tag"], []string{"x", "y"}) {
		t.Errorf("query %s", q.Encode())
	}
}

func TestPaginationByOffsetNeverFollowingNext(t *testing.T) {
	// NetBox behind a reverse proxy names itself by an internal host in next links, and caps
	// pages at its MAX_PAGE_SIZE (50 here) whatever the client asks.
	srv := fake(t, netboxtest.Config{PublicHost: "netbox.internal:8080", MaxPageSize: 50, Latency: 5 * time.Millisecond})
	f := netboxtest.Generate(234, 0, 3)
	srv.AddFleet(f)
	inv := mustLoad(t, srv, netbox.Config{Concurrency: 3, PageSize: 100})
	if inv.Len() != 234 {
		t.Fatalf("%d hosts, want 234", inv.Len())
	}
	for i, d := range inv.Hosts() {
		if i > 0 && d.Name == inv.Hosts()[i-1].Name {
			t.Fatalf("host %s twice", d.Name)
		}
	}
	reqs := srv.Requests()
	var offsets []string
	for _, r := range reqs {
		if r.Host != srv.Addr() {
			t.Errorf("request to host %q (followed a next link?)", r.Host)
		}
		if r.Path != "/api/dcim/devices/" {
			t.Errorf("request %s", r.Path)
		}
		offsets = append(offsets, r.Query.Get("limit")+"@"+r.Query.Get("offset"))
	}
	if offsets[0] != "100@0" {
		t.Errorf("first request %s, want limit 100 at offset 0", offsets[0])
	}
	rest := append([]string(nil), offsets[1:]...)
	sort.Strings(rest)
	if want := []string{"50@100", "50@150", "50@200", "50@50"}; !reflect.DeepEqual(rest, want) {
		t.Errorf("page requests %v, want %v", rest, want)
	}
	if m := srv.MaxInFlight(); m > 3 {
		t.Errorf("%d requests in flight, Concurrency is 3", m)
	}
}

func TestDefaultPageSize(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddFleet(netboxtest.Generate(1001, 0, 3))
	if inv := mustLoad(t, srv, netbox.Config{}); inv.Len() != 1001 {
		t.Fatalf("%d hosts", inv.Len())
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Query.Get("limit")+"@"+r.Query.Get("offset"))
	}
	if want := []string{"1000@0", "1000@1000"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
}

func TestBaseURLForms(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{Name: "r1", PrimaryIP4: "192.0.2.1/32"})
	for _, u := range []string{srv.URL, srv.URL + "/", srv.URL + "/api", srv.URL + "/api/"} {
		if inv := mustLoad(t, srv, netbox.Config{URL: u}); inv.Len() != 1 {
			t.Errorf("URL %s: %d hosts", u, inv.Len())
		}
	}
	for _, r := range srv.Requests() {
		if r.Path != "/api/dcim/devices/" {
			t.Errorf("path %s", r.Path)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	cases := map[string]netbox.Config{
		"Config.URL is required":              {},
		"scheme must be http or https":        {URL: "ftp://netbox"},
		"no host":                             {URL: "http://"},
		"unknown source":                      {URL: "http://127.0.0.1", Hostname: []netbox.HostnameSource{"mac"}},
		"unknown field":                       {URL: "http://127.0.0.1", GroupBy: []netbox.GroupField{"colour"}},
		"nbt_<key>.<secret>":                  {URL: "http://127.0.0.1", Token: "nbt_nodot"},
		"loads nothing":                       {URL: "http://127.0.0.1", SkipDevices: true},
		"no location filter":                  {URL: "http://127.0.0.1", VirtualMachines: true, VirtualMachineFilter: netbox.Filter{Location: []string{"x"}}},
		`"limit" is set by the plugin`:        {URL: "http://127.0.0.1", Devices: netbox.Filter{Params: map[string][]string{"limit": {"5"}}}},
		"Config.Timeout: negative":            {URL: "http://127.0.0.1", Timeout: -1},
		"Config.CAFile: open /nonexistent":    {URL: "https://127.0.0.1", CAFile: "/nonexistent/ca.pem"},
		"cannot be combined":                  {URL: "http://127.0.0.1", Devices: netbox.Filter{Status: []string{"any", "active"}}},
		"Config.Devices.Cluster":              {URL: "http://127.0.0.1", Devices: netbox.Filter{Cluster: []string{"c"}}},
		"Config.URL \"http://127.0.0.1?x=1\"": {URL: "http://127.0.0.1?x=1"},
	}
	for want, cfg := range cases {
		_, err := netbox.New(cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want an error with %q", cfg, err, want)
		}
	}
}

func TestCancelledLoad(t *testing.T) {
	srv := fake(t, netboxtest.Config{Latency: 2 * time.Second})
	srv.AddDevices(netboxtest.Device{Name: "r1"})
	src, err := netbox.New(netbox.Config{URL: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	defer src.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	inv, err := src.Load(ctx)
	if inv != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled load: %v, %v", inv, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cancelled load took %v", d)
	}
}

func TestVersion(t *testing.T) {
	for _, v := range []string{"3.7.8", "4.2.9", "4.5.0"} {
		srv := fake(t, netboxtest.Config{Version: v})
		src, err := netbox.New(netbox.Config{URL: srv.URL, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		got, err := src.Version(context.Background())
		src.CloseIdleConnections()
		if err != nil || got != v {
			t.Errorf("Version on %s: %q, %v", v, got, err)
		}
	}
	srv := fake(t, netboxtest.Config{})
	src, _ := netbox.New(netbox.Config{URL: srv.URL, Token: "wrong"})
	defer src.CloseIdleConnections()
	if _, err := src.Version(context.Background()); err == nil || !strings.Contains(err.Error(), "/api/status/: 403 Forbidden: Invalid token") {
		t.Errorf("Version with a bad token: %v", err)
	}
}
