package inventory

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"
)

// SimpleInventory loads Nornir's SimpleInventory files unchanged: a hosts file, and optional
// groups and defaults files, in YAML.
//
//	# hosts.yaml                         # groups.yaml
//	r1:                                  core:
//	  hostname: 192.0.2.1                  groups: [eos]
//	  groups: [core]                       data: {role: core}
//	  data: {site: ams1}                 eos:
//	  connection_options:                  platform: eos
//	    scrapli: {port: 2222}
//
// Hosts and groups may set hostname, port, username, password, platform, groups (group names),
// data (any YAML) and connection_options (name: {hostname, port, username, password, platform,
// extras}); the defaults file the same keys without groups. Empty files, and files holding only
// comments, are valid. Anchors, aliases and merge keys (<<) work; values reached through one
// alias are shared, as in Nornir. Unknown keys are ignored, as Nornir does, unless Strict.
//
// Load reports every problem it finds, each as "file:line:col: message", in a *LoadError:
// malformed YAML, wrong types, undefined groups, cycles of groups, duplicate host or group
// names (naming both lines), ports outside 1-65535. It returns no inventory then.
//
// Big hosts files are split at top-level keys and parsed on all CPUs, never decoded through
// yaml.v3's map decoding (quadratic on large mappings); a file that cannot be split safely
// (aliases across entries, several documents, ...) is parsed whole.
type SimpleInventory struct {
	// HostFile is the hosts file (Nornir's host_file). Required.
	HostFile string
	// GroupFile is the groups file. Empty, or a file that does not exist: no groups.
	GroupFile string
	// DefaultsFile is the defaults file. Empty, or a file that does not exist: no defaults.
	DefaultsFile string
	// FS, when set, is the file system the files are read from (embed.FS, fstest.MapFS, ...);
	// by default they are read from the operating system, and a leading "~/" means the
	// user's home directory.
	FS fs.FS
	// Transform, when set, is called on every host, in load order, after the whole inventory
	// is loaded and validated (Nornir's transform_function). Default: none.
	Transform func(*Host)
	// Strict makes keys that Nornir does not know (typos such as "hostnmae") errors. Default
	// false: they are ignored, as Nornir ignores them.
	Strict bool
}

// Interface guards.
var _ Source = (*SimpleInventory)(nil)

// LoadDir loads dir/hosts.yaml with dir/groups.yaml and dir/defaults.yaml when they exist
// (".yml" is accepted for each when the ".yaml" file does not exist).
func LoadDir(ctx context.Context, dir string) (*Inventory, error) {
	s := &SimpleInventory{
		HostFile:     pickExt(filepath.Join(dir, "hosts")),
		GroupFile:    pickExt(filepath.Join(dir, "groups")),
		DefaultsFile: pickExt(filepath.Join(dir, "defaults")),
	}
	return s.Load(ctx)
}

func pickExt(base string) string {
	if _, err := os.Stat(base + ".yaml"); err != nil {
		if _, err2 := os.Stat(base + ".yml"); err2 == nil {
			return base + ".yml"
		}
	}
	return base + ".yaml"
}

// LoadGroups loads only a groups file and a defaults file (either may be empty or missing),
// for inventory plugins that take their hosts elsewhere (NetBox) but their credentials and
// connection options from YAML. Pass the result to Build. Each call returns new groups.
func LoadGroups(ctx context.Context, groupFile, defaultsFile string) (map[string]*Group, *Defaults, error) {
	s := &SimpleInventory{GroupFile: groupFile, DefaultsFile: defaultsFile}
	return s.LoadGroups(ctx)
}

// LoadGroups loads s.GroupFile and s.DefaultsFile only (see the package function LoadGroups).
// Groups are linked to their parents; defaults is never nil on success.
func (s *SimpleInventory) LoadGroups(ctx context.Context) (map[string]*Group, *Defaults, error) {
	l := s.newLoad()
	l.readOptional(ctx)
	gs, defaults := l.groupsAndDefaults()
	if err := l.ps.err(); err != nil {
		return nil, nil, err
	}
	m := make(map[string]*Group, len(gs))
	for _, g := range gs {
		m[g.Name] = g
	}
	return m, defaults, nil
}

// Load reads the files and returns the inventory, or a *LoadError listing every problem.
func (s *SimpleInventory) Load(ctx context.Context) (*Inventory, error) {
	return s.load(ctx, s.newLoad())
}

func (s *SimpleInventory) load(ctx context.Context, l *load) (*Inventory, error) {
	if s.HostFile == "" {
		l.ps.add(&Problem{Err: fs.ErrInvalid, Msg: "SimpleInventory: HostFile is empty"})
		return nil, l.ps.err()
	}
	hostData, ok := l.read(s.HostFile, true)
	l.readOptional(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	groups, defaults := l.groupsAndDefaults()
	var hosts []*Host
	if ok {
		byName := make(map[string]*Group, len(groups))
		for _, g := range groups {
			if _, dup := byName[g.Name]; !dup {
				byName[g.Name] = g
			}
		}
		var err error
		hosts, err = l.hosts(ctx, hostData, byName)
		if err != nil {
			return nil, err
		}
	}
	if err := l.ps.err(); err != nil {
		return nil, err
	}
	inv := newInventory(defaults)
	for _, g := range groups {
		inv.addGroup(g)
	}
	inv.hosts = hosts
	inv.byName = make(map[string]*Host, len(hosts))
	for _, h := range hosts {
		h.st = inv.st
		inv.byName[h.Name] = h
	}
	if s.Transform != nil {
		for _, h := range hosts {
			s.Transform(h)
		}
		inv.Invalidate()
	}
	return inv, nil
}

// load is the state of one Load.
type load struct {
	s            *SimpleInventory
	ps           problems
	groupData    []byte
	defaultsData []byte
	groupsBroken bool // the groups file is unreadable or not YAML: skip undefined-group checks
	chunk        int  // piece size for parallel parsing; 0: chunkSize (tests make it small)
}

func (s *SimpleInventory) newLoad() *load {
	return &load{s: s, ps: problems{order: map[string]int{s.DefaultsFile: 0, s.GroupFile: 1, s.HostFile: 2}}}
}

func (l *load) readOptional(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	if l.s.GroupFile != "" {
		var ok bool
		l.groupData, ok = l.read(l.s.GroupFile, false)
		l.groupsBroken = !ok
	}
	if l.s.DefaultsFile != "" {
		l.defaultsData, _ = l.read(l.s.DefaultsFile, false)
	}
}

// read reads one file; a missing optional file reads as empty.
func (l *load) read(name string, required bool) ([]byte, bool) {
	var b []byte
	var err error
	if l.s.FS != nil {
		b, err = fs.ReadFile(l.s.FS, name)
	} else {
		p := name
		if strings.HasPrefix(p, "~/") {
			if home, herr := os.UserHomeDir(); herr == nil {
				p = filepath.Join(home, p[2:])
			}
		}
		b, err = os.ReadFile(p)
	}
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil, true
		}
		l.ps.add(&Problem{File: name, Err: err, Msg: "cannot read: " + err.Error()})
		return nil, false
	}
	return b, true
}

// groupDef is a decoded group with the positions of its key and of its parent references.
type groupDef struct {
	g         *Group
	line, col int
	refPos    []groupRef // aligned with g.Groups once linked
}

// groupsAndDefaults decodes the defaults and groups files and links the groups.
func (l *load) groupsAndDefaults() ([]*Group, *Defaults) {
	defaults := &Defaults{}
	if len(l.defaultsData) > 0 {
		d := newDecoder(l.s.DefaultsFile, l.s.Strict, len(l.defaultsData))
		doc, err := parseYAML(l.defaultsData)
		if err != nil {
			l.ps.add(syntaxProblem(l.s.DefaultsFile, err))
		} else if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			e := d.element(doc.Content[0], "defaults", elemDefaults)
			defaults.Attrs, defaults.Data, defaults.ConnectionOptions = e.attrs, e.data, e.conn
		}
		l.ps.list = append(l.ps.list, d.ps.list...)
	}
	if len(l.groupData) == 0 {
		return nil, defaults
	}
	file := l.s.GroupFile
	d := newDecoder(file, l.s.Strict, len(l.groupData))
	doc, err := parseYAML(l.groupData)
	if err != nil {
		l.ps.add(syntaxProblem(file, err))
		l.groupsBroken = true
		return nil, defaults
	}
	var defs []*groupDef
	byName := map[string]*groupDef{}
	pending := map[*groupDef][]groupRef{}
	for _, p := range d.topPairs(doc, "groups") {
		name, ok := d.name(p.k, "group")
		if !ok {
			continue
		}
		e := d.element(p.v, "group "+quote(name), elemGroup)
		def := &groupDef{g: &Group{Name: name, Attrs: e.attrs, Data: e.data, ConnectionOptions: e.conn}, line: d.line(p.k), col: p.k.Column}
		if first, dup := byName[name]; dup {
			d.at(p.k, ErrDuplicate, "duplicate group %q (first defined at %s:%d:%d)", name, file, first.line, first.col)
			continue
		}
		byName[name] = def
		defs = append(defs, def)
		pending[def] = e.refs
	}
	for _, def := range defs {
		refs := pending[def]
		if len(refs) == 0 {
			continue
		}
		def.g.Groups = make([]*Group, 0, len(refs))
		for _, r := range refs {
			parent, ok := byName[r.name]
			if !ok {
				d.ps.addf(file, r.line, r.col, ErrUndefinedGroup, "group %q: undefined parent group %q", def.g.Name, r.name)
				continue
			}
			def.g.Groups = append(def.g.Groups, parent.g)
			def.refPos = append(def.refPos, r)
		}
	}
	order := make([]*Group, len(defs))
	defOf := make(map[*Group]*groupDef, len(defs))
	for i, def := range defs {
		order[i] = def.g
		defOf[def.g] = def
	}
	for _, c := range findCycles(order, func(g *Group) []*Group { return g.Groups }) {
		last := c.path[len(c.path)-1]
		r := defOf[last].refPos[c.closing]
		d.ps.addf(file, r.line, r.col, ErrGroupCycle, "cycle of groups: %s", cyclePath(c.path, nil))
	}
	l.ps.list = append(l.ps.list, d.ps.list...)
	return order, defaults
}

// hostsChunk is the result of decoding one piece of the hosts file.
type hostsChunk struct {
	hosts    []*Host
	pos      []groupRef // name, line and column of each host's key
	problems []*Problem
	syntax   error // the piece is not a whole YAML mapping: parse the file whole instead
}

// hosts decodes the hosts file.
func (l *load) hosts(ctx context.Context, data []byte, groups map[string]*Group) ([]*Host, error) {
	size := l.chunk
	if size <= 0 {
		size = chunkSize
	}
	chunks := splitTop(data, size)
	var results []hostsChunk
	if len(chunks) > 1 {
		results = l.decodeChunks(ctx, chunks, groups)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, r := range results {
			if r.syntax != nil {
				results = nil // fall back to a whole-file parse, whose errors are authoritative
				break
			}
		}
	}
	if results == nil {
		r := l.decodeWith(newDecoder(l.s.HostFile, l.s.Strict, 0), data, 0, groups, false, true)
		if r.syntax != nil {
			l.ps.add(syntaxProblem(l.s.HostFile, r.syntax))
			return nil, nil
		}
		results = []hostsChunk{r}
	}
	n := 0
	for _, r := range results {
		n += len(r.hosts)
		l.ps.list = append(l.ps.list, r.problems...)
	}
	hosts := make([]*Host, 0, n)
	seen := make(map[string]groupRef, n)
	for _, r := range results {
		for i, h := range r.hosts {
			p := r.pos[i]
			if first, dup := seen[h.Name]; dup {
				l.ps.addf(l.s.HostFile, p.line, p.col, ErrDuplicate, "duplicate host %q (first defined at %s:%d:%d)", h.Name, l.s.HostFile, first.line, first.col)
				continue
			}
			seen[h.Name] = p
			hosts = append(hosts, h)
		}
	}
	return hosts, nil
}

// chunkSize is the size pieces of a big hosts file are cut to for parallel parsing.
const chunkSize = 192 << 10

func (l *load) decodeChunks(ctx context.Context, chunks []chunk, groups map[string]*Group) []hostsChunk {
	results := make([]hostsChunk, len(chunks))
	workers := min(runtime.GOMAXPROCS(0), len(chunks))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d *decoder
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(chunks) {
					return
				}
				c := chunks[i]
				if d == nil {
					d = newDecoder(l.s.HostFile, l.s.Strict, 0)
				}
				results[i] = l.decodeWith(d, c.data, c.line-1, groups, true, i == 0)
				if results[i].syntax != nil {
					next.Store(int64(len(chunks))) // the whole file will be parsed again
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// decodeWith decodes one piece of the hosts file starting lineOff lines down, with decoder d
// (whose intern tables carry over between pieces).
func (l *load) decodeWith(d *decoder, data []byte, lineOff int, groups map[string]*Group, split, first bool) hostsChunk {
	var r hostsChunk
	doc, err := parseYAML(data)
	if err != nil {
		r.syntax = err
		return r
	}
	if split {
		// Each piece of a split file must be a block mapping whose keys start in column 1 (so
		// that a line starting in column 1 can only be a new key); after the first piece, one
		// starting at its first line.
		root := doc
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 || len(root.Content) == 0 ||
			root.Content[0].Column != 1 || (!first && root.Content[0].Line != 1) {
			r.syntax = errors.New("piece is not a block mapping")
			return r
		}
	}
	d.lineOff = lineOff
	d.ps.list = nil
	d.workMax = 1_000_000 + 8*len(data)
	d.work = 0
	d.memo, d.pairMemo, d.active, d.merging = nil, nil, nil, nil
	pairs := d.topPairs(doc, "hosts")
	slab := make([]Host, len(pairs))
	r.hosts = make([]*Host, 0, len(pairs))
	r.pos = make([]groupRef, 0, len(pairs))
	for i, p := range pairs {
		name, ok := d.name(p.k, "host")
		if !ok {
			continue
		}
		who := "host " + quote(name)
		e := d.element(p.v, who, elemHost)
		h := &slab[i]
		h.Name, h.Attrs, h.Data, h.ConnectionOptions = name, e.attrs, e.data, e.conn
		if len(e.refs) > 0 {
			h.Groups = d.groupsSlice(len(e.refs))
			for _, ref := range e.refs {
				g, ok := groups[ref.name]
				if !ok {
					if !l.groupsBroken {
						d.ps.addf(d.file, ref.line, ref.col, ErrUndefinedGroup, "%s: undefined group %q", who, ref.name)
					}
					continue
				}
				h.Groups = append(h.Groups, g)
			}
		}
		r.hosts = append(r.hosts, h)
		r.pos = append(r.pos, groupRef{name: name, line: d.line(p.k), col: p.k.Column})
	}
	r.problems = d.ps.list
	d.ps.list = nil
	return r
}

// chunk is a piece of a YAML file that starts at line (1-based) of the file.
type chunk struct {
	data []byte
	line int
}

// splitTop cuts a YAML file whose root is a block mapping into pieces of about target bytes,
// each starting at a top-level key (a line that starts, in column 1, a plain or quoted key).
// It returns the file whole when cutting might change its meaning: several documents,
// directives, line breaks other than \n and \r\n, or UTF-16. A cut in the middle of a
// multi-line construct (a quoted scalar or flow collection running to column 1) leaves a piece
// that does not parse, which makes the caller parse the file whole.
func splitTop(data []byte, target int) []chunk {
	whole := []chunk{{data: data, line: 1}}
	if len(data) < 2*target {
		return whole
	}
	if bytes.IndexByte(data, 0) >= 0 || bytes.Contains(data, []byte("\xc2\x85")) ||
		bytes.Contains(data, []byte("\xe2\x80\xa8")) || bytes.Contains(data, []byte("\xe2\x80\xa9")) ||
		bytes.HasPrefix(data, []byte("\xfe\xff")) || bytes.HasPrefix(data, []byte("\xff\xfe")) {
		return whole
	}
	var out []chunk
	start, startLine := 0, 1
	seenKey := false
	line := 1
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos
		}
		l := data[pos:end]
		if i := bytes.IndexByte(l, '\r'); i >= 0 && i != len(l)-1 {
			return whole // a lone \r is a line break to YAML
		}
		if len(l) > 0 {
			c := l[0]
			switch {
			case bytes.HasPrefix(l, []byte("---")) || bytes.HasPrefix(l, []byte("...")) || c == '%':
				if seenKey {
					return whole
				}
			case isKeyStart(c):
				if seenKey && pos-start >= target {
					out = append(out, chunk{data: data[start:pos], line: startLine})
					start, startLine = pos, line
				}
				seenKey = true
			}
		}
		pos = end + 1
	}
	out = append(out, chunk{data: data[start:], line: startLine})
	return out
}

func isKeyStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '"' || c == '\'' || c >= 0x80
}
