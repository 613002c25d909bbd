package rollout_test

import (
	"fmt"

	"github.com/gonorn/norn/tasks/rollout"
)

// Pending tells which intended lines a configuration does not have yet: what a dry run shows
// and what a rerun skips.
func ExamplePending() {
	running := `hostname r1
interface GigabitEthernet1
 description uplink
 shutdown
snmp-server location ams1
`
	fmt.Println(rollout.Pending("cisco_iosxe", running, []string{
		"snmp-server location ams1", // already there
		"interface GigabitEthernet1",
		" description uplink", // already there
		" no shutdown",        // pending: "shutdown" is there
	}))
	// Output: [interface GigabitEthernet1  no shutdown]
}

// CanaryBatches plans a canary rollout: one host first, then batches doubling in size.
func ExampleCanaryBatches() {
	fmt.Println(rollout.CanaryBatches(20, 1, 0))
	fmt.Println(rollout.CanaryBatches(20, 2, 5))
	// Output:
	// [1 2 4 8 5]
	// [2 4 5 5 4]
}
