package backup

import "testing"

// An incomplete first backup does not claim a last good copy was kept.
func TestIncompleteErrorFirstBackup(t *testing.T) {
	e := &IncompleteError{Host: "r1", Platform: "cisco_iosxe", Reason: "no end marker", NoLastGood: true}
	if got, want := e.Error(), "host r1: incomplete cisco_iosxe configuration: no end marker (no earlier copy to keep)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
