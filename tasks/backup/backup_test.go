package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup/gitstore"
	"github.com/gonorn/norn/tasks/backup/internal/gittest"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir)) // the program TestKillNine kills
	}
	goleak.VerifyTestMain(m)
}

// fakeFleet serves scripted device outputs through a FetchFunc.
type fakeFleet struct {
	mu      sync.Mutex
	outputs map[string]string
	errs    map[string]error
	calls   map[string]int
}

func newFakeFleet() *fakeFleet {
	return &fakeFleet{outputs: map[string]string{}, errs: map[string]error{}, calls: map[string]int{}}
}

func (f *fakeFleet) set(host, out string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outputs[host] = out
	delete(f.errs, host)
}

func (f *fakeFleet) fail(host string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[host] = err
}

func (f *fakeFleet) fetch(_ context.Context, t *tasks.Task, _ *Profile) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[t.Host.Name]++
	if err := f.errs[t.Host.Name]; err != nil {
		return "", err
	}
	return f.outputs[t.Host.Name], nil
}

func testHost(name, platform string) *inventory.Host {
	return &inventory.Host{Name: name, Attrs: inventory.Attrs{Platform: platform, Username: "netops", Password: "Hunter2-" + name},
		ConnectionOptions: map[string]*inventory.ConnectionOptions{
			"scrapli": {Extras: map[string]any{"auth_secondary": "EnableMe-" + name}},
		}}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rig is a backup task with its recorder and store, as a program wires them.
type rig struct {
	task  tasks.Func
	rec   *Recorder
	store *gitstore.Store
}

func (b *rig) Store() *gitstore.Store                                  { return b.store }
func (b *rig) Summary() Summary                                        { return b.rec.Summary() }
func (b *rig) Commit(ctx context.Context) (gitstore.CommitInfo, error) { return b.rec.Commit(ctx) }

// runAll runs the task on every host (concurrently) the way the runner does, and feeds every
// result to the recorder as a Stream loop would.
func runAll(t *testing.T, b *rig, hosts []*inventory.Host, dry bool) map[string]tasks.Result {
	t.Helper()
	out := map[string]tasks.Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Go(func() {
			task := &tasks.Task{Host: h, Name: "backup", DryRun: dry, Logger: zerolog.Nop()}
			r := tasks.Call(context.Background(), task, b.task)
			b.rec.Record(r)
			mu.Lock()
			out[h.Name] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newTestBackup(t *testing.T, dir string, fleet *fakeFleet, clk *clock, mod func(*Config, *RecorderConfig)) *rig {
	t.Helper()
	s, err := gitstore.Open(gitstore.Config{Dir: dir, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: s}
	if fleet != nil {
		cfg.Fetch = fleet.fetch
	}
	rcfg := RecorderConfig{Store: s, Now: clk.now}
	if mod != nil {
		mod(&cfg, &rcfg)
	}
	task, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{task: task, rec: rec, store: s}
}

// TestBackupLifecycle walks the main job through several runs: first backup, an unchanged run
// (only timestamps moved: no commit), a change (commit and diff), failures of every kind that
// keep the last good copy, and a restart that remembers the failures for -only-failed.
func TestBackupLifecycle(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)}
	fleet := newFakeFleet()
	hosts := []*inventory.Host{
		testHost("edge-rtr-01", "ios"), testHost("leaf-101", "nxos"), testHost("pe-xr-01", "iosxr"),
		testHost("spine-1", "eos"), testHost("mx-edge-1", "junos"),
	}
	raws := map[string]string{}
	for _, h := range hosts {
		p, _ := DefaultProfiles().Lookup(h.Platform())
		raws[h.Name] = readTestdata(t, p.Platform+".raw")
		fleet.set(h.Name, raws[h.Name])
	}
	b := newTestBackup(t, dir, fleet, clk, nil)

	// Run 1: every host is new.
	res := runAll(t, b, hosts, false)
	for _, h := range hosts {
		r := res[h.Name]
		info, _ := r.Value.(Info)
		if !r.OK() || !r.Changed || r.Diff != "" || !info.New || info.Bytes == 0 || info.SHA == "" {
			t.Fatalf("run 1 %s: %+v", h.Name, r)
		}
	}
	c1, err := b.Commit(context.Background())
	if err != nil || !c1.Committed() || c1.Files != 5 {
		t.Fatalf("commit 1: %+v %v", c1, err)
	}
	if !strings.HasPrefix(c1.Message, "norn backup: 5 changed, 0 unchanged, 0 failed of 5 hosts\n") {
		t.Errorf("commit 1 message: %q", c1.Message)
	}
	stored, _ := os.ReadFile(b.Store().Path("edge-rtr-01"))
	if want := readTestdata(t, "cisco_iosxe.golden"); string(stored) != want {
		t.Fatalf("stored configuration differs from the golden file")
	}

	// Run 2: the devices print new timestamps only.
	clk.add(time.Hour)
	fleet.set("edge-rtr-01", strings.Replace(raws["edge-rtr-01"], "09:12:44 UTC Thu Nov 21 2024", "10:01:02 UTC Thu Nov 21 2024", 1))
	fleet.set("leaf-101", strings.Replace(raws["leaf-101"], "!Time: Thu Nov 21 09:29:00 2024", "!Time: Thu Nov 21 10:29:00 2024", 1))
	fleet.set("pe-xr-01", strings.Replace(raws["pe-xr-01"], "Thu Nov 21 09:22:07.102 UTC", "Thu Nov 21 10:22:07.555 UTC", 1))
	fleet.set("mx-edge-1", strings.Replace(raws["mx-edge-1"], "## Last commit: 2024-11-21 08:43:53", "## Last commit: 2024-11-21 09:59:01", 1))
	res = runAll(t, b, hosts, false)
	for _, h := range hosts {
		if r := res[h.Name]; !r.OK() || r.Changed || r.Diff != "" {
			t.Fatalf("run 2 %s: %+v", h.Name, r)
		}
	}
	c2, err := b.Commit(context.Background())
	if err != nil || c2.Committed() || b.Store().Head() != c1.Hash {
		t.Fatalf("commit 2 (nothing changed) made a commit: %+v %v", c2, err)
	}
	if st, _ := b.Store().Status("spine-1"); !st.LastSuccess.Equal(clk.now()) {
		t.Errorf("status not updated by an unchanged run: %+v", st)
	}

	// Run 3: one change, and failures of every kind.
	clk.add(time.Hour)
	changed := strings.Replace(raws["spine-1"], "interface Loopback0\n", "interface Loopback0\n   description router-id\n", 1)
	fleet.set("spine-1", changed)
	iosBefore, _ := os.ReadFile(b.Store().Path("edge-rtr-01"))
	truncated := raws["edge-rtr-01"][:len(raws["edge-rtr-01"])/2]
	fleet.set("edge-rtr-01", truncated)
	fleet.set("leaf-101", "        ^\n% Invalid command at '^' marker.\nleaf-101# ")
	fleet.set("mx-edge-1", strings.Replace(raws["mx-edge-1"], "    }\n}\ninterfaces {", "}\ninterfaces {", 1))
	fleet.fail("pe-xr-01", fmt.Errorf("host pe-xr-01: login as netops with password Hunter2-pe-xr-01 refused: %w", connection.ErrAuthentication))
	res = runAll(t, b, hosts, false)
	if r := res["spine-1"]; !r.OK() || !r.Changed || !strings.Contains(r.Diff, "+   description router-id\n") ||
		!strings.Contains(r.Diff, "--- a/configs/spine-1\n+++ b/configs/spine-1\n") {
		t.Fatalf("run 3 spine-1: %+v", r)
	} else if info := r.Value.(Info); info.Added != 1 || info.Removed != 0 || info.New {
		t.Errorf("run 3 spine-1 info: %+v", info)
	}
	wantFail := map[string]struct {
		class  tasks.Class
		reason string
	}{
		"edge-rtr-01": {ClassIncomplete, "no end marker"},
		"leaf-101":    {ClassIncomplete, "device error"},
		"mx-edge-1":   {ClassIncomplete, "unbalanced braces"},
		"pe-xr-01":    {tasks.ClassAuthentication, "refused"},
	}
	for host, w := range wantFail {
		r := res[host]
		if !r.Failed() || tasks.Classify(r.Err) != w.class || !strings.Contains(r.Err.Error(), host) || !strings.Contains(r.Err.Error(), w.reason) {
			t.Errorf("run 3 %s: got %v (class %s), want class %s with %q", host, r.Err, tasks.Classify(r.Err), w.class, w.reason)
		}
	}
	if after, _ := os.ReadFile(b.Store().Path("edge-rtr-01")); string(after) != string(iosBefore) {
		t.Errorf("a truncated configuration touched the last good copy")
	}
	if msg := res["edge-rtr-01"].Err.Error(); !strings.Contains(msg, "(last good copy kept)") {
		t.Errorf("run 3 edge-rtr-01: %q does not say the last good copy was kept", msg)
	}
	if s := b.Summary(); s.Changed != 1 || s.Failed != 4 || s.ByClass[ClassIncomplete] != 3 {
		t.Errorf("summary: %+v", s)
	}
	c3, err := b.Commit(context.Background())
	if err != nil || !c3.Committed() || c3.Files != 1 {
		t.Fatalf("commit 3: %+v %v", c3, err)
	}
	for _, want := range []string{"1 changed, 0 unchanged, 4 failed of 5 hosts", "changed (1):\n  spine-1\n", "edge-rtr-01 [incomplete]", "pe-xr-01 [authentication]"} {
		if !strings.Contains(c3.Message, want) {
			t.Errorf("commit 3 message lacks %q:\n%s", want, c3.Message)
		}
	}
	if strings.Contains(c3.Message, "Hunter2") {
		t.Errorf("the host's password reached the commit message:\n%s", c3.Message)
	}
	st, _ := b.Store().Status("pe-xr-01")
	if st.ConsecutiveFailures != 1 || st.FailureClass != tasks.ClassAuthentication || strings.Contains(st.FailureMessage, "Hunter2") {
		t.Errorf("pe-xr-01 status: %+v", st)
	}

	// Restart: a new process opens the store; the failures are remembered.
	clk.add(time.Hour)
	b2 := newTestBackup(t, dir, fleet, clk, nil)
	var failing []string
	for _, st := range b2.Store().Failing() {
		failing = append(failing, st.Host)
	}
	if strings.Join(failing, ",") != "edge-rtr-01,leaf-101,mx-edge-1,pe-xr-01" {
		t.Fatalf("failing after restart: %v", failing)
	}
	only := b2.Store().NeedsBackup(clk.now(), 24*time.Hour)
	var rerun []*inventory.Host
	for _, h := range hosts {
		if only(h.Name) {
			rerun = append(rerun, h)
		}
	}
	if len(rerun) != 4 {
		t.Fatalf("-only-failed selected %d hosts", len(rerun))
	}
	// Stale report: spine-1 succeeded an hour ago, the others two hours ago or more.
	if stale := b2.Store().Stale(clk.now(), 90*time.Minute); len(stale) != 4 {
		t.Errorf("stale after 90 min: %d hosts", len(stale))
	}
	// The rerun: edge-rtr-01 fixed, pe-xr-01 still failing (second time).
	fleet.set("edge-rtr-01", raws["edge-rtr-01"])
	res = runAll(t, b2, rerun, false)
	if r := res["edge-rtr-01"]; !r.OK() || r.Changed {
		t.Errorf("rerun edge-rtr-01: %+v", r)
	}
	if _, err := b2.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ = b2.Store().Status("pe-xr-01")
	if st.ConsecutiveFailures != 2 {
		t.Errorf("pe-xr-01 consecutive failures = %d, want 2", st.ConsecutiveFailures)
	}
	st, _ = b2.Store().Status("edge-rtr-01")
	if st.Failing() || !st.LastSuccess.Equal(clk.now()) || st.LastFailure.IsZero() {
		t.Errorf("edge-rtr-01 status after the fix: %+v", st)
	}
	if need := b2.Store().NeedsBackup(clk.now(), 90*time.Minute); need("spine-1") || !need("pe-xr-01") || !need("never-seen") {
		t.Errorf("NeedsBackup selection wrong")
	}
}

// TestBackupDryRun: a dry run reports the change and its diff and writes nothing.
func TestBackupDryRun(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)}
	fleet := newFakeFleet()
	h := testHost("spine-1", "arista_eos")
	raw := readTestdata(t, "arista_eos.raw")
	fleet.set("spine-1", raw)
	b := newTestBackup(t, dir, fleet, clk, nil)
	runAll(t, b, []*inventory.Host{h}, false)
	c1, _ := b.Commit(context.Background())
	before, _ := os.ReadFile(b.Store().Path("spine-1"))
	statusBefore, _ := os.ReadFile(gitstore.StatusPath(dir))

	fleet.set("spine-1", strings.Replace(raw, "ip routing\n", "ip routing\nip routing vrf MGMT\n", 1))
	clk.add(time.Hour)
	r := runAll(t, b, []*inventory.Host{h}, true)["spine-1"]
	if !r.OK() || !r.Changed || !strings.Contains(r.Diff, "+ip routing vrf MGMT\n") {
		t.Fatalf("dry run: %+v", r)
	}
	if b.Store().Pending() != 0 {
		t.Errorf("a dry run wrote %d files", b.Store().Pending())
	}
	c, err := b.Commit(context.Background())
	if err != nil || c.Committed() || b.Store().Head() != c1.Hash {
		t.Fatalf("dry-run commit: %+v %v", c, err)
	}
	after, _ := os.ReadFile(b.Store().Path("spine-1"))
	statusAfter, _ := os.ReadFile(gitstore.StatusPath(dir))
	if string(after) != string(before) || string(statusAfter) != string(statusBefore) {
		t.Errorf("a dry run changed the stored files")
	}
}

// TestBackupShrinkGuard: a complete-looking configuration much smaller than the last good one
// is refused; MaxShrink 1 turns the guard off.
func TestBackupShrinkGuard(t *testing.T) {
	for _, tc := range []struct {
		maxShrink float64
		wantOK    bool
	}{{0, false}, {1, true}} {
		t.Run(fmt.Sprint(tc.maxShrink), func(t *testing.T) {
			dir := t.TempDir()
			clk := &clock{t: time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)}
			fleet := newFakeFleet()
			h := testHost("edge-rtr-01", "cisco_iosxe")
			fleet.set("edge-rtr-01", readTestdata(t, "cisco_iosxe.raw"))
			b := newTestBackup(t, dir, fleet, clk, func(c *Config, _ *RecorderConfig) { c.MaxShrink = tc.maxShrink })
			runAll(t, b, []*inventory.Host{h}, false)
			b.Commit(context.Background())
			before, _ := os.ReadFile(b.Store().Path("edge-rtr-01"))

			fleet.set("edge-rtr-01", "Building configuration...\n\nversion 17.3\nhostname edge-rtr-01\nend\n\nedge-rtr-01#")
			r := runAll(t, b, []*inventory.Host{h}, false)["edge-rtr-01"]
			if r.OK() != tc.wantOK {
				t.Fatalf("MaxShrink %v: %+v", tc.maxShrink, r)
			}
			if !tc.wantOK {
				if tasks.Classify(r.Err) != ClassIncomplete || !strings.Contains(r.Err.Error(), "shrank") || !strings.Contains(r.Err.Error(), "edge-rtr-01") {
					t.Errorf("error: %v", r.Err)
				}
				if after, _ := os.ReadFile(b.Store().Path("edge-rtr-01")); string(after) != string(before) {
					t.Errorf("the last good copy changed")
				}
			}
			b.Commit(context.Background())
		})
	}
}

// TestBackupHostSecrets: the host's own password and enable secret never reach the store, even
// in lines no rule knows.
func TestBackupHostSecrets(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)}
	fleet := newFakeFleet()
	h := testHost("r1", "ios")
	fleet.set("r1", "Building configuration...\n!\nhostname r1\nalias exec backdoor Hunter2-r1\nbanner motd ^C\nenable with EnableMe-r1\n^C\nend\n\nr1#")
	b := newTestBackup(t, dir, fleet, clk, func(c *Config, _ *RecorderConfig) { c.Redact = RedactOff })
	if r := runAll(t, b, []*inventory.Host{h}, false)["r1"]; !r.OK() {
		t.Fatal(r.Err)
	}
	got, _ := os.ReadFile(b.Store().Path("r1"))
	if strings.Contains(string(got), "Hunter2-r1") || strings.Contains(string(got), "EnableMe-r1") {
		t.Errorf("host secrets stored:\n%s", got)
	}
	// A password equal to the user name is left alone: replacing it would reveal it.
	h2 := &inventory.Host{Name: "r2", Attrs: inventory.Attrs{Platform: "ios", Username: "admin", Password: "admin"}}
	fleet.set("r2", "hostname r2\nusername admin privilege 15 secret 9 $9$abc\nend\n")
	if r := runAll(t, b, []*inventory.Host{h2}, false)["r2"]; !r.OK() {
		t.Fatal(r.Err)
	}
	if got, _ := os.ReadFile(b.Store().Path("r2")); !strings.Contains(string(got), "username admin privilege") {
		t.Errorf("user name replaced:\n%s", got)
	}
	b.Commit(context.Background())
}

// TestBackupUnknownPlatform: a host without a profile fails permanently with class config.
func TestBackupUnknownPlatform(t *testing.T) {
	clk := &clock{t: time.Now()}
	b := newTestBackup(t, t.TempDir(), newFakeFleet(), clk, nil)
	r := runAll(t, b, []*inventory.Host{testHost("fw1", "paloalto_panos")}, false)["fw1"]
	if !r.Failed() || tasks.Classify(r.Err) != tasks.ClassConfig || !tasks.IsPermanent(r.Err) || !strings.Contains(r.Err.Error(), "paloalto_panos") {
		t.Fatalf("unknown platform: %v", r.Err)
	}
	b.Commit(context.Background())
}

// TestRecorderNotRun: hosts that never reached the task are recorded as failing in the
// status (so -only-failed takes them next time) and counted as not run in the summary.
func TestRecorderNotRun(t *testing.T) {
	clk := &clock{t: time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)}
	b := newTestBackup(t, t.TempDir(), newFakeFleet(), clk, nil)
	b.rec.Record(tasks.Result{Host: "r9", Status: tasks.StatusNotRun, Err: tasks.ErrNotRun})
	b.rec.Record(tasks.Result{Host: "r8", Status: tasks.StatusOK})
	if s := b.Summary(); s.Failed != 0 || s.NotRun != 1 || s.Hosts != 1 || !strings.Contains(s.String(), "1 not run of 1 hosts") {
		t.Fatalf("summary: %+v", s)
	}
	if _, err := b.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, ok := b.Store().Status("r9"); !ok || !st.Failing() || st.FailureClass != tasks.ClassNotRun {
		t.Fatalf("r9 status: %+v", st)
	}
}

// TestRecorderAsHook: the recorder takes results from runner hooks as from a Stream loop.
func TestRecorderAsHook(t *testing.T) {
	clk := &clock{t: time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)}
	fleet := newFakeFleet()
	fleet.set("r1", "hostname r1\nend\n")
	b := newTestBackup(t, t.TempDir(), fleet, clk, nil)
	var (
		ok     hooks.TaskOKHook     = b.rec
		failed hooks.TaskFailedHook = b.rec
	)
	r := tasks.Call(context.Background(), &tasks.Task{Host: testHost("r1", "ios"), Name: "backup", Logger: zerolog.Nop()}, b.task)
	ok.TaskOK(context.Background(), &hooks.Event{Result: &r})
	failed.TaskFailed(context.Background(), &hooks.Event{Result: &tasks.Result{Host: "r2", Status: tasks.StatusFailed,
		Err: tasks.WithClass(tasks.ClassTimeout, errors.New("host r2: timed out")), Duration: 3 * time.Second}})
	if s := b.Summary(); s.OK != 1 || s.Failed != 1 {
		t.Fatalf("summary: %+v", s)
	}
	if _, err := b.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.Store().Status("r1"); st.Failing() || st.Lines != 2 || st.Platform != "cisco_iosxe" {
		t.Errorf("r1 status: %+v", st)
	}
	if st, _ := b.Store().Status("r2"); st.FailureClass != tasks.ClassTimeout || st.LastDuration != 3*time.Second {
		t.Errorf("r2 status: %+v", st)
	}
}

// TestBackupCommitEvery: a large run commits in parts; every file is committed in the end and
// the last message summarises the whole run.
func TestBackupCommitEvery(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)}
	fleet := newFakeFleet()
	var hosts []*inventory.Host
	for i := range 25 {
		name := fmt.Sprintf("sw%02d", i)
		hosts = append(hosts, testHost(name, "ios"))
		fleet.set(name, fmt.Sprintf("hostname %s\nend\n", name))
	}
	b := newTestBackup(t, dir, fleet, clk, func(_ *Config, c *RecorderConfig) { c.CommitEvery = 10 })
	runAll(t, b, hosts, false)
	c, err := b.Commit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	files := gittest.CommittedFiles(t, dir)
	for _, h := range hosts {
		if files["configs/"+h.Name] == "" {
			t.Errorf("%s not committed", h.Name)
		}
	}
	out, ok := gittest.Git(t, dir, "log", "--format=%s")
	if ok && (strings.Count(out, "\n") < 2 || !strings.HasSuffix(out, "\nnorn backup (part 1): 10 changed, 0 unchanged, 0 failed of 10 hosts\n")) {
		t.Errorf("want a first part of 10 hosts and at least one more commit, got:\n%s", out)
	}
	if c.Committed() && !strings.Contains(c.Message, "run so far: 25 changed") {
		t.Errorf("last message: %q", c.Message)
	}
}

// fakeGetter is a plugin session that implements ConfigGetter.
type fakeGetter struct{ out string }

func (s *fakeGetter) Close() error { return nil }
func (s *fakeGetter) GetConfig(_ context.Context, source string) (string, error) {
	if source != "running" {
		return "", fmt.Errorf("source %q", source)
	}
	return s.out, nil
}

// fakeCLI is a plugin session that only sends commands.
type fakeCLI struct {
	outs map[string]string
}

func (s *fakeCLI) Close() error { return nil }
func (s *fakeCLI) SendCommand(_ context.Context, cmd string) (connection.Response, error) {
	out, ok := s.outs[cmd]
	if !ok {
		return connection.Response{Command: cmd}, &connection.CommandError{Command: cmd, Output: "% Invalid input"}
	}
	return connection.Response{Command: cmd, Output: out}, nil
}
func (s *fakeCLI) SendCommands(ctx context.Context, cmds []string) ([]connection.Response, error) {
	var rs []connection.Response
	for _, c := range cmds {
		r, err := s.SendCommand(ctx, c)
		rs = append(rs, r)
		if err != nil {
			return rs, err
		}
	}
	return rs, nil
}

// TestBackupThroughConnection runs the default fetch through a real connection manager: a
// plugin with ConfigGetter is used for it, a plugin with only CommandSender gets the profile's
// command.
func TestBackupThroughConnection(t *testing.T) {
	reg := connection.NewRegistry()
	eos := readTestdata(t, "arista_eos.raw")
	junos := readTestdata(t, "juniper_junos.raw")
	reg.MustRegister(connection.Key{Platform: "arista_eos", Type: "ssh", Library: "fake"},
		connection.OpenFunc(func(context.Context, connection.Target) (*fakeGetter, error) { return &fakeGetter{out: eos}, nil }),
		connection.Default())
	reg.MustRegister(connection.Key{Platform: "juniper_junos", Type: "ssh", Library: "fake"},
		connection.OpenFunc(func(context.Context, connection.Target) (*fakeCLI, error) {
			return &fakeCLI{outs: map[string]string{"show configuration | display omit": junos}}, nil
		}),
		connection.Default())
	mgr := connection.NewManager(reg, connection.ManagerConfig{})
	clk := &clock{t: time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)}
	b := newTestBackup(t, t.TempDir(), nil, clk, func(c *Config, _ *RecorderConfig) { c.Fetch = nil })
	s := b.Store()
	for _, h := range []*inventory.Host{testHost("spine-1", "arista_eos"), testHost("mx-edge-1", "juniper_junos")} {
		sess := mgr.Host(h)
		r := tasks.Call(context.Background(), &tasks.Task{Host: h, Name: "backup", Logger: zerolog.Nop(), Connections: sess}, b.task)
		sess.Close()
		if !r.OK() || !r.Changed {
			t.Fatalf("%s: %+v", h.Name, r)
		}
		p, _ := DefaultProfiles().Lookup(h.Platform())
		got, _ := os.ReadFile(s.Path(h.Name))
		if want := readTestdata(t, p.Platform+".golden"); string(got) != want {
			t.Errorf("%s: stored configuration differs from the golden file", h.Name)
		}
	}
	// No connection registry: the host fails with a clear error.
	r := tasks.Call(context.Background(), &tasks.Task{Host: testHost("r1", "ios"), Name: "backup", Logger: zerolog.Nop()}, b.task)
	if !errors.Is(r.Err, tasks.ErrNoConnections) || !strings.Contains(r.Err.Error(), "r1") {
		t.Errorf("without connections: %v", r.Err)
	}
	if _, err := b.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}
