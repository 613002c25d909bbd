package scrapli_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/plugins/scrapli"
)

func TestRegister(t *testing.T) {
	reg := connection.NewRegistry()
	if err := scrapli.Register(reg); err != nil {
		t.Fatal(err)
	}
	for _, p := range scrapli.Platforms() {
		pl, ok := reg.Lookup(connection.Key{Platform: p, Type: scrapli.TypeSSH, Library: scrapli.Library})
		if !ok {
			t.Fatalf("%s/ssh not registered", p)
		}
		if !pl.BuiltIn || !pl.Default || !pl.DefaultForType || pl.ParamsName != "scrapli" {
			t.Errorf("%s: %s params %q", p, pl, pl.ParamsName)
		}
		if pl.SessionType != reflect.TypeFor[*scrapli.Session]() {
			t.Errorf("%s: session type %v", p, pl.SessionType)
		}
		for _, c := range []connection.Capability{connection.CapCommandSender, connection.CapConfigSender,
			connection.CapConfigGetter, connection.CapFactsGetter, connection.CapConfigSaver, connection.CapRawAccess} {
			if !pl.Has(c) {
				t.Errorf("%s/ssh lacks %s", p, c)
			}
		}
		nc, ok := reg.Lookup(connection.Key{Platform: p, Type: scrapli.TypeNETCONF, Library: scrapli.Library})
		if p == scrapli.PlatformSRL {
			if ok {
				t.Errorf("nokia_srl has a NETCONF plugin")
			}
			continue
		}
		if !ok || nc.ParamsName != "scrapli_netconf" || !nc.DefaultForType || nc.Default || !nc.Has(connection.CapConfigGetter) {
			t.Errorf("%s/netconf: %v %s params %q", p, ok, nc, nc.ParamsName)
		}
	}
	// Hosts with Nornir/NAPALM platform names resolve to the plugins through the aliases.
	if got := reg.CanonicalPlatform("ios"); got != scrapli.PlatformIOSXE {
		t.Errorf("ios -> %q", got)
	}
	// A second registration is a registration error, and MustRegister panics on it.
	if err := scrapli.Register(reg); !errors.Is(err, connection.ErrRegistration) {
		t.Errorf("second Register = %v, want ErrRegistration", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustRegister did not panic")
			}
		}()
		scrapli.MustRegister(reg)
	}()
}

func TestRegisterOptions(t *testing.T) {
	reg := connection.NewRegistry()
	scrapli.MustRegister(reg, scrapli.WithPlatforms(scrapli.PlatformJunos), scrapli.WithoutNETCONF(), scrapli.WithoutDefaults())
	if n := len(reg.Plugins()); n != 1 {
		t.Fatalf("%d plugins registered, want 1: %v", n, reg.Plugins())
	}
	pl, _ := reg.Lookup(connection.Key{Platform: scrapli.PlatformJunos, Type: scrapli.TypeSSH, Library: scrapli.Library})
	if pl.Default || pl.DefaultForType {
		t.Errorf("WithoutDefaults: %s", pl)
	}
	if err := scrapli.Register(connection.NewRegistry(), scrapli.WithPlatforms("vyos")); !errors.Is(err, connection.ErrRegistration) {
		t.Errorf("unknown platform: %v", err)
	}
}
