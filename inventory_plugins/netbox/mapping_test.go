package netbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// A device as NetBox 3.7 sends it (role and device_role, integer family) and as NetBox 4.x
// does (role only, family object), trimmed to the fields that matter plus a few others.
const (
	device37 = `{"id":12,"url":"https://netbox.example.com/api/dcim/devices/12/","display":"ams1-core-01 (AT-1)","name":"ams1-core-01",
"device_type":{"id":3,"url":"https://netbox.example.com/api/dcim/device-types/3/","display":"C9500-48Y4C","manufacturer":{"id":1,"url":"https://netbox.example.com/api/dcim/manufacturers/1/","display":"Cisco","name":"Cisco","slug":"cisco"},"model":"C9500-48Y4C","slug":"c9500-48y4c"},
"role":{"id":2,"url":"https://netbox.example.com/api/dcim/device-roles/2/","display":"Core","name":"Core","slug":"core"},
"device_role":{"id":2,"url":"https://netbox.example.com/api/dcim/device-roles/2/","display":"Core","name":"Core","slug":"core"},
"tenant":null,"platform":{"id":1,"url":"https://netbox.example.com/api/dcim/platforms/1/","display":"Cisco IOS-XE","name":"Cisco IOS-XE","slug":"ios-xe"},
"serial":"FOC1234X0AB","asset_tag":"AT-1","site":{"id":1,"url":"https://netbox.example.com/api/dcim/sites/1/","display":"Amsterdam 1","name":"Amsterdam 1","slug":"ams1"},
"location":null,"rack":null,"position":null,"face":null,"parent_device":null,"status":{"value":"active","label":"Active"},"airflow":null,
"primary_ip":{"id":7,"url":"https://netbox.example.com/api/ipam/ip-addresses/7/","display":"10.0.0.1/32","family":4,"address":"10.0.0.1/32"},
"primary_ip4":{"id":7,"url":"https://netbox.example.com/api/ipam/ip-addresses/7/","display":"10.0.0.1/32","family":4,"address":"10.0.0.1/32"},
"primary_ip6":null,"oob_ip":null,"cluster":null,"virtual_chassis":null,"vc_position":null,"vc_priority":null,"description":"","comments":"",
"config_template":null,"local_context_data":null,"tags":[{"id":1,"url":"https://netbox.example.com/api/extras/tags/1/","display":"backup","name":"backup","slug":"backup","color":"9e9e9e"}],
"custom_fields":{"contract":"CT-1","ports":48,"ratio":0.5,"nested":{"a":[1,2.5,"x"]}},"config_context":{"ntp":["192.0.2.1"]},"created":"2023-01-01T00:00:00.000000Z","last_updated":"2024-01-01T00:00:00.000000Z"}`

	device42 = `{"id":13,"url":"https://netbox.example.com/api/dcim/devices/13/","display_url":"https://netbox.example.com/dcim/devices/13/","display":"Cisco C9300-48P (13)","name":null,
"device_type":{"id":4,"url":"https://netbox.example.com/api/dcim/device-types/4/","display":"C9300-48P","manufacturer":{"id":1,"url":"https://netbox.example.com/api/dcim/manufacturers/1/","display":"Cisco","name":"Cisco","slug":"cisco","description":""},"model":"C9300-48P","slug":"c9300-48p","description":""},
"role":{"id":3,"url":"https://netbox.example.com/api/dcim/device-roles/3/","display":"Access","name":"Access","slug":"access","description":""},
"tenant":{"id":1,"url":"https://netbox.example.com/api/tenancy/tenants/1/","display":"ACME","name":"ACME","slug":"acme","description":""},"platform":null,
"serial":"","asset_tag":null,"site":{"id":1,"url":"https://netbox.example.com/api/dcim/sites/1/","display":"Amsterdam 1","name":"Amsterdam 1","slug":"ams1","description":""},
"location":{"id":1,"url":"https://netbox.example.com/api/dcim/locations/1/","display":"Hall A","name":"Hall A","slug":"hall-a","description":"","_depth":0},
"rack":{"id":9,"url":"https://netbox.example.com/api/dcim/racks/9/","display":"R09","name":"R09","description":""},
"status":{"value":"planned","label":"Planned"},
"primary_ip":{"id":8,"url":"https://netbox.example.com/api/ipam/ip-addresses/8/","display":"2001:db8::8/64","family":{"value":6,"label":"IPv6"},"address":"2001:db8::8/64","description":""},
"primary_ip4":null,"primary_ip6":{"id":8,"url":"https://netbox.example.com/api/ipam/ip-addresses/8/","display":"2001:db8::8/64","family":{"value":6,"label":"IPv6"},"address":"2001:db8::8/64","description":""},
"oob_ip":{"id":9,"url":"https://netbox.example.com/api/ipam/ip-addresses/9/","display":"198.51.100.9/24","family":{"value":4,"label":"IPv4"},"address":"198.51.100.9/24","description":""},
"tags":[],"custom_fields":{"contract":null},"created":"2024-01-01T00:00:00.000000Z"}`
)

func mustDecode(t testing.TB, s string) *object {
	t.Helper()
	var o object
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatal(err)
	}
	return &o
}

func testMapper(t testing.TB, cfg Config) *mapper {
	t.Helper()
	cfg.URL = "http://127.0.0.1"
	cfg, _, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return &mapper{cfg: cfg, dns: map[objKey][]ipAddress{}, siteRegion: map[int]string{1: "nl"}}
}

func TestMapBothGenerations(t *testing.T) {
	m := testMapper(t, Config{GroupBy: []GroupField{GroupBySite, GroupByRole, GroupByRegion, GroupByTag, GroupByStatus}, ConfigContext: true,
		Platforms: map[string]string{"ios-xe": "cisco_iosxe"}})

	h, groups, err := m.host(KindDevice, mustDecode(t, device37))
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "ams1-core-01" || h.Attrs.Hostname != "10.0.0.1" || h.Attrs.Platform != "cisco_iosxe" {
		t.Errorf("3.7 device: %q %q %q", h.Name, h.Attrs.Hostname, h.Attrs.Platform)
	}
	wantCF := map[string]any{"contract": "CT-1", "ports": 48, "ratio": 0.5, "nested": map[string]any{"a": []any{1, 2.5, "x"}}}
	if !reflect.DeepEqual(h.Data["custom_fields"], wantCF) {
		t.Errorf("custom fields %#v", h.Data["custom_fields"])
	}
	if !reflect.DeepEqual(h.Data["config_context"], map[string]any{"ntp": []any{"192.0.2.1"}}) {
		t.Errorf("config context %#v", h.Data["config_context"])
	}
	if want := []string{"site__ams1", "role__core", "region__nl", "tag__backup", "status__active"}; !reflect.DeepEqual(groups, want) {
		t.Errorf("groups %v", groups)
	}

	h, groups, err = m.host(KindDevice, mustDecode(t, device42))
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "device-13" || h.Attrs.Hostname != "2001:db8::8" || h.Attrs.Platform != "" {
		t.Errorf("4.2 device: %q %q %q", h.Name, h.Attrs.Hostname, h.Attrs.Platform)
	}
	for k, want := range map[string]any{"role": "access", "tenant": "acme", "location": "hall-a", "rack": "R09", "status": "planned", "oob_ip": "198.51.100.9", "primary_ip6": "2001:db8::8"} {
		if got := h.Data[k]; got != want {
			t.Errorf("4.2 data %s = %#v, want %#v", k, got, want)
		}
	}
	if want := []string{"site__ams1", "role__access", "region__nl", "status__planned"}; !reflect.DeepEqual(groups, want) {
		t.Errorf("groups %v", groups)
	}
}

func TestMapRoleFallbackAndFamilies(t *testing.T) {
	// NetBox before 3.6: device_role only.
	o := mustDecode(t, `{"id":1,"name":"r1","device_role":{"id":1,"name":"Edge","slug":"edge"},"primary_ip4":{"id":2,"family":4,"address":"192.0.2.1/24"}}`)
	m := testMapper(t, Config{Hostname: []HostnameSource{FromPrimaryIP4}})
	h, _, err := m.host(KindDevice, o)
	if err != nil || h.Data["role"] != "edge" || h.Attrs.Hostname != "192.0.2.1" {
		t.Fatalf("device_role: %v %#v %q", err, h.Data["role"], h.Attrs.Hostname)
	}
	for _, fam := range []string{`4`, `{"value":4,"label":"IPv4"}`, `null`, `"IPv4"`} {
		if _, err := decodeTest(`{"id":1,"primary_ip":{"id":2,"family":` + fam + `,"address":"192.0.2.1/32"}}`); err != nil {
			t.Errorf("family %s: %v", fam, err)
		}
	}
	// An address NetBox would never send is an error naming the field, not a bad hostname.
	o = mustDecode(t, `{"id":1,"name":"r1","primary_ip":{"id":2,"address":"not-an-ip/32"}}`)
	if _, _, err := m.host(KindDevice, o); err != nil {
		t.Fatalf("unused source must not fail: %v", err)
	}
	m = testMapper(t, Config{})
	if _, _, err := m.host(KindDevice, o); err == nil || !strings.Contains(err.Error(), `primary_ip: address "not-an-ip/32"`) {
		t.Fatalf("bad address: %v", err)
	}
}

func decodeTest(s string) (*object, error) {
	var o object
	err := json.Unmarshal([]byte(s), &o)
	return &o, err
}

// FuzzMapDevice feeds arbitrary JSON to the device decoding and mapping: no panic, and every
// host that comes out is well formed.
func FuzzMapDevice(f *testing.F) {
	for _, seed := range []string{device37, device42, `{}`, `{"id":5,"name":""}`, `{"id":-1,"name":"  "}`,
		`{"id":1,"name":"x","primary_ip":{"address":"::ffff:192.0.2.1/128"}}`,
		`{"id":1,"status":{"value":3},"tags":[{"slug":""},{"name":"n"}],"custom_fields":null,"config_context":[1]}`,
		`{"id":1,"oob_ip":{"address":"fe80::1%eth0/64"},"primary_ip4":{"address":"10.0.0.1"}}`,
		`{"id":2,"device_type":{"slug":"t","manufacturer":null},"site":{"id":1},"cluster":{"name":"Prod 1"}}`} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	// Seeds from the fake: a device of each API generation as the fake serves it.
	for _, version := range []string{"3.7.8", "4.2.9", "4.5.0"} {
		srv := netboxtest.NewServer(netboxtest.Config{Version: version, AllowAnonymous: true})
		srv.AddFleet(netboxtest.Generate(3, 1, 1))
		for _, path := range []string{"/api/dcim/devices/", "/api/virtualization/virtual-machines/"} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				f.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var p listPage[json.RawMessage]
			if err := json.Unmarshal(body, &p); err != nil {
				f.Fatal(err)
			}
			for _, r := range p.Results {
				f.Add([]byte(r), version == "4.5.0")
			}
		}
		srv.Close()
		http.DefaultClient.CloseIdleConnections()
	}

	all := []GroupField{GroupBySite, GroupByRole, GroupByPlatform, GroupByManufacturer, GroupByDeviceType, GroupByTenant,
		GroupByRegion, GroupByLocation, GroupByTag, GroupByStatus, GroupByCluster}
	f.Fuzz(func(t *testing.T, data []byte, flatten bool) {
		var o object
		if json.Unmarshal(data, &o) != nil {
			return
		}
		m := testMapper(t, Config{GroupBy: all, FlattenCustomFields: flatten, ConfigContext: true,
			Hostname:  []HostnameSource{FromPrimaryIP, FromPrimaryIP4, FromPrimaryIP6, FromOOBIP, FromDNSName, FromName},
			Platforms: map[string]string{"ios-xe": "cisco_iosxe"}})
		for _, kind := range []string{KindDevice, KindVirtualMachine} {
			h, groups, err := m.host(kind, &o)
			if err != nil {
				continue
			}
			if strings.TrimSpace(h.Name) == "" {
				t.Fatalf("empty host name from %s", data)
			}
			if (o.Name == nil || strings.TrimSpace(*o.Name) == "") && !strings.HasSuffix(h.Name, "-"+strconv.Itoa(o.ID)) {
				t.Fatalf("unnamed object got %q", h.Name)
			}
			if hn := h.Attrs.Hostname; hn != h.Name {
				if _, err := netip.ParseAddr(hn); err != nil || strings.Contains(hn, "/") {
					t.Fatalf("hostname %q is neither the name nor an address without prefix", hn)
				}
			}
			if h.Data["id"] != o.ID || h.Data["kind"] != kind {
				t.Fatalf("id/kind %v %v", h.Data["id"], h.Data["kind"])
			}
			if _, ok := h.Data["tags"].([]string); !ok {
				t.Fatalf("tags %#v", h.Data["tags"])
			}
			for _, g := range groups {
				field, value, ok := strings.Cut(g, "__")
				if !ok || value == "" || !knownGroupFields[GroupField(field)] {
					t.Fatalf("bad group name %q", g)
				}
			}
			h2, groups2, err := m.host(kind, &o)
			if err != nil || !reflect.DeepEqual(h.Data, h2.Data) || !reflect.DeepEqual(groups, groups2) || h.Attrs != h2.Attrs {
				t.Fatalf("mapping is not deterministic")
			}
		}
	})
}
