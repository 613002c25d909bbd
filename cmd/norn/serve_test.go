package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/serve"
)

// served is `norn serve` running in the test on a fixture.
type served struct {
	srv    *serve.Server
	base   string
	cancel context.CancelFunc
	done   chan int
	stdout *bytes.Buffer
	stderr *lockedWriter // over a *bytes.Buffer
}

// errText returns what the service wrote on stderr so far.
func (s *served) errText() string {
	s.stderr.mu.Lock()
	defer s.stderr.mu.Unlock()
	return s.stderr.w.(*bytes.Buffer).String()
}

// serve starts `norn serve` on f's inventory and repository, on demand only.
func (f *fixture) serve(t *testing.T, args ...string) *served {
	t.Helper()
	t.Setenv(serveTokenEnv, "")
	all := append([]string{"-inventory", f.inv, "-out", f.out, "-retry-wait", "10ms", "-timeout", "20s",
		"-listen", "127.0.0.1:0", "-every", "0"}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{cancel: cancel, done: make(chan int, 1), stdout: &bytes.Buffer{}, stderr: &lockedWriter{w: &bytes.Buffer{}}}
	ready := make(chan struct{})
	go func() {
		s.done <- serveWith(ctx, all, s.stdout, s.stderr, func(srv *serve.Server, addr net.Addr) {
			s.srv, s.base = srv, "http://"+addr.String()
			close(ready)
		})
	}()
	select {
	case <-ready:
	case code := <-s.done:
		cancel()
		t.Fatalf("norn serve exited with %d before serving:\n%s", code, s.errText())
	}
	t.Cleanup(func() {
		s.stop(t)
		http.DefaultClient.CloseIdleConnections() // no client goroutine left for goleak
	})
	return s
}

// stop stops the service as SIGTERM does (the command's context is cancelled) and returns
// its exit status.
func (s *served) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	code, ok := <-s.done
	if ok {
		close(s.done)
	}
	return code
}

func (s *served) do(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
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
	noSecrets(t, method+" "+path, string(b))
	return resp.StatusCode, string(b)
}

// runNow starts a run through the API, waits for its end and returns it.
func (s *served) runNow(t *testing.T, query string) serve.RunInfo {
	t.Helper()
	code, body := s.do(t, http.MethodPost, "/api/v1/run"+query)
	if code != http.StatusAccepted {
		t.Fatalf("POST /api/v1/run%s: %d %s", query, code, body)
	}
	var ri serve.RunInfo
	if err := json.Unmarshal([]byte(body), &ri); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body = s.do(t, http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", ri.ID))
	if code != http.StatusOK {
		t.Fatalf("GET run %d: %d %s", ri.ID, code, body)
	}
	ri = serve.RunInfo{}
	if err := json.Unmarshal([]byte(body), &ri); err != nil {
		t.Fatal(err)
	}
	return ri
}

// TestServeRunsBackups: runs on demand commit, the API shows each host's status, configuration
// and last change from git, a failing host's reason, and a SIGTERM stops the service (exit 0).
func TestServeRunsBackups(t *testing.T) {
	f := newFixture(t, 4, map[int]devsim.FaultKind{1: devsim.FaultRejectAuth})
	s := f.serve(t)

	ri := s.runNow(t, "")
	if ri.State != serve.StateFailed || ri.Summary == nil || ri.Summary.OK != 3 || ri.Summary.Failed != 1 ||
		len(ri.Summary.FailedHosts) != 1 || ri.Summary.FailedHosts[0].Host != f.names[1] || ri.Summary.FailedHosts[0].Class != "authentication" {
		t.Fatalf("first run: %+v\nstderr:\n%s", ri, s.errText())
	}
	cs := commits(t, f.out)
	if len(cs) != 1 || cs[0].Hash.String() != ri.Summary.Commit {
		t.Fatalf("commits %v, want one: the run's %s", cs, ri.Summary.Commit)
	}

	code, body := s.do(t, http.MethodGet, "/api/v1/hosts")
	var hosts []struct {
		Host, State string
	}
	if err := json.Unmarshal([]byte(body), &hosts); err != nil || code != http.StatusOK {
		t.Fatalf("hosts: %d %v %s", code, err, body)
	}
	if len(hosts) != 4 {
		t.Errorf("%d hosts, want 4: %s", len(hosts), body)
	}
	for _, h := range hosts {
		wantState := "ok"
		if h.Host == f.names[1] {
			wantState = "never"
		}
		if h.State != wantState {
			t.Errorf("host %s: state %s, want %s", h.Host, h.State, wantState)
		}
	}
	if code, body = s.do(t, http.MethodGet, "/api/v1/hosts/"+f.names[1]+"/config"); code != http.StatusNotFound {
		t.Errorf("config of the failing host: %d %s", code, body)
	}
	if code, body = s.do(t, http.MethodGet, "/api/v1/hosts/no-such-host/config"); code != http.StatusNotFound {
		t.Errorf("config of an unknown host: %d %s", code, body)
	}
	code, body = s.do(t, http.MethodGet, "/api/v1/hosts/"+f.names[0]+"/config?format=text")
	stored, err := os.ReadFile(configFile(f, f.names[0]))
	if err != nil || code != http.StatusOK || body != string(stored) {
		t.Errorf("config of %s: %d, %d bytes, want the stored %d bytes (%v)", f.names[0], code, len(body), len(stored), err)
	}

	// A change on one device, backed up on demand for that host alone.
	dev, _ := f.fleet.Device(f.names[0])
	if err := dev.Configure("snmp-server location norn-serve-test"); err != nil {
		t.Fatal(err)
	}
	ri = s.runNow(t, "?host="+f.names[0])
	if ri.State != serve.StateOK || ri.Summary.Hosts != 1 || ri.Summary.Changed != 1 || ri.Summary.Commit == "" {
		t.Fatalf("one-host run: %+v", ri)
	}
	code, body = s.do(t, http.MethodGet, "/api/v1/hosts/"+f.names[0]+"/diff?format=text")
	if code != http.StatusOK || !strings.Contains(body, "+snmp-server location norn-serve-test\n") {
		t.Errorf("diff of %s: %d\n%s", f.names[0], code, body)
	}
	code, body = s.do(t, http.MethodGet, "/hosts/"+f.names[0])
	if code != http.StatusOK || !strings.Contains(body, "/diff?rev="+ri.Summary.Commit) || !strings.Contains(body, "/diff?rev="+cs[0].Hash.String()) {
		t.Errorf("host page of %s does not link both changes: %d\n%s", f.names[0], code, body)
	}
	code, body = s.do(t, http.MethodGet, "/metrics")
	if code != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`norn_host_failure_info{error_class="authentication",host=%q} 1`, f.names[1])) ||
		!strings.Contains(body, `norn_serve_runs_total{state="ok",trigger="api"} 1`) {
		t.Errorf("metrics:\n%s", body)
	}
	mustMatch(t, "metrics", `norn_host_info\{host="`+f.names[0]+`",platform="[a-z_]+",role="[a-z]+",site="[a-z]+"\} 1`, body)
	if code, body = s.do(t, http.MethodGet, "/"); code != http.StatusOK || !strings.Contains(body, f.names[1]) {
		t.Errorf("index page: %d", code)
	}

	if code := s.stop(t); code != exitOK {
		t.Errorf("exit %d after the stop, want 0\n%s", code, s.errText())
	}
	if !strings.Contains(s.stdout.String(), "norn serve: http://127.0.0.1:") {
		t.Errorf("stdout: %s", s.stdout.String())
	}
}

// TestServeStopDuringRun: stopping the service while a host hangs cancels the run; the hosts
// that finished are committed, the run is recorded as canceled, and the command exits 0.
func TestServeStopDuringRun(t *testing.T) {
	f := newFixture(t, 4, map[int]devsim.FaultKind{2: devsim.FaultHangOnConnect})
	s := f.serve(t, "-timeout", "5m", "-retries", "1")
	code, body := s.do(t, http.MethodPost, "/api/v1/run")
	if code != http.StatusAccepted {
		t.Fatalf("POST: %d %s", code, body)
	}
	// Wait until the three healthy hosts are stored (the hung one holds the run).
	for done := false; !done; {
		done = true
		for i, name := range f.names {
			if _, err := os.Stat(configFile(f, name)); i != 2 && err != nil {
				done = false
			}
		}
		if code, body := s.do(t, http.MethodPost, "/api/v1/run"); code != http.StatusConflict {
			t.Fatalf("POST during the run: %d %s", code, body)
		}
		time.Sleep(10 * time.Millisecond) // polling, not a timing assertion
	}
	if code := s.stop(t); code != exitOK {
		t.Errorf("exit %d, want 0\n%s", code, s.errText())
	}
	ri, ok := s.srv.Run(1)
	if !ok || ri.State != serve.StateCanceled || ri.Summary == nil || ri.Summary.OK != 3 || ri.Summary.NotRun != 1 {
		t.Errorf("run after the stop: %+v\n%s", ri, s.errText())
	}
	if cs := commits(t, f.out); len(cs) != 1 || !strings.Contains(cs[0].Message, "3 changed") {
		t.Errorf("commits after the stop: %v", cs)
	}
}

func TestServeUsage(t *testing.T) {
	t.Setenv(serveTokenEnv, "")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-listen", "0.0.0.0:0"}, exitUsage, "set $NORN_SERVE_TOKEN or -token-file"},
		{[]string{"-listen", ":9469"}, exitUsage, "-listen :9469: reachable beyond this machine"},
		{[]string{"-every", "-1m"}, exitUsage, "-every -1m0s: want 0"},
		{[]string{"-metrics-listen", "127.0.0.1:0"}, exitUsage, "serve serves /metrics"},
		{[]string{"-dry-run"}, exitUsage, "-dry-run"},
		{[]string{"-token-file", "/nonexistent/token"}, exitUsage, "-token-file: open /nonexistent/token"},
		{[]string{"-workers", "0"}, exitUsage, "-workers 0"},
		{[]string{"-h"}, exitOK, "Usage: norn serve"},
	} {
		var stdout, stderr bytes.Buffer
		code := dispatch(context.Background(), append([]string{"serve"}, tc.args...), &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("serve %v: exit %d, want %d with %q:\n%s", tc.args, code, tc.code, tc.want, out)
		}
	}
}

func TestSplitServeArgs(t *testing.T) {
	s, b := splitServeArgs([]string{"-fleet", "20", "-listen", "127.0.0.1:1", "-v", "--every=5m", "-out", "x", "-token-file", "t", "--", "-listen"})
	if got, want := fmt.Sprint(s), "[-listen 127.0.0.1:1 --every=5m -token-file t]"; got != want {
		t.Errorf("serve args %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(b), "[-fleet 20 -v -out x -listen]"; got != want {
		t.Errorf("backup args %s, want %s", got, want)
	}
}

// TestServeTokenFile: with -token-file the API wants the token, even on loopback; /healthz
// does not.
func TestServeTokenFile(t *testing.T) {
	f := newFixture(t, 1, nil)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("tok-81c2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := f.serve(t, "-token-file", tokenFile)
	for _, tc := range []struct {
		path, auth string
		code       int
	}{
		{"/api/v1/hosts", "", http.StatusUnauthorized},
		{"/api/v1/hosts", "Bearer tok-81c2x", http.StatusUnauthorized},
		{"/api/v1/hosts", "Bearer tok-81c2", http.StatusOK},
		{"/healthz", "", http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, s.base+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("GET %s (%q): %d, want %d", tc.path, tc.auth, resp.StatusCode, tc.code)
		}
	}
	if !strings.Contains(s.stdout.String(), "token required") {
		t.Errorf("stdout does not say a token is required: %s", s.stdout.String())
	}
}

// serve.* settings come from the environment (or norn.yaml) where the command line says nothing.
func TestServeSettingsFromEnvironment(t *testing.T) {
	t.Setenv("NORN_SERVE_LISTEN", "0.0.0.0:0")
	t.Setenv(serveTokenEnv, "")
	var stderr bytes.Buffer
	code := serveCmd(context.Background(), []string{"-inventory", t.TempDir(), "-out", t.TempDir()}, &bytes.Buffer{}, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "-listen 0.0.0.0:0: reachable beyond this machine") {
		t.Fatalf("NORN_SERVE_LISTEN=0.0.0.0:0 without a token: exit %d, %q; want exit 2 refusing the address", code, stderr.String())
	}
	t.Setenv("NORN_SERVE_EVERY", "-1m")
	stderr.Reset()
	if code := serveCmd(context.Background(), []string{"-inventory", t.TempDir()}, &bytes.Buffer{}, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "NORN_SERVE_EVERY") {
		t.Fatalf("NORN_SERVE_EVERY=-1m: exit %d, %q; want exit 2 naming the variable", code, stderr.String())
	}
}
