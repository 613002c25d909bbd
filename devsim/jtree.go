package devsim

import (
	"fmt"
	"strings"
)

// jnode is one statement of a Junos configuration: a container ("system", "unit 0",
// "ge-0/0/0") with children, or a leaf ("host-name vsrx1;", "telnet;").
type jnode struct {
	name     string // the statement's keyword(s): "system", "unit 0", "host-name"
	value    string // a leaf's value as written (quoted when it has to be), "" for a flag
	leaf     bool
	comment  string // a trailing comment ("## SECRET-DATA")
	children []*jnode
}

func (n *jnode) clone() *jnode {
	c := *n
	if n.children != nil {
		c.children = make([]*jnode, len(n.children))
		for i, ch := range n.children {
			c.children[i] = ch.clone()
		}
	}
	return &c
}

// c returns the child container with that name, adding it.
func (n *jnode) c(name string) *jnode {
	for _, ch := range n.children {
		if !ch.leaf && ch.name == name {
			return ch
		}
	}
	ch := &jnode{name: name}
	n.children = append(n.children, ch)
	return ch
}

// set adds or replaces a leaf; value is quoted when needed.
func (n *jnode) set(name, value string) *jnode {
	return n.setC(name, value, "")
}

// setC is set with a trailing comment.
func (n *jnode) setC(name, value, comment string) *jnode {
	v := quoteIfNeeded(value)
	for _, ch := range n.children {
		if ch.leaf && ch.name == name && !multiValued[name] {
			ch.value, ch.comment = v, comment
			return ch
		}
	}
	ch := &jnode{name: name, value: v, leaf: true, comment: comment}
	n.children = append(n.children, ch)
	return ch
}

// raw adds or replaces a leaf whose value is several words written as they are
// ("0.0.0.0/0 next-hop 10.0.0.1", "[ tacplus password ]").
func (n *jnode) raw(name, value, comment string) {
	for _, ch := range n.children {
		if ch.leaf && ch.name == name && (!multiValued[name] || ch.value == value) {
			ch.value, ch.comment = value, comment
			return
		}
	}
	n.children = append(n.children, &jnode{name: name, value: value, leaf: true, comment: comment})
}

// flag adds a leaf without value ("telnet;").
func (n *jnode) flag(name string) {
	for _, ch := range n.children {
		if ch.leaf && ch.name == name && ch.value == "" {
			return
		}
	}
	n.children = append(n.children, &jnode{name: name, leaf: true})
}

// find returns the node at path (names of containers, then a leaf or container name).
func (n *jnode) find(path ...string) *jnode {
	cur := n
	for _, p := range path {
		var next *jnode
		for _, ch := range cur.children {
			if ch.name == p {
				next = ch
				break
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

func quoteIfNeeded(v string) string {
	if v == "" || strings.HasPrefix(v, "\"") {
		return v
	}
	if strings.ContainsAny(v, " \t;{}#\"'$*!&|()[]<>") {
		return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
	}
	return v
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
	}
	return v
}

// multiValued are leaves that may appear several times with different values.
var multiValued = map[string]bool{
	"address": true, "server": true, "name-server": true, "members": true, "interface": true,
	"neighbor": true, "route": true, "community": true, "host": true, "source-address": true,
	"destination-address": true, "prefix-list": true, "apply-groups": true, "trusted-key": true,
	"authentication-order": true, "protocol": true, "destination-port": true,
}

// containerKeywords are statements whose first word names a kind and the second an instance
// ("unit 0", "group EXT"): "set ... unit 0 family inet ..." makes containers "unit 0" and
// "family inet".
var containerKeywords = map[string]bool{
	"unit": true, "family": true, "user": true, "file": true, "group": true, "neighbor": true,
	"policy-statement": true, "term": true, "security-zone": true, "filter": true, "prefix-list": true,
	"community": true, "area": true, "routing-instance": true, "instance": true, "policy": true,
	"host": true, "class": true, "vlan": true, "zone": true, "ids-option": true, "profile": true,
	"interface": true, "rib": true, "application": true, "key": true,
}

// render writes the curly-brace configuration of n's children at indentation level lvl.
func (n *jnode) render(lvl int) string {
	var b strings.Builder
	n.renderTo(&b, lvl)
	return b.String()
}

func (n *jnode) renderTo(b *strings.Builder, lvl int) {
	for _, ch := range n.children {
		ind := strings.Repeat("    ", lvl)
		b.WriteString(ind)
		b.WriteString(ch.name)
		if ch.leaf {
			if ch.value != "" {
				b.WriteByte(' ')
				b.WriteString(ch.value)
			}
			b.WriteByte(';')
			if ch.comment != "" {
				b.WriteByte(' ')
				b.WriteString(ch.comment)
			}
			b.WriteByte('\n')
			continue
		}
		if len(ch.children) == 0 {
			b.WriteString(";\n")
			continue
		}
		b.WriteString(" {\n")
		ch.renderTo(b, lvl+1)
		b.WriteString(ind)
		b.WriteString("}\n")
	}
}

// renderSet writes the configuration as set commands.
func (n *jnode) renderSet(prefix string, b *strings.Builder) {
	for _, ch := range n.children {
		p := prefix + " " + ch.name
		if ch.leaf {
			if ch.value != "" {
				p += " " + ch.value
			}
			b.WriteString("set" + p + "\n")
			continue
		}
		if len(ch.children) == 0 {
			b.WriteString("set" + p + "\n")
			continue
		}
		ch.renderSet(p, b)
	}
}

// isIdentifier reports whether a statement name is an instance name (ge-0/0/0, 10.0.0.1,
// lo0) rather than a keyword.
func isIdentifier(parent, name string) bool {
	return parent == "interfaces" || strings.ContainsAny(name, "0123456789/.:*")
}

// renderXML writes the children of n as Junos XML.
func (n *jnode) renderXML(b *strings.Builder, parent string, lvl int) {
	ind := strings.Repeat("    ", lvl)
	for _, ch := range n.children {
		f := strings.Fields(ch.name)
		elem, name := xmlName(f[0]), ""
		switch {
		case len(f) >= 2:
			name = strings.Join(f[1:], " ")
		case isIdentifier(parent, ch.name):
			elem, name = xmlName(parent), ch.name
			if parent == "interfaces" {
				elem = "interface"
			}
		}
		if ch.leaf {
			v := unquote(ch.value)
			if strings.HasPrefix(v, "[ ") && strings.HasSuffix(v, " ]") {
				// a list value: one element per item
				for _, item := range strings.Fields(v[2 : len(v)-2]) {
					fmt.Fprintf(b, "%s<%s>%s</%s>\n", ind, elem, escapeXML(item), elem)
				}
				continue
			}
			switch {
			case name != "":
				fmt.Fprintf(b, "%s<%s><name>%s</name></%s>\n", ind, elem, escapeXML(name), elem)
			case v == "":
				fmt.Fprintf(b, "%s<%s/>\n", ind, elem)
			case multiValued[elem]:
				fmt.Fprintf(b, "%s<%s><name>%s</name></%s>\n", ind, elem, escapeXML(v), elem)
			default:
				fmt.Fprintf(b, "%s<%s>%s</%s>\n", ind, elem, escapeXML(v), elem)
			}
			continue
		}
		if elem == "family" && name != "" {
			// family inet { ... } is <family><inet>...</inet></family>
			fmt.Fprintf(b, "%s<family>\n%s    <%s>\n", ind, ind, name)
			ch.renderXML(b, name, lvl+2)
			fmt.Fprintf(b, "%s    </%s>\n%s</family>\n", ind, name, ind)
			continue
		}
		if name == "" && elem != "interfaces" && ch.allIdentifiers() {
			// tacplus-server { 10.0.0.1 { ... } } is a list: <tacplus-server><name>10.0.0.1</name>...
			ch.renderXML(b, elem, lvl)
			continue
		}
		fmt.Fprintf(b, "%s<%s>\n", ind, elem)
		if name != "" {
			fmt.Fprintf(b, "%s    <name>%s</name>\n", ind, escapeXML(name))
		}
		ch.renderXML(b, elem, lvl+1)
		fmt.Fprintf(b, "%s</%s>\n", ind, elem)
	}
}

// xmlName makes a statement keyword a valid XML element name.
func xmlName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.')
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// allIdentifiers reports whether every child of a container is a container named by an
// instance name (a list of entries).
func (n *jnode) allIdentifiers() bool {
	if len(n.children) == 0 {
		return false
	}
	for _, ch := range n.children {
		if ch.leaf || strings.Contains(ch.name, " ") || !isIdentifier("", ch.name) {
			return false
		}
	}
	return true
}

// jtokens splits a Junos command line into words, keeping quoted strings whole (with quotes).
func jtokens(line string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		start := i
		if line[i] == '"' {
			i++
			for i < len(line) && line[i] != '"' {
				if line[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(line) {
				return nil, fmt.Errorf("unterminated quote")
			}
			i++
		} else {
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				i++
			}
		}
		toks = append(toks, token{text: line[start:i], start: start})
	}
	return toks, nil
}

// setPath applies "set <words>" below n.
func (n *jnode) setPath(words []string) {
	if len(words) == 0 {
		return
	}
	// an existing container named by the first two words, then by the first word
	for _, k := range []int{3, 2, 1} {
		if len(words) < k || (k == 1 && len(words) == 1) {
			continue
		}
		name := strings.Join(words[:k], " ")
		for _, ch := range n.children {
			if !ch.leaf && ch.name == name {
				ch.setPath(words[k:])
				return
			}
		}
	}
	w := words[0]
	switch {
	case len(words) == 1:
		for _, ch := range n.children {
			if ch.name == w {
				return
			}
		}
		n.children = append(n.children, &jnode{name: w, leaf: true})
	case w == "from-zone" && len(words) >= 4 && words[2] == "to-zone":
		n.c(strings.Join(words[:4], " ")).setPath(words[4:])
	case containerKeywords[w] && (len(words) > 2 || !multiValued[w]):
		n.c(strings.Join(words[:2], " ")).setPath(words[2:])
	case multiValued[w]:
		v := strings.Join(words[1:], " ")
		for _, ch := range n.children {
			if ch.leaf && ch.name == w && ch.value != "" && (ch.value == v || strings.Fields(ch.value)[0] == words[1]) {
				ch.value = v
				return
			}
		}
		n.children = append(n.children, &jnode{name: w, value: v, leaf: true})
	case len(words) == 2:
		for _, ch := range n.children {
			if ch.leaf && ch.name == w {
				ch.value = words[1]
				return
			}
		}
		n.children = append(n.children, &jnode{name: w, value: words[1], leaf: true})
	default:
		n.c(w).setPath(words[1:])
	}
}

// deletePath removes the statement "delete <words>" names; it reports whether one was found.
func (n *jnode) deletePath(words []string) bool {
	if len(words) == 0 {
		return false
	}
	for _, k := range []int{4, 3, 2, 1} {
		if len(words) < k {
			continue
		}
		name := strings.Join(words[:k], " ")
		for i, ch := range n.children {
			if ch.name != name {
				continue
			}
			if k == len(words) {
				n.children = append(n.children[:i], n.children[i+1:]...)
				return true
			}
			if !ch.leaf {
				return ch.deletePath(words[k:])
			}
			// a leaf with its value
			if ch.value == strings.Join(words[k:], " ") || unquote(ch.value) == unquote(strings.Join(words[k:], " ")) {
				n.children = append(n.children[:i], n.children[i+1:]...)
				return true
			}
		}
	}
	return false
}

// walk returns the container at path, creating it when create is set.
func (n *jnode) walk(path []string, create bool) *jnode {
	cur := n
	for i := 0; i < len(path); {
		found := false
		for _, k := range []int{2, 1} {
			if i+k > len(path) {
				continue
			}
			name := strings.Join(path[i:i+k], " ")
			for _, ch := range cur.children {
				if !ch.leaf && ch.name == name {
					cur, i, found = ch, i+k, true
					break
				}
			}
			if found {
				break
			}
		}
		if found {
			continue
		}
		if !create {
			return nil
		}
		k := 1
		if containerKeywords[path[i]] && i+1 < len(path) {
			k = 2
		}
		cur = cur.c(strings.Join(path[i:i+k], " "))
		i += k
	}
	return cur
}
