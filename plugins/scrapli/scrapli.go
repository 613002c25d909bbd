package scrapli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/scrapli/scrapligo/driver/generic"
	"github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/util"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/redact"
)

// Names of the plugins' keys.
const (
	// Library is the Library of every key this package registers.
	Library = "scrapli"
	// TypeSSH is the connection type of the CLI plugins.
	TypeSSH = "ssh"
	// TypeNETCONF is the connection type of the NETCONF plugins.
	TypeNETCONF = "netconf"
)

// Option tunes Register.
type Option func(*registerConfig)

type registerConfig struct {
	platforms []string
	netconf   bool
	defaults  bool
}

// WithPlatforms registers only these platforms (default: every platform of Platforms()).
func WithPlatforms(platforms ...string) Option {
	return func(c *registerConfig) { c.platforms = append([]string(nil), platforms...) }
}

// WithoutNETCONF skips the NETCONF plugins.
func WithoutNETCONF() Option { return func(c *registerConfig) { c.netconf = false } }

// WithoutDefaults registers the plugins without making them the defaults of their platforms
// (for a program that brings its own default plugin).
func WithoutDefaults() Option { return func(c *registerConfig) { c.defaults = false } }

// Register adds to reg, for each platform, the SSH CLI plugin (key {platform, "ssh",
// "scrapli"}, built-in, the platform's default and the default of type "ssh") and, for the
// platforms that speak NETCONF (all but nokia_srl), the NETCONF plugin ({platform, "netconf",
// "scrapli"}, built-in, the default of type "netconf"). SSH plugins read the host's connection
// options named "scrapli", NETCONF plugins "scrapli_netconf". It returns the first registration
// error (an unknown platform, a key already registered).
func Register(reg *connection.Registry, opts ...Option) error {
	cfg := registerConfig{platforms: Platforms(), netconf: true, defaults: true}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	kh := &knownHostsCache{} // shared by the plugins: each known_hosts file is parsed once
	for _, p := range cfg.platforms {
		op, err := newOpener(p, kh)
		if err != nil {
			return fmt.Errorf("%w: %w", connection.ErrRegistration, err)
		}
		ropts := []connection.RegisterOption{connection.BuiltIn(), connection.ParamsName("scrapli")}
		if cfg.defaults {
			ropts = append(ropts, connection.Default(), connection.DefaultForType())
		}
		if err := reg.Register(connection.Key{Platform: p, Type: TypeSSH, Library: Library}, op, ropts...); err != nil {
			return err
		}
		if !cfg.netconf || !platformSpecs[p].netconf {
			continue
		}
		nop, err := newNetconfOpener(p, kh)
		if err != nil {
			return fmt.Errorf("%w: %w", connection.ErrRegistration, err)
		}
		nopts := []connection.RegisterOption{connection.BuiltIn(), connection.ParamsName("scrapli_netconf")}
		if cfg.defaults {
			nopts = append(nopts, connection.DefaultForType())
		}
		if err := reg.Register(connection.Key{Platform: p, Type: TypeNETCONF, Library: Library}, nop, nopts...); err != nil {
			return err
		}
	}
	return nil
}

// MustRegister is Register that panics on error (for program start-up).
func MustRegister(reg *connection.Registry, opts ...Option) {
	if err := Register(reg, opts...); err != nil {
		panic(err)
	}
}

// NewOpener returns the SSH CLI opener of platform (one of Platforms()), whose sessions are
// *Session. Register uses it; call it to register under keys of your own.
func NewOpener(platformName string) (connection.Opener, error) {
	return newOpener(platformName, &knownHostsCache{})
}

func newOpener(platformName string, kh *knownHostsCache) (connection.Opener, error) {
	spec, ok := platformSpecs[platformName]
	if !ok {
		return nil, fmt.Errorf("scrapli: unknown platform %q (known: %v)", platformName, Platforms())
	}
	// The platform definition is read once here; sessions build their drivers from it.
	p, err := platform.NewPlatform(platformName, "localhost", options.WithTransportType(TransportSystem))
	if err != nil {
		return nil, fmt.Errorf("scrapli: platform %s: %w", platformName, err)
	}
	levels, err := compileLevels(p.PrivilegeLevels)
	if err != nil {
		return nil, fmt.Errorf("scrapli: platform %s: %w", platformName, err)
	}
	pr, err := compilePrompts(p.PrivilegeLevels, spec.cliExclude)
	if err != nil {
		return nil, fmt.Errorf("scrapli: platform %s: %w", platformName, err)
	}
	tmpl, err := newDriverTemplate(p)
	if err != nil {
		return nil, fmt.Errorf("scrapli: platform %s: %w", platformName, err)
	}
	o := &sshOpener{spec: spec, def: p, tmpl: tmpl, levels: levels, prompts: pr, kh: kh}
	return connection.OpenFunc(o.open), nil
}

// NewNetconfOpener returns the NETCONF opener of platform, whose sessions are *NetconfSession.
func NewNetconfOpener(platformName string) (connection.Opener, error) {
	return newNetconfOpener(platformName, &knownHostsCache{})
}

func newNetconfOpener(platformName string, kh *knownHostsCache) (connection.Opener, error) {
	spec, ok := platformSpecs[platformName]
	if !ok || !spec.netconf {
		var known []string
		for _, p := range Platforms() {
			if platformSpecs[p].netconf {
				known = append(known, p)
			}
		}
		return nil, fmt.Errorf("scrapli: no NETCONF plugin for platform %q (known: %v)", platformName, known)
	}
	o := &netconfOpener{platform: platformName, kh: kh}
	return connection.OpenFunc(o.open), nil
}

type sshOpener struct {
	spec    *platformSpec
	def     *platform.Platform // scrapligo's platform definition, read-only
	tmpl    *driverTemplate
	levels  map[string]*level
	prompts prompts
	kh      *knownHostsCache
}

// common builds the transport options shared by SSH and NETCONF sessions.
func (b *base) transportOptions(ctx context.Context, kh *knownHostsCache, st settings, forNetconf bool) ([]util.Option, error) {
	ep := b.ep
	opts := []util.Option{
		options.WithAuthUsername(ep.user),
		options.WithAuthPassword(ep.password),
		options.WithPort(ep.port),
		options.WithTimeoutOps(st.timeoutOps),
		options.WithTimeoutSocket(st.timeoutSocket),
	}
	switch st.transport {
	case TransportSystem:
		if st.strictKey {
			if _, err := os.Stat(st.knownHostsFile); err != nil {
				return nil, fmt.Errorf("known_hosts file (%s): %w", ExtraKnownHostsFile, err)
			}
		}
		if st.privateKey != "" {
			if _, err := os.Stat(st.privateKey); err != nil {
				return nil, fmt.Errorf("private key (%s): %w", ExtraPrivateKey, err)
			}
		}
		opts = append(opts, systemOptions(st)...)
	default:
		cfg, err := kh.clientConfig(ep, st)
		if err != nil {
			return nil, err
		}
		tr := &sshTransport{
			addr: ep.addr, cfg: cfg, netconf: forNetconf, ctx: ctx,
			dialTimeout: st.timeoutSocket, setupTimeout: st.timeoutTransport,
		}
		b.tr = tr
		b.forceClose = tr.abort
		b.transportAlive = tr.IsAlive
		opts = append(opts, options.WithCustomTransport(tr))
	}
	b.redactor = redact.New(ep.password, st.authSecondary, st.passphrase).WithPlatform(b.platform)
	if st.sessionLog != "" {
		w, err := openSessionLog(st.sessionLog, st.sessionLogAppend, ep.host, ep.hostname, b.platform, b.redactor)
		if err != nil {
			return nil, fmt.Errorf("session log (%s): %w", ExtraSessionLog, err)
		}
		b.sessionLog = w
		opts = append(opts, options.WithChannelLog(w))
	}
	if l := scrapligoLogger(b.log, b.redactor); l != nil {
		opts = append(opts, options.WithLogger(l))
	}
	return opts, nil
}

// release frees what a failed open holds.
func (b *base) release() {
	b.abort()
	if b.sessionLog != nil {
		_ = b.sessionLog.Close()
	}
}

func (o *sshOpener) open(ctx context.Context, t connection.Target) (*Session, error) {
	ep := endpointOf(t, 22)
	st, err := parseSettings(t.Params.Extras, sshExtras)
	if err != nil {
		return nil, validationErr(ep.host, ep.addr, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapErr(ep.host, ep.addr, "open", true, err)
	}
	s := &Session{
		base:    base{ep: ep, log: t.Logger, closeWait: st.closeWait(), platform: o.spec.name},
		spec:    o.spec,
		levels:  o.levels,
		prompts: o.prompts,
	}
	opts, err := s.transportOptions(ctx, o.kh, st, false)
	if err != nil {
		s.release()
		return nil, validationErr(ep.host, ep.addr, err)
	}
	opts = append(opts, options.WithAuthSecondary(st.authSecondary))
	d, err := o.tmpl.newDriver(ep.hostname, opts)
	if err != nil {
		s.release()
		return nil, validationErr(ep.host, ep.addr, err)
	}
	// Prompts are matched at the end of what was read only (see prompts).
	d.Channel.PromptPattern = o.prompts.all
	if o.spec.promptDepth > 0 {
		d.Channel.PromptSearchDepth = o.spec.promptDepth
	}
	s.d = d
	if s.forceClose == nil {
		// system transport: scrapligo's own forced close (what its channel does on close).
		s.forceClose = func() { _ = d.Transport.Close(true) }
		// scrapligo's System.IsAlive reads a field its Close writes, unsynchronized: Alive
		// relies on the session's own state (closed, broken) with this transport.
	}
	d.OnOpen = s.onOpen(slices.Clone(o.def.NetworkOnOpen), st.authSecondary)

	stop := context.AfterFunc(ctx, s.abort)
	err = d.Open()
	if !stop() {
		if err == nil {
			_ = d.Channel.Close()
		}
		s.release()
		return nil, wrapErr(ep.host, ep.addr, "open", true, ctx.Err())
	}
	if err != nil {
		s.release()
		return nil, wrapErr(ep.host, ep.addr, "open", true, err)
	}
	t.Logger.Debug().Str("platform", o.spec.name).Str("address", ep.addr).Str("prompt", s.prompt).Msg("scrapli: session open")
	return s, nil
}

type netconfOpener struct {
	platform string
	kh       *knownHostsCache
}

func (o *netconfOpener) open(ctx context.Context, t connection.Target) (*NetconfSession, error) {
	ep := endpointOf(t, 830)
	st, err := parseSettings(t.Params.Extras, netconfExtras)
	if err != nil {
		return nil, validationErr(ep.host, ep.addr, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, wrapErr(ep.host, ep.addr, "open netconf", true, err)
	}
	s := &NetconfSession{base: base{ep: ep, log: t.Logger, closeWait: st.closeWait(), platform: o.platform}, platform: o.platform}
	opts, err := s.transportOptions(ctx, o.kh, st, true)
	if err != nil {
		s.release()
		return nil, validationErr(ep.host, ep.addr, err)
	}
	if st.netconfVersion != "" {
		opts = append(opts, options.WithNetconfPreferredVersion(st.netconfVersion))
	}
	d, err := netconf.NewDriver(ep.hostname, opts...)
	if err != nil {
		s.release()
		return nil, validationErr(ep.host, ep.addr, err)
	}
	s.d = d
	if s.forceClose == nil {
		s.forceClose = func() { _ = d.Transport.Close(true) }
		// scrapligo's System.IsAlive reads a field its Close writes, unsynchronized: Alive
		// relies on the session's own state (closed, broken) with this transport.
	}
	stop := context.AfterFunc(ctx, s.abort)
	err = d.Open()
	if !stop() {
		if err == nil {
			s.setBroken(ctx.Err())
			_ = s.closeDriver()
		}
		s.release()
		return nil, wrapErr(ep.host, ep.addr, "open netconf", true, ctx.Err())
	}
	if err != nil {
		s.release()
		return nil, wrapErr(ep.host, ep.addr, "open netconf", true, err)
	}
	t.Logger.Debug().Str("platform", o.platform).Str("address", ep.addr).Str("netconf_version", d.SelectedVersion).Msg("scrapli: netconf session open")
	return s, nil
}

// driverTemplate is what every session's scrapligo network driver is built from: the
// platform's options and a network driver built once from its definition, whose privilege
// graph and compiled privilege patterns the sessions share.
type driverTemplate struct {
	opts []util.Option   // the platform definition's options (platform.Platform.AsOptions)
	nd   *network.Driver // built from them once; never opened
}

func newDriverTemplate(p *platform.Platform) (*driverTemplate, error) {
	nd, err := p.GetNetworkDriver()
	if err != nil {
		return nil, err
	}
	return &driverTemplate{opts: p.AsOptions(), nd: nd}, nil
}

// newDriver builds a session's network driver, as network.NewDriver would from the platform's
// options and the session's, without compiling the privilege levels' patterns again (that
// compilation, in network.Driver.UpdatePrivileges, cost a quarter of opening a session, and
// most of its allocations): a new generic driver (channel and transport) under a copy of the
// template's network driver, with its own copy of the privilege levels (compiled patterns
// included) and the privilege graph shared (read-only once built).
func (t *driverTemplate) newDriver(host string, opts []util.Option) (*network.Driver, error) {
	all := append(slices.Clip(t.opts), opts...)
	gd, err := generic.NewDriver(host, all...)
	if err != nil {
		return nil, err
	}
	d := *t.nd
	d.Driver = gd
	d.CurrentPriv = ""
	d.PrivilegeLevels = make(network.PrivilegeLevels, len(t.nd.PrivilegeLevels))
	for name, l := range t.nd.PrivilegeLevels {
		c := *l
		d.PrivilegeLevels[name] = &c
	}
	// The session's own options for the network driver (the enable secret).
	for _, o := range opts {
		if err := o(&d); err != nil && !errors.Is(err, util.ErrIgnoredOption) {
			return nil, err
		}
	}
	return &d, nil
}
