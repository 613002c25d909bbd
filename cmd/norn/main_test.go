package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/webhook"
	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
	"github.com/gonorn/norn/tasks/backup"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The fleet's secrets: distinctive, so a leak into a stored file or the output is found.
const (
	testPassword = "Pw-9f3kQ-zz"
	testEnable   = "En-7Xq2-yy"
)

// fixture is a simulated fleet with its inventory and a backup repository directory.
type fixture struct {
	fleet *devsim.Fleet
	inv   string
	out   string
	names []string // device names in inventory order
}

// newFixture starts n devices (all five platforms in turn, small configurations) with the given
// faults by device index.
func newFixture(t *testing.T, n int, faults map[int]devsim.FaultKind) *fixture {
	t.Helper()
	cfg := devsim.FleetConfig{N: n, Seed: 7, ConfigSize: 6000, Password: testPassword, EnableSecret: testEnable}
	dcs, err := devsim.FleetDeviceConfigs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{}
	for _, dc := range dcs {
		f.names = append(f.names, dc.Name)
	}
	cfg.Faults = map[string]devsim.Faults{}
	for i, k := range faults {
		fl, err := k.Faults()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Faults[f.names[i]] = fl
	}
	f.fleet, err = devsim.StartFleet(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.fleet.Close() })
	f.inv = t.TempDir()
	if err := f.fleet.WriteInventory(f.inv); err != nil {
		t.Fatal(err)
	}
	f.out = filepath.Join(t.TempDir(), "repo")
	return f
}

// run runs the program on the fixture's inventory and repository.
func (f *fixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return f.runCtx(t, context.Background(), nil, args...)
}

func (f *fixture) runCtx(t *testing.T, ctx context.Context, extraHooks []any, args ...string) (int, string, string) {
	t.Helper()
	all := append([]string{"-inventory", f.inv, "-out", f.out, "-progress", "off", "-retry-wait", "10ms", "-timeout", "20s"}, args...)
	var stdout, stderr bytes.Buffer
	code := runWith(ctx, all, &stdout, &stderr, extraHooks)
	return code, stdout.String(), stderr.String()
}

// commits returns the repository's commits, newest first.
func commits(t *testing.T, dir string) []*object.Commit {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		return nil // no commit yet
	}
	iter, err := repo.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		t.Fatal(err)
	}
	var out []*object.Commit
	_ = iter.ForEach(func(c *object.Commit) error { out = append(out, c); return nil })
	return out
}

func configFile(f *fixture, host string) string {
	return filepath.Join(f.out, gitstore.ConfigsDir, gitstore.FileName(host))
}

func mustMatch(t *testing.T, what, pattern, s string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(s) {
		t.Errorf("%s does not match %q:\n%s", what, pattern, s)
	}
}

// noSecrets fails if a fleet secret appears in s.
func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{testPassword, testEnable} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains the secret %q", what, secret)
		}
	}
}

func decodeJSON(t *testing.T, s string) jsonReport {
	t.Helper()
	var doc jsonReport
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("-json output does not parse: %v\n%s", err, s)
	}
	return doc
}

// TestFaultsThenNoChange: a fleet with faulty devices fails those hosts (exit 1) with their
// classes, commits the others, keeps secrets out of every file and output, and a second run
// with nothing changed makes no commit.
func TestFaultsThenNoChange(t *testing.T) {
	f := newFixture(t, 15, map[int]devsim.FaultKind{
		1: devsim.FaultRejectAuth,     // authentication
		2: devsim.FaultTruncateConfig, // incomplete
		3: devsim.FaultDropMidOutput,  // connection, retried
	})
	code, out, errOut := f.run(t, "-v")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	mustMatch(t, "summary", `(?m)^  ok +12 +changed 12, unchanged 0$`, out)
	mustMatch(t, "summary", `(?m)^  failed +3 +.*authentication 1`, out)
	mustMatch(t, "summary", `(?m)^  failed +3 +.*incomplete 1`, out)
	mustMatch(t, "summary", `(?m)^  failed +3 +.*connection 1`, out)
	mustMatch(t, "summary", `(?m)^  not run +0$`, out)
	mustMatch(t, "summary", `(?m)^  stale +3 `, out)
	mustMatch(t, "summary", `[0-9.]+ hosts/s`, out)
	mustMatch(t, "summary", `peak RSS [0-9.]+ MiB, Go heap peak [0-9.]+ MiB`, out)
	mustMatch(t, "summary", `(?m)^  per host +median \S+, 95th percentile \S+, slowest \S+ \([a-z]+-[a-z]+-\d+\)$`, out)
	for _, i := range []int{1, 2, 3} {
		mustMatch(t, "failed hosts", `(?m)^  `+regexp.QuoteMeta(f.names[i])+` `, out)
		if _, err := os.Stat(configFile(f, f.names[i])); err == nil {
			t.Errorf("failed host %s has a stored configuration", f.names[i])
		}
	}
	mustMatch(t, "failed hosts", regexp.QuoteMeta(f.names[3])+`.*\(3 attempts\)`, out)
	cs := commits(t, f.out)
	if len(cs) != 1 {
		t.Fatalf("%d commits after the first run, want 1", len(cs))
	}
	mustMatch(t, "summary", `commit +`+cs[0].Hash.String()[:10]+` "norn backup: 12 changed`, out)
	for i, name := range f.names {
		if i >= 1 && i <= 3 {
			continue
		}
		b, err := os.ReadFile(configFile(f, name))
		if err != nil {
			t.Fatalf("host %s: %v", name, err)
		}
		noSecrets(t, "stored configuration of "+name, string(b))
	}
	status, err := os.ReadFile(gitstore.StatusPath(f.out))
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "status file", string(status))
	noSecrets(t, "stdout", out)
	noSecrets(t, "stderr (-v)", errOut)

	code, out, errOut = f.run(t)
	if code != exitFailed {
		t.Fatalf("second run: exit %d, want %d\n%s\n%s", code, exitFailed, out, errOut)
	}
	mustMatch(t, "second run", `(?m)^  ok +12 +changed 0, unchanged 12$`, out)
	mustMatch(t, "second run", `(?m)^  commit +no changes$`, out)
	if n := len(commits(t, f.out)); n != 1 {
		t.Errorf("%d commits after an unchanged run, want 1", n)
	}
	// Run state (the hosts' status changed with the run) stays out of the tracked tree.
	if _, err := exec.LookPath("git"); err == nil {
		out, err := exec.Command("git", "-C", f.out, "status", "--porcelain", "--ignored").CombinedOutput()
		if err != nil || len(out) != 0 {
			t.Errorf("git status in the backup repository after an unchanged run: %v\n%s", err, out)
		}
	}
}

// TestChangeMakesCommitAndDiff: a clean fleet exits 0; a change on one device gives a commit
// and a diff (also in -json), a dry run reports it without writing, a rerun commits nothing.
func TestChangeMakesCommitAndDiff(t *testing.T) {
	f := newFixture(t, 10, nil)
	code, out, errOut := f.run(t)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if n := len(commits(t, f.out)); n != 1 {
		t.Fatalf("%d commits, want 1", n)
	}

	var dev *devsim.Device
	for _, d := range f.fleet.Devices() {
		if d.Platform() == devsim.CiscoIOSXE {
			dev = d
			break
		}
	}
	if err := dev.Configure("snmp-server location rack-42-row-7"); err != nil {
		t.Fatal(err)
	}

	code, out, errOut = f.run(t, "-dry-run")
	if code != exitOK {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	mustMatch(t, "dry run", `(?m)^  ok +10 +would change 1, unchanged 9$`, out)
	mustMatch(t, "dry run", `(?m)^  commit +none \(dry run`, out)
	if n := len(commits(t, f.out)); n != 1 {
		t.Errorf("a dry run made a commit (%d commits)", n)
	}
	if b, _ := os.ReadFile(configFile(f, dev.Name())); strings.Contains(string(b), "rack-42-row-7") {
		t.Errorf("a dry run wrote the new configuration")
	}

	code, out, errOut = f.run(t, "-json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	doc := decodeJSON(t, out)
	if doc.Summary.Hosts != 10 || doc.Summary.OK != 10 || doc.Summary.Changed != 1 || doc.Summary.Unchanged != 9 {
		t.Errorf("summary %+v, want 10 hosts, 10 ok, 1 changed", doc.Summary)
	}
	if hs := doc.Summary.HostSeconds; hs == nil || hs.Max <= 0 || hs.Median > hs.Max || hs.SlowestHost == "" {
		t.Errorf("host_seconds %+v", hs)
	}
	if doc.Commit == nil || doc.Commit.Hash == "" || doc.Commit.Files != 1 {
		t.Fatalf("commit %+v, want one with 1 file", doc.Commit)
	}
	if len(doc.Results) != 10 {
		t.Fatalf("%d results, want 10", len(doc.Results))
	}
	found := false
	for _, raw := range doc.Results {
		var r struct {
			Host    string `json:"host"`
			Status  string `json:"status"`
			Changed bool   `json:"changed"`
			Diff    string `json:"diff"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.Host == dev.Name() {
			found = true
			if !r.Changed || !strings.Contains(r.Diff, "+snmp-server location rack-42-row-7") {
				t.Errorf("result of %s: changed %v, diff:\n%s", r.Host, r.Changed, r.Diff)
			}
		} else if r.Changed {
			t.Errorf("host %s changed", r.Host)
		}
	}
	if !found {
		t.Errorf("no result for %s", dev.Name())
	}
	cs := commits(t, f.out)
	if len(cs) != 2 || cs[0].Hash.String() != doc.Commit.Hash {
		t.Fatalf("commits %d (head %s), want 2 with head %s", len(cs), cs[0].Hash, doc.Commit.Hash)
	}
	patch, err := cs[1].Patch(cs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(patch.String(), "+snmp-server location rack-42-row-7") {
		t.Errorf("the commit's diff lacks the change:\n%s", patch)
	}
	if b, _ := os.ReadFile(configFile(f, dev.Name())); !strings.Contains(string(b), "snmp-server location rack-42-row-7") {
		t.Errorf("stored configuration lacks the change")
	}

	code, out, _ = f.run(t)
	if code != exitOK {
		t.Fatalf("rerun: exit %d", code)
	}
	mustMatch(t, "rerun", `(?m)^  commit +no changes$`, out)
	if n := len(commits(t, f.out)); n != 2 {
		t.Errorf("%d commits after an unchanged rerun, want 2", n)
	}
}

// TestOnlyFailedAcrossRestarts: the status written by one run (one process) drives -only-failed
// in the next: only the hosts that failed run; a host that recovers leaves the list.
func TestOnlyFailedAcrossRestarts(t *testing.T) {
	f := newFixture(t, 10, map[int]devsim.FaultKind{
		2: devsim.FaultRejectAuth,
		8: devsim.FaultTruncateConfig, // arista_eos: no "end" at the end
	})
	// On an empty store (a first run, or one killed before its commit) every host needs a
	// backup: -only-failed resumes from what is stored.
	if code, out, errOut := f.run(t, "-only-failed", "-json"); code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	} else if doc := decodeJSON(t, out); doc.Summary.Hosts != 10 {
		t.Fatalf("-only-failed on an empty store took %d hosts, want all 10", doc.Summary.Hosts)
	}
	// The device's credentials are fixed; the truncation stays.
	dev, _ := f.fleet.Device(f.names[2])
	dev.SetFaults(devsim.Faults{})

	code, out, errOut := f.run(t, "-only-failed", "-json")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	doc := decodeJSON(t, out)
	if doc.Summary.Hosts != 2 || doc.Summary.OK != 1 || doc.Summary.Failed != 1 {
		t.Fatalf("-only-failed summary %+v, want 2 hosts: 1 ok, 1 failed", doc.Summary)
	}
	if len(doc.Failed) != 1 || doc.Failed[0].Host != f.names[8] || doc.Failed[0].Class != backup.ClassIncomplete {
		t.Errorf("failed %+v, want %s incomplete", doc.Failed, f.names[8])
	}

	// A new process reads the status: two consecutive failures for the truncated device.
	store, err := gitstore.Open(gitstore.Config{Dir: f.out})
	if err != nil {
		t.Fatal(err)
	}
	st, ok := store.Status(f.names[8])
	if !ok || st.ConsecutiveFailures != 2 || st.FailureClass != backup.ClassIncomplete {
		t.Errorf("status of %s: %+v, want 2 consecutive incomplete failures", f.names[8], st)
	}
	if st, _ := store.Status(f.names[2]); st.Failing() || st.LastSuccess.IsZero() {
		t.Errorf("status of the recovered %s: %+v", f.names[2], st)
	}

	code, out, _ = f.run(t, "-only-failed", "-json")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1", code)
	}
	if doc := decodeJSON(t, out); doc.Summary.Hosts != 1 {
		t.Errorf("third run took %d hosts, want only %s", doc.Summary.Hosts, f.names[8])
	}
	dev, _ = f.fleet.Device(f.names[8])
	dev.SetFaults(devsim.Faults{})
	if code, out, _ := f.run(t, "-only-failed"); code != exitOK {
		t.Errorf("after the last fix: exit %d, want 0\n%s", code, out)
	}
	if code, out, _ := f.run(t, "-only-failed"); code != exitOK || !strings.Contains(out, "nothing to do") {
		t.Errorf("nothing failing: exit %d, want 0 and nothing to do\n%s", code, out)
	}
}

// TestInterrupt: cancelling the context mid-run (Ctrl-C) stops the run, commits the backups
// that finished, reports the hosts that did not run, and exits 1.
func TestInterrupt(t *testing.T) {
	f := newFixture(t, 20, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var done atomic.Int32
	stopAfter := hooks.TaskOKFunc(func(context.Context, *hooks.Event) {
		if done.Add(1) == 4 {
			cancel()
		}
	})
	code, out, errOut := f.runCtx(t, ctx, []any{stopAfter}, "-workers", "2")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	mustMatch(t, "summary", `backup \(interrupted\) of 20 hosts`, out)
	m := regexp.MustCompile(`(?m)^  not run +(\d+)$`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Fatalf("no not-run hosts reported:\n%s", out)
	}
	mustMatch(t, "not run list", `(?m)^hosts not run( or stopped)? \(`, out)
	if strings.Contains(out, "failed hosts") {
		t.Errorf("hosts stopped by the interrupt are listed as failed:\n%s", out)
	}
	mustMatch(t, "stderr", `interrupted: \d+ hosts not backed up`, errOut)
	ok := regexp.MustCompile(`(?m)^  ok +(\d+) `).FindStringSubmatch(out)
	if ok == nil || ok[1] == "0" {
		t.Fatalf("no host reported ok:\n%s", out)
	}
	cs := commits(t, f.out)
	if len(cs) != 1 {
		t.Fatalf("%d commits, want 1 keeping the finished backups", len(cs))
	}
	entries, err := os.ReadDir(filepath.Join(f.out, gitstore.ConfigsDir))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(entries); got == 0 || got >= 20 || got != atoi(ok[1]) {
		t.Errorf("%d stored configurations, want the %s hosts that finished", got, ok[1])
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestEmbeddedFleet: without -inventory the program starts a simulated fleet and says so.
func TestEmbeddedFleet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "repo")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-fleet", "10", "-faults", "0", "-out", out, "-progress", "lines"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	mustMatch(t, "stdout", `simulated fleet: 10 devices \(cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos\) on 127\.0\.0\.1`, stdout.String())
	mustMatch(t, "stdout", `simulated faults: none`, stdout.String())
	mustMatch(t, "stdout", `(?m)^  ok +10 +changed 10, unchanged 0$`, stdout.String())
	mustMatch(t, "stdout", `\(simulated fleet included\)`, stdout.String())
	mustMatch(t, "progress lines", `(?m)^backup: 10/10 done \(10 ok, 0 failed`, stderr.String())
	if n := len(commits(t, out)); n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
}

// TestUsageErrors: bad flags, filters and inventories exit 2 with a message that says where.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad-yaml")
	badGroup := filepath.Join(dir, "bad-group")
	good := filepath.Join(dir, "good")
	for d, hosts := range map[string]string{
		badYAML:  "r1:\n  hostname: 127.0.0.1\n  port: [22\n",
		badGroup: "r1:\n  hostname: 127.0.0.1\n  groups: [core]\n",
		good:     "r1:\n  hostname: 127.0.0.1\n  platform: cisco_iosxe\n  data:\n    site: ams1\n",
	} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "hosts.yaml"), []byte(hosts), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "repo")
	for _, tc := range []struct {
		name string
		args []string
		want string // regexp on stderr
	}{
		{"unknown flag", []string{"-bogus"}, `flag provided but not defined: -bogus`},
		{"argument", []string{"-inventory", good, "extra"}, `unexpected argument "extra"`},
		{"workers", []string{"-workers", "0"}, `-workers 0: want at least 1`},
		{"redact", []string{"-redact", "some"}, `-redact "some": want all, reversible or off`},
		{"progress", []string{"-progress", "fancy"}, `-progress "fancy"`},
		{"faults", []string{"-faults", "2"}, `-faults 2: want a fraction`},
		{"platform", []string{"-platforms", "cisco_ios,foo_os"}, `-platforms: `},
		{"filter syntax", []string{"-inventory", good, "-out", out, "-filter", "site=ams1 and and"}, `(?s)-filter: .*column 15.*\n  site=ams1 and and\n {16}\^`},
		{"filter selects none", []string{"-inventory", good, "-out", out, "-filter", "site=nowhere"}, `-filter "site=nowhere" selects none of the 1 hosts`},
		{"missing inventory", []string{"-inventory", filepath.Join(dir, "nope"), "-out", out}, `nope/hosts\.yaml`},
		{"bad yaml", []string{"-inventory", badYAML, "-out", out}, `bad-yaml/hosts\.yaml:3`},
		{"bad group", []string{"-inventory", badGroup, "-out", out}, `bad-group/hosts\.yaml:3:\d+: .*core`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("exit %d, want 2\n%s\n%s", code, stdout.String(), stderr.String())
			}
			mustMatch(t, "stderr", tc.want, stderr.String())
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, &stderr); code != exitOK {
		t.Errorf("-h: exit %d, want 0", code)
	}
	mustMatch(t, "-h", `(?m)^  -only-failed$`, stderr.String())
	for _, hidden := range []string{"cpuprofile", "memprofile"} {
		if strings.Contains(stderr.String(), hidden) {
			t.Errorf("-h shows the hidden -%s flag", hidden)
		}
	}
}

// TestNetBox: the inventory comes from NetBox (the netboxtest fake, NetBox's API on loopback),
// with the token from NB_TOKEN or a file and credentials from a defaults file; the token never
// reaches the output.
func TestNetBox(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef01234567"
	// Devices on distinct loopback addresses and one port, as NetBox knows devices by address.
	var fleet *devsim.Fleet
	var port int
	for attempt := 0; fleet == nil; attempt++ {
		l, err := net.Listen("tcp", "127.1.0.2:0")
		if err != nil {
			t.Skipf("no 127.1.0.0/16 loopback addresses here: %v", err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
		fleet, err = devsim.StartFleet(context.Background(), devsim.FleetConfig{N: 5, Seed: 3, ConfigSize: 5000,
			DistinctAddresses: true, Port: port, Password: testPassword, EnableSecret: testEnable})
		if err != nil && attempt == 3 {
			t.Fatal(err)
		}
	}
	defer fleet.Close()
	invDir := t.TempDir()
	if err := fleet.WriteInventory(invDir); err != nil {
		t.Fatal(err)
	}
	defaults, err := os.ReadFile(filepath.Join(invDir, "defaults.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defaultsFile := filepath.Join(invDir, "netbox-defaults.yaml")
	if err := os.WriteFile(defaultsFile, append(defaults, []byte(fmt.Sprintf("port: %d\n", port))...), 0o600); err != nil {
		t.Fatal(err)
	}

	srv := netboxtest.NewServer(netboxtest.Config{Tokens: []string{token}})
	defer srv.Close()
	slugs := map[devsim.Platform]string{devsim.CiscoIOSXE: "ios-xe", devsim.CiscoNXOS: "nx-os", devsim.CiscoIOSXR: "ios-xr",
		devsim.AristaEOS: "eos", devsim.JuniperJunos: "junos"}
	for _, d := range fleet.Devices() {
		srv.AddDevices(netboxtest.Device{Name: d.Name(), Site: "lab", Role: "edge", Platform: slugs[d.Platform()], PrimaryIP4: d.Host() + "/32"})
	}
	srv.AddDevices(netboxtest.Device{Name: "spare", Site: "lab", Role: "edge", Status: "planned", PrimaryIP4: "127.1.9.9/32"})

	out := filepath.Join(t.TempDir(), "repo")
	args := []string{"-netbox-url", srv.URL, "-netbox-defaults", defaultsFile, "-netbox-params", "status=active",
		"-out", out, "-progress", "off", "-v"}
	t.Setenv("NB_TOKEN", token)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	mustMatch(t, "stdout", `backup of 5 hosts \(NetBox http://127\.0\.0\.1:\d+\)`, stdout.String())
	mustMatch(t, "stdout", `(?m)^  ok +5 +changed 5`, stdout.String())
	for _, s := range []string{stdout.String(), stderr.String()} {
		if strings.Contains(s, token) {
			t.Errorf("the NetBox token is in the output")
		}
	}

	// A token file wins over the environment; a wrong token names the URL and NetBox's answer.
	t.Setenv("NB_TOKEN", "")
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte("ffffffffffffffffffffffffffffffffffffffff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), append(args, "-netbox-token-file", tokFile), &stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("wrong token: exit %d, want 2\n%s\n%s", code, stdout.String(), stderr.String())
	}
	mustMatch(t, "stderr", `127\.0\.0\.1:\d+.*(403|[Ii]nvalid token)`, stderr.String())
	if strings.Contains(stderr.String(), "ffffffffffffffff") {
		t.Errorf("the token is in the error")
	}
}

// safeBuffer is a bytes.Buffer safe to read while the program writes to it.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// recorder is an HTTP endpoint on loopback that records what it receives.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	bodies map[string][]string // "METHOD path" -> bodies
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{bodies: map[string][]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies[req.Method+" "+req.URL.Path] = append(r.bodies[req.Method+" "+req.URL.Path], string(b))
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) all(key string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.bodies[key], "\n")
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []string
	for k := range r.bodies {
		ks = append(ks, k)
	}
	return ks
}

// TestAlertingHooks: failures reach Alertmanager, a signed webhook, Slack and a Pushgateway;
// the metrics endpoint answers during the run; no secret is sent anywhere.
func TestAlertingHooks(t *testing.T) {
	f := newFixture(t, 6, map[int]devsim.FaultKind{4: devsim.FaultRejectAuth})
	am, hook, slack, push := newRecorder(t), newRecorder(t), newRecorder(t), newRecorder(t)
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(webhookSecretEnv, secret)

	var stdout, stderr safeBuffer
	var scraped atomic.Value
	scrape := hooks.TaskOKFunc(func(context.Context, *hooks.Event) {
		if scraped.Load() != nil {
			return
		}
		m := regexp.MustCompile(`metrics: (http://\S+/metrics)`).FindStringSubmatch(stdout.String())
		if m == nil {
			return
		}
		resp, err := http.Get(m[1])
		if err != nil {
			scraped.Store("error: " + err.Error())
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		scraped.Store(string(b))
	})
	args := []string{"-inventory", f.inv, "-out", f.out, "-progress", "off", "-workers", "1",
		"-alertmanager-url", am.URL, "-webhook-url", hook.URL + "/hooks/norn", "-slack-url", slack.URL + "/services/T0/B0/XYZ",
		"-pushgateway-url", push.URL, "-metrics-listen", "127.0.0.1:0"}
	code := runWith(context.Background(), args, &stdout, &stderr, []any{scrape})
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout.String(), stderr.String())
	}
	failed := f.names[4]
	alerts := am.all("POST /api/v2/alerts")
	mustMatch(t, "alerts", `"alertname":"NornBackupFailed"`, alerts)
	mustMatch(t, "alerts", `"host":"`+failed+`"`, alerts)
	events := hook.all("POST /hooks/norn")
	mustMatch(t, "webhook", `"type":"task.failed"`, events)
	mustMatch(t, "webhook", failed, events)
	mustMatch(t, "webhook", `"type":"run.completed"`, events)
	mustMatch(t, "slack", failed, slack.all("POST /services/T0/B0/XYZ"))
	pushed := push.all("PUT /metrics/job/norn_backup")
	if pushed == "" {
		t.Errorf("nothing pushed to the Pushgateway (requests: %v)", push.keys())
	}
	got, _ := scraped.Load().(string)
	mustMatch(t, "metrics scraped during the run", `norn_`, got)
	for what, s := range map[string]string{"alerts": alerts, "webhook": events, "slack": slack.all("POST /services/T0/B0/XYZ"), "stdout": stdout.String(), "stderr": stderr.String()} {
		noSecrets(t, what, s)
		if strings.Contains(s, secret) {
			t.Errorf("%s contains the webhook secret", what)
		}
	}
}

// TestDryRunWithoutRepository: a dry run against an -out that does not exist yet reports every
// host as a change and creates nothing.
func TestDryRunWithoutRepository(t *testing.T) {
	f := newFixture(t, 4, nil)
	out := filepath.Join(t.TempDir(), "not-yet")
	var stdout, stderr bytes.Buffer
	code := runWith(context.Background(), []string{"-inventory", f.inv, "-out", out, "-progress", "off", "-dry-run"}, &stdout, &stderr, nil)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	mustMatch(t, "dry run", `(?m)^  ok +4 +would change 4, unchanged 0$`, stdout.String())
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a dry run created %s (stat: %v)", out, err)
	}
}
