package config

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// WriteTo writes the effective configuration as norn.yaml, every setting with a comment saying
// where its value came from (default, file:line:col, $VARIABLE or -flag). Secrets are masked
// and written as comments, since the file does not take them.
func (c *Config) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriter(w)}
	if c.File != "" {
		fmt.Fprintf(cw, "# effective configuration: %s, the environment and flags over the defaults\n", c.File)
	} else {
		fmt.Fprintf(cw, "# effective configuration: no file; the environment and flags over the defaults\n")
	}
	var open []string // sections printed so far
	for _, k := range keys {
		parts := strings.Split(k.Name, ".")
		sec, leaf := parts[:len(parts)-1], parts[len(parts)-1]
		common := 0
		for common < len(open) && common < len(sec) && open[common] == sec[common] {
			common++
		}
		for i := common; i < len(sec); i++ {
			fmt.Fprintf(cw, "%s%s:\n", strings.Repeat("  ", i), sec[i])
		}
		open = sec
		indent := strings.Repeat("  ", len(sec))
		o := c.Origin(k.Name)
		if k.Secret {
			state := "not set"
			if formatValue(k.field(c)) != "" {
				state = masked + " (" + o.String() + ")"
			}
			fmt.Fprintf(cw, "%s# %s: %s; from %s only\n", indent, leaf, state, envList(k))
			continue
		}
		line := fmt.Sprintf("%s%s: %s", indent, leaf, c.yamlValue(k))
		fmt.Fprintf(cw, "%-60s # %s\n", line, o)
	}
	err := cw.w.(*bufio.Writer).Flush()
	if cw.err != nil {
		err = cw.err
	}
	return cw.n, err
}

func envList(k Key) string {
	var l []string
	for _, e := range k.Env {
		l = append(l, "$"+e)
	}
	if !strings.HasSuffix(k.Name, "_file") {
		l = append(l, lastName(k.Name)+"_file")
	}
	return strings.Join(l, ", ")
}

func lastName(key string) string { return key[strings.LastIndex(key, ".")+1:] }

// yamlValue formats a setting's value as YAML (masked where it holds a secret).
func (c *Config) yamlValue(k Key) string {
	switch p := k.field(c).(type) {
	case *string:
		v, _ := c.Value(k.Name)
		return yamlScalar(v)
	case *time.Duration:
		return shortDuration(*p)
	case *[]string:
		l := make([]string, len(*p))
		for i, s := range *p {
			l[i] = yamlScalar(s)
		}
		return "[" + strings.Join(l, ", ") + "]"
	case *map[string]string:
		l := make([]string, 0, len(*p))
		for _, key := range sortedKeys(*p) {
			l = append(l, yamlScalar(key)+": "+yamlScalar((*p)[key]))
		}
		return "{" + strings.Join(l, ", ") + "}"
	case *url.Values:
		l := make([]string, 0, len(*p))
		for _, key := range sortedKeys(*p) {
			vs := make([]string, len((*p)[key]))
			for i, v := range (*p)[key] {
				vs[i] = yamlScalar(v)
			}
			val := "[" + strings.Join(vs, ", ") + "]"
			if len(vs) == 1 {
				val = vs[0]
			}
			l = append(l, yamlScalar(key)+": "+val)
		}
		return "{" + strings.Join(l, ", ") + "}"
	}
	return formatValue(k.field(c))
}

// yamlScalar quotes s when YAML would read it as something else than this string.
func yamlScalar(s string) string {
	if s == "" {
		return `""`
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err == nil && len(n.Content) == 1 {
		if v := n.Content[0]; v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Value == s && v.Style == 0 && !strings.ContainsAny(s, "#,[]{}") {
			return s
		}
	}
	return fmt.Sprintf("%q", s)
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

// Write writes p, counting the bytes and keeping the first error.
func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
