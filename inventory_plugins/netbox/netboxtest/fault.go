package netboxtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault makes the server misbehave on chosen requests. Faults are checked in the order they
// were injected; the first one that fires on a request applies.
type Fault struct {
	// Match selects the requests the fault applies to; nil matches every request. See
	// MatchPath and MatchOffset.
	Match func(*http.Request) bool
	// Skip lets this many matching requests through before the fault fires (Skip: 2 fails the
	// third matching request).
	Skip int
	// Times is how many matching requests the fault fires on; 0 means all of them.
	Times int

	// Before, if set, runs when the fault fires, before the answer (to change the data in the
	// middle of a load, say). With no Status, Malformed or Hang the request is then answered
	// normally.
	Before func()
	// Delay holds the answer this long (on top of Config.Latency).
	Delay time.Duration
	// Status answers with this status code: with Body if set, else with the body NetBox (or the
	// reverse proxy in front of it) sends for that status.
	Status int
	// Body replaces the answer's body (Content-Type: application/json when it starts with '{').
	Body string
	// Header is added to the answer (e.g. "Retry-After").
	Header http.Header
	// Malformed answers 200 with a JSON body cut off in the middle.
	Malformed bool
	// Hang holds the request until the client gives up or the server is closed.
	Hang bool
}

type faultState struct {
	Fault
	seen, fired int
}

// InjectFault adds a fault.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// MatchPath matches requests for one URL path ("/api/dcim/devices/").
func MatchPath(path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Path == path }
}

// MatchOffset matches list requests for the page at that offset (a request without offset is
// at offset 0).
func MatchOffset(path string, offset int) func(*http.Request) bool {
	return func(r *http.Request) bool {
		if r.URL.Path != path {
			return false
		}
		v := r.URL.Query()["offset"]
		got := 0
		if len(v) > 0 {
			got, _ = strconv.Atoi(v[len(v)-1])
		}
		return got == offset
	}
}

func (s *Server) takeFault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Match != nil && !f.Match(r) {
			continue
		}
		f.seen++
		if f.seen <= f.Skip {
			continue
		}
		if f.Times > 0 && f.fired >= f.Times {
			continue
		}
		f.fired++
		cp := f.Fault
		return &cp
	}
	return nil
}

// applyFault answers per the fault and reports whether it did (false: answer normally).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f.Before != nil {
		f.Before()
	}
	if !s.wait(r, f.Delay) {
		return true
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return true
	case f.Malformed:
		body := `{"count":3,"next":null,"previous":null,"results":[{"id":1,"url":"` + s.base(r) + `/api/dcim/devices/1/","display":"trunc`
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body))
		return true
	case f.Status != 0:
		body := f.Body
		ctype := "text/html; charset=utf-8"
		if body == "" {
			body, ctype = defaultErrorBody(f.Status, s.cfg.Version)
		} else if strings.HasPrefix(strings.TrimSpace(body), "{") {
			ctype = "application/json"
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(body))
		return true
	}
	return false
}

// defaultErrorBody is what a client sees for an error status: NetBox's own JSON for 500 (its
// REST API exception handler) and 429 (Django REST framework's throttling), a reverse proxy's
// HTML page for 502, 503 and 504.
func defaultErrorBody(status int, version string) (string, string) {
	switch status {
	case http.StatusInternalServerError:
		return fmt.Sprintf(`{"error":"server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\n","exception":"OperationalError","netbox_version":%q,"python_version":"3.12.3"}`, version), "application/json"
	case http.StatusTooManyRequests:
		return `{"detail":"Request was throttled."}`, "application/json"
	case http.StatusForbidden:
		return `{"detail":"You do not have permission to perform this action."}`, "application/json"
	}
	text := http.StatusText(status)
	return fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", status, text, status, text), "text/html; charset=utf-8"
}
