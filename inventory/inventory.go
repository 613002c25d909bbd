package inventory

import (
	"context"
	"strings"
)

// Attrs are the connection attributes a host, a group or the defaults may set.
// A zero value (empty string, port 0) means "not set here".
type Attrs struct {
	Hostname string
	Port     int
	Username string
	Password string
	Platform string
}

// ConnectionOptions are the per-connection overrides (Nornir's connection_options) that a host,
// a group or the defaults may set for a connection name such as "scrapli" or "netconf".
type ConnectionOptions struct {
	Hostname string
	Port     int
	Username string
	Password string
	Platform string
	Extras   map[string]any
}

// Params are the resolved parameters of one connection of one host.
type Params struct {
	Hostname string
	Port     int
	Username string
	Password string
	Platform string
	Extras   map[string]any
}

// Defaults are the values every host falls back to.
type Defaults struct {
	Attrs             Attrs
	Data              map[string]any
	ConnectionOptions map[string]*ConnectionOptions
}

// Group is a named set of values that hosts (and other groups) inherit.
type Group struct {
	Name              string
	Attrs             Attrs
	Groups            []*Group
	Data              map[string]any
	ConnectionOptions map[string]*ConnectionOptions
}

// Host is one device of the inventory.
type Host struct {
	Name              string
	Attrs             Attrs
	Groups            []*Group
	Data              map[string]any
	ConnectionOptions map[string]*ConnectionOptions

	defaults *Defaults
}

// Inventory is a set of hosts, their groups and the defaults.
type Inventory struct {
	hosts    []*Host
	byName   map[string]*Host
	groups   map[string]*Group
	defaults *Defaults
}

// Source is implemented by every inventory plugin (the YAML loader, NetBox, ...).
type Source interface {
	Load(ctx context.Context) (*Inventory, error)
}

// Filter selects hosts.
type Filter func(*Host) bool

// Hosts returns the hosts in load order.
func (inv *Inventory) Hosts() []*Host { return inv.hosts }

// Host returns the host with that name.
func (inv *Inventory) Host(name string) (*Host, bool) { h, ok := inv.byName[name]; return h, ok }

// Filter returns the hosts matching f, in load order. A nil f matches every host.
func (inv *Inventory) Filter(f Filter) []*Host {
	var out []*Host
	for _, h := range inv.hosts {
		if f == nil || f(h) {
			out = append(out, h)
		}
	}
	return out
}

// Hostname returns the resolved hostname (the host's name when none is set anywhere).
func (h *Host) Hostname() string {
	if v := h.attr(func(a Attrs) string { return a.Hostname }); v != "" {
		return v
	}
	return h.Name
}

// Platform returns the resolved platform.
func (h *Host) Platform() string { return h.attr(func(a Attrs) string { return a.Platform }) }

// Username returns the resolved username.
func (h *Host) Username() string { return h.attr(func(a Attrs) string { return a.Username }) }

// Password returns the resolved password.
func (h *Host) Password() string { return h.attr(func(a Attrs) string { return a.Password }) }

// Port returns the resolved port (0 when none is set).
func (h *Host) Port() int {
	if h.Attrs.Port != 0 {
		return h.Attrs.Port
	}
	for _, g := range h.AllGroups() {
		if g.Attrs.Port != 0 {
			return g.Attrs.Port
		}
	}
	if h.defaults != nil {
		return h.defaults.Attrs.Port
	}
	return 0
}

func (h *Host) attr(get func(Attrs) string) string {
	if v := get(h.Attrs); v != "" {
		return v
	}
	for _, g := range h.AllGroups() {
		if v := get(g.Attrs); v != "" {
			return v
		}
	}
	if h.defaults != nil {
		return get(h.defaults.Attrs)
	}
	return ""
}

// AllGroups returns the host's groups depth-first, left to right, each once.
func (h *Host) AllGroups() []*Group {
	var out []*Group
	seen := map[*Group]bool{}
	var walk func(gs []*Group)
	walk = func(gs []*Group) {
		for _, g := range gs {
			if seen[g] {
				continue
			}
			seen[g] = true
			out = append(out, g)
			walk(g.Groups)
		}
	}
	walk(h.Groups)
	return out
}

// InGroup reports whether the host belongs to the named group, directly or through nested groups.
func (h *Host) InGroup(name string) bool {
	for _, g := range h.AllGroups() {
		if g.Name == name {
			return true
		}
	}
	return false
}

// Get looks a data key up through the host, its groups and the defaults.
// A dotted key ("site.name") is not split; see Field for nested paths.
func (h *Host) Get(key string) (any, bool) {
	if v, ok := h.Data[key]; ok {
		return v, true
	}
	for _, g := range h.AllGroups() {
		if v, ok := g.Data[key]; ok {
			return v, true
		}
	}
	if h.defaults != nil {
		v, ok := h.defaults.Data[key]
		return v, ok
	}
	return nil, false
}

// ConnectionParams resolves the parameters of the named connection.
func (h *Host) ConnectionParams(name string) Params {
	p := Params{}
	levels := []map[string]*ConnectionOptions{h.ConnectionOptions}
	for _, g := range h.AllGroups() {
		levels = append(levels, g.ConnectionOptions)
	}
	if h.defaults != nil {
		levels = append(levels, h.defaults.ConnectionOptions)
	}
	extrasSet := false
	for _, l := range levels {
		o := l[name]
		if o == nil {
			continue
		}
		if p.Hostname == "" {
			p.Hostname = o.Hostname
		}
		if p.Port == 0 {
			p.Port = o.Port
		}
		if p.Username == "" {
			p.Username = o.Username
		}
		if p.Password == "" {
			p.Password = o.Password
		}
		if p.Platform == "" {
			p.Platform = o.Platform
		}
		if !extrasSet && o.Extras != nil {
			p.Extras, extrasSet = o.Extras, true
		}
	}
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

// New builds an inventory from hosts, groups and defaults (a temporary constructor; the YAML
// loader and plugins build inventories through it).
func New(hosts []*Host, groups []*Group, defaults *Defaults) *Inventory {
	if defaults == nil {
		defaults = &Defaults{}
	}
	inv := &Inventory{byName: map[string]*Host{}, groups: map[string]*Group{}, defaults: defaults}
	for _, g := range groups {
		inv.groups[g.Name] = g
	}
	for _, h := range hosts {
		h.defaults = defaults
		inv.hosts = append(inv.hosts, h)
		inv.byName[h.Name] = h
	}
	return inv
}

// String returns the host's name.
func (h *Host) String() string { return strings.TrimSpace(h.Name) }
