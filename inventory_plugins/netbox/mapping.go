package netbox

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/platform"
)

// Kinds of NetBox objects, as data["kind"].
const (
	KindDevice         = "device"
	KindVirtualMachine = "virtual_machine"
)

// Data keys set on every host (see the package documentation for their values).
const (
	DataID            = "id"
	DataKind          = "kind"
	DataSite          = "site"
	DataRegion        = "region"
	DataLocation      = "location"
	DataRack          = "rack"
	DataRole          = "role"
	DataPlatform      = "platform"
	DataManufacturer  = "manufacturer"
	DataDeviceType    = "device_type"
	DataModel         = "model"
	DataTenant        = "tenant"
	DataCluster       = "cluster"
	DataStatus        = "status"
	DataSerial        = "serial"
	DataAssetTag      = "asset_tag"
	DataDescription   = "description"
	DataTags          = "tags"
	DataPrimaryIP4    = "primary_ip4"
	DataPrimaryIP6    = "primary_ip6"
	DataOOBIP         = "oob_ip"
	DataCustomFields  = "custom_fields"
	DataConfigContext = "config_context"
)

var reservedDataKeys = map[string]bool{
	DataID: true, DataKind: true, DataSite: true, DataRegion: true, DataLocation: true, DataRack: true,
	DataRole: true, DataPlatform: true, DataManufacturer: true, DataDeviceType: true, DataModel: true,
	DataTenant: true, DataCluster: true, DataStatus: true, DataSerial: true, DataAssetTag: true,
	DataDescription: true, DataTags: true, DataPrimaryIP4: true, DataPrimaryIP6: true, DataOOBIP: true,
	DataCustomFields: true, DataConfigContext: true,
}

// ErrDuplicateName is returned (wrapped, with the list) when several NetBox objects map to one
// host name.
var ErrDuplicateName = errors.New("netbox: duplicate host names")

// objKey identifies an object across devices and virtual machines.
type objKey struct {
	kind string
	id   int
}

// mapper turns NetBox objects into hosts.
type mapper struct {
	cfg Config
	// siteRegion maps a site id to its region slug (GroupByRegion only).
	siteRegion map[int]string
	// regionParent maps a region slug to its parent's slug.
	regionParent map[string]string
	// dns holds the addresses with a DNS name of each object that needed one.
	dns map[objKey][]ipAddress
	// platforms memoizes platform: a fleet has few platforms and many hosts.
	platforms map[[2]string]string
}

// fallbackName is the stable name of an unnamed object: "device-<id>" or "vm-<id>".
func fallbackName(kind string, id int) string {
	if kind == KindVirtualMachine {
		return "vm-" + strconv.Itoa(id)
	}
	return "device-" + strconv.Itoa(id)
}

func hostName(kind string, o *object) string {
	if o.Name != nil && strings.TrimSpace(*o.Name) != "" {
		return *o.Name
	}
	return fallbackName(kind, o.ID)
}

// address returns an IP address without its prefix length.
func address(ip *ipRef) (string, error) {
	if ip == nil || ip.Address == "" {
		return "", nil
	}
	a := ip.Address
	if strings.Contains(a, "/") {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return "", fmt.Errorf("address %q is not an IP address with a prefix length", a)
		}
		return p.Addr().String(), nil
	}
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return "", fmt.Errorf("address %q is not an IP address", a)
	}
	return addr.String(), nil
}

func primaryIP(o *object) *ipRef {
	switch {
	case o.PrimaryIP != nil:
		return o.PrimaryIP
	case o.PrimaryIP6 != nil:
		return o.PrimaryIP6
	}
	return o.PrimaryIP4
}

// hostname walks the configured sources. needDNS reports that FromDNSName was reached before a
// value was found and no DNS names are known for the object yet.
func (m *mapper) hostname(kind string, o *object) (value string, needDNS bool, err error) {
	for _, src := range m.cfg.Hostname {
		var ip *ipRef
		switch src {
		case FromPrimaryIP:
			ip = primaryIP(o)
		case FromPrimaryIP4:
			ip = o.PrimaryIP4
		case FromPrimaryIP6:
			ip = o.PrimaryIP6
		case FromOOBIP:
			ip = o.OOBIP
		case FromDNSName:
			if m.dns == nil {
				return "", true, nil
			}
			if name := m.dnsName(kind, o); name != "" {
				return name, false, nil
			}
			continue
		case FromName:
			return hostName(kind, o), false, nil
		}
		a, err := address(ip)
		if err != nil {
			return "", false, fmt.Errorf("%s: %w", src, err)
		}
		if a != "" {
			return a, false, nil
		}
	}
	return "", false, nil
}

// dnsName picks the DNS name of the primary address, else the OOB address, else the address
// with the lowest id.
func (m *mapper) dnsName(kind string, o *object) string {
	addrs := m.dns[objKey{kind, o.ID}]
	if len(addrs) == 0 {
		return ""
	}
	for _, ip := range []*ipRef{primaryIP(o), o.PrimaryIP4, o.PrimaryIP6, o.OOBIP} {
		if ip == nil {
			continue
		}
		for _, a := range addrs {
			if a.ID == ip.ID && a.DNSName != "" {
				return a.DNSName
			}
		}
	}
	best := -1
	for i, a := range addrs {
		if a.DNSName != "" && (best < 0 || a.ID < addrs[best].ID) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return addrs[best].DNSName
}

// platform maps a NetBox platform to a norn platform: by slug, then name, in
// Config.Platforms; then by slug, then name, in package platform's table; else the slug.
func (m *mapper) platform(p *ref) string {
	if p == nil {
		return ""
	}
	k := [2]string{p.Slug, p.Name}
	if v, ok := m.platforms[k]; ok {
		return v
	}
	v := m.mapPlatform(p)
	if m.platforms == nil {
		m.platforms = map[[2]string]string{}
	}
	m.platforms[k] = v
	return v
}

func (m *mapper) mapPlatform(p *ref) string {
	if v, ok := m.cfg.Platforms[p.Slug]; ok && p.Slug != "" {
		return v
	}
	if v, ok := m.cfg.Platforms[p.Name]; ok && p.Name != "" {
		return v
	}
	for _, n := range []string{p.Slug, p.Name} {
		if c, ok := platform.Canonical(n); ok && n != "" {
			return c
		}
	}
	return p.key()
}

// host maps one object to a host and the names of its generated groups. kind is KindDevice or
// KindVirtualMachine.
func (m *mapper) host(kind string, o *object) (*inventory.Host, []string, error) {
	name := hostName(kind, o)
	h := &inventory.Host{Name: name, Data: map[string]any{DataID: o.ID, DataKind: kind}}
	hn, _, err := m.hostname(kind, o)
	if err != nil {
		return nil, nil, err
	}
	h.Attrs.Hostname = hn
	h.Attrs.Platform = m.platform(o.Platform)

	d := h.Data
	set := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	set(DataSite, o.Site.key())
	set(DataLocation, o.Location.key())
	set(DataRack, o.Rack.key())
	set(DataRole, o.role().key())
	set(DataPlatform, o.Platform.key())
	set(DataTenant, o.Tenant.key())
	set(DataCluster, o.Cluster.key())
	if o.DeviceType != nil {
		set(DataDeviceType, o.DeviceType.key())
		set(DataModel, o.DeviceType.Model)
		set(DataManufacturer, o.DeviceType.Manufacturer.key())
	}
	region := ""
	if o.Site != nil && m.siteRegion != nil {
		region = m.siteRegion[o.Site.ID]
		set(DataRegion, region)
	}
	set(DataStatus, o.Status.String())
	set(DataSerial, o.Serial)
	if o.AssetTag != nil {
		set(DataAssetTag, *o.AssetTag)
	}
	set(DataDescription, o.Description)
	tags := make([]string, 0, len(o.Tags))
	for _, t := range o.Tags {
		if k := (&ref{Slug: t.Slug, Name: t.Name}).key(); k != "" {
			tags = append(tags, k)
		}
	}
	d[DataTags] = tags
	for k, ip := range map[string]*ipRef{DataPrimaryIP4: o.PrimaryIP4, DataPrimaryIP6: o.PrimaryIP6, DataOOBIP: o.OOBIP} {
		a, err := address(ip)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", k, err)
		}
		set(k, a)
	}
	cf, err := decodeValues(o.CustomFields)
	if err != nil {
		return nil, nil, fmt.Errorf("custom_fields: %w", err)
	}
	if cf != nil {
		d[DataCustomFields] = cf
		if m.cfg.FlattenCustomFields {
			for k, v := range cf {
				if !reservedDataKeys[k] {
					d[k] = v
				}
			}
		}
	}
	if m.cfg.ConfigContext {
		cc, err := decodeValues(o.ConfigContext)
		if err != nil {
			return nil, nil, fmt.Errorf("config_context: %w", err)
		}
		if cc == nil {
			cc = map[string]any{}
		}
		d[DataConfigContext] = cc
	}

	var groups []string
	add := func(field GroupField, v string) {
		if v != "" {
			groups = append(groups, string(field)+"__"+v)
		}
	}
	for _, f := range m.cfg.GroupBy {
		switch f {
		case GroupBySite:
			add(f, o.Site.key())
		case GroupByRole:
			add(f, o.role().key())
		case GroupByPlatform:
			add(f, o.Platform.key())
		case GroupByManufacturer:
			if o.DeviceType != nil {
				add(f, o.DeviceType.Manufacturer.key())
			}
		case GroupByDeviceType:
			add(f, o.DeviceType.key())
		case GroupByTenant:
			add(f, o.Tenant.key())
		case GroupByRegion:
			add(f, region)
		case GroupByLocation:
			add(f, o.Location.key())
		case GroupByTag:
			for _, t := range tags {
				add(f, t)
			}
		case GroupByStatus:
			add(f, o.Status.String())
		case GroupByCluster:
			add(f, o.Cluster.key())
		}
	}
	return h, groups, nil
}

// describe names an object in errors: `device "r1" (id 12)`.
func describe(kind string, o *object) string {
	k := "device"
	if kind == KindVirtualMachine {
		k = "virtual machine"
	}
	if o.Name != nil && *o.Name != "" {
		return fmt.Sprintf("%s %q (id %d)", k, *o.Name, o.ID)
	}
	return fmt.Sprintf("unnamed %s (id %d)", k, o.ID)
}

// duplicates lists the host names used by several objects, e.g.
// `"core1": device (id 3), device (id 9)`.
func duplicates(names map[string][]string) error {
	var dups []string
	for n, who := range names {
		if len(who) > 1 {
			dups = append(dups, fmt.Sprintf("%q: %s", n, strings.Join(who, ", ")))
		}
	}
	if len(dups) == 0 {
		return nil
	}
	sort.Strings(dups)
	return fmt.Errorf("%w (NetBox names are unique per site and tenant only; filter the load or rename): %s",
		ErrDuplicateName, strings.Join(dups, "; "))
}
