package backup

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/gonorn/norn/redact"
)

// Profile says how to back up one platform: the command that prints the configuration, the
// volatile lines to drop, the secrets to redact and how to tell a complete configuration.
//
// A Profile is a plain value to build and copy; Profiles.Register (or Compile) checks its
// patterns once and returns the compiled form the task uses. An uncompiled Profile still works
// but compiles its patterns on every call.
type Profile struct {
	// Platform is the canonical platform name, e.g. "cisco_iosxe".
	Platform string
	// Command prints the running configuration; it is sent through connection.CommandSender
	// when the plugin does not implement connection.ConfigGetter. Required.
	Command string
	// Volatile are regular expressions of lines that change without a configuration change
	// (timestamps, byte counts, clock drift); matching lines are dropped.
	Volatile []string
	// Secrets find the secrets to redact.
	Secrets []SecretRule
	// Begin, when set, is a regular expression one of the first lines of the device's output
	// must match (checked before cleaning), e.g. NX-OS's "!Command: show running-config".
	Begin string
	// End, when set, is a regular expression the last non-blank line of the cleaned
	// configuration must match, e.g. `^end$` for IOS: a configuration without it is truncated.
	End string
	// Required are regular expressions that must each match some line of a complete
	// configuration, for platforms without an end marker: NX-OS always prints its "line vty"
	// near the end, so a configuration cut before it is refused.
	Required []string
	// BalancedBraces requires every "{" to be closed (Junos), outside quotes and comments.
	BalancedBraces bool
	// Errors are regular expressions of error banners in addition to the common ones
	// ("% Invalid input", "syntax error", "error:", ...), checked on the first and last lines.
	Errors []string

	c *compiledProfile
}

type compiledProfile struct {
	volatile []volatileRe
	required []volatileRe
	secrets  *redact.Ruleset
	begin    *regexp.Regexp
	end      *regexp.Regexp
	errors   []*regexp.Regexp
}

type volatileRe struct {
	prefix string     // literal every match starts with (after ^), "" when unknown
	trim   bool       // the prefix comes after optional blanks (^\s*literal)
	first  *[256]bool // the bytes a matching line can start with, nil when unknown
	re     *regexp.Regexp
}

// newLineRe compiles a line pattern with its fast filters.
func newLineRe(pattern string) (volatileRe, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return volatileRe{}, err
	}
	lr := volatileRe{prefix: anchoredPrefix(pattern), first: firstBytes(pattern), re: re}
	if rest, ok := strings.CutPrefix(pattern, `^\s*`); ok && lr.prefix == "" {
		lr.prefix, lr.trim, lr.first = anchoredPrefix("^"+rest), true, nil
	}
	return lr, nil
}

// match reports whether line matches, skipping the regular expression when the filters
// already tell it cannot.
func (v *volatileRe) match(line string) bool {
	if v.prefix != "" {
		l := line
		if v.trim {
			l = strings.TrimLeft(line, " \t")
		}
		if !strings.HasPrefix(l, v.prefix) {
			return false
		}
	}
	if v.first != nil && (line == "" || !v.first[line[0]]) {
		return false
	}
	return v.re.MatchString(line)
}

// firstBytes returns the set of bytes a line matching pattern (anchored with ^) can start
// with, or nil when pattern is not anchored, may match an empty line, or may start with a
// non-ASCII character.
func firstBytes(pattern string) *[256]bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	if len(subs) == 0 || (subs[0].Op != syntax.OpBeginText && subs[0].Op != syntax.OpBeginLine) {
		return nil
	}
	var set [256]bool
	if !firstOf(subs[1:], &set, 0) {
		return nil
	}
	return &set
}

// firstOf adds to set the bytes the sequence subs can start with; false when it cannot tell
// (or the sequence may be empty).
func firstOf(subs []*syntax.Regexp, set *[256]bool, depth int) bool {
	if len(subs) == 0 || depth > 20 {
		return false
	}
	s, rest := subs[0], subs[1:]
	with := func(inner []*syntax.Regexp) []*syntax.Regexp {
		return append(slices.Clone(inner), rest...)
	}
	switch s.Op {
	case syntax.OpLiteral:
		if len(s.Rune) == 0 {
			return firstOf(rest, set, depth+1)
		}
		r := s.Rune[0]
		if r > 127 {
			return false
		}
		set[r] = true
		if s.Flags&syntax.FoldCase != 0 {
			set[unicode.ToLower(r)], set[unicode.ToUpper(r)] = true, true
		}
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(s.Rune); i += 2 {
			if s.Rune[i+1] > 127 {
				return false
			}
			for r := s.Rune[i]; r <= s.Rune[i+1]; r++ {
				set[r] = true
			}
		}
		return true
	case syntax.OpCapture:
		return firstOf(with(s.Sub), set, depth+1)
	case syntax.OpConcat:
		return firstOf(with(s.Sub), set, depth+1)
	case syntax.OpAlternate:
		for _, alt := range s.Sub {
			if !firstOf(with([]*syntax.Regexp{alt}), set, depth+1) {
				return false
			}
		}
		return true
	case syntax.OpStar, syntax.OpQuest:
		return firstOf(with(s.Sub), set, depth+1) && firstOf(rest, set, depth+1)
	case syntax.OpPlus:
		return firstOf(with(s.Sub), set, depth+1)
	case syntax.OpRepeat:
		if s.Min == 0 {
			return firstOf(with(s.Sub), set, depth+1) && firstOf(rest, set, depth+1)
		}
		return firstOf(with(s.Sub), set, depth+1)
	}
	return false
}

// Compile checks the profile's patterns and returns a compiled copy ready for concurrent use.
func (p Profile) Compile() (*Profile, error) {
	if strings.TrimSpace(p.Platform) == "" {
		return nil, errors.New("backup: profile without a platform")
	}
	if strings.TrimSpace(p.Command) == "" {
		return nil, fmt.Errorf("backup: profile %s: no command", p.Platform)
	}
	cp := p.clone()
	c := &compiledProfile{}
	for _, v := range p.Volatile {
		lr, err := newLineRe(v)
		if err != nil {
			return nil, fmt.Errorf("backup: profile %s: volatile pattern: %w", p.Platform, err)
		}
		c.volatile = append(c.volatile, lr)
	}
	for _, v := range p.Required {
		lr, err := newLineRe(v)
		if err != nil {
			return nil, fmt.Errorf("backup: profile %s: required pattern: %w", p.Platform, err)
		}
		c.required = append(c.required, lr)
	}
	var err error
	if c.secrets, err = redact.Compile(p.Secrets...); err != nil {
		return nil, fmt.Errorf("backup: profile %s: %w", p.Platform, err)
	}
	if p.Begin != "" {
		if c.begin, err = regexp.Compile(p.Begin); err != nil {
			return nil, fmt.Errorf("backup: profile %s: begin pattern: %w", p.Platform, err)
		}
	}
	if p.End != "" {
		if c.end, err = regexp.Compile(p.End); err != nil {
			return nil, fmt.Errorf("backup: profile %s: end pattern: %w", p.Platform, err)
		}
	}
	for _, e := range p.Errors {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, fmt.Errorf("backup: profile %s: error pattern: %w", p.Platform, err)
		}
		c.errors = append(c.errors, re)
	}
	cp.c = c
	return &cp, nil
}

// MustCompile is Compile that panics on an invalid pattern (for package-level profiles).
func (p Profile) MustCompile() *Profile {
	cp, err := p.Compile()
	if err != nil {
		panic(err)
	}
	return cp
}

func (p *Profile) compiled() *compiledProfile {
	if p.c != nil {
		return p.c
	}
	cp, err := p.Compile()
	if err != nil {
		panic(err)
	}
	return cp.c
}

// clone returns a copy sharing no slices with p, uncompiled.
func (p Profile) clone() Profile {
	p.Volatile = slices.Clone(p.Volatile)
	p.Required = slices.Clone(p.Required)
	p.Secrets = slices.Clone(p.Secrets)
	p.Errors = slices.Clone(p.Errors)
	p.c = nil
	return p
}

// Clone returns an uncompiled copy of p to modify, e.g. to register a variant under a new
// platform name.
func (p *Profile) Clone() Profile { return p.clone() }

// anchoredPrefix returns the literal a pattern "^literal..." requires at the start of a line,
// used to skip the regular expression on lines that cannot match.
func anchoredPrefix(pattern string) string {
	if !strings.HasPrefix(pattern, "^") {
		return ""
	}
	var b strings.Builder
	for i := 1; i < len(pattern); i++ {
		c := pattern[i]
		if c == '\\' && i+1 < len(pattern) {
			n := pattern[i+1]
			if strings.IndexByte(`.*+?()[]{}|^$\/-!#:`, n) >= 0 {
				b.WriteByte(n)
				i++
				continue
			}
			break
		}
		if strings.IndexByte(`.*+?()[]{}|^$`, c) >= 0 {
			// A quantifier applies to the previous literal: drop it.
			if strings.IndexByte(`*?{`, c) >= 0 && b.Len() > 0 {
				s := b.String()
				b.Reset()
				b.WriteString(s[:len(s)-1])
			}
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Profiles is a registry of platform profiles with aliases. It is safe for concurrent use;
// a profile is replaced, never changed in place, so a running backup keeps a consistent one.
type Profiles struct {
	mu      sync.RWMutex
	byName  map[string]*Profile
	aliases map[string]string
}

// NewProfiles returns an empty registry.
func NewProfiles() *Profiles {
	return &Profiles{byName: map[string]*Profile{}, aliases: map[string]string{}}
}

// DefaultProfiles returns a new registry holding the built-in profiles (cisco_iosxe,
// cisco_nxos, cisco_iosxr, arista_eos, juniper_junos) and their aliases. Each call returns a
// fresh registry, so adding to it affects only its owner.
func DefaultProfiles() *Profiles {
	ps := NewProfiles()
	for _, d := range builtinProfiles() {
		ps.MustRegister(d.profile, d.aliases...)
	}
	return ps
}

// normalizeKey lower-cases a platform name, trims it and turns '-' and ' ' into '_'.
func normalizeKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("-", "_", " ", "_").Replace(s)
}

// Register adds a profile under p.Platform and the given aliases. It fails when a pattern is
// invalid or the platform or an alias is already taken.
func (ps *Profiles) Register(p Profile, aliases ...string) error {
	cp, err := p.Compile()
	if err != nil {
		return err
	}
	name := normalizeKey(p.Platform)
	cp.Platform = name
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.byName[name]; ok {
		return fmt.Errorf("backup: platform %s is already registered", name)
	}
	if t, ok := ps.aliases[name]; ok {
		return fmt.Errorf("backup: platform %s is already an alias of %s", name, t)
	}
	for _, a := range aliases {
		a = normalizeKey(a)
		if _, ok := ps.byName[a]; ok || a == name {
			return fmt.Errorf("backup: alias %s of %s is already a platform", a, name)
		}
		if t, ok := ps.aliases[a]; ok {
			return fmt.Errorf("backup: alias %s is already an alias of %s", a, t)
		}
	}
	ps.byName[name] = cp
	for _, a := range aliases {
		ps.aliases[normalizeKey(a)] = name
	}
	return nil
}

// MustRegister is Register that panics on error.
func (ps *Profiles) MustRegister(p Profile, aliases ...string) {
	if err := ps.Register(p, aliases...); err != nil {
		panic(err)
	}
}

// Replace registers p in place of the profile of the same platform (or adds it), keeping the
// aliases.
func (ps *Profiles) Replace(p Profile) error {
	cp, err := p.Compile()
	if err != nil {
		return err
	}
	name := normalizeKey(p.Platform)
	cp.Platform = name
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if t, ok := ps.aliases[name]; ok {
		return fmt.Errorf("backup: %s is an alias of %s; replace %s", name, t, t)
	}
	ps.byName[name] = cp
	return nil
}

// Alias makes alias name platform (which must be registered).
func (ps *Profiles) Alias(alias, platform string) error {
	a, p := normalizeKey(alias), ps.Normalize(platform)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.byName[p]; !ok {
		return fmt.Errorf("backup: alias %s: platform %s is not registered", alias, platform)
	}
	if _, ok := ps.byName[a]; ok {
		return fmt.Errorf("backup: alias %s is already a platform", a)
	}
	ps.aliases[a] = p
	return nil
}

// AddVolatile appends volatile-line patterns to a registered platform's profile.
func (ps *Profiles) AddVolatile(platform string, patterns ...string) error {
	return ps.update(platform, func(p *Profile) { p.Volatile = append(p.Volatile, patterns...) })
}

// AddSecrets appends secret rules to a registered platform's profile.
func (ps *Profiles) AddSecrets(platform string, rules ...SecretRule) error {
	return ps.update(platform, func(p *Profile) { p.Secrets = append(p.Secrets, rules...) })
}

func (ps *Profiles) update(platform string, f func(*Profile)) error {
	name := ps.Normalize(platform)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	old, ok := ps.byName[name]
	if !ok {
		return fmt.Errorf("backup: platform %s is not registered", platform)
	}
	np := old.clone()
	f(&np)
	cp, err := np.Compile()
	if err != nil {
		return err
	}
	ps.byName[name] = cp
	return nil
}

// Normalize returns the canonical platform name for name: lower case, '-' as '_', aliases
// resolved ("ios", "iosxe", "cisco_ios" all give "cisco_iosxe"). Unknown names are returned
// normalised.
func (ps *Profiles) Normalize(name string) string {
	k := normalizeKey(name)
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	if t, ok := ps.aliases[k]; ok {
		return t
	}
	return k
}

// Lookup returns the compiled profile of a platform or one of its aliases.
func (ps *Profiles) Lookup(platform string) (*Profile, bool) {
	name := ps.Normalize(platform)
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	p, ok := ps.byName[name]
	return p, ok
}

// Platforms returns the registered platform names, sorted.
func (ps *Profiles) Platforms() []string {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	out := make([]string, 0, len(ps.byName))
	for n := range ps.byName {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
