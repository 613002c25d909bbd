package redact_test

import (
	"fmt"
	"os"

	"github.com/gonorn/norn/redact"
)

// A Redactor masks the literal secrets it is given, the configuration secrets of its platform
// and anything shaped like a secret.
func ExampleRedactor_String() {
	r := redact.New("Hunter2-pw").WithPlatform("iosxr")
	fmt.Println(r.String("login as netops/Hunter2-pw failed"))
	fmt.Println(r.String(" authentication-key 1 md5 encrypted 073F05145B1C1D"))
	fmt.Println(r.String("GET https://netops:s3cr3t@netbox.example/api/?token=0123456789abcdef"))
	// Output:
	// login as netops/<redacted> failed
	//  authentication-key 1 md5 encrypted <redacted>
	// GET https://netops:<redacted>@netbox.example/api/?token=<redacted>
}

// A Writer redacts a stream line by line; a secret cut across two writes is still caught.
func ExampleWriter() {
	w := redact.NewWriter(os.Stdout, redact.New("En4ble-S3cret").WithPlatform("cisco_iosxe"))
	fmt.Fprint(w, "r1>enable\nPassword: En4ble")
	fmt.Fprint(w, "-S3cret\nr1#show run\nsnmp-server community pub")
	fmt.Fprint(w, "L1c-RO RO\nr1#")
	w.Close()
	// Output:
	// r1>enable
	// Password: <redacted>
	// r1#show run
	// snmp-server community <redacted> RO
	// r1#
}

// The configuration rules of a platform, at the RANCID levels, as the backup task stores
// configurations.
func ExampleRuleset_Text() {
	rs, _ := redact.PlatformRuleset("eos")
	config := "enable secret sha512 $6$abc$def\nusername u secret 0 plain-pw\n"
	fmt.Print(rs.Text(config, redact.All, "<removed>"))
	fmt.Print(rs.Text(config, redact.Reversible, "<removed>"))
	// Output:
	// enable secret sha512 <removed>
	// username u secret 0 <removed>
	// enable secret sha512 $6$abc$def
	// username u secret 0 <removed>
}
