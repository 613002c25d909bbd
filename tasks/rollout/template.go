package rollout

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/gonorn/norn/inventory"
)

// Templates render configuration lines per host from Go text/template text: one template per
// platform, and a default for the others. A template sees TemplateData; "get KEY" looks a value
// up through the host's groups and defaults (inventory.Host.Get). A missing map key is an
// error, never "<no value>".
type Templates struct {
	def        *template.Template
	byPlatform map[string]*template.Template
}

// TemplateData is what a template is executed with.
type TemplateData struct {
	// Host is the host's name; Hostname its address; Platform its platform as the inventory
	// gives it.
	Host, Hostname, Platform string
	// Data is the host's own data (without inheritance; use "get" for that).
	Data map[string]any
}

// ParseTemplate parses text (named name in errors, e.g. its file name) as the template for
// every platform without one of its own.
func ParseTemplate(name, text string) (*Templates, error) {
	ts := &Templates{}
	if err := ts.Add("", name, text); err != nil {
		return nil, err
	}
	return ts, nil
}

// Add parses text as the template of platform ("" for the default).
func (ts *Templates) Add(platform, name, text string) error {
	tpl, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"get": func(string) (any, error) { return nil, nil },
	}).Parse(text)
	if err != nil {
		return fmt.Errorf("rollout: template %s: %w", name, err)
	}
	if platform == "" {
		ts.def = tpl
		return nil
	}
	if ts.byPlatform == nil {
		ts.byPlatform = map[string]*template.Template{}
	}
	ts.byPlatform[platform] = tpl
	return nil
}

// Render executes the host's template (its platform's, else the default) and returns the
// non-blank lines.
func (ts *Templates) Render(h *inventory.Host, platform string) ([]string, error) {
	tpl := ts.byPlatform[platform]
	if tpl == nil {
		tpl = ts.def
	}
	if tpl == nil {
		return nil, fmt.Errorf("rollout: host %s: no template for platform %q and no default template", h.Name, platform)
	}
	tpl, err := tpl.Clone()
	if err != nil {
		return nil, err
	}
	tpl.Funcs(template.FuncMap{"get": func(key string) (any, error) {
		v, ok := h.Get(key)
		if !ok {
			return nil, fmt.Errorf("host %s has no data %q (in itself, its groups or defaults)", h.Name, key)
		}
		return v, nil
	}})
	var b strings.Builder
	data := TemplateData{Host: h.Name, Hostname: h.Hostname(), Platform: h.Platform(), Data: h.Data}
	if err := tpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("rollout: host %s: %w", h.Name, err)
	}
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimRight(l, " \t\r"))
		}
	}
	return out, nil
}
