package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FileName is the configuration file looked for in the working directory.
const FileName = "norn.yaml"

// EnvFile is the environment variable naming the configuration file.
const EnvFile = "NORN_CONFIG"

// maxFileSize bounds the configuration file read (a configuration is a few kilobytes).
const maxFileSize = 1 << 20

// Find returns the configuration file to read: path when not empty (a -config flag), else
// $NORN_CONFIG, else ./norn.yaml when it exists, else "" (no file: defaults and environment).
func Find(path string) string {
	if path != "" {
		return path
	}
	if p := os.Getenv(EnvFile); p != "" {
		return p
	}
	if _, err := os.Stat(FileName); err == nil {
		return FileName
	}
	return ""
}

// Load reads the configuration file path (no file when ""), then the environment's NORN_*
// variables (and NB_TOKEN / NETBOX_TOKEN) on top, and validates the result. Errors name the
// file, line and column, or the variable.
func Load(path string) (*Config, error) {
	c, err := Read(path)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Read is Load without Validate, for a program that sets more values (its flags) with Set
// before it calls Validate itself.
func Read(path string) (*Config, error) {
	c := Default()
	if path != "" {
		b, err := readFile(path)
		if err != nil {
			return nil, err
		}
		if c, err = Decode(path, b); err != nil {
			return nil, err
		}
	}
	if err := c.ApplyEnv(os.LookupEnv); err != nil {
		return nil, err
	}
	return c, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config file %s does not exist", path)
		}
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("config file %s: larger than %d bytes", path, maxFileSize)
	}
	return b, nil
}

// Decode parses a configuration file's content over the defaults, without the environment and
// without Validate. name is the file's name for error messages. Every unknown key, wrong type
// and duplicate is reported, each with name:line:col.
func Decode(name string, data []byte) (*Config, error) {
	c := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		c.File = name
		return c, nil // empty file, or comments only
	}
	d := &decoder{file: name, c: c}
	root := d.deref(doc.Content[0])
	switch {
	case root == nil:
	case root.Kind == yaml.ScalarNode && root.Tag == "!!null":
	case root.Kind != yaml.MappingNode:
		d.errorf(root, "", ErrWrongType, "want a mapping of sections (inventory, runner, logging, hooks, backup), not %s", kindName(root))
	default:
		d.mapping(root, "")
	}
	if err := joinErrors(d.errs); err != nil {
		return nil, err
	}
	c.File = name
	return c, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxError(name string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Origin: Origin{Source: FromFile, Name: name, Line: line}, Msg: "malformed YAML: " + m[2]}
	}
	return &Error{Origin: Origin{Source: FromFile, Name: name}, Msg: "malformed YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

type decoder struct {
	file    string
	c       *Config
	errs    []error
	depth   int
	work    int  // nodes visited: aliases and merge keys cannot blow the decoding up
	tooMuch bool // the work budget is spent (reported once)
}

// maxWork bounds the nodes visited while decoding (a real norn.yaml visits a few hundred).
const maxWork = 100_000

// spend counts work; false once the budget is spent.
func (d *decoder) spend(n *yaml.Node, units int) bool {
	d.work += units
	if d.work <= maxWork {
		return true
	}
	if !d.tooMuch {
		d.tooMuch = true
		d.errorf(n, "", ErrWrongType, "document too complex: aliases and merge keys expand past %d values", maxWork)
	}
	return false
}

func (d *decoder) origin(n *yaml.Node) Origin {
	return Origin{Source: FromFile, Name: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, key string, kind error, format string, a ...any) {
	e := &Error{Key: key, Origin: d.origin(n), Msg: fmt.Sprintf(format, a...), Err: kind}
	if n.Kind == yaml.ScalarNode && key != "" {
		e.Value = n.Value
	}
	if k, ok := LookupKey(key); ok && k.Secret {
		e.secret = true
	}
	d.errs = append(d.errs, e)
}

// deref follows aliases (a bounded number of them).
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i == 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

// sections are the dotted prefixes of the keys ("runner", "hooks.webhook", ...).
var sections = func() map[string][]string {
	m := map[string][]string{}
	for _, k := range keys {
		parts := strings.Split(k.Name, ".")
		for i := range parts {
			parent := strings.Join(parts[:i], ".")
			child := parts[i]
			if !contains(m[parent], child) {
				m[parent] = append(m[parent], child)
			}
		}
	}
	return m
}()

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// pairs returns a mapping's key/value pairs, merge keys (<<) expanded first so the mapping's
// own keys win.
func (d *decoder) pairs(n *yaml.Node, depth int) [][2]*yaml.Node {
	var out, own [][2]*yaml.Node
	if !d.spend(n, len(n.Content)/2+1) {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			if depth > 10 {
				d.errorf(k, "", ErrWrongType, "merge keys nested too deep")
				continue
			}
			v = d.deref(v)
			var srcs []*yaml.Node
			switch {
			case v == nil:
			case v.Kind == yaml.MappingNode:
				srcs = []*yaml.Node{v}
			case v.Kind == yaml.SequenceNode:
				for _, s := range v.Content {
					if s = d.deref(s); s != nil && s.Kind == yaml.MappingNode {
						srcs = append(srcs, s)
					}
				}
			}
			if len(srcs) == 0 {
				d.errorf(k, "", ErrWrongType, "a merge key (<<) wants a mapping or a list of mappings")
			}
			for _, s := range srcs {
				out = append(out, d.pairs(s, depth+1)...)
			}
			continue
		}
		own = append(own, [2]*yaml.Node{k, v})
	}
	return append(out, own...)
}

// mapping decodes a section's mapping; prefix is its dotted key ("" for the document).
func (d *decoder) mapping(n *yaml.Node, prefix string) {
	d.depth++
	defer func() { d.depth-- }()
	seen := map[string]*yaml.Node{}
	merged := map[string]bool{}
	ps := d.pairs(n, 0)
	nOwn := 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !(n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Tag == "!!merge") {
			nOwn++
		}
	}
	for i, p := range ps {
		k, v := p[0], d.deref(p[1])
		fromMerge := i < len(ps)-nOwn
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, prefix, ErrWrongType, "a key must be a plain name, not %s", kindName(k))
			continue
		}
		name := k.Value
		full := name
		if prefix != "" {
			full = prefix + "." + name
		}
		if first, dup := seen[name]; dup && !merged[name] {
			if !fromMerge {
				d.errorf(k, "", ErrWrongType, "duplicate key %q (first at line %d)", full, first.Line)
			}
			continue
		}
		seen[name], merged[name] = k, fromMerge
		if v == nil {
			d.errorf(k, full, ErrWrongType, "alias chain too long")
			continue
		}
		if ki, ok := keyIndex[full]; ok {
			d.leaf(keys[ki], k, v)
			continue
		}
		if _, ok := sections[full]; ok {
			switch {
			case v.Kind == yaml.MappingNode:
				if d.depth > 8 {
					d.errorf(v, full, ErrWrongType, "nested too deep")
					continue
				}
				d.mapping(v, full)
			case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			default:
				d.errorf(v, full, ErrWrongType, "want a mapping (keys %s), not %s", strings.Join(sections[full], ", "), kindName(v))
			}
			continue
		}
		where := "at the top level"
		if prefix != "" {
			where = "in " + prefix
		}
		msg := fmt.Sprintf("unknown key %q %s", name, where)
		if s := suggest(name, sections[prefix]); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += fmt.Sprintf(" (known: %s)", strings.Join(sections[prefix], ", "))
		}
		d.errorf(k, "", ErrUnknownKey, "%s", msg)
	}
}

// leaf decodes one setting's value.
func (d *decoder) leaf(k Key, kn, v *yaml.Node) {
	if k.Secret {
		alt := "its environment variable"
		if len(k.Env) > 0 {
			alt = "$" + strings.Join(k.Env, " or $")
		}
		d.errorf(kn, "", ErrWrongType, "%s: secrets are not read from the configuration file (it is often kept in git): set %s, or %s_file", k.Name, alt, k.Name)
		return
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return // null: the default
	}
	ptr := k.field(d.c)
	want := ""
	switch p := ptr.(type) {
	case *string:
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			want = "a string"
			break
		}
		*p = v.Value
	case *int:
		var n int
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&n) != nil {
			want = "an integer"
			break
		}
		*p = n
	case *float64:
		var f float64
		if v.Kind != yaml.ScalarNode || (v.Tag != "!!float" && v.Tag != "!!int") || v.Decode(&f) != nil {
			want = "a number"
			break
		}
		*p = f
	case *bool:
		var b bool
		if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
			want = "true or false"
			break
		}
		*p = b
	case *time.Duration:
		if v.Kind != yaml.ScalarNode || (v.Tag != "!!str" && !(v.Tag == "!!int" && v.Value == "0")) {
			want = "a duration such as 10s, 500ms or 24h"
			break
		}
		dur, err := parseDuration(v.Value)
		if err != nil {
			d.errorf(v, k.Name, ErrWrongType, "%v", err)
			return
		}
		*p = dur
	case *[]string:
		l, ok := d.strings(v)
		if !ok {
			want = "a list of names"
			break
		}
		*p = l
	case *map[string]string:
		if v.Kind != yaml.MappingNode {
			want = "a mapping of names to names"
			break
		}
		m := map[string]string{}
		for _, pr := range d.pairs(v, 0) {
			kk, vv := d.deref(pr[0]), d.deref(pr[1])
			if kk == nil || vv == nil || kk.Kind != yaml.ScalarNode || vv.Kind != yaml.ScalarNode || vv.Tag == "!!null" {
				d.errorf(pr[0], k.Name, ErrWrongType, "want name: name")
				continue
			}
			m[kk.Value] = vv.Value
		}
		*p = m
	case *url.Values:
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag != "!!str" {
				want = "a query string or a mapping"
				break
			}
			q, err := url.ParseQuery(v.Value)
			if err != nil {
				d.errorf(v, k.Name, ErrWrongType, "want a query such as status=active&tag=backup: %v", err)
				return
			}
			*p = q
		case yaml.MappingNode:
			q := url.Values{}
			for _, pr := range d.pairs(v, 0) {
				kk, vv := d.deref(pr[0]), d.deref(pr[1])
				if kk == nil || kk.Kind != yaml.ScalarNode || vv == nil {
					d.errorf(pr[0], k.Name, ErrWrongType, "want name: value or name: [values]")
					continue
				}
				if vv.Kind == yaml.ScalarNode && vv.Tag != "!!null" {
					q.Add(kk.Value, vv.Value)
					continue
				}
				l, ok := d.strings(vv)
				if !ok || vv.Kind != yaml.SequenceNode {
					d.errorf(vv, k.Name+"."+kk.Value, ErrWrongType, "want a value or a list of values")
					continue
				}
				q[kk.Value] = append(q[kk.Value], l...)
			}
			*p = q
		default:
			want = "a query string or a mapping"
		}
	}
	if want != "" {
		d.errorf(v, k.Name, ErrWrongType, "want %s, not %s", want, kindName(v))
		return
	}
	d.c.setOrigin(k.Name, d.origin(v))
}

// strings decodes a list of scalars, or a comma-separated string.
func (d *decoder) strings(v *yaml.Node) ([]string, bool) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag != "!!str" {
			return nil, false
		}
		var l []string
		for _, f := range strings.Split(v.Value, ",") {
			if f = strings.TrimSpace(f); f != "" {
				l = append(l, f)
			}
		}
		return l, true
	case yaml.SequenceNode:
		if !d.spend(v, len(v.Content)+1) {
			return nil, false
		}
		l := make([]string, 0, len(v.Content))
		for _, e := range v.Content {
			e = d.deref(e)
			if e == nil || e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
				return nil, false
			}
			l = append(l, e.Value)
		}
		return l, true
	}
	return nil, false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!null":
			return "null"
		case "!!bool", "!!int", "!!float":
			return n.Value
		}
		return fmt.Sprintf("%s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
	}
	return "an alias"
}

// suggest returns the known name closest to name, if it is close.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dd := editDistance(strings.ToLower(name), k); dd < bestD {
			best, bestD = k, dd
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sortedKeys returns m's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
