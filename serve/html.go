package serve

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed templates
var templateFS embed.FS

// pages are the HTML templates, one set per page (each with the shared layout).
var pages = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"ts":    formatTime,
		"short": shortHash,
		"path":  url.PathEscape,
		"secs":  func(s float64) string { return roundSeconds(s) },
		// ago is replaced per request (it needs the server's clock).
		"ago": func(time.Time) string { return "" },
	}
	out := map[string]*template.Template{}
	for _, name := range []string{"index", "host", "diff", "config"} {
		out[name] = template.Must(template.New(name+".html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}()

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func roundSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// ago says how long before now t was, roughly: "3m ago", "2h ago", "5d ago".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// page is what every page gets.
type page struct {
	Title, PageTitle string
	Now              time.Time
	Running          *RunInfo
	LastRun          *RunInfo
}

func (s *Server) newPage(title string) page {
	p := page{Title: s.cfg.Title, PageTitle: title, Now: s.cfg.now()}
	runs := s.Runs()
	for i := range runs {
		r := runs[i]
		if r.State == StateRunning {
			p.Running = &r
		} else if p.LastRun == nil {
			p.LastRun = &r
		}
	}
	return p
}

// render executes a page into a buffer first, so a template error is a clean 500.
func (s *Server) render(w http.ResponseWriter, status int, name string, now time.Time, data any) {
	t, err := pages[name].Clone()
	if err == nil {
		t.Funcs(template.FuncMap{"ago": func(at time.Time) string { return ago(now, at) }})
		var buf bytes.Buffer
		if err = t.Execute(&buf, data); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			_, _ = buf.WriteTo(w)
			return
		}
	}
	s.cfg.Logger.Error().Err(err).Str("page", name).Msg("rendering")
	http.Error(w, "rendering the page failed: "+err.Error(), http.StatusInternalServerError)
}

func (s *Server) pageCSS(w http.ResponseWriter, r *http.Request) {
	b, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(b)
}

// stateOrder puts the hosts that need attention first.
var stateOrder = map[string]int{"failing": 0, "never": 1, "stale": 2, "ok": 3}

type stateCount struct {
	Name string
	N    int
}

// pageSize is how many hosts the host list shows per page.
const pageSize = 500

func (s *Server) pageIndex(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := struct {
		page
		Hosts            []hostView
		Total, Matched   int
		First, Last      int
		States           []stateCount
		Filter, Search   string
		PrevURL, NextURL string
		Runs             []RunInfo
		Error            string
	}{page: s.newPage("hosts"), Filter: q.Get("state"), Search: strings.TrimSpace(q.Get("q"))}
	pageNo, err := strconv.Atoi(q.Get("page"))
	if err != nil || pageNo < 1 {
		pageNo = 1
	}
	status := http.StatusOK
	sts, err := s.cfg.Status(r.Context())
	if err != nil {
		status, data.Error = s.errorStatus(err)
	}
	counts := map[string]int{}
	var matched []hostView
	for _, st := range sts {
		v := s.view(st, data.Now)
		counts[v.State]++
		if (data.Filter == "" || v.State == data.Filter) && (data.Search == "" || strings.Contains(v.Host, data.Search)) {
			matched = append(matched, v)
		}
	}
	data.Total, data.Matched = len(sts), len(matched)
	for _, name := range []string{"failing", "never", "stale", "ok"} {
		if counts[name] > 0 {
			data.States = append(data.States, stateCount{name, counts[name]})
		}
	}
	slices.SortStableFunc(matched, func(a, b hostView) int {
		return cmp.Or(cmp.Compare(stateOrder[a.State], stateOrder[b.State]), strings.Compare(a.Host, b.Host))
	})
	from := min((pageNo-1)*pageSize, len(matched))
	to := min(from+pageSize, len(matched))
	data.Hosts, data.First, data.Last = matched[from:to], from+1, to
	link := func(p int) string {
		v := url.Values{}
		if data.Filter != "" {
			v.Set("state", data.Filter)
		}
		if data.Search != "" {
			v.Set("q", data.Search)
		}
		v.Set("page", strconv.Itoa(p))
		return "/?" + v.Encode()
	}
	if from > 0 {
		data.PrevURL = link(pageNo - 1)
	}
	if to < len(matched) {
		data.NextURL = link(pageNo + 1)
	}
	data.Runs = s.Runs()
	if len(data.Runs) > 10 {
		data.Runs = data.Runs[:10]
	}
	s.render(w, status, "index", data.Now, data)
}

func (s *Server) pageHost(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	data := struct {
		page
		Host    hostView
		Commits []Commit
		Error   string
	}{page: s.newPage(name)}
	st, err := s.hostStatus(r.Context(), name)
	if err != nil {
		s.pageError(w, name, err)
		return
	}
	data.Host = s.view(st, data.Now)
	status := http.StatusOK
	data.Commits, err = s.cfg.History.Log(r.Context(), name, 100)
	if err != nil && !errors.Is(err, ErrNotFound) {
		status, data.Error = s.errorStatus(err)
	}
	s.render(w, status, "host", data.Now, data)
}

// diffLine is a line of a diff with its CSS class.
type diffLine struct{ Class, Text string }

func diffLines(text string) []diffLine {
	if text == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	out := make([]diffLine, len(lines))
	for i, l := range lines {
		c := "ctx"
		switch {
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "):
			c = "file"
		case strings.HasPrefix(l, "@@"):
			c = "hunk"
		case strings.HasPrefix(l, "+"):
			c = "add"
		case strings.HasPrefix(l, "-"):
			c = "del"
		}
		out[i] = diffLine{c, l}
	}
	return out
}

// diffPage is the data of the diff page (and of a host page's error).
type diffPage struct {
	page
	Name  string
	Diff  Diff
	Lines []diffLine
	Error string
}

func (s *Server) pageDiff(w http.ResponseWriter, r *http.Request) {
	name, rev := r.PathValue("name"), r.URL.Query().Get("rev")
	if _, err := s.hostStatus(r.Context(), name); err != nil {
		s.pageError(w, name, err)
		return
	}
	data := diffPage{page: s.newPage(name + " diff"), Name: name}
	status := http.StatusOK
	d, err := s.cfg.History.Diff(r.Context(), name, rev)
	if err != nil {
		status, data.Error = s.errorStatus(err)
	} else {
		data.Diff, data.Lines = d, diffLines(d.Text)
	}
	s.render(w, status, "diff", data.Now, data)
}

func (s *Server) pageConfig(w http.ResponseWriter, r *http.Request) {
	name, rev := r.PathValue("name"), r.URL.Query().Get("rev")
	if _, err := s.hostStatus(r.Context(), name); err != nil {
		s.pageError(w, name, err)
		return
	}
	data := struct {
		page
		Name   string
		Commit Commit
		Config string
		Error  string
	}{page: s.newPage(name + " configuration"), Name: name}
	status := http.StatusOK
	b, c, err := s.cfg.History.Config(r.Context(), name, rev)
	if err != nil {
		status, data.Error = s.errorStatus(err)
	} else {
		data.Commit, data.Config = c, string(b)
	}
	s.render(w, status, "config", data.Now, data)
}

// pageError renders a host page's error (unknown host: 404) with the diff page's layout.
func (s *Server) pageError(w http.ResponseWriter, name string, err error) {
	status, msg := s.errorStatus(err)
	data := diffPage{page: s.newPage(name), Name: name, Error: msg}
	s.render(w, status, "diff", data.Now, data)
}

// pageStart is the pages' "Run now" form: it starts a run and goes back to the page it came
// from (303), or shows why it could not.
func (s *Server) pageStart(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	host := r.PostForm.Get("host")
	back := "/"
	if host != "" {
		back = "/hosts/" + url.PathEscape(host)
	}
	if _, err := s.Start(TriggerAPI, host); err != nil {
		var busy *BusyError
		if !errors.As(err, &busy) { // busy: the page shows the run in progress
			s.pageError(w, host, err)
			return
		}
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
