package devsim

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"gopkg.in/yaml.v3"
)

func TestFleetInventoryAndKnownHosts(t *testing.T) {
	f, err := StartFleet(context.Background(), FleetConfig{N: 12, Platforms: []Platform{CiscoIOSXE}, Seed: 3, FaultRate: 0.25, FaultKinds: []FaultKind{FaultSlow}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Faulty()) != 3 {
		t.Fatalf("want 3 faulty devices of 12 at rate 0.25, got %v", f.Faulty())
	}
	dir := t.TempDir()
	if err := f.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	var hosts map[string]struct {
		Hostname string            `yaml:"hostname"`
		Port     int               `yaml:"port"`
		Platform string            `yaml:"platform"`
		Groups   []string          `yaml:"groups"`
		Data     map[string]string `yaml:"data"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "hosts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &hosts); err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 12 {
		t.Fatalf("hosts.yaml has %d hosts", len(hosts))
	}
	var defaults struct {
		Username          string `yaml:"username"`
		Password          string `yaml:"password"`
		ConnectionOptions map[string]struct {
			Extras map[string]any `yaml:"extras"`
		} `yaml:"connection_options"`
	}
	b, _ = os.ReadFile(filepath.Join(dir, "defaults.yaml"))
	if err := yaml.Unmarshal(b, &defaults); err != nil {
		t.Fatal(err)
	}
	kh := defaults.ConnectionOptions["scrapli"].Extras["ssh_known_hosts_file"].(string)
	if kh != filepath.Join(dir, "known_hosts") || defaults.ConnectionOptions["scrapli"].Extras["auth_secondary"] != "enable" {
		t.Fatalf("defaults: %+v", defaults)
	}
	cb, err := knownhosts.New(kh)
	if err != nil {
		t.Fatal(err)
	}
	// strict host key checking with the fleet's known_hosts works for every device
	for name, h := range hosts {
		d, _ := f.Device(name)
		if h.Port != d.Port() || h.Platform != "cisco_iosxe" || !strings.HasPrefix(h.Groups[1], "site_") {
			t.Fatalf("%s: %+v", name, h)
		}
		cfg := &ssh.ClientConfig{User: defaults.Username, Auth: []ssh.AuthMethod{ssh.Password(defaults.Password)}, HostKeyCallback: cb}
		client, err := ssh.Dial("tcp", d.Addr(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		client.Close()
	}
}

func TestConfigureAPI(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "r9", Seed: 1, ConfigSize: 8000})
	before := d.RunningConfig()
	if !strings.Contains(before, "\nhostname r9\n") || !strings.HasSuffix(before, "end\n\n") {
		t.Fatalf("running config: %q", tail(before, 200))
	}
	if err := d.Configure("ntp server 192.0.2.1", "interface GigabitEthernet2", " description CHANGED"); err != nil {
		t.Fatal(err)
	}
	after := d.RunningConfig()
	if !strings.Contains(after, "\nntp server 192.0.2.1\n") || !strings.Contains(after, "interface GigabitEthernet2\n description CHANGED\n") {
		t.Fatalf("change missing:\n%s", after)
	}
	if err := d.Configure("bogus command"); err == nil || !strings.Contains(err.Error(), "Invalid input") {
		t.Fatalf("want an error quoting the device, got %v", err)
	}
	if err := d.SetConfigLine("hostname r10"); err != nil || d.Hostname() != "r10" {
		t.Fatalf("hostname: %v %q", err, d.Hostname())
	}
	// API reads are not counted as clients' reads; API changes are changes
	if st := d.Stats(); st.ConfigReads != 0 || st.ConfigChanges != 3 || st.Commands != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestFleetThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 1,000 devices")
	}
	f, err := StartFleet(context.Background(), FleetConfig{N: 1000, Seed: 5, FaultRate: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]bool{}
	platforms := map[Platform]int{}
	for _, d := range f.Devices() {
		if ports[d.Addr()] {
			t.Fatalf("two devices on %s", d.Addr())
		}
		ports[d.Addr()] = true
		platforms[d.Platform()]++
	}
	if len(platforms) != 5 || platforms[CiscoIOSXE] != 200 {
		t.Fatalf("platforms: %v", platforms)
	}
	if n := len(f.Faulty()); n != 50 {
		t.Fatalf("%d faulty devices at rate 0.05", n)
	}
	// log in to a few devices of each platform, with strict host key checking
	cb, err := knownhosts.New(f.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	faulty := f.Faulty()
	checked := 0
	for _, d := range f.Devices() {
		if _, bad := faulty[d.Name()]; bad || checked >= 25 {
			continue
		}
		cfg := clientConfig("admin", ssh.Password("admin"))
		cfg.HostKeyCallback = cb
		c, err := ssh.Dial("tcp", d.Addr(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		s, _ := c.NewSession()
		out, err := s.Output("show version")
		c.Close()
		if err != nil || len(out) < 100 {
			t.Fatalf("%s: show version: %v %q", d.Name(), err, out)
		}
		checked++
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// every listener is gone (goleak in TestMain checks the goroutines)
	for addr := range ports {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Fatalf("%s still accepts connections after Close", addr)
		}
		break
	}
}

func TestFleetCancelledStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := StartFleet(ctx, FleetConfig{N: 50}); err == nil {
		t.Fatal("a cancelled start succeeded")
	}
}

func TestFleetConfigErrors(t *testing.T) {
	for name, cfg := range map[string]FleetConfig{
		"bad platform":  {N: 2, Platforms: []Platform{"cisco_ios"}},
		"not loopback":  {N: 2, Host: "10.0.0.1"},
		"bad rate":      {N: 2, FaultRate: 2},
		"bad kind":      {N: 2, FaultRate: 0.5, FaultKinds: []FaultKind{"melt"}},
		"unknown fault": {N: 2, Faults: map[string]Faults{"nosuch": {RejectAuth: true}}},
	} {
		if _, err := FleetDeviceConfigs(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	dcs, err := FleetDeviceConfigs(FleetConfig{N: 3, Seed: 1, Faults: map[string]Faults{"ams-nx-0002": {SilentShell: true}}})
	if err != nil || !dcs[1].Faults.SilentShell || dcs[0].Platform != CiscoIOSXE || dcs[1].Name != "ams-nx-0002" {
		t.Fatalf("%v %+v", err, dcs)
	}
}

func TestFleetDistinctAddresses(t *testing.T) {
	f, err := StartFleet(context.Background(), FleetConfig{N: 5, DistinctAddresses: true, Platforms: []Platform{AristaEOS}})
	if err != nil {
		t.Skipf("distinct loopback addresses are not available here: %v", err)
	}
	defer f.Close()
	seen := map[string]bool{}
	for _, d := range f.Devices() {
		if seen[d.Host()] || !strings.HasPrefix(d.Host(), "127.1.") {
			t.Fatalf("address %s", d.Host())
		}
		seen[d.Host()] = true
	}
	dial(t, f.Devices()[4], "admin", "admin").close()
}
