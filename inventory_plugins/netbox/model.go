package netbox

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// The JSON shapes read from NetBox. They accept both API generations: NetBox 3.x (device_role
// beside or instead of role, integer IP family, nested objects without description) and 4.x
// (role, {value, label} family). Fields NetBox adds later are ignored.

// ref is a nested (brief) object: site, role, platform, tenant, location, rack, cluster...
type ref struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	// Model is set for device types (which have no name).
	Model        string `json:"model"`
	Manufacturer *ref   `json:"manufacturer"`
}

// key is how an object is named in groups and data: its slug, else its name (racks and
// clusters have no slug), else its model.
func (r *ref) key() string {
	switch {
	case r == nil:
		return ""
	case r.Slug != "":
		return r.Slug
	case r.Name != "":
		return r.Name
	}
	return r.Model
}

// ipRef is a nested IP address. Its family (an integer in NetBox 3, {"value": 4, "label":
// "IPv4"} in NetBox 4) is not read: the address says it.
type ipRef struct {
	ID      int    `json:"id"`
	Address string `json:"address"`
}

// choice is a NetBox choice field, {"value": "active", "label": "Active"}; its value is kept
// raw (a string, or a number in some plugins) and read by String.
type choice struct {
	Value json.RawMessage `json:"value"`
}

// String returns the choice's value as text ("" for null).
func (c choice) String() string {
	v := bytes.TrimSpace(c.Value)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

// tag is a nested tag.
type tag struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// object is a device or a virtual machine.
type object struct {
	ID          int     `json:"id"`
	Name        *string `json:"name"`
	Display     string  `json:"display"`
	DeviceType  *ref    `json:"device_type"`
	Role        *ref    `json:"role"`
	DeviceRole  *ref    `json:"device_role"`
	Tenant      *ref    `json:"tenant"`
	Platform    *ref    `json:"platform"`
	Site        *ref    `json:"site"`
	Location    *ref    `json:"location"`
	Rack        *ref    `json:"rack"`
	Cluster     *ref    `json:"cluster"`
	Serial      string  `json:"serial"`
	AssetTag    *string `json:"asset_tag"`
	Status      choice  `json:"status"`
	PrimaryIP   *ipRef  `json:"primary_ip"`
	PrimaryIP4  *ipRef  `json:"primary_ip4"`
	PrimaryIP6  *ipRef  `json:"primary_ip6"`
	OOBIP       *ipRef  `json:"oob_ip"`
	Description string  `json:"description"`
	Tags        []tag   `json:"tags"`
	// CustomFields and ConfigContext are kept raw and decoded only when mapped, into plain Go
	// values with whole numbers as int (as a YAML inventory gives them).
	CustomFields  json.RawMessage `json:"custom_fields"`
	ConfigContext json.RawMessage `json:"config_context"`
}

func objectID(o *object) int { return o.ID }

// role returns the role: "role" (NetBox 3.6+), else "device_role" (NetBox before 3.6).
func (o *object) role() *ref {
	if o.Role != nil {
		return o.Role
	}
	return o.DeviceRole
}

// site is a site of /api/dcim/sites/ (read for regions).
type site struct {
	ID     int    `json:"id"`
	Slug   string `json:"slug"`
	Region *ref   `json:"region"`
}

func siteID(s *site) int { return s.ID }

// region is a region of /api/dcim/regions/.
type region struct {
	ID     int    `json:"id"`
	Slug   string `json:"slug"`
	Parent *ref   `json:"parent"`
}

func regionID(r *region) int { return r.ID }

// ipAddress is an address of /api/ipam/ip-addresses/ (read for DNS names).
type ipAddress struct {
	ID             int    `json:"id"`
	DNSName        string `json:"dns_name"`
	AssignedObject *struct {
		Device         *ref `json:"device"`
		VirtualMachine *ref `json:"virtual_machine"`
	} `json:"assigned_object"`
}

func ipAddressID(a *ipAddress) int { return a.ID }

// decodeValues decodes a JSON object into plain Go values, whole numbers as int. Empty or null
// gives nil.
func decodeValues(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range m {
		m[k] = normalize(v)
	}
	return m, nil
}

func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil && n >= math.MinInt && n <= math.MaxInt {
			return int(n)
		}
		f, err := x.Float64()
		if err != nil {
			return string(x)
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}
