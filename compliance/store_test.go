package compliance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/gonorn/norn/compliance"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// device is a generated device configuration.
type device struct {
	name, platform, config string
}

var (
	genMu    sync.Mutex
	genCache = map[[2]int][]device{}
)

// generate returns the running configurations of n simulated devices (devsim's generator, all
// five platforms, seed), cached per process.
func generate(t testing.TB, n, seed int) []device {
	t.Helper()
	genMu.Lock()
	defer genMu.Unlock()
	if ds, ok := genCache[[2]int{n, seed}]; ok {
		return ds
	}
	cfgs, err := devsim.FleetDeviceConfigs(devsim.FleetConfig{N: n, Seed: uint64(seed)})
	if err != nil {
		t.Fatal(err)
	}
	ds := make([]device, 0, n)
	for _, c := range cfgs {
		d, err := devsim.Start(c)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, device{name: c.Name, platform: string(c.Platform), config: d.RunningConfig()})
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	genCache[[2]int{n, seed}] = ds
	return ds
}

// writeRepo lays devices out as norn backup does (configs/<host>, the platforms in the
// store's status file) and commits them with go-git.
func writeRepo(t testing.TB, dir string, ds []device) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "configs"), 0o755); err != nil {
		t.Fatal(err)
	}
	type hs struct {
		Host     string `json:"host"`
		Platform string `json:"platform"`
	}
	st := struct {
		Version int           `json:"version"`
		Hosts   map[string]hs `json:"hosts"`
	}{1, map[string]hs{}}
	for _, d := range ds {
		if err := os.WriteFile(filepath.Join(dir, "configs", d.name), []byte(d.config), 0o644); err != nil {
			t.Fatal(err)
		}
		st.Hosts[d.name] = hs{d.name, d.platform}
	}
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(gitstore.StatusPath(dir), b, 0o644); err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddGlob("."); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "norn", Email: "norn@localhost", When: time.Unix(1700000000, 0)}
	if _, err := wt.Commit("norn backup", &git.CommitOptions{Author: sig}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckStore(t *testing.T) {
	ds := generate(t, 10, 1)
	dir := t.TempDir()
	writeRepo(t, dir, ds)
	rs := loadRules(t)
	ctx := context.Background()

	wt, err := rs.CheckStore(ctx, compliance.StoreConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	head, err := rs.CheckStore(ctx, compliance.StoreConfig{Dir: dir, Rev: "HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	if len(wt.Results) != 10*len(rs.Rules) || len(wt.Errors) != 0 {
		t.Fatalf("%d results, %d errors", len(wt.Results), len(wt.Errors))
	}
	if !reflect.DeepEqual(wt.Results, head.Results) {
		t.Error("work tree and HEAD disagree on the same files")
	}
	// Every result agrees with a direct check of the device's configuration, and every
	// platform gets at least one applicable rule.
	byHost := map[string]device{}
	for _, d := range ds {
		byHost[d.name] = d
	}
	applies := map[string]int{}
	for _, r := range wt.Results {
		d := byHost[r.Host]
		direct := rs.Check(compliance.Target{Host: d.name, Platform: d.platform}, d.config)
		found := false
		for _, x := range direct {
			if x.Rule == r.Rule {
				found = reflect.DeepEqual(x, r)
			}
		}
		if !found {
			t.Errorf("%s %s: store result %+v differs from a direct check", r.Host, r.Rule, r)
		}
		if r.Status != compliance.Skip {
			applies[r.Platform]++
		}
	}
	for _, p := range devsim.Platforms() {
		if applies[string(p)] == 0 {
			t.Errorf("no rule applied to %s", p)
		}
	}

	// A host changed in the work tree after the commit: the work tree sees it, HEAD does not.
	ios := ""
	for _, d := range ds {
		if d.platform == "cisco_iosxe" {
			ios = d.name
			break
		}
	}
	path := filepath.Join(dir, "configs", ios)
	b, _ := os.ReadFile(path)
	changed := strings.Replace(string(b), " transport input ssh\n", " transport input telnet\n", 1)
	if changed == string(b) {
		t.Fatalf("%s has no transport input ssh line", ios)
	}
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	status := func(rep *compliance.Report) compliance.Status {
		for _, r := range rep.Results {
			if r.Host == ios && r.Rule == "vty-ssh-only" {
				return r.Status
			}
		}
		return ""
	}
	full := head
	wt, _ = rs.CheckStore(ctx, compliance.StoreConfig{Dir: dir, Hosts: func(h string) bool { return h == ios }})
	head, _ = rs.CheckStore(ctx, compliance.StoreConfig{Dir: dir, Rev: "HEAD", Hosts: func(h string) bool { return h == ios }})
	if status(wt) != compliance.Fail || status(head) != compliance.Pass || len(wt.Results) != len(rs.Rules) {
		t.Errorf("work tree %s (%d results), HEAD %s", status(wt), len(wt.Results), status(head))
	}

	// Without a status file the platforms are detected from the configurations.
	if err := os.Remove(gitstore.StatusPath(dir)); err != nil {
		t.Fatal(err)
	}
	det, err := rs.CheckStore(ctx, compliance.StoreConfig{Dir: dir, Rev: "HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range det.Results {
		if r.Platform != full.Results[i].Platform {
			t.Errorf("%s: detected %q", r.Host, r.Platform)
			break
		}
	}

	for _, c := range []struct {
		cfg  compliance.StoreConfig
		want string
	}{
		{compliance.StoreConfig{Dir: filepath.Join(dir, "nope")}, "stored configurations"},
		{compliance.StoreConfig{Dir: dir, Rev: "no-such-branch"}, `revision "no-such-branch"`},
		{compliance.StoreConfig{}, "Dir is empty"},
	} {
		if _, err := rs.CheckStore(ctx, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
}

func ExampleRuleSet_CheckStore() {
	rs, err := compliance.Parse("rules.yaml", []byte(`
rules:
  - id: ssh-v2
    platforms: [ios]
    must_contain: [ip ssh version 2]
`))
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "norn-compliance-")
	defer os.RemoveAll(dir)
	_ = os.MkdirAll(filepath.Join(dir, "configs"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "configs", "r1"), []byte("Current configuration : 20 bytes\nip ssh version 2\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "configs", "r2"), []byte("Current configuration : 20 bytes\nip ssh version 1\n"), 0o644)
	rep, err := rs.CheckStore(context.Background(), compliance.StoreConfig{Dir: dir})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Results {
		fmt.Println(r.Host, r.Platform, r.Rule, r.Status, r.Findings)
	}
	// Output:
	// r1 cisco_iosxe ssh-v2 pass []
	// r2 cisco_iosxe ssh-v2 fail [missing "ip ssh version 2"]
}
