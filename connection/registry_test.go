package connection_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/platform"
)

func TestRegisterInvalid(t *testing.T) {
	r := connection.NewRegistry()
	cases := []struct {
		name string
		k    connection.Key
		o    connection.Opener
		want string
	}{
		{"no platform", key("", "ssh", "scrapli"), cli(), "empty platform"},
		{"no type", key("ios", "", "scrapli"), cli(), "empty connection type"},
		{"no library", key("ios", "ssh", " "), cli(), "empty library"},
		{"nil opener", key("ios", "ssh", "scrapli"), nil, "nil Opener"},
		{"nil session type", key("ios", "ssh", "scrapli"), nilTypeOpener{}, "SessionType() is nil"},
		{"not a session", key("ios", "ssh", "scrapli"), notSessionOpener{}, "does not implement connection.Session"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := r.Register(c.k, c.o)
			var re *connection.RegistrationError
			if !errors.As(err, &re) || !errors.Is(err, connection.ErrRegistration) {
				t.Fatalf("err = %v, want *RegistrationError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to contain %q", err, c.want)
			}
			if re.Key != c.k {
				t.Errorf("Key = %v, want %v", re.Key, c.k)
			}
		})
	}
	if n := len(r.Plugins()); n != 0 {
		t.Errorf("%d plugins registered after failures", n)
	}
}

type nilTypeOpener struct{}

func (nilTypeOpener) Open(context.Context, connection.Target) (connection.Session, error) {
	return nil, nil
}
func (nilTypeOpener) SessionType() reflect.Type { return nil }

type notSessionOpener struct{ nilTypeOpener }

func (notSessionOpener) SessionType() reflect.Type { return reflect.TypeFor[string]() }

func TestRegisterDuplicate(t *testing.T) {
	r := connection.NewRegistry()
	if err := r.Register(key("cisco_iosxe", "ssh", "scrapli"), cli()); err != nil {
		t.Fatal(err)
	}
	// Same key through an alias and other case is still a duplicate.
	err := r.Register(key("IOS", "SSH", "scrapli"), cfg())
	if !errors.Is(err, connection.ErrRegistration) || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("err = %v, want already registered", err)
	}
	func() {
		defer func() {
			v := recover()
			err, _ := v.(error)
			if !errors.Is(err, connection.ErrRegistration) {
				t.Errorf("MustRegister panicked with %v, want a registration error", v)
			}
		}()
		r.MustRegister(key("cisco_iosxe", "ssh", "scrapli"), cli())
		t.Error("MustRegister did not panic")
	}()
	r.MustRegister(key("cisco_iosxe", "netconf", "scrapli"), cli()) // no panic
	if got := len(r.Plugins()); got != 2 {
		t.Errorf("%d plugins, want 2", got)
	}
}

func defaults(t *testing.T, r *connection.Registry, k connection.Key) (def, defType bool) {
	t.Helper()
	p, ok := r.Lookup(k)
	if !ok {
		t.Fatalf("%v not registered", k)
	}
	return p.Default, p.DefaultForType
}

func TestDefaultRules(t *testing.T) {
	builtin := key("cisco_iosxe", "ssh", "scrapli")
	user := key("cisco_iosxe", "ssh", "mine")
	user2 := key("cisco_iosxe", "ssh", "other")
	builtin2 := key("cisco_iosxe", "ssh", "scrapli2")

	for _, scope := range []struct {
		name string
		opt  connection.RegisterOption
		get  func(def, defType bool) bool
	}{
		{"platform", connection.Default(), func(d, _ bool) bool { return d }},
		{"platform+type", connection.DefaultForType(), func(_, d bool) bool { return d }},
	} {
		t.Run(scope.name+"/user replaces built-in", func(t *testing.T) {
			buf, log := newLog()
			r := connection.NewRegistry(connection.WithLogger(log))
			r.MustRegister(builtin, cli(), connection.BuiltIn(), scope.opt)
			r.MustRegister(user, cli(), scope.opt)
			if scope.get(defaults(t, r, builtin)) || !scope.get(defaults(t, r, user)) {
				t.Errorf("user default did not replace built-in: %v", r.Plugins())
			}
			if !strings.Contains(buf.String(), "user plugin cisco_iosxe/ssh/mine replaces built-in default cisco_iosxe/ssh/scrapli") ||
				!strings.Contains(buf.String(), `"level":"info"`) {
				t.Errorf("no info log line for the replacement: %s", buf)
			}
		})
		t.Run(scope.name+"/built-in after user skipped", func(t *testing.T) {
			buf, log := newLog()
			r := connection.NewRegistry(connection.WithLogger(log))
			r.MustRegister(user, cli(), scope.opt)
			if err := r.Register(builtin, cli(), connection.BuiltIn(), scope.opt); err != nil {
				t.Fatalf("built-in default after user default: %v, want it skipped", err)
			}
			if scope.get(defaults(t, r, builtin)) || !scope.get(defaults(t, r, user)) {
				t.Errorf("built-in default was not skipped: %v", r.Plugins())
			}
			if !strings.Contains(buf.String(), "built-in plugin cisco_iosxe/ssh/scrapli is not the default") {
				t.Errorf("no log line for the skipped default: %s", buf)
			}
		})
		t.Run(scope.name+"/two user defaults", func(t *testing.T) {
			r := connection.NewRegistry()
			r.MustRegister(user, cli(), scope.opt)
			err := r.Register(user2, cli(), scope.opt)
			if !errors.Is(err, connection.ErrRegistration) || !strings.Contains(err.Error(), "already has a user default (cisco_iosxe/ssh/mine)") {
				t.Fatalf("err = %v", err)
			}
			if _, ok := r.Lookup(user2); ok {
				t.Error("a failed registration left the plugin registered")
			}
			if !scope.get(defaults(t, r, user)) {
				t.Error("first default lost")
			}
		})
		t.Run(scope.name+"/two built-in defaults", func(t *testing.T) {
			r := connection.NewRegistry()
			r.MustRegister(builtin, cli(), connection.BuiltIn(), scope.opt)
			err := r.Register(builtin2, cli(), connection.BuiltIn(), scope.opt)
			if !errors.Is(err, connection.ErrRegistration) || !strings.Contains(err.Error(), "already has a built-in default") {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run(scope.name+"/user after user replaced built-in", func(t *testing.T) {
			r := connection.NewRegistry()
			r.MustRegister(builtin, cli(), connection.BuiltIn(), scope.opt)
			r.MustRegister(user, cli(), scope.opt)
			if err := r.Register(user2, cli(), scope.opt); !errors.Is(err, connection.ErrRegistration) {
				t.Fatalf("err = %v, want a registration error", err)
			}
		})
	}

	t.Run("scopes are independent", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "ssh", "a"), cli(), connection.Default(), connection.DefaultForType())
		r.MustRegister(key("ios", "netconf", "a"), cli(), connection.DefaultForType())
		r.MustRegister(key("nxos", "ssh", "a"), cli(), connection.Default())
		for _, k := range []connection.Key{key("cisco_iosxe", "ssh", "a"), key("cisco_iosxe", "netconf", "a"), key("cisco_nxos", "ssh", "a")} {
			if _, ok := r.Lookup(k); !ok {
				t.Fatalf("%v missing", k)
			}
		}
		if d, dt := defaults(t, r, key("cisco_iosxe", "netconf", "a")); d || !dt {
			t.Errorf("netconf flags = %v %v", d, dt)
		}
		if d, dt := defaults(t, r, key("cisco_iosxe", "ssh", "a")); !d || !dt {
			t.Errorf("ssh flags = %v %v", d, dt)
		}
	})
	t.Run("default and type default in one registration is atomic", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "ssh", "a"), cli(), connection.DefaultForType())
		// Platform default is free, type default is taken: nothing may change.
		if err := r.Register(key("ios", "ssh", "b"), cli(), connection.Default(), connection.DefaultForType()); err == nil {
			t.Fatal("want an error")
		}
		for _, p := range r.Plugins() {
			if p.Default {
				t.Errorf("%v became default after a failed registration", p.Key)
			}
		}
	})
}

func TestAliases(t *testing.T) {
	r := connection.NewRegistry()
	want := map[string]string{
		"ios": "cisco_iosxe", "cisco_ios": "cisco_iosxe", "iosxe": "cisco_iosxe", "cisco_xe": "cisco_iosxe", "IOS": "cisco_iosxe",
		"nxos": "cisco_nxos", "cisco_nxos": "cisco_nxos", "nxos_ssh": "cisco_nxos",
		"eos": "arista_eos", "arista_eos": "arista_eos",
		"junos": "juniper_junos", "juniper": "juniper_junos", "juniper_junos": "juniper_junos",
		"iosxr": "cisco_iosxr", "cisco_xr": "cisco_iosxr", "cisco_iosxr": "cisco_iosxr",
		"cisco_iosxe": "cisco_iosxe", " linux ": "linux",
		// The table of package platform: model names and NetBox slugs too.
		"csr1000v": "cisco_iosxe", "nexus": "cisco_nxos", "cisco-ios-xe": "cisco_iosxe", "cisco-nx-os": "cisco_nxos",
		"srl": "nokia_srl", "my-os": "my_os",
	}
	for _, name := range platform.Names() {
		want[name] = name
		for _, a := range platform.Aliases(name) {
			want[a] = name
		}
	}
	for in, out := range want {
		if got := r.CanonicalPlatform(in); got != out {
			t.Errorf("CanonicalPlatform(%q) = %q, want %q", in, got, out)
		}
	}
	r.MustRegister(key("cisco_iosxe", "ssh", "scrapli"), cli())
	for _, p := range []string{"ios", "cisco_ios", "iosxe", "cisco_iosxe"} {
		got, err := r.Resolve(host("r1", p))
		if err != nil || got.Key != key("cisco_iosxe", "ssh", "scrapli") {
			t.Errorf("platform %q: %v, %v", p, got.Key, err)
		}
	}
	// User aliases, chained through built-in ones.
	if err := r.Alias("isr4451", "ios"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Resolve(host("r1", "ISR4451")); err != nil || got.Key.Platform != "cisco_iosxe" {
		t.Errorf("user alias: %v %v", got, err)
	}
	if err := r.Alias("isr4451", "nxos"); !errors.Is(err, connection.ErrRegistration) {
		t.Errorf("redefining an alias: %v", err)
	}
	if err := r.Alias("cisco_iosxe", "nxos"); !errors.Is(err, connection.ErrRegistration) {
		t.Errorf("aliasing a platform with plugins: %v", err)
	}
	if err := r.Alias("cisco_nxos", "eos"); !errors.Is(err, connection.ErrRegistration) {
		t.Errorf("aliasing a canonical platform: %v", err)
	}
	if err := r.Alias("vmx", "mx_junos"); err != nil {
		t.Fatal(err)
	}
	if err := r.Alias("mx_junos", "junos"); !errors.Is(err, connection.ErrRegistration) {
		t.Errorf("aliasing an alias target: %v", err)
	}
	if got := r.CanonicalPlatform("VMX"); got != "mx_junos" {
		t.Errorf("CanonicalPlatform(VMX) = %q", got)
	}
}

func TestCapabilitiesAtRegistration(t *testing.T) {
	type Pinger interface{ Ping(context.Context) error }
	pinger := connection.CapabilityOf[Pinger]()
	r := connection.NewRegistry(connection.WithCapabilities(pinger))
	r.MustRegister(key("ios", "ssh", "cfg"), cfg())
	r.MustRegister(key("ios", "ssh", "ping"), openerOf(nil, func() *pingSession { return &pingSession{} }))
	p, _ := r.Lookup(key("ios", "ssh", "cfg"))
	if !slices.Equal(p.Capabilities, []connection.Capability{connection.CapConfigSender, connection.CapConfigGetter}) {
		t.Errorf("cfg capabilities = %v", p.Capabilities)
	}
	p, _ = r.Lookup(key("ios", "ssh", "ping"))
	if !slices.Equal(p.Capabilities, []connection.Capability{connection.CapCommandSender, pinger}) {
		t.Errorf("ping capabilities = %v", p.Capabilities)
	}
	if !p.Has(pinger) || p.Has(connection.CapConfigGetter) {
		t.Error("Has is wrong")
	}
	if got := pinger.String(); !strings.HasSuffix(got, "Pinger") {
		t.Errorf("String = %q", got)
	}
	if got := connection.CapConfigGetter.Methods(); !slices.Equal(got, []string{"GetConfig"}) {
		t.Errorf("Methods = %v", got)
	}
	// A required user capability selects the plugin implementing it.
	got, err := r.Resolve(host("r1", "ios"), connection.Require(pinger))
	if err != nil || got.Key.Library != "ping" {
		t.Errorf("Require(pinger) = %v, %v", got.Key, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("CapabilityOf[non-interface] did not panic")
		}
	}()
	connection.CapabilityOf[int]()
}

type pingSession struct{ cliSession }

func (*pingSession) Ping(context.Context) error { return nil }

func TestParamsName(t *testing.T) {
	cases := map[connection.Key]string{
		key("ios", "ssh", "scrapli"):     "scrapli",
		key("ios", "netconf", "scrapli"): "scrapli_netconf",
		key("eos", "api", "eapi"):        "eapi_api",
	}
	for k, want := range cases {
		if got := connection.DefaultParamsName(k); got != want {
			t.Errorf("DefaultParamsName(%v) = %q, want %q", k, got, want)
		}
	}
	r := connection.NewRegistry()
	r.MustRegister(key("ios", "netconf", "scrapli"), cli())
	r.MustRegister(key("ios", "ssh", "mine"), cli(), connection.ParamsName("netmiko"))
	if p, _ := r.Lookup(key("ios", "netconf", "scrapli")); p.ParamsName != "scrapli_netconf" {
		t.Errorf("ParamsName = %q", p.ParamsName)
	}
	if p, _ := r.Lookup(key("ios", "ssh", "mine")); p.ParamsName != "netmiko" {
		t.Errorf("ParamsName = %q", p.ParamsName)
	}
}

func TestResolveNoPlatform(t *testing.T) {
	r := connection.NewRegistry()
	r.MustRegister(key("ios", "ssh", "scrapli"), cli())
	_, err := r.Resolve(host("edge1", ""))
	var ve *connection.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, connection.ErrValidation) {
		t.Fatalf("err = %v", err)
	}
	if ve.Host != "edge1" || ve.Field != "platform" || !strings.Contains(err.Error(), "edge1") {
		t.Errorf("ValidationError = %+v", ve)
	}
}

func TestResolveNotFound(t *testing.T) {
	r := connection.NewRegistry()
	r.MustRegister(key("ios", "ssh", "scrapli"), cli())
	r.MustRegister(key("ios", "ssh", "mine"), cfg())

	_, err := r.Resolve(host("r1", "ios"), connection.WithType("netconf"))
	var nf *connection.NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, connection.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if nf.Host != "r1" || nf.Platform != "ios" || nf.Canonical != "cisco_iosxe" || nf.Type != "netconf" || len(nf.Registered) != 2 {
		t.Errorf("NotFoundError = %+v", nf)
	}
	if msg := err.Error(); !strings.Contains(msg, "cisco_iosxe/ssh/mine") || !strings.Contains(msg, "connection.ConfigGetter") {
		t.Errorf("message does not list what is registered: %s", msg)
	}

	_, err = r.Resolve(host("r2", "ios"), connection.WithLibrary("netmiko"))
	if !errors.As(err, &nf) || nf.Library != "netmiko" {
		t.Errorf("library filter: %v", err)
	}

	_, err = r.Resolve(host("sw1", "procurve"))
	if !errors.As(err, &nf) || len(nf.Registered) != 0 || !strings.Contains(err.Error(), "nothing is registered") {
		t.Errorf("unknown platform: %v", err)
	}
}

func TestResolveCapabilities(t *testing.T) {
	setup := func() (*connection.Registry, *logBuf) {
		buf, log := newLog()
		r := connection.NewRegistry(connection.WithLogger(log))
		r.MustRegister(key("ios", "ssh", "cli"), cli(), connection.Default())
		r.MustRegister(key("ios", "netconf", "cfg"), cfg(), connection.DefaultForType())
		r.MustRegister(key("ios", "netconf", "get"), get())
		return r, buf
	}
	h := host("r1", "ios")

	t.Run("all required kept", func(t *testing.T) {
		r, buf := setup()
		p, err := r.Resolve(h, connection.Require(connection.CapConfigSender))
		if err != nil || p.Key.Library != "cfg" {
			t.Fatalf("%v %v", p.Key, err)
		}
		if strings.Contains(buf.String(), "warn") {
			t.Errorf("unexpected warning: %s", buf)
		}
	})
	t.Run("best match with warning", func(t *testing.T) {
		r, buf := setup()
		p, err := r.Resolve(h, connection.Require(connection.CapConfigSender, connection.CapFactsGetter))
		if err != nil || p.Key.Library != "cfg" {
			t.Fatalf("%v %v", p.Key, err)
		}
		log := buf.String()
		if !strings.Contains(log, `"level":"warn"`) || !strings.Contains(log, `"missing":"[connection.FactsGetter]"`) ||
			!strings.Contains(log, "best match cisco_iosxe/netconf/cfg") || !strings.Contains(log, `"host":"r1"`) {
			t.Errorf("warning = %s", log)
		}
		// The candidates it was chosen over are named, with what they lack.
		if !strings.Contains(log, "passed over cisco_iosxe/netconf/get (lacks [connection.ConfigSender connection.FactsGetter]), "+
			"cisco_iosxe/ssh/cli (lacks [connection.ConfigSender connection.FactsGetter])") ||
			!strings.Contains(log, `"passed_over":[`) {
			t.Errorf("warning does not name the candidates passed over: %s", log)
		}
	})
	t.Run("tie among best matches is ambiguous even with defaults", func(t *testing.T) {
		r, _ := setup()
		// cfg and get both implement ConfigGetter only of {ConfigGetter, FactsGetter}; cfg is the
		// netconf type default and still does not win.
		_, err := r.Resolve(h, connection.Require(connection.CapConfigGetter, connection.CapFactsGetter), connection.FallbackToDefault())
		var ae *connection.AmbiguousError
		if !errors.As(err, &ae) || !errors.Is(err, connection.ErrAmbiguous) {
			t.Fatalf("err = %v", err)
		}
		if !ae.Tie || ae.Host != "r1" || ae.Platform != "cisco_iosxe" || len(ae.Candidates) != 2 || len(ae.Required) != 2 {
			t.Errorf("AmbiguousError = %+v", ae)
		}
		if !strings.Contains(err.Error(), "tie") || !strings.Contains(ae.Hint(), "WithLibrary") {
			t.Errorf("message = %s", err)
		}
	})
	t.Run("several full matches then defaults", func(t *testing.T) {
		r, _ := setup()
		// cfg and get both implement ConfigGetter; without fallback: ambiguous.
		_, err := r.Resolve(h, connection.Require(connection.CapConfigGetter))
		var ae *connection.AmbiguousError
		if !errors.As(err, &ae) || ae.Tie || len(ae.Candidates) != 2 {
			t.Fatalf("err = %v", err)
		}
		for _, c := range ae.Candidates {
			if !c.Has(connection.CapConfigGetter) || len(c.Capabilities) == 0 {
				t.Errorf("candidate without its capabilities: %v", c)
			}
		}
		// With fallback but no type asked: the (platform, type) default is not consulted, even
		// though both candidates are netconf, and the platform default (cli) is no candidate.
		_, err = r.Resolve(h, connection.Require(connection.CapConfigGetter), connection.FallbackToDefault())
		if !errors.As(err, &ae) || len(ae.Candidates) != 2 {
			t.Errorf("fallback without a type: err = %v, want ambiguous", err)
		}
		// With the type asked, the netconf default wins.
		p, err := r.Resolve(h, connection.Require(connection.CapConfigGetter), connection.WithType("netconf"), connection.FallbackToDefault())
		if err != nil || p.Key.Library != "cfg" {
			t.Errorf("%v %v", p.Key, err)
		}
	})
	t.Run("no capabilities required", func(t *testing.T) {
		r, _ := setup()
		p, err := r.Resolve(h, connection.WithType("ssh"))
		if err != nil || p.Key.Library != "cli" {
			t.Errorf("%v %v", p.Key, err)
		}
		_, err = r.Resolve(h)
		if !errors.Is(err, connection.ErrAmbiguous) {
			t.Errorf("3 candidates, no fallback: %v", err)
		}
	})
	t.Run("none implements any: single candidate chosen with warning", func(t *testing.T) {
		buf, log := newLog()
		r := connection.NewRegistry(connection.WithLogger(log))
		r.MustRegister(key("eos", "ssh", "bare"), bare())
		p, err := r.Resolve(host("sw1", "eos"), connection.Require(connection.CapCommandSender))
		if err != nil || p.Key.Library != "bare" || !strings.Contains(buf.String(), "connection.CommandSender") {
			t.Errorf("%v %v %s", p.Key, err, buf)
		}
	})
}

func TestResolveFallbackOrder(t *testing.T) {
	h := host("r1", "iosxe")
	t.Run("type default before platform default", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "netconf", "a"), cli(), connection.Default())
		r.MustRegister(key("ios", "netconf", "b"), cli(), connection.DefaultForType())
		r.MustRegister(key("ios", "netconf", "c"), cli())
		p, err := r.Resolve(h, connection.WithType("netconf"), connection.FallbackToDefault())
		if err != nil || p.Key.Library != "b" {
			t.Errorf("%v %v", p.Key, err)
		}
	})
	t.Run("platform default when no type default", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "ssh", "a"), cli())
		r.MustRegister(key("ios", "ssh", "b"), cli(), connection.Default())
		r.MustRegister(key("ios", "netconf", "c"), cli(), connection.DefaultForType())
		p, err := r.Resolve(h, connection.FallbackToDefault()) // mixed types: platform default
		if err != nil || p.Key.Library != "b" {
			t.Errorf("%v %v", p.Key, err)
		}
		p, err = r.Resolve(h, connection.WithType("ssh"), connection.FallbackToDefault())
		if err != nil || p.Key.Library != "b" {
			t.Errorf("ssh: %v %v", p.Key, err)
		}
	})
	t.Run("no fallback: ambiguous even with defaults", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "ssh", "a"), cli(), connection.Default(), connection.DefaultForType())
		r.MustRegister(key("ios", "ssh", "b"), cli())
		_, err := r.Resolve(h)
		var ae *connection.AmbiguousError
		if !errors.As(err, &ae) || ae.Tie || !strings.Contains(err.Error(), "FallbackToDefault") {
			t.Fatalf("err = %v", err)
		}
		if !ae.Candidates[0].Default || !ae.Candidates[0].DefaultForType || ae.Candidates[1].Default {
			t.Errorf("candidates' default flags: %v", ae.Candidates)
		}
	})
	t.Run("default filtered out by library", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "ssh", "a"), cli(), connection.Default(), connection.DefaultForType())
		r.MustRegister(key("ios", "netconf", "b"), cli())
		r.MustRegister(key("ios", "api", "b"), cli())
		_, err := r.Resolve(h, connection.WithLibrary("b"), connection.FallbackToDefault())
		if !errors.Is(err, connection.ErrAmbiguous) {
			t.Errorf("err = %v, want ambiguous", err)
		}
	})
	t.Run("default filtered out by capabilities", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "ssh", "a"), cli(), connection.Default(), connection.DefaultForType())
		r.MustRegister(key("ios", "ssh", "b"), cfg())
		r.MustRegister(key("ios", "ssh", "c"), get())
		_, err := r.Resolve(h, connection.Require(connection.CapConfigGetter), connection.FallbackToDefault())
		var ae *connection.AmbiguousError
		if !errors.As(err, &ae) || len(ae.Candidates) != 2 {
			t.Errorf("err = %v, want ambiguous between b and c", err)
		}
	})
	t.Run("user default replaced built-in one in resolution", func(t *testing.T) {
		r := connection.NewRegistry()
		r.MustRegister(key("ios", "ssh", "scrapli"), cli(), connection.BuiltIn(), connection.Default())
		r.MustRegister(key("ios", "ssh", "mine"), cli(), connection.Default())
		p, err := r.Resolve(h, connection.FallbackToDefault())
		if err != nil || p.Key.Library != "mine" {
			t.Errorf("%v %v", p.Key, err)
		}
	})
}

func TestResolveCacheInvalidated(t *testing.T) {
	r := connection.NewRegistry()
	h := host("r1", "ios")
	if _, err := r.Resolve(h); !errors.Is(err, connection.ErrNotFound) {
		t.Fatal(err)
	}
	r.MustRegister(key("ios", "ssh", "a"), cli())
	if p, err := r.Resolve(h); err != nil || p.Key.Library != "a" {
		t.Fatalf("after registration: %v %v", p, err)
	}
	r.MustRegister(key("ios", "ssh", "b"), cli())
	if _, err := r.Resolve(h); !errors.Is(err, connection.ErrAmbiguous) {
		t.Fatalf("after second registration: %v", err)
	}
	if err := r.Alias("csr", "ios"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(host("r2", "csr"), connection.WithLibrary("b")); err != nil {
		t.Fatalf("after alias: %v", err)
	}
	// The host's name in errors is not cached.
	_, err := r.Resolve(host("other", "ios"))
	if !strings.Contains(err.Error(), "host other:") {
		t.Errorf("err = %v", err)
	}
}

func TestResolveConcurrent(t *testing.T) {
	r := connection.NewRegistry()
	r.MustRegister(key("ios", "ssh", "a"), cli(), connection.Default())
	done := make(chan error)
	for i := range 8 {
		go func() {
			var err error
			for j := range 200 {
				if i%4 == 0 && j%50 == 0 {
					if e := r.Register(key("ios", "ssh", fmt.Sprintf("x%d-%d", i, j)), cli()); e != nil {
						err = e
					}
				}
				if _, e := r.Resolve(host("r", "ios"), connection.FallbackToDefault()); e != nil {
					err = e
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
