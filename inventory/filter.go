package inventory

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// And matches hosts every filter matches (all hosts when there are none). Nil filters match
// every host.
func And(filters ...Filter) Filter {
	fs := compact(filters)
	switch len(fs) {
	case 0:
		return func(*Host) bool { return true }
	case 1:
		return fs[0]
	case 2:
		a, b := fs[0], fs[1]
		return func(h *Host) bool { return a(h) && b(h) }
	}
	return func(h *Host) bool {
		for _, f := range fs {
			if !f(h) {
				return false
			}
		}
		return true
	}
}

// Or matches hosts any filter matches (no host when there are none). Nil filters match every
// host.
func Or(filters ...Filter) Filter {
	fs := make([]Filter, len(filters))
	for i, f := range filters {
		if f == nil {
			return func(*Host) bool { return true }
		}
		fs[i] = f
	}
	switch len(fs) {
	case 0:
		return func(*Host) bool { return false }
	case 1:
		return fs[0]
	case 2:
		a, b := fs[0], fs[1]
		return func(h *Host) bool { return a(h) || b(h) }
	}
	return func(h *Host) bool {
		for _, f := range fs {
			if f(h) {
				return true
			}
		}
		return false
	}
}

// Not matches hosts f does not match (a nil f matches every host, so Not(nil) matches none).
func Not(f Filter) Filter {
	if f == nil {
		return func(*Host) bool { return false }
	}
	return func(h *Host) bool { return !f(h) }
}

func compact(filters []Filter) []Filter {
	out := make([]Filter, 0, len(filters))
	for _, f := range filters {
		if f != nil {
			out = append(out, f)
		}
	}
	return out
}

// InGroup matches hosts that belong to any of the named groups, directly or through nested
// groups (the text language's group=NAME). For direct groups only, as Nornir's
// F(groups__contains=NAME), use Field("groups").Contains(NAME).
func InGroup(names ...string) Filter {
	if len(names) == 1 {
		n := names[0]
		return func(h *Host) bool { return h.InGroup(n) }
	}
	names = slices.Clone(names)
	return func(h *Host) bool {
		for _, n := range names {
			if h.InGroup(n) {
				return true
			}
		}
		return false
	}
}

// ChildrenOf matches the hosts that have g among their groups, directly or through nested
// groups: Nornir's Inventory.children_of_group. It compares groups by identity (use a *Group
// of the inventory, e.g. from Inventory.Group); InGroup compares names.
func ChildrenOf(g *Group) Filter {
	return func(h *Host) bool { return h.HasParentGroup(g) }
}

// Platform matches hosts whose resolved platform is one of platforms.
func Platform(platforms ...string) Filter {
	platforms = slices.Clone(platforms)
	return func(h *Host) bool { return slices.Contains(platforms, h.Platform()) }
}

// Names matches the hosts with one of the names.
func Names(names ...string) Filter {
	set := make(map[string]struct{}, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return func(h *Host) bool { _, ok := set[h.Name]; return ok }
}

// FieldRef is a host field a filter compares: an attribute or a data path. Make one with
// Field or FieldPath.
type FieldRef struct {
	path []string
	attr attrField
}

type attrField int

const (
	notAttr attrField = iota
	attrName
	attrHostname
	attrPlatform
	attrPort
	attrUsername
	attrPassword
	attrGroups
	attrGroup
)

var attrFields = map[string]attrField{
	"name": attrName, "hostname": attrHostname, "platform": attrPlatform, "port": attrPort,
	"username": attrUsername, "password": attrPassword, "groups": attrGroups,
	"group": attrGroup,
}

// Field refers to a host field by a dotted path, as Nornir's F does with "__":
//
//   - "name", "hostname", "platform", "port", "username", "password": the resolved attribute
//     (an unset attribute is absent; hostname falls back to the name);
//   - "groups": the names of the host's direct groups, in order, as Nornir's
//     F(groups__contains="core") sees them (a group's parent groups are not in it);
//   - "group": the names of all the host's groups, nested ones included, depth-first
//     (AllGroups): membership as InGroup tests it, so Field("group").Contains("core") is
//     InGroup("core");
//   - anything else: a data path. The first key is resolved through the host, its groups and
//     the defaults (Host.Get); the next ones descend into maps (by key) and lists (by index):
//     "facts.vendor", "interfaces.0.name".
//
// Use FieldPath for data keys that contain dots.
func Field(path string) FieldRef { return FieldPath(strings.Split(path, ".")...) }

// FieldPath is Field with the path given as keys, none of them split ("mgmt.vrf" is one key).
func FieldPath(keys ...string) FieldRef {
	f := FieldRef{path: slices.Clone(keys)}
	if len(keys) == 1 {
		f.attr = attrFields[keys[0]]
	}
	return f
}

// String returns the path, dotted.
func (f FieldRef) String() string { return strings.Join(f.path, ".") }

// Value returns the field's value for h, and whether it is present (a present value may be
// nil: a data key explicitly null).
func (f FieldRef) Value(h *Host) (any, bool) {
	switch f.attr {
	case attrName:
		return h.Name, true
	case attrHostname:
		return h.Hostname(), true
	case attrPlatform:
		return nonEmpty(h.Platform())
	case attrUsername:
		return nonEmpty(h.Username())
	case attrPassword:
		return nonEmpty(h.Password())
	case attrPort:
		if p := h.Port(); p != 0 {
			return p, true
		}
		return nil, false
	case attrGroups:
		names := make([]any, 0, len(h.Groups))
		for _, g := range h.Groups {
			if g != nil {
				names = append(names, g.Name)
			}
		}
		return names, true
	case attrGroup:
		gs := h.AllGroups()
		names := make([]any, len(gs))
		for i, g := range gs {
			names[i] = g.Name
		}
		return names, true
	}
	if len(f.path) == 0 {
		return nil, false
	}
	v, ok := h.Get(f.path[0])
	for _, k := range f.path[1:] {
		if !ok {
			break
		}
		v, ok = step(v, k)
	}
	return v, ok
}

// stringAttr returns a string attribute without boxing it, and whether it is present (as
// Value would). f must be a string attribute (isStringAttr).
func (f FieldRef) stringAttr(h *Host) (v string, present bool) {
	switch f.attr {
	case attrName:
		return h.Name, true
	case attrHostname:
		return h.Hostname(), true
	case attrPlatform:
		v = h.Platform()
	case attrUsername:
		v = h.Username()
	case attrPassword:
		v = h.Password()
	}
	return v, v != ""
}

func (f FieldRef) isStringAttr() bool {
	switch f.attr {
	case attrName, attrHostname, attrPlatform, attrUsername, attrPassword:
		return true
	}
	return false
}

// allStrings returns vs as strings when they all are.
func allStrings(vs []any) ([]string, bool) {
	out := make([]string, len(vs))
	for i, v := range vs {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

func nonEmpty(s string) (any, bool) {
	if s == "" {
		return nil, false
	}
	return s, true
}

// step descends one key into a map or a list.
func step(v any, k string) (any, bool) {
	switch c := v.(type) {
	case map[string]any:
		x, ok := c[k]
		return x, ok
	case []any:
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(c) {
			return nil, false
		}
		return c[i], true
	case nil:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		x := rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()))
		if !x.IsValid() {
			return nil, false
		}
		return x.Interface(), true
	case reflect.Slice, reflect.Array:
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= rv.Len() {
			return nil, false
		}
		return rv.Index(i).Interface(), true
	}
	return nil, false
}

// Eq matches hosts where the field is present and equal to v. Comparison is loose between
// scalars: numbers compare by value (22 == 22.0), and a string equals a number or boolean
// written the same way ("22" == 22, "true" == true), so that text filters match typed YAML.
func (f FieldRef) Eq(v any) Filter {
	if s, ok := v.(string); ok && f.isStringAttr() {
		return func(h *Host) bool {
			x, present := f.stringAttr(h)
			return present && x == s
		}
	}
	if s, ok := v.(string); ok && f.attr == notAttr && len(f.path) == 1 {
		key := f.path[0]
		return func(h *Host) bool {
			x, ok := h.Get(key)
			if !ok {
				return false
			}
			if xs, isStr := x.(string); isStr {
				return xs == s
			}
			return equal(x, v)
		}
	}
	return func(h *Host) bool {
		x, ok := f.Value(h)
		return ok && equal(x, v)
	}
}

// Ne matches hosts where the field is absent or not equal to v (Not(Eq(v))).
func (f FieldRef) Ne(v any) Filter { return Not(f.Eq(v)) }

// Exists matches hosts where the field is present (possibly null).
func (f FieldRef) Exists() Filter {
	return func(h *Host) bool { _, ok := f.Value(h); return ok }
}

// Contains matches hosts where the field contains v: a substring of a string field, an element
// of a list field, a key of a map field.
func (f FieldRef) Contains(v any) Filter {
	return func(h *Host) bool {
		x, ok := f.Value(h)
		return ok && contains(x, v)
	}
}

// Any matches hosts where a list field contains any of vs, or a scalar field equals any of vs
// (Nornir's __any).
func (f FieldRef) Any(vs ...any) Filter {
	vs = slices.Clone(vs)
	return func(h *Host) bool {
		x, ok := f.Value(h)
		if !ok {
			return false
		}
		list := isList(x)
		for _, v := range vs {
			if list && contains(x, v) || !list && equal(x, v) {
				return true
			}
		}
		return false
	}
}

// All matches hosts where a list field contains every one of vs (Nornir's __all; a scalar
// field never matches).
func (f FieldRef) All(vs ...any) Filter {
	vs = slices.Clone(vs)
	return func(h *Host) bool {
		x, ok := f.Value(h)
		if !ok || !isList(x) {
			return false
		}
		for _, v := range vs {
			if !contains(x, v) {
				return false
			}
		}
		return true
	}
}

// In matches hosts where the field equals one of vs (Nornir's __in).
func (f FieldRef) In(vs ...any) Filter {
	vs = slices.Clone(vs)
	if ss, ok := allStrings(vs); ok && f.isStringAttr() {
		return func(h *Host) bool {
			x, present := f.stringAttr(h)
			return present && slices.Contains(ss, x)
		}
	}
	return func(h *Host) bool {
		x, ok := f.Value(h)
		if !ok {
			return false
		}
		for _, v := range vs {
			if equal(x, v) {
				return true
			}
		}
		return false
	}
}

func isList(v any) bool {
	switch v.(type) {
	case []any, []string:
		return true
	case string, nil, map[string]any:
		return false
	}
	k := reflect.ValueOf(v).Kind()
	return k == reflect.Slice || k == reflect.Array
}

// contains reports whether container holds v (see FieldRef.Contains).
func contains(container, v any) bool {
	switch c := container.(type) {
	case string:
		s, ok := scalarText(v)
		return ok && strings.Contains(c, s)
	case []any:
		for _, e := range c {
			if equal(e, v) {
				return true
			}
		}
		return false
	case []string:
		for _, e := range c {
			if equal(e, v) {
				return true
			}
		}
		return false
	case map[string]any:
		s, ok := scalarText(v)
		if !ok {
			return false
		}
		_, has := c[s]
		return has
	case nil:
		return false
	}
	rv := reflect.ValueOf(container)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := range rv.Len() {
			if equal(rv.Index(i).Interface(), v) {
				return true
			}
		}
	case reflect.Map:
		s, ok := scalarText(v)
		if !ok || rv.Type().Key().Kind() != reflect.String {
			return false
		}
		return rv.MapIndex(reflect.ValueOf(s).Convert(rv.Type().Key())).IsValid()
	}
	return false
}

// equal is the loose equality of filters (see FieldRef.Eq).
func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return as == bs
		}
		bt, ok := scalarText(b)
		return ok && as == bt
	}
	if bs, ok := b.(string); ok {
		at, ok := scalarText(a)
		return ok && at == bs
	}
	if ai, aIsInt, ok := number(a); ok {
		bi, bIsInt, ok := number(b)
		if !ok {
			return false
		}
		if aIsInt && bIsInt {
			return ai.i == bi.i
		}
		return ai.f == bi.f
	}
	if ab, ok := a.(bool); ok {
		bb, ok := b.(bool)
		return ok && ab == bb
	}
	return reflect.DeepEqual(a, b)
}

type num struct {
	i int64
	f float64
}

// number converts Go numbers; isInt reports an integral value that fits int64.
func number(v any) (n num, isInt, ok bool) {
	switch x := v.(type) {
	case int:
		return num{int64(x), float64(x)}, true, true
	case int8:
		return num{int64(x), float64(x)}, true, true
	case int16:
		return num{int64(x), float64(x)}, true, true
	case int32:
		return num{int64(x), float64(x)}, true, true
	case int64:
		return num{x, float64(x)}, true, true
	case uint:
		return unsigned(uint64(x))
	case uint8:
		return unsigned(uint64(x))
	case uint16:
		return unsigned(uint64(x))
	case uint32:
		return unsigned(uint64(x))
	case uint64:
		return unsigned(x)
	case float32:
		return floatNum(float64(x))
	case float64:
		return floatNum(x)
	}
	return num{}, false, false
}

func unsigned(u uint64) (num, bool, bool) {
	if u > math.MaxInt64 {
		return num{f: float64(u)}, false, true
	}
	return num{int64(u), float64(u)}, true, true
}

func floatNum(f float64) (num, bool, bool) {
	if f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
		return num{int64(f), f}, true, true
	}
	return num{f: f}, false, true
}

// scalarText returns how a scalar is written in YAML (and in a text filter).
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), true
	}
	if n, isInt, ok := number(v); ok && isInt {
		return strconv.FormatInt(n.i, 10), true
	}
	if u, ok := v.(uint64); ok {
		return strconv.FormatUint(u, 10), true
	}
	return "", false
}
