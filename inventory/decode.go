package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file turns yaml.Node trees into inventory values. It never calls Node.Decode on
// mappings: yaml.v3 checks mapping keys for duplicates pairwise, which is quadratic on a hosts
// file of 100k entries. Positions (file:line:col) are kept for every problem.

// kv is one effective pair of a mapping (after merge keys).
type kv struct {
	k, v   *yaml.Node
	merged bool // came from a << merge key
}

// decoder converts nodes of one file (or one chunk of a file, lineOff lines down).
type decoder struct {
	file    string
	lineOff int
	strict  bool
	ps      problems

	strs     map[string]string // interned short strings
	boxes    map[string]any    // interned boxed strings (data values)
	memo     map[*yaml.Node]any
	pairMemo map[*yaml.Node][]kv
	active   map[*yaml.Node]bool // anchored nodes being converted: an alias to one is a cycle
	merging  map[*yaml.Node]bool // anchored mappings whose pairs are being collected
	work     int
	workMax  int
	tooMuch  bool

	groupSlab []*Group
}

func newDecoder(file string, strict bool, size int) *decoder {
	return &decoder{
		file:    file,
		strict:  strict,
		strs:    map[string]string{},
		boxes:   map[string]any{},
		workMax: 1_000_000 + 8*size,
	}
}

func (d *decoder) at(n *yaml.Node, kind error, format string, args ...any) {
	d.ps.addf(d.file, n.Line+d.lineOff, n.Column, kind, format, args...)
}

func (d *decoder) line(n *yaml.Node) int { return n.Line + d.lineOff }

// spend counts conversion work; alias and merge expansion cannot blow up past workMax.
func (d *decoder) spend(n *yaml.Node, units int) bool {
	d.work += units
	if d.work > d.workMax {
		if !d.tooMuch {
			d.tooMuch = true
			d.at(n, ErrWrongType, "document too complex: aliases and merge keys expand past %d values", d.workMax)
		}
		return false
	}
	return true
}

func (d *decoder) intern(s string) string {
	if len(s) > 64 {
		return s
	}
	if v, ok := d.strs[s]; ok {
		return v
	}
	d.strs[s] = s
	return s
}

func (d *decoder) box(s string) any {
	if len(s) > 64 {
		return s
	}
	if v, ok := d.boxes[s]; ok {
		return v
	}
	var v any = s
	d.boxes[s] = v
	return v
}

// groupsSlice returns a slice of length 0 and capacity n carved from a slab, so that 100k hosts
// do not make 100k tiny allocations.
func (d *decoder) groupsSlice(n int) []*Group {
	if n == 0 {
		return nil
	}
	if n > 64 {
		return make([]*Group, 0, n)
	}
	if cap(d.groupSlab)-len(d.groupSlab) < n {
		d.groupSlab = make([]*Group, 0, 4096)
	}
	s := d.groupSlab[len(d.groupSlab) : len(d.groupSlab) : len(d.groupSlab)+n]
	d.groupSlab = d.groupSlab[:len(d.groupSlab)+n]
	return s
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 1000; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "" || k.Tag == "!")
}

// kindName names a node's YAML type for messages.
func kindName(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!int":
			return "an integer " + n.Value
		case "!!float":
			return "a float " + n.Value
		case "!!bool":
			return "a boolean " + n.Value
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return "a string " + strconv.Quote(v)
	case yaml.DocumentNode:
		return "a document"
	}
	return "an alias"
}

// pairs returns the effective pairs of mapping n: its own, then those of merged mappings
// (<< keys) that it does not set itself, earlier merges first.
func (d *decoder) pairs(n *yaml.Node) []kv {
	if n.Anchor != "" {
		if p, ok := d.pairMemo[n]; ok {
			return p
		}
		if !d.enter(&d.merging, n) {
			return nil
		}
		defer delete(d.merging, n)
	}
	out := make([]kv, 0, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		out = append(out, kv{k: k, v: v})
	}
	if len(merges) > 0 {
		seen := map[string]bool{}
		for _, p := range out {
			if k := deref(p.k); k != nil && k.Kind == yaml.ScalarNode {
				seen[k.Value] = true
			}
		}
		addFrom := func(m *yaml.Node) {
			for _, p := range d.pairs(m) {
				k := deref(p.k)
				if k == nil || k.Kind != yaml.ScalarNode || seen[k.Value] {
					continue
				}
				seen[k.Value] = true
				out = append(out, kv{k: p.k, v: p.v, merged: true})
			}
		}
		for _, mv := range merges {
			m := deref(mv)
			if m == nil || !d.spend(mv, 1) {
				continue
			}
			switch m.Kind {
			case yaml.MappingNode:
				addFrom(m)
			case yaml.SequenceNode:
				for _, e := range m.Content {
					if em := deref(e); em != nil && em.Kind == yaml.MappingNode {
						addFrom(em)
					} else {
						d.at(e, ErrWrongType, "merge key: a list of mappings expected, got %s", kindName(e))
					}
				}
			default:
				d.at(mv, ErrWrongType, "merge key: a mapping or a list of mappings expected, got %s", kindName(mv))
			}
		}
	}
	d.spend(n, len(out))
	if n.Anchor != "" {
		if d.pairMemo == nil {
			d.pairMemo = map[*yaml.Node][]kv{}
		}
		d.pairMemo[n] = out
	}
	return out
}

// enter marks an anchored node as being converted; it reports false (and a problem) when the
// node is already being converted: its value contains itself through an alias.
func (d *decoder) enter(set *map[*yaml.Node]bool, n *yaml.Node) bool {
	if (*set)[n] {
		d.at(n, ErrWrongType, "anchor %q value contains itself", n.Anchor)
		return false
	}
	if *set == nil {
		*set = map[*yaml.Node]bool{}
	}
	(*set)[n] = true
	return true
}

// key returns the text of a mapping key; ok is false (and a problem recorded) when the key is
// not a scalar.
func (d *decoder) key(k *yaml.Node) (string, bool) {
	n := deref(k)
	if n == nil || n.Kind != yaml.ScalarNode {
		d.at(k, ErrWrongType, "a mapping key must be a scalar, got %s", kindName(k))
		return "", false
	}
	return n.Value, true
}

// value converts any node to Go values: map[string]any, []any, string, int, float64, bool, nil.
// Aliases share the converted value of their anchor (as in Nornir, where they are one object).
func (d *decoder) value(n *yaml.Node) any {
	if n == nil || !d.spend(n, 1) {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil
		}
		return d.value(n.Alias)
	}
	if n.Anchor != "" {
		if v, ok := d.memo[n]; ok {
			return v
		}
		if !d.enter(&d.active, n) {
			return nil
		}
		defer delete(d.active, n)
	}
	var v any
	switch n.Kind {
	case yaml.ScalarNode:
		v = d.scalar(n)
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, e := range n.Content {
			s[i] = d.value(e)
		}
		v = s
	case yaml.MappingNode:
		v = d.mapping(n)
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			v = d.value(n.Content[0])
		}
	}
	if n.Anchor != "" {
		if d.memo == nil {
			d.memo = map[*yaml.Node]any{}
		}
		d.memo[n] = v
	}
	return v
}

// mapping converts a mapping node to map[string]any, reporting duplicate keys.
func (d *decoder) mapping(n *yaml.Node) map[string]any {
	ps := d.pairs(n)
	m := make(map[string]any, len(ps))
	var first map[string]*yaml.Node // key -> first key node, for messages
	for _, p := range ps {
		k, ok := d.key(p.k)
		if !ok {
			continue
		}
		if _, dup := m[k]; dup && !p.merged {
			if first == nil {
				first = map[string]*yaml.Node{}
				for _, q := range ps {
					if qk := deref(q.k); qk != nil && qk.Kind == yaml.ScalarNode {
						if _, seen := first[qk.Value]; !seen {
							first[qk.Value] = q.k
						}
					}
				}
			}
			d.at(p.k, ErrDuplicate, "duplicate key %q (first at line %d)", k, d.line(first[k]))
			continue
		}
		m[d.intern(k)] = d.value(p.v)
	}
	return m
}

func (d *decoder) scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!str", "":
		return d.box(n.Value)
	case "!!null":
		return nil
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil && i == int64(int(i)) {
			return int(i)
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
	case "!!bool":
		switch n.Value {
		case "true":
			return true
		case "false":
			return false
		}
	case "!!timestamp":
		return d.box(n.Value) // yaml.v3 keeps timestamps as strings in interface values
	}
	var v any
	if err := n.Decode(&v); err != nil {
		d.at(n, ErrWrongType, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil
	}
	return v
}

// groupRef is a group name with the position it was written at.
type groupRef struct {
	name      string
	line, col int
}

// elemKind says which keys an element may have.
type elemKind int

const (
	elemHost elemKind = iota
	elemGroup
	elemDefaults
)

// element is the decoded content of a host, group or defaults mapping.
type element struct {
	attrs Attrs
	refs  []groupRef
	data  map[string]any
	conn  map[string]*ConnectionOptions
}

var knownKeys = map[elemKind]string{
	elemHost:     "hostname, port, username, password, platform, groups, data, connection_options",
	elemGroup:    "hostname, port, username, password, platform, groups, data, connection_options",
	elemDefaults: "hostname, port, username, password, platform, data, connection_options",
}

// attrKeyIndex returns the slot of a connection attribute key shared by hosts, groups,
// defaults and connection_options (hostname 0, port 1, username 2, password 3, platform 4), or
// -1 for any other key.
func attrKeyIndex(k string) int {
	switch k {
	case "hostname":
		return 0
	case "port":
		return 1
	case "username":
		return 2
	case "password":
		return 3
	case "platform":
		return 4
	}
	return -1
}

// element decodes the mapping of a host, group or defaults. who names it in messages
// (`host "r1"`).
func (d *decoder) element(n *yaml.Node, who string, kind elemKind) element {
	var e element
	n = deref(n)
	if isNull(n) {
		return e
	}
	if n.Kind != yaml.MappingNode {
		d.at(n, ErrWrongType, "%s: a mapping expected, got %s", who, kindName(n))
		return e
	}
	var seen [8]*yaml.Node
	for _, p := range d.pairs(n) {
		k, ok := d.key(p.k)
		if !ok {
			continue
		}
		idx := attrKeyIndex(k)
		switch k {
		case "groups":
			if kind != elemDefaults {
				idx = 5
			}
		case "data":
			idx = 6
		case "connection_options":
			idx = 7
		}
		if idx < 0 {
			if d.strict {
				d.at(p.k, ErrUnknownKey, "%s: unknown key %q (known: %s)", who, k, knownKeys[kind])
			}
			continue
		}
		if seen[idx] != nil {
			if !p.merged {
				d.at(p.k, ErrDuplicate, "%s: duplicate key %q (first at line %d)", who, k, d.line(seen[idx]))
			}
			continue
		}
		seen[idx] = p.k
		switch idx {
		case 0:
			e.attrs.Hostname = d.str(p.v, who, k, false)
		case 1:
			e.attrs.Port = d.port(p.v, who, "port")
		case 2:
			e.attrs.Username = d.str(p.v, who, k, true)
		case 3:
			e.attrs.Password = d.str(p.v, who, k, true)
		case 4:
			e.attrs.Platform = d.str(p.v, who, k, true)
		case 5:
			e.refs = d.groupRefs(p.v, who)
		case 6:
			e.data = d.data(p.v, who, "data")
		case 7:
			e.conn = d.connOptions(p.v, who)
		}
	}
	return e
}

// str decodes a string attribute: any non-null scalar, taken as written.
func (d *decoder) str(n *yaml.Node, who, field string, intern bool) string {
	v := deref(n)
	if isNull(v) {
		return ""
	}
	if v.Kind != yaml.ScalarNode {
		d.at(n, ErrWrongType, "%s: %s must be a string, got %s", who, field, kindName(n))
		return ""
	}
	if intern {
		return d.intern(v.Value)
	}
	return v.Value
}

func (d *decoder) port(n *yaml.Node, who, field string) int {
	v := deref(n)
	if isNull(v) {
		return 0
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		d.at(n, ErrWrongType, "%s: %s must be an integer, got %s", who, field, kindName(n))
		return 0
	}
	i, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		var x int64
		if derr := v.Decode(&x); derr != nil {
			d.at(n, ErrInvalidPort, "%s: %s %s is not in 1-65535", who, field, v.Value)
			return 0
		}
		i = x
	}
	if i < 1 || i > 65535 {
		d.at(n, ErrInvalidPort, "%s: %s %s is not in 1-65535", who, field, v.Value)
		return 0
	}
	return int(i)
}

func (d *decoder) groupRefs(n *yaml.Node, who string) []groupRef {
	v := deref(n)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		d.at(n, ErrWrongType, "%s: groups must be a list of group names, got %s", who, kindName(n))
		return nil
	}
	refs := make([]groupRef, 0, len(v.Content))
	for _, e := range v.Content {
		s := deref(e)
		if s == nil || s.Kind != yaml.ScalarNode || isNull(s) {
			d.at(e, ErrWrongType, "%s: groups must be a list of group names, got %s in it", who, kindName(e))
			continue
		}
		refs = append(refs, groupRef{name: s.Value, line: d.line(e), col: e.Column})
	}
	return refs
}

func (d *decoder) data(n *yaml.Node, who, field string) map[string]any {
	v := deref(n)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		d.at(n, ErrWrongType, "%s: %s must be a mapping, got %s", who, field, kindName(n))
		return nil
	}
	if n.Kind == yaml.AliasNode || v.Anchor != "" {
		// Shared with other elements through an alias: convert once.
		m, _ := d.value(v).(map[string]any)
		return m
	}
	return d.mapping(v)
}

func (d *decoder) connOptions(n *yaml.Node, who string) map[string]*ConnectionOptions {
	v := deref(n)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		d.at(n, ErrWrongType, "%s: connection_options must be a mapping of connection names to options, got %s", who, kindName(n))
		return nil
	}
	out := map[string]*ConnectionOptions{}
	for _, p := range d.pairs(v) {
		name, ok := d.key(p.k)
		if !ok {
			continue
		}
		if _, dup := out[name]; dup {
			if !p.merged {
				d.at(p.k, ErrDuplicate, "%s: duplicate connection_options %q", who, name)
			}
			continue
		}
		cwho := fmt.Sprintf("%s: connection_options %q", who, name)
		o := &ConnectionOptions{}
		out[d.intern(name)] = o
		ov := deref(p.v)
		if isNull(ov) {
			continue
		}
		if ov.Kind != yaml.MappingNode {
			d.at(p.v, ErrWrongType, "%s: a mapping expected, got %s", cwho, kindName(p.v))
			continue
		}
		var seen [6]*yaml.Node
		for _, q := range d.pairs(ov) {
			k, ok := d.key(q.k)
			if !ok {
				continue
			}
			idx := attrKeyIndex(k)
			if k == "extras" {
				idx = 5
			}
			if idx < 0 {
				if d.strict {
					d.at(q.k, ErrUnknownKey, "%s: unknown key %q (known: hostname, port, username, password, platform, extras)", cwho, k)
				}
				continue
			}
			if seen[idx] != nil {
				if !q.merged {
					d.at(q.k, ErrDuplicate, "%s: duplicate key %q (first at line %d)", cwho, k, d.line(seen[idx]))
				}
				continue
			}
			seen[idx] = q.k
			switch idx {
			case 0:
				o.Hostname = d.str(q.v, cwho, k, false)
			case 1:
				o.Port = d.port(q.v, cwho, "port")
			case 2:
				o.Username = d.str(q.v, cwho, k, true)
			case 3:
				o.Password = d.str(q.v, cwho, k, true)
			case 4:
				o.Platform = d.str(q.v, cwho, k, true)
			case 5:
				if m := d.data(q.v, cwho, "extras"); m != nil {
					o.Extras = m
				} else if ev := deref(q.v); ev != nil && ev.Kind == yaml.MappingNode {
					o.Extras = map[string]any{}
				}
			}
		}
	}
	return out
}

// topPairs returns the entries of a file's root mapping; a null or empty document has none.
// what names the entries in messages ("hosts").
func (d *decoder) topPairs(doc *yaml.Node, what string) []kv {
	if doc == nil || doc.Kind == 0 {
		return nil
	}
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	r := deref(root)
	if isNull(r) {
		return nil
	}
	if r.Kind != yaml.MappingNode {
		d.at(root, ErrWrongType, "a mapping of names to %s expected, got %s", what, kindName(root))
		return nil
	}
	return d.pairs(r)
}

// name returns a host or group name from its key.
func (d *decoder) name(k *yaml.Node, what string) (string, bool) {
	n := deref(k)
	if n == nil || n.Kind != yaml.ScalarNode {
		d.at(k, ErrInvalidName, "%s name must be a scalar, got %s", what, kindName(k))
		return "", false
	}
	if isNull(n) || n.Value == "" {
		d.at(k, ErrInvalidName, "%s with an empty name", what)
		return "", false
	}
	return n.Value, true
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserProblems are the messages of libyaml's parser (as opposed to its scanner). yaml.v3
// reports the line of a parser error 0-based, and drops line numbers on the first line; the
// line is corrected here. yaml.v3 reports no column.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// syntaxProblem turns a yaml.v3 parse error into a Problem with the file and line (no column:
// yaml.v3 does not report it).
func syntaxProblem(file string, err error) *Problem {
	msg := err.Error()
	p := &Problem{File: file, Err: ErrSyntax}
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		p.Msg = "malformed YAML: " + msg
		return p
	}
	problem := m[2]
	switch {
	case strings.HasPrefix(problem, "parser failure"):
		// a recovered panic: no position
	case m[1] == "":
		p.Line = 1
	default:
		p.Line, _ = strconv.Atoi(m[1])
		if parserProblems[problem] {
			p.Line++
		}
	}
	p.Msg = "malformed YAML: " + problem
	return p
}

// parseYAML parses data into a node tree, turning a parser panic into an error.
func parseYAML(data []byte) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("yaml: parser failure: %v", r)
		}
	}()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	return &n, nil
}
