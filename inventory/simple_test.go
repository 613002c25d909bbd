package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// problemStrings returns the "file:line:col: message" of every problem of a *LoadError.
func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T) is not a *LoadError", err, err)
	}
	out := make([]string, len(le.Problems))
	for i, p := range le.Problems {
		out[i] = p.Error()
	}
	return out
}

func TestLoadErrorsAllListed(t *testing.T) {
	inv, err := loadFS(t, map[string]string{
		"hosts.yaml": `r1:
  hostname: 127.0.0.1
  groups: [core, nope]
  port: 70000
r2:
  groups: {core: true}
  data: [1, 2]
  connection_options: [x]
r1:
  port: abc
r3:
  hostname: [a]
  port: 0
  connection_options:
    scrapli:
      port: 99999
      extras: [1]
r4:
  port: 22
  port: 23
`,
		"groups.yaml": `core:
  groups: [a]
a:
  groups: [b]
b:
  groups: [a, missing]
core:
  platform: eos
`,
		"defaults.yaml": "port: x\ndata: 5\n",
	})
	if inv != nil {
		t.Error("an inventory was returned with the error")
	}
	want := []string{
		`defaults.yaml:1:7: defaults: port must be an integer, got a string "x"`,
		`defaults.yaml:2:7: defaults: data must be a mapping, got an integer 5`,
		`groups.yaml:6:12: cycle of groups: a -> b -> a`,
		`groups.yaml:6:15: group "b": undefined parent group "missing"`,
		`groups.yaml:7:1: duplicate group "core" (first defined at groups.yaml:1:1)`,
		`hosts.yaml:3:18: host "r1": undefined group "nope"`,
		`hosts.yaml:4:9: host "r1": port 70000 is not in 1-65535`,
		`hosts.yaml:6:11: host "r2": groups must be a list of group names, got a mapping`,
		`hosts.yaml:7:9: host "r2": data must be a mapping, got a list`,
		`hosts.yaml:8:23: host "r2": connection_options must be a mapping of connection names to options, got a list`,
		`hosts.yaml:9:1: duplicate host "r1" (first defined at hosts.yaml:1:1)`,
		`hosts.yaml:10:9: host "r1": port must be an integer, got a string "abc"`,
		`hosts.yaml:12:13: host "r3": hostname must be a string, got a list`,
		`hosts.yaml:13:9: host "r3": port 0 is not in 1-65535`,
		`hosts.yaml:16:13: host "r3": connection_options "scrapli": port 99999 is not in 1-65535`,
		`hosts.yaml:17:15: host "r3": connection_options "scrapli": extras must be a mapping, got a list`,
		`hosts.yaml:20:3: host "r4": duplicate key "port" (first at line 19)`,
	}
	if got := problemStrings(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, kind := range []error{ErrWrongType, ErrGroupCycle, ErrUndefinedGroup, ErrDuplicate, ErrInvalidPort} {
		if !errors.Is(err, kind) {
			t.Errorf("errors.Is(err, %v) = false", kind)
		}
	}
	if !strings.HasPrefix(err.Error(), "inventory: 17 problems:\n\tdefaults.yaml:1:7: ") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestLoadErrorCases(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
		kind  error
	}{
		{"malformed hosts", map[string]string{"hosts.yaml": "r1:\n  a: [\n  b: 1\n"},
			[]string{"hosts.yaml:2: malformed YAML: did not find expected ',' or ']'"}, ErrSyntax},
		{"malformed on line 1", map[string]string{"hosts.yaml": "a: b: c\n"},
			[]string{"hosts.yaml:1: malformed YAML: mapping values are not allowed in this context"}, ErrSyntax},
		{"malformed scanner error", map[string]string{"hosts.yaml": "r1:\n  hostname: x\n  data: \"unterminated\n"},
			[]string{"hosts.yaml:3: malformed YAML: found unexpected end of stream"}, ErrSyntax},
		{"malformed groups and hosts both reported", map[string]string{
			"hosts.yaml": "r1: {groups: [a]}\nr2: [\n", "groups.yaml": "a:\n\tb: 1\n"},
			[]string{"groups.yaml:2: malformed YAML: found character that cannot start any token",
				"hosts.yaml:3: malformed YAML: did not find expected node content"}, ErrSyntax},
		{"malformed indentation", map[string]string{"hosts.yaml": "x:\n  y: 1\n  z: 2\n w\n"},
			[]string{"hosts.yaml:4: malformed YAML: did not find expected key"}, ErrSyntax},
		{"undefined group", map[string]string{"hosts.yaml": "r1:\n  groups:\n    - core\n    - nope\n", "groups.yaml": "core: {}\n"},
			[]string{`hosts.yaml:4:7: host "r1": undefined group "nope"`}, ErrUndefinedGroup},
		{"undefined group without groups file", map[string]string{"hosts.yaml": "r1: {groups: [core]}\n"},
			[]string{`hosts.yaml:1:15: host "r1": undefined group "core"`}, ErrUndefinedGroup},
		{"self cycle", map[string]string{"hosts.yaml": "r1: {}\n", "groups.yaml": "a: {groups: [a]}\n"},
			[]string{`groups.yaml:1:14: cycle of groups: a -> a`}, ErrGroupCycle},
		{"long cycle", map[string]string{"hosts.yaml": "", "groups.yaml": "a: {groups: [b]}\nb: {groups: [c]}\nc: {groups: [x, a]}\nx: {}\n"},
			[]string{`groups.yaml:3:17: cycle of groups: a -> b -> c -> a`}, ErrGroupCycle},
		{"duplicate host", map[string]string{"hosts.yaml": "r1: {}\nr2: {}\n\nr1:\n  port: 22\n"},
			[]string{`hosts.yaml:4:1: duplicate host "r1" (first defined at hosts.yaml:1:1)`}, ErrDuplicate},
		{"port out of range", map[string]string{"hosts.yaml": "r1: {port: -1}\n", "defaults.yaml": "port: 65536\n"},
			[]string{`defaults.yaml:1:7: defaults: port 65536 is not in 1-65535`, `hosts.yaml:1:12: host "r1": port -1 is not in 1-65535`}, ErrInvalidPort},
		{"port not an integer", map[string]string{"hosts.yaml": "r1: {port: \"22\"}\nr2: {port: 22.5}\n"},
			[]string{`hosts.yaml:1:12: host "r1": port must be an integer, got a string "22"`,
				`hosts.yaml:2:12: host "r2": port must be an integer, got a float 22.5`}, ErrWrongType},
		{"list where a mapping belongs", map[string]string{"hosts.yaml": "r1:\n  - hostname: 127.0.0.1\n"},
			[]string{`hosts.yaml:2:3: host "r1": a mapping expected, got a list`}, ErrWrongType},
		{"root is a list", map[string]string{"hosts.yaml": "- r1\n- r2\n"},
			[]string{`hosts.yaml:1:1: a mapping of names to hosts expected, got a list`}, ErrWrongType},
		{"groups not a list", map[string]string{"hosts.yaml": "r1: {groups: core}\n", "groups.yaml": "core: {}\n"},
			[]string{`hosts.yaml:1:14: host "r1": groups must be a list of group names, got a string "core"`}, ErrWrongType},
		{"connection options not a mapping", map[string]string{"hosts.yaml": "r1:\n  connection_options:\n    scrapli: [1]\n"},
			[]string{`hosts.yaml:3:14: host "r1": connection_options "scrapli": a mapping expected, got a list`}, ErrWrongType},
		{"defaults not a mapping", map[string]string{"hosts.yaml": "", "defaults.yaml": "[1]\n"},
			[]string{`defaults.yaml:1:1: defaults: a mapping expected, got a list`}, ErrWrongType},
		{"empty host name", map[string]string{"hosts.yaml": "\"\": {}\n~: {}\n"},
			[]string{`hosts.yaml:1:1: host with an empty name`, `hosts.yaml:2:1: host with an empty name`}, ErrInvalidName},
		{"non-scalar host name", map[string]string{"hosts.yaml": "? [a]\n: {}\n"},
			[]string{`hosts.yaml:1:3: host name must be a scalar, got a list`}, ErrInvalidName},
		{"duplicate data key", map[string]string{"hosts.yaml": "r1:\n  data:\n    site: a\n    site: b\n"},
			[]string{`hosts.yaml:4:5: duplicate key "site" (first at line 3)`}, ErrDuplicate},
		{"unknown alias", map[string]string{"hosts.yaml": "r1: *nope\n"},
			[]string{`hosts.yaml:1: malformed YAML: unknown anchor 'nope' referenced`}, ErrSyntax},
		{"alias cycle", map[string]string{"hosts.yaml": "r1: &b\n  data: {x: *b}\nr2: &c {<<: *c}\n"},
			[]string{`hosts.yaml:1:5: anchor "b" value contains itself`, `hosts.yaml:3:5: anchor "c" value contains itself`}, ErrWrongType},
		{"missing hosts file", map[string]string{},
			[]string{`hosts.yaml: cannot read: open hosts.yaml: file does not exist`}, fs.ErrNotExist},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := loadFS(t, c.files)
			if err == nil || inv != nil {
				t.Fatalf("Load = %v, %v; want an error and no inventory", inv, err)
			}
			if got := problemStrings(t, err); !reflect.DeepEqual(got, c.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("errors.Is(err, %v) = false", c.kind)
			}
		})
	}
}

func TestEmptyFiles(t *testing.T) {
	for _, body := range []string{"", "# only a comment\n", "---\n", "~\n", "---\n# hosts\n...\n"} {
		inv, err := loadFS(t, map[string]string{"hosts.yaml": body, "groups.yaml": body, "defaults.yaml": body})
		if err != nil || inv.Len() != 0 || len(inv.Groups()) != 0 || inv.Defaults() == nil {
			t.Errorf("%q: %v", body, err)
		}
	}
	// Missing optional files are skipped.
	inv, err := loadFS(t, map[string]string{"hosts.yaml": "r1: {}\nr2:\n"})
	if err != nil || inv.Len() != 2 {
		t.Fatalf("hosts only: %v", err)
	}
	if h, _ := inv.Host("r2"); h.Hostname() != "r2" || h.Port() != 0 {
		t.Errorf("null host: %+v", h.ResolvedAttrs())
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	inv := mustLoadFS(t, map[string]string{
		"hosts.yaml": `
.base: &base
  platform: eos
  port: 2222
  data: &basedata
    site: ams1
    ntp: [127.0.0.123]
r1:
  <<: *base
  hostname: 127.0.0.1
r2:
  <<: *base
  port: 22
  data:
    <<: *basedata
    site: fra1
r3:
  data: *basedata
`,
	})
	r1, _ := inv.Host("r1")
	r2, _ := inv.Host("r2")
	r3, _ := inv.Host("r3")
	if r1.Platform() != "eos" || r1.Port() != 2222 || r1.Hostname() != "127.0.0.1" {
		t.Errorf("r1 = %+v", r1.ResolvedAttrs())
	}
	if r2.Port() != 22 {
		t.Errorf("explicit key must win over merged: port %d", r2.Port())
	}
	if v, _ := r2.Get("site"); v != "fra1" {
		t.Errorf("r2 site = %v", v)
	}
	if v, _ := r2.Get("ntp"); !reflect.DeepEqual(v, []any{"127.0.0.123"}) {
		t.Errorf("r2 ntp = %v", v)
	}
	if v, _ := r3.Get("site"); v != "ams1" {
		t.Errorf("r3 site = %v", v)
	}
	// Values reached through one alias are one value, as in Nornir.
	if reflect.ValueOf(r1.Data).Pointer() != reflect.ValueOf(r3.Data).Pointer() {
		t.Error("aliased data not shared")
	}
}

func TestDataTypes(t *testing.T) {
	inv := mustLoadFS(t, map[string]string{"hosts.yaml": `
r1:
  data:
    s: text
    q: "22"
    i: 42
    big: 0x10
    f: 1.5
    b: true
    n: ~
    ts: 2024-01-02
    l: [1, a, [b]]
    m: {x: {y: z}}
    1: numeric key
`})
	h, _ := inv.Host("r1")
	want := map[string]any{
		"s": "text", "q": "22", "i": 42, "big": 16, "f": 1.5, "b": true, "n": nil, "ts": "2024-01-02",
		"l": []any{1, "a", []any{"b"}}, "m": map[string]any{"x": map[string]any{"y": "z"}}, "1": "numeric key",
	}
	if !reflect.DeepEqual(h.Data, want) {
		t.Errorf("data\n got %#v\nwant %#v", h.Data, want)
	}
}

func TestStrict(t *testing.T) {
	files := map[string]string{"hosts.yaml": "r1:\n  hostnmae: 127.0.0.1\n  connection_options:\n    scrapli: {prot: 22}\n"}
	if _, err := loadFS(t, files); err != nil {
		t.Fatalf("non-strict: unknown keys must be ignored as Nornir does: %v", err)
	}
	s := &SimpleInventory{FS: mapFS(files), HostFile: "hosts.yaml", Strict: true}
	_, err := s.Load(context.Background())
	want := []string{
		`hosts.yaml:2:3: host "r1": unknown key "hostnmae" (known: hostname, port, username, password, platform, groups, data, connection_options)`,
		`hosts.yaml:4:15: host "r1": connection_options "scrapli": unknown key "prot" (known: hostname, port, username, password, platform, extras)`,
	}
	if got := problemStrings(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for n, b := range files {
		fsys[n] = &fstest.MapFile{Data: []byte(b)}
	}
	return fsys
}

func TestTransform(t *testing.T) {
	var seen []string
	s := &SimpleInventory{
		HostFile:  "testdata/inventory/hosts.yaml",
		GroupFile: "testdata/inventory/groups.yaml",
		Transform: func(h *Host) {
			seen = append(seen, h.Name)
			if h.InGroup("lab") { // resolution works inside Transform
				h.Attrs.Port = 2022
			}
		},
	}
	inv, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 8 || seen[0] != "ams1-core-1" {
		t.Errorf("Transform saw %v", seen)
	}
	if h, _ := inv.Host("fra1-lab-1"); h.Port() != 2022 {
		t.Errorf("transformed port = %d", h.Port())
	}
}

func TestLoadDirYml(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hosts.yml"), []byte("r1: {groups: [g]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "groups.yaml"), []byte("g: {platform: eos}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := inv.Host("r1"); h.Platform() != "eos" {
		t.Error("hosts.yml not loaded")
	}
	if _, err := LoadDir(context.Background(), filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
}

func TestLoadGroupsErrors(t *testing.T) {
	dir := t.TempDir()
	gf := filepath.Join(dir, "groups.yaml")
	if err := os.WriteFile(gf, []byte("a: {groups: [b]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	groups, d, err := LoadGroups(context.Background(), gf, "")
	if err == nil || groups != nil || d != nil {
		t.Fatalf("LoadGroups = %v, %v, %v", groups, d, err)
	}
	if want := gf + `:1:14: group "a": undefined parent group "b"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	groups, d, err = LoadGroups(context.Background(), "", filepath.Join(dir, "missing.yaml"))
	if err != nil || len(groups) != 0 || d == nil {
		t.Errorf("no files: %v %v %v", groups, d, err)
	}
}

// testChunk is the piece size the split-parser tests use, so that small files split in many
// pieces.
const testChunk = 2 << 10

// loadSplit loads files with the split parser cutting pieces of about chunk bytes.
func loadSplit(t *testing.T, files map[string]string, chunk int) (*Inventory, error) {
	t.Helper()
	s := &SimpleInventory{FS: mapFS(files), HostFile: "hosts.yaml", GroupFile: "groups.yaml", DefaultsFile: "defaults.yaml"}
	l := s.newLoad()
	l.chunk = chunk
	return s.load(context.Background(), l)
}

// bigHosts writes n hosts in varied YAML styles (flow and block mappings, quoted keys,
// comments, block scalars, \r\n line ends) to exercise the split parser.
func bigHosts(n int, crlf bool) string {
	var b strings.Builder
	b.WriteString("---\n# generated\n")
	for i := range n {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "h%05d:\n  hostname: 127.0.%d.%d\n  groups: [g%d]\n  data:\n    idx: %d\n    note: |\n      line one\n      line two\n", i, i/250, i%250, i%3, i)
		case 1:
			fmt.Fprintf(&b, "\"h%05d\": {port: %d, groups: [g%d], data: {idx: %d}}\n", i, 1+i%60000, i%3, i)
		case 2:
			fmt.Fprintf(&b, "# comment before h%05d\n'h%05d':\n  data:\n    idx: %d\n    list:\n    - a\n    - b\n", i, i, i)
		case 3:
			fmt.Fprintf(&b, "h%05d:\n  data: {idx: %d, text: \"multi\n    line\"}\n", i, i)
		case 4:
			fmt.Fprintf(&b, "h%05d:\n\n  platform: eos\n  data:\n    idx: %d\n", i, i)
		}
	}
	s := b.String()
	if crlf {
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	return s
}

func TestSplitParseMatchesWhole(t *testing.T) {
	groups := "g0: {}\ng1: {platform: eos}\ng2: {groups: [g1]}\n"
	for _, crlf := range []bool{false, true} {
		body := bigHosts(600, crlf)
		if n := len(splitTop([]byte(body), testChunk)); n < 10 {
			t.Fatalf("test file of %d bytes is split in %d", len(body), n)
		}
		split, err := loadSplit(t, map[string]string{"hosts.yaml": body, "groups.yaml": groups}, testChunk)
		if err != nil {
			t.Fatal(err)
		}
		// The same file, parsed whole.
		s := &SimpleInventory{FS: mapFS(map[string]string{"hosts.yaml": body, "groups.yaml": groups}), HostFile: "hosts.yaml", GroupFile: "groups.yaml"}
		l := s.newLoad()
		l.readOptional(context.Background())
		gs, _ := l.groupsAndDefaults()
		byName := map[string]*Group{}
		for _, g := range gs {
			byName[g.Name] = g
		}
		// Every piece parses alone: the split path is really taken.
		for i, c := range l.decodeChunks(context.Background(), splitTop([]byte(body), testChunk), byName) {
			if c.syntax != nil {
				t.Fatalf("piece %d: %v", i, c.syntax)
			}
		}
		r := l.decodeWith(newDecoder("hosts.yaml", false, 0), []byte(body), 0, byName, false, true)
		if r.syntax != nil || len(r.problems) > 0 {
			t.Fatalf("whole parse: %v %v", r.syntax, r.problems)
		}
		if split.Len() != len(r.hosts) || split.Len() != 600 {
			t.Fatalf("split %d hosts, whole %d", split.Len(), len(r.hosts))
		}
		for i, h := range split.Hosts() {
			w := r.hosts[i]
			if h.Name != w.Name || h.Attrs != w.Attrs || !reflect.DeepEqual(h.Data, w.Data) || !reflect.DeepEqual(groupNames(h.Groups), groupNames(w.Groups)) {
				t.Fatalf("host %d differs: split %+v, whole %+v", i, h, w)
			}
		}
		if h, _ := split.Host("h00599"); h.Platform() != "eos" {
			t.Error("last host")
		}
	}
}

func TestSplitParseErrorPositions(t *testing.T) {
	body := bigHosts(600, false)
	lines := strings.Count(body, "\n")
	// A problem near the end of a big file must carry its line in the whole file.
	bad := body + "last:\n  groups: [nope]\n  port: 0\n"
	_, err := loadSplit(t, map[string]string{"hosts.yaml": bad, "groups.yaml": "g0: {}\ng1: {}\ng2: {}\n"}, testChunk)
	want := []string{
		fmt.Sprintf(`hosts.yaml:%d:12: host "last": undefined group "nope"`, lines+2),
		fmt.Sprintf(`hosts.yaml:%d:9: host "last": port 0 is not in 1-65535`, lines+3),
	}
	if got := problemStrings(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// A duplicate across pieces names both lines.
	dup := body + "h00001: {}\n"
	_, err = loadSplit(t, map[string]string{"hosts.yaml": dup, "groups.yaml": "g0: {}\ng1: {}\ng2: {}\n"}, testChunk)
	first := strings.Count(body[:strings.Index(body, "\"h00001\"")], "\n") + 1
	wantDup := fmt.Sprintf(`hosts.yaml:%d:1: duplicate host "h00001" (first defined at hosts.yaml:%d:1)`, lines+1, first)
	if got := problemStrings(t, err); !reflect.DeepEqual(got, []string{wantDup}) {
		t.Errorf("got %q, want %q", got, wantDup)
	}
	// A syntax error in a late piece is reported at its line in the whole file.
	broken := body + "x:\n  data: {a: [1, 2}\n"
	_, err = loadSplit(t, map[string]string{"hosts.yaml": broken, "groups.yaml": "g0: {}\ng1: {}\ng2: {}\n"}, testChunk)
	if got := problemStrings(t, err); len(got) != 1 || !strings.HasPrefix(got[0], fmt.Sprintf("hosts.yaml:%d: malformed YAML", lines+2)) {
		t.Errorf("got %q", got)
	}
}

func TestSplitFallbacks(t *testing.T) {
	body := bigHosts(600, false)
	g := "g0: {}\ng1: {}\ng2: {}\n"
	// An alias in a late piece to an anchor in the first: pieces cannot parse alone, so the
	// file is parsed whole, and the alias works.
	aliased := strings.Replace(body, "h00000:\n", "h00000: &first\n", 1) + "copy: *first\n"
	inv, err := loadSplit(t, map[string]string{"hosts.yaml": aliased, "groups.yaml": g}, testChunk)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := inv.Host("copy"); h.Hostname() != "127.0.0.0" {
		t.Errorf("alias across pieces: hostname %q", h.Hostname())
	}
	// A second document is ignored, as yaml.v3 (and Nornir's single load) read only the first.
	multi := body + "---\nother: {}\n"
	inv, err = loadSplit(t, map[string]string{"hosts.yaml": multi, "groups.yaml": g}, testChunk)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := inv.Host("other"); ok || inv.Len() != 600 {
		t.Errorf("second document read: %d hosts", inv.Len())
	}
	if n := len(splitTop([]byte(multi), testChunk)); n != 1 {
		t.Errorf("multi-document file split in %d", n)
	}
	if n := len(splitTop([]byte(strings.ReplaceAll(body, "\n", "\r")), testChunk)); n != 1 {
		t.Errorf("\\r file split in %d", n)
	}
	// A multi-line quoted scalar whose continuation line, in column 1, looks like a key and
	// falls on a cut point: the first piece does not parse, the file is parsed whole.
	var b strings.Builder
	for i := 0; b.Len() < testChunk-100; i++ {
		fmt.Fprintf(&b, "f%05d: {port: 22}\n", i)
	}
	b.WriteString("quoted:\n  data:\n    note: \"a" + strings.Repeat("x", 200) + "\n")
	cut := b.Len()
	b.WriteString("b: c\"\n")
	for i := 0; b.Len() < 3*testChunk; i++ {
		fmt.Fprintf(&b, "t%05d: {port: 22}\n", i)
	}
	qs := b.String()
	pieces := splitTop([]byte(qs), testChunk)
	if len(pieces) < 2 || len(pieces[0].data) != cut {
		t.Fatalf("cut not at the quoted scalar's continuation line (%d pieces)", len(pieces))
	}
	inv, err = loadSplit(t, map[string]string{"hosts.yaml": qs}, testChunk)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := inv.Host("quoted")
	if v, _ := h.Get("note"); !ok || v != "a"+strings.Repeat("x", 200)+" b: c" {
		t.Errorf("quoted note = %q", v)
	}
	if _, ok := inv.Host("b"); ok {
		t.Error("continuation line read as a host")
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &SimpleInventory{FS: mapFS(map[string]string{"hosts.yaml": bigHosts(600, false)}), HostFile: "hosts.yaml"}
	l := s.newLoad()
	l.chunk = testChunk
	if inv, err := s.load(ctx, l); !errors.Is(err, context.Canceled) || inv != nil {
		t.Errorf("cancelled Load = %v, %v", inv, err)
	}
}
