package netboxtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const v1 = "0123456789abcdef0123456789abcdef01234567"

type listPage struct {
	Count    int               `json:"count"`
	Next     *string           `json:"next"`
	Previous *string           `json:"previous"`
	Results  []json.RawMessage `json:"results"`
}

// get fetches path with the header auth ("" for none) and returns status and body.
func get(t *testing.T, srv *netboxtest.Server, path, auth string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func getPage(t *testing.T, srv *netboxtest.Server, path string) listPage {
	t.Helper()
	code, body := get(t, srv, path, "Token "+v1)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	var p listPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
	return p
}

func newFleetServer(t *testing.T, cfg netboxtest.Config, devices int) *netboxtest.Server {
	t.Helper()
	if cfg.Tokens == nil {
		cfg.Tokens = []string{v1}
	}
	srv := netboxtest.NewServer(cfg)
	t.Cleanup(srv.Close)
	srv.AddFleet(netboxtest.Generate(devices, 3, 7))
	return srv
}

func TestPaginationAsNetBox(t *testing.T) {
	srv := newFleetServer(t, netboxtest.Config{}, 1234)
	base := srv.URL + "/api/dcim/devices/"

	p := getPage(t, srv, "/api/dcim/devices/")
	if p.Count != 1234 || len(p.Results) != 50 || p.Previous != nil {
		t.Fatalf("default page: count %d, %d results, previous %v", p.Count, len(p.Results), p.Previous)
	}
	if want := base + "?limit=50&offset=50"; p.Next == nil || *p.Next != want {
		t.Fatalf("next = %v, want %s", p.Next, want)
	}

	// limit=0 is MAX_PAGE_SIZE; a larger limit is capped to it; next carries the effective
	// limit and the query re-encoded with sorted keys.
	p = getPage(t, srv, "/api/dcim/devices/?site=ams1&limit=0&exclude=config_context&site=fra1")
	if len(p.Results) != p.Count || p.Next != nil {
		t.Fatalf("limit=0 with %d matches: %d results, next %v", p.Count, len(p.Results), p.Next)
	}
	p = getPage(t, srv, "/api/dcim/devices/?status=active&limit=5000&exclude=config_context&q=a+b")
	if len(p.Results) > 1000 {
		t.Fatalf("limit 5000 gave %d results", len(p.Results))
	}
	p = getPage(t, srv, "/api/dcim/devices/?tag=backup&limit=0&exclude=config_context&offset=0")
	if p.Count > 1000 && (p.Next == nil || *p.Next != base+"?exclude=config_context&limit=1000&offset=1000&tag=backup") {
		t.Fatalf("next = %v", *p.Next)
	}
	p = getPage(t, srv, "/api/dcim/devices/?limit=1000&z=1&a=x%20y&offset=0")
	if want := base + "?a=x+y&limit=1000&offset=1000&z=1"; p.Next == nil || *p.Next != want {
		t.Fatalf("next = %v, want %s", p.Next, want)
	}

	// Previous: the offset is removed when it would reach 0.
	p = getPage(t, srv, "/api/dcim/devices/?limit=100&offset=150")
	if want := base + "?limit=100&offset=50"; p.Previous == nil || *p.Previous != want {
		t.Fatalf("previous = %v, want %s", p.Previous, want)
	}
	p = getPage(t, srv, "/api/dcim/devices/?limit=100&offset=100")
	if want := base + "?limit=100"; p.Previous == nil || *p.Previous != want {
		t.Fatalf("previous = %v, want %s", p.Previous, want)
	}
	// Last page: no next.
	p = getPage(t, srv, "/api/dcim/devices/?limit=1000&offset=1000")
	if len(p.Results) != 234 || p.Next != nil {
		t.Fatalf("last page: %d results, next %v", len(p.Results), p.Next)
	}
	// Past the end: empty results, count unchanged.
	p = getPage(t, srv, "/api/dcim/devices/?limit=10&offset=5000")
	if len(p.Results) != 0 || p.Count != 1234 || p.Next != nil {
		t.Fatalf("past the end: %d results, count %d, next %v", len(p.Results), p.Count, p.Next)
	}
	// An invalid limit or offset is ignored (default limit, offset 0).
	p = getPage(t, srv, "/api/dcim/devices/?limit=abc&offset=-5")
	if len(p.Results) != 50 || p.Previous != nil {
		t.Fatalf("invalid limit/offset: %d results, previous %v", len(p.Results), p.Previous)
	}
}

func TestPublicHostInLinks(t *testing.T) {
	srv := newFleetServer(t, netboxtest.Config{PublicHost: "netbox.internal:8080"}, 60)
	p := getPage(t, srv, "/api/dcim/devices/")
	if p.Next == nil || !strings.HasPrefix(*p.Next, "http://netbox.internal:8080/api/dcim/devices/?") {
		t.Fatalf("next = %v", p.Next)
	}
	if !strings.Contains(string(p.Results[0]), `"url":"http://netbox.internal:8080/api/dcim/devices/`) {
		t.Fatalf("url field does not use the public host: %.200s", p.Results[0])
	}
}

func TestMaxPageSizeUnlimited(t *testing.T) {
	srv := newFleetServer(t, netboxtest.Config{MaxPageSize: -1, PaginateCount: 10}, 1500)
	p := getPage(t, srv, "/api/dcim/devices/?limit=0")
	if len(p.Results) != 1500 || p.Next != nil {
		t.Fatalf("limit=0 without MAX_PAGE_SIZE: %d results, next %v", len(p.Results), p.Next)
	}
	p = getPage(t, srv, "/api/dcim/devices/")
	if len(p.Results) != 10 {
		t.Fatalf("PAGINATE_COUNT 10: %d results", len(p.Results))
	}
}

func TestAuthentication(t *testing.T) {
	const v2 = "nbt_abcdefABCDEF.0123456789abcdefghijABCDEFGHIJ0123456789ab"
	cases := []struct {
		version, auth string
		code          int
		detail        string
	}{
		{"4.2.9", "", 403, "Authentication credentials were not provided."},
		{"4.2.9", "Token " + v1, 200, ""},
		{"4.2.9", "token " + v1, 200, ""},
		{"4.2.9", "Token wrong", 403, "Invalid token"},
		{"4.2.9", "Token", 403, "Invalid token header. No credentials provided."},
		{"4.2.9", "Token a b", 403, "Invalid token header. Token string should not contain spaces."},
		{"4.2.9", "Bearer " + v2, 403, "Authentication credentials were not provided."},
		{"3.7.8", "Token nope", 403, "Invalid token"},
		{"4.5.0", "Token " + v1, 200, ""},
		{"4.5.0", "Bearer " + v2, 200, ""},
		{"4.5.0", "Token " + v2, 200, ""},
		{"4.5.0", "Bearer nbt_abcdefABCDEF.wrong", 403, "Invalid v2 token"},
		{"4.5.0", "Bearer nbt_nodot", 403, "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?"},
		{"4.5.0", "Token wrong", 403, "Invalid v1 token"},
		{"4.5.0", "Bearer a b", 403, `Invalid authorization header: Must be in the form "Bearer <key>.<token>" or "Token <token>"`},
		{"4.5.0", "Basic dXNlcjpwYXNz", 403, "Authentication credentials were not provided."},
	}
	for _, c := range cases {
		srv := netboxtest.NewServer(netboxtest.Config{Version: c.version, Tokens: []string{v1, v2}})
		code, body := get(t, srv, "/api/dcim/devices/", c.auth)
		srv.Close()
		if code != c.code {
			t.Errorf("%s %q: status %d, want %d (%s)", c.version, c.auth, code, c.code, body)
			continue
		}
		if c.detail != "" {
			var d struct{ Detail string }
			if err := json.Unmarshal(body, &d); err != nil || d.Detail != c.detail {
				t.Errorf("%s %q: body %s, want detail %q", c.version, c.auth, body, c.detail)
			}
		}
	}
}

func TestTokenRotation(t *testing.T) {
	srv := newFleetServer(t, netboxtest.Config{}, 1)
	if code, _ := get(t, srv, "/api/status/", "Token "+v1); code != 200 {
		t.Fatalf("status %d", code)
	}
	srv.SetTokens("ffffffffffffffffffffffffffffffffffffffff")
	if code, _ := get(t, srv, "/api/status/", "Token "+v1); code != 403 {
		t.Fatalf("revoked token: status %d", code)
	}
	if code, _ := get(t, srv, "/api/status/", "Token ffffffffffffffffffffffffffffffffffffffff"); code != 200 {
		t.Fatalf("new token: status %d", code)
	}
}

func TestStatus(t *testing.T) {
	for _, v := range []string{"3.7.8", "4.2.9", "4.5.0"} {
		srv := netboxtest.NewServer(netboxtest.Config{Version: v, AllowAnonymous: true})
		code, body := get(t, srv, "/api/status/", "")
		srv.Close()
		var st map[string]any
		if err := json.Unmarshal(body, &st); err != nil || code != 200 || st["netbox-version"] != v {
			t.Errorf("%s: %d %s", v, code, body)
		}
	}
}

func TestFilterErrorsAs400(t *testing.T) {
	srv := newFleetServer(t, netboxtest.Config{}, 10)
	cases := map[string]string{
		"site=nowhere":              `{"site":["Select a valid choice. nowhere is not one of the available choices."]}`,
		"site=ams1&site=nowhere":    `{"site":["Select a valid choice. nowhere is not one of the available choices."]}`,
		"status=broken":             `{"status":["Select a valid choice. broken is not one of the available choices."]}`,
		"status__n=broken":          `{"status__n":["Select a valid choice. broken is not one of the available choices."]}`,
		"tag=backup&tag=nope":       `{"tag":["Select a valid choice. nope is not one of the available choices."]}`,
		"id=x":                      `{"id":["Enter a whole number."]}`,
		"role=nope&tenant=nope":     `{"tenant":["Select a valid choice. nope is not one of the available choices."],"role":["Select a valid choice. nope is not one of the available choices."]}`,
		"region=atlantis&limit=100": `{"region":["Select a valid choice. atlantis is not one of the available choices."]}`,
	}
	for q, want := range cases {
		code, body := get(t, srv, "/api/dcim/devices/?"+q, "Token "+v1)
		if code != 400 || string(body) != want {
			t.Errorf("%s: %d %s, want 400 %s", q, code, body, want)
		}
	}
	// Unknown parameters are ignored.
	p := getPage(t, srv, "/api/dcim/devices/?no_such_filter=1&cf_no_such_field=2")
	if p.Count != 10 {
		t.Fatalf("unknown parameters filtered: count %d", p.Count)
	}
}

func TestFilters(t *testing.T) {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true})
	defer srv.Close()
	srv.AddRegions(netboxtest.Region{Slug: "europe"}, netboxtest.Region{Slug: "nl", Parent: "europe"}, netboxtest.Region{Slug: "us"})
	srv.AddSites(netboxtest.Site{Slug: "ams1", Region: "nl"}, netboxtest.Site{Slug: "nyc1", Region: "us"})
	srv.AddDevices(
		netboxtest.Device{Name: "r1", Site: "ams1", Role: "core", Platform: "ios", Tags: []string{"a", "b"}, Tenant: "t1", Location: "hall-1", CustomFields: map[string]any{"backup": true, "tier": "gold"}, Serial: "SN-ONE"},
		netboxtest.Device{Name: "r2", Site: "ams1", Role: "edge", Platform: "junos", Tags: []string{"a"}, Status: "planned", CustomFields: map[string]any{"tier": "silver"}, PrimaryIP4: "192.0.2.7/32"},
		netboxtest.Device{Name: "r3", Site: "nyc1", Role: "core", Platform: "ios", Tags: []string{"b"}, Tenant: "t1"},
	)
	names := func(q string) string {
		t.Helper()
		code, body := get(t, srv, "/api/dcim/devices/?"+q, "")
		if code != 200 {
			t.Fatalf("%s: %d %s", q, code, body)
		}
		var p struct {
			Results []struct{ Name string }
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range p.Results {
			out = append(out, r.Name)
		}
		return strings.Join(out, ",")
	}
	for q, want := range map[string]string{
		"status=planned&status=active":       "r1,r2,r3",
		"status__n=planned":                  "r1,r3",
		"status__n=active&status__n=planned": "",
		"site=ams1":                          "r1,r2",
		"site=ams1&site=nyc1":                "r1,r2,r3",
		"role=core":                          "r1,r3",
		"platform=junos":                     "r2",
		"tag=a":                              "r1,r2",
		"tag=a&tag=b":                        "r1",
		"status=planned":                     "r2",
		"status=active":                      "r1,r3",
		"tenant=t1":                          "r1,r3",
		"region=europe":                      "r1,r2",
		"region=us":                          "r3",
		"location=hall-1":                    "r1",
		"q=sn-one":                           "r1",
		"q=192.0.2":                          "r2",
		"cf_tier=gold":                       "r1",
		"cf_tier=gold&cf_tier=silver":        "r1,r2",
		"cf_backup=true":                     "r1",
		"site=ams1&role=core":                "r1",
		"name=R2":                            "r2",
	} {
		if got := names(q); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
}

func TestShapesByVersion(t *testing.T) {
	dev := netboxtest.Device{Name: "r1", Site: "ams1", Role: "core", Platform: "ios", PrimaryIP4: "192.0.2.1/32", ConfigContext: map[string]any{"ntp": "192.0.2.9"}}
	type shape struct {
		Role       json.RawMessage `json:"role"`
		DeviceRole json.RawMessage `json:"device_role"`
		PrimaryIP4 struct {
			Family json.RawMessage `json:"family"`
		} `json:"primary_ip4"`
		ConfigContext json.RawMessage `json:"config_context"`
		DisplayURL    *string         `json:"display_url"`
	}
	decode := func(version, q string) (shape, string) {
		srv := netboxtest.NewServer(netboxtest.Config{Version: version, AllowAnonymous: true})
		defer srv.Close()
		srv.AddDevices(dev)
		_, body := get(t, srv, "/api/dcim/devices/?"+q, "")
		var p struct{ Results []json.RawMessage }
		if err := json.Unmarshal(body, &p); err != nil || len(p.Results) != 1 {
			t.Fatalf("%s: %v %s", version, err, body)
		}
		var s shape
		if err := json.Unmarshal(p.Results[0], &s); err != nil {
			t.Fatal(err)
		}
		return s, string(p.Results[0])
	}

	s, raw := decode("3.7.8", "")
	if s.Role == nil || s.DeviceRole == nil || string(s.PrimaryIP4.Family) != "4" || s.DisplayURL != nil {
		t.Errorf("3.7 shape: %s", raw)
	}
	if strings.Contains(string(s.Role), "description") {
		t.Errorf("3.7 nested objects have no description: %s", s.Role)
	}
	s, raw = decode("3.5.9", "")
	if s.Role != nil || s.DeviceRole == nil {
		t.Errorf("3.5 shape has device_role only: %s", raw)
	}
	s, raw = decode("4.2.9", "")
	if s.Role == nil || s.DeviceRole != nil || string(s.PrimaryIP4.Family) != `{"value":4,"label":"IPv4"}` || s.DisplayURL == nil {
		t.Errorf("4.2 shape: %s", raw)
	}
	if string(s.ConfigContext) != `{"ntp":"192.0.2.9"}` {
		t.Errorf("config_context = %s", s.ConfigContext)
	}
	s, _ = decode("4.2.9", "exclude=config_context")
	if s.ConfigContext != nil {
		t.Errorf("exclude=config_context still has config_context")
	}
	s, raw = decode("4.5.0", "")
	if !strings.Contains(string(s.Role), `"_depth":0`) || !strings.Contains(raw, `"owner":null`) {
		t.Errorf("4.5 shape: %s", raw)
	}
}

func TestUnnamedDeviceDisplay(t *testing.T) {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true})
	defer srv.Close()
	srv.AddManufacturers(netboxtest.Manufacturer{Slug: "cisco", Name: "Cisco"})
	srv.AddDeviceTypes(netboxtest.DeviceType{Slug: "isr4331", Model: "ISR4331", Manufacturer: "cisco"})
	ids := srv.AddDevices(netboxtest.Device{DeviceType: "isr4331"}, netboxtest.Device{Name: "r9", AssetTag: "A-1"})
	_, body := get(t, srv, "/api/dcim/devices/", "")
	for _, want := range []string{`"display":"Cisco ISR4331 (` + itoa(ids[0]) + `)","name":null`, `"display":"r9 (A-1)","name":"r9"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %s in %s", want, body)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestFaults(t *testing.T) {
	srv := newFleetServer(t, netboxtest.Config{}, 30)
	srv.InjectFault(netboxtest.Fault{Match: netboxtest.MatchPath("/api/dcim/devices/"), Skip: 1, Times: 2, Status: 502})
	codes := []int{}
	for i := 0; i < 4; i++ {
		code, _ := get(t, srv, "/api/dcim/devices/", "Token "+v1)
		codes = append(codes, code)
	}
	if got := codes; got[0] != 200 || got[1] != 502 || got[2] != 502 || got[3] != 200 {
		t.Fatalf("codes %v, want [200 502 502 200]", got)
	}
	srv.ClearFaults()

	srv.InjectFault(netboxtest.Fault{Times: 1, Malformed: true})
	code, body := get(t, srv, "/api/dcim/devices/", "Token "+v1)
	if code != 200 || json.Valid(body) {
		t.Fatalf("malformed: %d valid=%v", code, json.Valid(body))
	}

	srv.InjectFault(netboxtest.Fault{Times: 1, Status: 429, Header: http.Header{"Retry-After": {"1"}}})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/status/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("429: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	// Hang: held until the client gives up.
	srv.InjectFault(netboxtest.Fault{Times: 1, Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/status/", nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("hang: request answered")
	}
	if time.Since(start) < 90*time.Millisecond {
		t.Fatal("hang: returned before the client's deadline")
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestRoutes(t *testing.T) {
	srv := newFleetServer(t, netboxtest.Config{}, 3)
	code, body := get(t, srv, "/api/dcim/devices?limit=1", "Token "+v1)
	if code != http.StatusMovedPermanently {
		t.Fatalf("no trailing slash: %d %s", code, body)
	}
	code, body = get(t, srv, "/api/dcim/nothing/", "Token "+v1)
	if code != 404 || !strings.Contains(string(body), "<html") {
		t.Fatalf("unknown path: %d %s", code, body)
	}
	code, body = get(t, srv, "/api/dcim/devices/999999/", "Token "+v1)
	if code != 404 || string(body) != `{"detail":"No Device matches the given query."}` {
		t.Fatalf("missing device: %d %s", code, body)
	}
	code, _ = get(t, srv, "/api/dcim/devices/1/", "Token "+v1)
	if code != 200 {
		t.Fatalf("device 1: %d", code)
	}
	code, body = get(t, srv, "/api/ipam/ip-addresses/?dns_name__empty=false", "Token "+v1)
	if code != 200 || !strings.Contains(string(body), `"dns_name":"`) || strings.Contains(string(body), `"dns_name":""`) {
		t.Fatalf("ip addresses with a DNS name: %d %.300s", code, body)
	}
}

func TestGenerateSize(t *testing.T) {
	srv := newFleetServer(t, netboxtest.Config{}, 200)
	_, body := get(t, srv, "/api/dcim/devices/?limit=200&exclude=config_context", "Token "+v1)
	per := len(body) / 200
	if per < 2000 || per > 3500 {
		t.Fatalf("a generated 4.x device is %d bytes of JSON, want about 2.5 KB", per)
	}
	// Deterministic.
	a, b := netboxtest.Generate(50, 5, 9), netboxtest.Generate(50, 5, 9)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("Generate is not deterministic")
	}
}
