package scrapli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
)

func platformPrompts(t *testing.T, name string) (prompts, *regexp.Regexp) {
	t.Helper()
	p, err := platform.NewPlatform(name, "localhost", options.WithTransportType(TransportSystem))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := compilePrompts(p.PrivilegeLevels, platformSpecs[name].cliExclude)
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.GetNetworkDriver()
	if err != nil {
		t.Fatal(err)
	}
	return pr, d.Channel.PromptPattern // scrapligo's own joined pattern
}

func TestAnchorEnd(t *testing.T) {
	cases := []struct{ in, want string }{
		{`(?im)^[\w.\-]{1,63}#\s?$`, `(?:(?im)^[\w.\-]{1,63}#[ \t]?\z)`},
		{`(?im)^\[[^]]+\]\$\s*$`, `(?:(?im)^\[[^]]+\]\$[ \t]*\z)`},
		{`(?im)^[\w.\-@/:]{1,63}#$`, `(?:(?im)^[\w.\-@/:]{1,63}#\z)`},
		{`(?im)^\$`, `(?:(?:(?im)^\$)\z)`},
		{`(?im)(^a#\s?$)|(^>\s?$)`, `(?:(?:(?im)(^a#\s?$)|(^>\s?$))\z)`},
	}
	for _, c := range cases {
		if got := anchorEnd(c.in); got != c.want {
			t.Errorf("anchorEnd(%q) = %q, want %q", c.in, got, c.want)
		}
		if _, err := regexp.Compile(anchorEnd(c.in)); err != nil {
			t.Errorf("anchorEnd(%q) does not compile: %v", c.in, err)
		}
	}
}

// TestJunosPartialSecretIsNotAPrompt pins the bug: a read that ends right after
// `authentication-key "$9$` matched scrapligo's Junos prompt pattern (the shell level's
// "^.*[%$]\s?$"), which ended the read and cut the configuration.
func TestJunosPartialSecretIsNotAPrompt(t *testing.T) {
	pr, scrapligo := platformPrompts(t, PlatformJunos)
	partial := "protocols {\n    bgp {\n        group EXTERNAL {\n            neighbor 10.0.0.1 {\n" +
		"                description WAN-syd2-ce10;\n                authentication-key \"$9$"
	if !scrapligo.MatchString(partial) {
		t.Fatal("scrapligo's pattern no longer matches the partial line: the bug this test pins is gone upstream")
	}
	for name, re := range map[string]*regexp.Regexp{"cli": pr.cli, "all": pr.all} {
		if name == "cli" && re.MatchString(partial) {
			t.Errorf("%s prompt pattern matches a read ending in a partial secret", name)
		}
		if !re.MatchString(partial + "\";\n            }\n        }\n    }\n}\n\nadmin@vsrx> ") {
			t.Errorf("%s prompt pattern misses the prompt after the configuration", name)
		}
	}
}

func TestPrompts(t *testing.T) {
	cases := []struct {
		platform string
		prompts  []string // match prompts.cli (and prompts.all)
		not      []string // match neither at the end of a read
		shell    []string // match prompts.all only
	}{
		{PlatformIOSXE, []string{"csr1000v#", "csr1000v>", "csr1000v(config)#", "csr1000v(config-if)#"},
			[]string{"csr1000v#\n", "csr1000v#\n interface Gi1", "banner motd ^C", "!"}, []string{"+>"}},
		{PlatformNXOS, []string{"switch# ", "switch#", "switch(config)# ", "switch(config-if)#"},
			[]string{"switch#\n", "  description x#y", "!Command: show running-config"}, []string{">"}},
		{PlatformIOSXR, []string{"RP/0/RP0/CPU0:ios#", "RP/0/RP0/CPU0:ios(config)#", "RP/0/RP0/CPU0:ios(config-if)#"},
			[]string{"RP/0/RP0/CPU0:ios#\n", "!! IOS XR Configuration 7.3.2", "end"}, []string{"[xr-vm_node0_RP0_CPU0:~]$"}},
		{PlatformEOS, []string{"localhost>", "localhost#", "localhost(config)#", "localhost(config-if-Et1)#"},
			[]string{"localhost#\n", "   description uplink", "end"}, nil},
		{PlatformJunos, []string{"admin@vsrx>", "admin@vsrx> ", "{master:0}\nadmin@vsrx>", "admin@vsrx#", "[edit]\nadmin@vsrx# "},
			[]string{"admin@vsrx>\n", `    authentication-key "$9$`, `    secret "$9$abc$`, "    set 100%",
				"## Last commit: 2024-01-01 by admin", "}"},
			[]string{"admin@vsrx:~ % ", "root@vsrx:~ # "}},
	}
	for _, c := range cases {
		t.Run(c.platform, func(t *testing.T) {
			pr, _ := platformPrompts(t, c.platform)
			for _, p := range c.prompts {
				text := "show something\nline one\n" + p
				if !pr.cli.MatchString(text) || !pr.all.MatchString(text) || !pr.read.MatchString(text) {
					t.Errorf("prompt %q not matched", p)
				}
				if !pr.read.MatchString("\n" + p) {
					t.Errorf("prompt %q alone after the command's newline not matched", p)
				}
				// A prompt-shaped line with more output after it is not a prompt.
				if pr.cli.MatchString(p + "\nmore output") {
					t.Errorf("prompt %q matched before the end of the text", p)
				}
			}
			for _, p := range c.not {
				if pr.cli.MatchString("some output\n"+p) || pr.read.MatchString("some output\n"+p) {
					t.Errorf("cli pattern matches %q", p)
				}
			}
			// A read window that starts inside a long line (no newline in it): its start is not
			// the start of a prompt.
			for _, p := range c.prompts {
				last := p[strings.LastIndexByte(p, '\n')+1:]
				if pr.read.MatchString(last) {
					t.Errorf("read pattern matches %q without the newline before it", last)
				}
			}
			for _, p := range c.shell {
				if pr.cli.MatchString("x\n"+p) || !pr.all.MatchString("x\n"+p) {
					t.Errorf("shell prompt %q: cli %v all %v, want false true", p, pr.cli.MatchString("x\n"+p), pr.all.MatchString("x\n"+p))
				}
			}
		})
	}
}

func TestStripTrailingPrompt(t *testing.T) {
	junos, _ := platformPrompts(t, PlatformJunos)
	xe, _ := platformPrompts(t, PlatformIOSXE)
	long := strings.Repeat("interface Gi1\n description x\n", 100)
	cases := []struct {
		re       *regexp.Regexp
		in, want string
	}{
		{xe.cli, "Building configuration...\nhostname r1\nend\n\nr1#", "Building configuration...\nhostname r1\nend"},
		// A prompt-shaped line inside the output stays (scrapligo's stripping deleted it).
		{xe.cli, "banner motd ^C\nr1#\n^C\nend\nr1#", "banner motd ^C\nr1#\n^C\nend"},
		{xe.cli, "r1#", ""},
		{xe.cli, "no prompt here", "no prompt here"},
		{xe.cli, long + "end\nr1#", long + "end"},
		{junos.cli, "version 22.4;\n\n{master:0}\nadmin@vsrx>", "version 22.4;"},
		{junos.cli, "version 22.4;\nadmin@vsrx>", "version 22.4;"},
	}
	for _, c := range cases {
		if got := string(stripTrailingPrompt([]byte(c.in), c.re)); got != c.want {
			t.Errorf("stripTrailingPrompt(%q) = %q, want %q", tailOf(c.in), tailOf(got), tailOf(c.want))
		}
	}
}

func tailOf(s string) string {
	if len(s) > 60 {
		return "..." + s[len(s)-60:]
	}
	return s
}

func BenchmarkStripTrailingPrompt(b *testing.B) {
	p, err := platform.NewPlatform(PlatformJunos, "localhost", options.WithTransportType(TransportSystem))
	if err != nil {
		b.Fatal(err)
	}
	pr, err := compilePrompts(p.PrivilegeLevels, platformSpecs[PlatformJunos].cliExclude)
	if err != nil {
		b.Fatal(err)
	}
	out := []byte(strings.Repeat("    authentication-key \"$9$abc\"; ## SECRET-DATA\n", 2000) + "}\n\nadmin@vsrx>")
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		stripTrailingPrompt(out, pr.cli)
	}
}

// searchWindow is what scrapligo's channel matches the prompt pattern against after a read:
// the last depth bytes, from their first newline on.
func searchWindow(b []byte, depth int) []byte {
	if len(b) <= depth {
		return b
	}
	w := b[len(b)-depth:]
	if i := bytes.IndexByte(w, '\n'); i > 0 {
		w = w[i:]
	}
	return w
}

// TestPromptDepth: the longest prompts the command patterns accept are found within the
// platform's prompt search depth.
func TestPromptDepth(t *testing.T) {
	host := strings.Repeat("h", 63)
	long := map[string][]string{
		PlatformIOSXE: {host + "#", host + "(config-" + strings.Repeat("m", 24) + ")#"},
		PlatformNXOS:  {host + "# ", host + "(config-" + strings.Repeat("m", 25) + ")# "},
		PlatformIOSXR: {"RP/0/RSP0/CPU0:" + strings.Repeat("h", 48) + "#", "RP/0/RSP0/CPU0:" + strings.Repeat("h", 48) + "(config-" + strings.Repeat("m", 25) + ")#"},
		PlatformEOS:   {host + ">", host + "(config-" + strings.Repeat("m", 56) + ")#"},
		PlatformJunos: {"{master:0}\n" + strings.Repeat("u", 20) + "@" + strings.Repeat("h", 42) + ">", "{master:0}[edit]\n" + strings.Repeat("h", 63) + "# "},
	}
	output := []byte(strings.Repeat("interface GigabitEthernet1\n description uplink\n", 100))
	for name, prompts := range long {
		spec := platformSpecs[name]
		if spec.promptDepth == 0 {
			continue
		}
		pr, _ := platformPrompts(t, name)
		for _, p := range prompts {
			text := append(append(bytes.Clone(output), '\n'), p...)
			// The whole prompt, with the newline before it, is in the window (a window starting
			// inside it would still match, "^" matching at its start, but from a cut line).
			w := searchWindow(text, spec.promptDepth)
			if loc := pr.cli.FindIndex(w); loc == nil || string(w[loc[0]:loc[1]]) != p || w[0] != '\n' {
				t.Errorf("%s: prompt %q (%d bytes) not found whole within %d bytes", name, p, len(p), spec.promptDepth)
			}
			if !pr.cli.Match(text) {
				t.Errorf("%s: %q is not a prompt of the platform", name, p)
			}
		}
	}
}
