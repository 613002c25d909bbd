// Package inventory holds the hosts a run works on: Host, Group, Defaults and Inventory, with
// Nornir's inheritance, composable Filters with a small text language (ParseFilter), and the
// SimpleInventory YAML loader. Inventory plugins (NetBox, ...) implement Source.
//
// It is not for connecting to devices (see package connection) nor for running tasks (runner).
//
// # Loading
//
// SimpleInventory (and LoadDir) read Nornir's SimpleInventory files unchanged. Plugins that
// take their hosts elsewhere load groups and defaults with LoadGroups and assemble the
// inventory with Build, which resolves groups by name and validates everything:
//
//	groups, defaults, err := inventory.LoadGroups(ctx, "groups.yaml", "defaults.yaml")
//	...
//	hosts := []*inventory.Host{{Name: "r1", Groups: inventory.GroupRefs("site-ams1")}}
//	inv, err := inventory.Build(hosts, groups, defaults)
//
// Both report every problem at once in a *LoadError; each *Problem names the file, line and
// column (when there is a file), the host or group, and its kind (errors.Is with ErrSyntax,
// ErrUndefinedGroup, ErrGroupCycle, ErrDuplicate, ErrInvalidPort, ErrWrongType, ...).
//
// # Resolution
//
// A host's groups are walked depth-first, left to right, each group once (AllGroups). An
// attribute is the host's own value, else the first group's in that order that sets it, else
// the defaults'. Hostname falls back to the host's name for connecting; LookupHostname reports
// whether a hostname is set at all. Data keys (Get) resolve the same way; a key explicitly null
// in the host or a group counts as set, while a null in the defaults counts as unset (as in
// Nornir: Get misses it, yet ExtendedData lists it with a nil value). Connection
// options resolve field by field through the host, its groups, the defaults and finally the
// host's resolved attributes; extras are taken whole from the first level that sets them.
// Host.ConnectionParams documents the details.
//
// Group resolutions are cached per group and refreshed when the inventory's generation changes:
// the Group setters, Inventory.Edit and Inventory.Invalidate bump it. A host's own fields and
// the defaults are always read live.
//
// # Filters
//
// Filters are predicates on hosts, combined with And, Or and Not:
//
//	f := inventory.And(inventory.Field("site").Eq("ams1"), inventory.InGroup("core"))
//	f, err := inventory.ParseFilter("site=ams1 and (role=core or platform in [eos, junos])")
//	hosts := inv.Filter(f)
//
// Group membership comes in two kinds: group (InGroup, Field("group"), the text language's
// group=core) counts nested groups, so a host of site-ams1 is in region-eu when site-ams1 is;
// groups (Field("groups"), groups contains core) is the host's direct groups only, as Nornir's
// F(groups__contains="core").
package inventory
