package devsim

import (
	"fmt"
	"strings"
)

// junos generates a Junos configuration tree.
func (g *gen) junos() *jnode {
	r := g.rng
	name := g.cfg.Name
	root := &jnode{}
	root.set("version", g.id.version)
	sys := root.c("system")
	sys.set("host-name", g.host)
	sys.set("domain-name", g.pick(siteNames...)+".corp.example.net")
	sys.set("time-zone", "UTC")
	sys.c("root-authentication").setC("encrypted-password", secretSHA512(plainSecret(r, 16), name+"root"), "## SECRET-DATA")
	sys.raw("authentication-order", "[ tacplus password ]", "")
	for _, ip := range []string{g.ip(), g.ip()} {
		sys.set("name-server", ip)
	}
	for i, ip := range []string{"10.255.0.10", "10.255.0.11"} {
		t := sys.c("tacplus-server").c(ip)
		t.setC("secret", junos9(plainSecret(r, 14), name+fmt.Sprint(i)), "## SECRET-DATA")
		t.set("source-address", g.mgmtIP())
	}
	login := sys.c("login")
	login.set("message", "Authorized access only. Disconnect now if you are not an authorized user.")
	uid := 2000
	for _, u := range []string{g.cfg.Username, "netops", "backup"} {
		un := login.c("user " + u)
		un.set("uid", fmt.Sprint(uid))
		uid++
		class := "super-user"
		if u == "backup" {
			class = "read-only"
		}
		un.set("class", class)
		pw := plainSecret(r, 12)
		if u == g.cfg.Username {
			pw = g.cfg.Password
		}
		un.c("authentication").setC("encrypted-password", secretSHA512(pw, name+u), "## SECRET-DATA")
	}
	svc := sys.c("services")
	svc.c("ssh").set("protocol-version", "v2")
	svc.c("ssh").set("connection-limit", "10")
	svc.c("netconf").flag("ssh")
	sl := sys.c("syslog")
	sl.c("user *").flag("any emergency")
	for i := 0; i < 1+r.IntN(2); i++ {
		sl.c("host " + g.ip()).flag("any notice")
	}
	msgs := sl.c("file messages")
	msgs.flag("any notice")
	msgs.flag("authorization info")
	sl.c("file interactive-commands").flag("interactive-commands any")
	ntp := sys.c("ntp")
	ntp.raw("authentication-key", "1 type md5 value "+quoteIfNeeded(junos9(plainSecret(r, 10), name+"ntp")), "## SECRET-DATA")
	ntp.raw("server", g.ip()+" key 1 prefer", "")
	ntp.raw("server", g.ip()+" key 1", "")
	ntp.set("trusted-key", "1")

	comm := plainSecret(r, 10)
	snmp := root.c("snmp")
	snmp.set("location", fmt.Sprintf("%s, rack %d", strings.ToUpper(g.pick(siteNames...)), 1+r.IntN(40)))
	snmp.set("contact", "noc@example.net")
	c := snmp.c("community " + comm)
	c.set("authorization", "read-only")
	c.c("clients").flag(g.subnet(16) + "/16")
	snmp.c("trap-group NMS").flag("version v2")
	snmp.c("trap-group NMS").c("targets").flag(g.ip())

	ifs := root.c("interfaces")
	nPhys := 4 + r.IntN(10)
	var up []string
	for i := 0; i < nPhys; i++ {
		ifn := fmt.Sprintf("ge-0/0/%d", i)
		in := ifs.c(ifn)
		if r.IntN(4) == 0 {
			in.flag("disable")
			continue
		}
		in.set("description", g.desc())
		a, _ := g.hostIn(30)
		in.c("unit 0").c("family inet").set("address", a+"/30")
		up = append(up, ifn+".0")
	}
	ifs.c("fxp0").c("unit 0").c("family inet").set("address", g.mgmtIP()+"/24")
	ifs.c("lo0").c("unit 0").c("family inet").set("address", g.loopbackIP()+"/32")

	ro := root.c("routing-options")
	ro.c("static").raw("route", "0.0.0.0/0 next-hop "+strings.Join(strings.Split(g.mgmtIP(), ".")[:3], ".")+".254", "")
	ro.set("router-id", g.loopbackIP())
	ro.set("autonomous-system", fmt.Sprint(g.asn()))

	proto := root.c("protocols")
	bgp := proto.c("bgp").c("group EXTERNAL")
	bgp.set("type", "external")
	bgp.set("export", "EXPORT-LOOPBACKS")
	for i := 0; i < 2+r.IntN(4); i++ {
		nb := bgp.c("neighbor " + g.ip())
		nb.set("description", g.desc())
		nb.setC("authentication-key", junos9(plainSecret(r, 12), name+fmt.Sprint("bgp", i)), "## SECRET-DATA")
		nb.set("peer-as", fmt.Sprint(64512+r.IntN(1000)))
	}
	area := proto.c("ospf").c("area 0.0.0.0")
	for _, u := range up {
		area.c("interface " + u).flag("interface-type p2p")
	}
	area.c("interface lo0.0").flag("passive")
	proto.c("lldp").flag("interface all")

	po := root.c("policy-options")
	pl := po.c("prefix-list PL-CUSTOMERS")
	addPL := func() int {
		bits := 16 + r.IntN(9)
		p := fmt.Sprintf("%s/%d", g.subnet(bits), bits)
		pl.children = append(pl.children, &jnode{name: p, leaf: true})
		return 8 + len(p) + 2 // "        10.1.0.0/16;\n"
	}
	for i := 0; i < 3+r.IntN(5); i++ {
		addPL()
	}
	ps := po.c("policy-statement EXPORT-LOOPBACKS").c("term 1")
	ps.c("from").set("interface", "lo0.0")
	ps.c("then").flag("accept")

	fw := root.c("firewall").c("family inet").c("filter PROTECT-RE")
	term := fw.c("term SSH")
	term.c("from").set("source-address", g.subnet(16)+"/16")
	term.c("from").set("protocol", "tcp")
	term.c("from").set("destination-port", "ssh")
	term.c("then").flag("accept")
	fw.c("term DEFAULT").c("then").flag("discard")

	// grow to the target size: more logical units and prefix-list entries
	size := len(root.render(0))
	if budget := g.cfg.ConfigSize - size; budget > 0 {
		unit := 100
		var trunk *jnode
		added := 0
		for ; added < budget*6/10; unit++ {
			if trunk == nil || unit%50 == 0 {
				trunk = &jnode{name: fmt.Sprintf("xe-0/1/%d", unit/50)}
				ifs.children = append(ifs.children, trunk)
				trunk.flag("vlan-tagging")
				added += len("    xe-0/1/0 {\n        vlan-tagging;\n    }\n")
			}
			u := &jnode{name: fmt.Sprintf("unit %d", unit)}
			trunk.children = append(trunk.children, u)
			u.set("description", g.desc())
			u.set("vlan-id", fmt.Sprint(unit))
			a, _ := g.hostIn(29)
			u.c("family inet").set("address", a+"/29")
			added += len((&jnode{children: []*jnode{u}}).render(2))
		}
		size += added
		for size < g.cfg.ConfigSize {
			size += addPL()
		}
	}
	return root
}
