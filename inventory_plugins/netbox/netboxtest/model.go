package netboxtest

// The types below are what a test hands the fake. Related objects are named by slug (by name for
// racks and clusters, which have no slug in NetBox); an object named but never added is created
// on first use with its slug as its name.

// Region is a NetBox region. Parent is the slug of the parent region ("" for a top-level one).
type Region struct {
	Slug, Name, Parent string
}

// Site is a NetBox site. Region and Tenant are slugs.
type Site struct {
	Slug, Name, Region, Tenant string
}

// Location is a NetBox location inside Site. Parent is the slug of the parent location.
type Location struct {
	Slug, Name, Site, Parent string
}

// Role is a NetBox device role (also used by virtual machines).
type Role struct {
	Slug, Name, Color string
}

// Platform is a NetBox platform. Manufacturer is a slug.
type Platform struct {
	Slug, Name, Manufacturer string
}

// Manufacturer is a NetBox manufacturer.
type Manufacturer struct {
	Slug, Name string
}

// DeviceType is a NetBox device type. Manufacturer is a slug.
type DeviceType struct {
	Slug, Model, Manufacturer string
}

// Tenant is a NetBox tenant.
type Tenant struct {
	Slug, Name string
}

// Tag is a NetBox tag.
type Tag struct {
	Slug, Name, Color string
}

// Device is a NetBox device. ID 0 lets the fake number it. Name "" is an unnamed device (NetBox
// allows those; its display then reads "<manufacturer> <model> (<id>)").
type Device struct {
	ID   int
	Name string
	// Site, Role, Platform, Tenant, Location and DeviceType are slugs; Site and Role are
	// required by NetBox and default to "site-1" and "role-1" here. Manufacturer is the slug of
	// the device type's manufacturer when the type is created on first use.
	Site, Role, Platform, Tenant, Location, DeviceType, Manufacturer string
	// Rack and Cluster are names.
	Rack, Cluster string
	// Status is a NetBox device status value (active, offline, planned, staged, failed,
	// inventory, decommissioning); "" means active.
	Status                                  string
	Serial, AssetTag, Description, Comments string
	Tags                                    []string // slugs
	// PrimaryIP4, PrimaryIP6 and OOBIP are addresses with prefix length ("192.0.2.1/32").
	PrimaryIP4, PrimaryIP6, OOBIP string
	// DNSName is recorded on the device's primary IPv4 address, else its primary IPv6 address,
	// else its OOB address, else on an extra address (InterfaceIP) on one of its interfaces.
	DNSName string
	// InterfaceIP is an extra address on an interface of the device ("" for none).
	InterfaceIP string
	// CustomFields are the custom field values set on the device. Every custom field name used
	// by any device is defined for all devices; a device that does not set it shows null.
	CustomFields map[string]any
	// ConfigContext is the rendered config context (shown unless the request has
	// exclude=config_context); nil renders as {}.
	ConfigContext    map[string]any
	LocalContextData map[string]any
}

// VirtualMachine is a NetBox virtual machine. ID 0 lets the fake number it.
type VirtualMachine struct {
	ID   int
	Name string
	// Site, Role, Platform and Tenant are slugs (all optional for virtual machines).
	Site, Role, Platform, Tenant string
	// Cluster is the cluster's name.
	Cluster string
	// Status is a NetBox virtual machine status value (active, offline, planned, staged, failed,
	// decommissioning, paused); "" means active.
	Status                          string
	Serial, Description, Comments   string
	Tags                            []string
	PrimaryIP4, PrimaryIP6, DNSName string
	VCPUs                           float64
	MemoryMB, DiskGB                int
	CustomFields                    map[string]any
	ConfigContext                   map[string]any
}

var deviceStatuses = map[string]string{
	"offline": "Offline", "active": "Active", "planned": "Planned", "staged": "Staged",
	"failed": "Failed", "inventory": "Inventory", "decommissioning": "Decommissioning",
}

var vmStatuses = map[string]string{
	"offline": "Offline", "active": "Active", "planned": "Planned", "staged": "Staged",
	"failed": "Failed", "decommissioning": "Decommissioning", "paused": "Paused",
}
