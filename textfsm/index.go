package textfsm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// IndexFile is the name of the index file in a templates directory.
const IndexFile = "index"

// ErrNoTemplate is wrapped by the error of a platform and command no index entry matches.
var ErrNoTemplate = errors.New("textfsm: no template")

// ErrIndex is wrapped by the errors of index files that cannot be read.
var ErrIndex = errors.New("textfsm: bad index")

// DefaultDir returns the templates directory named by the environment: NET_TEXTFSM (Netmiko's
// variable), else NTC_TEMPLATES_DIR (ntc-templates'), else "".
func DefaultDir() string {
	if d := os.Getenv("NET_TEXTFSM"); d != "" {
		return d
	}
	return os.Getenv("NTC_TEMPLATES_DIR")
}

// Index picks a template by platform and command from an ntc-templates style index file, and
// compiles each template once, on first use. It is safe for concurrent use.
type Index struct {
	dir     string
	path    string
	entries []entry

	mu    sync.Mutex
	cache map[string]*cached
}

type cached struct {
	once sync.Once
	t    *Template
	err  error
}

// entry is one line of the index.
type entry struct {
	line      int
	templates []string
	hostname  *regexp.Regexp // nil: any
	platform  *regexp.Regexp // nil: any
	command   *regexp.Regexp
	cmdText   string
}

// LoadIndex reads dir/index. Errors name the file, line and column.
func LoadIndex(dir string) (*Index, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: no templates directory (set NET_TEXTFSM or NTC_TEMPLATES_DIR, or give one)", ErrIndex)
	}
	path := filepath.Join(dir, IndexFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIndex, err)
	}
	defer f.Close()
	return ParseIndex(dir, path, f)
}

// ParseIndex reads an index from r; name names it in errors and template file names are
// relative to dir.
//
// The format is ntc-templates' (TextFSM's clitable): lines starting with '#' and blank lines
// are ignored; the first other line is the header naming the columns, separated by commas:
// Template (required), Hostname, Platform and Command (any order, other columns ignored). Each
// following line has one value per column. Hostname and Platform are regular expressions
// matched against the whole name; Command is a regular expression matched at the start of the
// command, in which "[[xyz]]" stands for an optional completion ("sh[[ow]]" matches "sh",
// "sho" and "show"). The first matching line wins, as in clitable. Template may name several
// files separated by ':'; that form (clitable's joined tables) is not supported and fails the
// lookups of that line only.
func ParseIndex(dir, name string, r io.Reader) (*Index, error) {
	ix := &Index{dir: dir, path: name, cache: map[string]*cached{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	cols := map[string]int{}
	ncols := 0
	lineNo := 0
	for sc.Scan() {
		lineNo++
		raw := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(raw); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fields, offsets := splitFields(raw)
		if ncols == 0 {
			for i, f := range fields {
				k := strings.ToLower(f)
				if _, dup := cols[k]; dup {
					return nil, fmt.Errorf("%w: %s:%d:%d: column %q twice", ErrIndex, name, lineNo, offsets[i], f)
				}
				cols[k] = i
			}
			if _, ok := cols["template"]; !ok {
				return nil, fmt.Errorf("%w: %s:%d:1: header has no Template column (want e.g. \"Template, Hostname, Platform, Command\")", ErrIndex, name, lineNo)
			}
			if _, ok := cols["command"]; !ok {
				return nil, fmt.Errorf("%w: %s:%d:1: header has no Command column", ErrIndex, name, lineNo)
			}
			ncols = len(fields)
			continue
		}
		if len(fields) != ncols {
			col := len(raw) + 1
			if len(fields) > ncols {
				col = offsets[ncols]
			}
			return nil, fmt.Errorf("%w: %s:%d:%d: %d columns, the header has %d", ErrIndex, name, lineNo, col, len(fields), ncols)
		}
		e := entry{line: lineNo}
		tpl := fields[cols["template"]]
		if tpl == "" {
			return nil, fmt.Errorf("%w: %s:%d:%d: empty template", ErrIndex, name, lineNo, offsets[cols["template"]])
		}
		e.templates = strings.Split(tpl, ":")
		for _, c := range []struct {
			key string
			dst **regexp.Regexp
		}{{"hostname", &e.hostname}, {"platform", &e.platform}} {
			i, ok := cols[c.key]
			if !ok || fields[i] == "" || fields[i] == ".*" {
				continue
			}
			re, err := regexp.Compile(`^(?:` + fields[i] + `)$`)
			if err != nil {
				return nil, fmt.Errorf("%w: %s:%d:%d: %s: %v", ErrIndex, name, lineNo, offsets[i], c.key, err)
			}
			*c.dst = re
		}
		i := cols["command"]
		e.cmdText = fields[i]
		if e.cmdText == "" {
			return nil, fmt.Errorf("%w: %s:%d:%d: empty command", ErrIndex, name, lineNo, offsets[i])
		}
		re, err := regexp.Compile(`^(?:` + expandCompletions(e.cmdText) + `)`)
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d:%d: command: %v", ErrIndex, name, lineNo, offsets[i], err)
		}
		e.command = re
		ix.entries = append(ix.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s:%d: %v", ErrIndex, name, lineNo+1, err)
	}
	if ncols == 0 {
		return nil, fmt.Errorf("%w: %s: no header line", ErrIndex, name)
	}
	return ix, nil
}

// splitFields splits an index line on commas, trimming spaces, and returns each field's
// 1-based column.
func splitFields(line string) ([]string, []int) {
	var fields []string
	var offsets []int
	start := 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) && line[i] != ',' {
			continue
		}
		f := line[start:i]
		lead := len(f) - len(strings.TrimLeft(f, " \t"))
		fields = append(fields, strings.TrimSpace(f))
		offsets = append(offsets, start+lead+1)
		start = i + 1
	}
	return fields, offsets
}

var reCompletion = regexp.MustCompile(`\[\[(.+?)\]\]`)

// expandCompletions turns "sh[[ow]]" into "sh(?:o(?:w)?)?".
func expandCompletions(cmd string) string {
	return reCompletion.ReplaceAllStringFunc(cmd, func(m string) string {
		word := []rune(m[2 : len(m)-2])
		var b strings.Builder
		for _, r := range word {
			b.WriteString("(?:")
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
		b.WriteString(strings.Repeat(")?", len(word)))
		return b.String()
	})
}

// Dir returns the templates directory.
func (ix *Index) Dir() string { return ix.dir }

// Len returns the number of index entries.
func (ix *Index) Len() int { return len(ix.entries) }

// Lookup returns the template for platform (norn's or Netmiko's name) and command, compiling
// it on first use. No entry: an error wrapping ErrNoTemplate.
func (ix *Index) Lookup(platform, command string) (*Template, error) {
	return ix.LookupHost("", platform, command)
}

// LookupHost is Lookup for entries that also name hosts (the index's Hostname column).
func (ix *Index) LookupHost(hostname, platform, command string) (*Template, error) {
	command = strings.Join(strings.Fields(command), " ")
	names := IndexPlatforms(platform)
	for _, e := range ix.entries {
		if e.hostname != nil && !e.hostname.MatchString(hostname) {
			continue
		}
		if e.platform != nil && !matchesAny(e.platform, names) {
			continue
		}
		if !e.command.MatchString(command) {
			continue
		}
		if len(e.templates) > 1 {
			return nil, fmt.Errorf("%w: %s:%d: several templates for %q (%s): joined templates are not supported",
				ErrIndex, ix.path, e.line, command, strings.Join(e.templates, ":"))
		}
		return ix.template(e.templates[0])
	}
	return nil, fmt.Errorf("%w for platform %s command %q in %s", ErrNoTemplate, platform, command, ix.path)
}

func matchesAny(re *regexp.Regexp, names []string) bool {
	for _, n := range names {
		if re.MatchString(n) {
			return true
		}
	}
	return false
}

// template compiles (once) the template file name in the index's directory.
func (ix *Index) template(name string) (*Template, error) {
	ix.mu.Lock()
	c, ok := ix.cache[name]
	if !ok {
		c = &cached{}
		ix.cache[name] = c
	}
	ix.mu.Unlock()
	c.once.Do(func() {
		path := filepath.Join(ix.dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			c.err = fmt.Errorf("%w: %v", ErrTemplate, err)
			return
		}
		c.t, c.err = ParseTemplate(path, string(b))
	})
	return c.t, c.err
}

// Parse parses the output of command on platform with the template the index picks.
func (ix *Index) Parse(platform, command, output string) ([]map[string]any, error) {
	t, err := ix.Lookup(platform, command)
	if err != nil {
		return nil, err
	}
	return t.Parse(output)
}

var (
	defaultOnce  sync.Once
	defaultIndex *Index
	defaultErr   error
)

// Default returns the index of DefaultDir, loaded once.
func Default() (*Index, error) {
	defaultOnce.Do(func() { defaultIndex, defaultErr = LoadIndex(DefaultDir()) })
	return defaultIndex, defaultErr
}

// Parse parses the output of command on platform with the index of DefaultDir (NET_TEXTFSM or
// NTC_TEMPLATES_DIR).
func Parse(platform, command, output string) ([]map[string]any, error) {
	ix, err := Default()
	if err != nil {
		return nil, err
	}
	return ix.Parse(platform, command, output)
}
