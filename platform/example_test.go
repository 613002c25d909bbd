package platform_test

import (
	"fmt"

	"github.com/gonorn/norn/platform"
)

func ExampleNormalize() {
	for _, name := range []string{"ios", "cisco-nx-os", "Junos", "csr1000v", "vyos"} {
		fmt.Println(name, "->", platform.Normalize(name))
	}
	// Output:
	// ios -> cisco_iosxe
	// cisco-nx-os -> cisco_nxos
	// Junos -> juniper_junos
	// csr1000v -> cisco_iosxe
	// vyos -> vyos
}

func ExampleCanonical() {
	name, known := platform.Canonical("arista-eos")
	fmt.Println(name, known)
	name, known = platform.Canonical("my-os")
	fmt.Println(name, known)
	// Output:
	// arista_eos true
	// my_os false
}
