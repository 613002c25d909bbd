package devsim

import (
	"fmt"
	"strings"
)

// iosxr generates an IOS-XR running configuration body (after the "!! Last configuration
// change" header, up to just before "end").
func (g *gen) iosxr() []string {
	r := g.rng
	name := g.cfg.Name
	head, ifs, sets, routing, tail := &section{}, &section{}, &section{}, &section{}, &section{}
	head.add("!")
	head.add("hostname %s", g.host)
	head.add("clock timezone UTC Etc/UTC")
	head.add("logging trap informational")
	head.add("logging console disable")
	head.add("logging buffered %d", []int{307200, 2097152, 4194304}[r.IntN(3)])
	for i := 0; i < 1+r.IntN(2); i++ {
		head.add("logging %s vrf MGMT severity info", g.ip())
	}
	head.add("domain name %s.corp.example.net", g.pick(siteNames...))
	head.add("domain lookup disable")
	head.add("telnet vrf default ipv4 server max-servers 10")
	head.add("username %s", g.cfg.Username)
	head.addAll(" group root-lr", " group cisco-support")
	head.add(" secret 5 %s", secretType5(g.cfg.Password, name+g.cfg.Username))
	head.add("!")
	head.add("username netops")
	head.add(" group netadmin")
	head.add(" secret 5 %s", secretType5(plainSecret(r, 12), name+"netops"))
	head.add("!")
	head.addAll("aaa group server tacacs+ TACACS", " server 10.255.0.10", " server 10.255.0.11", " vrf MGMT", "!")
	head.addAll("aaa authorization exec default group TACACS local", "aaa authentication login default group TACACS local", "aaa accounting commands default start-stop group TACACS")
	head.add("tacacs-server host 10.255.0.10 port 49")
	head.add(" key 7 %s", type7(plainSecret(r, 16), r.IntN(16)))
	head.add("!")
	head.add("tacacs-server host 10.255.0.11 port 49")
	head.add(" key 7 %s", type7(plainSecret(r, 16), r.IntN(16)))
	head.add("!")
	head.addAll("call-home", " service active", " contact smart-licensing", " profile CiscoTAC-1", "  active", "  destination transport-method http", " !", "!")
	head.addAll("vrf MGMT", " address-family ipv4 unicast", " !", "!")
	head.addAll("line default", " exec-timeout 15 0", " transport input ssh", "!")
	comm := plainSecret(r, 10)
	head.add("snmp-server community %s RO", comm)
	head.add("snmp-server host %s traps version 2c %s", g.ip(), comm)
	head.add("snmp-server location %s, rack %d", strings.ToUpper(g.pick(siteNames...)), 1+r.IntN(40))
	head.add("snmp-server contact noc@example.net")
	head.add("ntp")
	head.add(" authentication-key 1 md5 encrypted %s", type7(plainSecret(r, 10), r.IntN(16)))
	head.addAll(" authenticate", " trusted-key 1")
	head.add(" server vrf MGMT %s key 1 prefer", g.ip())
	head.add(" server vrf MGMT %s key 1", g.ip())
	head.add("!")
	ifs.add("interface Loopback0")
	ifs.add(" ipv4 address %s 255.255.255.255", g.loopbackIP())
	ifs.add("!")
	ifs.add("interface MgmtEth0/RP0/CPU0/0")
	ifs.add(" vrf MGMT")
	ifs.add(" ipv4 address %s 255.255.255.0", g.mgmtIP())
	ifs.add("!")
	nPhys := 4 + r.IntN(12)
	var up []string
	for i := 0; i < nPhys; i++ {
		n := fmt.Sprintf("GigabitEthernet0/0/0/%d", i)
		ifs.add("interface %s", n)
		if r.IntN(4) == 0 {
			ifs.add(" shutdown")
		} else {
			ifs.add(" description %s", g.desc())
			a, m := g.hostIn(30)
			ifs.add(" ipv4 address %s %s", a, m)
			up = append(up, n)
		}
		ifs.add("!")
	}
	var prefixes []string
	prefixBytes := 0
	addPrefix := func() {
		bits := 16 + r.IntN(9)
		p := fmt.Sprintf("  %s/%d le 32", g.subnet(bits), bits)
		prefixes = append(prefixes, p)
		prefixBytes += len(p) + 2
	}
	for i := 0; i < 3+r.IntN(5); i++ {
		addPrefix()
	}
	routing.addAll("route-policy RP-PASS", "  pass", "end-policy", "!")
	routing.addAll("router static", " vrf MGMT", "  address-family ipv4 unicast")
	routing.add("   0.0.0.0/0 %s", strings.Join(strings.Split(g.mgmtIP(), ".")[:3], ".")+".254")
	routing.addAll("  !", " !", "!")
	routing.add("router ospf 1")
	routing.add(" router-id %s", g.loopbackIP())
	routing.addAll(" area 0", "  interface Loopback0", "   passive enable", "  !")
	for _, n := range up {
		routing.add("  interface %s", n)
		routing.add("   authentication message-digest")
		routing.add("   message-digest-key 1 md5 encrypted %s", type7(plainSecret(r, 10), r.IntN(16)))
		routing.add("   network point-to-point")
		routing.add("  !")
	}
	routing.addAll(" !", "!")
	routing.add("router bgp %d", g.asn())
	routing.add(" bgp router-id %s", g.loopbackIP())
	routing.addAll(" address-family ipv4 unicast", " !")
	for i := 0; i < 2+r.IntN(4); i++ {
		routing.add(" neighbor %s", g.ip())
		routing.add("  remote-as %d", 64512+r.IntN(1000))
		routing.add("  description %s", g.desc())
		routing.add("  password encrypted %s", type7(plainSecret(r, 12), r.IntN(16)))
		routing.addAll("  address-family ipv4 unicast", "   route-policy RP-PASS in", "   route-policy RP-PASS out", "  !", " !")
	}
	routing.add("!")
	tail.addAll("xml agent tty", "!", "netconf-yang agent", " ssh", "!", "ssh server v2", "ssh server vrf MGMT", "ssh server netconf vrf default")
	setsSize := func() int { return len("prefix-set PS-CUSTOMERS\nend-set\n!\n") + prefixBytes }
	body := func() int { return totalSize(head, ifs, routing, tail) + setsSize() + 200 }
	if budget := g.cfg.ConfigSize - body(); budget > 0 {
		start := ifs.size
		sub := 100
		for ifs.size-start < budget/2 {
			ifs.add("interface GigabitEthernet0/0/0/%d.%d", r.IntN(nPhys), sub)
			ifs.add(" description %s", g.desc())
			a, m := g.hostIn(29)
			ifs.add(" ipv4 address %s %s", a, m)
			ifs.add(" encapsulation dot1q %d", sub)
			ifs.add("!")
			sub++
		}
		for body() < g.cfg.ConfigSize {
			addPrefix()
		}
	}
	sets.add("prefix-set PS-CUSTOMERS")
	for i, p := range prefixes {
		if i < len(prefixes)-1 {
			p += ","
		}
		sets.add("%s", p)
	}
	sets.addAll("end-set", "!")
	return joinSections(head, ifs, sets, routing, tail)
}
