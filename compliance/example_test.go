package compliance_test

import (
	"fmt"

	"github.com/gonorn/norn/compliance"
)

// A rule applies to some platforms; on the others it is skipped, not failed. Junos
// configurations are read as set paths, so the rule is written as an operator types it.
func ExampleRuleSet_Check() {
	rs, err := compliance.Parse("rules.yaml", []byte(`
rules:
  - id: vty-ssh-only
    severity: high
    platforms: [ios]
    section: '^line vty'
    must_contain: [transport input ssh]
  - id: junos-ssh
    platforms: [junos]
    must_contain: [set system services ssh]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	ios := "hostname r1\nline vty 0 4\n transport input ssh\nline vty 5 15\n transport input telnet\n"
	for _, r := range rs.Check(compliance.Target{Host: "r1", Platform: "cisco_iosxe"}, ios) {
		fmt.Println(r.Host, r.Rule, r.Status, r.Reason, r.Findings)
	}
	junos := "system {\n    services {\n        ssh {\n            protocol-version v2;\n        }\n    }\n}\n"
	for _, r := range rs.Check(compliance.Target{Host: "j1", Platform: "juniper_junos"}, junos) {
		fmt.Println(r.Host, r.Rule, r.Status, r.Reason, r.Findings)
	}
	// Output:
	// r1 vty-ssh-only fail  [line vty 5 15: missing "transport input ssh"]
	// r1 junos-ssh skip not for cisco_iosxe []
	// j1 vty-ssh-only skip not for juniper_junos []
	// j1 junos-ssh pass  []
}

// Rule file errors name the file, line and column.
func ExampleParse_error() {
	_, err := compliance.Parse("rules.yaml", []byte("rules:\n  - id: a\n    must_contian: [x]\n"))
	fmt.Println(err)
	// Output:
	// compliance: bad rules: rules.yaml:3:5: unknown rule key "must_contian" (want one of id, description, severity, platforms, groups, section, if_present, must_contain, must_not_contain, must_match, must_not_match)
}
