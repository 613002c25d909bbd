package textfsm_test

import (
	"fmt"
	"log"
	"os"

	"github.com/gonorn/norn/textfsm"
)

// An index picks the template by platform and command; Netmiko's platform names and command
// abbreviations work.
func ExampleIndex_Parse() {
	ix, err := textfsm.LoadIndex("testdata/templates") // or textfsm.DefaultDir(): $NET_TEXTFSM
	if err != nil {
		log.Fatal(err)
	}
	out := "Interface              IP-Address      OK? Method Status                Protocol\n" +
		"GigabitEthernet1       10.0.0.15       YES NVRAM  up                    up\n" +
		"GigabitEthernet2       unassigned      YES unset  administratively down down\n"
	rows, err := ix.Parse("cisco_xe", "sh ip int br", out)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(r["interface"], r["ip_address"], r["status"])
	}
	// Output:
	// GigabitEthernet1 10.0.0.15 up
	// GigabitEthernet2 unassigned administratively down
}

// Decode fills structs from the rows; fields match columns by tag or by name.
func ExampleDecode() {
	ix, err := textfsm.LoadIndex("testdata/templates")
	if err != nil {
		log.Fatal(err)
	}
	out := "Arista DCS-7280CR3-32P4\nSerial number: JPE21011234\nSoftware image version: 4.30.1F\nTotal memory: 32000000 kB\n"
	rows, err := ix.Parse("eos", "show version", out)
	if err != nil {
		log.Fatal(err)
	}
	var v []struct {
		Model       string
		Serial      string `textfsm:"serial_number"`
		Image       string
		TotalMemory int
	}
	if err := textfsm.Decode(rows, &v); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", v[0])
	// Output:
	// {Model:DCS-7280CR3-32P4 Serial:JPE21011234 Image:4.30.1F TotalMemory:32000000}
}

// A Table prints aligned, with the template's columns in order.
func ExampleTable_WriteText() {
	ix, err := textfsm.LoadIndex("testdata/templates")
	if err != nil {
		log.Fatal(err)
	}
	out := "Interface               Admin Link Proto    Local                 Remote\n" +
		"ge-0/0/0.0              up    up   inet     10.1.0.1/30\n" +
		"lo0.0                   up    up   inet     192.0.2.9/32\n"
	tb, err := ix.ParseTable("juniper_junos", "show interfaces terse", out)
	if err != nil {
		log.Fatal(err)
	}
	_ = tb.WriteText(os.Stdout)
	// Output:
	// INTERFACE   ADMIN  LINK  PROTO  LOCAL
	// ge-0/0/0.0  up     up    inet   10.1.0.1/30
	// lo0.0       up     up    inet   192.0.2.9/32
}
