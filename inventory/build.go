package inventory

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// GroupRefs returns placeholder groups carrying only names, for Host.Groups or Group.Groups of
// values passed to Build, which replaces each by the group of that name:
//
//	h := &inventory.Host{Name: "r1", Groups: inventory.GroupRefs("site-ams1", "role-core")}
func GroupRefs(names ...string) []*Group {
	out := make([]*Group, len(names))
	for i, n := range names {
		out[i] = &Group{Name: n}
	}
	return out
}

// Build validates hosts, groups and defaults and assembles them into an inventory. It is the
// constructor inventory plugins (NetBox, ...) use, typically with groups and defaults from
// LoadGroups:
//
//   - Every entry of a host's or a group's Groups is resolved BY NAME: it is replaced by
//     groups[entry.Name]; a name missing from groups is an error naming the host (or group).
//     So Groups may hold placeholders (see GroupRefs) or the groups themselves.
//   - A group's Name may be empty (it takes its key in groups); otherwise it must equal the key.
//   - Host names must be non-empty and unique; groups must not form a cycle; every port
//     (attributes and connection options of hosts, groups and defaults) must be 0 (unset) or
//     1-65535.
//
// Every problem is reported, in a *LoadError; on error nothing is changed and no inventory is
// returned. On success the hosts' and groups' Groups slices hold the resolved groups, and the
// hosts and groups belong to the new inventory. A group that already belongs to another
// inventory (an earlier Build) is copied instead (its Data and ConnectionOptions maps too, not
// the values inside), so a plugin may load its groups once and pass them to every Build; the
// new inventory's groups are then found with Inventory.Group. The defaults are used as given
// (nil means empty defaults). Hosts keep their order; Inventory.Groups is sorted by name.
func Build(hosts []*Host, groups map[string]*Group, defaults *Defaults) (*Inventory, error) {
	var ps problems
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)

	// Groups: names and parents. Groups owned by another inventory are copied.
	use := make(map[string]*Group, len(groups))
	for n, g := range groups {
		if g != nil && g.st != nil {
			g = g.clone()
		}
		use[n] = g
	}
	groups = use
	newName := map[*Group]string{}
	parents := map[*Group][]*Group{}
	var order []*Group
	for _, n := range names {
		g := groups[n]
		switch {
		case g == nil:
			ps.addf("", 0, 0, ErrInvalidName, "group %q: nil group", n)
			continue
		case n == "":
			ps.addf("", 0, 0, ErrInvalidName, "group with an empty name")
			continue
		case g.Name == "":
			newName[g] = n
		case g.Name != n:
			ps.addf("", 0, 0, ErrInvalidName, "group %q is stored under the name %q", g.Name, n)
			continue
		}
		order = append(order, g)
	}
	for _, g := range order {
		gname := nameOf(g, newName)
		ps2 := make([]*Group, 0, len(g.Groups))
		for _, p := range g.Groups {
			if p == nil {
				ps.addf("", 0, 0, ErrUndefinedGroup, "group %q: nil parent group", gname)
				continue
			}
			pn := nameOf(p, newName)
			r, ok := groups[pn]
			if !ok || r == nil {
				ps.addf("", 0, 0, ErrUndefinedGroup, "group %q: undefined parent group %q", gname, pn)
				continue
			}
			ps2 = append(ps2, r)
		}
		parents[g] = ps2
		checkAttrsPorts(&ps, "group "+quote(gname), &g.Attrs, g.ConnectionOptions)
	}
	for _, c := range findCycles(order, func(g *Group) []*Group { return parents[g] }) {
		ps.addf("", 0, 0, ErrGroupCycle, "cycle of groups: %s", cyclePath(c.path, newName))
	}
	if defaults != nil {
		checkAttrsPorts(&ps, "defaults", &defaults.Attrs, defaults.ConnectionOptions)
	}

	// Hosts.
	seen := make(map[string]int, len(hosts))
	hostGroups := make([][]*Group, len(hosts))
	for i, h := range hosts {
		if h == nil {
			ps.addf("", 0, 0, ErrInvalidName, "host #%d is nil", i+1)
			continue
		}
		if h.Name == "" {
			ps.addf("", 0, 0, ErrInvalidName, "host #%d has an empty name", i+1)
		} else if j, dup := seen[h.Name]; dup {
			ps.addf("", 0, 0, ErrDuplicate, "duplicate host %q (hosts #%d and #%d)", h.Name, j+1, i+1)
		} else {
			seen[h.Name] = i
		}
		gs := make([]*Group, 0, len(h.Groups))
		for _, e := range h.Groups {
			if e == nil {
				ps.addf("", 0, 0, ErrUndefinedGroup, "host %q: nil group", h.Name)
				continue
			}
			en := nameOf(e, newName)
			r, ok := groups[en]
			if !ok || r == nil {
				ps.addf("", 0, 0, ErrUndefinedGroup, "host %q: undefined group %q", h.Name, en)
				continue
			}
			gs = append(gs, r)
		}
		hostGroups[i] = gs
		checkAttrsPorts(&ps, "host "+quote(h.Name), &h.Attrs, h.ConnectionOptions)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}

	// Valid: apply and bind.
	inv := newInventory(defaults)
	for g, n := range newName {
		g.Name = n
	}
	for _, g := range order {
		if !sameGroups(g.Groups, parents[g]) {
			g.Groups = parents[g]
		}
		g.st = nil // rebind even if it belonged to another inventory
		inv.addGroup(g)
	}
	inv.hosts = make([]*Host, 0, len(hosts))
	for i, h := range hosts {
		if !sameGroups(h.Groups, hostGroups[i]) {
			h.Groups = hostGroups[i]
		}
		h.st = inv.st
		inv.hosts = append(inv.hosts, h)
		inv.byName[h.Name] = h
	}
	return inv, nil
}

// clone copies a group for another inventory: the struct, and its Data and ConnectionOptions
// maps (the values inside are shared). Parents are resolved by name afterwards.
func (g *Group) clone() *Group {
	c := &Group{Name: g.Name, Attrs: g.Attrs, Groups: slices.Clone(g.Groups), Data: maps.Clone(g.Data)}
	if g.ConnectionOptions != nil {
		c.ConnectionOptions = make(map[string]*ConnectionOptions, len(g.ConnectionOptions))
		for k, o := range g.ConnectionOptions {
			if o != nil {
				oc := *o
				o = &oc
			}
			c.ConnectionOptions[k] = o
		}
	}
	return c
}

func nameOf(g *Group, renamed map[*Group]string) string {
	if n, ok := renamed[g]; ok {
		return n
	}
	return g.Name
}

func sameGroups(a, b []*Group) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func validPort(p int) bool { return p >= 0 && p <= 65535 }

func checkAttrsPorts(ps *problems, who string, a *Attrs, conn map[string]*ConnectionOptions) {
	if !validPort(a.Port) {
		ps.addf("", 0, 0, ErrInvalidPort, "%s: port %d is not in 1-65535", who, a.Port)
	}
	cnames := make([]string, 0, len(conn))
	for n := range conn {
		cnames = append(cnames, n)
	}
	sort.Strings(cnames)
	for _, n := range cnames {
		if o := conn[n]; o != nil && !validPort(o.Port) {
			ps.addf("", 0, 0, ErrInvalidPort, "%s: connection_options %q: port %d is not in 1-65535", who, n, o.Port)
		}
	}
}

// cycle is one cycle of groups: path[0] -> path[1] -> ... -> path[0]; the last edge goes
// from path[len-1] through its parent index closing.
type cycle struct {
	path    []*Group
	closing int
}

// findCycles reports the cycles of the parent graph found by a depth-first search from each
// group of order (each closing edge once).
func findCycles(order []*Group, parents func(*Group) []*Group) []cycle {
	const (
		white = iota
		gray
		black
	)
	color := map[*Group]int{}
	var stack []*Group
	var out []cycle
	var visit func(g *Group)
	visit = func(g *Group) {
		color[g] = gray
		stack = append(stack, g)
		for i, p := range parents(g) {
			switch color[p] {
			case white:
				visit(p)
			case gray:
				start := len(stack) - 1
				for stack[start] != p {
					start--
				}
				out = append(out, cycle{path: append([]*Group(nil), stack[start:]...), closing: i})
			}
		}
		stack = stack[:len(stack)-1]
		color[g] = black
	}
	for _, g := range order {
		if color[g] == white {
			visit(g)
		}
	}
	return out
}

func cyclePath(path []*Group, renamed map[*Group]string) string {
	parts := make([]string, 0, len(path)+1)
	for _, g := range path {
		parts = append(parts, nameOf(g, renamed))
	}
	parts = append(parts, nameOf(path[0], renamed))
	return strings.Join(parts, " -> ")
}
