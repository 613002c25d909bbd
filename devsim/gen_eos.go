package devsim

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// eos generates an Arista EOS running configuration body (after the header comments, up to
// just before "end").
func (g *gen) eos() []string {
	r := g.rng
	name := g.cfg.Name
	head, ifs, routing, acl, pl, tail := &section{}, &section{}, &section{}, &section{}, &section{}, &section{}
	img := "EOS-" + g.id.version + ".swi"
	if strings.HasPrefix(g.id.model, "vEOS") {
		img = "vEOS-lab.swi"
	}
	head.add("! boot system flash:/%s", img)
	head.addAll("!", "no aaa root", "!")
	head.addAll("aaa group server tacacs+ TACACS", "   server 10.255.0.10 vrf MGMT", "   server 10.255.0.11 vrf MGMT", "!")
	head.addAll("aaa authentication login default group TACACS local", "aaa authorization exec default group TACACS local",
		"aaa authorization commands all default local", "aaa accounting commands all default start-stop group TACACS", "!")
	head.add("username %s privilege 15 role network-admin secret sha512 %s", g.cfg.Username, secretSHA512(g.cfg.Password, name+g.cfg.Username))
	head.add("username netops privilege 15 role network-admin secret sha512 %s", secretSHA512(plainSecret(r, 12), name+"netops"))
	head.add("username backup privilege 1 role network-operator secret sha512 %s", secretSHA512(plainSecret(r, 12), name+"backup"))
	head.addAll("!", "transceiver qsfp default-mode 4x10G", "!", "service routing protocols model multi-agent", "!")
	head.add("logging buffered %d", []int{32000, 64000, 128000}[r.IntN(3)])
	for i := 0; i < 1+r.IntN(2); i++ {
		head.add("logging vrf MGMT host %s", g.ip())
	}
	head.addAll("logging console informational", "!")
	head.add("hostname %s", g.host)
	head.add("ip name-server vrf MGMT %s", g.ip())
	head.add("dns domain %s.corp.example.net", g.pick(siteNames...))
	head.add("!")
	head.add("ntp authentication-key 1 md5 7 %s", type7(plainSecret(r, 12), r.IntN(16)))
	head.addAll("ntp trusted-key 1", "ntp authenticate")
	head.add("ntp server vrf MGMT %s prefer key 1", g.ip())
	head.add("ntp server vrf MGMT %s key 1", g.ip())
	head.add("!")
	comm := plainSecret(r, 10)
	head.add("snmp-server location %s, rack %d", strings.ToUpper(g.pick(siteNames...)), 1+r.IntN(40))
	head.add("snmp-server contact noc@example.net")
	head.add("snmp-server community %s ro SNMP-RO", comm)
	head.add("snmp-server host %s vrf MGMT version 2c %s", g.ip(), comm)
	head.add("snmp-server vrf MGMT")
	head.add("!")
	head.add("tacacs-server host 10.255.0.10 vrf MGMT key 7 %s", type7(plainSecret(r, 16), r.IntN(16)))
	head.add("tacacs-server host 10.255.0.11 vrf MGMT key 7 %s", type7(plainSecret(r, 16), r.IntN(16)))
	head.addAll("!", "spanning-tree mode mstp", "!")
	head.add("enable secret sha512 %s", secretSHA512(g.cfg.EnableSecret, name))
	head.add("!")
	for i := 0; i < 2+r.IntN(4); i++ {
		v := 10 * (i + 1)
		head.add("vlan %d", v)
		head.add("   name %s", strings.ToUpper(g.pick(descWords...))+fmt.Sprint(v))
		head.add("!")
	}
	head.addAll("vrf instance MGMT", "!")
	nPhys := 4 + r.IntN(8)
	for i := 1; i <= nPhys; i++ {
		ifs.add("interface Ethernet%d", i)
		if r.IntN(4) == 0 {
			ifs.add("   shutdown")
		} else {
			ifs.add("   description %s", g.desc())
			ifs.add("   mtu 9214")
			ifs.add("   no switchport")
			a, _ := g.hostIn(30)
			ifs.add("   ip address %s/31", a)
		}
		ifs.add("!")
	}
	ifs.add("interface Loopback0")
	ifs.add("   ip address %s/32", g.loopbackIP())
	ifs.add("!")
	ifs.add("interface Management1")
	ifs.add("   vrf MGMT")
	ifs.add("   ip address %s/24", g.mgmtIP())
	ifs.add("!")
	routing.addAll("ip routing", "no ip routing vrf MGMT", "!")
	routing.add("ip route vrf MGMT 0.0.0.0/0 %s", strings.Join(strings.Split(g.mgmtIP(), ".")[:3], ".")+".254")
	routing.add("!")
	acl.add("ip access-list MGMT-IN")
	seq := 10
	addACE := func() {
		acl.add("   %d permit tcp %s/24 any eq %s", seq, g.subnet(24), g.pick("ssh", "https", "snmp", "bgp", "830"))
		seq += 10
	}
	for i := 0; i < 3+r.IntN(6); i++ {
		addACE()
	}
	pl.add("!")
	pl.add("ip prefix-list PL-LOOPBACKS")
	plSeq := 10
	addPL := func() {
		bits := 16 + r.IntN(9)
		pl.add("   seq %d permit %s/%d le 32", plSeq, g.subnet(bits), bits)
		plSeq += 10
	}
	for i := 0; i < 2+r.IntN(5); i++ {
		addPL()
	}
	pl.add("!")
	tail.add("router bgp %d", g.asn())
	tail.add("   router-id %s", g.loopbackIP())
	tail.addAll("   maximum-paths 4 ecmp 4", "   neighbor SPINES peer group")
	tail.add("   neighbor SPINES remote-as %d", 65000+r.IntN(100))
	tail.add("   neighbor SPINES password 7 %s", base64.StdEncoding.EncodeToString([]byte(cryptChars(16, "eosbgp", name))))
	tail.add("   neighbor SPINES send-community")
	for i := 0; i < 2+r.IntN(4); i++ {
		tail.add("   neighbor %s peer group SPINES", g.ip())
	}
	tail.addAll("   redistribute connected route-map RM-CONN", "   !", "   address-family ipv4", "      neighbor SPINES activate", "!")
	tail.addAll("route-map RM-CONN permit 10", "   match ip address prefix-list PL-LOOPBACKS", "!")
	tail.addAll("management api http-commands", "   protocol https", "   no shutdown", "   !", "   vrf MGMT", "      no shutdown", "!")
	tail.addAll("management api netconf", "   transport ssh default", "!")
	tail.addAll("management ssh", "   idle-timeout 60", "   vrf MGMT", "      no shutdown", "!")

	body := func() int { return totalSize(head, ifs, routing, acl, pl, tail) + 160 }
	if budget := g.cfg.ConfigSize - body(); budget > 0 {
		start := ifs.size
		sub := 100
		for ifs.size-start < budget/2 {
			parent := 1 + r.IntN(nPhys)
			ifs.add("interface Ethernet%d.%d", parent, sub)
			ifs.add("   description %s", g.desc())
			ifs.add("   encapsulation dot1q vlan %d", sub)
			a, _ := g.hostIn(29)
			ifs.add("   ip address %s/29", a)
			ifs.add("!")
			sub++
		}
		for acl.size < budget*3/10 {
			addACE()
		}
		for body() < g.cfg.ConfigSize {
			addPL()
		}
	}
	return joinSections(head, ifs, routing, acl, pl, tail)
}
