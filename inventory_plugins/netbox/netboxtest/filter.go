package netboxtest

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// filterErrors is django-filter's error body: {"field": ["message"], ...} in field order.
type filterErrors struct {
	keys []string
	msgs map[string]string
}

func (fe *filterErrors) add(field, msg string) *filterErrors {
	if fe == nil {
		fe = &filterErrors{msgs: map[string]string{}}
	}
	if _, dup := fe.msgs[field]; !dup {
		fe.keys = append(fe.keys, field)
		fe.msgs[field] = msg
	}
	return fe
}

func (fe *filterErrors) json() []byte {
	var e enc
	e.open()
	for _, k := range fe.keys {
		e.key(k)
		e.buf = append(e.buf, '[')
		e.buf = appendJSONString(e.buf, fe.msgs[k])
		e.buf = append(e.buf, ']')
	}
	e.close()
	return e.buf
}

func invalidChoice(v string) string {
	return fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)
}

// values returns the non-empty values of a query parameter.
func values(q url.Values, k string) []string {
	var out []string
	for _, v := range q[k] {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// filterKind is how a query parameter is checked and applied.
type filterKind int

const (
	fNumber filterKind = iota // id: numbers, OR
	fSlug                     // slug of an existing object, OR
	fTree                     // slug of an existing object, matches it and its descendants, OR
	fTags                     // tag slugs, AND
	fStatus                   // a choice, OR
	fText                     // free text (iexact), OR
	fBool                     // true/false; anything else ignores the filter
)

type filterSpec struct {
	param string
	kind  filterKind
	k     kind // for fSlug, fTree and fTags
}

// The filters each endpoint understands, in the order django-filter reports their errors.
var filterSpecs = map[endpoint][]filterSpec{
	epDevices: {
		{"id", fNumber, 0}, {"tag", fTags, kTag}, {"tenant", fSlug, kTenant},
		{"manufacturer", fSlug, kManufacturer}, {"device_type", fSlug, kDeviceType}, {"role", fSlug, kRole},
		{"platform", fSlug, kPlatform}, {"region", fTree, kRegion}, {"site", fSlug, kSite},
		{"location", fTree, kLocation}, {"model", fSlug, kDeviceType}, {"name", fText, 0},
		{"status", fStatus, 0}, {"serial", fText, 0}, {"has_primary_ip", fBool, 0},
		// NetBox adds lookups to its filters (BaseFilterSet.get_additional_lookups) after the
		// declared ones: a choice filter's negation is one of them.
		{"status__n", fStatus, 0},
	},
	epVMs: {
		{"id", fNumber, 0}, {"tag", fTags, kTag}, {"tenant", fSlug, kTenant}, {"status", fStatus, 0},
		{"cluster", fSlug, kCluster}, {"region", fTree, kRegion}, {"site", fSlug, kSite},
		{"role", fSlug, kRole}, {"platform", fSlug, kPlatform}, {"name", fText, 0},
		{"has_primary_ip", fBool, 0}, {"status__n", fStatus, 0},
	},
	epSites: {
		{"id", fNumber, 0}, {"tag", fTags, kTag}, {"tenant", fSlug, kTenant}, {"slug", fText, 0},
		{"region", fTree, kRegion},
	},
	epRegions: {
		{"id", fNumber, 0}, {"tag", fTags, kTag}, {"slug", fText, 0}, {"parent", fSlug, kRegion},
	},
	epIPs: {
		{"id", fNumber, 0}, {"tag", fTags, kTag}, {"device_id", fNumber, 0},
		{"virtual_machine_id", fNumber, 0}, {"dns_name", fText, 0}, {"dns_name__empty", fBool, 0},
	},
}

// selectLocked returns the objects of an endpoint that match the query's filters, in NetBox's
// order, or django-filter's errors when a known filter has an invalid value.
func (s *Server) selectLocked(ep endpoint, q url.Values) ([]item, *filterErrors) {
	var errs *filterErrors
	type active struct {
		spec   filterSpec
		vals   []string
		nums   []int
		sets   []map[string]bool // fTree: one set per value
		truthy bool
	}
	var filters []active
	for _, spec := range filterSpecs[ep] {
		vals := values(q, spec.param)
		if len(vals) == 0 {
			continue
		}
		a := active{spec: spec, vals: vals}
		switch spec.kind {
		case fNumber:
			for _, v := range vals {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					errs = errs.add(spec.param, "Enter a whole number.")
					break
				}
				a.nums = append(a.nums, n)
			}
		case fSlug, fTags, fTree:
			for _, v := range vals {
				if s.orgs[spec.k][v] == nil {
					errs = errs.add(spec.param, invalidChoice(v))
					break
				}
				if spec.kind == fTree {
					a.sets = append(a.sets, s.descendantsLocked(spec.k, v))
				}
			}
		case fStatus:
			choices := deviceStatuses
			if ep == epVMs {
				choices = vmStatuses
			}
			for _, v := range vals {
				if _, ok := choices[v]; !ok {
					errs = errs.add(spec.param, invalidChoice(v))
					break
				}
			}
		case fBool:
			switch strings.ToLower(vals[len(vals)-1]) {
			case "true", "1":
				a.truthy = true
			case "false", "0":
			default:
				continue // NullBooleanField: anything else is "unknown", no filtering
			}
		}
		filters = append(filters, a)
	}
	if errs != nil {
		return nil, errs
	}

	var cfs []struct {
		name string
		vals []string
	}
	for _, name := range s.cfNames[ep] {
		if vals := values(q, "cf_"+name); len(vals) > 0 {
			cfs = append(cfs, struct {
				name string
				vals []string
			}{name, vals})
		}
	}
	search := ""
	if v := q["q"]; len(v) > 0 {
		search = strings.TrimSpace(v[len(v)-1])
	}

	var all []item
	switch ep {
	case epDevices:
		for _, d := range s.devices {
			all = append(all, item{kind: ep, dev: d})
		}
	case epVMs:
		for _, v := range s.vms {
			all = append(all, item{kind: ep, vm: v})
		}
	case epSites:
		for _, o := range sortedOrgs(s.orgs[kSite]) {
			all = append(all, item{kind: ep, org: o})
		}
	case epRegions:
		for _, o := range sortedOrgs(s.orgs[kRegion]) {
			all = append(all, item{kind: ep, org: o})
		}
	case epIPs:
		for _, ip := range s.ips {
			all = append(all, item{kind: ep, ip: ip})
		}
	}

	out := all[:0]
	for _, it := range all {
		f := s.fieldsLocked(it)
		ok := true
		for _, a := range filters {
			if !s.matchLocked(a.spec, a.vals, a.nums, a.sets, a.truthy, f) {
				ok = false
				break
			}
		}
		for _, cf := range cfs {
			if ok && !matchCustomField(f.cf[cf.name], cf.vals) {
				ok = false
			}
		}
		if ok && search != "" && !f.search(search) {
			ok = false
		}
		if ok {
			out = append(out, it)
		}
	}
	return out, nil
}

// fields are the filterable values of one object.
type fields struct {
	id                                                    int
	name, serial, assetTag, description, comments, status string
	site, region, location, role, platform, tenant, dtype string
	manufacturer, cluster, slug, parent, dnsName          string
	tags                                                  []string
	cf                                                    map[string]any
	addresses                                             []string
	hasPrimaryIP                                          bool
	deviceID, vmID                                        int
}

func (s *Server) fieldsLocked(it item) fields {
	switch it.kind {
	case epDevices:
		d := it.dev
		f := fields{
			id: d.ID, name: d.Name, serial: d.Serial, assetTag: d.AssetTag, description: d.Description,
			comments: d.Comments, status: d.Status, site: d.Site, location: d.Location, role: d.Role,
			platform: d.Platform, tenant: d.Tenant, dtype: d.DeviceType, cluster: d.Cluster, tags: d.Tags,
			cf: d.CustomFields, hasPrimaryIP: d.ip4 != nil || d.ip6 != nil,
		}
		if st := s.orgs[kSite][d.Site]; st != nil {
			f.region = st.region
		}
		if dt := s.orgs[kDeviceType][d.DeviceType]; dt != nil {
			f.manufacturer = dt.manufacturer
		}
		for _, ip := range []*ipAddr{d.ip4, d.ip6} {
			if ip != nil {
				f.addresses = append(f.addresses, ip.address)
			}
		}
		return f
	case epVMs:
		v := it.vm
		f := fields{
			id: v.ID, name: v.Name, serial: v.Serial, description: v.Description, comments: v.Comments,
			status: v.Status, site: v.Site, role: v.Role, platform: v.Platform, tenant: v.Tenant,
			cluster: v.Cluster, tags: v.Tags, cf: v.CustomFields, hasPrimaryIP: v.ip4 != nil || v.ip6 != nil,
		}
		if st := s.orgs[kSite][v.Site]; st != nil {
			f.region = st.region
		}
		for _, ip := range []*ipAddr{v.ip4, v.ip6} {
			if ip != nil {
				f.addresses = append(f.addresses, ip.address)
			}
		}
		return f
	case epSites:
		return fields{id: it.org.id, name: it.org.name, slug: it.org.slug, region: it.org.region, tenant: it.org.tenant}
	case epRegions:
		return fields{id: it.org.id, name: it.org.name, slug: it.org.slug, parent: it.org.parent}
	default:
		ip := it.ip
		f := fields{id: ip.id, dnsName: ip.dnsName, addresses: []string{ip.address}}
		if ip.dev != nil {
			f.deviceID = ip.dev.ID
		}
		if ip.vm != nil {
			f.vmID = ip.vm.ID
		}
		return f
	}
}

func (s *Server) matchLocked(spec filterSpec, vals []string, nums []int, sets []map[string]bool, truthy bool, f fields) bool {
	switch spec.param {
	case "id":
		return containsInt(nums, f.id)
	case "device_id":
		return containsInt(nums, f.deviceID)
	case "virtual_machine_id":
		return containsInt(nums, f.vmID)
	case "tag":
		for _, v := range vals {
			if !containsString(f.tags, v) {
				return false
			}
		}
		return true
	case "tenant":
		return containsString(vals, f.tenant)
	case "manufacturer":
		return containsString(vals, f.manufacturer)
	case "device_type", "model":
		return containsString(vals, f.dtype)
	case "role":
		return containsString(vals, f.role)
	case "platform":
		return containsString(vals, f.platform)
	case "site":
		return containsString(vals, f.site)
	case "cluster":
		return containsString(vals, f.cluster)
	case "parent":
		return containsString(vals, f.parent)
	case "slug":
		return containsString(vals, f.slug)
	case "status":
		return containsString(vals, f.status)
	case "status__n":
		return !containsString(vals, f.status)
	case "region", "location":
		v := f.region
		if spec.param == "location" {
			v = f.location
		}
		for _, set := range sets {
			if v != "" && set[v] {
				return true
			}
		}
		return false
	case "name", "serial", "dns_name":
		v := f.name
		switch spec.param {
		case "serial":
			v = f.serial
		case "dns_name":
			v = f.dnsName
		}
		for _, x := range vals {
			if strings.EqualFold(x, v) {
				return true
			}
		}
		return false
	case "has_primary_ip":
		return f.hasPrimaryIP == truthy
	case "dns_name__empty":
		return (f.dnsName == "") == truthy
	}
	return true
}

// search is NetBox's q filter: case-insensitive substring of the name, serial, asset tag,
// description or comments, or the start of a primary address.
func (f fields) search(q string) bool {
	lq := lower(q)
	for _, v := range []string{f.name, f.serial, f.assetTag, f.description, f.comments, f.dnsName} {
		if v != "" && strings.Contains(lower(v), lq) {
			return true
		}
	}
	for _, a := range f.addresses {
		if strings.HasPrefix(a, q) {
			return true
		}
	}
	return false
}

func matchCustomField(v any, want []string) bool {
	var got []string
	switch x := v.(type) {
	case nil:
		return false
	case string:
		got = []string{x}
	case bool:
		got = []string{strconv.FormatBool(x)}
	case float64:
		got = []string{strconv.FormatFloat(x, 'f', -1, 64)}
	case int:
		got = []string{strconv.Itoa(x)}
	case []any:
		for _, e := range x {
			got = append(got, fmt.Sprint(e))
		}
	case []string:
		got = x
	default:
		got = []string{fmt.Sprint(x)}
	}
	for _, w := range want {
		for _, g := range got {
			if strings.EqualFold(w, g) {
				return true
			}
		}
	}
	return false
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
