package backup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// sessionsDir finds ../shared/device-sessions beside the repository (the directory holding
// go.mod), where CI keeps the recorded real-device sessions.
func sessionsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the package directory")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "device-sessions")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("recorded device sessions not found at %s", d)
	}
	return d
}

type recording struct {
	Events map[string]map[string]map[string]struct {
		ChannelOutput string `yaml:"channel_output"`
	} `yaml:"events"`
}

// TestRecordedSessions runs the real devices' configuration outputs through the pipeline: the
// complete ones (after "terminal length 0") pass the checks with their secrets removed, the
// paged ones (before it) are refused as incomplete.
func TestRecordedSessions(t *testing.T) {
	dir := sessionsDir(t)
	ps := DefaultProfiles()
	cases := []struct {
		platform, level, command string
		secrets                  []string // must not survive RedactAll
	}{
		{"cisco_iosxe", "privilege_exec", "show run", []string{"b0x3N-b0x3N", "$9$xvWnx8Fe35f8xE$E9ijp7GM/V48P5y1Uz3IEPtotXgwkJKYJmN0q3q2E92"}},
		{"cisco_nxos", "privilege_exec", "show run", []string{"$5$LOIMHI$hIaO64VM40", "0xd42fc9f6e153a348e1ab40f0f5b84589", "0xc168bfc2b500129bd35ee550b6d5d93d"}},
		{"cisco_iosxr", "privilege_exec", "show run", []string{"$1$ERrP$IwIygdqbJGkqrXZDtaWVI0"}},
		{"arista_eos", "privilege_exec", "show run", []string{"$6$TVJ6KgdC0qsGkKfb", "$6$1ex07TzYfKx23A9z"}},
		{"juniper_junos", "exec", "show configuration", []string{"$6$RhR81Jm4", "$6$iYt26fU9"}},
	}
	for _, tc := range cases {
		t.Run(tc.platform, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.platform+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var rec recording
			if err := yaml.Unmarshal(b, &rec); err != nil {
				t.Fatalf("%s.yaml: %v", tc.platform, err)
			}
			p, _ := ps.Lookup(tc.platform)

			raw := rec.Events[tc.level]["post_on_open"][tc.command].ChannelOutput
			if raw == "" {
				t.Fatalf("%s.yaml: no %s/post_on_open/%s output", tc.platform, tc.level, tc.command)
			}
			got := p.Redact(p.Clean(raw), RedactAll, "b0x3N-b0x3N")
			if err := p.Check(raw, got); err != nil {
				t.Fatalf("complete output refused: %v", err)
			}
			for _, s := range tc.secrets {
				if strings.Contains(got, s) {
					t.Errorf("secret %q survived", s)
				}
			}
			if !strings.Contains(got, Placeholder) {
				t.Errorf("nothing was redacted")
			}
			if again := p.Redact(p.Clean(raw), RedactAll, "b0x3N-b0x3N"); again != got {
				t.Errorf("the same output gave a different result")
			}

			paged := rec.Events[tc.level]["pre_on_open"][tc.command].ChannelOutput
			err = p.Check(paged, p.Redact(p.Clean(paged), RedactAll))
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "pager") {
				t.Errorf("paged output: got %v, want an incomplete error about the pager", err)
			}
		})
	}
}
