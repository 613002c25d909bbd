package textfsm

import (
	"slices"

	"github.com/gonorn/norn/platform"
)

// ntcNames maps a canonical platform to the names index files use for it: norn's, then
// ntc-templates' and Netmiko's (ntc-templates files IOS-XE templates under cisco_ios).
var ntcNames = map[string][]string{
	platform.CiscoIOSXE:   {platform.CiscoIOSXE, "cisco_ios", "cisco_xe"},
	platform.CiscoNXOS:    {platform.CiscoNXOS},
	platform.CiscoIOSXR:   {platform.CiscoIOSXR, "cisco_xr"},
	platform.AristaEOS:    {platform.AristaEOS},
	platform.JuniperJunos: {platform.JuniperJunos},
	platform.NokiaSRL:     {platform.NokiaSRL},
}

// IndexPlatforms returns the names an index may use for a platform given by any of its names
// (package platform's table: cisco_iosxe, ios, cisco_xe, nxos, eos, junos, ...): the name as
// given, norn's canonical name, and the ntc-templates / Netmiko names (cisco_ios, cisco_xr,
// arista_eos, juniper_junos, ...). An unknown name is used as given.
func IndexPlatforms(name string) []string {
	names := []string{name}
	canon, ok := platform.Canonical(name)
	if !ok {
		return names
	}
	for _, n := range ntcNames[canon] {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}
