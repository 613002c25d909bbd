package netbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gonorn/norn/inventory_plugins/netbox"
	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// Loading an inventory from NetBox. Here NetBox is the fake of package netboxtest; against a
// real one, URL is NetBox's address and the token usually comes from NB_TOKEN.
func Example() {
	srv := netboxtest.NewServer(netboxtest.Config{Tokens: []string{"0123456789abcdef0123456789abcdef01234567"}})
	defer srv.Close()
	srv.AddDevices(
		netboxtest.Device{Name: "ams1-core-01", Site: "ams1", Role: "core", Platform: "ios-xe", PrimaryIP4: "192.0.2.1/32", Tags: []string{"backup"}},
		netboxtest.Device{Name: "ams1-access-01", Site: "ams1", Role: "access", Platform: "ios-xe", PrimaryIP4: "192.0.2.2/32"},
		netboxtest.Device{Name: "fra1-core-01", Site: "fra1", Role: "core", Platform: "junos", PrimaryIP4: "192.0.2.3/32"},
	)

	src, err := netbox.New(netbox.Config{
		URL:       srv.URL,
		Token:     "0123456789abcdef0123456789abcdef01234567",
		Devices:   netbox.Filter{Site: []string{"ams1"}},
		Platforms: map[string]string{"ios-xe": "cisco_iosxe"},
		GroupBy:   []netbox.GroupField{netbox.GroupBySite, netbox.GroupByRole},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.CloseIdleConnections()
	inv, err := src.Load(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range inv.Hosts() {
		site, _ := h.Get("site")
		fmt.Println(h.Name, h.Hostname(), h.Platform(), site, h.InGroup("role__core"))
	}
	// Output:
	// ams1-access-01 192.0.2.2 cisco_iosxe ams1 false
	// ams1-core-01 192.0.2.1 cisco_iosxe ams1 true
}

// Credentials and connection options are not in NetBox: they come from a SimpleInventory
// groups file and defaults file, whose groups are named like the generated ones.
func Example_credentials() {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true})
	defer srv.Close()
	srv.AddDevices(
		netboxtest.Device{Name: "r1", Platform: "ios-xe", PrimaryIP4: "192.0.2.1/32"},
		netboxtest.Device{Name: "r2", Platform: "junos", PrimaryIP4: "192.0.2.2/32"},
	)
	dir, err := os.MkdirTemp("", "netbox-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	groups := filepath.Join(dir, "groups.yaml")
	defaults := filepath.Join(dir, "defaults.yaml")
	_ = os.WriteFile(groups, []byte("platform__ios-xe:\n  username: cisco-admin\n  port: 22\n"), 0o600)
	_ = os.WriteFile(defaults, []byte("username: netops\nport: 830\n"), 0o600)

	src, err := netbox.New(netbox.Config{
		URL:          srv.URL,
		GroupBy:      []netbox.GroupField{netbox.GroupByPlatform},
		GroupsFile:   groups,
		DefaultsFile: defaults,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.CloseIdleConnections()
	inv, err := src.Load(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range inv.Hosts() {
		fmt.Println(h.Name, h.Username(), h.Port())
	}
	// Output:
	// r1 cisco-admin 22
	// r2 netops 830
}

// A failed load returns no inventory and a *netbox.Error with NetBox's message.
func ExampleError() {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true})
	defer srv.Close()
	srv.AddDevices(netboxtest.Device{Name: "r1", Site: "ams1"})

	src, _ := netbox.New(netbox.Config{URL: srv.URL, Devices: netbox.Filter{Site: []string{"amsterdam"}}})
	defer src.CloseIdleConnections()
	inv, err := src.Load(context.Background())
	var nbErr *netbox.Error
	if errors.As(err, &nbErr) {
		fmt.Println(inv == nil, nbErr.StatusCode, nbErr.Message)
	}
	// Output:
	// true 400 site: Select a valid choice. amsterdam is not one of the available choices.
}

// What an operator should fix in NetBox: a platform slug norn does not know, a device without
// any IP address. Planned devices are left out (only active ones load by default).
func ExampleSource_LoadWithReport() {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true})
	defer srv.Close()
	srv.AddDevices(
		netboxtest.Device{Name: "core1", Platform: "cisco-ios-xe", PrimaryIP4: "192.0.2.1/32"},
		netboxtest.Device{Name: "fw1", Platform: "fortios", PrimaryIP4: "192.0.2.2/32"},
		netboxtest.Device{Name: "edge9", Platform: "junos"},
		netboxtest.Device{Name: "spare", Platform: "junos", Status: "planned"},
	)
	src, err := netbox.New(netbox.Config{URL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.CloseIdleConnections()
	inv, rep, err := src.LoadWithReport(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range inv.Hosts() {
		fmt.Println(h.Name, h.Platform())
	}
	for _, w := range rep.Warnings {
		fmt.Println(w)
	}
	// Output:
	// core1 cisco_iosxe
	// edge9 juniper_junos
	// fw1 fortios
	// netbox: platform slug "fortios" of 1 host (fw1) maps to no platform norn knows and has no backup profile: map it with Config.Platforms fortios=NAME (NAME one of cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos, nokia_srl)
	// netbox: 1 host without any IP address in NetBox (no primary IPv4/IPv6, no OOB IP): edge9; they are reached by DNS name or name, if at all
}
