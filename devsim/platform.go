package devsim

import "fmt"

// Platform names a simulated device's operating system. The values are the scrapli and Nornir
// platform names, so they can be written to an inventory as they are.
type Platform string

// The simulated platforms.
const (
	CiscoIOSXE   Platform = "cisco_iosxe"
	CiscoNXOS    Platform = "cisco_nxos"
	CiscoIOSXR   Platform = "cisco_iosxr"
	AristaEOS    Platform = "arista_eos"
	JuniperJunos Platform = "juniper_junos"
)

// Platforms returns every simulated platform, in a fixed order.
func Platforms() []Platform {
	return []Platform{CiscoIOSXE, CiscoNXOS, CiscoIOSXR, AristaEOS, JuniperJunos}
}

// Valid reports whether p is one of the simulated platforms.
func (p Platform) Valid() bool {
	switch p {
	case CiscoIOSXE, CiscoNXOS, CiscoIOSXR, AristaEOS, JuniperJunos:
		return true
	}
	return false
}

// String returns the platform name.
func (p Platform) String() string { return string(p) }

// ParsePlatform returns the Platform named s, or an error listing the valid names.
func ParsePlatform(s string) (Platform, error) {
	p := Platform(s)
	if !p.Valid() {
		return "", fmt.Errorf("devsim: unknown platform %q (want one of %v)", s, Platforms())
	}
	return p, nil
}

// defaultHostname is the hostname a device of that platform gets when its config names none:
// the hostnames of the devices recorded in the shared device sessions.
func (p Platform) defaultHostname() string {
	switch p {
	case CiscoNXOS:
		return "switch"
	case CiscoIOSXR:
		return "ios"
	case AristaEOS:
		return "localhost"
	case JuniperJunos:
		return "vsrx"
	}
	return "csr1000v"
}

// factoryHostname is the hostname a device has when its configuration sets none.
func (p Platform) factoryHostname() string {
	switch p {
	case CiscoIOSXE:
		return "Router"
	case CiscoIOSXR:
		return "ios"
	}
	return p.defaultHostname()
}

// defaultPrivilege is the privilege level a user logs in with by default: the level the recorded
// devices start in (IOS-XE, NX-OS and IOS-XR users land in privileged exec, EOS users in exec).
func (p Platform) defaultPrivilege() int {
	if p == AristaEOS {
		return 1
	}
	return 15
}

// sshVersion is the identification string the device's SSH server sends.
func (p Platform) sshVersion() string {
	switch p {
	case AristaEOS:
		return "SSH-2.0-OpenSSH_7.8"
	case JuniperJunos:
		return "SSH-2.0-OpenSSH_7.5"
	}
	return "SSH-2.0-Cisco-1.25"
}
