package devsim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// identity is what a device says about itself in "show version": model, software version,
// serial number, MAC address, boot time. It is drawn from the seed and the device name.
type identity struct {
	model    string // the model as show version prints it (CSR1000V, N9K-C93180YC-EX, ...)
	version  string // software version as the platform writes it (17.6.5, 9.3(10), 7.5.2, 4.28.3M, 21.4R3-S2.3)
	train    string // IOS-XE release train name, NX-OS BIOS, ...
	serial   string
	mac      [6]byte
	memoryKB int
	boot     time.Time // when the device "booted"
	changed  time.Time // initial "last configuration change"
	saved    time.Time // initial "NVRAM config last updated"
	by       string    // who made the initial last change
	sessions uint32    // base for NETCONF session ids
}

type versionInfo struct{ version, train string }

var (
	iosxeModels   = []string{"CSR1000V", "ISR4431/K9", "ISR4451-X/K9", "C8300-1N1S-6T", "ASR1001-X", "C9300-48P"}
	iosxeVersions = []versionInfo{{"16.12.3", "Gibraltar"}, {"17.3.4a", "Amsterdam"}, {"17.6.5", "Bengaluru"}, {"17.9.4a", "Cupertino"}}
	nxosModels    = []string{"N9K-C93180YC-EX", "N9K-C9336C-FX2", "N9K-C93240YC-FX2", "N9K-C9364C", "N9K-9000v"}
	nxosVersions  = []versionInfo{{"9.3(10)", "9.3"}, {"9.3(8)", "9.3"}, {"10.2(5)", "10.2"}, {"10.3(3)", "10.3"}}
	iosxrModels   = []string{"ASR-9901", "ASR-9903", "NCS-5501-SE", "NCS-55A1-24H", "IOS-XRv 9000"}
	iosxrVersions = []versionInfo{{"6.5.3", ""}, {"7.3.2", ""}, {"7.5.2", ""}, {"7.8.2", ""}}
	eosModels     = []string{"DCS-7050SX3-48YC8", "DCS-7280SR3-48YC8", "DCS-7050CX3-32S", "DCS-720XP-48ZC2", "vEOS-lab"}
	eosVersions   = []versionInfo{{"4.28.3M", ""}, {"4.29.2F", ""}, {"4.30.1F", ""}, {"4.22.1F", ""}}
	junosModels   = []string{"mx204", "mx480", "srx4100", "qfx5120-48y-8c", "ex4300-48t", "vsrx"}
	junosVersions = []versionInfo{{"17.3R2.10", ""}, {"20.4R3-S4.8", ""}, {"21.4R3-S2.3", ""}, {"22.4R2.8", ""}}
	serialAlpha   = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	staffUsers    = []string{"admin", "netops", "automation", "jsmith", "mlopez", "akumar"}
)

func newIdentity(cfg DeviceConfig) identity {
	rng := newRand(cfg.Seed, cfg.Name, "identity")
	var id identity
	pick := func(vs []versionInfo) versionInfo { return vs[rng.IntN(len(vs))] }
	var v versionInfo
	switch cfg.Platform {
	case CiscoNXOS:
		id.model, v = nxosModels[rng.IntN(len(nxosModels))], pick(nxosVersions)
		id.serial = "FDO" + randString(rng, serialAlpha, 8)
	case CiscoIOSXR:
		id.model, v = iosxrModels[rng.IntN(len(iosxrModels))], pick(iosxrVersions)
		id.serial = "FOC" + randString(rng, serialAlpha, 8)
	case AristaEOS:
		id.model, v = eosModels[rng.IntN(len(eosModels))], pick(eosVersions)
		id.serial = "JPE" + randString(rng, serialAlpha, 8)
	case JuniperJunos:
		id.model, v = junosModels[rng.IntN(len(junosModels))], pick(junosVersions)
		id.serial = randString(rng, "ABCDEFGHJKLMNPRSTUVWXYZ", 2) + randString(rng, "0123456789", 4)
	default:
		id.model, v = iosxeModels[rng.IntN(len(iosxeModels))], pick(iosxeVersions)
		id.serial = "9" + randString(rng, serialAlpha, 10)
	}
	id.version, id.train = v.version, v.train
	id.mac = [6]byte{0x00, 0x1c, byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}
	if cfg.Platform == AristaEOS {
		id.mac[0], id.mac[1] = 0x28, 0x99
	}
	id.memoryKB = []int{4008840, 8159680, 16281364, 32560312}[rng.IntN(4)]
	now := time.Now().UTC().Truncate(time.Second)
	uptime := time.Duration(1+rng.IntN(400*24)) * time.Hour / 1
	uptime += time.Duration(rng.IntN(3600)) * time.Second
	id.boot = now.Add(-uptime)
	id.changed = now.Add(-time.Duration(1+rng.IntN(60*24*60)) * time.Minute)
	id.saved = id.changed.Add(time.Duration(5+rng.IntN(600)) * time.Second)
	id.by = staffUsers[rng.IntN(len(staffUsers))]
	id.sessions = uint32(1000 + rng.IntN(50000))
	return id
}

func randString(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// macDotted formats a MAC the Cisco way (0011.2233.4455).
func macDotted(m [6]byte) string {
	return fmt.Sprintf("%02x%02x.%02x%02x.%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// uptimeParts splits a duration into years, weeks, days, hours, minutes.
func uptimeParts(d time.Duration) (years, weeks, days, hours, minutes, seconds int) {
	total := int(d / time.Second)
	seconds = total % 60
	total /= 60
	minutes = total % 60
	total /= 60
	hours = total % 24
	total /= 24
	years = total / 365
	total %= 365
	weeks = total / 7
	days = total % 7
	return
}

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
