package textfsm

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/sirikothe/gotextfsm"
)

// ErrTemplate is wrapped by the errors of templates that cannot be compiled.
var ErrTemplate = errors.New("textfsm: bad template")

// ErrParse is wrapped by the errors of outputs a template rejects (an Error action) or cannot
// be applied to.
var ErrParse = errors.New("textfsm: cannot parse output")

// Template is a compiled TextFSM template. It is safe for concurrent use: every Parse works on
// its own copy of the template's state.
type Template struct {
	name    string
	fsm     gotextfsm.TextFSM
	columns []string // lower-cased, in the template's Value order
}

// reEngineLine finds the line number in gotextfsm's messages ("3 Line: ...", "Line 3: ...",
// "... Line: 3.").
var reEngineLine = regexp.MustCompile(`(?:^(\d+) Line:|Line:? (\d+))`)

// ParseTemplate compiles a template. name (usually the file's path) prefixes errors, as
// "name:line: message" when the line is known.
func ParseTemplate(name, text string) (t *Template, err error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%w: %s: %v", ErrTemplate, name, r)
		}
	}()
	var fsm gotextfsm.TextFSM
	if err := fsm.ParseString(text); err != nil {
		msg := err.Error()
		if m := reEngineLine.FindStringSubmatch(msg); m != nil {
			line := m[1] + m[2]
			msg = strings.TrimLeft(strings.Replace(msg, m[0], "", 1), ": ")
			return nil, fmt.Errorf("%w: %s:%s: %s", ErrTemplate, name, line, msg)
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrTemplate, name, msg)
	}
	t = &Template{name: name, fsm: fsm}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			break
		}
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "Value" {
			continue
		}
		name := f[1]
		if !strings.HasPrefix(f[2], "(") {
			name = f[2]
		}
		t.columns = append(t.columns, strings.ToLower(name))
	}
	return t, nil
}

// Name returns the name the template was compiled with.
func (t *Template) Name() string { return t.name }

// Columns returns the template's values, lower-cased, in the order the template declares them.
func (t *Template) Columns() []string { return append([]string(nil), t.columns...) }

// Parse applies the template to output and returns one map per record, keyed by the
// lower-cased value names. A value is a string, or a []string for List values (a
// map[string]string or []map[string]string for values with nested named groups). An Error
// action in the template fails with an error wrapping ErrParse.
func (t *Template) Parse(output string) (rows []map[string]any, err error) {
	output = strings.ReplaceAll(output, "\r\n", "\n")
	fsm := t.fsm
	// gotextfsm keeps the record being built in the template's Values map: work on a copy.
	fsm.Values = maps.Clone(t.fsm.Values)
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, fmt.Errorf("%w: template %s: %v", ErrParse, t.name, r)
		}
	}()
	var p gotextfsm.ParserOutput
	p.Reset(fsm)
	if err := p.ParseTextString(output, fsm, true); err != nil {
		return nil, fmt.Errorf("%w: template %s: %v", ErrParse, t.name, err)
	}
	rows = make([]map[string]any, 0, len(p.Dict))
	for _, rec := range p.Dict {
		row := make(map[string]any, len(rec))
		for k, v := range rec {
			row[strings.ToLower(k)] = v
		}
		rows = append(rows, row)
	}
	return rows, nil
}
