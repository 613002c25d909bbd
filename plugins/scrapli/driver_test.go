package scrapli

import (
	"testing"

	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/util"
)

// TestDriverTemplate: session drivers built from the template are what platform.NewPlatform
// builds (levels, default level, failure strings, enable secret), and share no mutable state
// with each other or the template.
func TestDriverTemplate(t *testing.T) {
	for _, name := range Platforms() {
		t.Run(name, func(t *testing.T) {
			p, err := platform.NewPlatform(name, "localhost", options.WithTransportType(TransportSystem))
			if err != nil {
				t.Fatal(err)
			}
			want, err := p.GetNetworkDriver()
			if err != nil {
				t.Fatal(err)
			}
			tmpl, err := newDriverTemplate(p)
			if err != nil {
				t.Fatal(err)
			}
			mk := func(secret string) []util.Option {
				return []util.Option{options.WithTransportType(TransportSystem), options.WithAuthSecondary(secret), options.WithPort(2222)}
			}
			a, err := tmpl.newDriver("10.0.0.1", mk("s1"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := tmpl.newDriver("10.0.0.2", mk("s2"))
			if err != nil {
				t.Fatal(err)
			}
			if a.AuthSecondary != "s1" || b.AuthSecondary != "s2" || tmpl.nd.AuthSecondary != "" {
				t.Errorf("enable secrets %q %q (template %q)", a.AuthSecondary, b.AuthSecondary, tmpl.nd.AuthSecondary)
			}
			if a.Transport.Args.Host != "10.0.0.1" || a.Transport.Args.Port != 2222 || b.Transport.Args.Host != "10.0.0.2" {
				t.Errorf("transport args %+v %+v", a.Transport.Args, b.Transport.Args)
			}
			if a.Channel == b.Channel || a.Driver == b.Driver || a.Driver == tmpl.nd.Driver {
				t.Error("drivers share a channel or generic driver")
			}
			if a.DefaultDesiredPriv != want.DefaultDesiredPriv || len(a.PrivilegeLevels) != len(want.PrivilegeLevels) {
				t.Errorf("default level %q, %d levels; want %q, %d", a.DefaultDesiredPriv, len(a.PrivilegeLevels), want.DefaultDesiredPriv, len(want.PrivilegeLevels))
			}
			for lvl, l := range a.PrivilegeLevels {
				w := want.PrivilegeLevels[lvl]
				if w == nil || l.Pattern != w.Pattern || l.PreviousPriv != w.PreviousPriv || l.Escalate != w.Escalate ||
					l.Deescalate != w.Deescalate || l.EscalateAuth != w.EscalateAuth {
					t.Errorf("level %s differs: %+v, want %+v", lvl, l, w)
				}
				if l == b.PrivilegeLevels[lvl] || l == tmpl.nd.PrivilegeLevels[lvl] {
					t.Errorf("level %s shared between drivers", lvl)
				}
			}
			if len(a.FailedWhenContains) == 0 || len(a.FailedWhenContains) != len(want.FailedWhenContains) {
				t.Errorf("failed-when-contains %q, want %q", a.FailedWhenContains, want.FailedWhenContains)
			}
			if (a.OnClose == nil) != (want.OnClose == nil) {
				t.Error("on-close differs")
			}
		})
	}
}
