package redact

import (
	"fmt"
	"strings"
)

// Level says which configuration secrets are removed, like RANCID's FILTER_PWDS. The zero
// value is All.
type Level int

const (
	// All removes every secret: cleartext and reversibly encoded ones (Cisco type 0/7, Junos
	// $9$, SNMP communities, keys) and one-way hashes too (Cisco type 5/8/9, $1$/$5$/$6$ crypt
	// hashes, Junos encrypted-password). A hash can still be cracked offline.
	All Level = iota
	// Reversible removes cleartext and reversibly encoded secrets but keeps one-way hashes, so
	// that a changed password hash shows in a diff (RANCID's FILTER_PWDS=YES).
	Reversible
	// Off removes no configuration secret; literal secrets (the host's own password and
	// enable secret) are still removed by the callers that know them.
	Off
)

// String returns "all", "reversible" or "off".
func (l Level) String() string {
	switch l {
	case All:
		return "all"
	case Reversible:
		return "reversible"
	case Off:
		return "off"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel parses "all", "reversible" or "off" (case-insensitive; "" is all, "yes" is
// reversible as in RANCID, "none" and "no" are off).
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "all", "":
		return All, nil
	case "reversible", "reversible-only", "yes":
		return Reversible, nil
	case "off", "none", "no":
		return Off, nil
	}
	return All, fmt.Errorf("unknown redaction level %q (want all, reversible or off)", s)
}

// MarshalText encodes the level as its String form.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText decodes a level accepted by ParseLevel.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
