package devsim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	if kh != f.KnownHostsPath() || defaults.ConnectionOptions["scrapli"].Extras["auth_secondary"] != "enable" {
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
}
