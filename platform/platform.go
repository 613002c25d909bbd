package platform

import (
	"slices"
	"strings"
)

// The canonical platform names.
const (
	CiscoIOSXE   = "cisco_iosxe"   // Cisco IOS and IOS-XE
	CiscoNXOS    = "cisco_nxos"    // Cisco NX-OS
	CiscoIOSXR   = "cisco_iosxr"   // Cisco IOS-XR
	AristaEOS    = "arista_eos"    // Arista EOS
	JuniperJunos = "juniper_junos" // Juniper Junos
	NokiaSRL     = "nokia_srl"     // Nokia SR Linux
)

// table lists each canonical name with its aliases, in Key form. Sources: NAPALM/Nornir (ios,
// nxos, nxos_ssh, iosxr, iosxr_netconf, eos, junos), Netmiko (cisco_ios, cisco_xe, cisco_nxos,
// cisco_xr, arista_eos, juniper, juniper_junos, nokia_srl), scrapli (the canonical names),
// Ansible network OS names (cisco.ios.ios, ...), NetBox slugs as NetBox derives them from
// platform names ("Cisco IOS-XE" -> cisco-ios-xe), and model names that inventories use as a
// platform (csr1000v, cat8000v, nexus).
var table = []struct {
	name    string
	aliases []string
}{
	{CiscoIOSXE, []string{"ios", "iosxe", "ios_xe", "cisco_ios", "cisco_xe", "cisco_ios_xe",
		"cisco_ios_ssh", "cisco_xe_ssh", "csr1000v", "cat8000v", "c8000v", "cisco.ios.ios"}},
	{CiscoNXOS, []string{"nxos", "nx_os", "nxos_ssh", "cisco_nx_os", "cisco_nxos_ssh",
		"cisco_nexus", "nexus", "cisco.nxos.nxos"}},
	{CiscoIOSXR, []string{"iosxr", "ios_xr", "xr", "cisco_xr", "cisco_ios_xr", "cisco_xr_ssh",
		"iosxr_netconf", "cisco.iosxr.iosxr"}},
	{AristaEOS, []string{"eos", "arista", "arista.eos.eos"}},
	{JuniperJunos, []string{"junos", "juniper", "juniper_junos_ssh", "junipernetworks.junos.junos"}},
	{NokiaSRL, []string{"srl", "srlinux", "sr_linux", "nokia_srlinux", "nokia_sr_linux"}},
}

// index maps every name of the table (canonical names and aliases) to its canonical name.
var index = func() map[string]string {
	m := map[string]string{}
	for _, p := range table {
		m[p.name] = p.name
		for _, a := range p.aliases {
			if _, dup := m[a]; dup || a != Key(a) {
				panic("platform: bad table entry " + a)
			}
			m[a] = p.name
		}
	}
	return m
}()

// Key returns the form in which platform names are compared: trimmed, lower case, with '-' and
// ' ' as '_' (so the NetBox slug "cisco-ios-xe" and "Cisco IOS XE" both give "cisco_ios_xe").
func Key(name string) string {
	name = strings.TrimSpace(name)
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '-' || c == ' ' || c >= 0x80 || ('A' <= c && c <= 'Z') {
			return strings.Map(keyRune, strings.ToLower(name))
		}
	}
	return name // already a key: no allocation
}

func keyRune(r rune) rune {
	if r == '-' || r == ' ' {
		return '_'
	}
	return r
}

// Canonical returns the canonical name of a platform given by any of its names, and whether the
// name is known. An unknown name gives its Key and false.
func Canonical(name string) (string, bool) {
	k := Key(name)
	c, ok := index[k]
	if !ok {
		return k, false
	}
	return c, true
}

// Normalize returns the canonical name of a known platform name, else the name's Key.
func Normalize(name string) string {
	c, _ := Canonical(name)
	return c
}

// Known reports whether name is a canonical name or an alias of the table.
func Known(name string) bool {
	_, ok := index[Key(name)]
	return ok
}

// Names returns the canonical names, in the table's order.
func Names() []string {
	out := make([]string, len(table))
	for i, p := range table {
		out[i] = p.name
	}
	return out
}

// Aliases returns the other names of the platform that name (canonical or alias) stands for, in
// Key form, or nil when name is unknown. The slice is the caller's.
func Aliases(name string) []string {
	c, ok := Canonical(name)
	if !ok {
		return nil
	}
	for _, p := range table {
		if p.name == c {
			return slices.Clone(p.aliases)
		}
	}
	return nil
}
