package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/tasks/backup/gitstore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// testRepo is a backup repository built with go-git: configs/<host> files, one commit per
// call of commit.
type testRepo struct {
	t    testing.TB
	dir  string
	repo *git.Repository
	n    int
}

func newTestRepo(t testing.TB) *testRepo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return &testRepo{t: t, dir: dir, repo: repo}
}

// commit writes files (host -> content; "" removes the host) and commits them; it returns
// the commit id.
func (r *testRepo) commit(msg string, files map[string]string) string {
	r.t.Helper()
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(r.dir, "configs"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	for host, content := range files {
		p := filepath.Join("configs", host)
		if content == "" {
			if _, err := wt.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(r.dir, p), []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
		if _, err := wt.Add(p); err != nil {
			r.t.Fatal(err)
		}
	}
	r.n++
	sig := &object.Signature{Name: "norn", Email: "norn@localhost", When: t0.Add(time.Duration(r.n) * time.Hour)}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

// fixture is a server over a test repository with hosts a (changed twice) and b, and a
// failing host c that was never backed up.
type fixture struct {
	repo           *testRepo
	c1, c2, c3     string
	statuses       []gitstore.HostStatus
	srv            *Server
	http           *httptest.Server
	mu             sync.Mutex
	runs           []RunRequest
	run            func(ctx context.Context, req RunRequest) (RunSummary, error)
	now            time.Time
	statusReadErrs error
}

const (
	aV1 = "hostname a\ninterface Gi1\n description uplink\n!\nend\n"
	aV2 = "hostname a\ninterface Gi1\n description core uplink\n!\nend\n"
	bV1 = "hostname b\nend\n"
)

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	f := &fixture{repo: newTestRepo(t), now: t0.Add(5 * time.Hour)}
	f.c1 = f.repo.commit("norn backup: 2 changed", map[string]string{"a": aV1, "b": bV1})
	f.c2 = f.repo.commit("norn backup: 1 changed", map[string]string{"a": aV2})
	f.c3 = f.repo.commit("norn backup: 0 changed (status)", map[string]string{"b": bV1}) // no change to a
	f.statuses = []gitstore.HostStatus{
		{Host: "a", Platform: "cisco_iosxe", LastAttempt: t0.Add(3 * time.Hour), LastSuccess: t0.Add(3 * time.Hour), LastChange: t0.Add(2 * time.Hour), SHA: "5e1f0c", Bytes: int64(len(aV2))},
		{Host: "b", Platform: "arista_eos", LastAttempt: t0.Add(3 * time.Hour), LastSuccess: t0.Add(-48 * time.Hour)},
		{Host: "c", Platform: "juniper_junos", LastAttempt: t0.Add(3 * time.Hour), LastFailure: t0.Add(3 * time.Hour),
			FailureClass: "authentication", FailureMessage: "ssh: login as backup with password s3cret-pw refused", ConsecutiveFailures: 2},
	}
	cfg.Status = func(context.Context) ([]gitstore.HostStatus, error) {
		if f.statusReadErrs != nil {
			return nil, f.statusReadErrs
		}
		return f.statuses, nil
	}
	cfg.History = &GitHistory{Dir: f.repo.dir}
	if cfg.Run == nil {
		cfg.Run = func(ctx context.Context, req RunRequest) (RunSummary, error) {
			f.mu.Lock()
			f.runs = append(f.runs, req)
			run := f.run
			f.mu.Unlock()
			if run != nil {
				return run(ctx, req)
			}
			return RunSummary{Hosts: 3, OK: 3}, nil
		}
	}
	if cfg.Every == 0 {
		cfg.Every = -1
	}
	if cfg.Redact == nil {
		cfg.Redact = func(s string) string { return strings.ReplaceAll(s, "s3cret-pw", "<removed>") }
	}
	cfg.now = func() time.Time { return f.now }
	var err error
	f.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.http.Close)
	return f
}

// get returns the status and body of a GET of path.
func get(t *testing.T, base, path string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return v
}

func TestHostsAPI(t *testing.T) {
	f := newFixture(t, Config{})
	code, body := get(t, f.http.URL, "/api/v1/hosts")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/hosts: %d %s", code, body)
	}
	hosts := decode[[]hostView](t, body)
	states := map[string]string{}
	for _, h := range hosts {
		states[h.Host] = h.State
	}
	want := map[string]string{"a": "ok", "b": "stale", "c": "never"}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("states = %v, want %v", states, want)
	}
	if strings.Contains(body, "s3cret-pw") || !strings.Contains(body, "password <removed> refused") {
		t.Errorf("failure message not redacted:\n%s", body)
	}

	code, body = get(t, f.http.URL, "/api/v1/hosts/c")
	if code != http.StatusOK || decode[hostView](t, body).FailureClass != "authentication" {
		t.Errorf("GET /api/v1/hosts/c: %d %s", code, body)
	}
	f.statusReadErrs = errors.New("status store unreadable")
	code, body = get(t, f.http.URL, "/api/v1/hosts")
	if code != http.StatusInternalServerError || decode[apiError](t, body).Error != "status store unreadable" {
		t.Errorf("status error: %d %s", code, body)
	}
}

func TestConfigDiffHistoryAPI(t *testing.T) {
	f := newFixture(t, Config{})
	code, body := get(t, f.http.URL, "/api/v1/hosts/a/config")
	if code != http.StatusOK {
		t.Fatalf("config: %d %s", code, body)
	}
	cd := decode[configDoc](t, body)
	if cd.Config != aV2 || cd.Commit.Hash != f.c3 {
		t.Errorf("config = %q at %s, want %q at %s", cd.Config, cd.Commit.Hash, aV2, f.c3)
	}
	if _, body = get(t, f.http.URL, "/api/v1/hosts/a/config?rev="+f.c1[:8]); decode[configDoc](t, body).Config != aV1 {
		t.Errorf("config at %s: %s", f.c1, body)
	}
	if code, body = get(t, f.http.URL, "/api/v1/hosts/a/config?format=text"); code != http.StatusOK || body != aV2 {
		t.Errorf("raw config: %d %q", code, body)
	}

	// The last change of a is c2 (c3 did not touch it).
	code, body = get(t, f.http.URL, "/api/v1/hosts/a/diff")
	d := decode[Diff](t, body)
	if code != http.StatusOK || d.Commit.Hash != f.c2 || d.Parent != f.c1 || d.Added != 1 || d.Removed != 1 ||
		!strings.Contains(d.Text, "- description uplink\n+ description core uplink\n") {
		t.Errorf("diff: %d %+v", code, d)
	}
	_, body = get(t, f.http.URL, "/api/v1/hosts/a/diff?rev="+f.c1)
	if d := decode[Diff](t, body); !d.New || d.Added != 5 || !strings.HasPrefix(d.Text, "--- /dev/null\n+++ b/configs/a\n") {
		t.Errorf("first diff: %+v", d)
	}
	_, body = get(t, f.http.URL, "/api/v1/hosts/a/diff?rev="+f.c3)
	if d := decode[Diff](t, body); d.Text != "" || d.Commit.Hash != f.c3 {
		t.Errorf("diff of a commit that did not change a: %+v", d)
	}

	_, body = get(t, f.http.URL, "/api/v1/hosts/a/history")
	hist := decode[[]Commit](t, body)
	if len(hist) != 2 || hist[0].Hash != f.c2 || hist[1].Hash != f.c1 || hist[0].Subject != "norn backup: 1 changed" {
		t.Errorf("history of a = %+v", hist)
	}
	_, body = get(t, f.http.URL, "/api/v1/hosts/b/history")
	if hist := decode[[]Commit](t, body); len(hist) != 1 || hist[0].Hash != f.c1 {
		t.Errorf("history of b = %+v", hist)
	}
	_, body = get(t, f.http.URL, "/api/v1/hosts/c/history")
	if body != "[]\n" {
		t.Errorf("history of c (never backed up) = %s", body)
	}
}

func TestAPIErrors(t *testing.T) {
	f := newFixture(t, Config{})
	for _, tc := range []struct {
		path string
		code int
		msg  string
	}{
		{"/api/v1/hosts/zz", 404, `unknown host "zz"`},
		{"/api/v1/hosts/zz/config", 404, `unknown host "zz"`},
		{"/api/v1/hosts/zz/diff", 404, `unknown host "zz"`},
		{"/api/v1/hosts/zz/history", 404, `unknown host "zz"`},
		{"/api/v1/hosts/c/config", 404, "no configuration of c"},
		{"/api/v1/hosts/c/diff", 404, "no configuration of c"},
		{"/api/v1/hosts/a/config?rev=main", 400, "bad revision"},
		{"/api/v1/hosts/a/diff?rev=--output=x", 400, "bad revision"},
		{"/api/v1/hosts/a/config?rev=deadbeef", 404, `revision "deadbeef"`},
		{"/api/v1/hosts/a/history?limit=0", 400, "limit"},
		{"/api/v1/runs/7", 404, "no run 7"},
		{"/api/v1/runs/x", 400, "want a number"},
		{"/api/v1/nothing", 404, "no API endpoint GET /api/v1/nothing"},
	} {
		code, body := get(t, f.http.URL, tc.path)
		if code != tc.code || !strings.Contains(decode[apiError](t, body).Error, tc.msg) {
			t.Errorf("GET %s = %d %s, want %d with %q", tc.path, code, strings.TrimSpace(body), tc.code, tc.msg)
		}
	}
	// A wrong method is named.
	code, body := post(t, f.http.URL+"/api/v1/hosts", "application/json", "")
	if code != http.StatusNotFound || !strings.Contains(body, "no API endpoint POST /api/v1/hosts") {
		t.Errorf("POST /api/v1/hosts = %d %s", code, body)
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t, Config{Title: "lab backups"})
	for _, tc := range []struct {
		path string
		code int
		want []string
	}{
		{"/", 200, []string{"<title>hosts · lab backups</title>", `href="/hosts/a"`, `<a href="/hosts/c">history</a></td>`, `class="badge never"`,
			"password &lt;removed&gt; refused", `href="/hosts/a/diff"`, `action="/run"`, "No run yet."}},
		{"/?state=failing", 200, []string{"No host has been backed up yet with state failing"}},
		{"/?q=zz", 200, []string{"No host name contains “zz”"}},
		{"/?q=b&state=stale", 200, []string{`href="/hosts/b"`, "hosts 1–1 of 1 matching “b”", `name="state" value="stale"`}},
		{"/hosts/a", 200, []string{`href="/hosts/a/diff?rev=` + f.c2 + `"`, `href="/hosts/a/diff?rev=` + f.c1 + `"`, "norn backup: 1 changed", `name="host" value="a"`}},
		{"/hosts/a/diff", 200, []string{`<span class="del">- description uplink</span>`, `<span class="add">&#43; description core uplink</span>`, `<span class="hunk">@@`}},
		{"/hosts/a/config?rev=" + f.c1, 200, []string{"description uplink", f.c1[:10]}},
		{"/hosts/zz", 404, []string{"unknown host &#34;zz&#34;"}},
		{"/hosts/a/diff?rev=nothex", 400, []string{"bad revision"}},
		{"/style.css", 200, []string{".badge.ok"}},
	} {
		code, body := get(t, f.http.URL, tc.path)
		if code != tc.code {
			t.Errorf("GET %s = %d, want %d\n%s", tc.path, code, tc.code, body)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q in\n%s", tc.path, w, body)
			}
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "s3cret-pw") {
			t.Errorf("GET %s: a script or a secret in the page", tc.path)
		}
	}
}

func TestIndexPages(t *testing.T) {
	f := newFixture(t, Config{})
	f.statuses = nil
	for i := range 1200 {
		f.statuses = append(f.statuses, gitstore.HostStatus{Host: fmt.Sprintf("dev-%04d", i), LastSuccess: f.now})
	}
	f.statuses[700].ConsecutiveFailures = 1 // failing hosts come first
	for _, tc := range []struct {
		page          string
		rows          int
		first, prev   string
		next, counter string
	}{
		{"", 500, "dev-0700", "", "/?page=2", "hosts 1–500 of 1200"},
		{"2", 500, "dev-0499", "/?page=1", "/?page=3", "hosts 501–1000 of 1200"},
		{"3", 200, "dev-1000", "/?page=2", "", "hosts 1001–1200 of 1200"},
	} {
		_, body := get(t, f.http.URL, "/?page="+tc.page)
		if n := strings.Count(body, `<td class="host">`); n != tc.rows {
			t.Errorf("page %q: %d rows, want %d", tc.page, n, tc.rows)
		}
		if i := strings.Index(body, `<td class="host">`); i < 0 || !strings.Contains(body[i:i+60], tc.first) {
			t.Errorf("page %q does not start with %s", tc.page, tc.first)
		}
		if !strings.Contains(body, tc.counter) {
			t.Errorf("page %q: no %q", tc.page, tc.counter)
		}
		for _, l := range []string{tc.prev, tc.next} {
			if l != "" && !strings.Contains(body, `href="`+l+`"`) {
				t.Errorf("page %q: no link to %s", tc.page, l)
			}
		}
	}
}

func TestAuth(t *testing.T) {
	const token = "tok-3f9a"
	f := newFixture(t, Config{Token: token})
	for _, tc := range []struct {
		path   string
		header []string
		code   int
	}{
		{"/api/v1/hosts", nil, 401},
		{"/api/v1/hosts", []string{"Authorization", "Bearer wrong"}, 401},
		{"/api/v1/hosts", []string{"Authorization", "Bearer " + token + "x"}, 401},
		{"/api/v1/hosts", []string{"Authorization", "Bearer " + token}, 200},
		{"/api/v1/hosts", []string{"Authorization", "Basic " + basic("any", token)}, 200},
		{"/api/v1/hosts", []string{"Authorization", "Basic " + basic(token, "")}, 401},
		{"/", nil, 401},
		{"/hosts/a/config", nil, 401},
		{"/metrics", nil, 401},
		{"/metrics", []string{"Authorization", "Bearer " + token}, 200},
		{"/healthz", nil, 200},
	} {
		code, body := get(t, f.http.URL, tc.path, tc.header...)
		if code != tc.code {
			t.Errorf("GET %s %v = %d, want %d: %s", tc.path, tc.header, code, tc.code, body)
		}
		if code == 401 && !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s: 401 without a JSON error: %s", tc.path, body)
		}
		if strings.Contains(body, token) {
			t.Errorf("GET %s: the token is in the response", tc.path)
		}
	}
	// The browser gets a Basic challenge, API clients a Bearer one.
	resp, err := http.Get(f.http.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("page challenge %q", got)
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// fakeListener is a listener with a chosen address that never accepts (so no test listens
// beyond loopback).
type fakeListener struct {
	addr   net.Addr
	closed chan struct{}
	once   sync.Once
}

func (l *fakeListener) Accept() (net.Conn, error) { <-l.closed; return nil, net.ErrClosed }
func (l *fakeListener) Close() error              { l.once.Do(func() { close(l.closed) }); return nil }
func (l *fakeListener) Addr() net.Addr            { return l.addr }

func TestServeRefusesNonLoopbackWithoutToken(t *testing.T) {
	for _, tc := range []struct {
		addr     net.Addr
		token    string
		loopback bool
	}{
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 10), Port: 9469}, "", false},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 9469}, "", false},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 9469}, "", false},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9469}, "", true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9469}, "", true},
		{&net.UnixAddr{Name: "/run/norn.sock", Net: "unix"}, "", true},
	} {
		if got := IsLoopback(tc.addr); got != tc.loopback {
			t.Errorf("IsLoopback(%s) = %v, want %v", tc.addr, got, tc.loopback)
		}
		if tc.loopback {
			continue
		}
		f := newFixture(t, Config{})
		l := &fakeListener{addr: tc.addr, closed: make(chan struct{})}
		err := f.srv.Serve(context.Background(), l)
		if !errors.Is(err, ErrTokenRequired) || !strings.Contains(err.Error(), tc.addr.String()) {
			t.Errorf("Serve on %s without a token: %v", tc.addr, err)
		}
		select {
		case <-l.closed:
		default:
			t.Errorf("Serve on %s left the listener open", tc.addr)
		}
	}
}

// served starts f.srv.Serve on a loopback listener and returns its base URL and a stop
// function that cancels Serve and returns its error.
func (f *fixture) served(t *testing.T) (string, func() error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- f.srv.Serve(ctx, l) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			serveErr = <-errc
		})
		return serveErr
	}
	t.Cleanup(func() {
		_ = stop()
		http.DefaultClient.CloseIdleConnections() // no client goroutine left for goleak
	})
	return "http://" + l.Addr().String(), stop
}

func post(t *testing.T, url, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunOnDemandOneAtATime(t *testing.T) {
	f := newFixture(t, Config{})
	release := make(chan struct{})
	started := make(chan RunRequest, 4)
	f.run = func(ctx context.Context, req RunRequest) (RunSummary, error) {
		started <- req
		<-release
		return RunSummary{Hosts: 1, OK: 1, Changed: 1, Commit: "abc"}, nil
	}
	base, stop := f.served(t)

	code, body := post(t, base+"/api/v1/run", "application/json", `{"host": "a"}`)
	if code != http.StatusAccepted {
		t.Fatalf("POST /api/v1/run: %d %s", code, body)
	}
	first := decode[RunInfo](t, body)
	if req := <-started; req.Host != "a" || req.Trigger != TriggerAPI || req.ID != first.ID {
		t.Errorf("run request %+v, want host a, trigger api, id %d", req, first.ID)
	}
	// While it runs: 409 with the running run, for a full run and for another host.
	for _, q := range []string{"", "?host=b"} {
		code, body = post(t, base+"/api/v1/run"+q, "", "")
		e := decode[apiError](t, body)
		if code != http.StatusConflict || e.Run == nil || e.Run.ID != first.ID || e.Run.State != StateRunning {
			t.Errorf("second POST%s: %d %s", q, code, body)
		}
	}
	_, body = get(t, base, "/healthz")
	if !strings.Contains(body, `"running"`) {
		t.Errorf("healthz during a run: %s", body)
	}
	_, body = get(t, base, "/")
	if !strings.Contains(body, fmt.Sprintf("run %d running", first.ID)) || !strings.Contains(body, "disabled") {
		t.Errorf("page during a run does not show it:\n%s", body)
	}
	close(release)
	if err := f.srv.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, base, fmt.Sprintf("/api/v1/runs/%d", first.ID))
	ri := decode[RunInfo](t, body)
	if ri.State != StateOK || ri.Summary == nil || ri.Summary.Commit != "abc" || ri.Ended.IsZero() || ri.Host != "a" {
		t.Errorf("run after it ended: %+v", ri)
	}

	// Bad requests.
	for _, tc := range []struct {
		q, ct, body string
		code        int
	}{
		{"", "application/json", `{"host": "zz"}`, 404},
		{"?host=zz", "", "", 404},
		{"", "application/json", `{"hots": "a"}`, 400},
		{"", "application/json", `[`, 400},
		{"?host=a", "application/json", `{"host": "b"}`, 400},
		{"", "text/plain", `host=a`, 400},
		{"", "application/x-www-form-urlencoded", `host=a&x=1`, 400},
		{"", "application/json", `{"host": "a"} {}`, 400},
		{"", "application/json", strings.Repeat(" ", maxBody+1), 413},
	} {
		code, body := post(t, base+"/api/v1/run"+tc.q, tc.ct, tc.body)
		if code != tc.code || !strings.Contains(body, `"error"`) {
			t.Errorf("POST /api/v1/run%s %q: %d %s, want %d", tc.q, tc.body, code, body, tc.code)
		}
	}

	// curl -d '{"host": "a"}' sends the JSON as a form; a form body works too.
	for _, tc := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", `{"host": "a"}`},
		{"application/x-www-form-urlencoded", `host=a`},
	} {
		code, body := post(t, base+"/api/v1/run", tc.ct, tc.body)
		if code != http.StatusAccepted {
			t.Fatalf("POST %s %q: %d %s", tc.ct, tc.body, code, body)
		}
		if req := <-started; req.Host != "a" {
			t.Errorf("POST %s %q: run request %+v", tc.ct, tc.body, req)
		}
		if err := f.srv.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	// A second run with ?host= and the runs list, newest first.
	code, body = post(t, base+"/api/v1/run?host=b", "", "")
	if code != http.StatusAccepted {
		t.Fatalf("POST ?host=b: %d %s", code, body)
	}
	if req := <-started; req.Host != "b" {
		t.Errorf("run request %+v, want host b", req)
	}
	if err := f.srv.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, base, "/api/v1/runs")
	runs := decode[[]RunInfo](t, body)
	if len(runs) != 4 || runs[0].Host != "b" || runs[3].Host != "a" {
		t.Errorf("runs = %+v", runs)
	}
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestPageRunNow(t *testing.T) {
	f := newFixture(t, Config{})
	base, _ := f.served(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/run", map[string][]string{"host": {"a"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/hosts/a" {
		t.Errorf("POST /run = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := f.srv.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.runs) != 1 || f.runs[0].Host != "a" {
		t.Errorf("runs %+v", f.runs)
	}
	// A form posted from another site's page is refused.
	req, _ := http.NewRequest(http.MethodPost, base+"/run", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /run = %d, want 403", resp.StatusCode)
	}
	if len(f.runs) != 1 {
		t.Errorf("a cross-site form started a run")
	}
}

func TestRunFailuresDoNotStopTheService(t *testing.T) {
	f := newFixture(t, Config{})
	var calls int
	f.run = func(ctx context.Context, req RunRequest) (RunSummary, error) {
		calls++
		switch calls {
		case 1:
			panic("nil map in the task")
		case 2:
			return RunSummary{}, errors.New("inventory: NetBox https://netbox.example.com: 403 (token s3cret-pw)")
		case 3:
			return RunSummary{Hosts: 3, OK: 2, Failed: 1, FailedHosts: []FailedHost{{Host: "c", Class: "authentication", Message: "password s3cret-pw refused"}}}, nil
		}
		return RunSummary{Hosts: 3, OK: 3}, nil
	}
	base, stop := f.served(t)
	wantStates := []RunState{StateError, StateError, StateFailed, StateOK}
	for i, want := range wantStates {
		code, body := post(t, base+"/api/v1/run", "", "")
		if code != http.StatusAccepted {
			t.Fatalf("run %d: %d %s", i+1, code, body)
		}
		if err := f.srv.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		ri, _ := f.srv.Run(int64(i + 1))
		if ri.State != want {
			t.Errorf("run %d: state %s, want %s (%+v)", i+1, ri.State, want, ri)
		}
	}
	_, body := get(t, base, "/api/v1/runs")
	if strings.Contains(body, "s3cret-pw") {
		t.Errorf("a secret in /api/v1/runs:\n%s", body)
	}
	for _, w := range []string{"the run panicked: nil map in the task", "403 (token <removed>)", "password <removed> refused"} {
		if !strings.Contains(body, w) {
			t.Errorf("no %q in /api/v1/runs:\n%s", w, body)
		}
	}
	_, body = get(t, base, "/metrics")
	for _, w := range []string{`norn_serve_runs_total{state="error",trigger="api"} 2`, `norn_serve_runs_total{state="ok",trigger="api"} 1`,
		`norn_serve_last_run_state{state="ok"} 1`, `norn_serve_last_run_hosts{result="ok"} 3`, "norn_serve_run_in_progress 0"} {
		if !strings.Contains(body, w) {
			t.Errorf("no %q in /metrics", w)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestServeStopsCleanly(t *testing.T) {
	f := newFixture(t, Config{})
	inRun := make(chan struct{})
	f.run = func(ctx context.Context, req RunRequest) (RunSummary, error) {
		close(inRun)
		<-ctx.Done() // like the backup job: stop, commit what finished, report the rest
		return RunSummary{Hosts: 3, OK: 1, NotRun: 2}, nil
	}
	base, stop := f.served(t)
	if code, body := post(t, base+"/api/v1/run", "", ""); code != http.StatusAccepted {
		t.Fatalf("POST: %d %s", code, body)
	}
	<-inRun
	if err := stop(); err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	ri, ok := f.srv.Run(1)
	if !ok || ri.State != StateCanceled || ri.Summary == nil || ri.Summary.NotRun != 2 {
		t.Errorf("run after the stop: %+v", ri)
	}
	if _, err := f.srv.Start(TriggerAPI, ""); !errors.Is(err, errStopped) {
		t.Errorf("Start after the stop: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("the server still answers after Serve returned")
	}
}

func TestSchedule(t *testing.T) {
	runs := make(chan RunRequest, 10)
	f := newFixture(t, Config{Every: time.Millisecond, Run: func(ctx context.Context, req RunRequest) (RunSummary, error) {
		select {
		case runs <- req:
		default:
		}
		return RunSummary{Hosts: 1, OK: 1}, nil
	}})
	_, stop := f.served(t)
	for range 3 {
		if req := <-runs; req.Trigger != TriggerSchedule || req.Host != "" {
			t.Errorf("scheduled run %+v", req)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFixture(t, Config{Registry: reg, Labels: func(host string) (string, string) {
		if host == "a" {
			return "ams1", "core"
		}
		return "", ""
	}})
	code, body := get(t, f.http.URL, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, w := range []string{
		`norn_host_last_success_timestamp_seconds{host="a"} 1.77237e+09`,
		`norn_host_last_success_timestamp_seconds{host="c"} 0`,
		`norn_host_never_backed_up{host="c"} 1`,
		`norn_host_consecutive_failures{host="c"} 2`,
		`norn_host_failure_info{error_class="authentication",host="c"} 1`,
		`norn_hosts 3`,
		`norn_host_info{host="a",platform="cisco_iosxe",role="core",site="ams1"} 1`,
		`norn_serve_run_in_progress 0`,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("no %q in\n%s", w, body)
		}
	}
	if strings.Contains(body, `norn_host_failure_info{error_class="",host="a"}`) || strings.Contains(body, "s3cret") {
		t.Errorf("unexpected series:\n%s", body)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	f.statusReadErrs = errors.New("disk gone")
	if code, _ := get(t, f.http.URL, "/metrics"); code != http.StatusOK {
		t.Errorf("/metrics with an unreadable status: %d (the run metrics must stay up)", code)
	}
	if _, body := get(t, f.http.URL, "/metrics"); !strings.Contains(body, "norn_host_state_errors_total 2") {
		t.Errorf("read errors not counted:\n%s", body)
	}
}

func TestNewValidates(t *testing.T) {
	ok := Config{
		Run:     func(context.Context, RunRequest) (RunSummary, error) { return RunSummary{}, nil },
		Status:  func(context.Context) ([]gitstore.HostStatus, error) { return nil, nil },
		History: &GitHistory{Dir: t.TempDir()},
	}
	for name, mut := range map[string]func(*Config){
		"Run":     func(c *Config) { c.Run = nil },
		"Status":  func(c *Config) { c.Status = nil },
		"History": func(c *Config) { c.History = nil },
	} {
		c := ok
		mut(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("New without %s: %v", name, err)
		}
	}
	// An empty repository: no commit yet is "not found", not a server error.
	s, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.cfg.History.Config(context.Background(), "a", "")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Config in a repository that does not exist: %v", err)
	}
}

// FuzzRequests sends arbitrary GET paths and queries (host names, revisions, limits, formats)
// through the handler: no panic, no server error, no secret, and every API error is JSON.
func FuzzRequests(f *testing.F) {
	for _, seed := range []string{
		"/api/v1/hosts/a/diff?rev=HEAD~1", "/api/v1/hosts/a/config?rev=0000&format=text", "/hosts/%2e%2e/config",
		"/api/v1/hosts/a/history?limit=99999999999999999999", "/hosts/c?state=x", "/api/v1/runs/-1", "/?state=<script>",
		"/api/v1/hosts/a%2Fb/diff", "/hosts/a/diff?rev=HEAD~999999", "/api/v1/hosts/%00/config",
	} {
		f.Add(seed)
	}
	fx := newFixture(f, Config{})
	h := fx.srv.Handler()
	f.Fuzz(func(t *testing.T, target string) {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1"+target, nil)
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code >= 500 {
			t.Fatalf("GET %s: %d %s", target, rec.Code, body)
		}
		if strings.Contains(body, "s3cret-pw") {
			t.Fatalf("GET %s: a secret in the answer", target)
		}
		if strings.HasPrefix(req.URL.EscapedPath(), "/api/") && rec.Code >= 400 && !json.Valid([]byte(body)) {
			t.Fatalf("GET %s: %d with a body that is not JSON: %s", target, rec.Code, body)
		}
	})
}
