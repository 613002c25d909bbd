// Package inventory holds the hosts a run works on: Host, Group, Defaults and Inventory, with
// Nornir's inheritance (host, then its groups depth-first, then defaults), composable Filters,
// and the SimpleInventory YAML loader. Inventory plugins (NetBox, ...) implement Source.
//
// It is not for connecting to devices (see package connection) nor for running tasks (runner).
package inventory
