package scrapli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
)

// Register the plugins, open a simulated IOS-XE router through a connection.Manager (as the
// runner does for each host), send "show version" and read the facts parsed from it.
func Example() {
	dev, err := devsim.Start(devsim.DeviceConfig{Name: "edge1", Platform: devsim.CiscoIOSXE, Seed: 1})
	if err != nil {
		panic(err)
	}
	defer dev.Close()
	dir, _ := os.MkdirTemp("", "norn-example")
	defer os.RemoveAll(dir)
	knownHosts := filepath.Join(dir, "known_hosts")
	_ = os.WriteFile(knownHosts, []byte(dev.KnownHostsLine()+"\n"), 0o600)

	reg := connection.NewRegistry()
	scrapli.MustRegister(reg)

	// What an inventory would say: a host with platform "ios" (an alias of cisco_iosxe) and its
	// "scrapli" connection options.
	h := &inventory.Host{
		Name:  "edge1",
		Attrs: inventory.Attrs{Hostname: dev.Host(), Port: dev.Port(), Username: "admin", Password: "admin", Platform: "ios"},
		ConnectionOptions: map[string]*inventory.ConnectionOptions{
			"scrapli": {Extras: map[string]any{
				"ssh_known_hosts_file": knownHosts, // auth_strict_key is on by default
				"auth_secondary":       "enable",
				"timeout_ops":          10,
			}},
		},
	}
	inventory.New([]*inventory.Host{h}, nil, nil)

	sessions := connection.NewManager(reg, connection.ManagerConfig{}).Host(h)
	defer sessions.Close()
	ctx := context.Background()
	p, err := sessions.Get(ctx, connection.WithType(scrapli.TypeSSH))
	if err != nil {
		panic(err)
	}
	fmt.Println("plugin:", p.Key())

	cli, err := connection.Use[connection.CommandSender](p)
	if err != nil {
		panic(err)
	}
	r, err := cli.SendCommand(ctx, "show version")
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.SplitN(r.Output, "\n", 2)[0])

	fg, err := connection.Use[connection.FactsGetter](p)
	if err != nil {
		panic(err)
	}
	f, err := fg.GetFacts(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Vendor, f.Model, f.OSVersion, f.Serial, f.Hostname)
	// Output:
	// plugin: cisco_iosxe/ssh/scrapli
	// Cisco IOS XE Software, Version 16.12.03
	// Cisco ASR1001-X 16.12.03 92BW9350P9C edge1
}

// ParseVersion turns a "show version" into facts without a session.
func ExampleParseVersion() {
	out := `Cisco IOS XE Software, Version 17.06.05
rtr1 uptime is 3 weeks, 2 days, 4 hours, 10 minutes
cisco C8300-1N1S-6T (1RU) processor with 3735269K/6147K bytes of memory.
Processor board ID FDO2521M0XY`
	f, err := scrapli.ParseVersion("cisco_iosxe", out)
	fmt.Println(f.Vendor, f.Model, f.OSVersion, f.Serial, f.Hostname, f.Uptime, err)
	// Output:
	// Cisco C8300-1N1S-6T 17.06.05 FDO2521M0XY rtr1 556h10m0s <nil>
}
