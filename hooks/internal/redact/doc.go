// Package redact removes secrets from the text that norn's alerting hooks send out (alert
// annotations, webhook bodies, log lines): a host's own secrets (password, enable secret, ...)
// wherever they appear, and anything that looks like a secret by its form (password=..., Cisco
// and Junos secret lines, SNMP communities, bearer tokens, URL passwords, private keys).
//
// It is internal to norn's hooks; it is not the backup task's config sanitiser.
package redact
