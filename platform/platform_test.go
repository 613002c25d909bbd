package platform_test

import (
	"slices"
	"testing"

	"github.com/gonorn/norn/platform"
)

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"ios": "cisco_iosxe", "cisco_ios": "cisco_iosxe", "IOS-XE": "cisco_iosxe", " iosxe ": "cisco_iosxe",
		"cisco-ios-xe": "cisco_iosxe", "csr1000v": "cisco_iosxe", "cisco.ios.ios": "cisco_iosxe",
		"nxos": "cisco_nxos", "nexus": "cisco_nxos", "cisco-nx-os": "cisco_nxos", "nxos_ssh": "cisco_nxos",
		"iosxr": "cisco_iosxr", "cisco_xr": "cisco_iosxr", "cisco-ios-xr": "cisco_iosxr",
		"eos": "arista_eos", "arista-eos": "arista_eos", "Arista EOS": "arista_eos",
		"junos": "juniper_junos", "juniper": "juniper_junos", "juniper-junos": "juniper_junos",
		"srl": "nokia_srl", "nokia-sr-linux": "nokia_srl",
		"cisco_iosxe": "cisco_iosxe",
	} {
		got, ok := platform.Canonical(in)
		if got != want || !ok {
			t.Errorf("Canonical(%q) = %q, %v; want %q, true", in, got, ok, want)
		}
		if n := platform.Normalize(in); n != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, n, want)
		}
	}
}

func TestUnknown(t *testing.T) {
	got, ok := platform.Canonical(" My-Platform ")
	if ok || got != "my_platform" {
		t.Errorf("Canonical(unknown) = %q, %v; want my_platform, false", got, ok)
	}
	if platform.Known("") || platform.Known("vyos") {
		t.Error("Known: empty or unknown name reported known")
	}
	if platform.Aliases("vyos") != nil {
		t.Error("Aliases(unknown) is not nil")
	}
}

func TestTableConsistent(t *testing.T) {
	names := platform.Names()
	if !slices.Equal(names, []string{"cisco_iosxe", "cisco_nxos", "cisco_iosxr", "arista_eos", "juniper_junos", "nokia_srl"}) {
		t.Fatalf("Names() = %v", names)
	}
	seen := map[string]string{}
	for _, n := range names {
		if c, ok := platform.Canonical(n); !ok || c != n {
			t.Errorf("canonical name %q resolves to %q, %v", n, c, ok)
		}
		for _, a := range platform.Aliases(n) {
			if prev, dup := seen[a]; dup {
				t.Errorf("alias %q of %s and %s", a, prev, n)
			}
			seen[a] = n
			if c := platform.Normalize(a); c != n {
				t.Errorf("alias %q of %s resolves to %q", a, n, c)
			}
		}
	}
	a := platform.Aliases("ios")
	a[0] = "changed"
	if platform.Aliases("ios")[0] == "changed" {
		t.Error("Aliases returned the table's own slice")
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"ios", "cisco-ios-xe", " Arista EOS ", "", "\u212a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := platform.Key(s)
		if platform.Key(k) != k {
			t.Errorf("Key is not idempotent on %q: %q then %q", s, k, platform.Key(k))
		}
		c, ok := platform.Canonical(s)
		if ok && platform.Normalize(c) != c {
			t.Errorf("canonical %q does not normalize to itself", c)
		}
	})
}

func TestKeyAllocations(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = platform.Key("cisco_iosxe") }); n != 0 {
		t.Errorf("Key of a key allocates %v times", n)
	}
	for in, want := range map[string]string{"Cisco IOS-XE": "cisco_ios_xe", " a-b c ": "a_b_c", "ÄB-c": "äb_c"} {
		if got := platform.Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}
