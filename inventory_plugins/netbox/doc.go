// Package netbox is norn's NetBox inventory plugin: a Source that loads devices (and, on
// request, virtual machines) from NetBox's REST API, NetBox 3.x and 4.x, into an
// *inventory.Inventory.
//
// A Load reads the first page of each list, then the remaining pages concurrently by offset
// (Config.Concurrency requests at most, over all lists), always building URLs from Config.URL
// (never from the host in NetBox's "next" links, which behind a reverse proxy may name an
// internal host). Requests carry a v1 ("Token") or v2 ("Bearer nbt_...") token, have a
// timeout (Config.Timeout), and are retried (Config.Retries, through norn's one retry engine)
// with exponential backoff on 5xx, 429 (Retry-After), network errors and truncated answers.
// A load either returns the whole inventory or an error naming the URL and NetBox's message;
// never part of an inventory. Config.Progress follows a slow load page by page.
//
// Only active devices and virtual machines are loaded unless a filter names a status
// (Filter.Status, or a status parameter); AnyStatus loads them all.
//
// LoadWithReport also returns a Report of what an operator should fix in NetBox: hosts whose
// platform norn does not know (naming the slug and the setting that maps it) and hosts without
// any IP address, each kind logged as one warning. Errors and warnings name Config fields, or
// a command's flags and configuration keys through Config.FieldName.
//
// # Hosts
//
// Each device or virtual machine becomes a host:
//
//   - Name: the NetBox name; an unnamed device is "device-<id>" (a virtual machine
//     "vm-<id>"), stable across loads. Two objects with one name are an error listing them
//     (ErrDuplicateName), never a silent overwrite.
//   - Hostname: from the sources of Config.Hostname in order, by default the primary IP
//     (without prefix length), the OOB IP, the DNS name of an address, the name.
//   - Platform: the NetBox platform mapped through Config.Platforms (by slug, then name),
//     else through package platform's table of names (ios, cisco-ios-xe, nxos, eos, junos,
//     ...), else its slug.
//   - Data: id (int), kind ("device" or "virtual_machine"), site, region (with
//     GroupByRegion), location, rack, role, platform, manufacturer, device_type, model, tenant,
//     cluster, status, serial, asset_tag, description (strings: slugs where NetBox has them,
//     names for rack and cluster; absent when empty), tags ([]string of slugs, always set),
//     primary_ip4, primary_ip6, oob_ip (addresses without prefix length), custom_fields
//     (map[string]any; whole numbers as int) and, with Config.ConfigContext, config_context.
//     Both NetBox 3's device_role and 4's role give "role"; an IP family sent as 4 or as
//     {"value": 4, "label": "IPv4"} reads the same.
//   - Groups: one per value of each Config.GroupBy field, named "<field>__<value>"
//     (site__ams1, role__core, tag__backup), merged with Config.GroupsFile and
//     Config.DefaultsFile, where credentials and connection options live.
//
// Package netboxtest is a fake NetBox for tests of code that uses this package.
//
// This package only reads NetBox; it does not write back to it, and it is not a NetBox client
// library.
package netbox
