package inventory

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// loadBytes loads the three files from memory; chunk is the piece size of the split parser
// (0: the default, which leaves small files whole).
func loadBytes(hosts, groups, defaults string, chunk int) (*Inventory, error) {
	s := &SimpleInventory{FS: mapFS(map[string]string{"hosts.yaml": hosts, "groups.yaml": groups, "defaults.yaml": defaults}),
		HostFile: "hosts.yaml", GroupFile: "groups.yaml", DefaultsFile: "defaults.yaml"}
	l := s.newLoad()
	l.chunk = chunk
	return s.load(context.Background(), l)
}

func FuzzLoadYAML(f *testing.F) {
	f.Add("r1:\n  hostname: 127.0.0.1\n  groups: [a]\n  data: {site: ams1}\nr2: {port: 22}\n", "a: {groups: [b]}\nb: {platform: eos}\n", "username: u\n")
	f.Add("r1: {groups: [nope]}\nr1: {}\n", "a: {groups: [a]}\n", "port: 0\n")
	f.Add(".b: &b {platform: eos}\nr1: {<<: *b}\nr2:\n  <<: *b\n  data: &d {x: [1, 2]}\nr3: {data: *d}\n", "", "")
	f.Add("a: [\n", "b: c: d\n", "- x\n")
	f.Add("r1:\n  connection_options:\n    scrapli: {port: 70000, extras: {a: 1}}\n", "", "connection_options: {netconf: {extras: {}}}\n")
	f.Fuzz(func(t *testing.T, hosts, groups, defaults string) {
		inv, err := loadBytes(hosts, groups, defaults, 0)
		if err != nil {
			if inv != nil {
				t.Fatal("inventory returned with an error")
			}
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error %v is not a *LoadError with problems", err)
			}
			for _, p := range le.Problems {
				if p.File == "" || p.Err == nil {
					t.Fatalf("problem without file or kind: %v", p)
				}
				if p.Line < 1 && !strings.Contains(p.Msg, "parser failure") {
					t.Fatalf("problem without a line: %v", p)
				}
			}
		} else {
			for _, h := range inv.Hosts() {
				_ = h.Hostname()
				if p := h.Port(); p < 0 || p > 65535 {
					t.Fatalf("port %d", p)
				}
				gs := h.AllGroups()
				for i, g := range gs {
					if !h.InGroup(g.Name) {
						t.Fatalf("AllGroups has %q but InGroup is false", g.Name)
					}
					for _, o := range gs[:i] {
						if o == g {
							t.Fatalf("group %q twice in AllGroups", g.Name)
						}
					}
				}
				for _, n := range h.ConnectionNames() {
					_ = h.ConnectionParams(n)
				}
				for k, v := range h.ExtendedData() {
					// Only a defaults key set to null is in ExtendedData and missed by Get.
					if _, ok := h.Get(k); !ok {
						d := h.Defaults()
						if d == nil || v != nil {
							t.Fatalf("ExtendedData key %q not found by Get", k)
						}
						if dv, inDefaults := d.Data[k]; !inDefaults || dv != nil {
							t.Fatalf("ExtendedData key %q not found by Get", k)
						}
					}
				}
			}
		}
		// The split parser must give exactly what the whole-file parser gives.
		inv2, err2 := loadBytes(hosts, groups, defaults, 8)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("split parse differs:\nwhole: %v\nsplit: %v", err, err2)
		}
		if err == nil {
			if inv.Len() != inv2.Len() {
				t.Fatalf("split parse: %d hosts, whole %d", inv2.Len(), inv.Len())
			}
			for i, h := range inv.Hosts() {
				h2 := inv2.Hosts()[i]
				if h.Name != h2.Name || h.Attrs != h2.Attrs || !reflect.DeepEqual(h.Data, h2.Data) ||
					!reflect.DeepEqual(groupNames(h.Groups), groupNames(h2.Groups)) || !reflect.DeepEqual(h.ConnectionOptions, h2.ConnectionOptions) {
					t.Fatalf("host %d differs:\nwhole %+v\nsplit %+v", i, h, h2)
				}
			}
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"site=ams1 and (role=core or platform in [eos, junos]) and not group=lab",
		`"mgmt.vrf" != "" or tags all [a, 'b c'] or x contains "\u00e9\n"`,
		"port == 22 and facts.vendor not in [cisco,]",
		"not not (a=1)", "a in [", `a="x`, "((a=b)", "a=b)", "=", "site=ämś and (",
	} {
		f.Add(s)
	}
	inv, err := LoadDir(context.Background(), "testdata/inventory")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseFilterExpr(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Column < 1 || pe.Column > utf8.RuneCountInString(s)+1 {
				t.Fatalf("column %d out of range for %q", pe.Column, s)
			}
			if !strings.HasSuffix(pe.Error(), "^") {
				t.Fatalf("no caret: %q", pe.Error())
			}
			return
		}
		canon := e.String()
		e2, err := parseFilterExpr(canon)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", canon, s, err)
		}
		if e2.String() != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, e2.String())
		}
		f1, f2 := e.filter(), e2.filter()
		for _, h := range inv.Hosts() {
			if f1(h) != f2(h) {
				t.Fatalf("%q and its canonical %q disagree on %s", s, canon, h.Name)
			}
		}
	})
}
