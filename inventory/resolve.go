package inventory

import (
	"slices"
	"sort"
)

// Resolution order (Nornir's, without its quirks):
//
//   - The groups of a host are walked depth-first, left to right, each group once: a host in
//     [a, b], a in [1, 2], b in [2, 3], 1 in [X] has the groups a, 1, X, 2, b, 3 (AllGroups).
//   - An attribute (hostname, port, username, password, platform) is the host's own value, else
//     the first group in that order that sets it, else the defaults'. Zero values are unset.
//     Hostname falls back to the host's name.
//   - A data key (Get) is looked up in the host's Data, then each group's Data in that order,
//     then the defaults' Data. A key present with a nil (YAML null) value in the host or a
//     group counts as set and stops the lookup, returning (nil, true); in the defaults a nil
//     value counts as unset, exactly as Nornir's Host.__getitem__ does.
//   - Connection options for a name (ConnectionParams) resolve field by field: the host's
//     options, then each group's options in that order, then the defaults' options, and last the
//     host's resolved attributes. Extras are taken whole (never merged) from the first of those
//     levels that sets them. Unlike Nornir, the defaults are consulted once, after all the
//     groups, never inside each group's step.
//
// Caching: each group's resolution (its ancestors in order, its attributes, data and connection
// options merged with its ancestors') is computed once and kept until the inventory's
// generation changes (Inventory.Invalidate, Edit, and the Group setters bump it). A host lookup
// reads the host's own fields, then the cached views of its direct groups, then the defaults:
// a few map lookups whatever the depth of the group tree. Because first-set-wins lookups over
// the concatenated per-group orders give the same answer as over the deduplicated order, the
// per-group views compose exactly into the host order above.

// groupView is the cached resolution of one group.
type groupView struct {
	gen   uint64
	chain []*Group // the group, then its ancestors depth-first, each once
	attrs Attrs    // first set value along chain
	// data is the group's data merged with its ancestors' (first occurrence wins, nil values
	// included). For a group without parents it is the group's own map.
	data map[string]any
	conn map[string]*ConnectionOptions // merged field by field along chain
	// names holds chain's names when chain is long (InGroup); nil otherwise.
	names map[string]struct{}
}

const namesMapThreshold = 8

// resolved returns the group's current view, rebuilding it when stale.
func (g *Group) resolved() *groupView {
	gen := g.st.generation()
	if g.st != nil {
		if v := g.view.Load(); v != nil && v.gen == gen {
			return v
		}
	}
	v := g.buildView(gen)
	if g.st != nil {
		g.view.Store(v)
	}
	return v
}

func (g *Group) buildView(gen uint64) *groupView {
	v := &groupView{gen: gen}
	v.chain = appendChain(nil, g)
	if len(v.chain) == 1 {
		v.attrs = g.Attrs
		v.data = g.Data
		v.conn = g.ConnectionOptions
		return v
	}
	for _, c := range v.chain {
		mergeAttrs(&v.attrs, &c.Attrs)
		for k, x := range c.Data {
			if v.data == nil {
				v.data = make(map[string]any, len(c.Data))
			}
			if _, ok := v.data[k]; !ok {
				v.data[k] = x
			}
		}
		for name, o := range c.ConnectionOptions {
			if o == nil {
				continue
			}
			if v.conn == nil {
				v.conn = map[string]*ConnectionOptions{}
			}
			m, ok := v.conn[name]
			if !ok {
				m = &ConnectionOptions{}
				v.conn[name] = m
			}
			mergeOptions(m, o)
		}
	}
	if len(v.chain) > namesMapThreshold {
		v.names = make(map[string]struct{}, len(v.chain))
		for _, c := range v.chain {
			v.names[c.Name] = struct{}{}
		}
	}
	return v
}

// appendChain appends g and its ancestors depth-first, left to right, each once (a cycle, which
// Build and the loader reject, is cut where it closes).
func appendChain(out []*Group, g *Group) []*Group {
	if g == nil || slices.Contains(out, g) {
		return out
	}
	out = append(out, g)
	for _, p := range g.Groups {
		out = appendChain(out, p)
	}
	return out
}

func (v *groupView) has(name string) bool {
	if v.names != nil {
		_, ok := v.names[name]
		return ok
	}
	for _, c := range v.chain {
		if c.Name == name {
			return true
		}
	}
	return false
}

func mergeAttrs(dst, src *Attrs) {
	if dst.Hostname == "" {
		dst.Hostname = src.Hostname
	}
	if dst.Port == 0 {
		dst.Port = src.Port
	}
	if dst.Username == "" {
		dst.Username = src.Username
	}
	if dst.Password == "" {
		dst.Password = src.Password
	}
	if dst.Platform == "" {
		dst.Platform = src.Platform
	}
}

func mergeOptions(dst, src *ConnectionOptions) {
	if dst.Hostname == "" {
		dst.Hostname = src.Hostname
	}
	if dst.Port == 0 {
		dst.Port = src.Port
	}
	if dst.Username == "" {
		dst.Username = src.Username
	}
	if dst.Password == "" {
		dst.Password = src.Password
	}
	if dst.Platform == "" {
		dst.Platform = src.Platform
	}
	if dst.Extras == nil {
		dst.Extras = src.Extras
	}
}

// defaults returns the defaults the host falls back to (nil for a standalone host).
func (h *Host) defaults() *Defaults {
	if h.st == nil {
		return nil
	}
	return h.st.defaults.Load()
}

// Defaults returns the defaults of the host's inventory (nil for a host in no inventory).
func (h *Host) Defaults() *Defaults { return h.defaults() }

// inherited resolves one string attribute through the groups and the defaults.
func (h *Host) inherited(own string, get func(*Attrs) string) string {
	if own != "" {
		return own
	}
	for _, g := range h.Groups {
		if g == nil {
			continue
		}
		if v := get(&g.resolved().attrs); v != "" {
			return v
		}
	}
	if d := h.defaults(); d != nil {
		return get(&d.Attrs)
	}
	return ""
}

func getHostname(a *Attrs) string { return a.Hostname }
func getUsername(a *Attrs) string { return a.Username }
func getPassword(a *Attrs) string { return a.Password }
func getPlatform(a *Attrs) string { return a.Platform }

// Hostname returns the address to connect to: the resolved hostname, or the host's name when
// none is set anywhere (LookupHostname tells the two apart).
func (h *Host) Hostname() string {
	if v := h.inherited(h.Attrs.Hostname, getHostname); v != "" {
		return v
	}
	return h.Name
}

// LookupHostname returns the hostname set on the host, one of its groups or the defaults
// (resolved as Hostname does), and whether one is set; without one it returns "", false where
// Hostname falls back to the host's name.
func (h *Host) LookupHostname() (string, bool) {
	v := h.inherited(h.Attrs.Hostname, getHostname)
	return v, v != ""
}

// Platform returns the resolved platform ("" when none is set).
func (h *Host) Platform() string { return h.inherited(h.Attrs.Platform, getPlatform) }

// Username returns the resolved username ("" when none is set).
func (h *Host) Username() string { return h.inherited(h.Attrs.Username, getUsername) }

// Password returns the resolved password ("" when none is set).
func (h *Host) Password() string { return h.inherited(h.Attrs.Password, getPassword) }

// Port returns the resolved port (0 when none is set).
func (h *Host) Port() int {
	if h.Attrs.Port != 0 {
		return h.Attrs.Port
	}
	for _, g := range h.Groups {
		if g == nil {
			continue
		}
		if p := g.resolved().attrs.Port; p != 0 {
			return p
		}
	}
	if d := h.defaults(); d != nil {
		return d.Attrs.Port
	}
	return 0
}

// ResolvedAttrs returns all five resolved attributes at once (Hostname falls back to the name).
func (h *Host) ResolvedAttrs() Attrs {
	return Attrs{Hostname: h.Hostname(), Port: h.Port(), Username: h.Username(), Password: h.Password(), Platform: h.Platform()}
}

// AllGroups returns the host's groups depth-first, left to right, each once (see the resolution
// order in the package documentation). The slice is new on each call.
func (h *Host) AllGroups() []*Group {
	var out []*Group
	for _, g := range h.Groups {
		if g == nil {
			continue
		}
		for _, c := range g.resolved().chain {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// InGroup reports whether the host belongs to the named group, directly or through nested groups.
func (h *Host) InGroup(name string) bool {
	for _, g := range h.Groups {
		if g != nil && (g.Name == name || g.resolved().has(name)) {
			return true
		}
	}
	return false
}

// HasParentGroup reports whether g is one of the host's groups, directly or through nested
// groups (the group itself, not a namesake; Nornir's has_parent_group with a Group).
func (h *Host) HasParentGroup(g *Group) bool {
	for _, d := range h.Groups {
		if d == nil {
			continue
		}
		if d == g || slices.Contains(d.resolved().chain, g) {
			return true
		}
	}
	return false
}

// Get looks a data key up through the host, its groups and the defaults (see the package
// documentation for the order and for nil values). It does not consult the attributes, and a
// dotted key ("site.name") is not split; see Field for attributes and nested paths.
func (h *Host) Get(key string) (any, bool) {
	if v, ok := h.Data[key]; ok {
		return v, true
	}
	for _, g := range h.Groups {
		if g == nil {
			continue
		}
		if v, ok := g.resolved().data[key]; ok {
			return v, true
		}
	}
	if d := h.defaults(); d != nil {
		if v := d.Data[key]; v != nil {
			return v, true
		}
	}
	return nil, false
}

// ExtendedData returns every data key the host sees, resolved as Get does (Nornir's
// extended_data): the host's own keys, then its groups' in AllGroups order, then the defaults'.
// As in Nornir, a defaults key whose value is null is kept (with a nil value) although Get
// misses it. The map is new on each call.
func (h *Host) ExtendedData() map[string]any {
	out := make(map[string]any, len(h.Data))
	for k, v := range h.Data {
		out[k] = v
	}
	for _, g := range h.Groups {
		if g == nil {
			continue
		}
		for k, v := range g.resolved().data {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
	}
	if d := h.defaults(); d != nil {
		for k, v := range d.Data {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
	}
	return out
}

// ConnectionParams resolves the parameters of the named connection field by field: the host's
// ConnectionOptions[name], then its groups' (in AllGroups order), then the defaults', and last
// the host's resolved attributes. Extras come whole from the first of the option levels that
// sets them (nil when none does).
func (h *Host) ConnectionParams(name string) Params {
	var m ConnectionOptions
	if o := h.ConnectionOptions[name]; o != nil {
		m = *o
	}
	for _, g := range h.Groups {
		if g == nil {
			continue
		}
		if o := g.resolved().conn[name]; o != nil {
			mergeOptions(&m, o)
		}
	}
	if d := h.defaults(); d != nil {
		if o := d.ConnectionOptions[name]; o != nil {
			mergeOptions(&m, o)
		}
	}
	p := Params(m)
	if p.Hostname == "" {
		p.Hostname = h.Hostname()
	}
	if p.Port == 0 {
		p.Port = h.Port()
	}
	if p.Username == "" {
		p.Username = h.Username()
	}
	if p.Password == "" {
		p.Password = h.Password()
	}
	if p.Platform == "" {
		p.Platform = h.Platform()
	}
	return p
}

// ConnectionNames returns, sorted, every connection name the host, its groups or the defaults
// set connection options for.
func (h *Host) ConnectionNames() []string {
	seen := map[string]struct{}{}
	for n := range h.ConnectionOptions {
		seen[n] = struct{}{}
	}
	for _, g := range h.Groups {
		if g == nil {
			continue
		}
		for n := range g.resolved().conn {
			seen[n] = struct{}{}
		}
	}
	if d := h.defaults(); d != nil {
		for n := range d.ConnectionOptions {
			seen[n] = struct{}{}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// invalidate bumps the generation of the group's inventory.
func (g *Group) invalidate() {
	if g.st != nil {
		g.st.gen.Add(1)
	}
}

// SetAttrs replaces the group's attributes and refreshes the cached resolutions.
func (g *Group) SetAttrs(a Attrs) {
	g.Attrs = a
	g.invalidate()
}

// SetData sets one data key of the group (a nil value is stored: it counts as set) and refreshes
// the cached resolutions.
func (g *Group) SetData(key string, value any) {
	if g.Data == nil {
		g.Data = map[string]any{}
	}
	g.Data[key] = value
	g.invalidate()
}

// DeleteData removes one data key of the group and refreshes the cached resolutions.
func (g *Group) DeleteData(key string) {
	delete(g.Data, key)
	g.invalidate()
}

// SetConnectionOptions sets (nil: removes) the group's options for one connection name and
// refreshes the cached resolutions.
func (g *Group) SetConnectionOptions(name string, o *ConnectionOptions) {
	if o == nil {
		delete(g.ConnectionOptions, name)
	} else {
		if g.ConnectionOptions == nil {
			g.ConnectionOptions = map[string]*ConnectionOptions{}
		}
		g.ConnectionOptions[name] = o
	}
	g.invalidate()
}

// SetGroups replaces the group's parent groups and refreshes the cached resolutions. It refuses
// (and changes nothing) when a parent is nil or when the change would make a cycle.
func (g *Group) SetGroups(parents ...*Group) error {
	for _, p := range parents {
		if p == nil {
			return &Problem{Err: ErrUndefinedGroup, Msg: "group " + quote(g.Name) + ": nil parent group"}
		}
		if p == g || slices.Contains(appendChain(nil, p), g) {
			return &Problem{Err: ErrGroupCycle, Msg: "group " + quote(g.Name) + ": parent " + quote(p.Name) + " would make a cycle of groups"}
		}
	}
	g.Groups = slices.Clone(parents)
	g.invalidate()
	return nil
}
