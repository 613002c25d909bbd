package netbox_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory_plugins/netbox"
	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// loadErr loads and requires an error: no inventory, an *netbox.Error naming the URL.
func loadErr(t *testing.T, srv *netboxtest.Server, cfg netbox.Config) *netbox.Error {
	t.Helper()
	inv, err := load(t, srv, cfg)
	if err == nil || inv != nil {
		t.Fatalf("Load: inventory %v, error %v; want no inventory and an error", inv, err)
	}
	var nbErr *netbox.Error
	if !errors.As(err, &nbErr) {
		t.Fatalf("error %T %v is not a *netbox.Error", err, err)
	}
	if !strings.Contains(err.Error(), nbErr.URL) || !strings.HasPrefix(nbErr.URL, "http") {
		t.Fatalf("error %q does not name the URL %q", err, nbErr.URL)
	}
	for _, secret := range []string{token, tokenV2} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q holds the token", err)
		}
	}
	return nbErr
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	src, err := netbox.New(netbox.Config{URL: "http://" + addr, Token: token, Retries: 2, RetryWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.CloseIdleConnections()
	inv, err := src.Load(context.Background())
	var nbErr *netbox.Error
	if inv != nil || !errors.As(err, &nbErr) {
		t.Fatalf("Load: %v, %v", inv, err)
	}
	if nbErr.StatusCode != 0 || nbErr.Attempts != 3 || !strings.Contains(nbErr.Message, "connection refused") ||
		!strings.Contains(err.Error(), "http://"+addr+"/api/dcim/devices/?exclude=config_context&limit=1000&offset=0") {
		t.Fatalf("unreachable: %+v\n%v", nbErr, err)
	}
}

func TestTLS(t *testing.T) {
	srv := fake(t, netboxtest.Config{TLS: true})
	srv.AddDevices(netboxtest.Device{Name: "r1", PrimaryIP4: "192.0.2.1/32"})

	// Verification is on by default: httptest's certificate is not trusted. Retrying cannot
	// fix it, so there is one attempt.
	e := loadErr(t, srv, netbox.Config{})
	if !strings.Contains(e.Message, "certificate") || e.Attempts != 1 || !strings.HasPrefix(e.URL, "https://") {
		t.Fatalf("TLS failure: %+v", e)
	}

	// With the CA bundle it works.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if inv := mustLoad(t, srv, netbox.Config{CAFile: ca}); inv.Len() != 1 {
		t.Fatalf("with CAFile: %d hosts", inv.Len())
	}
	if inv := mustLoad(t, srv, netbox.Config{InsecureSkipVerify: true}); inv.Len() != 1 {
		t.Fatalf("with InsecureSkipVerify: %d hosts", inv.Len())
	}
	// A file without a certificate is refused at New.
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := netbox.New(netbox.Config{URL: srv.URL, CAFile: bad}); err == nil || !strings.Contains(err.Error(), "bad.pem") {
		t.Fatalf("bad CA file: %v", err)
	}
}

func TestForbidden(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{Name: "r1"})
	e := loadErr(t, srv, netbox.Config{Token: "ffffffffffffffffffffffffffffffffffffffff"})
	if e.StatusCode != 403 || e.Message != "Invalid token" || e.Attempts != 1 {
		t.Fatalf("invalid token: %+v", e)
	}
	t.Setenv("NB_TOKEN", "")
	t.Setenv("NETBOX_TOKEN", "")
	e = loadErr(t, srv, netbox.Config{TokenFunc: func(context.Context) (string, error) { return "", nil }})
	if e.StatusCode != 403 || e.Message != "Authentication credentials were not provided." {
		t.Fatalf("no token: %+v", e)
	}
	// A v2 token on a NetBox before 4.5: NetBox ignores the Bearer header; the error says why.
	e = loadErr(t, srv, netbox.Config{Token: tokenV2})
	if !strings.Contains(e.Message, "need NetBox 4.5 or later") {
		t.Fatalf("v2 token on 4.2: %+v", e)
	}
	srv45 := fake(t, netboxtest.Config{Version: "4.5.0"})
	e = loadErr(t, srv45, netbox.Config{Token: "nbt_AbCdEf123456.wrong"})
	if e.Message != "Invalid v2 token" {
		t.Fatalf("wrong v2 token on 4.5: %+v", e)
	}
}

func TestBadFilter(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{Name: "r1", Site: "ams1"})
	e := loadErr(t, srv, netbox.Config{Devices: netbox.Filter{Site: []string{"ams1", "nowhere"}, Status: []string{"broken"}}})
	want := "site: Select a valid choice. nowhere is not one of the available choices.; status: Select a valid choice. broken is not one of the available choices."
	if e.StatusCode != 400 || e.Message != want || e.Attempts != 1 {
		t.Fatalf("400: %+v\nwant message %q", e, want)
	}
	if !strings.Contains(e.URL, "site=ams1&site=nowhere") {
		t.Fatalf("URL %s", e.URL)
	}
}

func TestMalformedJSON(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{Name: "r1", PrimaryIP4: "192.0.2.1/32"})

	// Once: retried, the load succeeds.
	srv.InjectFault(netboxtest.Fault{Times: 1, Malformed: true})
	if inv := mustLoad(t, srv, netbox.Config{}); inv.Len() != 1 {
		t.Fatalf("%d hosts", inv.Len())
	}
	// Always: an error after the retries.
	srv.InjectFault(netboxtest.Fault{Malformed: true})
	e := loadErr(t, srv, netbox.Config{Retries: 2})
	if !strings.Contains(e.Message, "malformed JSON") || e.Attempts != 3 || e.StatusCode != 200 {
		t.Fatalf("malformed: %+v", e)
	}
	srv.ClearFaults()

	// Valid JSON of the wrong shape is not retried.
	srv.InjectFault(netboxtest.Fault{Status: 200, Body: `{"count": "many", "results": 5}`})
	e = loadErr(t, srv, netbox.Config{})
	if !strings.Contains(e.Message, "malformed JSON") {
		t.Fatalf("wrong shape: %+v", e)
	}
	srv.ClearFaults()

	// An HTML page with status 200 (a login portal in front of NetBox) is not retried.
	srv.InjectFault(netboxtest.Fault{Status: 200, Body: "<html><head><title>Sign in</title></head><body>SSO</body></html>"})
	e = loadErr(t, srv, netbox.Config{})
	if e.Attempts != 1 || !strings.Contains(e.Message, `not NetBox API JSON`) || !strings.Contains(e.Message, `"Sign in"`) {
		t.Fatalf("HTML: %+v", e)
	}
}

func TestPageFailingAfterRetries(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddFleet(netboxtest.Generate(25, 0, 5))
	srv.InjectFault(netboxtest.Fault{Match: netboxtest.MatchOffset("/api/dcim/devices/", 20), Status: 502})
	e := loadErr(t, srv, netbox.Config{Retries: 2, PageSize: 10})
	if e.StatusCode != 502 || e.Attempts != 3 || !strings.Contains(e.URL, "offset=20") || !strings.Contains(e.Message, `"502 Bad Gateway"`) {
		t.Fatalf("failing page: %+v", e)
	}
	n := 0
	for _, r := range srv.Requests() {
		if r.Query.Get("offset") == "20" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("the failing page was asked %d times, want 3", n)
	}
}

func TestServerErrorsRetried(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddFleet(netboxtest.Generate(15, 0, 5))
	srv.InjectFault(netboxtest.Fault{Match: netboxtest.MatchOffset("/api/dcim/devices/", 10), Times: 2, Status: 503})
	srv.InjectFault(netboxtest.Fault{Match: netboxtest.MatchOffset("/api/dcim/devices/", 0), Times: 1, Status: 500})
	if inv := mustLoad(t, srv, netbox.Config{PageSize: 10}); inv.Len() != 15 {
		t.Fatalf("%d hosts", inv.Len())
	}
	// NetBox's own 500 body gives the message.
	srv.InjectFault(netboxtest.Fault{Status: 500})
	e := loadErr(t, srv, netbox.Config{Retries: -1})
	if e.Attempts != 1 || !strings.HasPrefix(e.Message, "OperationalError: server closed the connection") {
		t.Fatalf("500: %+v", e)
	}
}

func TestRetryAfter(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{Name: "r1", PrimaryIP4: "192.0.2.1/32"})
	srv.InjectFault(netboxtest.Fault{Times: 1, Status: 429, Header: http.Header{"Retry-After": {"1"}}})
	// Retry-After: 1 is honoured, capped at MaxRetryWait: the wait logged is 300ms, not the
	// computed 1ms (±20%).
	var buf bytes.Buffer
	log := zerolog.New(zerolog.SyncWriter(&buf))
	inv := mustLoad(t, srv, netbox.Config{RetryWait: time.Millisecond, MaxRetryWait: 300 * time.Millisecond, Logger: &log})
	if inv.Len() != 1 || !strings.Contains(buf.String(), `"wait":300,`) || strings.Count(buf.String(), "netbox: retrying") != 1 {
		t.Fatalf("429: %d hosts, log %s (want one retry after 300ms)", inv.Len(), buf.String())
	}
	srv.InjectFault(netboxtest.Fault{Status: 429})
	e := loadErr(t, srv, netbox.Config{Retries: 1})
	if e.StatusCode != 429 || e.Message != "Request was throttled." || e.Attempts != 2 {
		t.Fatalf("429: %+v", e)
	}
}

func TestTimeout(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddDevices(netboxtest.Device{Name: "r1", PrimaryIP4: "192.0.2.1/32"})
	srv.InjectFault(netboxtest.Fault{Times: 1, Hang: true})
	// A hung request times out and is retried.
	if inv := mustLoad(t, srv, netbox.Config{Timeout: 100 * time.Millisecond}); inv.Len() != 1 {
		t.Fatalf("%d hosts", inv.Len())
	}
	srv.InjectFault(netboxtest.Fault{Hang: true})
	e := loadErr(t, srv, netbox.Config{Timeout: 50 * time.Millisecond, Retries: 1})
	if e.Attempts != 2 || !strings.Contains(e.Message, "no answer within 50ms") {
		t.Fatalf("timeout: %+v", e)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.InjectFault(netboxtest.Fault{Status: 302, Header: http.Header{"Location": {"http://127.0.0.2:1/steal"}}})
	e := loadErr(t, srv, netbox.Config{})
	if !strings.Contains(e.Message, "redirected to http://127.0.0.2:1/steal") || e.Attempts != 1 {
		t.Fatalf("redirect: %+v", e)
	}
}

func TestDataChangedDuringLoad(t *testing.T) {
	srv := fake(t, netboxtest.Config{})
	srv.AddFleet(netboxtest.Generate(15, 0, 5))
	// A device is added while the second page is asked for: the list is read again.
	srv.InjectFault(netboxtest.Fault{Match: netboxtest.MatchOffset("/api/dcim/devices/", 10), Times: 1,
		Before: func() { srv.AddDevices(netboxtest.Device{Name: "aaa-new"}) }})
	inv := mustLoad(t, srv, netbox.Config{PageSize: 10})
	if inv.Len() != 16 {
		t.Fatalf("%d hosts, want 16", inv.Len())
	}
	// Changing on every read: an error, no inventory.
	var n atomic.Int32
	srv.InjectFault(netboxtest.Fault{Match: netboxtest.MatchOffset("/api/dcim/devices/", 10),
		Before: func() { srv.AddDevices(netboxtest.Device{Name: "zz-" + string(rune('a'+n.Add(1)))}) }})
	inv, err := load(t, srv, netbox.Config{PageSize: 10})
	if inv != nil || !errors.Is(err, netbox.ErrInconsistent) {
		t.Fatalf("always changing: %v, %v", inv, err)
	}
}

func TestTokens(t *testing.T) {
	srv := fake(t, netboxtest.Config{Version: "4.5.0"})
	srv.AddDevices(netboxtest.Device{Name: "r1", PrimaryIP4: "192.0.2.1/32"})
	lastAuth := func() string { r := srv.Requests(); return r[len(r)-1].Authorization }

	t.Setenv("NETBOX_TOKEN", token)
	t.Setenv("NB_TOKEN", "")
	src, err := netbox.New(netbox.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer src.CloseIdleConnections()
	if _, err := src.Load(context.Background()); err != nil || lastAuth() != "Token "+token {
		t.Fatalf("NETBOX_TOKEN: %v, %q", err, lastAuth())
	}
	t.Setenv("NB_TOKEN", tokenV2) // NB_TOKEN wins, and is read at each Load
	if _, err := src.Load(context.Background()); err != nil || lastAuth() != "Bearer "+tokenV2 {
		t.Fatalf("NB_TOKEN: %v, %q", err, lastAuth())
	}
	// Config.Token wins over the environment.
	if _, err := load(t, srv, netbox.Config{Token: token}); err != nil || lastAuth() != "Token "+token {
		t.Fatalf("Config.Token: %v, %q", err, lastAuth())
	}
	// A bad token from the environment is refused without being echoed.
	t.Setenv("NB_TOKEN", "nbt_secretwithoutdot")
	if _, err := src.Load(context.Background()); err == nil || strings.Contains(err.Error(), "secretwithoutdot") {
		t.Fatalf("bad env token: %v", err)
	}
}

func TestTokenRotationBetweenLoads(t *testing.T) {
	srv := fake(t, netboxtest.Config{Version: "4.5.0"})
	srv.AddDevices(netboxtest.Device{Name: "r1", PrimaryIP4: "192.0.2.1/32"})
	var current atomic.Value
	current.Store(tokenV2)
	src, err := netbox.New(netbox.Config{URL: srv.URL, TokenFunc: func(context.Context) (string, error) { return current.Load().(string), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer src.CloseIdleConnections()
	if _, err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	// NetBox revokes the token and issues a new one; the vault hands out the new one.
	const rotated = "nbt_NewKey000001.n3wS3cretValue0123456789abcdefghijklmnopq"
	srv.SetTokens(rotated)
	if _, err := src.Load(context.Background()); err == nil {
		t.Fatal("load with the revoked token succeeded")
	}
	current.Store(rotated)
	inv, err := src.Load(context.Background())
	if err != nil || inv.Len() != 1 {
		t.Fatalf("after rotation: %v", err)
	}
	// TokenFunc's error stops the load.
	src2, _ := netbox.New(netbox.Config{URL: srv.URL, TokenFunc: func(context.Context) (string, error) { return "", errors.New("vault sealed") }})
	if _, err := src2.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "vault sealed") {
		t.Fatalf("TokenFunc error: %v", err)
	}
}

func TestTokenNeverLogged(t *testing.T) {
	srv := fake(t, netboxtest.Config{Version: "4.5.0"})
	srv.AddFleet(netboxtest.Generate(12, 0, 2))
	// NetBox (or a proxy) echoing the header must not leak it either.
	srv.InjectFault(netboxtest.Fault{Times: 1, Status: 503, Body: `{"detail": "upstream rejected Bearer ` + tokenV2 + `"}`})
	var buf bytes.Buffer
	log := zerolog.New(zerolog.SyncWriter(&buf)).Level(zerolog.DebugLevel)
	_, err := load(t, srv, netbox.Config{Token: tokenV2, Logger: &log, PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(netboxtest.Fault{Status: 503, Body: `{"detail": "upstream rejected Bearer ` + tokenV2 + `"}`})
	_, err = load(t, srv, netbox.Config{Token: tokenV2, Logger: &log, Retries: 1})
	if err == nil || !strings.Contains(err.Error(), "upstream rejected Bearer <redacted>") {
		t.Fatalf("echoed token: %v", err)
	}
	out := buf.String()
	if !strings.Contains(out, `"message":"netbox: GET"`) || !strings.Contains(out, "netbox: retrying") {
		t.Fatalf("expected debug and retry lines, got:\n%s", out)
	}
	for _, secret := range []string{tokenV2, "s3cr3tV2tokenValue"} {
		if strings.Contains(out, secret) || strings.Contains(err.Error(), secret) {
			t.Fatalf("the token reached the log or the error:\n%s\n%v", out, err)
		}
	}
}
