package inventory

import (
	"context"
	"slices"
	"sort"
	"sync/atomic"
)

// Attrs are the connection attributes a host, a group or the defaults may set.
// A zero value (empty string, port 0) means "not set here": the value is inherited. A YAML null
// loads as the zero value, as in Nornir, where None means unset. (Nornir counts an explicit empty
// string as set; norn cannot tell it from unset and inherits.)
type Attrs struct {
	Hostname string
	Port     int
	Username string
	Password string
	Platform string
}

// ConnectionOptions are the per-connection overrides (Nornir's connection_options) that a host,
// a group or the defaults may set for a connection name such as "scrapli" or "netconf".
// Zero fields are unset; a nil Extras is unset, while an empty non-nil Extras is set (and
// stops inheritance of extras).
type ConnectionOptions struct {
	Hostname string
	Port     int
	Username string
	Password string
	Platform string
	Extras   map[string]any
}

// Params are the resolved parameters of one connection of one host (see Host.ConnectionParams).
type Params struct {
	Hostname string
	Port     int
	Username string
	Password string
	Platform string
	// Extras is shared with the inventory: read it, do not modify it.
	Extras map[string]any
}

// Defaults are the values every host falls back to, after its own values and its groups'.
// Lookups read the defaults live: editing them directly is seen at once.
type Defaults struct {
	Attrs             Attrs
	Data              map[string]any
	ConnectionOptions map[string]*ConnectionOptions
}

// Group is a named set of values that hosts (and other groups) inherit. Groups is the list of
// the group's parent groups, in priority order.
//
// Each group's resolved view (its values merged with its parents', depth-first) is computed once
// and cached. The setters (SetAttrs, SetData, SetConnectionOptions, SetGroups) keep that cache
// fresh; after writing a group's exported fields directly, call Inventory.Invalidate (or make the
// edit inside Inventory.Edit).
type Group struct {
	// Name is the group's name, unique in its inventory.
	Name string
	// Attrs are the group's own attributes (zero fields: unset).
	Attrs Attrs
	// Groups are the group's parents, in priority order.
	Groups []*Group
	// Data holds any values (YAML's data mapping): nested maps are map[string]any, lists []any.
	Data map[string]any
	// ConnectionOptions are the group's options per connection name.
	ConnectionOptions map[string]*ConnectionOptions

	st   *shared                   // the inventory the group belongs to; nil when standalone
	view atomic.Pointer[groupView] // cached resolution, valid while view.gen == st.gen
}

// Host is one device of the inventory. Its own fields are read live on every lookup, so editing
// them (including Groups) directly is always seen.
type Host struct {
	// Name identifies the host in its inventory (the hosts file's key).
	Name string
	// Attrs are the host's own attributes (zero fields: unset, inherited).
	Attrs Attrs
	// Groups are the host's direct groups, in priority order.
	Groups []*Group
	// Data holds the host's own data; Get resolves keys through groups and defaults.
	Data map[string]any
	// ConnectionOptions are the host's own options per connection name.
	ConnectionOptions map[string]*ConnectionOptions

	st *shared // the inventory the host belongs to; nil when standalone
}

// shared is the state hosts and groups of one Inventory share.
type shared struct {
	gen      atomic.Uint64
	defaults atomic.Pointer[Defaults]
}

func (s *shared) generation() uint64 {
	if s == nil {
		return 0
	}
	return s.gen.Load()
}

// Inventory is a set of hosts, their groups and the defaults. Build it with Build (validating),
// New (not validating) or a Source such as SimpleInventory.
//
// Lookups on its hosts (Hostname, Get, ConnectionParams, InGroup, filters) are safe for
// concurrent use. Edits (setters, Edit, SetDefaults, writes to exported fields) must not run
// concurrently with lookups: make them between runs.
type Inventory struct {
	hosts      []*Host
	byName     map[string]*Host
	groups     map[string]*Group
	groupOrder []*Group
	st         *shared
}

// Source is implemented by every inventory plugin (the YAML loader, NetBox, ...).
type Source interface {
	// Load reads the inventory. On error it returns a nil Inventory: never a partial one.
	Load(ctx context.Context) (*Inventory, error)
}

// Filter selects hosts. See And, Or, Not, InGroup, Field and ParseFilter.
type Filter func(*Host) bool

// Hosts returns the hosts in load order. The slice is the inventory's: do not modify it.
func (inv *Inventory) Hosts() []*Host { return inv.hosts }

// Len returns the number of hosts.
func (inv *Inventory) Len() int { return len(inv.hosts) }

// Host returns the host with that name.
func (inv *Inventory) Host(name string) (*Host, bool) {
	h, ok := inv.byName[name]
	return h, ok
}

// Group returns the group with that name.
func (inv *Inventory) Group(name string) (*Group, bool) {
	g, ok := inv.groups[name]
	return g, ok
}

// Groups returns every group of the inventory: in file order for a YAML inventory, sorted by
// name for one made by Build or New.
func (inv *Inventory) Groups() []*Group { return slices.Clone(inv.groupOrder) }

// Defaults returns the inventory's defaults (never nil). Lookups read them live.
func (inv *Inventory) Defaults() *Defaults { return inv.st.defaults.Load() }

// SetDefaults replaces the inventory's defaults (nil means empty defaults).
func (inv *Inventory) SetDefaults(d *Defaults) {
	if d == nil {
		d = &Defaults{}
	}
	inv.st.defaults.Store(d)
}

// Invalidate drops every cached group resolution, so that edits made by writing exported
// fields of groups directly (g.Attrs.Username = "x", g.Data["k"] = v, g.Groups = ...) are
// seen by later lookups. The setters and Edit call it for you. It is cheap: caches are
// rebuilt lazily, one group at a time.
func (inv *Inventory) Invalidate() { inv.st.gen.Add(1) }

// Edit runs fn, which may write any exported field of the inventory's hosts, groups and
// defaults, and then invalidates the cached resolutions.
func (inv *Inventory) Edit(fn func()) {
	defer inv.Invalidate()
	fn()
}

// Filter returns the hosts matching f, in load order. A nil f matches every host.
func (inv *Inventory) Filter(f Filter) []*Host {
	if f == nil {
		return slices.Clone(inv.hosts)
	}
	var out []*Host
	for _, h := range inv.hosts {
		if f(h) {
			out = append(out, h)
		}
	}
	return out
}

// ChildrenOf returns the hosts that belong to the named group, directly or through nested
// groups (Nornir's children_of_group), in load order.
func (inv *Inventory) ChildrenOf(group string) []*Host {
	g, ok := inv.groups[group]
	if !ok {
		return nil
	}
	return inv.Filter(func(h *Host) bool { return h.HasParentGroup(g) })
}

// New builds an inventory from hosts, groups and defaults without validating them (see Build
// for the validating constructor). Groups reachable from the hosts are part of the inventory
// even if not listed. Hosts and groups are bound to the new inventory (each belongs to one
// inventory at a time). A nil defaults means empty defaults.
func New(hosts []*Host, groups []*Group, defaults *Defaults) *Inventory {
	inv := newInventory(defaults)
	for _, g := range groups {
		if g != nil {
			inv.addGroup(g)
		}
	}
	for _, h := range hosts {
		if h == nil {
			continue
		}
		for _, g := range h.Groups {
			inv.addGroupTree(g)
		}
		h.st = inv.st
		inv.hosts = append(inv.hosts, h)
		if _, dup := inv.byName[h.Name]; !dup {
			inv.byName[h.Name] = h
		}
	}
	inv.sortGroups()
	return inv
}

func newInventory(defaults *Defaults) *Inventory {
	inv := &Inventory{byName: map[string]*Host{}, groups: map[string]*Group{}, st: &shared{}}
	inv.SetDefaults(defaults)
	return inv
}

func (inv *Inventory) addGroup(g *Group) bool {
	if g.st == inv.st {
		return false
	}
	g.st = inv.st
	g.view.Store(nil)
	if _, dup := inv.groups[g.Name]; !dup {
		inv.groups[g.Name] = g
	}
	inv.groupOrder = append(inv.groupOrder, g)
	return true
}

func (inv *Inventory) addGroupTree(g *Group) {
	if g == nil || !inv.addGroup(g) {
		return
	}
	for _, p := range g.Groups {
		inv.addGroupTree(p)
	}
}

func (inv *Inventory) sortGroups() {
	sort.SliceStable(inv.groupOrder, func(i, j int) bool { return inv.groupOrder[i].Name < inv.groupOrder[j].Name })
}

// String returns the host's name.
func (h *Host) String() string { return h.Name }

// String returns the group's name.
func (g *Group) String() string { return g.Name }
