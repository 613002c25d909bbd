package rollout

import (
	"reflect"
	"strings"
	"testing"
)

const iosCfg = `hostname r1
!
interface GigabitEthernet1
 description uplink
 ip address 10.0.0.1 255.255.255.0
 shutdown
!
snmp-server location lab
end
`

func TestPendingCisco(t *testing.T) {
	cases := []struct {
		lines []string
		want  []string
	}{
		{[]string{"hostname r1"}, nil},
		{[]string{"hostname r2"}, []string{"hostname r2"}},
		{[]string{"interface GigabitEthernet1", " description uplink"}, nil},
		{[]string{"interface GigabitEthernet1", " description core"}, []string{"interface GigabitEthernet1", " description core"}},
		{[]string{"interface GigabitEthernet1", " no shutdown"}, []string{"interface GigabitEthernet1", " no shutdown"}},
		{[]string{"interface GigabitEthernet1", " no mtu"}, nil},
		{[]string{"no snmp-server location"}, []string{"no snmp-server location"}},
		{[]string{"no snmp-server contact"}, nil},
		{[]string{"interface Loopback9", " description new"}, []string{"interface Loopback9", " description new"}},
		// a child written at the top level is not the interface's
		{[]string{"description uplink"}, []string{"description uplink"}},
	}
	for _, c := range cases {
		if got := Pending("cisco_iosxe", iosCfg, c.lines); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Pending(%q) = %q, want %q", c.lines, got, c.want)
		}
	}
	if d := diffOf("cisco_iosxe", iosCfg, []string{"interface GigabitEthernet1", " description core"}, strings.TrimSpace); d != "  interface GigabitEthernet1\n+ description core\n" {
		t.Errorf("diff = %q", d)
	}
}

const junosCfg = `## Last commit: 2024-01-01 by admin
version 20.4R3;
system {
    host-name vsrx;
    location {
        building b1;
    }
    login {
        user admin {
            authentication {
                encrypted-password "$6$x"; ## SECRET-DATA
            }
        }
    }
}
vlans {
    v10 {
        interface [ ge-0/0/1 ge-0/0/2 ];
    }
}
`

func TestPendingJunos(t *testing.T) {
	cases := []struct {
		lines []string
		want  []string
	}{
		{[]string{"set system location building b1"}, nil},
		{[]string{"set  system   host-name vsrx"}, nil},
		{[]string{"set system host-name other"}, []string{"set system host-name other"}},
		{[]string{`set system login user admin authentication encrypted-password "$6$x"`}, nil},
		{[]string{"set vlans v10 interface ge-0/0/2"}, nil},
		{[]string{"delete system location"}, []string{"delete system location"}},
		{[]string{"delete system syslog"}, nil},
	}
	for _, c := range cases {
		if got := Pending("juniper_junos", junosCfg, c.lines); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Pending(%q) = %q, want %q", c.lines, got, c.want)
		}
	}
}

func TestInverse(t *testing.T) {
	got := inverse(iosCfg, []string{
		"hostname r1",
		"snmp-server location moved",
		"snmp-server contact noc",
		"interface GigabitEthernet1",
		" no shutdown",
		" description core",
		"interface Loopback9",
		" description new",
	})
	want := []string{
		"snmp-server location lab",
		"no snmp-server contact noc",
		"interface GigabitEthernet1",
		" shutdown",
		" description uplink",
		"no interface Loopback9",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inverse =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzPending feeds arbitrary configurations and lines (device output is outside input): no
// panic, and lines taken from the configuration itself are never pending.
func FuzzPending(f *testing.F) {
	f.Add("cisco_iosxe", iosCfg, "interface GigabitEthernet1\n description x")
	f.Add("juniper_junos", junosCfg, "set system host-name a\ndelete vlans")
	f.Add("arista_eos", "interface Ethernet1\n   description a\n", "interface Ethernet1\n description a")
	f.Add("cisco_nxos", "{\n}\n}}\n[ ]", "no \n  x")
	f.Fuzz(func(t *testing.T, platform, config, lines string) {
		ls := strings.Split(lines, "\n")
		_ = Pending(platform, config, ls)
		_ = diffOf(platform, config, ls, func(s string) string { return s })
		_ = inverse(config, ls)
		if platform != "juniper_junos" {
			var own []string
			for _, l := range strings.Split(config, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "no ") {
					own = append(own, l)
				}
			}
			if p := Pending(platform, config, own); len(p) != 0 && !strings.ContainsAny(config, "\t\r") {
				t.Fatalf("lines of the configuration itself pending: %q", p)
			}
		}
	})
}

func TestCanaryBatches(t *testing.T) {
	for _, c := range []struct {
		n, first, max int
		want          []int
	}{
		{0, 1, 0, nil},
		{1, 1, 0, []int{1}},
		{10, 1, 0, []int{1, 2, 4, 3}},
		{10, 0, 3, []int{1, 2, 3, 3, 1}},
		{5, 2, 0, []int{2, 3}},
		{3, 5, 2, []int{2, 1}},
	} {
		if got := CanaryBatches(c.n, c.first, c.max); !reflect.DeepEqual(got, c.want) {
			t.Errorf("CanaryBatches(%d, %d, %d) = %v, want %v", c.n, c.first, c.max, got, c.want)
		}
	}
}
