package devsim_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonorn/norn/devsim"
	"golang.org/x/crypto/ssh"
)

// Start a simulated router, log in over SSH with strict host key checking and run a command.
func Example() {
	dev, err := devsim.Start(devsim.DeviceConfig{Name: "edge1", Platform: devsim.CiscoIOSXE, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Close()

	client, err := ssh.Dial("tcp", dev.Addr(), &ssh.ClientConfig{
		User:            "admin",
		Auth:            []ssh.AuthMethod{ssh.Password("admin")},
		HostKeyCallback: ssh.FixedHostKey(dev.HostKey()),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		log.Fatal(err)
	}
	out, err := sess.Output("show version | include uptime is")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Join(strings.Fields(string(out))[:3], " "))
	// Output: edge1 uptime is
}

// Change a device's configuration from a test; the next backup sees the change.
func ExampleDevice_Configure() {
	dev, err := devsim.Start(devsim.DeviceConfig{Name: "leaf1", Platform: devsim.AristaEOS, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Close()

	err = dev.Configure("hostname leaf2", "interface Ethernet1", "description uplink to spine1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dev.Hostname())
	for _, line := range strings.Split(dev.RunningConfig(), "\n") {
		if strings.Contains(line, "spine1") {
			fmt.Println(line)
		}
	}
	err = dev.Configure("interface Ethernet1", "bogus")
	fmt.Println(err != nil)
	// Output:
	// leaf2
	//    description uplink to spine1
	// true
}

// Start a fleet with one device of each platform and write its Nornir inventory.
func ExampleStartFleet() {
	fleet, err := devsim.StartFleet(context.Background(), devsim.FleetConfig{
		N:      5,
		Seed:   1,
		Faults: map[string]devsim.Faults{"ams-sw-0004": {TruncateConfig: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer fleet.Close()

	dir, err := os.MkdirTemp("", "devsim-inventory-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := fleet.WriteInventory(dir); err != nil {
		log.Fatal(err)
	}
	for _, d := range fleet.Devices() {
		fmt.Println(d.Name(), d.Platform(), d.Faults())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	fmt.Println(len(files), "inventory files")
	// Output:
	// ams-rtr-0001 cisco_iosxe none
	// ams-nx-0002 cisco_nxos none
	// ams-pe-0003 cisco_iosxr none
	// ams-sw-0004 arista_eos truncate-config
	// ams-mx-0005 juniper_junos none
	// 3 inventory files
}

// Faults can be named, as the devsim command's -fault flag does.
func ExampleParseFaults() {
	f, err := devsim.ParseFaults("reject-auth,slow")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.RejectAuth, f.ReadLatency)
	// Output: true 100ms
}
