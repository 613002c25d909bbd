// Package netboxtest runs a fake NetBox REST API on loopback for tests, in the manner of
// net/http/httptest: NewServer starts it, Close stops it.
//
// The fake answers the endpoints an inventory needs (/api/status/, /api/dcim/devices/,
// /api/virtualization/virtual-machines/, /api/dcim/sites/, /api/dcim/regions/,
// /api/ipam/ip-addresses/) the way NetBox does: the paginated envelope {count, next, previous,
// results} with NetBox's limit/offset rules (default page 50, MAX_PAGE_SIZE 1000, limit=0 meaning
// the maximum page, next/previous links rebuilt by Django REST framework with sorted query keys),
// 403 answers with NetBox's "detail" texts for missing and invalid tokens (v1 "Token" and, from
// NetBox 4.5, v2 "Bearer nbt_<key>.<secret>"), 400 answers with django-filter's body for invalid
// filter values, unknown query parameters ignored, and the object shapes of NetBox 3.x (nested
// objects without description, integer IP family, role and device_role) and 4.x (description in
// nested objects, {value, label} family, _depth on roles and platforms from 4.5).
//
// Latency and failures are injectable (Config.Latency, Server.InjectFault), every request is
// recorded (Server.Requests), and Generate builds realistic fleets for benchmarks.
//
// It is not NetBox: it keeps no database, answers reads only, and implements the filters an
// inventory uses (site, role, platform, tag, status and its negation status__n, tenant, region,
// location, cluster, q, id, cf_*); other NetBox filters are ignored as if unknown.
package netboxtest
