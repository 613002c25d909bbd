package inventory

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kinds of inventory problems, for errors.Is on a *Problem or on the *LoadError holding it.
var (
	// ErrSyntax: a file is not valid YAML.
	ErrSyntax = errors.New("malformed YAML")
	// ErrWrongType: a value has the wrong YAML type (a list where a mapping belongs, ...).
	ErrWrongType = errors.New("wrong type")
	// ErrUndefinedGroup: a host or a group names a group that is not defined.
	ErrUndefinedGroup = errors.New("undefined group")
	// ErrGroupCycle: groups are their own ancestors.
	ErrGroupCycle = errors.New("cycle of groups")
	// ErrDuplicate: a host (or group, or key) is defined twice.
	ErrDuplicate = errors.New("duplicate definition")
	// ErrInvalidPort: a port is not in 1-65535.
	ErrInvalidPort = errors.New("invalid port")
	// ErrInvalidName: a host or group has an empty or non-scalar name.
	ErrInvalidName = errors.New("invalid name")
	// ErrUnknownKey: a key Nornir does not know, reported only by SimpleInventory.Strict.
	ErrUnknownKey = errors.New("unknown key")
)

// Problem is one thing wrong with an inventory: where (File, Line, Column; zero when unknown:
// an inventory made by Build has no file, and yaml.v3 reports no column for malformed YAML),
// what kind (Err: one of the Err... variables, or the file system's error when a file cannot
// be read) and a message naming the host or group.
type Problem struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	Err    error
	Msg    string
}

// Error formats the problem as "file:line:col: message" (the parts that are known).
func (p *Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
			if p.Column > 0 {
				b.WriteString(":" + strconv.Itoa(p.Column))
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Unwrap returns the problem's kind.
func (p *Problem) Unwrap() error { return p.Err }

// LoadError is returned when an inventory cannot be loaded or built: it lists every problem
// found (sorted by file, line and column), not only the first.
type LoadError struct {
	Problems []*Problem
}

// Error lists the problems, one per line.
func (e *LoadError) Error() string {
	var b strings.Builder
	if len(e.Problems) > 1 {
		fmt.Fprintf(&b, "inventory: %d problems:", len(e.Problems))
		for _, p := range e.Problems {
			b.WriteString("\n\t")
			b.WriteString(p.Error())
		}
		return b.String()
	}
	b.WriteString("inventory: ")
	if len(e.Problems) == 1 {
		b.WriteString(e.Problems[0].Error())
	}
	return b.String()
}

// Unwrap returns the problems, so that errors.Is(err, ErrUndefinedGroup) and errors.As with a
// *Problem work on a LoadError.
func (e *LoadError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// problems collects problems and turns them into a *LoadError.
type problems struct {
	list  []*Problem
	order map[string]int // file -> rank, for sorting
}

func (ps *problems) add(p *Problem) { ps.list = append(ps.list, p) }

func (ps *problems) addf(file string, line, col int, kind error, format string, args ...any) {
	ps.add(&Problem{File: file, Line: line, Column: col, Err: kind, Msg: fmt.Sprintf(format, args...)})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	rank := func(f string) int {
		if r, ok := ps.order[f]; ok {
			return r
		}
		return len(ps.order)
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i], ps.list[j]
		if ra, rb := rank(a.File), rank(b.File); ra != rb {
			return ra < rb
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return &LoadError{Problems: ps.list}
}

func quote(s string) string { return strconv.Quote(s) }
