package textfsm

import (
	"errors"
	"fmt"
	"strings"
)

// ErrTemplate is wrapped by the errors of templates that cannot be compiled.
var ErrTemplate = errors.New("textfsm: bad template")

// ErrParse is wrapped by the errors of outputs a template rejects (an Error action).
var ErrParse = errors.New("textfsm: cannot parse output")

// Template is a compiled TextFSM template. It is immutable and safe for concurrent use: every
// Parse keeps its state to itself.
type Template struct {
	name    string
	f       *fsm
	columns []string // lower-cased, in the template's Value order
}

// ParseTemplate compiles a template (Google's TextFSM syntax: Value lines, then states of
// rules with Next/Continue/Error, Record/NoRecord/Clear/Clearall and new states; Filldown,
// Fillup, Required, List and Key options; List values with nested named groups give lists of
// maps). Expressions use Go's regexp syntax (RE2: no lookarounds or backreferences). name
// (usually the file's path) prefixes errors, as "name:line: message".
func ParseTemplate(name, text string) (*Template, error) {
	f, err := compile(text)
	if err != nil {
		var te *templateError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%w: %s:%d: %s", ErrTemplate, name, te.line, te.msg)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrTemplate, name, err)
	}
	t := &Template{name: name, f: f}
	for _, v := range f.values {
		t.columns = append(t.columns, strings.ToLower(v.name))
	}
	return t, nil
}

// Name returns the name the template was compiled with.
func (t *Template) Name() string { return t.name }

// Columns returns the template's values, lower-cased, in the order the template declares them.
func (t *Template) Columns() []string { return append([]string(nil), t.columns...) }

// Parse applies the template to output and returns one map per record, keyed by the
// lower-cased value names. A value is a string, a []string for List values, or a
// []map[string]string for List values with nested named groups. An Error action fails with an
// error wrapping ErrParse.
func (t *Template) Parse(output string) ([]map[string]any, error) {
	recs, err := t.f.parse(output)
	if err != nil {
		return nil, fmt.Errorf("%w: template %s: %v", ErrParse, t.name, err)
	}
	rows := make([]map[string]any, len(recs))
	for i, rec := range recs {
		row := make(map[string]any, len(rec))
		for j, v := range rec {
			row[t.columns[j]] = v
		}
		rows[i] = row
	}
	return rows, nil
}
