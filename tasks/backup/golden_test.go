package backup

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var goldenPlatforms = []string{"cisco_iosxe", "cisco_nxos", "cisco_iosxr", "arista_eos", "juniper_junos"}

type knownSecret struct {
	hashed bool
	value  string
}

func readSecrets(t testing.TB, platform string) []knownSecret {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", platform+".secrets"))
	if err != nil {
		t.Fatal(err)
	}
	var out []knownSecret
	for i, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		kind, val, ok := strings.Cut(l, " ")
		if !ok || (kind != "hashed" && kind != "reversible") {
			t.Fatalf("%s.secrets:%d: want \"hashed|reversible VALUE\", got %q", platform, i+1, l)
		}
		out = append(out, knownSecret{hashed: kind == "hashed", value: val})
	}
	return out
}

// TestGolden cleans and redacts a realistic raw output of each platform (echo, prompt, pager
// leftovers, volatile lines, every kind of secret) and compares with the golden file.
func TestGolden(t *testing.T) {
	ps := DefaultProfiles()
	for _, platform := range goldenPlatforms {
		t.Run(platform, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", platform+".raw"))
			if err != nil {
				t.Fatal(err)
			}
			p, ok := ps.Lookup(platform)
			if !ok {
				t.Fatalf("no profile for %s", platform)
			}
			cleaned := p.Clean(string(raw))
			got := p.Redact(cleaned, RedactAll)
			if err := p.Check(string(raw), got); err != nil {
				t.Fatalf("Check: %v", err)
			}
			golden := filepath.Join("testdata", platform+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", golden, Diff("want", "got", string(want), got, DiffOptions{}).Text)
			}

			for _, s := range readSecrets(t, platform) {
				if strings.Contains(got, s.value) {
					t.Errorf("RedactAll let %q through", s.value)
				}
			}
			rev := p.Redact(cleaned, RedactReversible)
			for _, s := range readSecrets(t, platform) {
				if s.hashed && !strings.Contains(rev, s.value) {
					t.Errorf("RedactReversible removed hash %q", s.value)
				}
				if !s.hashed && strings.Contains(rev, s.value) {
					t.Errorf("RedactReversible let %q through", s.value)
				}
			}
			if off := p.Redact(cleaned, RedactOff); off != cleaned {
				t.Errorf("RedactOff changed the configuration")
			}
			for _, junk := range []string{"\r", "\b", "--More--", "Building configuration", "Current configuration :",
				"Last configuration change", "NVRAM config", "ntp clock-period", "!Time:", "!Command:", "! Command:",
				"!Running configuration last done", "## Last commit", "09:22:07.102", "{master:0}", "show running-config",
				"show configuration", "#\n", "> \n"} {
				if strings.Contains(got, junk) {
					t.Errorf("output still contains %q", junk)
				}
			}
		})
	}
}
