package textfsm_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gonorn/norn/textfsm"
)

// FuzzParseIndex checks that no index text makes the parser or a lookup panic, and that errors
// name the file.
func FuzzParseIndex(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(templatesDir, "index")); err == nil {
		f.Add(string(b), "cisco_iosxe", "sh ver")
	}
	f.Add("Template, Hostname, Platform, Command\na.textfsm, .*, cisco_ios, sh[[ow]] ver[[sion]]\n", "cisco_ios", "show version")
	f.Add("Template,Command\na:b, s[[h]]\n", "x", "sh")
	f.Add("Command, Template\n[[, a\n", "", "[[")
	f.Fuzz(func(t *testing.T, text, platform, command string) {
		ix, err := textfsm.ParseIndex(t.TempDir(), "fuzz-index", strings.NewReader(text))
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz-index") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		_, _ = ix.Lookup(platform, command)
	})
}

// FuzzTemplate checks that no template and output make the engine panic or return rows with
// columns the template does not declare, and that where gotextfsm (the reference) compiles and
// applies the template too, both give the same records. Templates with nested named groups are
// not compared (Python's textfsm, which the engine follows, and gotextfsm differ there).
func FuzzTemplate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(templatesDir, "*.textfsm"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), iosVersion+iosIPBrief)
	}
	f.Add("Value List A ((?P<x>\\d+) (?P<y>\\w+))\n\nStart\n  ^${A} -> Record\n", "1 a\n2 b\n")
	f.Add("Value Filldown,Required A (\\S+)\nValue Fillup B (\\d+)\n\nStart\n  ^${A}\n  ^x${B} -> Record\n", "a\nx1\nb\nx2\n")
	f.Add("Value A (.)\n\nStart\n  ^${A} -> Error \"bad\"\n", "z")
	f.Add("Value Key A (\\w+)\nValue List B (\\d+)\n\nStart\n  ^${A}: -> Continue.Record\n  ^.*${B} -> Next\n  ^end -> Clearall\n", "a:\n1\n2\nb:\n3\nend\n")
	f.Fuzz(func(t *testing.T, template, output string) {
		tpl, err := textfsm.ParseTemplate("fuzz.textfsm", template)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "textfsm: bad template: fuzz.textfsm:") {
				t.Fatalf("error without the template's name and line: %v", err)
			}
			return
		}
		rows, err := tpl.Parse(output)
		if err != nil {
			return
		}
		cols := tpl.Columns()
		for _, r := range rows {
			for k := range r {
				if !slices.Contains(cols, k) {
					t.Fatalf("row column %q not in %v", k, cols)
				}
			}
		}
		if strings.Contains(template, "(?P") {
			return
		}
		want, err := reference(template, output)
		if err != nil {
			return
		}
		if got := normalize(rows); !reflect.DeepEqual(got, want) {
			t.Fatalf("engine and gotextfsm differ:\n got %#v\nwant %#v", got, want)
		}
	})
}
