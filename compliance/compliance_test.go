package compliance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gonorn/norn/compliance"
)

func loadRules(t testing.TB) *compliance.RuleSet {
	t.Helper()
	rs, err := compliance.Load("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

const iosConfig = `!
version 17.6
service timestamps log datetime msec
service password-encryption
!
hostname edge1
!
ip ssh version 2
snmp-server community public RO
snmp-server community private RW
ntp server 192.0.2.1
!
router bgp 65000
 bgp log-neighbor-changes
 neighbor 192.0.2.2 remote-as 65001
!
line con 0
 exec-timeout 15 0
line vty 0 4
 exec-timeout 15 0
 transport input ssh
line vty 5 15
 transport input telnet ssh
!
end
`

const junosConfig = `## Last commit: 2026-12-01 10:00:00 UTC by admin
version 21.4R3-S2.3;
system {
    host-name j1;
    root-authentication {
        encrypted-password "$6$abc"; ## SECRET-DATA
    }
    services {
        ssh {
            protocol-version v2;
            root-login deny;
        }
        inactive: telnet;
        netconf {
            ssh;
        }
    }
    /* a comment
       over two lines */
    authentication-order [ tacplus password ];
}
inactive: snmp {
    community public {
        authorization read-write;
    }
}
interfaces {
    ge-0/0/0 {
        unit 0 {
            family inet {
                address 10.0.0.1/30;
            }
        }
    }
}
`

func byRule(rs []compliance.Result) map[string]compliance.Result {
	m := map[string]compliance.Result{}
	for _, r := range rs {
		m[r.Rule] = r
	}
	return m
}

func TestCheckIOS(t *testing.T) {
	rs := loadRules(t)
	core := func(g string) bool { return g == "core" }
	got := byRule(rs.Check(compliance.Target{Host: "edge1", Platform: "cisco_ios", InGroup: core}, strings.ReplaceAll(iosConfig, "\n", "\r\n")))
	want := map[string]struct {
		status   compliance.Status
		findings []string
		reason   string
	}{
		"vty-ssh-only": {compliance.Fail, []string{
			`line vty 5 15: missing "transport input ssh"`,
			`line vty 5 15: forbidden line "transport input telnet ssh" (matches "^transport input .*telnet")`}, ""},
		"vty-exec-timeout":        {compliance.Pass, nil, ""},
		"password-encryption":     {compliance.Pass, nil, ""},
		"ssh-v2":                  {compliance.Pass, nil, ""},
		"no-snmp-write-community": {compliance.Fail, []string{`forbidden line "snmp-server community private RW" (matches "^snmp-server community \\S+ (RW|rw)\\b")`}, ""},
		"ntp-servers":             {compliance.Pass, nil, ""},
		"xr-ssh-only":             {compliance.Skip, nil, "not for cisco_iosxe"},
		"eos-spanning-tree":       {compliance.Skip, nil, "not for cisco_iosxe"},
		"junos-ssh":               {compliance.Skip, nil, "not for cisco_iosxe"},
		"junos-ssh-v2":            {compliance.Skip, nil, "not for cisco_iosxe"},
		"core-bgp-logging":        {compliance.Pass, nil, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for id, w := range want {
		g := got[id]
		if g.Status != w.status || !reflect.DeepEqual(g.Findings, w.findings) || g.Reason != w.reason || g.Platform != "cisco_iosxe" {
			t.Errorf("%s: got %s %q %q, want %s %q %q", id, g.Status, g.Findings, g.Reason, w.status, w.findings, w.reason)
		}
	}
	if got["no-snmp-write-community"].Severity != compliance.Critical {
		t.Errorf("severity %v", got["no-snmp-write-community"].Severity)
	}

	// Outside group core the group rule is skipped; without groups known, too.
	for _, in := range []func(string) bool{nil, func(string) bool { return false }} {
		r := byRule(rs.Check(compliance.Target{Host: "edge1", Platform: "cisco_iosxe", InGroup: in}, iosConfig))["core-bgp-logging"]
		if r.Status != compliance.Skip {
			t.Errorf("group rule: %+v", r)
		}
	}
	// Unknown platform: every platform rule is skipped, never failed.
	for _, r := range rs.Check(compliance.Target{Host: "x"}, iosConfig) {
		if r.Status != compliance.Skip || r.Reason != "platform unknown" {
			t.Errorf("unknown platform: %+v", r)
		}
	}
}

func TestCheckJunos(t *testing.T) {
	rs := loadRules(t)
	got := byRule(rs.Check(compliance.Target{Host: "j1", Platform: "junos"}, junosConfig))
	for id, want := range map[string]compliance.Status{
		"junos-ssh": compliance.Pass, "junos-ssh-v2": compliance.Pass, "vty-ssh-only": compliance.Skip,
		"no-snmp-write-community": compliance.Skip, "eos-spanning-tree": compliance.Skip,
	} {
		if got[id].Status != want {
			t.Errorf("%s: %+v, want %s", id, got[id], want)
		}
	}
	c := compliance.ParseConfig("juniper_junos", junosConfig)
	lines := strings.Join(c.Lines(), "\n") + "\n"
	for _, want := range []string{"system services ssh protocol-version v2", "system authentication-order [ tacplus password ]",
		`system root-authentication encrypted-password "$6$abc"`, "interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/30"} {
		if !strings.Contains(lines, want+"\n") {
			t.Errorf("missing path %q in\n%s", want, lines)
		}
	}
	for _, absent := range []string{"telnet", "snmp", "comment"} {
		if strings.Contains(lines, absent) {
			t.Errorf("inactive or comment %q kept:\n%s", absent, lines)
		}
	}

	// The same configuration as set commands gives the same paths.
	var set strings.Builder
	for _, l := range c.Lines() {
		set.WriteString("set " + l + "\n")
	}
	if got := compliance.ParseConfig("junos", set.String()).Lines(); !reflect.DeepEqual(got, c.Lines()) {
		t.Errorf("set form:\n%q\nbraces:\n%q", got, c.Lines())
	}

	// SSH removed, telnet active: both checks fail.
	bad := strings.Replace(strings.Replace(junosConfig, "inactive: telnet;", "telnet;", 1), "ssh {", "ssh-x {", 1)
	r := byRule(rs.Check(compliance.Target{Host: "j1", Platform: "juniper_junos"}, bad))
	if r["junos-ssh"].Status != compliance.Fail || len(r["junos-ssh"].Findings) != 2 {
		t.Errorf("junos-ssh: %+v", r["junos-ssh"])
	}
	if r["junos-ssh-v2"].Status != compliance.Fail || r["junos-ssh-v2"].Findings[0] != "no section matching ^(?:system services ssh)" {
		t.Errorf("junos-ssh-v2: %+v", r["junos-ssh-v2"])
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", "r.yaml: empty file"},
		{"rules: [", "r.yaml: line 1: did not find expected node content"},
		{"rule: []\n", `r.yaml:1:1: unknown key "rule" (want "rules")`},
		{"rules: {}\n", `r.yaml:1:8: "rules" must be a list`},
		{"rules:\n  - id: a\n    must_contain: x\n    severity: urgent\n", "r.yaml:4:15: severity: unknown severity \"urgent\""},
		{"rules:\n  - id: a\n    must_contian: [x]\n", `r.yaml:3:5: unknown rule key "must_contian"`},
		{"rules:\n  - id: a\n    must_match: ['ok', '(bad']\n", "r.yaml:3:24: must_match: error parsing regexp"},
		{"rules:\n  - id: a\n    section: '[x'\n    must_contain: x\n", "r.yaml:3:14: section: error parsing regexp"},
		{"rules:\n  - id: a\n    platforms: [cisco_ios, vyos]\n    must_contain: x\n", `r.yaml:3:16: unknown platform "vyos"`},
		{"rules:\n  - description: x\n    must_contain: x\n", "r.yaml:2:5: rule without an id"},
		{"rules:\n  - id: a\n", `r.yaml:2:5: rule "a" checks nothing`},
		{"rules:\n  - id: a\n    must_contain: x\n  - id: a\n    must_contain: y\n", `r.yaml:4:5: rule id "a" already defined at r.yaml:2:5`},
		{"rules:\n  - id: a b\n    must_contain: x\n", `r.yaml:2:5: rule id "a b": no spaces`},
		{"rules:\n  - id: a\n    must_contain: ['  ']\n", "r.yaml:3:19: must_contain: empty line"},
		{"rules:\n  - id: a\n    must_contain: {x: 1}\n", "r.yaml:3:19: must_contain: want a list of strings"},
	} {
		_, err := compliance.Parse("r.yaml", []byte(c.text))
		if err == nil || !errors.Is(err, compliance.ErrRules) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q): err = %v, want %q", c.text, err, c.want)
		}
	}
	if _, err := compliance.Load("testdata/nope.yaml"); !errors.Is(err, compliance.ErrRules) {
		t.Errorf("missing file: %v", err)
	}
}

func TestReportFormats(t *testing.T) {
	rs := loadRules(t)
	rep := &compliance.Report{Rules: rs.File, Source: "test"}
	rep.Results = append(rep.Results, rs.Check(compliance.Target{Host: "j1", Platform: "junos"}, junosConfig)...)
	rep.Results = append(rep.Results, rs.Check(compliance.Target{Host: "edge1", Platform: "cisco_iosxe"}, iosConfig)...)
	rep.Errors = []compliance.HostError{{Host: "gone", Err: "unreadable"}}
	rep.Sort()
	s := rep.Summary()
	if s.Hosts != 2 || s.Compliant != 1 || s.NonCompliant != 1 || s.Errors != 1 || s.Fail != 2 || s.FailBySeverity[compliance.Critical] != 1 {
		t.Errorf("summary %+v", s)
	}
	if !rep.Failed(compliance.Critical) || (&compliance.Report{}).Failed(compliance.Info) {
		t.Errorf("Failed")
	}

	var text bytes.Buffer
	if err := rep.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAIL  critical edge1  no-snmp-write-community (no read-write SNMP community)\n",
		"        line vty 5 15: missing \"transport input ssh\"\n", "ERROR gone: unreadable\n", "  non-compliant  1\n",
		"  failures       critical 1, high 1\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Results []struct {
			Host, Rule, Status, Severity string
		}
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != len(rep.Results) || back.Results[0].Host != "edge1" || back.Results[0].Severity == "" {
		t.Errorf("json: %v %+v", err, back)
	}

	var ju bytes.Buffer
	if err := rep.WriteJUnit(&ju); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Type string `xml:"type,attr"`
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(ju.Bytes(), &suites); err != nil {
		t.Fatalf("junit: %v\n%s", err, ju.String())
	}
	// Applicable rules only: 6 on edge1 (core-bgp-logging needs groups), 2 on j1, the error.
	if suites.Tests != 9 || suites.Failures != 2 || suites.Errors != 1 || suites.Skipped != 0 || len(suites.Suites) != 3 {
		t.Errorf("junit counts: %+v", suites)
	}
	for _, c := range suites.Suites[0].Cases {
		if c.Name == "no-snmp-write-community" && (c.Failure == nil || c.Failure.Type != "critical" || !strings.Contains(c.Failure.Text, "private RW")) {
			t.Errorf("junit case %+v", c)
		}
	}
}

func TestDetect(t *testing.T) {
	for want, cfg := range map[string]string{
		"cisco_iosxr":   "Building configuration...\n!! IOS XR Configuration version = 7.5.2\nhostname x\n",
		"juniper_junos": junosConfig,
		"arista_eos":    "! device: x1 (DCS-7050CX3-32S, EOS-4.30.1F)\n!\nhostname x1\n",
		"cisco_nxos":    "\nversion 10.2(5) Bios:version 05.44\nhostname x1\nfeature bgp\n",
		"cisco_iosxe":   "version 17.6\n!\nhostname x1\n!\nboot-start-marker\nboot-end-marker\n",
		"":              "hostname mystery\n",
	} {
		if got := compliance.Detect(cfg); got != want {
			t.Errorf("Detect = %q, want %q", got, want)
		}
	}
	// An IOS banner line ending in ';' does not make a configuration Junos.
	if got := compliance.Detect("version 17.6\nbanner motd ^C keep out;\n^C\nboot-start-marker\n"); got != "cisco_iosxe" {
		t.Errorf("IOS with a ';' line: %q", got)
	}
	if got := compliance.Detect("## Last changed: x\nversion 21.4R3-S2.3;\ninterfaces {\n}\n"); got != "juniper_junos" {
		t.Errorf("Junos without system: %q", got)
	}
}
