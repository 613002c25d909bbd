package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"

	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// complianceStore writes a small backup repository layout: three hosts in the work tree (not
// committed), their platforms in the store's status file.
func complianceStore(t *testing.T) (dir, rules string) {
	t.Helper()
	dir = t.TempDir()
	out := filepath.Join(dir, "backup-out")
	if err := os.MkdirAll(filepath.Join(out, "configs"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"r1": "hostname r1\nip ssh version 2\nline vty 0 4\n transport input ssh\n",
		"r2": "hostname r2\nip ssh version 1\nline vty 0 4\n transport input telnet\n",
		"j1": "system {\n    services {\n        ssh;\n    }\n}\n",
	}
	for h, c := range files {
		if err := os.WriteFile(filepath.Join(out, "configs", h), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := git.PlainInit(out, false); err != nil {
		t.Fatal(err)
	}
	status := `{"version":1,"hosts":{"r1":{"host":"r1","platform":"cisco_iosxe"},"r2":{"host":"r2","platform":"ios"},"j1":{"host":"j1","platform":"juniper_junos"}}}`
	if err := os.WriteFile(gitstore.StatusPath(out), []byte(status), 0o644); err != nil {
		t.Fatal(err)
	}
	rules = filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rules, []byte(`rules:
  - id: ssh-v2
    severity: high
    platforms: [ios]
    must_contain: [ip ssh version 2]
  - id: vty-ssh
    severity: low
    platforms: [ios]
    section: '^line vty'
    must_contain: [transport input ssh]
  - id: junos-ssh
    platforms: [junos]
    must_contain: [set system services ssh]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, rules
}

func runCompliance(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), append([]string{"compliance"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestComplianceCommand(t *testing.T) {
	out, rules := complianceStore(t)
	code, stdout, stderr := runCompliance(t, "-rules", rules, "-out", out)
	if code != exitFailed {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{"FAIL  high     r2  ssh-v2\n", `        missing "ip ssh version 2"`, "FAIL  low      r2  vty-ssh\n",
		"compliance of 3 hosts", "  compliant      2\n", "  non-compliant  1\n", "rule results   3 pass, 2 fail, 4 skipped"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "r1") || strings.Contains(stdout, "j1") {
		t.Errorf("compliant hosts listed:\n%s", stdout)
	}

	// -fail-on high: the low failure alone does not fail the run; -filter keeps r1 and j1.
	if code, _, stderr := runCompliance(t, "-rules", rules, "-out", out, "-filter", "name in [r1, j1]"); code != exitOK {
		t.Errorf("filtered: exit %d: %s", code, stderr)
	}
	if code, _, _ := runCompliance(t, "-rules", rules, "-out", out, "-fail-on", "critical"); code != exitOK {
		t.Errorf("-fail-on critical: exit %d", code)
	}

	// With an inventory: its platforms and groups; a host it lists without a stored
	// configuration is reported; a stored host it does not list is not checked.
	inv := t.TempDir()
	writeFiles(t, inv, map[string]string{
		"hosts.yaml":  "r1: {platform: ios, groups: [core]}\nr2: {platform: ios}\nnew1: {platform: eos}\n",
		"groups.yaml": "core: {}\n",
	})
	code, stdout, stderr = runCompliance(t, "-rules", rules, "-out", out, "-inventory", inv, "-filter", "name in [r1, new1]")
	if code != exitFailed || !strings.Contains(stdout, "ERROR new1: no stored configuration in "+out) || strings.Contains(stdout, "r2") ||
		!strings.Contains(stdout, "  compliant      1\n") || !strings.Contains(stderr, "1 stored configurations of hosts not in -inventory") {
		t.Errorf("inventory: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// JSON on stdout and JUnit to a file.
	junit := filepath.Join(t.TempDir(), "c.xml")
	code, stdout, _ = runCompliance(t, "-rules", rules, "-out", out, "-format", "json", "-junit", junit)
	var rep struct {
		Results []struct{ Host, Rule, Status string }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Results) != 9 || code != exitFailed {
		t.Errorf("json: exit %d, %v, %d results", code, err, len(rep.Results))
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil || suites.Tests != 5 || suites.Failures != 2 {
		t.Errorf("junit: %v %+v", err, suites)
	}
}

func TestComplianceCommandErrors(t *testing.T) {
	out, rules := complianceStore(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  - id: x\n    must_match: ['(']\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-rules: a rules file is required"},
		{[]string{"-rules", bad, "-out", out}, bad + ":3:18: must_match: error parsing regexp"},
		{[]string{"-rules", rules, "-out", filepath.Join(out, "nope")}, "-out: stat "},
		{[]string{"-rules", rules, "-out", out, "-format", "yaml"}, `-format "yaml"`},
		{[]string{"-rules", rules, "-out", out, "-fail-on", "sometimes"}, "-fail-on: unknown severity"},
		{[]string{"-rules", rules, "-out", out, "-filter", "name in [r1"}, "-filter: "},
		{[]string{"-rules", rules, "-out", out, "-filter", "name=zz"}, "no stored configuration selected"},
		{[]string{"-rules", rules, "-out", out, "-rev", "HEAD"}, `revision "HEAD"`},
	} {
		code, _, stderr := runCompliance(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}

// TestComplianceAlerts checks that failures reach Alertmanager's API, one alert per host and
// failed rule (a loopback server standing in for Alertmanager's /api/v2/alerts).
func TestComplianceAlerts(t *testing.T) {
	out, rules := complianceStore(t)
	var mu sync.Mutex
	var alerts []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/api/v2/alerts" && r.Method == http.MethodPost {
			var as []map[string]any
			_ = json.Unmarshal(body, &as)
			mu.Lock()
			alerts = append(alerts, as...)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	code, _, stderr := runCompliance(t, "-rules", rules, "-out", out, "-alertmanager-url", srv.URL)
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	firing := map[string]bool{}
	for _, a := range alerts {
		labels, _ := a["labels"].(map[string]any)
		if labels["alertname"] == "NornComplianceFailed" && a["endsAt"] == nil {
			firing[labels["host"].(string)+" "+labels["task"].(string)] = true
		}
	}
	for _, want := range []string{"r2 compliance/ssh-v2", "r2 compliance/vty-ssh"} {
		if !firing[want] {
			t.Errorf("no alert for %s in %v", want, alerts)
		}
	}
}
