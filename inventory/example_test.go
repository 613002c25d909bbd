package inventory_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/gonorn/norn/inventory"
)

// Load a Nornir SimpleInventory directory and select hosts with composable filters.
func Example() {
	inv, err := inventory.LoadDir(context.Background(), "testdata/inventory")
	if err != nil {
		log.Fatal(err)
	}
	f := inventory.And(
		inventory.InGroup("region-eu"), // nested: through site-ams1 and site-fra1
		inventory.Field("role").Eq("core"),
		inventory.Not(inventory.Platform("junos")),
	)
	for _, h := range inv.Filter(f) {
		fmt.Println(h.Name, h.Platform(), h.Hostname())
	}
	// Output:
	// ams1-core-1 eos 127.0.1.1
	// fra1-core-1 eos 127.0.2.1
}

// The text filter language, for command lines and configuration files.
func ExampleParseFilter() {
	inv, err := inventory.LoadDir(context.Background(), "testdata/inventory")
	if err != nil {
		log.Fatal(err)
	}
	f, err := inventory.ParseFilter("site=ams1 and (role=core or platform in [eos, junos]) and not group=lab")
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range inv.Filter(f) {
		fmt.Println(h.Name)
	}
	_, err = inventory.ParseFilter("site=ams1 and (role=")
	fmt.Println(err)
	// Output:
	// ams1-core-1
	// ams1-core-2
	// filter: column 21: expected a value after "=", got the end of the filter
	//   site=ams1 and (role=
	//                       ^
}

// Inherited values: attributes, data and connection parameters.
func ExampleHost_ConnectionParams() {
	inv, err := inventory.LoadDir(context.Background(), "testdata/inventory")
	if err != nil {
		log.Fatal(err)
	}
	h, _ := inv.Host("ams1-core-1")
	site, _ := h.Get("site")
	region, _ := h.Get("region")
	fmt.Println(site, region, h.Username())
	var groups []string
	for _, g := range h.AllGroups() {
		groups = append(groups, g.Name)
	}
	fmt.Println(strings.Join(groups, " "))
	p := h.ConnectionParams("scrapli")
	fmt.Println(p.Hostname, p.Port, p.Username, p.Platform, p.Extras)
	// Output:
	// ams1 eu netops
	// site-ams1 region-eu global core eos
	// 127.0.1.1 22 netops arista_eos map[transport:system]
}

// An inventory plugin (NetBox, ...) takes groups and defaults from YAML and its hosts from
// elsewhere, naming their groups; Build links and validates them.
func ExampleBuild() {
	ctx := context.Background()
	groups, defaults, err := inventory.LoadGroups(ctx, "testdata/inventory/groups.yaml", "testdata/inventory/defaults.yaml")
	if err != nil {
		log.Fatal(err)
	}
	hosts := []*inventory.Host{
		{Name: "nb-ams1-1", Attrs: inventory.Attrs{Hostname: "127.0.9.1"}, Groups: inventory.GroupRefs("site-ams1", "eos")},
		{Name: "nb-nyc1-1", Groups: inventory.GroupRefs("site-nyc1", "junos"), Data: map[string]any{"serial": "X1"}},
	}
	inv, err := inventory.Build(hosts, groups, defaults)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range inv.Hosts() {
		region, _ := h.Get("region")
		fmt.Println(h.Name, h.Platform(), region, h.Username())
	}

	_, err = inventory.Build([]*inventory.Host{{Name: "bad", Groups: inventory.GroupRefs("site-xyz")}}, groups, defaults)
	fmt.Println(err)
	// Output:
	// nb-ams1-1 eos eu netops
	// nb-nyc1-1 junos us netops
	// inventory: host "bad": undefined group "site-xyz"
}

// Groups can be edited at run time; lookups never see stale values.
func ExampleGroup_SetAttrs() {
	inv, err := inventory.LoadDir(context.Background(), "testdata/inventory")
	if err != nil {
		log.Fatal(err)
	}
	h, _ := inv.Host("ams1-core-1")
	eos, _ := inv.Group("eos")
	fmt.Println(h.Platform())
	eos.SetAttrs(inventory.Attrs{Platform: "arista_eos"})
	fmt.Println(h.Platform())
	// Writing fields directly: inside Edit (or call Invalidate after).
	inv.Edit(func() { eos.Attrs.Platform = "eos" })
	fmt.Println(h.Platform())
	// Output:
	// eos
	// arista_eos
	// eos
}

// groups is a host's direct groups (Nornir's F(groups__contains=...)); group is membership
// through nested groups too (InGroup).
func ExampleField_groups() {
	inv, err := inventory.LoadDir(context.Background(), "testdata/inventory")
	if err != nil {
		log.Fatal(err)
	}
	h, _ := inv.Host("nyc1-core-1")
	direct, _ := inventory.Field("groups").Value(h)
	nested, _ := inventory.Field("group").Value(h)
	fmt.Println("groups:", direct)
	fmt.Println("group: ", nested)
	fmt.Println(len(inv.Filter(inventory.MustParseFilter("groups contains region-us"))),
		len(inv.Filter(inventory.MustParseFilter("group contains region-us"))))
	// Output:
	// groups: [site-nyc1 core iosxe]
	// group:  [site-nyc1 region-us global core iosxe]
	// 0 2
}

// Hostname falls back to the host's name for connecting; LookupHostname says whether a
// hostname is set at all.
func ExampleHost_LookupHostname() {
	inv, err := inventory.Build([]*inventory.Host{
		{Name: "r1", Attrs: inventory.Attrs{Hostname: "192.0.2.1"}},
		{Name: "r2.example.net"},
	}, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range inv.Hosts() {
		v, ok := h.LookupHostname()
		fmt.Printf("%s: Hostname %q, LookupHostname %q %v\n", h.Name, h.Hostname(), v, ok)
	}
	// Output:
	// r1: Hostname "192.0.2.1", LookupHostname "192.0.2.1" true
	// r2.example.net: Hostname "r2.example.net", LookupHostname "" false
}
