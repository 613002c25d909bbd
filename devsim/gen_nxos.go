package devsim

import (
	"fmt"
	"strings"
)

// nxos generates an NX-OS running configuration body (after the "!Time:" header, up to the
// last line).
func (g *gen) nxos() []string {
	r := g.rng
	name := g.cfg.Name
	head, ifs, routing, acl, tail := &section{}, &section{}, &section{}, &section{}, &section{}
	bios := fmt.Sprintf("05.%d", 30+r.IntN(20))
	head.add("version %s Bios:version %s ", g.id.version, bios)
	head.add("hostname %s", g.host)
	head.add("vdc %s id 1", g.host)
	head.addAll("  limit-resource vlan minimum 16 maximum 4094", "  limit-resource vrf minimum 2 maximum 4096",
		"  limit-resource port-channel minimum 0 maximum 511", "  limit-resource u4route-mem minimum 248 maximum 248",
		"  limit-resource u6route-mem minimum 96 maximum 96", "  limit-resource m4route-mem minimum 58 maximum 58",
		"  limit-resource m6route-mem minimum 8 maximum 8", "")
	head.addAll("feature tacacs+", "cfs eth distribute", "feature bgp", "feature interface-vlan", "feature lacp", "feature lldp", "feature nxapi", "feature scp-server", "")
	head.add("no password strength-check")
	head.add("username %s password 5 %s  role network-admin", g.cfg.Username, secretSHA256(g.cfg.Password, name+g.cfg.Username))
	head.add("username netops password 5 %s  role network-operator", secretSHA256(plainSecret(r, 12), name+"netops"))
	head.add("username backup password 5 %s  role network-operator", secretSHA256(plainSecret(r, 12), name+"backup"))
	head.add("ip domain-lookup")
	head.add("ip domain-name %s.corp.example.net", g.pick(siteNames...))
	head.add("ip name-server %s use-vrf management", g.ip())
	head.add("tacacs-server key 7 \"%s\"", type7(plainSecret(r, 14), r.IntN(16)))
	head.add("tacacs-server host 10.255.0.10 key 7 \"%s\"", type7(plainSecret(r, 14), r.IntN(16)))
	head.add("tacacs-server host 10.255.0.11 key 7 \"%s\"", type7(plainSecret(r, 14), r.IntN(16)))
	head.addAll("aaa group server tacacs+ TACACS", "    server 10.255.0.10", "    server 10.255.0.11", "    use-vrf management", "    source-interface mgmt0")
	head.addAll("copp profile strict")
	for _, u := range []string{g.cfg.Username, "netops"} {
		k := hexSecret(32, name, u, "snmp")
		head.add("snmp-server user %s network-admin auth md5 0x%s priv 0x%s localizedkey", u, k, k)
	}
	comm := plainSecret(r, 10)
	head.add("snmp-server host %s traps version 2c %s", g.ip(), comm)
	head.add("snmp-server community %s group network-operator", comm)
	head.add("snmp-server location %s, rack %d", strings.ToUpper(g.pick(siteNames...)), 1+r.IntN(40))
	head.add("snmp-server contact noc@example.net")
	head.add("rmon event 1 description FATAL(1) owner PMON@FATAL")
	head.add("rmon event 2 description CRITICAL(2) owner PMON@CRITICAL")
	head.add("rmon event 3 description ERROR(3) owner PMON@ERROR")
	head.add("ntp authentication-key 1 md5 %s 7", type7(plainSecret(r, 10), r.IntN(16)))
	head.add("ntp server %s prefer use-vrf management key 1", g.ip())
	head.add("ntp server %s use-vrf management key 1", g.ip())
	head.addAll("ntp authenticate", "aaa authentication login default group TACACS", "aaa authorization commands default group TACACS local", "aaa accounting default group TACACS", "")
	vlans := []int{1}
	for i := 0; i < 2+r.IntN(5); i++ {
		vlans = append(vlans, 10*(i+1))
	}
	var vl []string
	for _, v := range vlans {
		vl = append(vl, fmt.Sprint(v))
	}
	head.add("vlan %s", strings.Join(vl, ","))
	for _, v := range vlans[1:] {
		head.add("vlan %d", v)
		head.add("  name %s%d", strings.ToUpper(g.pick(descWords...)), v)
	}
	head.add("")
	head.add("vrf context management")
	head.add("  ip route 0.0.0.0/0 %s", strings.Join(strings.Split(g.mgmtIP(), ".")[:3], ".")+".254")
	head.add("")
	acl.add("ip access-list MGMT-IN")
	seq := 10
	addACE := func() {
		acl.add("  %d permit tcp %s/24 any eq %s", seq, g.subnet(24), g.pick("22", "443", "161", "179"))
		seq += 10
	}
	for i := 0; i < 3+r.IntN(6); i++ {
		addACE()
	}
	acl.add("")
	for _, v := range vlans[1:] {
		ifs.add("interface Vlan%d", v)
		ifs.add("  no shutdown")
		a, _ := g.hostIn(24)
		ifs.add("  ip address %s/24", a)
		ifs.add("")
	}
	nPhys := 8 + r.IntN(40)
	for i := 1; i <= nPhys; i++ {
		ifs.add("interface Ethernet1/%d", i)
		switch r.IntN(3) {
		case 0:
			ifs.add("  shutdown")
		case 1:
			ifs.add("  description %s", g.desc())
			ifs.add("  switchport access vlan %d", vlans[r.IntN(len(vlans))])
			ifs.add("  no shutdown")
		default:
			ifs.add("  description %s", g.desc())
			ifs.add("  no switchport")
			ifs.add("  mtu 9216")
			a, _ := g.hostIn(30)
			ifs.add("  ip address %s/31", a)
			ifs.add("  no shutdown")
		}
		ifs.add("")
	}
	ifs.add("interface loopback0")
	ifs.add("  ip address %s/32", g.loopbackIP())
	ifs.add("")
	ifs.add("interface mgmt0")
	ifs.add("  vrf member management")
	ifs.add("  ip address %s/24", g.mgmtIP())
	routing.add("line console")
	routing.add("line vty")
	routing.add("  access-class MGMT-IN in")
	routing.add("boot nxos bootflash:/nxos.%s.bin ", strings.NewReplacer("(", ".", ")", "").Replace(g.id.version))
	tail.add("router bgp %d", g.asn())
	tail.add("  router-id %s", g.loopbackIP())
	tail.add("  address-family ipv4 unicast")
	tail.add("    network %s/32", g.loopbackIP())
	for i := 0; i < 2+r.IntN(4); i++ {
		tail.add("  neighbor %s", g.ip())
		tail.add("    remote-as %d", 64512+r.IntN(1000))
		tail.add("    description %s", g.desc())
		tail.add("    password 3 %s", hexSecret(16, name, fmt.Sprint(i), "bgp"))
		tail.add("    address-family ipv4 unicast")
	}
	body := func() int { return totalSize(head, acl, ifs, routing, tail) + 200 }
	if budget := g.cfg.ConfigSize - body(); budget > 0 {
		for acl.size < budget*3/10 {
			acl.lines = acl.lines[:len(acl.lines)-1]
			acl.size--
			addACE()
			acl.add("")
		}
		// more ports: a second line card
		port := 1
		var more section
		for body()+more.size < g.cfg.ConfigSize {
			more.add("interface Ethernet2/%d", port)
			more.add("  description %s", g.desc())
			more.add("  switchport mode trunk")
			more.add("  switchport trunk allowed vlan %s", strings.Join(vl[1:], ","))
			more.add("  no shutdown")
			more.add("")
			port++
		}
		// before loopback0
		at := len(ifs.lines) - 6
		ifs.lines = append(ifs.lines[:at], append(more.lines, ifs.lines[at:]...)...)
		ifs.size += more.size
	}
	return joinSections(head, acl, ifs, routing, tail)
}
