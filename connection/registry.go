package connection

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/platform"
)

// Registry holds connection plugins keyed by (platform, type, library), the platform aliases,
// and the registered defaults. It is safe for concurrent use; resolution results are cached
// until the next registration. Make one with NewRegistry; tests build their own.
type Registry struct {
	log zerolog.Logger

	mu         sync.RWMutex
	known      []Capability
	aliases    map[string]string
	plugins    map[Key]*plugin
	byPlatform map[string][]*plugin // sorted by key
	defaults   map[Key]*plugin      // scope Key{Platform} or Key{Platform, Type}
	cache      map[cacheKey]*outcome
}

type plugin struct {
	key        Key
	opener     Opener
	typ        reflect.Type
	builtIn    bool
	paramsName string
	caps       []Capability // known capabilities implemented, in the registry's order
}

// Plugin describes a registered plugin.
type Plugin struct {
	// Key is the plugin's key (canonical platform).
	Key Key
	// Capabilities are the known capabilities its session type implements.
	Capabilities []Capability
	// BuiltIn marks plugins registered with BuiltIn().
	BuiltIn bool
	// Default reports that it is the default plugin of its platform.
	Default bool
	// DefaultForType reports that it is the default plugin of its (platform, type).
	DefaultForType bool
	// ParamsName is the connection-options name its Params are resolved for.
	ParamsName string
	// SessionType is the concrete type its Opener returns.
	SessionType reflect.Type
}

// Has reports whether the plugin implements c.
func (p Plugin) Has(c Capability) bool { return c.ImplementedBy(p.SessionType) }

// String returns the key, its flags and its capabilities, e.g.
// "cisco_iosxe/ssh/scrapli (built-in, default) [connection.CommandSender ...]".
func (p Plugin) String() string {
	var flags []string
	if p.BuiltIn {
		flags = append(flags, "built-in")
	}
	if p.Default {
		flags = append(flags, "default")
	}
	if p.DefaultForType {
		flags = append(flags, "default for "+p.Key.Type)
	}
	s := p.Key.String()
	if len(flags) > 0 {
		s += " (" + strings.Join(flags, ", ") + ")"
	}
	return s + " " + capNames(p.Capabilities)
}

// RegistryOption configures NewRegistry.
type RegistryOption func(*Registry)

// WithLogger sets the registry's logger (default: disabled). It logs defaults replaced or
// skipped and best-match warnings of Resolve.
func WithLogger(l zerolog.Logger) RegistryOption { return func(r *Registry) { r.log = l } }

// WithCapabilities adds capabilities (made with CapabilityOf) to the registry's known list, so
// plugin listings and errors show them. Any interface can be required with Require or asked
// for with Use whether it is known or not.
func WithCapabilities(caps ...Capability) RegistryOption {
	return func(r *Registry) {
		for _, c := range caps {
			if !c.IsZero() && !containsCap(r.known, c) {
				r.known = append(r.known, c)
			}
		}
	}
}

// NewRegistry returns an empty registry that knows the built-in capabilities and platform
// aliases.
func NewRegistry(opts ...RegistryOption) *Registry {
	r := &Registry{
		known:      BuiltInCapabilities(),
		aliases:    builtInAliases(),
		plugins:    map[Key]*plugin{},
		byPlatform: map[string][]*plugin{},
		defaults:   map[Key]*plugin{},
		cache:      map[cacheKey]*outcome{},
	}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	return r
}

// builtInAliases maps the platform names of Nornir/NAPALM, Netmiko, scrapli, Ansible and NetBox
// to the canonical (scrapli) names: the table of package platform.
func builtInAliases() map[string]string {
	m := map[string]string{}
	for _, name := range platform.Names() {
		m[name] = name
		for _, a := range platform.Aliases(name) {
			m[a] = name
		}
	}
	return m
}

// RegisterOption tunes one registration.
type RegisterOption func(*registerOptions)

type registerOptions struct {
	def, defType, builtIn bool
	paramsName            string
}

// Default makes the plugin the default for its platform (used by FallbackToDefault).
func Default() RegisterOption { return func(o *registerOptions) { o.def = true } }

// DefaultForType makes the plugin the default for its (platform, type).
func DefaultForType() RegisterOption { return func(o *registerOptions) { o.defType = true } }

// BuiltIn marks a plugin shipped with norn: a user's default replaces a built-in default (with a
// log line), and a built-in default registered after a user default is skipped.
func BuiltIn() RegisterOption { return func(o *registerOptions) { o.builtIn = true } }

// ParamsName sets the connection-options name whose parameters the plugin is opened with (see
// inventory.Host.ConnectionParams). Default: the library for type "ssh" ("scrapli"), otherwise
// library + "_" + type ("scrapli_netconf"), as Nornir names them.
func ParamsName(name string) RegisterOption {
	return func(o *registerOptions) { o.paramsName = strings.TrimSpace(name) }
}

// DefaultParamsName returns the connection-options name a plugin of key k uses unless
// registered with ParamsName.
func DefaultParamsName(k Key) string {
	k = k.normalize()
	if k.Type == "ssh" {
		return k.Library
	}
	return k.Library + "_" + k.Type
}

var sessionIface = reflect.TypeFor[Session]()

// Register adds a plugin under k (its platform may be an alias). It returns a
// *RegistrationError when a field of k is empty, the opener is nil or its SessionType does not
// implement Session, k is already registered, or a default for the same scope is already set by
// a plugin of the same kind (two user defaults, or two built-in). A user default replaces a
// built-in one (logged at info); a built-in default registered after a user default is not made
// default (logged at debug) but the plugin is registered.
func (r *Registry) Register(k Key, open Opener, opts ...RegisterOption) error {
	given := k
	k = k.normalize()
	var ro registerOptions
	for _, o := range opts {
		if o != nil {
			o(&ro)
		}
	}
	fail := func(format string, a ...any) error {
		return &RegistrationError{Key: given, Reason: fmt.Sprintf(format, a...)}
	}
	switch {
	case k.Platform == "":
		return fail("empty platform")
	case k.Type == "":
		return fail("empty connection type")
	case k.Library == "":
		return fail("empty library")
	case open == nil:
		return fail("nil Opener")
	}
	st := open.SessionType()
	if st == nil {
		return fail("Opener.SessionType() is nil")
	}
	if !st.Implements(sessionIface) {
		return fail("session type %s does not implement connection.Session (Close() error)", st)
	}
	if ro.paramsName == "" {
		ro.paramsName = DefaultParamsName(k)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	k.Platform = r.canonicalLocked(k.Platform)
	if _, dup := r.plugins[k]; dup {
		return fail("%s is already registered", k)
	}
	p := &plugin{key: k, opener: open, typ: st, builtIn: ro.builtIn, paramsName: ro.paramsName}
	p.caps = r.capsOf(st)

	type change struct {
		scope Key
		old   *plugin
	}
	var set []change
	for _, sc := range []struct {
		want  bool
		scope Key
		name  string
	}{
		{ro.def, Key{Platform: k.Platform}, "platform " + k.Platform},
		{ro.defType, Key{Platform: k.Platform, Type: k.Type}, "platform " + k.Platform + " type " + k.Type},
	} {
		if !sc.want {
			continue
		}
		cur := r.defaults[sc.scope]
		switch {
		case cur == nil:
			set = append(set, change{scope: sc.scope})
		case cur.builtIn && !p.builtIn:
			set = append(set, change{scope: sc.scope, old: cur})
		case !cur.builtIn && p.builtIn:
			r.log.Debug().Str("plugin", k.String()).Str("user_default", cur.key.String()).
				Msgf("connection: built-in plugin %s is not the default for %s: user plugin %s is", k, sc.name, cur.key)
		default:
			kind := "user"
			if p.builtIn {
				kind = "built-in"
			}
			return fail("%s already has a %s default (%s)", sc.name, kind, cur.key)
		}
	}
	for _, c := range set {
		if c.old != nil {
			r.log.Info().Str("plugin", k.String()).Str("replaced", c.old.key.String()).
				Msgf("connection: user plugin %s replaces built-in default %s", k, c.old.key)
		}
		r.defaults[c.scope] = p
	}
	r.plugins[k] = p
	list := append(r.byPlatform[k.Platform], p)
	slices.SortFunc(list, func(a, b *plugin) int { return strings.Compare(a.key.String(), b.key.String()) })
	r.byPlatform[k.Platform] = list
	clear(r.cache)
	return nil
}

// MustRegister is Register that panics on error, for init functions.
func (r *Registry) MustRegister(k Key, open Opener, opts ...RegisterOption) {
	if err := r.Register(k, open, opts...); err != nil {
		panic(err)
	}
}

// Alias makes alias another name of the platform name (itself resolved through the aliases), so
// hosts whose platform is alias resolve to that platform's plugins. Names are compared in
// platform.Key form. It is an error to redefine an alias to a
// different platform, or to make an alias of a platform that has registered plugins or that
// aliases stand for.
func (r *Registry) Alias(alias, name string) error {
	a, p := platform.Key(alias), platform.Key(name)
	if a == "" || p == "" {
		return &RegistrationError{Key: Key{Platform: alias}, Reason: "empty alias or platform"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p = r.canonicalLocked(p)
	if a == p {
		return nil
	}
	if cur, ok := r.aliases[a]; ok && cur != p {
		return &RegistrationError{Key: Key{Platform: alias}, Reason: fmt.Sprintf("alias %q already means %q", a, cur)}
	}
	if len(r.byPlatform[a]) > 0 {
		return &RegistrationError{Key: Key{Platform: alias}, Reason: fmt.Sprintf("%q has registered plugins; it cannot become an alias", a)}
	}
	for from, to := range r.aliases {
		if to == a && from != a {
			return &RegistrationError{Key: Key{Platform: alias}, Reason: fmt.Sprintf("%q is the platform alias %q stands for; it cannot become an alias", a, from)}
		}
	}
	r.aliases[a] = p
	if _, ok := r.aliases[p]; !ok {
		r.aliases[p] = p // p is now a canonical name: it cannot become an alias itself
	}
	clear(r.cache)
	return nil
}

// CanonicalPlatform returns the canonical name of a platform ("ios" -> "cisco_iosxe"), or the
// trimmed, lower-cased platform when it is no alias.
func (r *Registry) CanonicalPlatform(name string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.canonicalLocked(platform.Key(name))
}

func (r *Registry) canonicalLocked(p string) string {
	if c, ok := r.aliases[p]; ok {
		return c
	}
	return p
}

// Capabilities returns the capabilities the registry knows: the built-in ones, then those added
// with WithCapabilities.
func (r *Registry) Capabilities() []Capability {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.known)
}

func (r *Registry) capsOf(t reflect.Type) []Capability {
	var out []Capability
	for _, c := range r.known {
		if c.ImplementedBy(t) {
			out = append(out, c)
		}
	}
	return out
}

// Plugins returns every registered plugin, sorted by key.
func (r *Registry) Plugins() []Plugin {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Plugin, 0, len(r.plugins))
	for _, p := range r.plugins {
		out = append(out, r.snapshotLocked(p))
	}
	slices.SortFunc(out, func(a, b Plugin) int { return strings.Compare(a.Key.String(), b.Key.String()) })
	return out
}

// Lookup returns the plugin registered under k (its platform may be an alias).
func (r *Registry) Lookup(k Key) (Plugin, bool) {
	k = k.normalize()
	r.mu.RLock()
	defer r.mu.RUnlock()
	k.Platform = r.canonicalLocked(k.Platform)
	p, ok := r.plugins[k]
	if !ok {
		return Plugin{}, false
	}
	return r.snapshotLocked(p), true
}

func (r *Registry) snapshotLocked(p *plugin) Plugin {
	return Plugin{
		Key:            p.key,
		Capabilities:   slices.Clone(p.caps),
		BuiltIn:        p.builtIn,
		Default:        r.defaults[Key{Platform: p.key.Platform}] == p,
		DefaultForType: r.defaults[Key{Platform: p.key.Platform, Type: p.key.Type}] == p,
		ParamsName:     p.paramsName,
		SessionType:    p.typ,
	}
}

func (r *Registry) snapshotsLocked(ps []*plugin) []Plugin {
	out := make([]Plugin, len(ps))
	for i, p := range ps {
		out[i] = r.snapshotLocked(p)
	}
	return out
}

// cacheKey identifies a resolution independent of the host.
type cacheKey struct {
	platform, typ, library, caps string
	fallback                     bool
}

// outcome is a cached resolution: a plugin (with the required capabilities it lacks), or the
// parts of an error to which the host's name is added.
type outcome struct {
	p       *plugin
	missing []Capability
	passed  []Plugin // with missing: the other candidates the best match was chosen over

	notFound   bool
	registered []Plugin
	ambiguous  bool
	tie        bool
	candidates []Plugin
}

// Resolve chooses the plugin for host h and the request made of opts:
//
//  1. a host without a platform is a *ValidationError;
//  2. the plugins of the host's (canonical) platform are filtered by type and library when
//     given; none left is a *NotFoundError listing what the platform has;
//  3. when capabilities are required, the candidates implementing all of them are kept; if
//     there are none, the one implementing most is chosen with a warning naming what it lacks
//     and the other candidates it was chosen over, and a tie for most is an *AmbiguousError (defaults do not break it);
//  4. one candidate left is chosen; with FallbackToDefault, the default for (platform, type)
//     when the request names a type, then the platform default, is chosen if it is a
//     candidate; otherwise it is an *AmbiguousError listing the candidates. Without a type in
//     the request only the platform default counts, even when all candidates share a type.
//
// Results are cached per (platform, type, library, capabilities, fallback) until the next
// registration.
func (r *Registry) Resolve(h *inventory.Host, opts ...Option) (Plugin, error) {
	req := NewRequest(opts...)
	o, err := r.resolveHost(h, req)
	if err != nil {
		return Plugin{}, err
	}
	if len(o.missing) > 0 {
		warnBestMatch(r.log, h, req, o)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.snapshotLocked(o.p), nil
}

// warnBestMatch logs that o.p, chosen as the best match, lacks the o.missing capabilities, and
// names the candidates it was chosen over.
func warnBestMatch(log zerolog.Logger, h *inventory.Host, req Request, o *outcome) {
	passed := make([]string, len(o.passed))
	for i, p := range o.passed {
		passed[i] = fmt.Sprintf("%s (lacks %s)", p.Key, capNames(lacks(p, req.Require)))
	}
	others := "no other candidate"
	if len(passed) > 0 {
		others = "passed over " + strings.Join(passed, ", ")
	}
	log.Warn().Str("host", h.Name).Str("plugin", o.p.key.String()).Str("missing", capNames(o.missing)).
		Strs("passed_over", passed).
		Msgf("connection: host %s: no plugin for platform %q implements all of %s; using best match %s, which lacks %s; %s",
			h.Name, h.Platform(), capNames(req.Require), o.p.key, capNames(o.missing), others)
}

// lacks returns the capabilities of want that p does not implement.
func lacks(p Plugin, want []Capability) []Capability {
	var out []Capability
	for _, c := range want {
		if !p.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

// resolveHost resolves for h; a best match has o.missing set.
func (r *Registry) resolveHost(h *inventory.Host, req Request) (*outcome, error) {
	if h == nil {
		return nil, &ValidationError{Host: "<nil>", Field: "host", Reason: "no host given"}
	}
	raw := h.Platform()
	if strings.TrimSpace(raw) == "" {
		return nil, &ValidationError{Host: h.Name, Field: "platform",
			Reason: "missing: set platform on the host, one of its groups or the defaults (e.g. cisco_iosxe, ios, nxos, eos, junos, iosxr)"}
	}
	o := r.resolve(raw, req)
	switch {
	case o.notFound:
		return nil, &NotFoundError{Host: h.Name, Platform: raw, Canonical: r.CanonicalPlatform(raw),
			Type: req.Type, Library: req.Library, Registered: slices.Clone(o.registered)}
	case o.ambiguous:
		return nil, &AmbiguousError{Host: h.Name, Platform: r.CanonicalPlatform(raw), Type: req.Type,
			Library: req.Library, Required: slices.Clone(req.Require), Candidates: slices.Clone(o.candidates), Tie: o.tie}
	}
	return o, nil
}

func (r *Registry) resolve(name string, req Request) *outcome {
	name = platform.Key(name)
	req.Type, req.Library = norm(req.Type), norm(req.Library)
	ck := cacheKey{platform: name, typ: req.Type, library: req.Library, fallback: req.FallbackToDefault}
	switch len(req.Require) {
	case 0:
	case 1:
		ck.caps = capID(req.Require[0])
	default:
		ids := make([]string, len(req.Require))
		for i, c := range req.Require {
			ids[i] = capID(c)
		}
		slices.Sort(ids)
		ck.caps = strings.Join(ids, "\x00")
	}
	r.mu.RLock()
	o, ok := r.cache[ck]
	r.mu.RUnlock()
	if ok {
		return o
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := r.cache[ck]; ok {
		return o
	}
	o = r.resolveLocked(r.canonicalLocked(name), req)
	r.cache[ck] = o
	return o
}

func capID(c Capability) string {
	if c.typ == nil {
		return ""
	}
	return c.typ.PkgPath() + "." + c.typ.String()
}

func (r *Registry) resolveLocked(platform string, req Request) *outcome {
	all := r.byPlatform[platform]
	var cands []*plugin
	for _, p := range all {
		if (req.Type == "" || p.key.Type == req.Type) && (req.Library == "" || p.key.Library == req.Library) {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return &outcome{notFound: true, registered: r.snapshotsLocked(all)}
	}
	if len(req.Require) > 0 {
		var full []*plugin
		for _, p := range cands {
			if countCaps(p, req.Require) == len(req.Require) {
				full = append(full, p)
			}
		}
		if len(full) == 0 {
			best, bestN := []*plugin(nil), -1
			for _, p := range cands {
				switch n := countCaps(p, req.Require); {
				case n > bestN:
					best, bestN = []*plugin{p}, n
				case n == bestN:
					best = append(best, p)
				}
			}
			if len(best) > 1 {
				return &outcome{ambiguous: true, tie: true, candidates: r.snapshotsLocked(best)}
			}
			var missing []Capability
			for _, c := range req.Require {
				if !c.ImplementedBy(best[0].typ) {
					missing = append(missing, c)
				}
			}
			var passed []Plugin
			for _, p := range cands {
				if p != best[0] {
					passed = append(passed, r.snapshotLocked(p))
				}
			}
			return &outcome{p: best[0], missing: missing, passed: passed}
		}
		cands = full
	}
	if len(cands) == 1 {
		return &outcome{p: cands[0]}
	}
	if req.FallbackToDefault {
		// The (platform, type) default only when the caller named the type (the
		// specification's order), then the platform default.
		if req.Type != "" {
			if d := r.defaults[Key{Platform: platform, Type: req.Type}]; d != nil && slices.Contains(cands, d) {
				return &outcome{p: d}
			}
		}
		if d := r.defaults[Key{Platform: platform}]; d != nil && slices.Contains(cands, d) {
			return &outcome{p: d}
		}
	}
	return &outcome{ambiguous: true, candidates: r.snapshotsLocked(cands)}
}

func countCaps(p *plugin, caps []Capability) int {
	n := 0
	for _, c := range caps {
		if c.ImplementedBy(p.typ) {
			n++
		}
	}
	return n
}
