package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// routes builds the handler: the mux behind the token check and cross-origin protection.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))

	mux.HandleFunc("GET /api/v1/hosts", s.apiHosts)
	mux.HandleFunc("GET /api/v1/hosts/{name}", s.apiHost)
	mux.HandleFunc("GET /api/v1/hosts/{name}/config", s.apiConfig)
	mux.HandleFunc("GET /api/v1/hosts/{name}/diff", s.apiDiff)
	mux.HandleFunc("GET /api/v1/hosts/{name}/history", s.apiHistory)
	mux.HandleFunc("GET /api/v1/runs", s.apiRuns)
	mux.HandleFunc("GET /api/v1/runs/{id}", s.apiRun)
	mux.HandleFunc("POST /api/v1/run", s.apiStart)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no API endpoint %s %s", r.Method, r.URL.Path))
	})

	mux.HandleFunc("GET /{$}", s.pageIndex)
	mux.HandleFunc("GET /hosts/{name}", s.pageHost)
	mux.HandleFunc("GET /hosts/{name}/diff", s.pageDiff)
	mux.HandleFunc("GET /hosts/{name}/config", s.pageConfig)
	mux.HandleFunc("POST /run", s.pageStart)
	mux.HandleFunc("GET /style.css", s.pageCSS)

	// Forms and API calls from another site's page are refused (the page's "Run now" is a form).
	cop := http.NewCrossOriginProtection()
	return s.auth(cop.Handler(mux))
}

// auth requires the token, when one is configured, on every path but /healthz.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.cfg.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		var got string
		if user, pass, ok := r.BasicAuth(); ok {
			_ = user // any user name: the token is the password
			got = pass
		} else if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			got = strings.TrimSpace(v)
		}
		// Hashes of equal length: the comparison reveals neither the token nor its length.
		g := sha256.Sum256([]byte(got))
		if got == "" || subtle.ConstantTimeCompare(g[:], want[:]) != 1 {
			if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="norn"`)
			} else {
				w.Header().Set("WWW-Authenticate", `Basic realm="norn", charset="UTF-8"`)
			}
			msg := "missing token: send Authorization: Bearer <token>"
			if got != "" {
				msg = "wrong token"
			}
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
	// Run is the run in progress, for 409 Conflict.
	Run *RunInfo `json:"run,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a JSON document, never HTML: keep "<removed>" readable
	_ = enc.Encode(v)        // the client went away: nothing to do
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// errorStatus maps an error to an HTTP status and a redacted message.
func (s *Server) errorStatus(err error) (int, string) {
	msg := s.cfg.Redact(err.Error())
	var busy *BusyError
	switch {
	case errors.Is(err, ErrUnknownHost), errors.Is(err, ErrNotFound):
		return http.StatusNotFound, msg
	case errors.Is(err, ErrBadRevision):
		return http.StatusBadRequest, msg
	case errors.As(err, &busy):
		return http.StatusConflict, msg
	case errors.Is(err, errStopped):
		return http.StatusServiceUnavailable, msg
	}
	s.cfg.Logger.Error().Str("error", msg).Msg("request failed")
	return http.StatusInternalServerError, msg
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	status, msg := s.errorStatus(err)
	body := apiError{Error: msg}
	var busy *BusyError
	if errors.As(err, &busy) {
		body.Run = &busy.Running
	}
	writeJSON(w, status, body)
}

// healthz reports that the service is up, and what it runs.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	type health struct {
		Status  string   `json:"status"`
		Running *RunInfo `json:"running,omitempty"`
	}
	h := health{Status: "ok"}
	if cur, ok := s.running(); ok {
		h.Running = &cur
	}
	writeJSON(w, http.StatusOK, h)
}

// hostView is a host's status with its derived state, as the API and the pages show it.
type hostView struct {
	gitstore.HostStatus
	// State is ok, failing, stale (no good backup for Config.Stale) or never (never backed up).
	State string `json:"state"`
}

func (s *Server) view(st gitstore.HostStatus, now time.Time) hostView {
	v := hostView{HostStatus: st, State: "ok"}
	v.FailureMessage = s.cfg.Redact(v.FailureMessage)
	switch {
	case st.ConsecutiveFailures > 0 && st.LastSuccess.IsZero():
		v.State = "never"
	case st.ConsecutiveFailures > 0:
		v.State = "failing"
	case st.LastSuccess.IsZero():
		v.State = "never"
	case now.Sub(st.LastSuccess) > s.cfg.Stale:
		v.State = "stale"
	}
	return v
}

func (s *Server) apiHosts(w http.ResponseWriter, r *http.Request) {
	sts, err := s.cfg.Status(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	now := s.cfg.now()
	out := make([]hostView, len(sts))
	for i, st := range sts {
		out[i] = s.view(st, now)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiHost(w http.ResponseWriter, r *http.Request) {
	st, err := s.hostStatus(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(st, s.cfg.now()))
}

// configDoc is the body of /api/v1/hosts/{name}/config.
type configDoc struct {
	Host   string `json:"host"`
	Commit Commit `json:"commit"`
	Config string `json:"config"`
}

func (s *Server) apiConfig(w http.ResponseWriter, r *http.Request) {
	host, rev := r.PathValue("name"), r.URL.Query().Get("rev")
	if _, err := s.hostStatus(r.Context(), host); err != nil {
		s.fail(w, err)
		return
	}
	b, c, err := s.cfg.History.Config(r.Context(), host, rev)
	if err != nil {
		s.fail(w, err)
		return
	}
	if r.URL.Query().Get("format") == "text" {
		writeText(w, "text/plain", c.Hash, string(b))
		return
	}
	writeJSON(w, http.StatusOK, configDoc{Host: host, Commit: c, Config: string(b)})
}

func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request) {
	host, rev := r.PathValue("name"), r.URL.Query().Get("rev")
	if _, err := s.hostStatus(r.Context(), host); err != nil {
		s.fail(w, err)
		return
	}
	d, err := s.cfg.History.Diff(r.Context(), host, rev)
	if err != nil {
		s.fail(w, err)
		return
	}
	if r.URL.Query().Get("format") == "text" {
		writeText(w, "text/x-diff", d.Commit.Hash, d.Text)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// writeText answers ?format=text: the raw text, with the commit it comes from in a header.
func writeText(w http.ResponseWriter, contentType, commit, text string) {
	w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Norn-Commit", commit)
	_, _ = io.WriteString(w, text)
}

// historyLimit reads ?limit= (default 50, at most 1000).
func historyLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, fmt.Errorf("limit %q: want a number from 1 to 1000", v)
	}
	return n, nil
}

func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request) {
	host := r.PathValue("name")
	limit, err := historyLimit(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if _, err := s.hostStatus(r.Context(), host); err != nil {
		s.fail(w, err)
		return
	}
	log, err := s.cfg.History.Log(r.Context(), host, limit)
	if err != nil {
		s.fail(w, err)
		return
	}
	if log == nil {
		log = []Commit{}
	}
	writeJSON(w, http.StatusOK, log)
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Runs())
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("run id %q: want a number", r.PathValue("id")))
		return
	}
	ri, ok := s.Run(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no run %d (the last %d runs are kept)", id, s.cfg.KeepRuns))
		return
	}
	writeJSON(w, http.StatusOK, ri)
}

// runBody is the optional body of POST /api/v1/run.
type runBody struct {
	Host string `json:"host"`
}

// parseRunBody reads a run request's body: JSON, or a form ("host=x") when sent as one (curl -d
// without a Content-Type sends a JSON body as a form: it is read as JSON).
func parseRunBody(contentType, body string) (runBody, error) {
	var b runBody
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" && !strings.HasPrefix(body, "{") {
		v, err := url.ParseQuery(body)
		if err != nil {
			return b, err
		}
		for k := range v {
			if k != "host" {
				return b, fmt.Errorf("unknown field %q", k)
			}
		}
		b.Host = v.Get("host")
		return b, nil
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, err
	}
	if dec.More() {
		return b, errors.New("more than one JSON value")
	}
	return b, nil
}

// maxBody bounds request bodies.
const maxBody = 4 << 10

// apiStart starts a run: 202 Accepted with the run and its Location, 409 Conflict with the
// running run while one is in progress, 404 for an unknown host.
func (s *Server) apiStart(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body: %v", err))
		return
	}
	if body := strings.TrimSpace(string(raw)); body != "" {
		b, err := parseRunBody(r.Header.Get("Content-Type"), body)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("request body: %v (want {\"host\": \"name\"} or nothing)", err))
			return
		}
		switch {
		case host != "" && b.Host != "" && host != b.Host:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("host %q in the query and %q in the body: give one", host, b.Host))
			return
		case b.Host != "":
			host = b.Host
		}
	}
	ri, err := s.Start(TriggerAPI, host)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/runs/%d", ri.ID))
	writeJSON(w, http.StatusAccepted, ri)
}
