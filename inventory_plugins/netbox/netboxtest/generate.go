package netboxtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Fleet is a set of NetBox objects to load into a fake with AddFleet.
type Fleet struct {
	Regions         []Region
	Sites           []Site
	Locations       []Location
	Roles           []Role
	Platforms       []Platform
	Manufacturers   []Manufacturer
	DeviceTypes     []DeviceType
	Tenants         []Tenant
	Tags            []Tag
	Devices         []Device
	VirtualMachines []VirtualMachine
}

// AddFleet adds every object of f.
func (s *Server) AddFleet(f Fleet) {
	s.AddRegions(f.Regions...)
	s.AddManufacturers(f.Manufacturers...)
	s.AddTenants(f.Tenants...)
	s.AddSites(f.Sites...)
	s.AddLocations(f.Locations...)
	s.AddRoles(f.Roles...)
	s.AddPlatforms(f.Platforms...)
	s.AddDeviceTypes(f.DeviceTypes...)
	s.AddTags(f.Tags...)
	s.AddDevices(f.Devices...)
	s.AddVirtualMachines(f.VirtualMachines...)
}

type genModel struct {
	mfr, slug, model, platform string
	roles                      []string
}

var genModels = []genModel{
	{"cisco", "c9300-48p", "C9300-48P", "cisco-ios-xe", []string{"access"}},
	{"cisco", "c9500-48y4c", "C9500-48Y4C", "cisco-ios-xe", []string{"core", "distribution"}},
	{"cisco", "n9k-c93180yc-fx", "N9K-C93180YC-FX", "cisco-nx-os", []string{"leaf"}},
	{"cisco", "n9k-c9336c-fx2", "N9K-C9336C-FX2", "cisco-nx-os", []string{"spine"}},
	{"cisco", "asr-9901", "ASR-9901", "cisco-ios-xr", []string{"edge-router"}},
	{"arista", "dcs-7050sx3-48yc8", "DCS-7050SX3-48YC8", "arista-eos", []string{"leaf"}},
	{"arista", "dcs-7280cr3-32p4", "DCS-7280CR3-32P4", "arista-eos", []string{"spine", "core"}},
	{"juniper", "mx204", "MX204", "juniper-junos", []string{"edge-router"}},
	{"juniper", "srx345", "SRX345", "juniper-junos", []string{"firewall"}},
	{"juniper", "ex4300-48t", "EX4300-48T", "juniper-junos", []string{"access", "oob-switch"}},
}

var genCities = []struct{ code, name, country, region string }{
	{"ams", "Amsterdam", "nl", "europe"}, {"fra", "Frankfurt", "de", "europe"}, {"lon", "London", "gb", "europe"},
	{"par", "Paris", "fr", "europe"}, {"mad", "Madrid", "es", "europe"}, {"nyc", "New York", "us", "north-america"},
	{"chi", "Chicago", "us", "north-america"}, {"dal", "Dallas", "us", "north-america"},
	{"tor", "Toronto", "ca", "north-america"}, {"sin", "Singapore", "sg", "asia-pacific"},
	{"tyo", "Tokyo", "jp", "asia-pacific"}, {"syd", "Sydney", "au", "asia-pacific"},
}

var genCountries = map[string]string{
	"nl": "Netherlands", "de": "Germany", "gb": "United Kingdom", "fr": "France", "es": "Spain",
	"us": "United States", "ca": "Canada", "sg": "Singapore", "jp": "Japan", "au": "Australia",
}

// Generate returns a realistic fleet of devices and virtual machines spread over sites (about
// 40 devices a site) in three continents, with roles, platforms, device types of Cisco, Arista
// and Juniper, tenants, tags, custom fields, primary IPv4 addresses (IPv6, OOB addresses and DNS
// names on some) and config contexts. Served by a NetBox 4 fake, a device is about 2.8 KB of
// JSON (NetBox 4's full device objects are 2.5 to 3 KB). The same seed gives the same fleet.
func Generate(devices, vms int, seed uint64) Fleet {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var f Fleet
	f.Regions = []Region{{Slug: "europe", Name: "Europe"}, {Slug: "north-america", Name: "North America"}, {Slug: "asia-pacific", Name: "Asia Pacific"}}
	codes := make([]string, 0, len(genCountries))
	for code := range genCountries {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		name := genCountries[code]
		parent := ""
		for _, c := range genCities {
			if c.country == code {
				parent = c.region
			}
		}
		f.Regions = append(f.Regions, Region{Slug: code, Name: name, Parent: parent})
	}
	f.Manufacturers = []Manufacturer{{Slug: "cisco", Name: "Cisco"}, {Slug: "arista", Name: "Arista"}, {Slug: "juniper", Name: "Juniper"}}
	f.Platforms = []Platform{
		{Slug: "cisco-ios-xe", Name: "Cisco IOS-XE", Manufacturer: "cisco"},
		{Slug: "cisco-nx-os", Name: "Cisco NX-OS", Manufacturer: "cisco"},
		{Slug: "cisco-ios-xr", Name: "Cisco IOS-XR", Manufacturer: "cisco"},
		{Slug: "arista-eos", Name: "Arista EOS", Manufacturer: "arista"},
		{Slug: "juniper-junos", Name: "Juniper Junos", Manufacturer: "juniper"},
		{Slug: "ubuntu-22-04", Name: "Ubuntu 22.04"},
	}
	for _, m := range genModels {
		f.DeviceTypes = append(f.DeviceTypes, DeviceType{Slug: m.slug, Model: m.model, Manufacturer: m.mfr})
	}
	for _, r := range []string{"core", "distribution", "access", "spine", "leaf", "edge-router", "firewall", "oob-switch", "server"} {
		f.Roles = append(f.Roles, Role{Slug: r, Name: titleWords(r), Color: "2196f3"})
	}
	f.Tenants = []Tenant{{Slug: "infra", Name: "Infrastructure"}, {Slug: "retail", Name: "Retail"}, {Slug: "cloud", Name: "Cloud Services"}}
	tags := []string{"backup", "monitored", "pci", "production", "lab", "critical", "dual-psu"}
	for _, t := range tags {
		f.Tags = append(f.Tags, Tag{Slug: t, Name: titleWords(t), Color: "4caf50"})
	}

	nSites := max(1, (devices+vms+39)/40)
	for i := 0; i < nSites; i++ {
		c := genCities[i%len(genCities)]
		n := i/len(genCities) + 1
		slug := fmt.Sprintf("%s%d", c.code, n)
		f.Sites = append(f.Sites, Site{Slug: slug, Name: fmt.Sprintf("%s %d", c.name, n), Region: c.country, Tenant: "infra"})
		f.Locations = append(f.Locations, Location{Slug: slug + "-hall-a", Name: "Hall A", Site: slug})
	}

	statuses := []string{"active", "active", "active", "active", "active", "active", "active", "planned", "offline", "staged"}
	for i := 0; i < devices; i++ {
		site := f.Sites[i%nSites]
		m := genModels[rng.IntN(len(genModels))]
		role := m.roles[rng.IntN(len(m.roles))]
		idx := i/nSites + 1
		name := fmt.Sprintf("%s-%s-%03d", site.Slug, role, idx)
		d := Device{
			Name: name, Site: site.Slug, Role: role, Platform: m.platform, DeviceType: m.slug,
			Manufacturer: m.mfr, Tenant: f.Tenants[rng.IntN(len(f.Tenants))].Slug,
			Status: statuses[rng.IntN(len(statuses))], Serial: serial(rng),
			Description: titleWords(role) + " " + m.model,
			PrimaryIP4:  fmt.Sprintf("10.%d.%d.%d/32", 1+i/62500, (i/250)%250, 1+i%250),
		}
		if rng.IntN(10) < 4 {
			d.Location, d.Rack = site.Slug+"-hall-a", fmt.Sprintf("%s-R%02d", site.Slug, 1+idx/20)
		}
		if rng.IntN(10) < 7 {
			d.AssetTag = fmt.Sprintf("AT-%07d", 1000000+i)
		}
		if i%20 == 0 {
			d.Comments = "Replaced PSU 2 under RMA; see the change record."
		}
		if i%8 == 0 {
			d.PrimaryIP6 = fmt.Sprintf("2001:db8:%x:%x::1/128", 1+i/65536, i%65536)
		}
		if i%4 == 0 {
			d.OOBIP = fmt.Sprintf("172.%d.%d.%d/24", 16+i/62500, (i/250)%250, 1+i%250)
		}
		if i%3 == 1 {
			d.DNSName = name + ".net.example.com"
		}
		n := 1 + rng.IntN(2)
		for _, k := range rng.Perm(len(tags))[:n] {
			d.Tags = append(d.Tags, tags[k])
		}
		d.CustomFields = map[string]any{
			"backup_enabled":   rng.IntN(10) != 0,
			"support_contract": fmt.Sprintf("CT-%08d", rng.IntN(100000000)),
			"commission_date":  fmt.Sprintf("20%02d-%02d-%02d", 15+rng.IntN(10), 1+rng.IntN(12), 1+rng.IntN(28)),
			"snmp_location":    fmt.Sprintf("%s, Hall A, rack %d", site.Name, 1+idx/20),
			"power_draw_watts": 150 + rng.IntN(900),
		}
		d.ConfigContext = map[string]any{
			"ntp_servers": []string{"192.0.2.123", "192.0.2.124"},
			"domain_name": "net.example.com",
			"syslog_host": "192.0.2.50",
		}
		f.Devices = append(f.Devices, d)
	}
	for i := 0; i < vms; i++ {
		site := f.Sites[i%nSites]
		v := VirtualMachine{
			Name: fmt.Sprintf("%s-vm-%04d", site.Slug, i/nSites+1), Site: site.Slug, Role: "server",
			Platform: "ubuntu-22-04", Tenant: "cloud", Cluster: site.Slug + "-cluster",
			Status: statuses[rng.IntN(len(statuses))], VCPUs: float64(int(2) << rng.IntN(3)),
			MemoryMB: 4096 << rng.IntN(3), DiskGB: 40 << rng.IntN(3),
			PrimaryIP4:   fmt.Sprintf("10.200.%d.%d/32", (i/250)%250, 1+i%250),
			Tags:         []string{tags[rng.IntN(len(tags))]},
			CustomFields: map[string]any{"backup_enabled": true},
		}
		f.VirtualMachines = append(f.VirtualMachines, v)
	}
	return f
}

func serial(rng *rand.Rand) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	b := make([]byte, 11)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

func titleWords(s string) string {
	b := []byte(s)
	up := true
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = ' '
			up = true
		case up && c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
			up = false
		default:
			up = false
		}
	}
	return string(b)
}
