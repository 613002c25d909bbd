package netboxtest

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config sets up a fake NetBox. The zero value imitates a NetBox 4.2 that requires login and
// accepts no token.
type Config struct {
	// Version is the NetBox release to imitate, e.g. "3.7.8", "4.2.9" or "4.5.0". It selects the
	// response shapes, the 403 texts, v2 token support (4.5 and later) and /api/status/.
	// Default "4.2.9".
	Version string
	// Tokens are the API tokens the fake accepts: v1 tokens (plaintext, sent as "Token <t>") and,
	// for NetBox 4.5 and later, v2 tokens in their full form "nbt_<key>.<secret>" (sent as
	// "Bearer nbt_<key>.<secret>"). Before 4.5 every token is a v1 token. SetTokens replaces
	// them while the server runs. Default: none.
	Tokens []string
	// AllowAnonymous lets requests without a token read, like NetBox with LOGIN_REQUIRED = False.
	// Default false (NetBox 4's default): they get 403 "Authentication credentials were not
	// provided.".
	AllowAnonymous bool
	// PaginateCount is NetBox's PAGINATE_COUNT, the page size when a request has no limit.
	// Default 50.
	PaginateCount int
	// MaxPageSize is NetBox's MAX_PAGE_SIZE: the largest page served, and the page size for
	// limit=0. Default 1000; a negative value means no maximum (MAX_PAGE_SIZE = 0), with which
	// limit=0 returns everything in one page.
	MaxPageSize int
	// PreferIPv4 is NetBox's PREFER_IPV4: whether primary_ip is the IPv4 address of an object
	// that has both. Default false (primary_ip is the IPv6 address).
	PreferIPv4 bool
	// PublicHost, if set ("netbox.internal:8080"), is the host NetBox writes into next, previous
	// and url links instead of the request's Host, like a NetBox behind a reverse proxy that
	// knows itself by an internal name. Default: the request's Host.
	PublicHost string
	// Latency is added before every answer. SetLatency changes it while the server runs.
	// Default 0.
	Latency time.Duration
	// TLS serves HTTPS with httptest's self-signed certificate (see Certificate). Default false.
	TLS bool
}

// Request is one request the fake received.
type Request struct {
	Method string
	// Path is the URL path, Query its parsed query.
	Path  string
	Query url.Values
	// Host is the Host header the client sent.
	Host string
	// Authorization is the Authorization header as sent (a fake is test tooling; the header is
	// kept so tests can check which scheme the client used).
	Authorization string
	Time          time.Time
}

// Server is a running fake NetBox.
type Server struct {
	// URL is the base URL of the fake ("http://127.0.0.1:port"), without /api.
	URL string

	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once

	mu       sync.Mutex
	cfg      Config
	major    int
	minor    int
	latency  time.Duration
	v1       map[string]bool
	v2       map[string]string // key -> secret
	orgs     [numKinds]map[string]*org
	orgByID  [numKinds]map[int]*org
	nextOrg  [numKinds]int
	devices  []*device
	devByID  map[int]*device
	vms      []*vmachine
	vmByID   map[int]*vmachine
	ips      []*ipAddr
	nextDev  int
	nextVM   int
	nextIP   int
	dirty    bool // devices/vms must be sorted and custom fields recomputed
	cfNames  map[endpoint][]string
	cache    map[cacheKey][]byte
	selCache map[string][]item // filtered lists by endpoint and filter query
	faults   []*faultState
	requests []Request
	inFlight int
	maxIn    int
}

// NewServer starts a fake NetBox on a loopback port. Close it when done.
func NewServer(cfg Config) *Server {
	s := &Server{closing: make(chan struct{})}
	if cfg.Version == "" {
		cfg.Version = "4.2.9"
	}
	if cfg.PaginateCount <= 0 {
		cfg.PaginateCount = 50
	}
	if cfg.MaxPageSize == 0 {
		cfg.MaxPageSize = 1000
	}
	if cfg.MaxPageSize < 0 {
		cfg.MaxPageSize = 0
	}
	s.cfg = cfg
	s.major, s.minor = parseVersion(cfg.Version)
	s.latency = cfg.Latency
	for k := range s.orgs {
		s.orgs[k] = map[string]*org{}
		s.orgByID[k] = map[int]*org{}
	}
	s.devByID = map[int]*device{}
	s.vmByID = map[int]*vmachine{}
	s.cache = map[cacheKey][]byte{}
	s.selCache = map[string][]item{}
	s.setTokensLocked(cfg.Tokens)

	// Listen on IPv4 loopback explicitly (httptest falls back to [::1] only when 127.0.0.1 is
	// unavailable, which is also loopback).
	s.srv = httptest.NewUnstartedServer(s)
	if cfg.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s
}

// Close releases requests held by a Hang fault, then shuts the server down and waits for every
// request to finish.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	s.srv.Close()
}

// Client returns an HTTP client configured for the server (trusting its certificate under TLS).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Certificate returns the server's TLS certificate, or nil without TLS.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// Addr returns the server's listening address (host:port).
func (s *Server) Addr() string { return s.srv.Listener.Addr().String() }

// SetTokens replaces the accepted tokens (token rotation).
func (s *Server) SetTokens(tokens ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setTokensLocked(tokens)
}

func (s *Server) setTokensLocked(tokens []string) {
	s.v1 = map[string]bool{}
	s.v2 = map[string]string{}
	for _, t := range tokens {
		if s.atLeast(4, 5) && strings.HasPrefix(t, "nbt_") {
			key, secret, ok := strings.Cut(strings.TrimPrefix(t, "nbt_"), ".")
			if ok {
				s.v2[key] = secret
				continue
			}
		}
		s.v1[t] = true
	}
}

// SetLatency changes the latency added before every answer.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// Requests returns a copy of the requests received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the recorded requests and the in-flight high-water mark.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.maxIn = s.inFlight
	s.mu.Unlock()
}

// MaxInFlight returns the largest number of requests the server was answering at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

func (s *Server) atLeast(major, minor int) bool {
	return s.major > major || (s.major == major && s.minor >= minor)
}

func parseVersion(v string) (int, int) {
	v = strings.TrimPrefix(v, "v")
	parts := strings.SplitN(v, ".", 3)
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	return major, minor
}

// ServeHTTP answers one request as NetBox would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Query: parseQuery(r.URL.RawQuery), Host: r.Host,
		Authorization: r.Header.Get("Authorization"), Time: time.Now(),
	})
	s.inFlight++
	if s.inFlight > s.maxIn {
		s.maxIn = s.inFlight
	}
	latency := s.latency
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()

	if !s.wait(r, latency) {
		return
	}
	if f := s.takeFault(r); f != nil {
		if s.applyFault(w, r, f) {
			return
		}
	}
	s.route(w, r)
}

// wait sleeps d unless the client goes away or the server closes; it reports whether to go on.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closing:
		return false
	}
}

// parseQuery parses a query string as Django's QueryDict does (blank values kept).
func parseQuery(raw string) url.Values {
	q, _ := url.ParseQuery(raw)
	if q == nil {
		q = url.Values{}
	}
	return q
}

type endpoint int

const (
	epDevices endpoint = iota
	epVMs
	epSites
	epRegions
	epIPs
)

var listPaths = map[string]endpoint{
	"/api/dcim/devices/":                    epDevices,
	"/api/virtualization/virtual-machines/": epVMs,
	"/api/dcim/sites/":                      epSites,
	"/api/dcim/regions/":                    epRegions,
	"/api/ipam/ip-addresses/":               epIPs,
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if !strings.HasSuffix(p, "/") {
		// Django's APPEND_SLASH: a GET without the trailing slash is redirected.
		if s.known(p + "/") {
			target := p + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		s.notFoundPage(w)
		return
	}
	if !s.known(p) {
		s.notFoundPage(w)
		return
	}

	// Django REST framework authenticates before anything else, then checks permissions.
	user, status, detail := s.authenticate(r)
	if status != 0 {
		s.writeDetail(w, status, detail)
		return
	}
	if user == "" && !s.cfg.AllowAnonymous {
		s.writeDetail(w, http.StatusForbidden, "Authentication credentials were not provided.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", r.Method))
		return
	}

	switch {
	case p == "/api/":
		s.serveRoot(w, r)
	case p == "/api/status/":
		s.serveStatus(w, r)
	default:
		if ep, ok := listPaths[p]; ok {
			s.serveList(w, r, ep)
			return
		}
		s.serveDetail(w, r)
	}
}

// known reports whether p (with trailing slash) is an API path the fake answers.
func (s *Server) known(p string) bool {
	if p == "/api/" || p == "/api/status/" {
		return true
	}
	if _, ok := listPaths[p]; ok {
		return true
	}
	_, _, ok := detailPath(p)
	return ok
}

func detailPath(p string) (endpoint, int, bool) {
	for prefix, ep := range listPaths {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			rest, ok = strings.CutSuffix(rest, "/")
			if !ok || rest == "" || strings.Contains(rest, "/") {
				return 0, 0, false
			}
			id, err := strconv.Atoi(rest)
			if err != nil || id < 0 {
				return 0, 0, false
			}
			return ep, id, true
		}
	}
	return 0, 0, false
}

// authenticate returns the authenticated token ("" for an anonymous request), or the status and
// detail of a failed authentication, following NetBox's TokenAuthentication for the imitated
// version.
func (s *Server) authenticate(r *http.Request) (user string, status int, detail string) {
	parts := strings.Fields(r.Header.Get("Authorization"))
	if len(parts) == 0 {
		return "", 0, ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kw := strings.ToLower(parts[0])
	if s.atLeast(4, 5) {
		if kw != "token" && kw != "bearer" {
			return "", 0, ""
		}
		if len(parts) != 2 {
			return "", http.StatusForbidden, `Invalid authorization header: Must be in the form "Bearer <key>.<token>" or "Token <token>"`
		}
		value := parts[1]
		if !strings.HasPrefix(value, "nbt_") {
			if s.v1[value] {
				return value, 0, ""
			}
			return "", http.StatusForbidden, "Invalid v1 token"
		}
		key, secret, ok := strings.Cut(strings.TrimPrefix(value, "nbt_"), ".")
		if !ok {
			return "", http.StatusForbidden, "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?"
		}
		if want, found := s.v2[key]; found && want == secret {
			return value, 0, ""
		}
		return "", http.StatusForbidden, "Invalid v2 token"
	}
	// Django REST framework's TokenAuthentication, keyword "Token".
	if kw != "token" {
		return "", 0, ""
	}
	switch {
	case len(parts) == 1:
		return "", http.StatusForbidden, "Invalid token header. No credentials provided."
	case len(parts) > 2:
		return "", http.StatusForbidden, "Invalid token header. Token string should not contain spaces."
	}
	if s.v1[parts[1]] {
		return parts[1], 0, ""
	}
	return "", http.StatusForbidden, "Invalid token"
}

func (s *Server) apiVersion() string { return fmt.Sprintf("%d.%d", s.major, s.minor) }

func (s *Server) writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("API-Version", s.apiVersion())
	h.Set("Vary", "Accept, Cookie, Origin")
	h.Set("Allow", "GET, HEAD, OPTIONS")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) writeDetail(w http.ResponseWriter, status int, detail string) {
	var e enc
	e.open()
	e.str("detail", detail)
	e.close()
	s.writeJSON(w, status, e.buf)
}

// notFoundPage is the HTML page Django serves for an unknown URL (no JSON, as NetBox).
func (s *Server) notFoundPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = fmt.Fprint(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Page Not Found</title></head>"+
		"<body><h1>Page Not Found</h1><p>The requested page does not exist.</p></body></html>\n")
}

// base returns scheme://host as NetBox's request.build_absolute_uri would.
func (s *Server) base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if s.cfg.PublicHost != "" {
		host = s.cfg.PublicHost
	}
	return scheme + "://" + host
}

func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request) {
	b := s.base(r) + "/api/"
	var e enc
	e.open()
	for _, app := range []string{"circuits", "core", "dcim", "extras", "ipam", "plugins", "status", "tenancy", "users", "virtualization", "vpn", "wireless"} {
		e.str(app, b+app+"/")
	}
	e.close()
	s.writeJSON(w, http.StatusOK, e.buf)
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	version := strings.TrimPrefix(s.cfg.Version, "v")
	s.mu.Unlock()
	var e enc
	e.open()
	if s.major >= 4 {
		e.str("django-version", "5.1.4")
	} else {
		e.str("django-version", "4.2.9")
	}
	if s.atLeast(4, 3) {
		e.str("hostname", "netbox")
		e.openKey("installed_apps")
	} else {
		e.openKey("installed-apps")
	}
	e.str("django_filters", "24.3")
	e.str("rest_framework", "3.15.2")
	e.close()
	e.str("netbox-version", version)
	if s.atLeast(4, 3) {
		e.str("netbox-full-version", version)
	}
	e.openKey("plugins")
	e.close()
	e.str("python-version", "3.12.3")
	e.int("rq-workers-running", 1)
	e.close()
	s.writeJSON(w, http.StatusOK, e.buf)
}

// pagination follows NetBox's pagination class: the effective limit, the offset, and the
// next/previous links rebuilt by Django REST framework's replace_query_param (which re-encodes
// the query with its keys sorted).
type page struct {
	limit, offset int
}

func (s *Server) paginate(q url.Values) page {
	maxPage := s.cfg.MaxPageSize
	limit := s.cfg.PaginateCount
	if maxPage > 0 && limit > maxPage {
		limit = maxPage
	}
	if v, ok := q["limit"]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v[len(v)-1])); err == nil && n >= 0 {
			switch {
			case maxPage > 0 && n == 0:
				limit = maxPage
			case maxPage > 0:
				limit = min(n, maxPage)
			default:
				limit = n
			}
		}
	}
	offset := 0
	if v, ok := q["offset"]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v[len(v)-1])); err == nil && n > 0 {
			offset = n
		}
	}
	return page{limit: limit, offset: offset}
}

// link builds base+path?query with key=val replaced (or removed when val < 0), as DRF does.
func link(base, path string, q url.Values, set map[string]int, remove string) string {
	nq := url.Values{}
	for k, v := range q {
		nq[k] = append([]string(nil), v...)
	}
	for k, v := range set {
		nq[k] = []string{strconv.Itoa(v)}
	}
	if remove != "" {
		delete(nq, remove)
	}
	// url.Values.Encode sorts by key and escapes as Python's urlencode(quote_plus) does.
	return base + path + "?" + nq.Encode()
}

func (p page) links(base, path string, q url.Values, count int) (next, prev string) {
	if p.limit == 0 {
		return "", ""
	}
	if p.offset+p.limit < count {
		next = link(base, path, q, map[string]int{"limit": p.limit, "offset": p.offset + p.limit}, "")
	}
	if p.offset > 0 {
		if p.offset-p.limit <= 0 {
			prev = link(base, path, q, map[string]int{"limit": p.limit}, "offset")
		} else {
			prev = link(base, path, q, map[string]int{"limit": p.limit, "offset": p.offset - p.limit}, "")
		}
	}
	return next, prev
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request, ep endpoint) {
	q := parseQuery(r.URL.RawQuery)
	base := s.base(r)

	s.mu.Lock()
	s.settleLocked()
	items, errs := s.selectCachedLocked(ep, q)
	if errs != nil {
		s.mu.Unlock()
		s.writeJSON(w, http.StatusBadRequest, errs.json())
		return
	}
	pg := s.paginate(q)
	count := len(items)
	var slice []item
	if count > 0 && pg.offset <= count {
		end := count
		if pg.limit > 0 {
			end = min(pg.offset+pg.limit, count)
		}
		slice = items[pg.offset:end]
	}
	m := s.mode(ep, q)
	bodies := make([][]byte, len(slice))
	size := 64
	for i, it := range slice {
		bodies[i] = s.renderLocked(it, base, m)
		size += len(bodies[i]) + 1
	}
	s.mu.Unlock()

	next, prev := pg.links(base, r.URL.Path, q, count)
	buf := make([]byte, 0, size+len(next)+len(prev))
	buf = append(buf, `{"count":`...)
	buf = strconv.AppendInt(buf, int64(count), 10)
	buf = append(buf, `,"next":`...)
	buf = appendLink(buf, next)
	buf = append(buf, `,"previous":`...)
	buf = appendLink(buf, prev)
	buf = append(buf, `,"results":[`...)
	for i, b := range bodies {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
	}
	buf = append(buf, "]}"...)
	s.writeJSON(w, http.StatusOK, buf)
}

func appendLink(dst []byte, l string) []byte {
	if l == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, l)
}

func (s *Server) serveDetail(w http.ResponseWriter, r *http.Request) {
	ep, id, _ := detailPath(r.URL.Path)
	q := parseQuery(r.URL.RawQuery)
	s.mu.Lock()
	s.settleLocked()
	var it item
	found := false
	switch ep {
	case epDevices:
		if d := s.devByID[id]; d != nil {
			it, found = item{kind: epDevices, dev: d}, true
		}
	case epVMs:
		if v := s.vmByID[id]; v != nil {
			it, found = item{kind: epVMs, vm: v}, true
		}
	case epSites:
		if o := s.orgByID[kSite][id]; o != nil {
			it, found = item{kind: epSites, org: o}, true
		}
	case epRegions:
		if o := s.orgByID[kRegion][id]; o != nil {
			it, found = item{kind: epRegions, org: o}, true
		}
	case epIPs:
		for _, ip := range s.ips {
			if ip.id == id {
				it, found = item{kind: epIPs, ip: ip}, true
			}
		}
	}
	if !found {
		s.mu.Unlock()
		names := map[endpoint]string{epDevices: "Device", epVMs: "VirtualMachine", epSites: "Site", epRegions: "Region", epIPs: "IPAddress"}
		s.writeDetail(w, http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", names[ep]))
		return
	}
	body := s.renderLocked(it, s.base(r), s.mode(ep, q))
	s.mu.Unlock()
	s.writeJSON(w, http.StatusOK, body)
}

// selectCachedLocked is selectLocked, remembering the result per endpoint and filters (the
// query without limit and offset) until the data changes, so that the pages of one list cost
// one selection.
func (s *Server) selectCachedLocked(ep endpoint, q url.Values) ([]item, *filterErrors) {
	fq := url.Values{}
	for k, v := range q {
		if k != "limit" && k != "offset" {
			fq[k] = v
		}
	}
	key := strconv.Itoa(int(ep)) + "?" + fq.Encode()
	if items, ok := s.selCache[key]; ok {
		return items, nil
	}
	items, errs := s.selectLocked(ep, q)
	if errs == nil {
		s.selCache[key] = items
	}
	return items, errs
}

// settleLocked sorts objects in NetBox's order and recomputes the custom field definitions after
// changes.
func (s *Server) settleLocked() {
	if !s.dirty {
		return
	}
	s.dirty = false
	s.cfNames = map[endpoint][]string{
		epDevices: s.customFieldNamesLocked(epDevices),
		epVMs:     s.customFieldNamesLocked(epVMs),
	}
	sort.SliceStable(s.devices, func(i, j int) bool {
		return lessNatural(s.devices[i].Name, s.devices[i].ID, s.devices[j].Name, s.devices[j].ID)
	})
	sort.SliceStable(s.vms, func(i, j int) bool {
		return lessNatural(s.vms[i].Name, s.vms[i].ID, s.vms[j].Name, s.vms[j].ID)
	})
}

// lessNatural orders by name with digit runs compared as numbers (NetBox's naturalized _name),
// unnamed objects last (PostgreSQL sorts NULL last), then by id.
func lessNatural(a string, aid int, b string, bid int) bool {
	switch {
	case a == "" && b == "":
		return aid < bid
	case a == "":
		return false
	case b == "":
		return true
	}
	if c := compareNatural(a, b); c != 0 {
		return c < 0
	}
	return aid < bid
}

func compareNatural(a, b string) int {
	for a != "" && b != "" {
		ad, bd := isDigit(a[0]), isDigit(b[0])
		if ad && bd {
			i, j := 0, 0
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				if len(na) < len(nb) {
					return -1
				}
				return 1
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
