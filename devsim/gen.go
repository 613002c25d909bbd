package devsim

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// generateConfig builds a device's configuration from its seed, name and size.
func generateConfig(cfg DeviceConfig, id identity) *config {
	g := &gen{rng: newRand(cfg.Seed, cfg.Name, "config"), cfg: cfg, id: id, host: cfg.Hostname}
	g.site = 1 + int(hashString(cfg.Name)%200)
	switch cfg.Platform {
	case CiscoNXOS:
		return &config{lines: g.nxos()}
	case CiscoIOSXR:
		return &config{lines: g.iosxr()}
	case AristaEOS:
		return &config{lines: g.eos()}
	case JuniperJunos:
		return &config{junos: g.junos()}
	}
	return &config{lines: g.iosxe()}
}

func hashString(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// gen is a configuration generator: sections of lines and a running byte count.
type gen struct {
	rng  *rand.Rand
	cfg  DeviceConfig
	id   identity
	host string
	site int
}

// section is a growing list of configuration lines with their size.
type section struct {
	lines []string
	size  int
}

func (s *section) add(format string, args ...any) {
	l := format
	if len(args) > 0 {
		l = fmt.Sprintf(format, args...)
	}
	s.lines = append(s.lines, l)
	s.size += len(l) + 1
}

func (s *section) addAll(ls ...string) {
	for _, l := range ls {
		s.lines = append(s.lines, l)
		s.size += len(l) + 1
	}
}

func joinSections(ss ...*section) []string {
	n := 0
	for _, s := range ss {
		n += len(s.lines)
	}
	out := make([]string, 0, n)
	for _, s := range ss {
		out = append(out, s.lines...)
	}
	return out
}

func totalSize(ss ...*section) int {
	n := 0
	for _, s := range ss {
		n += s.size
	}
	return n
}

// ip returns a dotted quad in 10.0.0.0/8 drawn from the generator.
func (g *gen) ip() string {
	return fmt.Sprintf("10.%d.%d.%d", g.rng.IntN(250)+1, g.rng.IntN(256), g.rng.IntN(253)+1)
}

// mgmtIP is the device's management address (stable per device).
func (g *gen) mgmtIP() string {
	h := hashString(g.cfg.Name)
	return fmt.Sprintf("10.%d.%d.%d", 200+h%50, (h>>8)%256, 1+(h>>16)%253)
}

// loopbackIP is the device's router id.
func (g *gen) loopbackIP() string {
	h := hashString(g.cfg.Name + "lo")
	return fmt.Sprintf("10.255.%d.%d", (h>>8)%256, 1+(h>>16)%253)
}

func (g *gen) pick(vs ...string) string { return vs[g.rng.IntN(len(vs))] }

// asn is the device's BGP AS number.
func (g *gen) asn() int { return 64512 + g.site }

var descWords = []string{"uplink", "core", "dist", "access", "wan", "transit", "peer", "customer", "server", "storage", "backup", "dmz", "voice", "mgmt", "lab"}
var siteNames = []string{"ams", "fra", "lon", "par", "mad", "nyc", "sjc", "dfw", "sin", "syd", "tyo", "gru"}

func (g *gen) desc() string {
	return fmt.Sprintf("%s-%s%d-%s", strings.ToUpper(g.pick(descWords...)), g.pick(siteNames...), 1+g.rng.IntN(9), g.pick("rtr", "sw", "fw", "pe", "ce", "srv")+fmt.Sprint(1+g.rng.IntN(40)))
}

func maskOf(bits int) string {
	m := uint32(0xffffffff) << (32 - bits)
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, (m>>16)&255, (m>>8)&255, m&255)
}

func wildcardOf(bits int) string {
	m := ^(uint32(0xffffffff) << (32 - bits))
	return fmt.Sprintf("%d.%d.%d.%d", m>>24, (m>>16)&255, (m>>8)&255, m&255)
}

// subnet draws a network address of the given prefix length inside 10/8.
func (g *gen) subnet(bits int) string {
	a := uint32(10)<<24 | uint32(g.rng.IntN(1<<24))
	a &= uint32(0xffffffff) << (32 - bits)
	return fmt.Sprintf("%d.%d.%d.%d", a>>24, (a>>16)&255, (a>>8)&255, a&255)
}

func (g *gen) hostIn(bits int) (addr, mask string) {
	a := uint32(10)<<24 | uint32(g.rng.IntN(1<<24))
	host := uint32(1 + g.rng.IntN((1<<(32-bits))-2))
	a = a&(uint32(0xffffffff)<<(32-bits)) | host
	return fmt.Sprintf("%d.%d.%d.%d", a>>24, (a>>16)&255, (a>>8)&255, a&255), maskOf(bits)
}
