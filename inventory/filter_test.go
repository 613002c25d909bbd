package inventory

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func names(hosts []*Host) []string {
	out := []string{}
	for _, h := range hosts {
		out = append(out, h.Name)
	}
	return out
}

// The shared test inventory (testdata/inventory):
//
//	ams1-core-1  site-ams1 core eos     tags [bgp evpn] (own)   vendor arista
//	ams1-core-2  site-ams1 core junos   tags [bgp mpls] (core)  vendor juniper
//	ams1-edge-1  site-ams1 edge iosxe   tags [bgp] (edge)       vendor cisco
//	fra1-core-1  site-fra1 core eos     tags [bgp mpls]         vendor arista
//	fra1-lab-1   lab site-fra1 eos      role lab                vendor arista
//	nyc1-edge-1  site-nyc1 edge junos   tags [] (own), port 2222 vendor juniper
//	nyc1-core-1  site-nyc1 core iosxe   tags [bgp mpls], role null (own) vendor cisco
//	oob-console  (no groups) linux
func TestFilters(t *testing.T) {
	inv := testInventory(t)
	eu, _ := inv.Group("region-eu")
	cases := []struct {
		name string
		f    Filter
		want string
	}{
		{"nil", nil, "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1 nyc1-edge-1 nyc1-core-1 oob-console"},
		{"platform", Platform("eos"), "ams1-core-1 fra1-core-1 fra1-lab-1"},
		{"platforms", Platform("junos", "linux"), "ams1-core-2 nyc1-edge-1 oob-console"},
		{"in nested group", InGroup("region-eu"), "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1"},
		{"in any group", InGroup("site-nyc1", "lab"), "fra1-lab-1 nyc1-edge-1 nyc1-core-1"},
		{"children of", ChildrenOf(eu), "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1"},
		{"children of a namesake", ChildrenOf(&Group{Name: "region-eu"}), ""},
		{"and", And(InGroup("core"), Platform("eos")), "ams1-core-1 fra1-core-1"},
		{"or", Or(Platform("iosxe"), Field("site").Eq("fra1")), "ams1-edge-1 fra1-core-1 fra1-lab-1 nyc1-core-1"},
		{"not", Not(InGroup("global")), "oob-console"},
		{"and of none", And(), "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1 nyc1-edge-1 nyc1-core-1 oob-console"},
		{"or of none", Or(), ""},
		{"names", Names("oob-console", "fra1-lab-1", "nope"), "fra1-lab-1 oob-console"},
		{"eq inherited data", Field("region").Eq("us"), "nyc1-edge-1 nyc1-core-1"},
		{"eq own null stops inheritance", Field("role").Eq("core"), "ams1-core-1 ams1-core-2 fra1-core-1"},
		{"eq null", Field("role").Eq(nil), "nyc1-core-1"},
		{"ne", Field("role").Ne("core"), "ams1-edge-1 fra1-lab-1 nyc1-edge-1 nyc1-core-1 oob-console"},
		{"nested path", Field("facts.vendor").Eq("juniper"), "ams1-core-2 nyc1-edge-1"},
		{"nested path slice", FieldPath("facts", "vendor").In("cisco", "juniper"), "ams1-core-2 ams1-edge-1 nyc1-edge-1 nyc1-core-1"},
		{"dotted key", FieldPath("mgmt.vrf").Eq("oob"), "oob-console"},
		{"list index", Field("tags.1").Eq("evpn"), "ams1-core-1"},
		{"exists", Field("facts.os_version").Exists(), "ams1-core-1"},
		{"exists null", Field("role").Exists(), "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1 nyc1-edge-1 nyc1-core-1"},
		{"contains list", Field("tags").Contains("mpls"), "ams1-core-2 fra1-core-1 nyc1-core-1"},
		{"contains substring", Field("facts.model").Contains("mx"), "ams1-core-2 nyc1-edge-1"},
		{"contains key", Field("facts").Contains("os_version"), "ams1-core-1"},
		{"any list", Field("tags").Any("evpn", "mpls"), "ams1-core-1 ams1-core-2 fra1-core-1 nyc1-core-1"},
		{"any scalar", Field("site").Any("ams1", "nyc1"), "ams1-core-1 ams1-core-2 ams1-edge-1 nyc1-edge-1 nyc1-core-1"},
		{"all list", Field("tags").All("bgp", "mpls"), "ams1-core-2 fra1-core-1 nyc1-core-1"},
		{"all scalar never", Field("site").All("ams1"), ""},
		{"in", Field("site").In("fra1", "nyc1"), "fra1-core-1 fra1-lab-1 nyc1-edge-1 nyc1-core-1"},
		{"attr name", Field("name").In("oob-console"), "oob-console"},
		{"attr hostname", Field("hostname").Eq("127.0.2.9"), "fra1-lab-1"},
		{"attr hostname fallback", Field("hostname").Eq("oob-console"), "oob-console"},
		{"attr port int", Field("port").Eq(2222), "nyc1-edge-1"},
		{"attr port text", Field("port").Eq("2222"), "nyc1-edge-1"},
		{"attr port float", Field("port").Eq(2222.0), "nyc1-edge-1"},
		{"attr username", Field("username").Eq("lab"), "fra1-lab-1"},
		// groups: direct groups only, as Nornir's F(groups__contains=...); group: nested too.
		{"attr groups is direct", Field("groups").Contains("global"), ""},
		{"attr groups direct member", Field("groups").Contains("site-ams1"), "ams1-core-1 ams1-core-2 ams1-edge-1"},
		{"attr group is nested", Field("group").Contains("global"), "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1 nyc1-edge-1 nyc1-core-1"},
		{"attr groups all direct", Field("groups").All("lab", "eos"), "fra1-lab-1"},
		{"defaults data", Field("domain").Eq("example.net"), "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1 nyc1-edge-1 nyc1-core-1 oob-console"},
		{"missing path", Field("facts.vendor.x").Eq("a"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(names(inv.Filter(c.f)), " "); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	type myString string
	yes := [][2]any{
		{"a", "a"}, {22, "22"}, {"22", 22}, {22, 22.0}, {int64(5), uint8(5)}, {true, "true"}, {1.5, "1.5"},
		{nil, nil}, {[]any{"a", 1}, []any{"a", 1}}, {map[string]any{"a": 1}, map[string]any{"a": 1}},
	}
	no := [][2]any{
		{"a", "b"}, {22, "22.0"}, {22, 23}, {nil, ""}, {"", nil}, {true, 1}, {1.5, 1}, {myString("a"), "a"}, {[]any{1}, []any{"1"}},
	}
	for _, c := range yes {
		if !equal(c[0], c[1]) {
			t.Errorf("equal(%#v, %#v) = false", c[0], c[1])
		}
	}
	for _, c := range no {
		if equal(c[0], c[1]) {
			t.Errorf("equal(%#v, %#v) = true", c[0], c[1])
		}
	}
	// Other container types than the loader's.
	if !contains([]string{"a", "b"}, "b") || !contains(map[string]int{"k": 1}, "k") || contains(42, 4) || !contains([2]int{1, 2}, "2") {
		t.Error("contains on typed containers")
	}
	if v, ok := step(map[string]string{"a": "b"}, "a"); !ok || v != "b" {
		t.Error("step into map[string]string")
	}
	if _, ok := step([]int{1}, "3"); ok {
		t.Error("step out of range")
	}
}

func TestParseFilter(t *testing.T) {
	inv := testInventory(t)
	cases := []struct{ filter, want string }{
		{"site=ams1 and (role=core or platform in [eos, junos]) and not group=lab", "ams1-core-1 ams1-core-2"},
		{"site = fra1 and not group = lab", "fra1-core-1"},
		{"platform in [eos, junos] and not group=lab", "ams1-core-1 ams1-core-2 fra1-core-1 nyc1-edge-1"},
		{"group=region-us or name=oob-console", "nyc1-edge-1 nyc1-core-1 oob-console"},
		{"group in [lab, site-nyc1]", "fra1-lab-1 nyc1-edge-1 nyc1-core-1"},
		{"group not in [global]", "oob-console"},
		{"group all [core, region-us]", "nyc1-core-1"},
		{"group != global", "oob-console"},
		{"groups contains lab", "fra1-lab-1"},
		{"groups contains region-eu", ""},
		{"group contains region-eu", "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1"},
		{"groups = site-nyc1", "nyc1-edge-1 nyc1-core-1"},
		{"groups = region-us", ""},
		{"groups != region-us", "ams1-core-1 ams1-core-2 ams1-edge-1 fra1-core-1 fra1-lab-1 nyc1-edge-1 nyc1-core-1 oob-console"},
		{"groups in [lab, region-us]", "fra1-lab-1"},
		{"groups not in [core, edge]", "fra1-lab-1 oob-console"},
		{"groups all [core, iosxe]", "nyc1-core-1"},
		{"facts.vendor == arista AND NOT site=fra1", "ams1-core-1"},
		{"port=2222", "nyc1-edge-1"},
		{"port != 22", "nyc1-edge-1"},
		{"hostname=127.0.1.3", "ams1-edge-1"},
		{"username=lab", "fra1-lab-1"},
		{"tags contains mpls", "ams1-core-2 fra1-core-1 nyc1-core-1"},
		{"tags any [evpn, x]", "ams1-core-1"},
		{"tags all [bgp, 'mpls']", "ams1-core-2 fra1-core-1 nyc1-core-1"},
		{"facts.model contains mx", "ams1-core-2 nyc1-edge-1"},
		{`"mgmt.vrf" = oob`, "oob-console"},
		{`timezone = "Europe/Amsterdam" and site not in [ams1]`, "fra1-core-1 fra1-lab-1"},
		{"site in []", ""},
		{"site in [ams1,]", "ams1-core-1 ams1-core-2 ams1-edge-1"},
		{"not not site=ams1 and facts.vendor=cisco", "ams1-edge-1"},
		{"site=ams1 or site=fra1 and platform=iosxe", "ams1-core-1 ams1-core-2 ams1-edge-1"}, // and binds tighter
		{"(site=ams1 or site=fra1) and platform=iosxe", "ams1-edge-1"},
		{"owner=neteng and domain=example.net and timezone=America/New_York", "nyc1-edge-1 nyc1-core-1"},
	}
	for _, c := range cases {
		f, err := ParseFilter(c.filter)
		if err != nil {
			t.Errorf("%q: %v", c.filter, err)
			continue
		}
		if got := strings.Join(names(inv.Filter(f)), " "); got != c.want {
			t.Errorf("%q:\n got  %s\n want %s", c.filter, got, c.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	cases := []struct {
		filter string
		col    int
		msg    string
	}{
		{"", 1, "empty filter"},
		{"   ", 4, "empty filter"},
		{"site=ams1 and (role=", 21, `expected a value after "=", got the end of the filter`},
		{"site=ams1 and (role=core", 25, `expected ")" to close the "(" at column 15, got the end of the filter`},
		{"site=ams1)", 10, `unbalanced ")"`},
		{"site ams1", 6, `expected an operator (=, !=, in, not in, contains, any, all) after "site", got "ams1"`},
		{"site=ams1 role=core", 11, `expected "and", "or" or the end of the filter, got "role"`},
		{"and=1", 1, `expected a field name, got "and"`},
		{"=1", 1, `expected a field name, got "="`},
		{"platform in eos", 13, `expected "[" after "in", got "eos"`},
		{"platform in [eos junos]", 18, `expected "," or "]", got "junos"`},
		{"platform in [eos, (]", 19, `expected a value or "]", got "("`},
		{`site="ams1`, 6, "unterminated string"},
		{`site='ams1`, 6, "unterminated string"},
		{`site="a\qb"`, 6, `invalid escape in string "a\qb"`},
		{"site..x=1", 1, `empty key in field "site..x"`},
		{"sïte=ämś and (", 15, `expected a field name, got the end of the filter`},
		{"not", 4, `expected a field name, got the end of the filter`},
		{"site != ", 9, `expected a value after "!=", got the end of the filter`},
	}
	for _, c := range cases {
		_, err := ParseFilter(c.filter)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not a *ParseError", c.filter, err)
			continue
		}
		if pe.Column != c.col || pe.Msg != c.msg {
			t.Errorf("%q: column %d %q; want column %d %q", c.filter, pe.Column, pe.Msg, c.col, c.msg)
		}
	}
	_, err := ParseFilter("site=ams1 and (role=")
	want := "filter: column 21: expected a value after \"=\", got the end of the filter\n  site=ams1 and (role=\n                      ^"
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
	deep := strings.Repeat("(", 300) + "a=1" + strings.Repeat(")", 300)
	if _, err := ParseFilter(deep); err == nil || !strings.Contains(err.Error(), "nested deeper than 200") {
		t.Errorf("deep nesting: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParseFilter did not panic")
		}
	}()
	MustParseFilter("site=")
}

func TestParseFilterCanonical(t *testing.T) {
	cases := map[string]string{
		"site=ams1 and (role=core or platform in [eos, junos]) and not group=lab": "(site = ams1 and (role = core or platform in [eos, junos]) and not group = lab)",
		`a == "x y" OR b contains 'and'`:                                          `(a = "x y" or b contains "and")`,
		`"mgmt.vrf" != "" and c not in [1, "2,3"]`:                                `("mgmt.vrf" != "" and c not in [1, "2,3"])`,
		"x all []": "x all []",
	}
	for in, want := range cases {
		e, err := parseFilterExpr(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := e.String(); got != want {
			t.Errorf("%q: canonical %q, want %q", in, got, want)
		}
		again, err := parseFilterExpr(e.String())
		if err != nil || !reflect.DeepEqual(again.String(), e.String()) {
			t.Errorf("%q: canonical form does not parse back: %v", in, err)
		}
	}
}

// The allocation-free paths for string attributes agree with the general comparison.
func TestAttributeFastPaths(t *testing.T) {
	inv := testInventory(t)
	inv.Hosts()[0].Name = "" // an odd host: empty name
	for _, attr := range []string{"name", "hostname", "platform", "username", "password"} {
		f := Field(attr)
		values := []string{"", "nope"}
		for _, h := range inv.Hosts() {
			if v, ok := f.Value(h); ok {
				values = append(values, v.(string))
			}
		}
		for _, v := range values {
			general := func(h *Host) bool { x, ok := f.Value(h); return ok && equal(x, v) }
			generalIn := func(h *Host) bool { x, ok := f.Value(h); return ok && (equal(x, v) || equal(x, "nope")) }
			eq, in := f.Eq(v), f.In(v, "nope")
			for _, h := range inv.Hosts() {
				if eq(h) != general(h) || in(h) != generalIn(h) {
					t.Errorf("%s %q on %q: Eq %v In %v, general %v %v", attr, v, h.Name, eq(h), in(h), general(h), generalIn(h))
				}
			}
		}
	}
}
