package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownKey is wrapped by the error of a key norn.yaml does not know.
var ErrUnknownKey = errors.New("unknown key")

// ErrWrongType is wrapped by the error of a value of the wrong YAML type.
var ErrWrongType = errors.New("wrong type")

// Error is one problem with a setting: where it was set (Origin), its key and what is wrong.
// Its message names the file:line:col, the environment variable or the flag, so a person
// knows what to fix.
type Error struct {
	// Key is the dotted key ("runner.workers"); "" for a problem with the file as a whole.
	Key string
	// Origin is where the value came from.
	Origin Origin
	// Value is the value's text ("" when not a scalar).
	Value string
	// Msg says what is wrong.
	Msg string
	// Err is the kind of problem (ErrUnknownKey, ErrWrongType) or nil.
	Err    error
	secret bool
}

// Error formats the problem: "norn.yaml:3:12: runner.workers: 0: want at least 1",
// "$NORN_WORKERS=0: want at least 1", "-workers 0: want at least 1".
func (e *Error) Error() string {
	v := e.Value
	if e.secret {
		v = masked
	}
	quoted := v
	if e.quote() {
		quoted = strconv.Quote(v)
	}
	switch e.Origin.Source {
	case FromFile:
		var b strings.Builder
		b.WriteString(e.Origin.Name)
		if e.Origin.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Origin.Line)
			if e.Origin.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Origin.Column)
			}
		}
		b.WriteString(": ")
		if e.Key != "" {
			b.WriteString(e.Key)
			if e.Value != "" {
				b.WriteString(" " + quoted)
			}
			b.WriteString(": ")
		}
		b.WriteString(e.Msg)
		return b.String()
	case FromEnv:
		return fmt.Sprintf("$%s=%s: %s", e.Origin.Name, quoted, e.Msg)
	case FromFlag:
		if e.Origin.Name != "" {
			return fmt.Sprintf("%s %s: %s", e.Origin.Name, quoted, e.Msg)
		}
	}
	return fmt.Sprintf("%s %s: %s", e.Key, quoted, e.Msg)
}

// Unwrap returns the kind of problem.
func (e *Error) Unwrap() error { return e.Err }

// quote reports whether the value is shown quoted: text settings, and values that are not of
// their setting's type.
func (e *Error) quote() bool {
	i, ok := keyIndex[e.Key]
	if !ok || e.secret {
		_, err := strconv.ParseFloat(e.Value, 64)
		return err != nil
	}
	switch keys[i].field(&Config{}).(type) {
	case *int, *float64, *bool, *time.Duration:
		return parseInto(keys[i].field(Default()), e.Value) != nil
	}
	return true
}

// Errors is every problem found at once, sorted by origin.
type Errors []*Error

// Error lists the problems, one per line.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// joinErrors returns nil, the one error, or Errors sorted by line and column.
func joinErrors(errs []error) error {
	var es Errors
	for _, err := range errs {
		var e *Error
		var many Errors
		switch {
		case errors.As(err, &many):
			es = append(es, many...)
		case errors.As(err, &e):
			es = append(es, e)
		default:
			es = append(es, &Error{Msg: err.Error(), Err: err})
		}
	}
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Origin, es[j].Origin
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return es
}

const masked = "********"
