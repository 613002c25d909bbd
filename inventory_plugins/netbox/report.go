package netbox

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/platform"
)

// Report describes one load: what was read, and the hosts that will not work as NetBox
// describes them, for a command's summary (LoadWithReport).
type Report struct {
	// Devices and VirtualMachines are the objects read.
	Devices, VirtualMachines int
	// UnknownPlatforms are the platforms, after Config.Platforms, the platform table and the
	// groups and defaults files, that Config.KnownPlatform does not know, sorted by platform.
	// Hosts without any platform are listed under an empty Platform.
	UnknownPlatforms []UnknownPlatform
	// NoAddress are the hosts with no IP address in NetBox (no primary IPv4 or IPv6, no OOB
	// IP), in load order: their hostname comes from a DNS name or their name, if anywhere.
	NoAddress []string
	// Warnings are the lines logged for the above, one per unknown platform and one for the
	// hosts without an address, naming the setting that fixes them (see Config.FieldName).
	Warnings []string
	// Took is how long the load took.
	Took time.Duration
}

// UnknownPlatform is a platform no host of it can be backed up or connected with.
type UnknownPlatform struct {
	// Platform is the host's resolved platform ("" when none is set anywhere).
	Platform string
	// Slug is the NetBox platform slug it came from ("" when NetBox has none, or a group or
	// the defaults set it).
	Slug string
	// Hosts are the hosts of that platform, in Inventory.Hosts order.
	Hosts []string
}

// UnknownPlatformHosts returns how many hosts have a platform norn does not know (or none).
func (r *Report) UnknownPlatformHosts() int {
	n := 0
	for _, u := range r.UnknownPlatforms {
		n += len(u.Hosts)
	}
	return n
}

// unknownPlatforms lists the hosts whose resolved platform KnownPlatform does not know.
func (s *Source) unknownPlatforms(inv *inventory.Inventory) []UnknownPlatform {
	byPlatform := map[string]*UnknownPlatform{}
	for _, h := range inv.Hosts() {
		p := h.Platform()
		if p != "" && s.cfg.KnownPlatform(p) {
			continue
		}
		u := byPlatform[p]
		if u == nil {
			u = &UnknownPlatform{Platform: p}
			if slug, ok := h.Data[DataPlatform].(string); ok && p != "" && h.Attrs.Platform == p {
				u.Slug = slug
			}
			byPlatform[p] = u
		}
		u.Hosts = append(u.Hosts, h.Name)
	}
	out := make([]UnknownPlatform, 0, len(byPlatform))
	for _, u := range byPlatform {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Platform < out[j].Platform })
	return out
}

// maxNamed is how many hosts a warning names before "and N more".
const maxNamed = 5

func hostList(names []string) string {
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamed], ", "), len(names)-maxNamed)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// warnings words the report's findings for an operator.
func (s *Source) warnings(r *Report) []string {
	var out []string
	for _, u := range r.UnknownPlatforms {
		hosts := plural(len(u.Hosts), "host", "hosts") + " (" + hostList(u.Hosts) + ")"
		switch {
		case u.Platform == "":
			out = append(out, fmt.Sprintf("netbox: %s without a platform: set one in NetBox, or in %s or %s",
				hosts, s.cfg.name("GroupsFile"), s.cfg.name("DefaultsFile")))
		case u.Slug != "" && platform.Key(u.Slug) != platform.Key(u.Platform):
			out = append(out, fmt.Sprintf("netbox: platform slug %q of %s maps to %q, which is no platform norn knows and has no backup profile: fix it in %s",
				u.Slug, hosts, u.Platform, s.cfg.name("Platforms")))
		case u.Slug != "":
			out = append(out, fmt.Sprintf("netbox: platform slug %q of %s maps to no platform norn knows and has no backup profile: map it with %s %s=NAME (NAME one of %s)",
				u.Slug, hosts, s.cfg.name("Platforms"), u.Slug, strings.Join(platform.Names(), ", ")))
		default:
			out = append(out, fmt.Sprintf("netbox: platform %q of %s is no platform norn knows and has no backup profile: check %s and %s",
				u.Platform, hosts, s.cfg.name("GroupsFile"), s.cfg.name("DefaultsFile")))
		}
	}
	if n := len(r.NoAddress); n > 0 {
		out = append(out, fmt.Sprintf("netbox: %s without any IP address in NetBox (no primary IPv4/IPv6, no OOB IP): %s; they are reached by DNS name or name, if at all",
			plural(n, "host", "hosts"), hostList(r.NoAddress)))
	}
	return out
}

// tracker sums the pages read of the device and virtual machine lists for Config.Progress.
type tracker struct {
	mu    sync.Mutex
	fn    func(loaded, total int)
	lists map[string]*[2]int // path -> loaded, total
}

// newTracker returns nil (no tracking) when fn is nil.
func newTracker(fn func(loaded, total int)) *tracker {
	if fn == nil {
		return nil
	}
	return &tracker{fn: fn, lists: map[string]*[2]int{}}
}

// first records the first page of a (re)read of list path: n objects of total.
func (t *tracker) first(path string, n, total int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lists[path] = &[2]int{n, total}
	t.reportLocked()
}

// page records n more objects of list path.
func (t *tracker) page(path string, n int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := t.lists[path]; l != nil {
		l[0] += n
	}
	t.reportLocked()
}

func (t *tracker) reportLocked() {
	loaded, total := 0, 0
	for _, l := range t.lists {
		loaded += l[0]
		total += l[1]
	}
	t.fn(min(loaded, total), total)
}
