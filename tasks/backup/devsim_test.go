package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

var devsimPlatforms = []devsim.Platform{devsim.CiscoIOSXE, devsim.CiscoNXOS, devsim.CiscoIOSXR, devsim.AristaEOS, devsim.JuniperJunos}

// TestDevsimConfigs runs the simulator's generated configurations (many seeds and sizes, every
// platform) through the pipeline: each passes the checks, keeps no secret the generator put
// in, and cleans to the same text a second later (timestamps and clock drift removed); the
// simulator's truncated output is refused on every platform.
func TestDevsimConfigs(t *testing.T) {
	ps := DefaultProfiles()
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	type sample struct {
		p       *Profile
		dev     *devsim.Device
		cleaned string
	}
	var samples []sample
	for _, pl := range devsimPlatforms {
		p, ok := ps.Lookup(string(pl))
		if !ok {
			t.Fatalf("no profile for devsim platform %s", pl)
		}
		for seed := range seeds {
			dev, err := devsim.Start(devsim.DeviceConfig{Name: fmt.Sprintf("dev%d", seed), Platform: pl, Seed: uint64(seed), EnableSecret: "En4ble-Secret"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { dev.Close() })
			raw := dev.RunningConfig()
			out := p.Redact(p.Clean(raw), RedactAll, "En4ble-Secret")
			if err := p.Check(raw, out); err != nil {
				t.Errorf("%s seed %d: %v", pl, seed, err)
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "$9$") || strings.Contains(l, "$6$") || strings.Contains(l, "$5$") || strings.Contains(l, "$1$") {
					t.Errorf("%s seed %d: hash left: %q", pl, seed, l)
				}
			}
			samples = append(samples, sample{p, dev, out})

			dev.SetFaults(devsim.Faults{TruncateConfig: true})
			raw = dev.RunningConfig()
			if err := p.Check(raw, p.Redact(p.Clean(raw), RedactAll)); err == nil {
				t.Errorf("%s seed %d: truncated configuration accepted", pl, seed)
			}
			dev.SetFaults(devsim.Faults{})
		}
	}
	time.Sleep(1100 * time.Millisecond) // the devices' clocks move: "!Time:", clock-period, ...
	for _, s := range samples {
		raw := s.dev.RunningConfig()
		if again := s.p.Redact(s.p.Clean(raw), RedactAll, "En4ble-Secret"); again != s.cleaned {
			t.Errorf("%s %s: the configuration changed with time only:\n%s", s.p.Platform, s.dev.Name(),
				Diff("before", "after", s.cleaned, again, DiffOptions{}).Text)
		}
	}
}

// TestDevsimSSH is the job end to end on one simulated device of each platform, over real
// SSH with the scrapli plugin: a first backup, a configuration change on a device giving a
// commit and its diff, and a truncated output refused with the last good copy kept.
func TestDevsimSSH(t *testing.T) {
	if testing.Short() {
		t.Skip("SSH end-to-end test")
	}
	dir := t.TempDir()
	var hosts []*inventory.Host
	devs := map[string]*devsim.Device{}
	var known strings.Builder
	for i, pl := range devsimPlatforms {
		name := fmt.Sprintf("%s-%d", strings.ReplaceAll(string(pl), "_", "-"), i)
		dev, err := devsim.Start(devsim.DeviceConfig{Name: name, Platform: pl, Seed: uint64(i), Password: "Adm1n-pw", EnableSecret: "En4ble-Secret"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dev.Close() })
		devs[name] = dev
		known.WriteString(dev.KnownHostsLine() + "\n")
		hosts = append(hosts, &inventory.Host{Name: name,
			Attrs: inventory.Attrs{Hostname: dev.Host(), Port: dev.Port(), Username: "admin", Password: "Adm1n-pw", Platform: string(pl)}})
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte(known.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		h.ConnectionOptions = map[string]*inventory.ConnectionOptions{"scrapli": {Extras: map[string]any{
			"ssh_known_hosts_file": knownHosts, "auth_secondary": "En4ble-Secret", "timeout_ops": 20,
		}}}
	}
	reg := connection.NewRegistry()
	scrapli.MustRegister(reg)

	store, err := gitstore.Open(gitstore.Config{Dir: filepath.Join(dir, "backups")})
	if err != nil {
		t.Fatal(err)
	}
	task, err := New(Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(RecorderConfig{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	run := func() map[string]tasks.Result {
		mgr := connection.NewManager(reg, connection.ManagerConfig{})
		out := map[string]tasks.Result{}
		for _, h := range hosts {
			sess := mgr.Host(h)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			out[h.Name] = tasks.Call(ctx, &tasks.Task{Host: h, Name: "backup", Logger: zerolog.Nop(), Connections: sess}, task)
			rec.Record(out[h.Name])
			cancel()
			sess.Close()
		}
		return out
	}

	res := run()
	for _, h := range hosts {
		if r := res[h.Name]; !r.OK() || !r.Changed {
			t.Fatalf("first backup of %s: %v", h.Name, r.Err)
		}
	}
	c1, err := rec.Commit(context.Background())
	if err != nil || c1.Files != len(hosts) {
		t.Fatalf("first commit: %+v %v", c1, err)
	}
	for _, h := range hosts {
		b, _ := os.ReadFile(store.Path(h.Name))
		if strings.Contains(string(b), "Adm1n-pw") || strings.Contains(string(b), "En4ble-Secret") {
			t.Errorf("%s: the login password or enable secret was stored", h.Name)
		}
	}

	// A change on one device; a truncated output on another.
	eos, xe := hosts[3].Name, hosts[0].Name
	if err := devs[eos].Configure("snmp-server location DC9 row 42"); err != nil {
		t.Fatal(err)
	}
	devs[xe].SetFaults(devsim.Faults{TruncateConfig: true})
	before, _ := os.ReadFile(store.Path(xe))
	res = run()
	for _, h := range hosts {
		r := res[h.Name]
		switch h.Name {
		case eos:
			if !r.OK() || !r.Changed || !strings.Contains(r.Diff, "+snmp-server location DC9 row 42\n") {
				t.Errorf("changed %s: %+v", h.Name, r)
			}
		case xe:
			if tasks.Classify(r.Err) != ClassIncomplete {
				t.Errorf("truncated %s: %v", h.Name, r.Err)
			}
		default:
			if !r.OK() || r.Changed {
				t.Errorf("unchanged %s: changed=%v err=%v diff:\n%s", h.Name, r.Changed, r.Err, r.Diff)
			}
		}
	}
	if after, _ := os.ReadFile(store.Path(xe)); string(after) != string(before) {
		t.Errorf("the truncated output touched the last good copy of %s", xe)
	}
	c2, err := rec.Commit(context.Background())
	if err != nil || c2.Files != 1 || !strings.Contains(c2.Message, "changed (1):\n  "+eos) || !strings.Contains(c2.Message, xe+" [incomplete]") {
		t.Fatalf("second commit: %+v %v", c2, err)
	}
}
