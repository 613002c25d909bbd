package textfsm_test

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses an IOS "show ip interface brief" of 500 interfaces (4 template rules).
// gotextfsm compiles each rule's expression again for every line: this is its cost.
func BenchmarkParse(b *testing.B) {
	ix := loadIndex(b)
	tpl, err := ix.Lookup("cisco_iosxe", "show ip interface brief")
	if err != nil {
		b.Fatal(err)
	}
	var out strings.Builder
	out.WriteString("Interface                  IP-Address      OK? Method Status                Protocol\n")
	for i := range 500 {
		fmt.Fprintf(&out, "GigabitEthernet1/0/%-8d 10.0.%d.%d       YES NVRAM  up                    up\n", i, i/250, i%250)
	}
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	for b.Loop() {
		rows, err := tpl.Parse(out.String())
		if err != nil || len(rows) != 500 {
			b.Fatal(len(rows), err)
		}
	}
}
