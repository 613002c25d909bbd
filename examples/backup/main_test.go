package main

// The program end to end: six simulated devices over SSH, two runs, the status read back.
func Example() {
	main()
	// Output:
	// run 1: one commit, 6 files
	// run 2: nothing changed, no commit
	// ams-mx-0005      juniper_junos   43460 bytes 1791 lines  failures 0
	// ams-nx-0002      cisco_nxos      16062 bytes  693 lines  failures 0
	// ams-pe-0003      cisco_iosxr      5975 bytes  259 lines  failures 0
	// ams-rtr-0001     cisco_iosxe     38084 bytes 1185 lines  failures 0
	// ams-sw-0004      arista_eos       5915 bytes  238 lines  failures 0
	// fra-rtr-0006     cisco_iosxe      6587 bytes  287 lines  failures 0
}
