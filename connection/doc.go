// Package connection is the registry of connection plugins keyed by (platform, type, library),
// the capability interfaces plugins implement, plugin resolution, and the Proxy lent to a task.
//
// It is not a connection library itself: plugins such as plugins/scrapli wrap one.
package connection
