package backup

import (
	"fmt"

	"github.com/gonorn/norn/redact"
)

// What a secret is, and the redaction levels, are package redact's (the one home of secrets,
// shared with the session log and the alerting hooks); these names keep the backup's API.

// RedactLevel says which secrets are removed from a stored configuration, like RANCID's
// FILTER_PWDS: RedactAll (the zero value, the default), RedactReversible or RedactOff.
type RedactLevel = redact.Level

const (
	// RedactAll removes every secret: cleartext and reversibly encoded ones (Cisco type 0/7,
	// Junos $9$, SNMP communities, keys) and one-way hashes too (Cisco type 5/8/9, $1$/$5$/$6$
	// crypt hashes, Junos encrypted-password). It is the default: a hash in a backup can still
	// be cracked offline.
	RedactAll = redact.All
	// RedactReversible removes cleartext and reversibly encoded secrets but keeps one-way
	// hashes, so that a changed password hash shows in the diff (RANCID's FILTER_PWDS=YES).
	RedactReversible = redact.Reversible
	// RedactOff removes nothing but the host's own password and enable secret, which are
	// always removed where they appear literally.
	RedactOff = redact.Off
)

// ParseRedactLevel parses "all", "reversible" or "off" (case-insensitive), as a -redact flag
// would take them.
func ParseRedactLevel(s string) (RedactLevel, error) {
	l, err := redact.ParseLevel(s)
	if err != nil {
		return l, fmt.Errorf("backup: %w", err)
	}
	return l, nil
}

// Placeholder replaces every redacted secret. It is constant so that the same configuration
// always redacts to the same text and diffs stay quiet. A quoted secret keeps its quotes.
const Placeholder = "<removed>"

// SecretRule finds secrets in configuration lines (see redact.Rule). A profile's built-in
// rules are redact.Rules of its platform.
type SecretRule = redact.Rule

// CiscoHashed reports whether a Cisco-style secret is a one-way hash (see redact.CiscoHashed).
func CiscoHashed(typ, value string) bool { return redact.CiscoHashed(typ, value) }

// JunosHashed reports whether a Junos secret is a one-way hash (see redact.JunosHashed).
func JunosHashed(typ, value string) bool { return redact.JunosHashed(typ, value) }

// redactLiterals replaces the literal secrets where they appear as a whole token (bounded by
// blanks, quotes or punctuation), so that a host's own password never reaches a stored copy
// even in a command no rule knows.
func redactLiterals(line string, literals []string) string {
	return redact.ReplaceTokens(line, Placeholder, literals...)
}
