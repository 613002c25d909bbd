package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonorn/norn/tasks/backup/gitstore"
)

const pushTemplate = `{{if eq .Platform "juniper_junos"}}set system location building {{.Host}}-{{get "site"}}
{{else}}snmp-server location {{.Host}}-{{get "site"}}
{{end}}`

// TestPushCommand: 'norn push' over SSH on a simulated fleet of every platform: a dry run, the
// change, an idempotent rerun, and a canary stopped by a failing post-check.
func TestPushCommand(t *testing.T) {
	f := newFixture(t, 5, nil)
	dir := t.TempDir()
	tpl := filepath.Join(dir, "loc.tmpl")
	if err := os.WriteFile(tpl, []byte(pushTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"push", "-inventory", f.inv, "-progress", "off", "-retry-wait", "10ms", "-timeout", "60s", "-template", tpl}

	code, out, errOut := norn(t, append(base, "-dry-run")...)
	if code != exitOK {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, name := range f.names {
		d, _ := f.fleet.Device(name)
		mustMatch(t, "dry run", `(?m)^---- `+name+`: rendered from .*\n.*location.* `+name+`-`, out)
		mustMatch(t, "dry run", `(?m)^==== `+name+` WOULD CHANGE \(.*\)\n\+ .*location.* `+name+`-`, out)
		if strings.Contains(d.RunningConfig(), name+"-") {
			t.Errorf("%s: the dry run changed the device", name)
		}
	}
	mustMatch(t, "stderr", `(?m)^dry run on 5 hosts of .* in 3 batches \[1 2 2\]`, errOut)
	noSecrets(t, "stdout", out)

	repo := filepath.Join(dir, "repo")
	code, out, errOut = norn(t, append(base, "-post-check", "show version::e", "-json", "-checkpoint-out", repo)...)
	if code != exitOK {
		t.Fatalf("push: exit %d\n%s\n%s", code, out, errOut)
	}
	var rep pushReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Counts["changed"] != 5 || len(rep.Hosts) != 5 {
		t.Fatalf("push report: %+v", rep)
	}
	for _, h := range rep.Hosts {
		d, _ := f.fleet.Device(h.Host)
		if h.Outcome != "changed" || h.Batch == 0 || !strings.Contains(h.Diff, h.Host+"-") || !strings.Contains(d.RunningConfig(), h.Host+"-") {
			t.Errorf("%s: %+v", h.Host, h)
		}
	}
	noSecrets(t, "json", out)
	mustMatch(t, "stderr", `checkpoints committed to .*repo \([0-9a-f]{40}\)`, errOut)
	store, err := gitstore.Open(gitstore.Config{Dir: repo})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range f.names {
		b, ok, err := store.Get(name)
		if err != nil || !ok || len(b) < 500 || strings.Contains(string(b), name+"-") {
			t.Errorf("%s: checkpoint in the repository: ok %v err %v, %d bytes", name, ok, err, len(b))
		}
		noSecrets(t, "checkpoint", string(b))
	}

	code, out, errOut = norn(t, base...)
	if code != exitOK || strings.Count(out, " UNCHANGED ") != 5 {
		t.Fatalf("rerun: exit %d\n%s\n%s", code, out, errOut)
	}
	mustMatch(t, "rerun", `(?m)^5 hosts: 0 changed, 5 unchanged, 0 not_run$`, errOut)

	// A post-check that fails everywhere: the canary host is rolled back, the rest not run.
	lines := filepath.Join(dir, "lines.txt")
	if err := os.WriteFile(lines, []byte("snmp-server contact noc-canary\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"push", "-inventory", f.inv, "-progress", "off", "-timeout", "60s", "-lines", lines,
		"-filter", "platform in [cisco_iosxe, cisco_nxos, arista_eos, cisco_iosxr]", "-post-check", "show version::!Version", "-canary", "1"}
	code, out, errOut = norn(t, args...)
	if code != exitFailed {
		t.Fatalf("canary: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	mustMatch(t, "canary", `(?m)^==== \S+ ROLLED BACK \(.*\) \[rolled_back\]: .*post-check failed`, out)
	mustMatch(t, "canary", `(?m)^norn push: stopped: batch 1 of 3 had 1 failed host\(s\) of 1: the remaining 3 hosts were not run$`, errOut)
	mustMatch(t, "canary", `(?m)^4 hosts: 0 changed, 1 rolled_back, 3 not_run$`, errOut)
	for _, d := range f.fleet.Devices() {
		if strings.Contains(d.RunningConfig(), "noc-canary") {
			t.Errorf("%s: the canary change is still there", d.Name())
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"push", "-inventory", f.inv}, `give exactly one of -lines FILE and -template FILE`},
		{[]string{"push", "-inventory", f.inv, "-lines", lines, "-template", tpl}, `give exactly one of -lines FILE and -template FILE`},
		{[]string{"push", "-inventory", f.inv, "-lines", lines, "-canary", "0"}, `-canary 0: want at least 1`},
		{[]string{"push", "-inventory", f.inv, "-lines", lines, "-post-check", "show version"}, `invalid value "show version" for flag -post-check`},
		{[]string{"push", "-inventory", f.inv, "-lines", filepath.Join(dir, "nope.txt")}, `-lines: open .*nope.txt: no such file`},
		{[]string{"push", "-inventory", f.inv, "-lines", lines, "-filter", "name=nope"}, `-filter "name=nope" selects none of the 5 hosts`},
	} {
		code, out, errOut := norn(t, tc.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, want 2; stdout %q", tc.args, code, out)
		}
		mustMatch(t, strings.Join(tc.args, " "), tc.want, errOut)
	}
	bad := filepath.Join(dir, "bad.tmpl")
	if err := os.WriteFile(bad, []byte("snmp-server location {{get \"nosuchkey\"}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = norn(t, "push", "-inventory", f.inv, "-template", bad)
	if code != exitUsage {
		t.Fatalf("bad template: exit %d\n%s", code, errOut)
	}
	mustMatch(t, "bad template", `-template: rollout: host \S+: template: .*bad.tmpl:1:.*has no data "nosuchkey"`, errOut)
}
