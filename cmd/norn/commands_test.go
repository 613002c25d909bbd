package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// norn runs the command line args and returns the exit status, stdout and stderr.
func norn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A SimpleInventory with groups, defaults, data and connection options holding secrets.
func testInventory(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"hosts.yaml": `
r1:
  hostname: 192.0.2.1
  groups: [core, ams1]
  data: {role: spine, snmp_community: Comm-Secret-1, notes: "login with Pw-Host-Secret"}
  connection_options:
    scrapli:
      extras: {auth_secondary: En-Secret-2, transport: system}
r2:
  hostname: 192.0.2.2
  groups: [ams1]
  platform: arista_eos
sw1:
  hostname: 192.0.2.3
  groups: [edge]
`,
		"groups.yaml": `
core: {groups: [ios], data: {role: core, tier: 1}}
ios: {platform: cisco_iosxe}
ams1: {data: {site: ams1}}
edge: {platform: juniper_junos, data: {site: fra1}}
`,
		"defaults.yaml": "username: admin\npassword: Pw-Host-Secret\nport: 22\ndata: {owner: noc}\n",
	})
	return dir
}

func TestInventoryCommand(t *testing.T) {
	inv := testInventory(t)
	secrets := []string{"Pw-Host-Secret", "Comm-Secret-1", "En-Secret-2"}
	noLeak := func(out string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("secret %s printed:\n%s", s, out)
			}
		}
	}

	code, out, errOut := norn(t, "inventory", "-inventory", inv)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	mustMatch(t, "list", `(?m)^NAME +HOSTNAME +PORT +PLATFORM +GROUPS$`, out)
	mustMatch(t, "list", `(?m)^r1 +192\.0\.2\.1 +22 +cisco_iosxe +core,ams1$`, out)
	mustMatch(t, "list", `(?m)^sw1 +192\.0\.2\.3 +22 +juniper_junos +edge$`, out)
	mustMatch(t, "list", `(?m)^3 of 3 hosts \(`, out)

	code, out, _ = norn(t, "inventory", "-inventory", inv, "-filter", "site=ams1", "-json")
	var list []hostLine
	if code != exitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || list[0].Name != "r1" || list[1].Platform != "arista_eos" {
		t.Fatalf("-filter -json: exit %d %+v\n%s", code, list, out)
	}

	code, out, errOut = norn(t, "inventory", "-inventory", inv, "r1")
	if code != exitOK {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	noLeak(out)
	for _, want := range []string{
		`(?m)^hostname +192\.0\.2\.1$`, `(?m)^username +admin$`, `(?m)^password +<redacted>$`, `(?m)^platform +cisco_iosxe$`,
		`(?m)^groups +core, ams1$`, `(?m)^resolution order +r1 > core > ios > ams1 > defaults$`,
		`(?m)^  role: "spine"$`, `(?m)^  tier: 1$`, `(?m)^  site: "ams1"$`, `(?m)^  owner: "noc"$`, `(?m)^  snmp_community: "<redacted>"$`,
		`(?m)^  notes: "login with <redacted>"$`,
		`(?m)^connection scrapli:$`, `(?m)^    auth_secondary: "<redacted>"$`, `(?m)^    transport: "system"$`,
	} {
		mustMatch(t, "show r1", want, out)
	}
	code, out, _ = norn(t, "inventory", "-inventory", inv, "-json", "r1")
	noLeak(out)
	var rh resolvedHost
	if code != exitOK || json.Unmarshal([]byte(out), &rh) != nil || strings.Join(rh.Resolution, ",") != "core,ios,ams1" || rh.Password != "<redacted>" {
		t.Fatalf("show -json: exit %d %+v\n%s", code, rh, out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"inventory", "-inventory", inv, "nope"}, `no host "nope" in .* \(3 hosts\)`},
		{[]string{"inventory", "-inventory", inv, "-filter", "site=ams1", "sw1"}, `host "sw1" is not selected by -filter "site=ams1"`},
		{[]string{"inventory", "-inventory", inv, "-filter", "site=nowhere"}, `-filter "site=nowhere" selects none of the 3 hosts`},
		{[]string{"inventory", "-inventory", inv, "-filter", "site=="}, `-filter: `},
		{[]string{"inventory", "-inventory", filepath.Join(inv, "missing")}, `missing/hosts\.yaml`},
		{[]string{"inventory"}, `no inventory: set inventory.simple.dir or inventory.netbox.url`},
		{[]string{"inventory", "-inventory", inv, "r1", "r2"}, `want at most one HOST`},
		{[]string{"inventory", "-bogus"}, `flag provided but not defined: -bogus`},
	} {
		code, out, errOut := norn(t, tc.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, want 2; stdout %q", tc.args, code, out)
		}
		mustMatch(t, strings.Join(tc.args, " "), tc.want, errOut)
	}
}

// TestInventoryNetBox: the NetBox mapping as a run would see it, before any run.
func TestInventoryNetBox(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef01234567"
	srv := netboxtest.NewServer(netboxtest.Config{Tokens: []string{token}})
	defer srv.Close()
	srv.AddDevices(
		netboxtest.Device{Name: "ams-r1", Site: "ams1", Role: "core", Platform: "cisco-ios-xe", PrimaryIP4: "192.0.2.1/32"},
		netboxtest.Device{Name: "ams-sw1", Site: "ams1", Role: "access", Platform: "eos", PrimaryIP4: "192.0.2.2/32"},
		netboxtest.Device{Name: "spare", Site: "ams1", Role: "access", Platform: "eos", Status: "planned", PrimaryIP4: "192.0.2.3/32"},
	)
	t.Setenv("NB_TOKEN", token)
	code, out, errOut := norn(t, "inventory", "-netbox-url", srv.URL, "-filter", "role=core")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	mustMatch(t, "list", `(?m)^ams-r1 +192\.0\.2\.1 +- +cisco_iosxe +site__ams1,role__core,platform__cisco-ios-xe$`, out)
	mustMatch(t, "list", `(?m)^1 of 2 hosts \(NetBox http://127\.0\.0\.1:\d+\)$`, out)
	code, out, _ = norn(t, "inventory", "-netbox-url", srv.URL, "-json", "ams-sw1")
	var rh resolvedHost
	if code != exitOK || json.Unmarshal([]byte(out), &rh) != nil || rh.Platform != "arista_eos" || rh.Hostname != "192.0.2.2" {
		t.Fatalf("show: exit %d %+v\n%s", code, rh, out)
	}
	if strings.Contains(out+errOut, token) {
		t.Error("the token is printed")
	}
	t.Setenv("NB_TOKEN", "ffffffffffffffffffffffffffffffffffffffff")
	code, _, errOut = norn(t, "inventory", "-netbox-url", srv.URL)
	if code != exitUsage {
		t.Errorf("wrong token: exit %d", code)
	}
	mustMatch(t, "wrong token", `127\.0\.0\.1:\d+.*(403|[Ii]nvalid token)`, errOut)
}

// TestRunCommand: commands over real SSH to devsim; per-host output, -json, a failing host
// exits 1 and the others still answer.
func TestRunCommand(t *testing.T) {
	f := newFixture(t, 4, map[int]devsim.FaultKind{2: devsim.FaultRejectAuth})
	base := []string{"run", "-inventory", f.inv, "-retry-wait", "10ms", "-timeout", "20s"}
	code, out, errOut := norn(t, append(base, "-filter", "platform=cisco_iosxe", "show version", "show clock")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	mustMatch(t, "stdout", `(?m)^==== `+f.names[0]+` ok [0-9.]+s\n---- show version\n(?s:.*)Cisco IOS XE Software(?s:.*)---- show clock\n`, out)
	mustMatch(t, "stderr", `(?m)^1 host: 1 ok, 0 failed, 0 not run$`, errOut)
	noSecrets(t, "stdout", out)
	noSecrets(t, "stderr", errOut)

	code, out, errOut = norn(t, append(base, "-json", "-retries", "1", "show version")...)
	if code != exitFailed {
		t.Fatalf("a failing host: exit %d, want 1\n%s", code, errOut)
	}
	var rep runReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Hosts != 4 || rep.OK != 3 || rep.Failed != 1 || len(rep.Results) != 4 {
		t.Fatalf("report: %+v", rep)
	}
	_, listing, _ := norn(t, "inventory", "-inventory", f.inv, "-json")
	var order []hostLine
	if err := json.Unmarshal([]byte(listing), &order); err != nil || len(order) != 4 {
		t.Fatalf("inventory: %v\n%s", err, listing)
	}
	for i, r := range rep.Results {
		faulty := r.Host == f.names[2]
		switch {
		case r.Host != order[i].Name:
			t.Errorf("result %d is %s, want %s (inventory order)", i, r.Host, order[i].Name)
		case faulty && (r.Status != "failed" || r.Class != "authentication" || len(r.Output) != 0):
			t.Errorf("faulty host: %+v", r)
		case !faulty && (r.Status != "ok" || len(r.Output) != 1 || r.Output[0].Command != "show version" || r.Output[0].Output == ""):
			t.Errorf("host %s: %+v", r.Host, r)
		}
	}
	noSecrets(t, "json", out)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-inventory", f.inv}, `no COMMAND to send`},
		{[]string{"run", "-inventory", f.inv, "-workers", "0", "show version"}, `-workers 0: want at least 1`},
		{[]string{"run", "-inventory", f.inv, "-timeout", "soon", "show version"}, `invalid value "soon" for flag -timeout: want a duration`},
		{[]string{"run", "-inventory", f.inv, "-filter", "name=nope", "show version"}, `-filter "name=nope" selects none of the 4 hosts`},
		{[]string{"run", "show version"}, `no inventory`},
	} {
		code, out, errOut := norn(t, tc.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, want 2; stdout %q", tc.args, code, out)
		}
		mustMatch(t, strings.Join(tc.args, " "), tc.want, errOut)
	}
}

// TestDevsimCommand: 'norn devsim' runs a fleet with its inventory until cancelled.
func TestDevsimCommand(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut safeBuffer
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, []string{"devsim", "-n", "3", "-seed", "2", "-inventory", dir}, &out, &errOut)
	}()
	for i := 0; !strings.Contains(out.String(), "running until"); i++ {
		select {
		case code := <-done:
			t.Fatalf("exited %d: %s %s", code, out.String(), errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	mustMatch(t, "stdout", `devsim: 3 devices listening on 127\.0\.0\.1`, out.String())
	if code, list, errText := norn(t, "inventory", "-inventory", dir); code != exitOK || !strings.Contains(list, "3 of 3 hosts") {
		t.Errorf("the fleet's inventory: exit %d\n%s%s", code, list, errText)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d", code)
	}
	mustMatch(t, "stdout", `devsim: stopping: `, out.String())
	code, _, errText := norn(t, "devsim", "-fault-rate", "3")
	if code != exitUsage || !strings.Contains(errText, "norn devsim: ") {
		t.Errorf("bad fault rate: exit %d %s", code, errText)
	}
	if code, _, errText := norn(t, "devsim", "-bogus"); code != exitUsage || !strings.Contains(errText, "-bogus") {
		t.Errorf("bad flag: exit %d %s", code, errText)
	}
}

func TestVersion(t *testing.T) {
	v := readVersion(func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/gonorn/norn", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}, true
	})
	if v.Version != "v1.2.3" || v.Go != "go1.26.8" || v.Revision != "abc123" || !v.Modified {
		t.Errorf("%+v", v)
	}
	if v := readVersion(func() (*debug.BuildInfo, bool) { return nil, false }); v.Version != "unknown" || v.Go == "" {
		t.Errorf("no build info: %+v", v)
	}
	code, out, _ := norn(t, "version")
	if code != exitOK {
		t.Fatal(code)
	}
	mustMatch(t, "version", `^norn \S+ \(github\.com/gonorn/norn\)\ngo1\.\d+`, out)
	code, out, _ = norn(t, "version", "-json")
	var vi versionInfo
	if code != exitOK || json.Unmarshal([]byte(out), &vi) != nil || vi.Module != "github.com/gonorn/norn" {
		t.Errorf("-json: %d %s", code, out)
	}
}

// TestConfigCheck: the effective configuration and where each value came from; flags over the
// environment over the file over the defaults; an unknown key is an error at file:line:col.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "norn.yaml")
	writeFiles(t, dir, map[string]string{
		"norn.yaml": "runner:\n  workers: 20\n  timeout: 30s\n  retries: 5\nbackup:\n  out: /srv/norn\nhooks:\n  webhook: {url: 'http://127.0.0.1:9/hook', secret_file: " + filepath.Join(dir, "secret") + "}\n",
		"secret":    "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=\n",
		"bad.yaml":  "runner:\n  workers: 20\n  wokers: 3\n",
	})
	t.Setenv("NORN_CONFIG", path)
	t.Setenv("NORN_WORKERS", "30")
	t.Setenv("NORN_TIMEOUT", "40s")
	code, out, errOut := norn(t, "config", "check", "-workers", "40")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`(?m)^  workers: 40 +# -workers$`,
		`(?m)^  timeout: 40s +# \$NORN_TIMEOUT$`,
		`(?m)^  retries: 5 +# .*norn\.yaml:4:12$`,
		`(?m)^  retry_wait: 500ms +# default$`,
		`(?m)^  out: /srv/norn +# .*norn\.yaml:6:8$`,
	} {
		mustMatch(t, "config check", want, out)
	}
	mustMatch(t, "stderr", `norn\.yaml is valid`, errOut)
	if strings.Contains(out, "c2VjcmV0") {
		t.Error("the webhook secret is printed")
	}

	t.Setenv("NORN_CONFIG", "")
	code, out, errOut = norn(t, "config", "check", "-config", filepath.Join(dir, "bad.yaml"))
	if code != exitUsage || out != "" {
		t.Fatalf("unknown key: exit %d, stdout %q", code, out)
	}
	mustMatch(t, "stderr", `bad\.yaml:3:3: unknown key "wokers" in runner \(did you mean "workers"\?\)`, errOut)

	// The same file, the same error, for every command that reads it, and nothing written.
	out2 := filepath.Join(dir, "repo")
	code, _, errOut = norn(t, "backup", "-config", filepath.Join(dir, "bad.yaml"), "-out", out2)
	if code != exitUsage || !strings.Contains(errOut, `bad.yaml:3:3: unknown key "wokers"`) {
		t.Errorf("backup: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("backup wrote %s", out2)
	}
	t.Setenv("NORN_WORKERS", "many")
	code, _, errOut = norn(t, "config", "check")
	if code != exitUsage || !strings.Contains(errOut, `$NORN_WORKERS="many": want an integer`) {
		t.Errorf("bad environment: exit %d: %s", code, errOut)
	}
	code, _, errOut = norn(t, "config", "frobnicate")
	if code != exitUsage || !strings.Contains(errOut, `unknown subcommand "frobnicate"`) {
		t.Errorf("config frobnicate: exit %d: %s", code, errOut)
	}
}

// TestDispatch: -h on every command shows usage with examples (exit 0); unknown commands and
// bad flags exit 2 with a clear message.
func TestDispatch(t *testing.T) {
	for _, cmd := range [][]string{{"backup"}, {"run"}, {"inventory"}, {"config", "check"}, {"version"}, {"devsim"}} {
		code, out, errOut := norn(t, append(cmd, "-h")...)
		if code != exitOK {
			t.Errorf("%v -h: exit %d", cmd, code)
		}
		mustMatch(t, strings.Join(cmd, " ")+" -h", `(?s)Usage: norn `+strings.Join(cmd, " ")+`.*Examples:\n  `, out+errOut)
	}
	code, _, errOut := norn(t, "frobnicate")
	if code != exitUsage || !strings.Contains(errOut, `norn: unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d %s", code, errOut)
	}
	code, out, _ := norn(t, "help")
	if code != exitOK || !strings.Contains(out, "inventory") {
		t.Errorf("help: exit %d %s", code, out)
	}
	if code, _, _ := norn(t); code != exitUsage {
		t.Errorf("no command: exit %d", code)
	}
}

// TestBackupReadsConfig: norn backup takes its inventory and settings from norn.yaml, the
// environment over the file and the flags over both.
func TestBackupReadsConfig(t *testing.T) {
	f := newFixture(t, 3, nil)
	dir := t.TempDir()
	fileOut, flagOut := filepath.Join(dir, "from-file"), filepath.Join(dir, "from-flag")
	writeFiles(t, dir, map[string]string{"norn.yaml": "inventory:\n  simple: {dir: " + f.inv + "}\nrunner:\n  workers: 3\n  retries: 4\nbackup:\n  out: " + fileOut + "\n"})
	t.Setenv("NORN_CONFIG", filepath.Join(dir, "norn.yaml"))
	t.Setenv("NORN_RETRIES", "1")
	code, out, errOut := norn(t, "backup", "-out", flagOut, "-progress", "off")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	mustMatch(t, "stdout", `backing up 3 hosts into `+regexp.QuoteMeta(flagOut)+`: 3 workers, timeout 10s, no retries, auth breaker on`, out)
	if n := len(commits(t, flagOut)); n != 1 {
		t.Errorf("%d commits in the -out repository, want 1", n)
	}
	if _, err := os.Stat(fileOut); !os.IsNotExist(err) {
		t.Errorf("the file's backup.out was written although -out overrides it")
	}
}
