package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRunParse runs 'norn run -parse' against simulated devices over SSH with the project's
// test templates: IOS-XE "show ip interface brief" prints as a table, and as rows with -json;
// a command without a template keeps its raw output and says why.
func TestRunParse(t *testing.T) {
	f := newFixture(t, 5, nil)
	templates := "../../textfsm/testdata/templates"
	base := []string{"run", "-inventory", f.inv, "-timeout", "20s", "-parse", "-templates", templates}
	code, out, errOut := norn(t, append(base, "-filter", "platform=cisco_iosxe", "show ip interface brief", "show clock")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	mustMatch(t, "stdout", `(?m)^---- show ip interface brief\nINTERFACE +IP_ADDRESS +STATUS +PROTO\n\S+ +\S+ +(up|administratively down) +(up|down)\n`, out)
	mustMatch(t, "stdout", `(?m)^---- show clock \(not parsed: textfsm: no template for platform cisco_iosxe command "show clock"`, out)

	code, out, errOut = norn(t, append(base, "-json", "show version")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var rep struct {
		Results []struct {
			Host   string
			Output []struct {
				Command    string
				Parsed     []map[string]any
				ParseError string `json:"parse_error"`
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Results) != 5 {
		t.Fatalf("%d results", len(rep.Results))
	}
	for _, r := range rep.Results {
		if len(r.Output) != 1 || len(r.Output[0].Parsed) != 1 || r.Output[0].ParseError != "" {
			t.Errorf("%s: %+v", r.Host, r.Output)
		}
	}

	code, _, errOut = norn(t, "run", "-inventory", f.inv, "-parse", "-templates", t.TempDir(), "show version")
	if code != exitUsage || !strings.Contains(errOut, "-parse: textfsm: bad index") {
		t.Errorf("no index: exit %d, %s", code, errOut)
	}
}
