package textfsm_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sirikothe/gotextfsm"

	"github.com/gonorn/norn/textfsm"
)

// reference parses with github.com/sirikothe/gotextfsm (scrapligo's engine), the reference the
// engine is checked against; keys lower-cased, records whose values are all empty dropped
// (gotextfsm drops records of empty strings, Python's textfsm keeps them: see normalize).
func reference(template, output string) (rows []map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, fmt.Errorf("gotextfsm panic: %v", r)
		}
	}()
	var f gotextfsm.TextFSM
	if err := f.ParseString(template); err != nil {
		return nil, err
	}
	var p gotextfsm.ParserOutput
	if err := p.ParseTextString(output, f, true); err != nil {
		return nil, err
	}
	for _, rec := range p.Dict {
		row := map[string]any{}
		for k, v := range rec {
			row[strings.ToLower(k)] = v
		}
		rows = append(rows, row)
	}
	return normalize(rows), nil
}

// normalize drops the records whose values are all empty.
func normalize(rows []map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range rows {
		for _, v := range r {
			if !reflect.ValueOf(v).IsZero() && reflect.ValueOf(v).Len() > 0 {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// TestMatchesReference checks the engine against gotextfsm on every test template and output.
func TestMatchesReference(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(templatesDir, "*.textfsm"))
	outputs := []string{iosVersion, iosIPBrief, iosVersion + iosIPBrief,
		"Interface               Admin Link Proto    Local                 Remote\nge-0/0/0                up    up\nge-0/0/0.0              up    up   inet     10.1.0.1/30\n                                   inet6    fe80::1/64\n"}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := textfsm.ParseTemplate(p, string(b))
		if err != nil {
			t.Fatal(err)
		}
		for i, out := range outputs {
			want, werr := reference(string(b), out)
			got, gerr := tpl.Parse(out)
			if (werr != nil) != (gerr != nil) {
				t.Errorf("%s output %d: error %v, gotextfsm %v", filepath.Base(p), i, gerr, werr)
				continue
			}
			if gerr == nil && !reflect.DeepEqual(normalize(got), want) {
				t.Errorf("%s output %d:\n got %v\nwant %v", filepath.Base(p), i, normalize(got), want)
			}
		}
	}
}
