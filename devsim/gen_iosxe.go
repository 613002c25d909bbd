package devsim

import (
	"strings"
)

// iosxe generates an IOS-XE running configuration body (from "version" to just before "end").
func (g *gen) iosxe() []string {
	r := g.rng
	name := g.cfg.Name
	head, ifs, routing, mid, tail := &section{}, &section{}, &section{}, &section{}, &section{}
	ver := g.id.version
	if i := strings.LastIndexByte(ver, '.'); i > 0 {
		ver = ver[:i]
	}
	head.add("version %s", ver)
	head.addAll("service timestamps debug datetime msec", "service timestamps log datetime msec", "service password-encryption")
	head.addAll("platform qfp utilization monitor load 80", "platform punt-keepalive disable-kernel-core", "platform console serial", "!")
	head.add("hostname %s", g.host)
	head.addAll("!", "boot-start-marker", "boot-end-marker", "!", "!")
	head.add("enable secret 9 %s", secretType9(g.cfg.EnableSecret, name))
	head.addAll("!", "vrf definition Mgmt-intf", " !", " address-family ipv4", " exit-address-family", " !", " address-family ipv6", " exit-address-family", "!")
	head.add("logging buffered %d informational", []int{16384, 64000, 128000, 512000}[r.IntN(4)])
	head.addAll("!", "aaa new-model", "!", "!")
	head.addAll("aaa group server tacacs+ TACACS-GROUP", " server name TAC1", " server name TAC2", " ip vrf forwarding Mgmt-intf", "!")
	head.addAll("aaa authentication login default group TACACS-GROUP local", "aaa authentication enable default group TACACS-GROUP enable",
		"aaa authorization console", "aaa authorization exec default group TACACS-GROUP local ",
		"aaa accounting exec default start-stop group TACACS-GROUP", "aaa accounting commands 15 default start-stop group TACACS-GROUP", "!", "!", "!", "!", "!", "!",
		"aaa session-id common")
	head.add("clock timezone %s", g.pick("UTC 0 0", "CET 1 0", "EST -5 0", "PST -8 0"))
	head.addAll("!", "!", "!", "!", "!", "!", "no ip domain lookup")
	head.add("ip domain name %s.corp.example.net", g.pick(siteNames...))
	head.add("ip name-server %s %s", g.ip(), g.ip())
	head.addAll("!", "!", "!", "login on-success log", "!", "!", "!", "!", "!", "!", "!", "subscriber templating", "!", "!", "!", "!", "!", "!", "multilink bundle-name authenticated", "!")
	head.addAll("key chain OSPF-KEYS", " key 1")
	head.add("  key-string 7 %s", type7(plainSecret(r, 12), r.IntN(16)))
	head.add(" key 2")
	head.add("  key-string 7 %s", type7(plainSecret(r, 12), r.IntN(16)))
	head.addAll("!", "!", "!")
	head.addAll("crypto pki trustpoint SLA-TrustPoint", " enrollment pkcs12", " revocation-check crl", "!", "!")
	head.add("license udi pid %s sn %s", strings.SplitN(g.id.model, "/", 2)[0], g.id.serial)
	head.addAll("diagnostic bootup level minimal", "archive", " log config", "  logging enable", "  notify syslog contenttype plaintext", " path bootflash:", "memory free low-watermark processor 72329", "!", "!", "spanning-tree extend system-id", "!")
	head.add("username %s privilege 15 secret 9 %s", g.cfg.Username, secretType9(g.cfg.Password, name+g.cfg.Username))
	for _, u := range []string{"netops", "backup"} {
		head.add("username %s privilege %d secret 9 %s", u, []int{1, 15}[r.IntN(2)], secretType9(plainSecret(r, 12), name+u))
	}
	head.addAll("!", "redundancy", "!", "!", "!", "!", "!", "!")

	// interfaces
	ifs.addAll("!", "interface Loopback0", " description Router-ID")
	ifs.add(" ip address %s 255.255.255.255", g.loopbackIP())
	ifs.add(" ip ospf 1 area 0")
	nPhys := 4 + r.IntN(5)
	for i := 1; i <= nPhys; i++ {
		ifs.add("!")
		ifs.add("interface GigabitEthernet%d", i)
		switch {
		case i == 1:
			ifs.add(" description OOB-MGMT")
			ifs.add(" vrf forwarding Mgmt-intf")
			ifs.add(" ip address %s 255.255.255.0", g.mgmtIP())
		case r.IntN(4) == 0:
			ifs.add(" no ip address")
			ifs.add(" shutdown")
		default:
			ifs.add(" description %s", g.desc())
			a, m := g.hostIn(30)
			ifs.add(" ip address %s %s", a, m)
			if r.IntN(2) == 0 {
				ifs.add(" ip ospf message-digest-key 1 md5 7 %s", type7(plainSecret(r, 10), r.IntN(16)))
				ifs.add(" ip ospf network point-to-point")
			}
		}
		ifs.addAll(" negotiation auto", " no mop enabled", " no mop sysid")
	}

	// routing
	routing.addAll("!", "router ospf 1")
	routing.add(" router-id %s", g.loopbackIP())
	routing.addAll(" passive-interface default", " no passive-interface GigabitEthernet2", " no passive-interface GigabitEthernet3")
	for i := 0; i < 2+r.IntN(3); i++ {
		routing.add(" network %s 0.0.0.255 area 0", g.subnet(24))
	}
	routing.add("!")
	routing.add("router bgp %d", g.asn())
	routing.add(" bgp router-id %s", g.loopbackIP())
	routing.addAll(" bgp log-neighbor-changes", " no bgp default ipv4-unicast")
	nbrs := make([]string, 2+r.IntN(4))
	for i := range nbrs {
		nbrs[i] = g.ip()
		routing.add(" neighbor %s remote-as %d", nbrs[i], 64512+r.IntN(1000))
		routing.add(" neighbor %s description %s", nbrs[i], g.desc())
		routing.add(" neighbor %s password 7 %s", nbrs[i], type7(plainSecret(r, 14), r.IntN(16)))
		routing.add(" neighbor %s update-source Loopback0", nbrs[i])
	}
	routing.addAll(" !", " address-family ipv4")
	for i := 0; i < 1+r.IntN(4); i++ {
		routing.add("  network %s mask 255.255.255.0", g.subnet(24))
	}
	for _, n := range nbrs {
		routing.add("  neighbor %s activate", n)
		routing.add("  neighbor %s send-community both", n)
	}
	routing.addAll(" exit-address-family", "!")

	// services, static routes, ACLs, prefix lists
	mid.addAll("ip forward-protocol nd", "no ip http server", "no ip http secure-server")
	mid.addAll("ip ssh version 2", "ip ssh server algorithm authentication publickey password keyboard", "ip scp server enable")
	mid.add("ip route vrf Mgmt-intf 0.0.0.0 0.0.0.0 %s", strings.Join(strings.Split(g.mgmtIP(), ".")[:3], ".")+".254")
	for i := 0; i < 2+r.IntN(5); i++ {
		mid.add("ip route %s 255.255.255.0 %s name %s", g.subnet(24), g.ip(), strings.ToUpper(g.pick(descWords...)))
	}
	mid.addAll("!", "ip access-list standard SNMP-RO")
	mid.add(" 10 permit %s 0.0.0.255", g.subnet(24))
	mid.add(" 20 deny   any log")
	mid.add("ip access-list extended MGMT-IN")
	acl := &section{}
	aclSeq := 10
	addACE := func() {
		acl.add(" %d permit tcp %s %s any eq %s", aclSeq, g.subnet(24), wildcardOf(24), g.pick("22", "443", "830", "161", "179", "49"))
		aclSeq += 10
	}
	for i := 0; i < 4+r.IntN(8); i++ {
		addACE()
	}
	pl := &section{}
	plSeq := 5
	addPL := func() {
		bits := 16 + r.IntN(9)
		pl.add("ip prefix-list PL-CUSTOMERS seq %d permit %s/%d le 32", plSeq, g.subnet(bits), bits)
		plSeq += 5
	}
	for i := 0; i < 3+r.IntN(6); i++ {
		addPL()
	}
	tail.addAll("!", "route-map RM-CUSTOMERS-IN permit 10", " match ip address prefix-list PL-CUSTOMERS", " set local-preference 200", "route-map RM-CUSTOMERS-IN deny 20", "!")
	tail.add("logging source-interface Loopback0")
	for i := 0; i < 1+r.IntN(3); i++ {
		tail.add("logging host %s", g.ip())
	}
	comm := plainSecret(r, 10)
	tail.addAll("!")
	tail.add("snmp-server community %s RO SNMP-RO", comm)
	tail.add("snmp-server community %s RW SNMP-RO", plainSecret(r, 12))
	tail.add("snmp-server location %s, rack %d", strings.ToUpper(g.pick(siteNames...)), 1+r.IntN(40))
	tail.add("snmp-server contact noc@example.net")
	tail.add("snmp-server enable traps snmp authentication linkdown linkup coldstart warmstart")
	tail.add("snmp-server host %s version 2c %s", g.ip(), comm)
	tail.add("!")
	for i, n := range []string{"TAC1", "TAC2"} {
		tail.add("tacacs server %s", n)
		tail.add(" address ipv4 %s", g.ip())
		tail.add(" key 7 %s", type7(plainSecret(r, 16), (i*5+r.IntN(10))%16))
	}
	tail.addAll("radius server RAD1")
	tail.add(" address ipv4 %s auth-port 1812 acct-port 1813", g.ip())
	tail.add(" key 7 %s", type7(plainSecret(r, 16), r.IntN(16)))
	tail.addAll("!", "!", "!", "control-plane", "!", "banner motd ^C", "Authorized access only. Disconnect now if you are not an authorized user.", "^C", "!")
	tail.addAll("line con 0", " exec-timeout 15 0", " stopbits 1", "line vty 0 4", " access-class MGMT-IN in vrf-also", " exec-timeout 15 0", " transport input ssh", "line vty 5 15", " access-class MGMT-IN in vrf-also", " transport input ssh", "!")
	tail.add("ntp authentication-key 1 md5 %s 7", type7(plainSecret(r, 12), r.IntN(16)))
	tail.addAll("ntp authenticate", "ntp trusted-key 1", "ntp source Loopback0")
	tail.add("ntp clock-period")
	tail.add("ntp server %s key 1 prefer", g.ip())
	tail.add("ntp server %s key 1", g.ip())
	tail.addAll("!", "!", "!", "!", "!", "!", "netconf-yang")

	// grow to the target size: subinterfaces, ACL entries and prefix-list entries
	body := func() int { return totalSize(head, ifs, routing, mid, acl, pl, tail) + 120 }
	budget := g.cfg.ConfigSize - body()
	if budget > 0 {
		ifBudget, aclBudget := budget/2, budget*3/10
		start := ifs.size
		vlan := 100
		for ifs.size-start < ifBudget {
			parent := 2 + r.IntN(max(1, nPhys-1))
			ifs.add("!")
			ifs.add("interface GigabitEthernet%d.%d", parent, vlan)
			ifs.add(" description %s", g.desc())
			ifs.add(" encapsulation dot1Q %d", vlan)
			if r.IntN(3) == 0 {
				ifs.add(" vrf forwarding CUST-%d", 1+r.IntN(50))
			}
			a, m := g.hostIn(29)
			ifs.add(" ip address %s %s", a, m)
			if r.IntN(4) == 0 {
				ifs.add(" service-policy input POLICE-%dM", []int{10, 50, 100, 500}[r.IntN(4)])
			}
			vlan++
		}
		for acl.size < aclBudget {
			addACE()
		}
		for body() < g.cfg.ConfigSize {
			addPL()
		}
	}
	return joinSections(head, ifs, routing, mid, acl, pl, tail)
}
