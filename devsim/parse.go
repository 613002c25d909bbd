package devsim

import "strings"

// A cmdTree is a platform's command vocabulary for one mode, built from patterns such as
// "show running-config [LINE]". It parses a typed line the way network CLIs do: keywords may be
// abbreviated to any unambiguous prefix, and a line that does not parse is reported with the
// position of the first character no command can continue with, which is where Cisco's "^"
// marker points.
type cmdTree struct {
	root *cmdNode
}

type argKind uint8

const (
	argNone argKind = iota
	argWord         // exactly one word
	argLine         // one or more words, the rest of the line
)

type cmdNode struct {
	word     string // keyword, lower case ("" for arguments)
	arg      argKind
	action   string // non-empty when a command may end here
	children []*cmdNode
}

// cmdSpec is one command pattern and what it does. Pattern words: a keyword; WORD (any one
// word); LINE (the rest of the line, at least one word); [LINE] (the rest of the line, maybe
// nothing). Action "" means the pattern's own text.
type cmdSpec struct {
	pattern string
	action  string
}

func newCmdTree(specs ...cmdSpec) *cmdTree {
	t := &cmdTree{root: &cmdNode{}}
	for _, sp := range specs {
		t.add(sp)
	}
	return t
}

// add inserts one pattern.
func (t *cmdTree) add(sp cmdSpec) {
	action := sp.action
	if action == "" {
		action = sp.pattern
	}
	n := t.root
	words := strings.Fields(sp.pattern)
	for i, w := range words {
		switch w {
		case "[LINE]":
			n.action = action
			n = n.child("", argLine)
		case "LINE":
			n = n.child("", argLine)
		case "WORD":
			n = n.child("", argWord)
		default:
			n = n.child(strings.ToLower(w), argNone)
		}
		if i == len(words)-1 {
			n.action = action
		}
	}
}

func (n *cmdNode) child(word string, arg argKind) *cmdNode {
	for _, c := range n.children {
		if c.word == word && c.arg == arg {
			return c
		}
	}
	c := &cmdNode{word: word, arg: arg}
	n.children = append(n.children, c)
	return c
}

// token is one word of a typed line and where it starts.
type token struct {
	text  string
	start int
}

// tokenize splits a line on spaces and tabs, remembering positions.
func tokenize(line string) []token {
	var toks []token
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		toks = append(toks, token{text: line[i:j], start: i})
		i = j
	}
	return toks
}

// parseErr says why a line did not parse.
type parseErr uint8

const (
	parseOK         parseErr = iota
	parseUnknown             // the first word matches no command
	parseInvalid             // a later word does not fit
	parseIncomplete          // the line ends before a command is complete
	parseAmbiguous           // a word is a prefix of several keywords
)

// parsed is the result of parsing one line.
type parsed struct {
	err      parseErr
	action   string
	keywords []string // the full keywords matched, in order
	args     []string // the argument words (a LINE argument is one element, the rest of the line)
	caret    int      // for parseUnknown/parseInvalid: index in the line of the offending character
	word     int      // index of the offending token
	wordPos  int      // for errors: start of the offending token
}

// parse parses line against the tree.
func (t *cmdTree) parse(line string) parsed {
	toks := tokenize(line)
	n := t.root
	var p parsed
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		lw := strings.ToLower(tok.text)
		var exact, prefix []*cmdNode
		var wordArg, lineArg *cmdNode
		for _, c := range n.children {
			switch c.arg {
			case argWord:
				wordArg = c
			case argLine:
				lineArg = c
			default:
				if c.word == lw {
					exact = append(exact, c)
				} else if strings.HasPrefix(c.word, lw) {
					prefix = append(prefix, c)
				}
			}
		}
		switch {
		case len(exact) == 1:
			n = exact[0]
			p.keywords = append(p.keywords, n.word)
		case len(prefix) == 1:
			n = prefix[0]
			p.keywords = append(p.keywords, n.word)
		case len(prefix) > 1 && wordArg == nil && lineArg == nil:
			p.err = parseAmbiguous
			p.word, p.wordPos, p.caret = i, tok.start, tok.start
			return p
		case wordArg != nil:
			n = wordArg
			p.args = append(p.args, tok.text)
		case lineArg != nil:
			n = lineArg
			p.args = append(p.args, strings.TrimRight(line[tok.start:], " \t"))
			i = len(toks)
		default:
			// nothing continues: the caret goes to the first character no keyword has
			best := 0
			for _, c := range n.children {
				if c.arg == argNone {
					best = max(best, commonPrefix(c.word, lw))
				}
			}
			p.err = parseInvalid
			if i == 0 {
				p.err = parseUnknown
			}
			p.word, p.wordPos, p.caret = i, tok.start, tok.start+best
			return p
		}
	}
	if n.action == "" {
		p.err = parseIncomplete
		p.word, p.wordPos, p.caret = len(toks), len(line), len(line)
		return p
	}
	p.action = n.action
	return p
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// splitPipe splits "show run | include x | exclude y" into the command and its pipe filters.
func splitPipe(line string) (string, []string) {
	parts := strings.Split(line, "|")
	if len(parts) == 1 {
		return line, nil
	}
	cmd := strings.TrimRight(parts[0], " \t")
	var pipes []string
	for _, p := range parts[1:] {
		pipes = append(pipes, strings.TrimSpace(p))
	}
	return cmd, pipes
}
