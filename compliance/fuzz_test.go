package compliance_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gonorn/norn/compliance"
)

// FuzzParse checks that no rule file makes the parser panic and that every error wraps
// ErrRules and names the file.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/rules.yaml", "testdata/rules50.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("rules:\n  - id: a\n    section: '('\n    must_contain: x\n")
	f.Add("rules:\n  - {id: a, must_match: [x, '\\\\'], platforms: junos, if_present: maybe}\n")
	f.Add("rules: [[], {}, 1]\n")
	f.Fuzz(func(t *testing.T, text string) {
		rs, err := compliance.Parse("fuzz.yaml", []byte(text))
		if err != nil {
			if !errors.Is(err, compliance.ErrRules) || !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %v", err)
			}
			return
		}
		for _, r := range rs.Rules {
			if r.ID == "" || r.Pos == "" {
				t.Fatalf("rule %+v", r)
			}
		}
	})
}

// FuzzCheck checks that no configuration (stored files are outside input) makes the
// configuration reader or the checks panic, and that every rule gets exactly one result.
func FuzzCheck(f *testing.F) {
	rs, err := compliance.Load("testdata/rules.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("cisco_iosxe", iosConfig)
	f.Add("juniper_junos", junosConfig)
	f.Add("junos", "a {\n}\n}\n}\ninactive: b {\n c;\n/* x\n")
	f.Add("arista_eos", "line vty\n\ttransport input telnet\n!\n")
	f.Add("", "set system services ssh\ndeactivate system\n")
	f.Fuzz(func(t *testing.T, plat, config string) {
		res := rs.Check(compliance.Target{Host: "h", Platform: plat, InGroup: func(string) bool { return true }}, config)
		if len(res) != len(rs.Rules) {
			t.Fatalf("%d results for %d rules", len(res), len(rs.Rules))
		}
		for i, r := range res {
			if r.Rule != rs.Rules[i].ID || (r.Status == compliance.Fail) != (len(r.Findings) > 0) {
				t.Fatalf("result %+v", r)
			}
		}
		_ = compliance.Detect(config)
	})
}
