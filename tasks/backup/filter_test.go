package backup

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestLineFilters: the fast filters in front of the volatile and required patterns never
// reject a line the regular expression matches (checked on every line of the test data and on
// lines made to match), and do reject the obvious non-matches.
func TestLineFilters(t *testing.T) {
	var lines []string
	for _, name := range goldenPlatforms {
		for _, ext := range []string{".raw", ".golden"} {
			b, err := os.ReadFile("testdata/" + name + ext)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, strings.Split(normalize(string(b)), "\n")...)
		}
	}
	lines = append(lines, "Thu Nov 21 09:00:00.123 UTC", "Sat Jan  4 23:59:59 UTC", "  ntp clock-period 17179869",
		"\tntp clock-period 1", "ntp clock-period 5", "{master:0}", "{primary:node0}", "line vty", "line vty 0 4", "version 9.3(8)",
		"", " ", "!", "Building configuration...  ", "Current configuration : 1 bytes")
	var pats []string
	for _, b := range builtinProfiles() {
		pats = append(pats, b.profile.Volatile...)
		pats = append(pats, b.profile.Required...)
	}
	pats = append(pats, `^(?i)building`, `^a?b`, `^[^x]`, `^x{0,2}y`, `^(?:)z`, `^é`)
	for _, pat := range pats {
		lr, err := newLineRe(pat)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(pat)
		for _, l := range lines {
			if got, want := lr.match(l), re.MatchString(l); got != want {
				t.Errorf("pattern %q on %q: filtered match %v, regexp %v (prefix %q)", pat, l, got, want, lr.prefix)
			}
		}
	}
	if fb := firstBytes(`^\s*ntp clock-period`); fb == nil || !fb['n'] || !fb[' '] || !fb['\t'] || fb['x'] {
		t.Errorf("firstBytes of ^\\s*ntp: %v", fb != nil)
	}
	if fb := firstBytes(ciscoTimestamp); fb == nil || !fb['T'] || !fb['S'] || fb['i'] {
		t.Errorf("firstBytes of the IOS-XR timestamp")
	}
	for _, p := range []string{`ntp`, `^a*`, `^$`, `^(?:a|)`, `^é`} {
		if firstBytes(p) != nil {
			t.Errorf("firstBytes(%q) should be unknown", p)
		}
	}
}
