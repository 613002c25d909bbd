package netboxtest

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// mode is the serializer a list request selects.
type mode int

const (
	mFull      mode = iota // with config_context (devices and virtual machines)
	mNoContext             // exclude=config_context
	mBrief                 // brief=<anything non-empty>
)

func (s *Server) mode(ep endpoint, q url.Values) mode {
	if b := q["brief"]; len(b) > 0 && b[len(b)-1] != "" {
		return mBrief
	}
	// NetBox tests `'config_context' in request.query_params.get('exclude', [])`: the last
	// value, as a substring.
	if ex := q["exclude"]; len(ex) > 0 && strings.Contains(ex[len(ex)-1], "config_context") {
		return mNoContext
	}
	return mFull
}

type cacheKey struct {
	ep   endpoint
	id   int
	base string
	m    mode
}

func (s *Server) renderLocked(it item, base string, m mode) []byte {
	var id int
	switch it.kind {
	case epDevices:
		id = it.dev.ID
	case epVMs:
		id = it.vm.ID
	case epIPs:
		id = it.ip.id
	default:
		id = it.org.id
	}
	key := cacheKey{ep: it.kind, id: id, base: base, m: m}
	if b, ok := s.cache[key]; ok {
		return b
	}
	e := &enc{buf: make([]byte, 0, 3072)}
	switch it.kind {
	case epDevices:
		s.renderDevice(e, it.dev, base, m)
	case epVMs:
		s.renderVM(e, it.vm, base, m)
	case epSites:
		s.renderSite(e, it.org, base, m)
	case epRegions:
		s.renderRegion(e, it.org, base, m)
	case epIPs:
		s.renderIP(e, it.ip, base, m)
	}
	s.cache[key] = e.buf
	return e.buf
}

func (s *Server) v4() bool { return s.major >= 4 }

// head writes id, url, display_url (NetBox 4.1 and later, full objects only) and display.
func (s *Server) head(e *enc, id int, base, api, ui, display string, nested bool) {
	e.int("id", id)
	e.str("url", fmt.Sprintf("%s/api/%s/%d/", base, api, id))
	if !nested && s.atLeast(4, 1) {
		e.str("display_url", fmt.Sprintf("%s/%s/%d/", base, ui, id))
	}
	e.str("display", display)
}

func (s *Server) desc(e *enc) {
	if s.v4() {
		e.str("description", "")
	}
}

// ref writes the nested (brief) form of a related object, or null.
func (s *Server) ref(e *enc, key string, k kind, slug, base string) {
	o := s.orgs[k][slug]
	if slug == "" || o == nil {
		e.null(key)
		return
	}
	e.openKey(key)
	s.nested(e, k, o, base)
	e.close()
}

func (s *Server) nested(e *enc, k kind, o *org, base string) {
	display := o.name
	e.int("id", o.id)
	e.str("url", fmt.Sprintf("%s/api/%s/%d/", base, apiPath[k], o.id))
	e.str("display", display)
	switch k {
	case kDeviceType:
		s.ref(e, "manufacturer", kManufacturer, o.manufacturer, base)
		e.str("model", o.name)
		e.str("slug", o.slug)
		s.desc(e)
	case kRack, kCluster:
		e.str("name", o.name)
		s.desc(e)
	case kTag:
		e.str("name", o.name)
		e.str("slug", o.slug)
		e.str("color", o.color)
		s.desc(e)
	default:
		e.str("name", o.name)
		e.str("slug", o.slug)
		s.desc(e)
	}
	switch {
	case k == kRegion || k == kLocation:
		e.int("_depth", s.depthLocked(k, o.slug))
	case (k == kRole || k == kPlatform) && s.atLeast(4, 5):
		e.int("_depth", 0)
	}
}

func (s *Server) ipRef(e *enc, key string, ip *ipAddr, base string) {
	if ip == nil {
		e.null(key)
		return
	}
	e.openKey(key)
	e.int("id", ip.id)
	e.str("url", fmt.Sprintf("%s/api/ipam/ip-addresses/%d/", base, ip.id))
	e.str("display", ip.address)
	if s.v4() {
		e.openKey("family")
		e.int("value", ip.family)
		e.str("label", fmt.Sprintf("IPv%d", ip.family))
		e.close()
	} else {
		e.int("family", ip.family)
	}
	e.str("address", ip.address)
	s.desc(e)
	e.close()
}

func (s *Server) primary(ip4, ip6 *ipAddr) *ipAddr {
	if s.cfg.PreferIPv4 && ip4 != nil {
		return ip4
	}
	if ip6 != nil {
		return ip6
	}
	return ip4
}

func (s *Server) deviceDisplay(d *device) string {
	label := d.Name
	if label == "" {
		dt := s.orgs[kDeviceType][d.DeviceType]
		mfr := s.orgs[kManufacturer][dt.manufacturer]
		label = mfr.name + " " + dt.name
		if d.AssetTag == "" {
			return fmt.Sprintf("%s (%d)", label, d.ID)
		}
	}
	if d.AssetTag != "" {
		return fmt.Sprintf("%s (%s)", label, d.AssetTag)
	}
	return label
}

func (s *Server) status(e *enc, value string, labels map[string]string) {
	e.openKey("status")
	e.str("value", value)
	e.str("label", labels[value])
	e.close()
}

func (s *Server) tags(e *enc, tags []string, base string) {
	e.key("tags")
	e.buf = append(e.buf, '[')
	for i, t := range tags {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.open()
		s.nested(e, kTag, s.orgs[kTag][t], base)
		e.close()
	}
	e.buf = append(e.buf, ']')
}

func (s *Server) customFields(e *enc, ep endpoint, values map[string]any) {
	e.openKey("custom_fields")
	for _, name := range s.cfNames[ep] {
		v, ok := values[name]
		if !ok || v == nil {
			e.null(name)
			continue
		}
		e.any(name, v)
	}
	e.close()
}

func timestamps(e *enc, id int) {
	e.str("created", fmt.Sprintf("2024-03-%02dT09:%02d:%02d.%06dZ", 1+id%28, id%60, (id/60)%60, (id*7919)%1000000))
	e.str("last_updated", fmt.Sprintf("2025-01-%02dT17:%02d:%02d.%06dZ", 1+id%28, (id/3)%60, id%60, (id*104729)%1000000))
}

func (s *Server) renderDevice(e *enc, d *device, base string, m mode) {
	e.open()
	defer e.close()
	display := s.deviceDisplay(d)
	if m == mBrief {
		e.int("id", d.ID)
		e.str("url", fmt.Sprintf("%s/api/dcim/devices/%d/", base, d.ID))
		e.str("display", display)
		e.strOrNull("name", d.Name)
		s.desc(e)
		return
	}
	s.head(e, d.ID, base, "dcim/devices", "dcim/devices", display, false)
	e.strOrNull("name", d.Name)
	s.ref(e, "device_type", kDeviceType, d.DeviceType, base)
	switch {
	case s.v4() || s.atLeast(3, 6):
		s.ref(e, "role", kRole, d.Role, base)
		if !s.v4() {
			s.ref(e, "device_role", kRole, d.Role, base)
		}
	default:
		s.ref(e, "device_role", kRole, d.Role, base)
	}
	s.ref(e, "tenant", kTenant, d.Tenant, base)
	s.ref(e, "platform", kPlatform, d.Platform, base)
	e.str("serial", d.Serial)
	e.strOrNull("asset_tag", d.AssetTag)
	s.ref(e, "site", kSite, d.Site, base)
	s.ref(e, "location", kLocation, d.Location, base)
	s.ref(e, "rack", kRack, d.Rack, base)
	if d.Rack != "" {
		e.raw("position", []byte(strconv.Itoa(1+d.ID%40)+".0"))
		e.openKey("face")
		e.str("value", "front")
		e.str("label", "Front")
		e.close()
	} else {
		e.null("position")
		e.null("face")
	}
	e.null("latitude")
	e.null("longitude")
	e.null("parent_device")
	s.status(e, d.Status, deviceStatuses)
	e.openKey("airflow")
	e.str("value", "front-to-rear")
	e.str("label", "Front to rear")
	e.close()
	s.ipRef(e, "primary_ip", s.primary(d.ip4, d.ip6), base)
	s.ipRef(e, "primary_ip4", d.ip4, base)
	s.ipRef(e, "primary_ip6", d.ip6, base)
	s.ipRef(e, "oob_ip", d.oob, base)
	s.ref(e, "cluster", kCluster, d.Cluster, base)
	e.null("virtual_chassis")
	e.null("vc_position")
	e.null("vc_priority")
	e.str("description", d.Description)
	if s.atLeast(4, 5) {
		e.null("owner")
	}
	e.str("comments", d.Comments)
	e.null("config_template")
	if m == mFull {
		if d.ConfigContext == nil {
			e.raw("config_context", []byte("{}"))
		} else {
			e.any("config_context", d.ConfigContext)
		}
	}
	if d.LocalContextData == nil {
		e.null("local_context_data")
	} else {
		e.any("local_context_data", d.LocalContextData)
	}
	s.tags(e, d.Tags, base)
	s.customFields(e, epDevices, d.CustomFields)
	timestamps(e, d.ID)
	for i, c := range []string{"console_port_count", "console_server_port_count", "power_port_count",
		"power_outlet_count", "interface_count", "front_port_count", "rear_port_count",
		"device_bay_count", "module_bay_count", "inventory_item_count"} {
		n := 0
		switch i {
		case 0:
			n = 1
		case 2:
			n = 2
		case 4:
			n = 24 + d.ID%32
		case 8:
			n = 2
		case 9:
			n = 3 + d.ID%5
		}
		e.int(c, n)
	}
}

func (s *Server) renderVM(e *enc, v *vmachine, base string, m mode) {
	e.open()
	defer e.close()
	if m == mBrief {
		e.int("id", v.ID)
		e.str("url", fmt.Sprintf("%s/api/virtualization/virtual-machines/%d/", base, v.ID))
		e.str("display", v.Name)
		e.str("name", v.Name)
		s.desc(e)
		return
	}
	s.head(e, v.ID, base, "virtualization/virtual-machines", "virtualization/virtual-machines", v.Name, false)
	e.str("name", v.Name)
	s.status(e, v.Status, vmStatuses)
	s.ref(e, "site", kSite, v.Site, base)
	s.ref(e, "cluster", kCluster, v.Cluster, base)
	e.null("device")
	if s.v4() {
		e.str("serial", v.Serial)
	}
	s.ref(e, "role", kRole, v.Role, base)
	s.ref(e, "tenant", kTenant, v.Tenant, base)
	s.ref(e, "platform", kPlatform, v.Platform, base)
	s.ipRef(e, "primary_ip", s.primary(v.ip4, v.ip6), base)
	s.ipRef(e, "primary_ip4", v.ip4, base)
	s.ipRef(e, "primary_ip6", v.ip6, base)
	if v.VCPUs == 0 {
		e.null("vcpus")
	} else {
		e.raw("vcpus", []byte(strconv.FormatFloat(v.VCPUs, 'f', 2, 64)))
	}
	intOrNull(e, "memory", v.MemoryMB)
	intOrNull(e, "disk", v.DiskGB)
	e.str("description", v.Description)
	if s.atLeast(4, 5) {
		e.null("owner")
	}
	e.str("comments", v.Comments)
	e.null("config_template")
	e.null("local_context_data")
	s.tags(e, v.Tags, base)
	s.customFields(e, epVMs, v.CustomFields)
	if m == mFull {
		if v.ConfigContext == nil {
			e.raw("config_context", []byte("{}"))
		} else {
			e.any("config_context", v.ConfigContext)
		}
	}
	timestamps(e, v.ID)
	e.int("interface_count", 1)
	e.int("virtual_disk_count", 0)
}

func intOrNull(e *enc, k string, v int) {
	if v == 0 {
		e.null(k)
		return
	}
	e.int(k, v)
}

func (s *Server) renderSite(e *enc, o *org, base string, m mode) {
	e.open()
	defer e.close()
	if m == mBrief {
		s.nested(e, kSite, o, base)
		return
	}
	s.head(e, o.id, base, "dcim/sites", "dcim/sites", o.name, false)
	e.str("name", o.name)
	e.str("slug", o.slug)
	s.status(e, "active", map[string]string{"active": "Active"})
	s.ref(e, "region", kRegion, o.region, base)
	e.null("group")
	s.ref(e, "tenant", kTenant, o.tenant, base)
	e.str("facility", "")
	e.str("time_zone", "")
	e.str("description", "")
	e.str("comments", "")
	e.raw("tags", []byte("[]"))
	e.raw("custom_fields", []byte("{}"))
	timestamps(e, o.id)
}

func (s *Server) renderRegion(e *enc, o *org, base string, m mode) {
	e.open()
	defer e.close()
	if m == mBrief {
		s.nested(e, kRegion, o, base)
		return
	}
	s.head(e, o.id, base, "dcim/regions", "dcim/regions", o.name, false)
	e.str("name", o.name)
	e.str("slug", o.slug)
	s.ref(e, "parent", kRegion, o.parent, base)
	e.str("description", "")
	e.raw("tags", []byte("[]"))
	e.raw("custom_fields", []byte("{}"))
	timestamps(e, o.id)
	n := 0
	for _, st := range s.orgs[kSite] {
		if st.region == o.slug {
			n++
		}
	}
	e.int("site_count", n)
	e.int("_depth", s.depthLocked(kRegion, o.slug))
}

func (s *Server) renderIP(e *enc, ip *ipAddr, base string, m mode) {
	e.open()
	defer e.close()
	if m == mBrief {
		e.int("id", ip.id)
		e.str("url", fmt.Sprintf("%s/api/ipam/ip-addresses/%d/", base, ip.id))
		e.str("display", ip.address)
		e.str("address", ip.address)
		return
	}
	s.head(e, ip.id, base, "ipam/ip-addresses", "ipam/ip-addresses", ip.address, false)
	if s.v4() {
		e.openKey("family")
		e.int("value", ip.family)
		e.str("label", fmt.Sprintf("IPv%d", ip.family))
		e.close()
	} else {
		e.int("family", ip.family)
	}
	e.str("address", ip.address)
	e.null("vrf")
	e.null("tenant")
	s.status(e, "active", map[string]string{"active": "Active"})
	e.null("role")
	ifaceID := ip.id + 1000
	switch {
	case ip.dev != nil:
		e.str("assigned_object_type", "dcim.interface")
		e.int("assigned_object_id", ifaceID)
		e.openKey("assigned_object")
		e.int("id", ifaceID)
		e.str("url", fmt.Sprintf("%s/api/dcim/interfaces/%d/", base, ifaceID))
		e.str("display", ip.iface)
		e.openKey("device")
		e.int("id", ip.dev.ID)
		e.str("url", fmt.Sprintf("%s/api/dcim/devices/%d/", base, ip.dev.ID))
		e.str("display", s.deviceDisplay(ip.dev))
		e.strOrNull("name", ip.dev.Name)
		s.desc(e)
		e.close()
		e.str("name", ip.iface)
		s.desc(e)
		e.null("cable")
		e.bool("_occupied", false)
		e.close()
	case ip.vm != nil:
		e.str("assigned_object_type", "virtualization.vminterface")
		e.int("assigned_object_id", ifaceID)
		e.openKey("assigned_object")
		e.int("id", ifaceID)
		e.str("url", fmt.Sprintf("%s/api/virtualization/interfaces/%d/", base, ifaceID))
		e.str("display", ip.iface)
		e.openKey("virtual_machine")
		e.int("id", ip.vm.ID)
		e.str("url", fmt.Sprintf("%s/api/virtualization/virtual-machines/%d/", base, ip.vm.ID))
		e.str("display", ip.vm.Name)
		e.str("name", ip.vm.Name)
		s.desc(e)
		e.close()
		e.str("name", ip.iface)
		s.desc(e)
		e.close()
	default:
		e.null("assigned_object_type")
		e.null("assigned_object_id")
		e.null("assigned_object")
	}
	e.null("nat_inside")
	e.raw("nat_outside", []byte("[]"))
	e.str("dns_name", ip.dnsName)
	e.str("description", "")
	e.str("comments", "")
	e.raw("tags", []byte("[]"))
	e.raw("custom_fields", []byte("{}"))
	timestamps(e, ip.id)
}

func sortedOrgs(m map[string]*org) []*org {
	out := make([]*org, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return lessNatural(out[i].name, out[i].id, out[j].name, out[j].id) })
	return out
}
