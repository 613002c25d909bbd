package netboxtest

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

type kind int

const (
	kRegion kind = iota
	kSite
	kLocation
	kRole
	kPlatform
	kManufacturer
	kDeviceType
	kTenant
	kTag
	kRack
	kCluster
	numKinds
)

// apiPath is where NetBox serves each kind of object, for url fields.
var apiPath = [numKinds]string{
	kRegion: "dcim/regions", kSite: "dcim/sites", kLocation: "dcim/locations", kRole: "dcim/device-roles",
	kPlatform: "dcim/platforms", kManufacturer: "dcim/manufacturers", kDeviceType: "dcim/device-types",
	kTenant: "tenancy/tenants", kTag: "extras/tags", kRack: "dcim/racks", kCluster: "virtualization/clusters",
}

// org is any related object (site, role, region, ...), keyed by slug (by name for racks and
// clusters).
type org struct {
	id           int
	slug, name   string
	parent       string // region, location
	site         string // location, rack
	region       string // site
	tenant       string // site
	manufacturer string // platform, device type
	color        string // role, tag
}

type device struct {
	Device
	ip4, ip6, oob, extra *ipAddr
}

type vmachine struct {
	VirtualMachine
	ip4, ip6, extra *ipAddr
}

type ipAddr struct {
	id      int
	address string
	family  int
	dnsName string
	dev     *device
	vm      *vmachine
	iface   string
}

// item is one object of a list answer.
type item struct {
	kind endpoint
	dev  *device
	vm   *vmachine
	org  *org
	ip   *ipAddr
}

// ensureLocked returns the object of kind k with that key, creating it (named after its key)
// when it does not exist. An empty key returns nil.
func (s *Server) ensureLocked(k kind, key string) *org {
	if key == "" {
		return nil
	}
	if o := s.orgs[k][key]; o != nil {
		return o
	}
	s.nextOrg[k]++
	o := &org{id: s.nextOrg[k], slug: key, name: key}
	switch k {
	case kRole, kTag:
		o.color = "9e9e9e"
	}
	s.orgs[k][key] = o
	s.orgByID[k][o.id] = o
	return o
}

func (s *Server) changedLocked() {
	s.dirty = true
	clear(s.cache)
	clear(s.selCache)
}

// AddRegions adds regions (a parent may be added after its children).
func (s *Server) AddRegions(rs ...Region) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		o := s.ensureLocked(kRegion, r.Slug)
		o.name, o.parent = orDefault(r.Name, r.Slug), r.Parent
		s.ensureLocked(kRegion, r.Parent)
	}
	s.changedLocked()
}

// AddSites adds sites.
func (s *Server) AddSites(ss ...Site) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range ss {
		o := s.ensureLocked(kSite, x.Slug)
		o.name, o.region, o.tenant = orDefault(x.Name, x.Slug), x.Region, x.Tenant
		s.ensureLocked(kRegion, x.Region)
		s.ensureLocked(kTenant, x.Tenant)
	}
	s.changedLocked()
}

// AddLocations adds locations.
func (s *Server) AddLocations(ls ...Location) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range ls {
		o := s.ensureLocked(kLocation, x.Slug)
		o.name, o.site, o.parent = orDefault(x.Name, x.Slug), x.Site, x.Parent
		s.ensureLocked(kSite, x.Site)
		s.ensureLocked(kLocation, x.Parent)
	}
	s.changedLocked()
}

// AddRoles adds device roles.
func (s *Server) AddRoles(rs ...Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range rs {
		o := s.ensureLocked(kRole, x.Slug)
		o.name = orDefault(x.Name, x.Slug)
		if x.Color != "" {
			o.color = x.Color
		}
	}
	s.changedLocked()
}

// AddPlatforms adds platforms.
func (s *Server) AddPlatforms(ps ...Platform) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range ps {
		o := s.ensureLocked(kPlatform, x.Slug)
		o.name, o.manufacturer = orDefault(x.Name, x.Slug), x.Manufacturer
		s.ensureLocked(kManufacturer, x.Manufacturer)
	}
	s.changedLocked()
}

// AddManufacturers adds manufacturers.
func (s *Server) AddManufacturers(ms ...Manufacturer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range ms {
		o := s.ensureLocked(kManufacturer, x.Slug)
		o.name = orDefault(x.Name, x.Slug)
	}
	s.changedLocked()
}

// AddDeviceTypes adds device types.
func (s *Server) AddDeviceTypes(ts ...DeviceType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range ts {
		o := s.ensureLocked(kDeviceType, x.Slug)
		o.name, o.manufacturer = orDefault(x.Model, x.Slug), x.Manufacturer
		s.ensureLocked(kManufacturer, x.Manufacturer)
	}
	s.changedLocked()
}

// AddTenants adds tenants.
func (s *Server) AddTenants(ts ...Tenant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range ts {
		o := s.ensureLocked(kTenant, x.Slug)
		o.name = orDefault(x.Name, x.Slug)
	}
	s.changedLocked()
}

// AddTags adds tags.
func (s *Server) AddTags(ts ...Tag) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range ts {
		o := s.ensureLocked(kTag, x.Slug)
		o.name = orDefault(x.Name, x.Slug)
		if x.Color != "" {
			o.color = x.Color
		}
	}
	s.changedLocked()
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// AddDevices adds devices and returns their ids. It panics on a bad address or a duplicate id
// (a mistake in the test).
func (s *Server) AddDevices(ds ...Device) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, 0, len(ds))
	for _, d := range ds {
		if d.ID == 0 {
			s.nextDev++
			for s.devByID[s.nextDev] != nil {
				s.nextDev++
			}
			d.ID = s.nextDev
		} else if s.devByID[d.ID] != nil {
			panic(fmt.Sprintf("netboxtest: duplicate device id %d", d.ID))
		}
		d.Site = orDefault(d.Site, "site-1")
		d.Role = orDefault(d.Role, "role-1")
		d.DeviceType = orDefault(d.DeviceType, "generic")
		d.Status = orDefault(d.Status, "active")
		if _, ok := deviceStatuses[d.Status]; !ok {
			panic(fmt.Sprintf("netboxtest: device status %q is not a NetBox device status", d.Status))
		}
		s.ensureLocked(kSite, d.Site)
		s.ensureLocked(kRole, d.Role)
		s.ensureLocked(kPlatform, d.Platform)
		s.ensureLocked(kTenant, d.Tenant)
		if d.Location != "" && s.orgs[kLocation][d.Location] == nil {
			s.ensureLocked(kLocation, d.Location).site = d.Site
		}
		if d.Rack != "" && s.orgs[kRack][d.Rack] == nil {
			s.ensureLocked(kRack, d.Rack).site = d.Site
		}
		s.ensureLocked(kCluster, d.Cluster)
		if s.orgs[kDeviceType][d.DeviceType] == nil {
			dt := s.ensureLocked(kDeviceType, d.DeviceType)
			dt.manufacturer = orDefault(d.Manufacturer, "generic")
		}
		s.ensureLocked(kManufacturer, s.orgs[kDeviceType][d.DeviceType].manufacturer)
		for _, t := range d.Tags {
			s.ensureLocked(kTag, t)
		}
		dv := &device{Device: d}
		dv.CustomFields = copyMap(d.CustomFields)
		dv.Tags = append([]string(nil), d.Tags...)
		dv.ip4 = s.newIPLocked(d.PrimaryIP4, "eth0")
		dv.ip6 = s.newIPLocked(d.PrimaryIP6, "eth0")
		dv.oob = s.newIPLocked(d.OOBIP, "mgmt0")
		dv.extra = s.newIPLocked(d.InterfaceIP, "eth1")
		for _, ip := range []*ipAddr{dv.ip4, dv.ip6, dv.oob, dv.extra} {
			if ip != nil {
				ip.dev = dv
			}
		}
		setDNS(d.DNSName, dv.ip4, dv.ip6, dv.oob, dv.extra)
		s.devices = append(s.devices, dv)
		s.devByID[d.ID] = dv
		ids = append(ids, d.ID)
	}
	s.changedLocked()
	return ids
}

// RemoveDevice deletes a device (and its addresses); it reports whether it existed.
func (s *Server) RemoveDevice(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devByID[id]
	if d == nil {
		return false
	}
	delete(s.devByID, id)
	for i, x := range s.devices {
		if x == d {
			s.devices = append(s.devices[:i], s.devices[i+1:]...)
			break
		}
	}
	kept := s.ips[:0]
	for _, ip := range s.ips {
		if ip.dev != d {
			kept = append(kept, ip)
		}
	}
	s.ips = kept
	s.changedLocked()
	return true
}

// AddVirtualMachines adds virtual machines and returns their ids.
func (s *Server) AddVirtualMachines(vs ...VirtualMachine) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, 0, len(vs))
	for _, v := range vs {
		if v.ID == 0 {
			s.nextVM++
			for s.vmByID[s.nextVM] != nil {
				s.nextVM++
			}
			v.ID = s.nextVM
		} else if s.vmByID[v.ID] != nil {
			panic(fmt.Sprintf("netboxtest: duplicate virtual machine id %d", v.ID))
		}
		v.Status = orDefault(v.Status, "active")
		if _, ok := vmStatuses[v.Status]; !ok {
			panic(fmt.Sprintf("netboxtest: virtual machine status %q is not a NetBox status", v.Status))
		}
		s.ensureLocked(kSite, v.Site)
		s.ensureLocked(kRole, v.Role)
		s.ensureLocked(kPlatform, v.Platform)
		s.ensureLocked(kTenant, v.Tenant)
		s.ensureLocked(kCluster, v.Cluster)
		for _, t := range v.Tags {
			s.ensureLocked(kTag, t)
		}
		vm := &vmachine{VirtualMachine: v}
		vm.CustomFields = copyMap(v.CustomFields)
		vm.Tags = append([]string(nil), v.Tags...)
		vm.ip4 = s.newIPLocked(v.PrimaryIP4, "eth0")
		vm.ip6 = s.newIPLocked(v.PrimaryIP6, "eth0")
		for _, ip := range []*ipAddr{vm.ip4, vm.ip6} {
			if ip != nil {
				ip.vm = vm
			}
		}
		if v.DNSName != "" && vm.ip4 == nil && vm.ip6 == nil {
			// The name has to live on some address: give the machine one on eth1.
			vm.extra = s.newIPLocked("198.51.100.1/32", "eth1")
			vm.extra.vm = vm
		}
		setDNS(v.DNSName, vm.ip4, vm.ip6, vm.extra)
		s.vms = append(s.vms, vm)
		s.vmByID[v.ID] = vm
		ids = append(ids, v.ID)
	}
	s.changedLocked()
	return ids
}

func setDNS(name string, ips ...*ipAddr) {
	if name == "" {
		return
	}
	for _, ip := range ips {
		if ip != nil {
			ip.dnsName = name
			return
		}
	}
}

func (s *Server) newIPLocked(address, iface string) *ipAddr {
	if address == "" {
		return nil
	}
	p, err := netip.ParsePrefix(address)
	if err != nil {
		panic(fmt.Sprintf("netboxtest: address %q: %v (NetBox addresses carry a prefix length)", address, err))
	}
	s.nextIP++
	ip := &ipAddr{id: s.nextIP, address: address, family: 4, iface: iface}
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		ip.family = 6
	}
	s.ips = append(s.ips, ip)
	return ip
}

func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// customFieldNamesLocked returns the custom fields defined for devices or virtual machines: every name
// any of them uses, sorted.
func (s *Server) customFieldNamesLocked(ep endpoint) []string {
	seen := map[string]bool{}
	switch ep {
	case epDevices:
		for _, d := range s.devices {
			for k := range d.CustomFields {
				seen[k] = true
			}
		}
	case epVMs:
		for _, v := range s.vms {
			for k := range v.CustomFields {
				seen[k] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// descendants returns key and the keys of every object below it in the tree of kind k.
func (s *Server) descendantsLocked(k kind, key string) map[string]bool {
	out := map[string]bool{key: true}
	for changed := true; changed; {
		changed = false
		for slug, o := range s.orgs[k] {
			if !out[slug] && o.parent != "" && out[o.parent] {
				out[slug] = true
				changed = true
			}
		}
	}
	return out
}

func (s *Server) depthLocked(k kind, key string) int {
	d := 0
	for o := s.orgs[k][key]; o != nil && o.parent != "" && d < 100; o = s.orgs[k][o.parent] {
		d++
	}
	return d
}

func lower(s string) string { return strings.ToLower(s) }
