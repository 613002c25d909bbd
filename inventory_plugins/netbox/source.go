package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/gonorn/norn/inventory"
)

// Source loads an inventory from NetBox. It is safe for concurrent use; each Load reads NetBox
// afresh (and the token, the groups file and the defaults file).
type Source struct {
	cfg  Config
	base *url.URL
	http *http.Client
}

// Interface guards.
var _ inventory.Source = (*Source)(nil)

// New validates cfg, fills in its defaults and returns a Source. It reads Config.CAFile.
func New(cfg Config) (*Source, error) {
	cfg, base, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkParams(cfg); err != nil {
		return nil, err
	}
	tr, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	return &Source{cfg: cfg, base: base, http: &http.Client{
		Transport: tr,
		// NetBox answers the API without redirects; follow none, so that a token never goes
		// to another host.
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			return &redirectError{to: req.URL.Redacted(), field: cfg.name("URL")}
		},
	}}, nil
}

// reservedParams are set by the Source itself.
var reservedParams = []string{"limit", "offset", "start", "brief", "fields", "omit", "exclude"}

func checkParams(cfg Config) error {
	var errs []error
	for _, f := range []struct {
		name string
		f    Filter
	}{{"Devices", cfg.Devices}, {"VirtualMachineFilter", cfg.VirtualMachineFilter}} {
		for _, p := range reservedParams {
			if _, ok := f.f.Params[p]; ok {
				errs = append(errs, fmt.Errorf("%s: %q is set by the plugin", cfg.name(f.name+".Params"), p))
			}
		}
		if slices.Contains(f.f.Status, AnyStatus) && len(f.f.Status) > 1 {
			errs = append(errs, fmt.Errorf("%s: %q loads every status; it cannot be combined with others (%s)",
				cfg.name(f.name+".Status"), AnyStatus, strings.Join(f.f.Status, ", ")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("netbox: invalid config: %w", err)
	}
	return nil
}

// Version asks NetBox's /api/status/ for its version ("4.2.9"), with the Source's token,
// timeout and retries: a cheap check that the URL, the TLS setup and the token work.
func (s *Source) Version(ctx context.Context) (string, error) {
	token, err := s.token(ctx)
	if err != nil {
		return "", err
	}
	c := s.client(token)
	var st map[string]any
	u := c.endpoint("status/", nil)
	if err := c.get(ctx, u, func(b []byte) error { return json.Unmarshal(b, &st) }); err != nil {
		return "", err
	}
	v, ok := st["netbox-version"].(string)
	if !ok || v == "" {
		return "", &Error{URL: u, StatusCode: http.StatusOK, Message: "no netbox-version in the answer: is this NetBox?"}
	}
	return v, nil
}

func (s *Source) client(token string) *client {
	return &client{cfg: s.cfg, base: s.base, http: s.http, token: token,
		sem: make(chan struct{}, s.cfg.Concurrency), log: s.cfg.Logger}
}

// URL returns NetBox's base URL as the Source uses it (credentials redacted).
func (s *Source) URL() string { return s.base.Redacted() }

// CloseIdleConnections closes the Source's idle connections to NetBox.
func (s *Source) CloseIdleConnections() { s.http.CloseIdleConnections() }

// token returns the token for one load: TokenFunc, else Config.Token, else NB_TOKEN, else
// NETBOX_TOKEN.
func (s *Source) token(ctx context.Context) (string, error) {
	var t string
	switch {
	case s.cfg.TokenFunc != nil:
		v, err := s.cfg.TokenFunc(ctx)
		if err != nil {
			return "", fmt.Errorf("netbox: %s: %w", s.cfg.name("TokenFunc"), err)
		}
		t = v
	case s.cfg.Token != "":
		t = s.cfg.Token
	case os.Getenv("NB_TOKEN") != "":
		t = os.Getenv("NB_TOKEN")
	default:
		t = os.Getenv("NETBOX_TOKEN")
	}
	t = strings.TrimSpace(t)
	if t != "" {
		if err := checkToken(t); err != nil {
			return "", fmt.Errorf("netbox: %s: %w", s.cfg.name("Token"), err)
		}
	}
	return t, nil
}

// values returns the query of a list: the filters, the default status unless one is given,
// and exclude=config_context unless configContext.
func (f Filter) values(configContext bool) url.Values {
	q := url.Values{}
	add := func(k string, vs []string) {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	add("site", f.Site)
	add("role", f.Role)
	add("platform", f.Platform)
	add("tenant", f.Tenant)
	add("region", f.Region)
	add("location", f.Location)
	add("cluster", f.Cluster)
	switch {
	case slices.Contains(f.Status, AnyStatus):
	case len(f.Status) > 0:
		add("status", f.Status)
	case !f.filtersStatus():
		q.Set("status", DefaultStatus)
	}
	add("tag", f.Tag)
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	for name, vs := range f.CustomFields {
		add("cf_"+name, vs)
	}
	for k, vs := range f.Params {
		add(k, vs)
	}
	if !configContext {
		q.Set("exclude", "config_context")
	}
	return q
}

// filtersStatus reports whether Params filters on status (status, status__n, status__empty...).
func (f Filter) filtersStatus() bool {
	for k := range f.Params {
		if k == "status" || strings.HasPrefix(k, "status__") {
			return true
		}
	}
	return false
}

func (s *Source) needsRegions() bool {
	for _, g := range s.cfg.GroupBy {
		if g == GroupByRegion {
			return true
		}
	}
	return false
}

// Load reads NetBox and returns the inventory: every matching device (and virtual machine,
// with Config.VirtualMachines) as a host, grouped per Config.GroupBy and merged with the
// groups and defaults files. Any failure (NetBox unreachable, TLS, 403, 400 on a filter, bad
// JSON, a page failing after its retries, duplicate names) returns an error and no inventory:
// never part of one. LoadWithReport also says what an operator should fix in NetBox.
func (s *Source) Load(ctx context.Context) (*inventory.Inventory, error) {
	inv, _, err := s.LoadWithReport(ctx)
	return inv, err
}

// LoadWithReport is Load that also returns the load's Report: what was read, and the hosts
// that will not work as NetBox describes them (a platform norn does not know, no IP address),
// each kind logged as one warning. The Report is nil when the load fails.
func (s *Source) LoadWithReport(ctx context.Context) (*inventory.Inventory, *Report, error) {
	start := time.Now()
	token, err := s.token(ctx)
	if err != nil {
		return nil, nil, err
	}
	c := s.client(token)
	track := newTracker(s.cfg.Progress)

	var devices, vms []object
	var sites []site
	var regions []region
	p := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError()
	if !s.cfg.SkipDevices {
		p.Go(func(ctx context.Context) (err error) {
			devices, err = listAll(ctx, c, "dcim/devices/", s.cfg.Devices.values(s.cfg.ConfigContext), objectID, track)
			return err
		})
	}
	if s.cfg.VirtualMachines {
		p.Go(func(ctx context.Context) (err error) {
			vms, err = listAll(ctx, c, "virtualization/virtual-machines/", s.cfg.VirtualMachineFilter.values(s.cfg.ConfigContext), objectID, track)
			return err
		})
	}
	if s.needsRegions() {
		p.Go(func(ctx context.Context) (err error) {
			// The full form: the brief one carries no region.
			sites, err = listAll(ctx, c, "dcim/sites/", url.Values{}, siteID, nil)
			return err
		})
		p.Go(func(ctx context.Context) (err error) {
			regions, err = listAll(ctx, c, "dcim/regions/", url.Values{}, regionID, nil)
			return err
		})
	}
	if err := p.Wait(); err != nil {
		return nil, nil, err
	}

	m := &mapper{cfg: s.cfg}
	if s.needsRegions() {
		m.siteRegion = make(map[int]string, len(sites))
		for _, st := range sites {
			if st.Region != nil {
				m.siteRegion[st.ID] = st.Region.key()
			}
		}
		m.regionParent = make(map[string]string, len(regions))
		for _, r := range regions {
			if r.Parent != nil {
				m.regionParent[r.Slug] = r.Parent.key()
			}
		}
	}

	type entry struct {
		kind string
		obj  *object
	}
	entries := make([]entry, 0, len(devices)+len(vms))
	for i := range devices {
		entries = append(entries, entry{KindDevice, &devices[i]})
	}
	for i := range vms {
		entries = append(entries, entry{KindVirtualMachine, &vms[i]})
	}

	// DNS names, fetched only for the objects whose hostname search reaches FromDNSName.
	var needDev, needVM []int
	for _, e := range entries {
		if _, need, _ := m.hostname(e.kind, e.obj); need {
			if e.kind == KindDevice {
				needDev = append(needDev, e.obj.ID)
			} else {
				needVM = append(needVM, e.obj.ID)
			}
		}
	}
	if len(needDev)+len(needVM) > 0 {
		dns, err := fetchDNS(ctx, c, needDev, needVM)
		if err != nil {
			return nil, nil, err
		}
		m.dns = dns
	}

	hosts := make([]*inventory.Host, 0, len(entries))
	hostGroups := make([][]string, 0, len(entries))
	names := make(map[string][]string, len(entries))
	var problems []error
	rep := &Report{Devices: len(devices), VirtualMachines: len(vms)}
	for _, e := range entries {
		h, groups, err := m.host(e.kind, e.obj)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", describe(e.kind, e.obj), err))
			continue
		}
		if e.obj.PrimaryIP4 == nil && e.obj.PrimaryIP6 == nil && e.obj.OOBIP == nil {
			rep.NoAddress = append(rep.NoAddress, h.Name)
		}
		names[h.Name] = append(names[h.Name], describe(e.kind, e.obj))
		hosts = append(hosts, h)
		hostGroups = append(hostGroups, groups)
	}
	if err := duplicates(names); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf("netbox: %s: %w", s.base.Redacted(), errors.Join(problems...))
	}

	inv, err := s.assemble(ctx, hosts, hostGroups, m.regionParent)
	if err != nil {
		return nil, nil, err
	}
	rep.UnknownPlatforms = s.unknownPlatforms(inv)
	rep.Took = time.Since(start)
	rep.Warnings = s.warnings(rep)
	for _, w := range rep.Warnings {
		s.cfg.Logger.Warn().Str("url", s.base.Redacted()).Msg(w)
	}
	s.cfg.Logger.Info().Str("url", s.base.Redacted()).Int("devices", len(devices)).Int("virtual_machines", len(vms)).
		Int("unknown_platform_hosts", rep.UnknownPlatformHosts()).Int("no_address_hosts", len(rep.NoAddress)).
		Dur("took", rep.Took).Msg("netbox: inventory loaded")
	return inv, rep, nil
}

// fetchDNS reads the addresses that have a DNS name of the given devices and virtual machines,
// 100 objects a request.
func fetchDNS(ctx context.Context, c *client, devices, vms []int) (map[objKey][]ipAddress, error) {
	const batch = 100
	type job struct {
		param string
		ids   []int
	}
	var jobs []job
	for i := 0; i < len(devices); i += batch {
		jobs = append(jobs, job{"device_id", devices[i:min(i+batch, len(devices))]})
	}
	for i := 0; i < len(vms); i += batch {
		jobs = append(jobs, job{"virtual_machine_id", vms[i:min(i+batch, len(vms))]})
	}
	results := make([][]ipAddress, len(jobs))
	p := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError()
	for i, j := range jobs {
		p.Go(func(ctx context.Context) (err error) {
			q := url.Values{"dns_name__empty": {"false"}}
			for _, id := range j.ids {
				q.Add(j.param, strconv.Itoa(id))
			}
			results[i], err = listAll(ctx, c, "ipam/ip-addresses/", q, ipAddressID, nil)
			return err
		})
	}
	if err := p.Wait(); err != nil {
		return nil, err
	}
	out := map[objKey][]ipAddress{}
	for _, rs := range results {
		for _, a := range rs {
			if a.AssignedObject == nil || a.DNSName == "" {
				continue
			}
			switch {
			case a.AssignedObject.Device != nil:
				k := objKey{KindDevice, a.AssignedObject.Device.ID}
				out[k] = append(out[k], a)
			case a.AssignedObject.VirtualMachine != nil:
				k := objKey{KindVirtualMachine, a.AssignedObject.VirtualMachine.ID}
				out[k] = append(out[k], a)
			}
		}
	}
	return out, nil
}

// assemble builds the inventory: the groups and defaults files, the generated groups (a group
// of the file with a generated name is used as that group; region groups get their parent
// region's group), the hosts in NetBox's order (devices, then virtual machines).
func (s *Source) assemble(ctx context.Context, hosts []*inventory.Host, hostGroups [][]string, regionParent map[string]string) (*inventory.Inventory, error) {
	for _, f := range []struct{ field, path string }{{"GroupsFile", s.cfg.GroupsFile}, {"DefaultsFile", s.cfg.DefaultsFile}} {
		if f.path == "" {
			continue
		}
		p := f.path
		if rest, ok := strings.CutPrefix(p, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				p = filepath.Join(home, rest)
			}
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("netbox: %s: %w", s.cfg.name(f.field), err)
		}
	}
	groups, defaults, err := inventory.LoadGroups(ctx, s.cfg.GroupsFile, s.cfg.DefaultsFile)
	if err != nil {
		return nil, fmt.Errorf("netbox: %w", err)
	}
	if groups == nil {
		groups = map[string]*inventory.Group{}
	}
	generated := map[string]bool{}
	var ensure func(name string) *inventory.Group
	ensure = func(name string) *inventory.Group {
		g, ok := groups[name]
		if generated[name] {
			return g
		}
		generated[name] = true
		if !ok {
			g = &inventory.Group{Name: name}
			groups[name] = g
		}
		if slug, isRegion := strings.CutPrefix(name, string(GroupByRegion)+"__"); isRegion {
			if parent := regionParent[slug]; parent != "" && parent != slug {
				pg := ensure(string(GroupByRegion) + "__" + parent)
				if !slices.ContainsFunc(g.Groups, func(x *inventory.Group) bool { return x != nil && x.Name == pg.Name }) {
					g.Groups = append(g.Groups, pg)
				}
			}
		}
		return g
	}
	for i, h := range hosts {
		for _, n := range hostGroups[i] {
			h.Groups = append(h.Groups, ensure(n))
		}
	}
	inv, err := inventory.Build(hosts, groups, defaults)
	if err != nil {
		return nil, fmt.Errorf("netbox: %s: %w", s.base.Redacted(), err)
	}
	return inv, nil
}
