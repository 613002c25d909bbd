package redact

import (
	"slices"
	"strings"
	"testing"

	"github.com/gonorn/norn/inventory"
)

func testHost() *inventory.Host {
	site := &inventory.Group{Name: "ams1", Data: map[string]any{"snmp_community": "C0mmun1ty!"},
		ConnectionOptions: map[string]*inventory.ConnectionOptions{
			"netmiko": {Extras: map[string]any{"secret": "N3tm1koEnable"}},
		}}
	h := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Password: "Sup3rS3cret", Platform: "cisco_iosxe"},
		Groups: []*inventory.Group{site},
		Data:   map[string]any{"site": "ams1", "api_token": "tok-123456"},
		ConnectionOptions: map[string]*inventory.ConnectionOptions{
			"scrapli": {Extras: map[string]any{"auth_secondary": "En4bleS3cret", "auth_strict_key": false}},
			"custom":  {Password: "CustomPw99"},
		}}
	inventory.New([]*inventory.Host{h}, []*inventory.Group{site}, &inventory.Defaults{
		ConnectionOptions: map[string]*inventory.ConnectionOptions{"netconf": {Password: "Netc0nfPw"}},
	})
	return h
}

func TestHostSecrets(t *testing.T) {
	got := HostSecrets(testHost())
	for _, want := range []string{"Sup3rS3cret", "En4bleS3cret", "N3tm1koEnable", "CustomPw99", "Netc0nfPw", "C0mmun1ty!", "tok-123456"} {
		found := false
		for _, s := range got {
			found = found || s == want
		}
		if !found {
			t.Errorf("HostSecrets lacks %q: %q", want, got)
		}
	}
	for _, s := range got {
		if s == "ams1" || s == "r1" || s == "false" {
			t.Errorf("HostSecrets holds a non-secret %q", s)
		}
	}
	if HostSecrets(nil) != nil {
		t.Error("HostSecrets(nil) not nil")
	}
}

func TestRedactorHostSecrets(t *testing.T) {
	r := Host(testHost())
	msg := `r1: authentication failed for admin/Sup3rS3cret; enable En4bleS3cret rejected; ` +
		`community C0mmun1ty! unknown; netconf Netc0nfPw`
	got := r.String(msg)
	for _, s := range []string{"Sup3rS3cret", "En4bleS3cret", "C0mmun1ty!", "Netc0nfPw"} {
		if strings.Contains(got, s) {
			t.Errorf("%q left in %q", s, got)
		}
	}
	if !strings.HasPrefix(got, "r1: authentication failed for admin/"+Mask) {
		t.Errorf("context lost: %q", got)
	}
}

func TestPatterns(t *testing.T) {
	for _, tc := range []struct{ in, secret string }{
		{"enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "$1$mERr$hx5rVt7rPNoS4wqbXKX7m0"},
		{"enable password cisco123", "cisco123"},
		{"username admin privilege 15 secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM", "$9$nhEmQVczB7dqsO"},
		{"% Invalid input: username netops password 0 Plain.Pw", "Plain.Pw"},
		{" password 7 0822455D0A16", "0822455D0A16"},
		{"% bad line: enable secret 5 $1$mid$line here", "$1$mid$line"},
		{"cli: username x secret 9 $9$xx and password 7 0955 rest", "0955"},
		{"tacacs-server host 10.0.0.1 key 7 045802150C2E", "045802150C2E"},
		{"radius-server key MyRadiusKey", "MyRadiusKey"},
		{" key-string 7 110A1016141D", "110A1016141D"},
		{"snmp-server community PUBL1C RO", "PUBL1C"},
		{"snmp community s3cr3tcomm ro", "s3cr3tcomm"},
		{`set system root-authentication encrypted-password "$6$abc$def"`, "$6$abc$def"},
		{`authentication-key "$9$xyzzy"`, "$9$xyzzy"},
		{"dial https://netops:Hunter2@netbox.example.com/api failed", "Hunter2"},
		{"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"},
		{"Authorization: Token 0123456789abcdef0123456789abcdef01234567", "0123456789abcdef"},
		{`{"password": "p@ss word"}`, "p@ss word"},
		{"password=hunter2&user=x", "hunter2"},
		{"api_key: AbCdEf123456", "AbCdEf123456"},
		{"auth_secondary=EnableMe", "EnableMe"},
		{"token xoxb-1234-5678-abcdefgh", "xoxb-1234"},
		{"secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAA"},
	} {
		got := String(tc.in)
		if strings.Contains(got, tc.secret) || !strings.Contains(got, Mask) {
			t.Errorf("String(%q) = %q, still holds %q", tc.in, got, tc.secret)
		}
	}
	// Ordinary error messages keep their meaning.
	for _, keep := range []string{
		"dial tcp 127.0.0.1:22: connect: connection refused",
		"ssh: handshake failed: ssh: unable to authenticate, attempted methods [none password]",
		"show running-config: timed out after 30s waiting for prompt",
		"context deadline exceeded",
	} {
		if got := String(keep); got != keep {
			t.Errorf("String(%q) = %q, want it unchanged", keep, got)
		}
	}
}

func TestIsSecretName(t *testing.T) {
	for _, n := range []string{"password", "enable_secret", "snmp-community", "api_token", "auth_secondary", "private_key", "apikey"} {
		if !IsSecretName(n) {
			t.Errorf("IsSecretName(%q) = false", n)
		}
	}
	for _, n := range []string{"site", "role", "platform", "tenant", "region"} {
		if IsSecretName(n) {
			t.Errorf("IsSecretName(%q) = true", n)
		}
	}
}

func TestURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		keep bool
		want string
	}{
		{"https://hooks.slack.com/services/T000/B000/XXXXSECRET", false, "https://hooks.slack.com/services/..."},
		{"https://user:pw@am.example:9093/api/v2/alerts?token=abc#x", true, "https://am.example:9093/api/v2/alerts?..."},
		{"http://127.0.0.1:8080", false, "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/hook", false, "http://127.0.0.1:8080/hook"},
		{"not a url", true, "<invalid URL>"},
	} {
		if got := URL(tc.in, tc.keep); got != tc.want {
			t.Errorf("URL(%q, %v) = %q, want %q", tc.in, tc.keep, got, tc.want)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add("authentication failed with password Sup3r for r1", "Sup3r")
	f.Add("enable secret 5 $1$abc", "$1$abc")
	f.Add("aaaa", "aa")
	f.Add("<redacted>", "red")
	f.Add("x", " ")
	f.Fuzz(func(t *testing.T, text, secret string) {
		out := String(text, secret)
		if strings.TrimSpace(secret) == "" {
			return
		}
		// The secret may appear inside a mask only.
		for _, piece := range strings.Split(out, Mask) {
			if strings.Contains(piece, secret) {
				t.Fatalf("String(%q, %q) = %q: secret left outside a mask", text, secret, out)
			}
		}
	})
}

func BenchmarkHostRedact(b *testing.B) {
	h := testHost()
	msg := "r1: show running-config: dial tcp 192.0.2.1:22: connect: connection timed out after 30s"
	b.ReportAllocs()
	for b.Loop() {
		_ = Host(h).String(msg)
	}
}

func TestHostSecretsFromDefaultsOnly(t *testing.T) {
	d := &inventory.Defaults{
		ConnectionOptions: map[string]*inventory.ConnectionOptions{"napalm": {Password: "DefConnPw1"}},
		Data:              map[string]any{"snmp_ro_community": "DefCommunity1"},
	}
	h := &inventory.Host{Name: "r1"}
	inventory.New([]*inventory.Host{h}, nil, d)
	got := HostSecrets(h)
	for _, want := range []string{"DefConnPw1", "DefCommunity1"} {
		if !slices.Contains(got, want) {
			t.Errorf("HostSecrets misses %q set only in the defaults: %q", want, got)
		}
	}
}
