package backup

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gonorn/norn/devsim"
)

// syntheticConfig returns an IOS-style configuration of about size bytes for host i, with
// secrets and volatile lines so that cleaning and redaction have work to do.
func syntheticConfig(i, size int) string {
	var b strings.Builder
	b.Grow(size + 512)
	fmt.Fprintf(&b, "Building configuration...\n\nCurrent configuration : %d bytes\n!\n! Last configuration change at 09:12:44 UTC Thu Nov 21 2024 by netops\n!\nversion 17.3\nhostname sw%05d\n!\n", size, i)
	b.WriteString("enable secret 9 $9$xvWnx8Fe35f8xE$E9ijp7GM/V48P5y1Uz3IEPtotXgwkJKYJmN0q3q2E92\nusername netops privilege 15 password 7 0822455D0A16544541\n!\n")
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, "interface GigabitEthernet1/0/%d\n description access port %d of sw%05d\n switchport access vlan %d\n switchport mode access\n spanning-tree portfast\n!\n", n, n, i, 10+n%90)
		if n%20 == 0 {
			fmt.Fprintf(&b, "snmp-server community Comm%d-%d RO\nntp clock-period 17179%03d\n", i, n, n%1000)
		}
	}
	b.WriteString("line vty 0 4\n password 7 094F471A1A0A\n login local\n!\nend\n")
	return b.String()
}

// BenchmarkCleanRedact1MB: the whole pipeline (Clean, Redact at RedactAll, Check) on a 1 MB
// IOS configuration.
func BenchmarkCleanRedact1MB(b *testing.B) {
	raw := syntheticConfig(1, 1<<20) + "\nsw00001#"
	p, _ := DefaultProfiles().Lookup("cisco_iosxe")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		out := p.Redact(p.Clean(raw), RedactAll, "hunter2-literal")
		if err := p.Check(raw, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkPipelineDevsim: Clean, Redact and Check on the simulator's configurations of each
// platform (about 20 KB, the fleet's typical size), as the task runs them per device.
func BenchmarkPipelineDevsim(b *testing.B) {
	ps := DefaultProfiles()
	for _, pl := range devsimPlatforms {
		b.Run(string(pl), func(b *testing.B) {
			dev, err := devsim.Start(devsim.DeviceConfig{Name: "bench1", Platform: pl, Seed: 7, ConfigSize: 20 << 10})
			if err != nil {
				b.Fatal(err)
			}
			defer dev.Close()
			raw := dev.RunningConfig()
			p, _ := ps.Lookup(string(pl))
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				out := p.Redact(p.Clean(raw), RedactAll, "Adm1n-pw", "En4ble-Secret")
				if err := p.Check(raw, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/device")
		})
	}
}
