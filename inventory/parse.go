package inventory

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseFilter parses the text filter language, for command lines and configuration files:
//
//	site=ams1 and (role=core or platform in [eos, junos]) and not group=lab
//
// A comparison is a field, an operator and a value (or a list of values):
//
//	field = value          equal (== also works)          Field(field).Eq(value)
//	field != value         absent or not equal            Field(field).Ne(value)
//	field in [a, b]        equal to one of the values     Field(field).In(a, b)
//	field not in [a, b]    the opposite
//	field contains value   substring, list element, key   Field(field).Contains(value)
//	field any [a, b]       list holding any of the values Field(field).Any(a, b)
//	field all [a, b]       list holding all of the values Field(field).All(a, b)
//
// Comparisons combine with and, or, not and parentheses; and binds tighter than or. Keywords
// are case-insensitive. Fields are name, hostname, platform, port, username (the resolved
// attributes), group (membership, nested groups included: group=core, group in [a, b],
// group all [a, b], as InGroup), groups (the host's direct groups only, as Nornir's
// F(groups__contains=core): groups contains core, groups any [a, b]), or else a data path such
// as site or facts.vendor (see Field); a quoted field ("mgmt.vrf") is one data key. Values are bare words (anything but spaces and
// ( ) [ ] , = ! " ') or quoted strings: "double" with Go escapes, or 'single' taken as is.
// Values are text and compare loosely with typed data: port=22 matches the integer 22.
//
// On a syntax error ParseFilter returns a *ParseError pointing at the offending column.
func ParseFilter(s string) (Filter, error) {
	e, err := parseFilterExpr(s)
	if err != nil {
		return nil, err
	}
	return e.filter(), nil
}

// MustParseFilter is ParseFilter for filters known to be valid (literals in programs); it
// panics on error.
func MustParseFilter(s string) Filter {
	f, err := ParseFilter(s)
	if err != nil {
		panic(err)
	}
	return f
}

// ParseError is a syntax error of the filter language.
type ParseError struct {
	// Input is the filter text.
	Input string
	// Column is the 1-based position, in characters, of the offending token.
	Column int
	// Msg says what is wrong.
	Msg string
}

// Error returns "filter: column N: message" followed by the filter and a caret line pointing
// at the column:
//
//	filter: column 21: expected a value after "=", got the end of the filter
//	  site=ams1 and (role=
//	                      ^
func (e *ParseError) Error() string {
	line := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, e.Input)
	return fmt.Sprintf("filter: column %d: %s\n  %s\n  %s^", e.Column, e.Msg, line, strings.Repeat(" ", max(e.Column-1, 0)))
}

// Tokens.

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokString
	tokLParen
	tokRParen
	tokLBrack
	tokRBrack
	tokComma
	tokEq
	tokNe
)

type token struct {
	kind tokKind
	text string // the word, or the unquoted string
	pos  int    // byte offset
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the filter"
	case tokString:
		return "string " + strconv.Quote(t.text)
	case tokWord:
		return strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

func (t token) keyword(k string) bool { return t.kind == tokWord && strings.EqualFold(t.text, k) }

var keywords = []string{"and", "or", "not", "in", "contains", "any", "all"}

func isKeyword(s string) bool {
	for _, k := range keywords {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

func isWordByte(s string, i int) bool {
	switch c := s[i]; c {
	case ' ', '\t', '\n', '\r', '\v', '\f', '(', ')', '[', ']', ',', '=', '"', '\'':
		return false
	case '!':
		return !(i+1 < len(s) && s[i+1] == '=')
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !unicode.IsSpace(r)
}

type lexer struct {
	src  string
	pos  int
	toks []token
}

func lex(src string) ([]token, *ParseError) {
	l := &lexer{src: src}
	for {
		for l.pos < len(src) {
			r, n := utf8.DecodeRuneInString(src[l.pos:])
			if !unicode.IsSpace(r) {
				break
			}
			l.pos += n
		}
		if l.pos >= len(src) {
			l.toks = append(l.toks, token{kind: tokEOF, pos: l.pos})
			return l.toks, nil
		}
		start := l.pos
		c := src[l.pos]
		switch {
		case punct(c) != tokEOF:
			l.toks = append(l.toks, token{kind: punct(c), text: string(c), pos: start})
			l.pos++
		case c == '=':
			l.pos++
			if l.pos < len(src) && src[l.pos] == '=' {
				l.pos++
			}
			l.toks = append(l.toks, token{kind: tokEq, text: src[start:l.pos], pos: start})
		case c == '!' && l.pos+1 < len(src) && src[l.pos+1] == '=':
			l.pos += 2
			l.toks = append(l.toks, token{kind: tokNe, text: "!=", pos: start})
		case c == '"':
			end := l.pos + 1
			for end < len(src) && src[end] != '"' {
				if src[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(src) {
				return nil, perr(src, start, "unterminated string")
			}
			text, err := strconv.Unquote(src[start : end+1])
			if err != nil {
				return nil, perr(src, start, "invalid escape in string "+src[start:end+1])
			}
			l.toks = append(l.toks, token{kind: tokString, text: text, pos: start})
			l.pos = end + 1
		case c == '\'':
			end := strings.IndexByte(src[l.pos+1:], '\'')
			if end < 0 {
				return nil, perr(src, start, "unterminated string")
			}
			l.toks = append(l.toks, token{kind: tokString, text: src[l.pos+1 : l.pos+1+end], pos: start})
			l.pos += end + 2
		default:
			end := l.pos
			for end < len(src) && isWordByte(src, end) {
				_, n := utf8.DecodeRuneInString(src[end:])
				end += n
			}
			if end == l.pos {
				return nil, perr(src, start, fmt.Sprintf("unexpected character %q", src[l.pos]))
			}
			l.toks = append(l.toks, token{kind: tokWord, text: src[l.pos:end], pos: start})
			l.pos = end
		}
	}
}

func punct(c byte) tokKind {
	switch c {
	case '(':
		return tokLParen
	case ')':
		return tokRParen
	case '[':
		return tokLBrack
	case ']':
		return tokRBrack
	case ',':
		return tokComma
	}
	return tokEOF
}

func perr(src string, pos int, msg string) *ParseError {
	if pos > len(src) {
		pos = len(src)
	}
	return &ParseError{Input: src, Column: utf8.RuneCountInString(src[:pos]) + 1, Msg: msg}
}

// Syntax tree.

type exprKind int

const (
	exprAnd exprKind = iota
	exprOr
	exprNot
	exprCmp
)

type expr struct {
	kind   exprKind
	kids   []*expr
	field  []string // data path or attribute
	quoted bool     // field written quoted: one key
	op     string   // "=", "!=", "in", "not in", "contains", "any", "all"
	values []string
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

const maxDepth = 200

func parseFilterExpr(src string) (*expr, error) {
	toks, lerr := lex(src)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{src: src, toks: toks}
	if p.peek().kind == tokEOF {
		return nil, p.errAt(p.peek(), "empty filter")
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokRParen {
			return nil, p.errAt(t, "unbalanced \")\"")
		}
		return nil, p.errAt(t, "expected \"and\", \"or\" or the end of the filter, got "+t.describe())
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, msg string) *ParseError { return perr(p.src, t.pos, msg) }

func (p *parser) or() (*expr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	if !p.peek().keyword("or") {
		return left, nil
	}
	e := &expr{kind: exprOr, kids: []*expr{left}}
	for p.peek().keyword("or") {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		e.kids = append(e.kids, right)
	}
	return e, nil
}

func (p *parser) and() (*expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	if !p.peek().keyword("and") {
		return left, nil
	}
	e := &expr{kind: exprAnd, kids: []*expr{left}}
	for p.peek().keyword("and") {
		p.next()
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		e.kids = append(e.kids, right)
	}
	return e, nil
}

func (p *parser) unary() (*expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errAt(p.peek(), fmt.Sprintf("filter nested deeper than %d", maxDepth))
	}
	t := p.peek()
	switch {
	case t.keyword("not"):
		p.next()
		k, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &expr{kind: exprNot, kids: []*expr{k}}, nil
	case t.kind == tokLParen:
		p.next()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tokRParen {
			return nil, p.errAt(c, "expected \")\" to close the \"(\" at column "+strconv.Itoa(perr(p.src, t.pos, "").Column)+", got "+c.describe())
		}
		p.next()
		return e, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (*expr, error) {
	t := p.next()
	e := &expr{kind: exprCmp}
	switch {
	case t.kind == tokString:
		e.field, e.quoted = []string{t.text}, true
	case t.kind == tokWord && !isKeyword(t.text):
		e.field = strings.Split(t.text, ".")
		for _, k := range e.field {
			if k == "" {
				return nil, p.errAt(t, "empty key in field "+strconv.Quote(t.text))
			}
		}
	default:
		return nil, p.errAt(t, "expected a field name, got "+t.describe())
	}
	op := p.next()
	switch {
	case op.kind == tokEq:
		e.op = "="
	case op.kind == tokNe:
		e.op = "!="
	case op.keyword("in"):
		e.op = "in"
	case op.keyword("contains"):
		e.op = "contains"
	case op.keyword("any"):
		e.op = "any"
	case op.keyword("all"):
		e.op = "all"
	case op.keyword("not") && p.peek().keyword("in"):
		p.next()
		e.op = "not in"
	default:
		return nil, p.errAt(op, "expected an operator (=, !=, in, not in, contains, any, all) after "+strconv.Quote(t.text)+", got "+op.describe())
	}
	switch e.op {
	case "=", "!=", "contains":
		v := p.next()
		if v.kind != tokWord && v.kind != tokString {
			return nil, p.errAt(v, "expected a value after "+strconv.Quote(e.op)+", got "+v.describe())
		}
		e.values = []string{v.text}
	default:
		vs, err := p.list(e.op)
		if err != nil {
			return nil, err
		}
		e.values = vs
	}
	return e, nil
}

func (p *parser) list(op string) ([]string, error) {
	open := p.next()
	if open.kind != tokLBrack {
		return nil, p.errAt(open, "expected \"[\" after "+strconv.Quote(op)+", got "+open.describe())
	}
	out := []string{}
	for {
		t := p.next()
		switch t.kind {
		case tokRBrack:
			return out, nil
		case tokWord, tokString:
			out = append(out, t.text)
		default:
			return nil, p.errAt(t, "expected a value or \"]\", got "+t.describe())
		}
		switch sep := p.next(); sep.kind {
		case tokComma:
		case tokRBrack:
			return out, nil
		default:
			return nil, p.errAt(sep, "expected \",\" or \"]\", got "+sep.describe())
		}
	}
}

// filter compiles the tree.
func (e *expr) filter() Filter {
	switch e.kind {
	case exprAnd, exprOr:
		fs := make([]Filter, len(e.kids))
		for i, k := range e.kids {
			fs[i] = k.filter()
		}
		if e.kind == exprAnd {
			return And(fs...)
		}
		return Or(fs...)
	case exprNot:
		return Not(e.kids[0].filter())
	}
	vals := make([]any, len(e.values))
	for i, v := range e.values {
		vals[i] = v
	}
	if !e.quoted && len(e.field) == 1 && e.field[0] == "group" {
		switch e.op {
		case "=", "contains":
			return InGroup(e.values[0])
		case "!=":
			return Not(InGroup(e.values[0]))
		case "in", "any":
			return InGroup(e.values...)
		case "not in":
			return Not(InGroup(e.values...))
		case "all":
			fs := make([]Filter, len(e.values))
			for i, v := range e.values {
				fs[i] = InGroup(v)
			}
			return And(fs...)
		}
	}
	if !e.quoted && len(e.field) == 1 && e.field[0] == "groups" {
		// Direct groups: groups=core is groups contains core (a list never equals a name).
		g := Field("groups")
		switch e.op {
		case "=", "contains":
			return g.Contains(vals[0])
		case "!=":
			return Not(g.Contains(vals[0]))
		case "in", "any":
			return g.Any(vals...)
		case "not in":
			return Not(g.Any(vals...))
		case "all":
			return g.All(vals...)
		}
	}
	f := FieldPath(e.field...)
	switch e.op {
	case "=":
		return f.Eq(vals[0])
	case "!=":
		return f.Ne(vals[0])
	case "contains":
		return f.Contains(vals[0])
	case "in":
		return f.In(vals...)
	case "not in":
		return Not(f.In(vals...))
	case "any":
		return f.Any(vals...)
	case "all":
		return f.All(vals...)
	}
	panic("inventory: unknown filter operator " + e.op)
}

// String returns the canonical text of the tree: fully parenthesised, lower-case keywords,
// values quoted only when needed. Parsing it gives the same tree.
func (e *expr) String() string {
	switch e.kind {
	case exprAnd, exprOr:
		sep := " and "
		if e.kind == exprOr {
			sep = " or "
		}
		parts := make([]string, len(e.kids))
		for i, k := range e.kids {
			parts[i] = k.String()
		}
		return "(" + strings.Join(parts, sep) + ")"
	case exprNot:
		return "not " + e.kids[0].String()
	}
	var field string
	if e.quoted {
		field = strconv.Quote(e.field[0])
	} else {
		field = strings.Join(e.field, ".")
	}
	switch e.op {
	case "=", "!=", "contains":
		return field + " " + e.op + " " + quoteValue(e.values[0])
	}
	vs := make([]string, len(e.values))
	for i, v := range e.values {
		vs[i] = quoteValue(v)
	}
	return field + " " + e.op + " [" + strings.Join(vs, ", ") + "]"
}

func quoteValue(v string) string {
	if v == "" || isKeyword(v) || !utf8.ValidString(v) {
		return strconv.Quote(v)
	}
	for i := 0; i < len(v); {
		if !isWordByte(v, i) {
			return strconv.Quote(v)
		}
		_, n := utf8.DecodeRuneInString(v[i:])
		i += n
	}
	return v
}
