package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/platform"
)

// Config configures a Source. Only URL is required; every other field's comment states its
// default.
type Config struct {
	// URL is NetBox's base URL: "https://netbox.example.com", or with the sub-path NetBox is
	// served under (BASE_PATH). A trailing "/" or "/api" is accepted. Required. The host of the
	// "next" links NetBox returns is never used: every request is built from this URL.
	URL string

	// Token is the API token. A v1 token is sent as "Authorization: Token <token>"; a v2 token
	// (NetBox 4.5 and later), "nbt_<key>.<secret>", as "Authorization: Bearer nbt_<key>.<secret>".
	// Default: the environment variable NB_TOKEN, else NETBOX_TOKEN, read at every Load (so a
	// token rotated between runs is picked up). With no token at all no Authorization header is
	// sent, which works only when NetBox's LOGIN_REQUIRED is off. The token never appears in a
	// log line or an error.
	Token string
	// TokenFunc, if set, is called at every Load for the token (for a vault or a file) and wins
	// over Token and the environment. Default nil.
	TokenFunc func(ctx context.Context) (string, error)

	// CAFile is a PEM file of the certificate authorities trusted for NetBox's certificate,
	// instead of the system's (as curl's --cacert and requests' verify=<path>). Default: the
	// system's roots.
	CAFile string
	// InsecureSkipVerify turns TLS certificate verification off. Default false: verification is
	// on.
	InsecureSkipVerify bool

	// Timeout bounds each attempt of each request: connecting, waiting for NetBox and reading
	// the page. Default 60s (a page of 1,000 full devices can take NetBox several seconds).
	Timeout time.Duration
	// Retries is how many times a failed request is retried: on 5xx, 429 (honouring
	// Retry-After), network errors, timeouts and truncated JSON; never on other 4xx. Default 3;
	// a negative value disables retries.
	Retries int
	// RetryWait is the wait before the first retry; it doubles (with ±20% jitter) on each
	// retry, up to MaxRetryWait. Default 500ms.
	RetryWait time.Duration
	// MaxRetryWait caps each wait between retries, a 429's Retry-After included. Default 10s.
	MaxRetryWait time.Duration

	// PageSize is the number of objects asked per page. NetBox caps it at its MAX_PAGE_SIZE
	// (1000 by default); the capped size NetBox reports in its "next" link is then used.
	// Default 1000.
	PageSize int
	// Concurrency is the most requests in flight at once, over all lists: the first page of a
	// list is fetched alone, then its remaining pages concurrently by offset. Default 4.
	Concurrency int

	// Devices filters the devices (/api/dcim/devices/). Default: the devices whose status is
	// active (see Filter.Status): planned, offline or decommissioning gear is left out.
	Devices Filter
	// SkipDevices loads no device (for an inventory of virtual machines only). Default false.
	SkipDevices bool
	// VirtualMachines also loads virtual machines (/api/virtualization/virtual-machines/),
	// filtered by VirtualMachineFilter. Default false.
	VirtualMachines bool
	// VirtualMachineFilter filters the virtual machines. Default: the active ones (see
	// Filter.Status).
	VirtualMachineFilter Filter

	// Hostname is the order in which a host's hostname is looked for; the first source that has
	// a value wins. Default: FromPrimaryIP, FromOOBIP, FromDNSName, FromName (as DefaultHostname
	// returns). With no value from
	// any source the hostname is left unset (and inherited from groups or defaults, else the
	// host's name).
	Hostname []HostnameSource
	// Platforms maps NetBox platforms to norn platform names (the connection plugins' names,
	// such as "cisco_iosxe"). A platform is looked up here by its slug, then by its name; then
	// the slug, then the name, in package platform's table of names (so the slugs cisco-ios-xe,
	// ios, nxos, cisco-nx-os, eos, junos, ... need no entry); else the host keeps the NetBox
	// slug, and the load reports it (Report.UnknownPlatforms). Default: none.
	Platforms map[string]string
	// KnownPlatform reports whether norn can work with a host's platform (the name after
	// Platforms and the table). A host whose resolved platform it does not know is reported in
	// the load's Report and logged as a warning naming the slug and the Platforms setting that
	// maps it. Default: platform.Known (the table of package platform).
	KnownPlatform func(name string) bool
	// GroupBy lists the fields hosts are grouped by. Each value becomes a group named
	// "<field>__<value>": site__ams1, role__core, platform__cisco-ios-xe (the NetBox slug,
	// not the mapped name), manufacturer__cisco, device_type__c9300-48p, tenant__acme,
	// region__nl, location__hall-a, tag__backup (one group per tag), status__active,
	// cluster__<cluster name>. Region groups are nested: region__nl has region__europe as its
	// parent group when NetBox says so. Default: no groups.
	GroupBy []GroupField
	// FlattenCustomFields also copies each custom field to a top-level data key of its name
	// (as nornir_netbox's flatten_custom_fields), unless that key is one of the plugin's own.
	// Default false: custom fields are in data["custom_fields"] only.
	FlattenCustomFields bool
	// ConfigContext asks NetBox for rendered config contexts and keeps each in
	// data["config_context"]. Default false: requests carry exclude=config_context, which makes
	// NetBox answer much faster.
	ConfigContext bool
	// GroupsFile and DefaultsFile are SimpleInventory YAML files (groups.yaml, defaults.yaml)
	// merged with what NetBox gives, for credentials and connection options: a group of the
	// file named like a generated group (site__ams1, platform__cisco-ios-xe) is that group.
	// Both are read at every Load. Default: none.
	GroupsFile, DefaultsFile string

	// Progress, if set, is called while the device and virtual machine lists load, after each
	// page, with the objects read so far and the total NetBox announced (summed over the lists
	// whose first page has arrived, so total may grow while loading). Calls do not overlap but
	// come from the loading goroutines: keep it quick. Default nil.
	Progress func(loaded, total int)

	// FieldName names a Config field in errors and warnings, given its Go path ("Timeout",
	// "Platforms", "Devices.Params"). A command sets it to name its own flags or configuration
	// keys ("-netbox-timeout", "inventory.netbox.timeout") instead. Returning "" keeps the
	// default. Default: "Config." + field.
	FieldName func(field string) string

	// Logger receives a debug line per request (URL, status, duration, size), a warning per
	// retry and an info line per load; never the token. It is used from several goroutines: its
	// writer must take concurrent writes (os.Stderr does; wrap a bytes.Buffer in
	// zerolog.SyncWriter). Default: no logging.
	Logger *zerolog.Logger
}

// Filter holds NetBox filters for one list. Slugs are NetBox slugs; several values of one
// field match any of them (NetBox ORs a repeated parameter), except Tag, where an object must
// carry every tag. A value NetBox does not know makes NetBox answer 400, which Load reports.
//
// Unless Status is set, or Params holds a status filter ("status", "status__n", ...), only
// active objects are loaded (status=active, DefaultStatus): gear that is planned, offline or
// being decommissioned would otherwise fail and alert at every run. Status = {AnyStatus}
// loads every status.
type Filter struct {
	Site, Role, Platform, Tenant, Region []string
	// Location (devices only) matches the locations and their children.
	Location []string
	// Cluster (virtual machines only) are cluster names.
	Cluster []string
	// Status are status values: active, offline, planned, staged, failed, inventory,
	// decommissioning (devices), paused (virtual machines). Default: {DefaultStatus}, unless
	// Params filters on status; {AnyStatus} filters on none.
	Status []string
	// Tag are tag slugs; an object must have all of them.
	Tag []string
	// Query is NetBox's free-text search (the q parameter).
	Query string
	// CustomFields filters on custom field values: cf_<name>=<value>.
	CustomFields map[string][]string
	// Params are any other NetBox filter parameters, passed as they are ("has_primary_ip":
	// {"true"}, "manufacturer": {"cisco"}). NetBox silently ignores a parameter it does not
	// know, so a misspelt name filters nothing.
	Params url.Values
}

// HostnameSource is where a host's hostname may come from (see Config.Hostname).
type HostnameSource string

// Hostname sources. Addresses are used without their prefix length.
const (
	// FromPrimaryIP is NetBox's primary_ip: the primary IPv6 address when there is one, unless
	// NetBox runs with PREFER_IPV4, else the primary IPv4 address.
	FromPrimaryIP HostnameSource = "primary_ip"
	// FromPrimaryIP4 is the primary IPv4 address.
	FromPrimaryIP4 HostnameSource = "primary_ip4"
	// FromPrimaryIP6 is the primary IPv6 address.
	FromPrimaryIP6 HostnameSource = "primary_ip6"
	// FromOOBIP is the out-of-band address (devices, NetBox 3.5 and later).
	FromOOBIP HostnameSource = "oob_ip"
	// FromDNSName is the DNS name recorded in NetBox on the host's primary IP address, else on
	// its OOB address, else on any other address of its interfaces. It costs extra requests to
	// /api/ipam/ip-addresses/, made only for hosts that reach this source.
	FromDNSName HostnameSource = "dns_name"
	// FromName is the host's name.
	FromName HostnameSource = "name"
)

// GroupField is a field hosts can be grouped by (see Config.GroupBy).
type GroupField string

// Group fields.
const (
	GroupBySite         GroupField = "site"
	GroupByRole         GroupField = "role"
	GroupByPlatform     GroupField = "platform"
	GroupByManufacturer GroupField = "manufacturer"
	GroupByDeviceType   GroupField = "device_type"
	GroupByTenant       GroupField = "tenant"
	// GroupByRegion needs NetBox's sites and regions (two more lists, loaded concurrently with
	// the devices), since device objects do not carry their region.
	GroupByRegion   GroupField = "region"
	GroupByLocation GroupField = "location"
	GroupByTag      GroupField = "tag"
	GroupByStatus   GroupField = "status"
	GroupByCluster  GroupField = "cluster"
)

// Status filter values (see Filter.Status).
const (
	// DefaultStatus is the status loaded when a Filter names none.
	DefaultStatus = "active"
	// AnyStatus as Filter.Status loads objects of every status.
	AnyStatus = "any"
)

// Defaults of Config.
const (
	DefaultTimeout      = 60 * time.Second
	DefaultRetries      = 3
	DefaultRetryWait    = 500 * time.Millisecond
	DefaultMaxRetryWait = 10 * time.Second
	DefaultPageSize     = 1000
	DefaultConcurrency  = 4
)

// DefaultHostname returns the default Config.Hostname order: FromPrimaryIP, FromOOBIP,
// FromDNSName, FromName.
func DefaultHostname() []HostnameSource {
	return []HostnameSource{FromPrimaryIP, FromOOBIP, FromDNSName, FromName}
}

var knownGroupFields = map[GroupField]bool{
	GroupBySite: true, GroupByRole: true, GroupByPlatform: true, GroupByManufacturer: true,
	GroupByDeviceType: true, GroupByTenant: true, GroupByRegion: true, GroupByLocation: true,
	GroupByTag: true, GroupByStatus: true, GroupByCluster: true,
}

var knownHostnameSources = map[HostnameSource]bool{
	FromPrimaryIP: true, FromPrimaryIP4: true, FromPrimaryIP6: true, FromOOBIP: true,
	FromDNSName: true, FromName: true,
}

// name names a Config field in errors and warnings (see Config.FieldName).
func (c *Config) name(field string) string {
	if c.FieldName != nil {
		if n := c.FieldName(field); n != "" {
			return n
		}
	}
	return "Config." + field
}

// withDefaults validates c and returns it with defaults filled in, and the normalized base URL.
func (c Config) withDefaults() (Config, *url.URL, error) {
	var errs []error
	base, err := parseBase(c.URL, c.name("URL"), c.name("Token"))
	if err != nil {
		errs = append(errs, err)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	}
	if c.Retries < 0 {
		c.Retries = 0
	}
	if c.RetryWait == 0 {
		c.RetryWait = DefaultRetryWait
	}
	if c.MaxRetryWait == 0 {
		c.MaxRetryWait = DefaultMaxRetryWait
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Timeout", c.Timeout}, {"RetryWait", c.RetryWait}, {"MaxRetryWait", c.MaxRetryWait}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: negative (%v)", c.name(d.name), d.v))
		}
	}
	if c.PageSize < 0 {
		errs = append(errs, fmt.Errorf("%s: negative (%d)", c.name("PageSize"), c.PageSize))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("%s: negative (%d)", c.name("Concurrency"), c.Concurrency))
	}
	if len(c.Hostname) == 0 {
		c.Hostname = DefaultHostname()
	}
	for _, h := range c.Hostname {
		if !knownHostnameSources[h] {
			errs = append(errs, fmt.Errorf("%s: unknown source %q", c.name("Hostname"), h))
		}
	}
	for _, g := range c.GroupBy {
		if !knownGroupFields[g] {
			errs = append(errs, fmt.Errorf("%s: unknown field %q", c.name("GroupBy"), g))
		}
	}
	if c.SkipDevices && !c.VirtualMachines {
		errs = append(errs, fmt.Errorf("%s without %s loads nothing", c.name("SkipDevices"), c.name("VirtualMachines")))
	}
	if len(c.Devices.Cluster) > 0 {
		errs = append(errs, fmt.Errorf("%s: NetBox filters devices by cluster_id only (use %s)", c.name("Devices.Cluster"), c.name("Devices.Params")))
	}
	if len(c.VirtualMachineFilter.Location) > 0 {
		errs = append(errs, fmt.Errorf("%s: NetBox has no location filter for virtual machines", c.name("VirtualMachineFilter.Location")))
	}
	if t := strings.TrimSpace(c.Token); t != "" {
		if err := checkToken(t); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name("Token"), err))
		}
	}
	if c.Logger == nil {
		nop := zerolog.Nop()
		c.Logger = &nop
	}
	if c.KnownPlatform == nil {
		c.KnownPlatform = platform.Known
	}
	if err := errors.Join(errs...); err != nil {
		return c, nil, fmt.Errorf("netbox: invalid config: %w", err)
	}
	return c, base, nil
}

// parseBase normalizes NetBox's base URL: scheme and host required, path without a trailing
// "/" or "/api". field and tokenField name the URL and token settings in errors.
func parseBase(raw, field, tokenField string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("%s is required", field)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s %q: scheme must be http or https", field, u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s %q: no host", field, u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s %q: credentials in the URL are not supported (use %s)", field, u.Redacted(), tokenField)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q: a base URL has no query or fragment", field, u.Redacted())
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/api")
	u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
	return u, nil
}

// checkToken rejects tokens that cannot be sent: v2 tokens without their key, whitespace.
func checkToken(t string) error {
	if strings.ContainsAny(t, " \t\r\n") {
		return errors.New("contains whitespace")
	}
	if rest, ok := strings.CutPrefix(t, v2Prefix); ok {
		key, secret, found := strings.Cut(rest, ".")
		if !found || key == "" || secret == "" {
			return errors.New("a v2 token has the form nbt_<key>.<secret>")
		}
	}
	return nil
}

const v2Prefix = "nbt_"

// authorization returns the Authorization header value for a token.
func authorization(token string) string {
	if strings.HasPrefix(token, v2Prefix) {
		return "Bearer " + token
	}
	return "Token " + token
}
