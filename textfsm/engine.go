package textfsm

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The TextFSM engine: Google's textfsm (Python) semantics, with every expression compiled once
// when the template is read. A compiled template is immutable; each parse keeps its state in
// a run.

// value is a template Value.
type value struct {
	name                                  string
	regex                                 string // as written: "(\S+)"
	filldown, fillup, required, list, key bool
	nested                                *regexp.Regexp // the value's regex when it has named groups (List of maps)
	nestedNames                           []string
}

// rule is one line of a state.
type rule struct {
	line     int
	re       *regexp.Regexp
	assign   []binding // named groups of re that are values
	lineOp   string    // "Next" (default), "Continue", "Error"
	recordOp string    // "NoRecord" (default), "Record", "Clear", "Clearall"
	newState string    // a state, "End", "EOF", or with Error a message
}

type binding struct {
	group int // submatch index
	value int // index in fsm.values
}

// fsm is a compiled template.
type fsm struct {
	values []*value
	states map[string][]rule
	hasEOF bool
}

var (
	reStateName = regexp.MustCompile(`^\w+$`)
	reValueName = regexp.MustCompile(`^\w+$`)
	reAction    = regexp.MustCompile(`^\s+(Continue|Next|Error)(?:\.(Clearall|Clear|Record|NoRecord))?(?:\s+(\w+|".*"))?$`)
	reAction2   = regexp.MustCompile(`^\s+(Clearall|Clear|Record|NoRecord)(?:\s+(\w+|".*"))?$`)
	reAction3   = regexp.MustCompile(`^(?:\s+(\w+|".*"))?$`)
	reVarRef    = regexp.MustCompile(`\$(?:\$|\{(\w+)\}|(\w+))`)
)

// templateError is an error at a line of the template.
type templateError struct {
	line int
	msg  string
}

func (e *templateError) Error() string { return fmt.Sprintf("%d: %s", e.line, e.msg) }

func terr(line int, format string, a ...any) error {
	return &templateError{line: line, msg: fmt.Sprintf(format, a...)}
}

// compile reads a template.
func compile(text string) (*fsm, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	f := &fsm{states: map[string][]rule{}}
	byName := map[string]int{}
	i := 0
	// Values: a block at the top, ended by a blank line.
	for ; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t\r")
		if l == "" {
			break
		}
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		if !strings.HasPrefix(l, "Value ") {
			if len(f.values) == 0 {
				return nil, terr(i+1, "no Value definitions (want \"Value [Options] NAME (REGEX)\")")
			}
			return nil, terr(i+1, "expected a blank line after the last Value")
		}
		v, err := parseValue(l, i+1)
		if err != nil {
			return nil, err
		}
		if _, dup := byName[v.name]; dup {
			return nil, terr(i+1, "duplicate Value %q", v.name)
		}
		byName[v.name] = len(f.values)
		f.values = append(f.values, v)
	}
	if len(f.values) == 0 {
		if i >= len(lines) || strings.TrimSpace(text) == "" {
			return nil, terr(1, "empty template")
		}
		return nil, terr(i+1, "no Value definitions (want \"Value [Options] NAME (REGEX)\")")
	}
	// States: a name, then rules, ended by a blank line.
	type pending struct {
		state string
		r     rule
	}
	var refs []pending
	for i++; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t\r")
		if l == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		if !reStateName.MatchString(l) {
			return nil, terr(i+1, "invalid state name %q", l)
		}
		if len(l) > 48 {
			return nil, terr(i+1, "state name %q too long (48 characters at most)", l)
		}
		if slices.Contains([]string{"Continue", "Next", "Error", "Clear", "Clearall", "Record", "NoRecord"}, l) {
			return nil, terr(i+1, "state %q is a keyword", l)
		}
		if _, dup := f.states[l]; dup {
			return nil, terr(i+1, "duplicate state %q", l)
		}
		name := l
		rules := []rule{}
		for i++; i < len(lines); i++ {
			rl := strings.TrimRight(lines[i], " \t\r")
			if rl == "" {
				break
			}
			if strings.HasPrefix(strings.TrimSpace(rl), "#") {
				continue
			}
			if !strings.HasPrefix(rl, " ^") && !strings.HasPrefix(rl, "  ^") && !strings.HasPrefix(rl, "\t^") {
				return nil, terr(i+1, "missing white space or caret ('^') before rule")
			}
			r, err := f.parseRule(strings.TrimSpace(rl), i+1, byName)
			if err != nil {
				return nil, err
			}
			rules = append(rules, r)
			refs = append(refs, pending{name, r})
		}
		f.states[name] = rules
	}
	if _, ok := f.states["Start"]; !ok {
		return nil, terr(len(lines), "missing state 'Start'")
	}
	for _, s := range []string{"End", "EOF"} {
		if rs, ok := f.states[s]; ok && len(rs) > 0 {
			return nil, terr(rs[0].line, "non-empty %q state", s)
		}
	}
	delete(f.states, "End")
	_, f.hasEOF = f.states["EOF"]
	for _, p := range refs {
		if p.r.lineOp == "Error" || p.r.newState == "" || p.r.newState == "End" || p.r.newState == "EOF" {
			continue
		}
		if _, ok := f.states[p.r.newState]; !ok {
			return nil, terr(p.r.line, "state %q not found, referenced in state %q", p.r.newState, p.state)
		}
	}
	return f, nil
}

func parseValue(l string, line int) (*value, error) {
	tok := strings.Fields(l)
	if len(tok) < 3 {
		return nil, terr(line, "expect at least 3 tokens on a Value line")
	}
	v := &value{}
	var opts []string
	if !strings.HasPrefix(tok[2], "(") {
		opts = strings.Split(tok[1], ",")
		v.name = tok[2]
		v.regex = strings.Join(tok[3:], " ")
	} else {
		v.name = tok[1]
		v.regex = strings.Join(tok[2:], " ")
	}
	seen := map[string]bool{}
	for _, o := range opts {
		if seen[o] {
			return nil, terr(line, "duplicate option %q", o)
		}
		seen[o] = true
		switch o {
		case "Filldown":
			v.filldown = true
		case "Fillup":
			v.fillup = true
		case "Required":
			v.required = true
		case "List":
			v.list = true
		case "Key":
			v.key = true
		default:
			return nil, terr(line, "invalid option %q (want Filldown, Fillup, Required, List or Key)", o)
		}
	}
	if !reValueName.MatchString(v.name) || len(v.name) > 48 {
		return nil, terr(line, "invalid Value name %q", v.name)
	}
	if !strings.HasPrefix(v.regex, "(") || !strings.HasSuffix(v.regex, ")") {
		return nil, terr(line, "Value %s: %q must be contained within a '()' pair", v.name, v.regex)
	}
	re, err := regexp.Compile(v.regex)
	if err != nil {
		return nil, terr(line, "Value %s: invalid regular expression %q: %v", v.name, v.regex, err)
	}
	for _, n := range re.SubexpNames() {
		if n != "" {
			v.nestedNames = append(v.nestedNames, n)
		}
	}
	if len(v.nestedNames) > 0 {
		v.nested = regexp.MustCompile(`^(?:` + v.regex + `)`)
	}
	return v, nil
}

// parseRule reads "^regex -> Action" (the line trimmed).
func (f *fsm) parseRule(l string, line int, byName map[string]int) (rule, error) {
	r := rule{line: line, lineOp: "Next", recordOp: "NoRecord"}
	match, action := l, ""
	// The last " ->" (preceded by white space) separates the action, as Python's greedy match.
	if i := strings.LastIndex(l, "->"); i > 0 && (l[i-1] == ' ' || l[i-1] == '\t') {
		match, action = l[:i-1], l[i+2:]
	}
	// Substitute ${name} and $name with the values' regexes as named groups; $$ is a '$'.
	var subErr error
	expr := reVarRef.ReplaceAllStringFunc(match, func(m string) string {
		if m == "$$" {
			return "$"
		}
		name := strings.Trim(m[1:], "{}")
		idx, ok := byName[name]
		if !ok {
			subErr = terr(line, "unknown Value %q in rule", name)
			return m
		}
		v := f.values[idx]
		return "(?P<" + v.name + ">" + v.regex[1:]
	})
	if subErr != nil {
		return r, subErr
	}
	re, err := regexp.Compile(`^(?:` + expr + `)`)
	if err != nil {
		return r, terr(line, "invalid regular expression %q: %v", expr, err)
	}
	r.re = re
	for gi, n := range re.SubexpNames() {
		if idx, ok := byName[n]; ok && n != "" {
			r.assign = append(r.assign, binding{group: gi, value: idx})
		}
	}
	if m := reAction.FindStringSubmatch(action); m != nil {
		r.lineOp = m[1]
		if m[2] != "" {
			r.recordOp = m[2]
		}
		r.newState = m[3]
	} else if m := reAction2.FindStringSubmatch(action); m != nil {
		r.recordOp, r.newState = m[1], m[2]
	} else if m := reAction3.FindStringSubmatch(action); m != nil {
		r.newState = m[1]
	} else {
		return r, terr(line, "badly formatted rule %q", l)
	}
	if r.lineOp == "Continue" && r.newState != "" {
		return r, terr(line, "action %q with a new state %q", r.lineOp, r.newState)
	}
	if r.lineOp != "Error" && r.newState != "" && !reStateName.MatchString(r.newState) {
		return r, terr(line, "alphanumeric characters only in state names")
	}
	return r, nil
}

// run is the state of one parse.
type run struct {
	f       *fsm
	cur     []any // each value's current value: nil, string, or []any being built for List
	lists   [][]any
	fill    []any // Filldown values
	results [][]any
}

// errTemplateError is raised by an Error action.
type actionError struct{ msg string }

func (e *actionError) Error() string { return e.msg }

// parse applies the template to text and returns the records, each value being a string, a
// []string or a []map[string]string.
func (f *fsm) parse(text string) ([][]any, error) {
	r := &run{f: f, cur: make([]any, len(f.values)), lists: make([][]any, len(f.values)), fill: make([]any, len(f.values))}
	state := "Start"
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	text = strings.TrimSuffix(text, "\n")
	if text != "" {
		for line := range strings.SplitSeq(text, "\n") {
			next, err := r.checkLine(state, line)
			if err != nil {
				return nil, err
			}
			state = next
			if state == "End" || state == "EOF" {
				break
			}
		}
	}
	if state != "End" && !f.hasEOF {
		r.appendRecord()
	}
	return r.results, nil
}

func (r *run) checkLine(state, line string) (string, error) {
	for _, ru := range r.f.states[state] {
		m := ru.re.FindStringSubmatchIndex(line)
		if m == nil {
			continue
		}
		for _, a := range ru.assign {
			s := ""
			if m[2*a.group] >= 0 {
				s = line[m[2*a.group]:m[2*a.group+1]]
			}
			r.assignVar(a.value, s)
		}
		switch ru.recordOp {
		case "Record":
			r.appendRecord()
		case "Clear":
			r.clearRecord(false)
		case "Clearall":
			r.clearRecord(true)
		}
		switch ru.lineOp {
		case "Error":
			if ru.newState != "" {
				return state, &actionError{fmt.Sprintf("Error: %s. Rule Line: %d. Input Line: %s.", ru.newState, ru.line, line)}
			}
			return state, &actionError{fmt.Sprintf("State Error raised. Rule Line: %d. Input Line: %s", ru.line, line)}
		case "Continue":
			continue
		}
		if ru.newState != "" {
			return ru.newState, nil
		}
		return state, nil
	}
	return state, nil
}

func (r *run) assignVar(i int, s string) {
	v := r.f.values[i]
	r.cur[i] = s
	if v.filldown {
		r.fill[i] = s
	}
	if v.list {
		var item any = s
		if v.nested != nil {
			if m := v.nested.FindStringSubmatch(s); m != nil {
				d := map[string]string{}
				for gi, n := range v.nested.SubexpNames() {
					if n != "" {
						d[n] = m[gi]
					}
				}
				item = d
			}
		}
		r.lists[i] = append(r.lists[i], item)
	}
	if v.fillup && s != "" {
		for k := len(r.results) - 1; k >= 0; k-- {
			if !empty(r.results[k][i]) {
				break
			}
			r.results[k][i] = s
		}
	}
}

func empty(x any) bool {
	switch v := x.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []string:
		return len(v) == 0
	case []map[string]string:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// appendRecord saves the current record, unless a Required value is empty (Python's
// truthiness: "" and [] are empty) or no value was set at all (an unset value is nil, a value
// that matched the empty string is "": the record is kept).
func (r *run) appendRecord() {
	rec := make([]any, len(r.f.values))
	unset := 0
	for i, v := range r.f.values {
		var x any
		if v.list {
			x = listValue(v, r.lists[i])
		} else {
			x = r.cur[i]
		}
		if v.required && empty(x) {
			r.clearRecord(false)
			return
		}
		if x == nil || v.list && empty(x) {
			unset++
		}
		if x == nil {
			x = ""
		}
		rec[i] = x
	}
	if unset == len(rec) {
		return
	}
	r.results = append(r.results, rec)
	r.clearRecord(false)
}

func listValue(v *value, items []any) any {
	if v.nested != nil {
		out := []map[string]string{}
		for _, it := range items {
			if m, ok := it.(map[string]string); ok {
				out = append(out, m)
			}
		}
		return out
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.(string))
	}
	return out
}

// clearRecord clears the values, keeping Filldown values unless all.
func (r *run) clearRecord(all bool) {
	for i, v := range r.f.values {
		r.cur[i] = nil
		if v.filldown {
			if all {
				r.fill[i] = nil
			}
			r.cur[i] = r.fill[i]
		}
		if v.list && (!v.filldown || all) {
			r.lists[i] = nil
		}
	}
}
