package inventory

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// loadFS loads hosts.yaml, groups.yaml and defaults.yaml from an in-memory file system; a
// missing entry is a missing file.
func loadFS(t *testing.T, files map[string]string) (*Inventory, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	s := &SimpleInventory{FS: fsys, HostFile: "hosts.yaml", GroupFile: "groups.yaml", DefaultsFile: "defaults.yaml"}
	return s.Load(context.Background())
}

func mustLoadFS(t *testing.T, files map[string]string) *Inventory {
	t.Helper()
	inv, err := loadFS(t, files)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return inv
}

// testInventory is the shared test inventory in testdata/inventory.
func testInventory(t testing.TB) *Inventory {
	t.Helper()
	inv, err := LoadDir(context.Background(), "testdata/inventory")
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	return inv
}

func host(t *testing.T, inv *Inventory, name string) *Host {
	t.Helper()
	h, ok := inv.Host(name)
	if !ok {
		t.Fatalf("no host %q", name)
	}
	return h
}

func groupNames(gs []*Group) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Name
	}
	return out
}

// The example: host in [a, b], a in [1, 2], b in [2, 3], 1 in [X] gives a, 1, X, 2, b, 3.
const orderGroups = `
a: {groups: ["1", "2"]}
b: {groups: ["2", "3"]}
"1": {groups: [X]}
"2": {}
"3": {}
X: {}
`

func TestDepthFirstOrder(t *testing.T) {
	inv := mustLoadFS(t, map[string]string{
		"hosts.yaml":  "h: {groups: [a, b]}\n",
		"groups.yaml": orderGroups,
	})
	h := host(t, inv, "h")
	if got, want := groupNames(h.AllGroups()), []string{"a", "1", "X", "2", "b", "3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("AllGroups = %v, want %v", got, want)
	}
	for _, n := range []string{"a", "1", "X", "2", "b", "3"} {
		if !h.InGroup(n) {
			t.Errorf("InGroup(%q) = false", n)
		}
	}
	if h.InGroup("Y") {
		t.Error("InGroup(Y) = true")
	}
}

func TestDepthFirstResolution(t *testing.T) {
	// Each value is set by two groups; the one earlier in a, 1, X, 2, b, 3 must win.
	groups := `
a: {groups: ["1", "2"]}
b: {groups: ["2", "3"], platform: from-b, data: {k4: b}}
"1": {groups: [X], data: {k2: "1"}}
"2": {platform: from-2, username: from-2, data: {k2: "2", k3: "2", k4: "2"}}
"3": {username: from-3, port: 3333, data: {k4: "3"}}
X: {platform: from-X, data: {k3: X}}
`
	inv := mustLoadFS(t, map[string]string{
		"hosts.yaml":    "h: {groups: [a, b]}\n",
		"groups.yaml":   groups,
		"defaults.yaml": "platform: from-defaults\nport: 22\npassword: pw\n",
	})
	h := host(t, inv, "h")
	checks := []struct{ name, got, want string }{
		{"platform", h.Platform(), "from-X"},
		{"username", h.Username(), "from-2"},
		{"password", h.Password(), "pw"},
		{"hostname", h.Hostname(), "h"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if h.Port() != 3333 {
		t.Errorf("port = %d, want 3333", h.Port())
	}
	for key, want := range map[string]string{"k2": "1", "k3": "X", "k4": "2"} {
		if v, ok := h.Get(key); !ok || v != want {
			t.Errorf("Get(%q) = %v, %v; want %q", key, v, ok, want)
		}
	}
}

func TestSharedInventoryResolution(t *testing.T) {
	inv := testInventory(t)
	if inv.Len() != 8 {
		t.Fatalf("hosts = %d", inv.Len())
	}
	var names []string
	for _, h := range inv.Hosts() {
		names = append(names, h.Name)
	}
	want := []string{"ams1-core-1", "ams1-core-2", "ams1-edge-1", "fra1-core-1", "fra1-lab-1", "nyc1-edge-1", "nyc1-core-1", "oob-console"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("load order %v, want %v", names, want)
	}

	h := host(t, inv, "ams1-core-1")
	if h.Hostname() != "127.0.1.1" || h.Platform() != "eos" || h.Username() != "netops" || h.Port() != 22 {
		t.Errorf("ams1-core-1 attrs = %+v", h.ResolvedAttrs())
	}
	if got := groupNames(h.AllGroups()); !reflect.DeepEqual(got, []string{"site-ams1", "region-eu", "global", "core", "eos"}) {
		t.Errorf("AllGroups = %v", got)
	}
	for key, want := range map[string]any{"site": "ams1", "region": "eu", "owner": "neteng", "role": "core", "domain": "example.net", "serial": "FOC0001"} {
		if v, ok := h.Get(key); !ok || v != want {
			t.Errorf("Get(%q) = %v, %v; want %v", key, v, ok, want)
		}
	}
	// The host's own tags win over the group's.
	if v, _ := h.Get("tags"); !reflect.DeepEqual(v, []any{"bgp", "evpn"}) {
		t.Errorf("tags = %#v", v)
	}
	lab := host(t, inv, "fra1-lab-1")
	if lab.Username() != "lab" || lab.Password() != "lab-secret" {
		t.Errorf("lab credentials = %q/%q", lab.Username(), lab.Password())
	}
	if host(t, inv, "nyc1-edge-1").Port() != 2222 {
		t.Error("own port not used")
	}
	oob := host(t, inv, "oob-console")
	if oob.Hostname() != "oob-console" {
		t.Errorf("hostname fallback = %q", oob.Hostname())
	}
	if v, ok := oob.Get("mgmt.vrf"); !ok || v != "oob" {
		t.Errorf("dotted key = %v %v", v, ok)
	}
	if len(inv.ChildrenOf("region-eu")) != 5 || len(inv.ChildrenOf("global")) != 7 || inv.ChildrenOf("nope") != nil {
		t.Errorf("ChildrenOf counts %d %d", len(inv.ChildrenOf("region-eu")), len(inv.ChildrenOf("global")))
	}
	if got := groupNames(inv.Groups()); got[0] != "global" || len(got) != 12 {
		t.Errorf("Groups() = %v", got)
	}
}

func TestNullValues(t *testing.T) {
	inv := mustLoadFS(t, map[string]string{
		"hosts.yaml": `
h1:
  platform: null      # null attribute: unset, inherited
  groups: [g]
  data:
    k: null           # null data key in the host: set
h2:
  groups: [g]
h3:
  groups: [nullgroup, g]
h4: {}
h5: ~
`,
		"groups.yaml": `
g:
  platform: eos
  username: ~
  data: {k: from-g, dk: null}
nullgroup:
  data: {k: null}
`,
		"defaults.yaml": `
username: def
data:
  k: from-defaults
  dk: from-defaults
  dn: null
`,
	})
	h1 := host(t, inv, "h1")
	if h1.Platform() != "eos" || h1.Username() != "def" {
		t.Errorf("null attributes not inherited: %q %q", h1.Platform(), h1.Username())
	}
	if v, ok := h1.Get("k"); !ok || v != nil {
		t.Errorf("host null key: Get = %v, %v; want nil, true", v, ok)
	}
	if v, ok := host(t, inv, "h2").Get("k"); !ok || v != "from-g" {
		t.Errorf("h2 k = %v %v", v, ok)
	}
	if v, ok := host(t, inv, "h2").Get("dk"); !ok || v != nil {
		t.Errorf("group null key: Get = %v, %v; want nil, true (stops before the defaults)", v, ok)
	}
	if v, ok := host(t, inv, "h3").Get("k"); !ok || v != nil {
		t.Errorf("first group's null wins: %v %v", v, ok)
	}
	if v, ok := host(t, inv, "h4").Get("dn"); ok || v != nil {
		t.Errorf("defaults null key: Get = %v, %v; want nil, false", v, ok)
	}
	if v, ok := host(t, inv, "h4").Get("k"); !ok || v != "from-defaults" {
		t.Errorf("defaults k = %v %v", v, ok)
	}
	if _, ok := host(t, inv, "h5").Get("missing"); ok {
		t.Error("missing key found")
	}
	ed := host(t, inv, "h2").ExtendedData()
	// A null defaults key is in ExtendedData (as in Nornir's extended_data) though Get misses it.
	if v, has := ed["dn"]; !has || v != nil || ed["k"] != "from-g" || ed["dk"] != nil || len(ed) != 3 {
		t.Errorf("ExtendedData = %v", ed)
	}
	if _, ok := host(t, inv, "h2").Get("dn"); ok {
		t.Error("Get found the defaults' null key")
	}
}

func TestConnectionParams(t *testing.T) {
	inv := mustLoadFS(t, map[string]string{
		"hosts.yaml": `
h:
  hostname: 127.0.0.10
  username: hostuser
  groups: [a, b]
  connection_options:
    scrapli:
      username: scrapli-user
h-empty-extras:
  groups: [a, b]
  connection_options:
    scrapli:
      extras: {}
h-plain:
  port: 2022
  groups: [b]
`,
		"groups.yaml": `
a:
  connection_options:
    scrapli:
      platform: cisco_iosxe
b:
  connection_options:
    scrapli:
      port: 2200
      password: b-pass
      platform: from-b
      extras: {auth_strict_key: true, transport: system}
    netconf:
      extras: {strip_namespaces: true}
`,
		"defaults.yaml": `
platform: iosxe
password: def-pass
connection_options:
  scrapli:
    port: 1000
    hostname: 127.0.0.99
    extras: {from: defaults}
  netconf:
    port: 830
`,
	})
	p := host(t, inv, "h").ConnectionParams("scrapli")
	// username: host's option; platform: a's; port: b's, not the defaults' 1000 (Nornir would
	// merge the defaults inside a's step and give 1000); hostname: the defaults' option before
	// the host's own attribute; extras whole from b.
	want := Params{Hostname: "127.0.0.99", Port: 2200, Username: "scrapli-user", Password: "b-pass", Platform: "cisco_iosxe",
		Extras: map[string]any{"auth_strict_key": true, "transport": "system"}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("scrapli params\n got %+v\nwant %+v", p, want)
	}
	p = host(t, inv, "h").ConnectionParams("netconf")
	want = Params{Hostname: "127.0.0.10", Port: 830, Username: "hostuser", Password: "def-pass", Platform: "iosxe",
		Extras: map[string]any{"strip_namespaces": true}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("netconf params\n got %+v\nwant %+v", p, want)
	}
	// No options anywhere for the name: the host's resolved attributes.
	p = host(t, inv, "h-plain").ConnectionParams("napalm")
	want = Params{Hostname: "h-plain", Port: 2022, Password: "def-pass", Platform: "iosxe"}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("napalm params\n got %+v\nwant %+v", p, want)
	}
	// An empty extras mapping is set: it stops inheritance of extras.
	if e := host(t, inv, "h-empty-extras").ConnectionParams("scrapli").Extras; e == nil || len(e) != 0 {
		t.Errorf("empty extras = %#v, want empty non-nil map", e)
	}
	if got := host(t, inv, "h").ConnectionNames(); !reflect.DeepEqual(got, []string{"netconf", "scrapli"}) {
		t.Errorf("ConnectionNames = %v", got)
	}
}

func TestRuntimeEditsNotStale(t *testing.T) {
	inv := mustLoadFS(t, map[string]string{
		"hosts.yaml":    "h: {groups: [child]}\nother: {}\n",
		"groups.yaml":   "child: {groups: [parent]}\nparent: {platform: eos, data: {site: ams1}}\nextra: {data: {tier: gold}}\n",
		"defaults.yaml": "username: u1\n",
	})
	h := host(t, inv, "h")
	child, _ := inv.Group("child")
	parent, _ := inv.Group("parent")
	extra, _ := inv.Group("extra")
	// Warm the caches.
	if h.Platform() != "eos" || h.Username() != "u1" {
		t.Fatal("unexpected initial values")
	}

	parent.SetAttrs(Attrs{Platform: "junos"})
	if h.Platform() != "junos" {
		t.Errorf("after SetAttrs: platform %q", h.Platform())
	}
	parent.SetData("site", "fra1")
	if v, _ := h.Get("site"); v != "fra1" {
		t.Errorf("after SetData: site %v", v)
	}
	parent.DeleteData("site")
	if _, ok := h.Get("site"); ok {
		t.Error("after DeleteData: site still found")
	}
	parent.SetConnectionOptions("scrapli", &ConnectionOptions{Port: 2222})
	if h.ConnectionParams("scrapli").Port != 2222 {
		t.Error("after SetConnectionOptions: port not seen")
	}
	parent.SetConnectionOptions("scrapli", nil)
	if h.ConnectionParams("scrapli").Port != 0 {
		t.Error("after removing options: port still seen")
	}
	if err := child.SetGroups(parent, extra); err != nil {
		t.Fatal(err)
	}
	if !h.InGroup("extra") {
		t.Error("after SetGroups: not in extra")
	}
	if v, _ := h.Get("tier"); v != "gold" {
		t.Errorf("after SetGroups: tier %v", v)
	}
	if err := parent.SetGroups(child); !errors.Is(err, ErrGroupCycle) {
		t.Errorf("SetGroups making a cycle: %v", err)
	}

	// Direct writes to a group's fields: seen after Invalidate, or inside Edit.
	parent.Attrs.Platform = "iosxr"
	inv.Invalidate()
	if h.Platform() != "iosxr" {
		t.Errorf("after Invalidate: platform %q", h.Platform())
	}
	inv.Edit(func() { extra.Data = map[string]any{"tier": "silver"} })
	if v, _ := h.Get("tier"); v != "silver" {
		t.Errorf("after Edit: tier %v", v)
	}

	// Defaults and the host's own fields are read live.
	inv.Defaults().Attrs.Username = "u2"
	if h.Username() != "u2" {
		t.Errorf("defaults edit: username %q", h.Username())
	}
	inv.SetDefaults(&Defaults{Attrs: Attrs{Username: "u3"}})
	if h.Username() != "u3" {
		t.Errorf("SetDefaults: username %q", h.Username())
	}
	h.Attrs.Platform = "own"
	h.Data = map[string]any{"tier": "host"}
	if h.Platform() != "own" {
		t.Errorf("host edit: platform %q", h.Platform())
	}
	if v, _ := h.Get("tier"); v != "host" {
		t.Errorf("host edit: tier %v", v)
	}
	h.Groups = nil
	if h.InGroup("parent") {
		t.Error("host groups edit not seen")
	}
}

func TestConcurrentLookups(t *testing.T) {
	inv := testInventory(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				for _, h := range inv.Hosts() {
					_ = h.Platform()
					_, _ = h.Get("site")
					_ = h.ConnectionParams("scrapli")
					_ = h.InGroup("global")
				}
			}
		}()
	}
	inv.Invalidate() // concurrent invalidation is safe too (caches rebuild)
	wg.Wait()
}

func TestStandaloneHost(t *testing.T) {
	g := &Group{Name: "g", Attrs: Attrs{Platform: "eos"}, Data: map[string]any{"k": 1}}
	h := &Host{Name: "r1", Groups: []*Group{g}}
	if h.Platform() != "eos" || h.Hostname() != "r1" || h.Defaults() != nil {
		t.Fatal("standalone host resolution")
	}
	g.Attrs.Platform = "junos" // no inventory: nothing is cached
	if h.Platform() != "junos" {
		t.Error("standalone group edit not seen")
	}
	inv := New([]*Host{h}, nil, &Defaults{Attrs: Attrs{Username: "u"}})
	if h.Username() != "u" || len(inv.Groups()) != 1 {
		t.Errorf("New: username %q, groups %d", h.Username(), len(inv.Groups()))
	}
	if got := inv.Filter(nil); len(got) != 1 {
		t.Errorf("Filter(nil) = %d hosts", len(got))
	}
}

func TestBuild(t *testing.T) {
	groups, defaults, err := LoadGroups(context.Background(), "testdata/inventory/groups.yaml", "testdata/inventory/defaults.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hosts := []*Host{
		{Name: "nb-1", Attrs: Attrs{Hostname: "127.0.5.1"}, Groups: GroupRefs("site-ams1", "eos")},
		{Name: "nb-2", Groups: []*Group{groups["junos"]}},
	}
	inv, err := Build(hosts, groups, defaults)
	if err != nil {
		t.Fatal(err)
	}
	h := host(t, inv, "nb-1")
	if h.Platform() != "eos" || h.Username() != "netops" || !h.InGroup("global") || h.Groups[0] != groups["site-ams1"] {
		t.Errorf("built host: %+v", h.ResolvedAttrs())
	}
	if v, _ := h.Get("region"); v != "eu" {
		t.Errorf("region = %v", v)
	}
	if p := h.ConnectionParams("scrapli"); p.Platform != "arista_eos" || p.Extras["transport"] != "system" {
		t.Errorf("params %+v", p)
	}

	// The same groups can be passed to another Build: they are copied, and the first
	// inventory keeps its own.
	inv2, err := Build([]*Host{{Name: "nb-3", Groups: GroupRefs("eos")}}, groups, defaults)
	if err != nil {
		t.Fatal(err)
	}
	eos2, _ := inv2.Group("eos")
	if eos2 == groups["eos"] {
		t.Fatal("second Build did not copy groups owned by the first inventory")
	}
	eos2.SetAttrs(Attrs{Platform: "arista_eos"})
	if h3, _ := inv2.Host("nb-3"); h3.Platform() != "arista_eos" || h.Platform() != "eos" {
		t.Errorf("edits crossed inventories: %q %q", h3.Platform(), h.Platform())
	}
	inv.Edit(func() { groups["eos"].Data = map[string]any{"x": 1} })
	if _, ok := h.Get("x"); !ok {
		t.Error("first inventory's groups not refreshed by its Edit")
	}

	// Errors: every one listed, each naming the host or group; nothing changed.
	bad := []*Host{
		{Name: "x1", Groups: GroupRefs("eos", "no-such")},
		{Name: "x1"},
		{Name: ""},
		{Name: "x3", Attrs: Attrs{Port: 70000}},
		{Name: "x4", ConnectionOptions: map[string]*ConnectionOptions{"scrapli": {Port: -1}}},
	}
	before := bad[0].Groups[0]
	cyc := map[string]*Group{"a": {Groups: GroupRefs("b")}, "b": {Groups: GroupRefs("a")}, "eos": {}}
	_, err = Build(bad, cyc, nil)
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Build error = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`host "x1": undefined group "no-such"`,
		`duplicate host "x1" (hosts #1 and #2)`,
		`host #3 has an empty name`,
		`host "x3": port 70000 is not in 1-65535`,
		`host "x4": connection_options "scrapli": port -1 is not in 1-65535`,
		`cycle of groups: a -> b -> a`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Build error lacks %q:\n%s", want, msg)
		}
	}
	for _, kind := range []error{ErrUndefinedGroup, ErrDuplicate, ErrInvalidName, ErrInvalidPort, ErrGroupCycle} {
		if !errors.Is(err, kind) {
			t.Errorf("errors.Is(err, %v) = false", kind)
		}
	}
	if bad[0].Groups[0] != before || cyc["a"].Name != "" {
		t.Error("failed Build changed its input")
	}
	if _, err := Build([]*Host{{Name: "y"}}, map[string]*Group{"a": {Name: "b"}}, nil); err == nil || !strings.Contains(err.Error(), `group "b" is stored under the name "a"`) {
		t.Errorf("name mismatch: %v", err)
	}
}

func TestGroupRefsParents(t *testing.T) {
	groups := map[string]*Group{
		"child":  {Groups: GroupRefs("parent")},
		"parent": {Attrs: Attrs{Platform: "eos"}},
	}
	inv, err := Build([]*Host{{Name: "h", Groups: GroupRefs("child")}}, groups, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := inv.Host("h")
	if h.Platform() != "eos" || groups["child"].Name != "child" || groups["child"].Groups[0] != groups["parent"] {
		t.Error("parent placeholders not resolved")
	}
	if got := groupNames(inv.Groups()); !reflect.DeepEqual(got, []string{"child", "parent"}) {
		t.Errorf("Groups = %v", got)
	}
}

func TestLookupHostname(t *testing.T) {
	inv := mustLoadFS(t, map[string]string{
		"hosts.yaml": `
own: {hostname: 192.0.2.1, groups: [g]}
fromgroup: {groups: [g]}
fromdefaults: {}
`,
		"groups.yaml":   "g: {hostname: 192.0.2.2}\n",
		"defaults.yaml": "hostname: 192.0.2.3\n",
	})
	for name, want := range map[string]string{"own": "192.0.2.1", "fromgroup": "192.0.2.2", "fromdefaults": "192.0.2.3"} {
		h := host(t, inv, name)
		if v, ok := h.LookupHostname(); !ok || v != want || h.Hostname() != want {
			t.Errorf("%s: LookupHostname = %q, %v; Hostname = %q; want %q", name, v, ok, h.Hostname(), want)
		}
	}
	bare := mustLoadFS(t, map[string]string{"hosts.yaml": "r9: {}\n"})
	h := host(t, bare, "r9")
	if v, ok := h.LookupHostname(); ok || v != "" || h.Hostname() != "r9" {
		t.Errorf("unset: LookupHostname = %q, %v; Hostname = %q (want the name)", v, ok, h.Hostname())
	}
}
