package redact

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/platform"
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
		if !slices.Contains(got, want) {
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

func TestHostRedactor(t *testing.T) {
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
	if r.platform != "cisco_iosxe" {
		t.Errorf("Host's redactor platform %q, want the host's", r.platform)
	}
}

// TestForms: secrets recognised by their shape, whatever the platform.
func TestForms(t *testing.T) {
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
		{"error in: radius-server host 10.1.1.1 key MyRadiusKey2", "MyRadiusKey2"},
		{" key-string 7 110A1016141D", "110A1016141D"},
		{"snmp-server community PUBL1C RO", "PUBL1C"},
		{"snmp community s3cr3tcomm ro", "s3cr3tcomm"},
		{"snmp-server host 10.0.0.9 version 2c C0mmHost", "C0mmHost"},
		{`set system root-authentication encrypted-password "$6$abc$def"`, "$6$abc$def"},
		{`authentication-key "$9$xyzzy"`, "$9$xyzzy"},
		{"dial https://netops:Hunter2@netbox.example.com/api failed", "Hunter2"},
		{"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"},
		{"Authorization: Token 0123456789abcdef0123456789abcdef01234567", "0123456789abcdef"},
		{"GET /api/dcim/devices/?limit=50&token=0123456789abcdef HTTP/1.1", "0123456789abcdef"},
		{`{"password": "p@ss word"}`, "p@ss word"},
		{"password=hunter2&user=x", "hunter2"},
		{"api_key: AbCdEf123456", "AbCdEf123456"},
		{"X-Api-Key: AbCdEf654321", "AbCdEf654321"},
		{"auth_secondary=EnableMe", "EnableMe"},
		{"token xoxb-1234-5678-abcdefgh", "xoxb-1234"},
		{"secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"signed with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE"},
		{"netbox token nbt_abcdEFGH.12345678 refused", "nbt_abcdEFGH"},
		{"<rpc-reply><encrypted-password>$6$salt$hash</encrypted-password>", "$6$salt$hash"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAAZZZZ\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAA"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAAZZZZ\n-----END OPENSSH PRIVATE KEY-----", "AAAAZZZZ"},
		{"key: -----BEGIN RSA PRIVATE KEY----- MIIEpAIBAAKCAQEA -----END RSA PRIVATE KEY----- done", "MIIEpAIBAAKCAQEA"},
	} {
		got := String(tc.in)
		if strings.Contains(got, tc.secret) || !strings.Contains(got, Mask) {
			t.Errorf("String(%q) = %q, still holds %q", tc.in, got, tc.secret)
		}
	}
	// Ordinary messages keep their meaning.
	for _, keep := range []string{
		"dial tcp 127.0.0.1:22: connect: connection refused",
		"ssh: handshake failed: ssh: unable to authenticate, attempted methods [none password]",
		"show running-config: timed out after 30s waiting for prompt",
		"context deadline exceeded",
		"host r1: no backup profile for platform \"foo\" (known: arista_eos, cisco_iosxe)",
		"aaa authorization exec default group tacacs+ local",
		"service password-encryption",
		"interface GigabitEthernet1\n description uplink to core\n ip address 10.0.0.1 255.255.255.0",
	} {
		if got := String(keep); got != keep {
			t.Errorf("String(%q) = %q, want it unchanged", keep, got)
		}
	}
}

// TestRightWord: the value is masked, never the word before it (issue 16: the session log
// replaced "md5" and kept the key).
func TestRightWord(t *testing.T) {
	for _, tc := range []struct{ platform, in, want string }{
		{"cisco_iosxr", " authentication-key 1 md5 encrypted 073F05145B1C1D", " authentication-key 1 md5 encrypted <redacted>"},
		{"", " authentication-key 1 md5 encrypted 073F05145B1C1D", " authentication-key 1 md5 encrypted <redacted>"},
		{"ios", "ntp authentication-key 1 md5 121A0C0411045D5679 7", "ntp authentication-key 1 md5 <redacted> 7"},
		{"eos", "ntp authentication-key 1 md5 7 121A0C0411045D5679", "ntp authentication-key 1 md5 7 <redacted>"},
		{"iosxr", "   message-digest-key 1 md5 encrypted 0822455D0A16", "   message-digest-key 1 md5 encrypted <redacted>"},
		{"ios", "snmp-server host 10.0.0.9 version 2c C0mmHost", "snmp-server host 10.0.0.9 version 2c <redacted>"},
		{"nxos", `  key 7 "0822455D0A16"`, `  key 7 "<redacted>"`},
		{"junos", `        authentication-key "$9$abcDEF"; ## SECRET-DATA`, `        authentication-key "<redacted>"; ## SECRET-DATA`},
	} {
		if got := New().WithPlatform(tc.platform).String(tc.in); got != tc.want {
			t.Errorf("%s: String(%q)\n got %q\nwant %q", tc.platform, tc.in, got, tc.want)
		}
	}
}

func TestRules(t *testing.T) {
	if len(Rules("ios")) == 0 || len(Rules("ios")) != len(Rules("cisco_iosxe")) || len(Rules("Cisco-IOS-XE")) != len(Rules("cisco_iosxe")) {
		t.Errorf("Rules does not resolve aliases: %d %d", len(Rules("ios")), len(Rules("cisco_iosxe")))
	}
	if Rules("nokia_srl") != nil || Rules("no such os") != nil {
		t.Error("Rules of a platform without rules is not nil")
	}
	want := []string{platform.AristaEOS, platform.CiscoIOSXE, platform.CiscoIOSXR, platform.CiscoNXOS, platform.JuniperJunos}
	if got := Platforms(); !slices.Equal(got, want) {
		t.Errorf("Platforms() = %q, want %q", got, want)
	}
	rs := Rules("junos")
	rs[0].Name = "changed"
	if Rules("junos")[0].Name == "changed" {
		t.Error("Rules returns a shared slice")
	}
	if _, ok := PlatformRuleset("nokia_srl"); ok {
		t.Error("PlatformRuleset(nokia_srl) claims rules")
	}
	if _, err := Compile(Rule{Name: "bad", Pattern: `(`}); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("Compile of a bad pattern: %v", err)
	}
	if _, err := Compile(Rule{Name: "nogroup", Pattern: `x`}); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("Compile of a pattern without a secret group: %v", err)
	}
}

// TestLevels: hashes are kept at Reversible, nothing is removed at Off but the literals.
func TestLevels(t *testing.T) {
	rs, _ := PlatformRuleset("cisco_iosxe")
	cfg := "enable secret 9 $9$abc$def\nusername u password 7 0822455D0A16\nhostname Pw-1\n"
	if got, want := rs.Text(cfg, All, "<removed>"), "enable secret 9 <removed>\nusername u password 7 <removed>\nhostname Pw-1\n"; got != want {
		t.Errorf("All:\n%s", got)
	}
	if got, want := rs.Text(cfg, Reversible, "<removed>"), "enable secret 9 $9$abc$def\nusername u password 7 <removed>\nhostname Pw-1\n"; got != want {
		t.Errorf("Reversible:\n%s", got)
	}
	if got, want := rs.Text(cfg, Off, "<removed>", "Pw-1"), "enable secret 9 $9$abc$def\nusername u password 7 0822455D0A16\nhostname <removed>\n"; got != want {
		t.Errorf("Off with a literal:\n%s", got)
	}
	for _, s := range []string{"all", "reversible", "off"} {
		l, err := ParseLevel(s)
		if err != nil || l.String() != s {
			t.Errorf("ParseLevel(%q) = %v, %v", s, l, err)
		}
		var u Level
		b, _ := l.MarshalText()
		if err := u.UnmarshalText(b); err != nil || u != l {
			t.Errorf("text round trip of %v: %v %v", l, u, err)
		}
	}
	if _, err := ParseLevel("some"); err == nil {
		t.Error("ParseLevel(some) accepted")
	}
}

// goldenSecrets reads the backup task's realistic raw outputs and their secrets.
func goldenSecrets(t *testing.T, p string) (raw string, secrets []string) {
	t.Helper()
	dir := filepath.Join("..", "tasks", "backup", "testdata")
	b, err := os.ReadFile(filepath.Join(dir, p+".raw"))
	if err != nil {
		t.Skipf("no golden input: %v", err)
	}
	s, err := os.ReadFile(filepath.Join(dir, p+".secrets"))
	if err != nil {
		t.Skipf("no golden secrets: %v", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(s)), "\n") {
		if _, v, ok := strings.Cut(l, " "); ok {
			secrets = append(secrets, v)
		}
	}
	return string(b), secrets
}

// removedBy returns the values a configuration redaction removed, line by line.
func removedBy(t *testing.T, orig, redacted, mask string) []string {
	t.Helper()
	ol, rl := strings.Split(orig, "\n"), strings.Split(redacted, "\n")
	if len(ol) != len(rl) {
		t.Fatalf("redaction changed the line count: %d -> %d", len(ol), len(rl))
	}
	var out []string
	for i := range ol {
		if ol[i] == rl[i] {
			continue
		}
		parts := strings.Split(rl[i], mask)
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		m := regexp.MustCompile(`^` + strings.Join(parts, `(.+?)`) + `$`).FindStringSubmatch(ol[i])
		if m == nil {
			t.Fatalf("cannot align %q with %q", ol[i], rl[i])
		}
		out = append(out, m[1:]...)
	}
	return out
}

// TestAtLeastBackup: a Redactor (and its Writer, at every split of the stream) removes every
// secret the backup's rules remove at level All, on the golden raw outputs and on devsim's
// generated configurations of the five platforms.
func TestAtLeastBackup(t *testing.T) {
	for _, p := range Platforms() {
		t.Run(p, func(t *testing.T) {
			raw, secrets := goldenSecrets(t, p)
			d, err := devsim.Start(devsim.DeviceConfig{Name: "r1", Platform: devsim.Platform(p), Seed: 3, ConfigSize: 30000})
			if err != nil {
				t.Fatal(err)
			}
			gen := d.RunningConfig()
			_ = d.Close()
			rs, _ := PlatformRuleset(p)
			for what, text := range map[string]string{"golden": raw, "devsim": gen} {
				want := removedBy(t, text, rs.Text(text, All, "<removed>"), "<removed>")
				if what == "golden" {
					want = append(want, secrets...)
				}
				if len(want) < 5 {
					t.Fatalf("%s: only %d secrets in the %s configuration", p, len(want), what)
				}
				var buf bytes.Buffer
				w := NewWriter(&buf, New().WithPlatform(p))
				for i := 0; i < len(text); i += 37 { // odd-sized writes cut lines and secrets
					_, _ = w.Write([]byte(text[i:min(i+37, len(text))]))
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				for name, out := range map[string]string{"String": New().WithPlatform(p).String(text), "Writer": buf.String(),
					"String (no platform)": New().String(text)} {
					for _, s := range want {
						if strings.Contains(out, s) {
							t.Errorf("%s %s: %s leaves %q", p, what, name, s)
						}
					}
				}
				if buf.String() != New().WithPlatform(p).String(text) {
					t.Errorf("%s %s: Writer and String differ", p, what)
				}
			}
		})
	}
}

// TestWriterSplits: wherever a stream is cut, the Writer writes what String gives for the
// whole, literal secrets and prompts included.
func TestWriterSplits(t *testing.T) {
	r := New("S3cretPass", "en4ble!").WithPlatform("ios")
	text := "csr1#enable\nPassword: en4ble!\ncsr1#show run\nusername a secret 0 S3cretPass\n" +
		" snmp-server community PUBLIC RO\n-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\ncsr1#"
	var whole bytes.Buffer
	w := NewWriter(&whole, r)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	for _, s := range []string{"S3cretPass", "en4ble!", "PUBLIC", "MIIEabc"} {
		if strings.Contains(whole.String(), s) {
			t.Fatalf("%q in %q", s, whole.String())
		}
	}
	if !strings.HasSuffix(whole.String(), "csr1#") || !strings.Contains(whole.String(), "csr1#show run\n") {
		t.Errorf("prompt lost: %q", whole.String())
	}
	for i := 1; i < len(text); i++ {
		for j := i; j < len(text); j += 11 {
			var buf bytes.Buffer
			w := NewWriter(&buf, r)
			_, _ = w.Write([]byte(text[:i]))
			_, _ = w.Write([]byte(text[i:j]))
			_, _ = w.Write([]byte(text[j:]))
			_ = w.Close()
			if buf.String() != whole.String() {
				t.Fatalf("cut at %d, %d:\n%q\nwant\n%q", i, j, buf.String(), whole.String())
			}
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, os.ErrPermission
}

func TestWriterErrors(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw, nil)
	if _, err := w.Write([]byte("a\n")); err == nil {
		t.Error("write error not reported")
	}
	if _, err := w.Write([]byte("b\n")); err == nil || fw.n != 1 {
		t.Errorf("second write: %v after %d writes", err, fw.n)
	}
	if err := w.Close(); err == nil {
		t.Error("Close does not report the write error")
	}
	if n, err := w.Write([]byte("c")); err != nil || n != 1 || fw.n != 1 {
		t.Errorf("write after Close: %d, %v (%d writes); want it discarded", n, err, fw.n)
	}
	// A line longer than MaxLine is written up to its last blank.
	var buf bytes.Buffer
	w = NewWriter(&buf, New("TopS3cret"))
	long := strings.Repeat("x", MaxLine) + " TopS3cret more"
	_, _ = w.Write([]byte(long))
	if buf.Len() == 0 {
		t.Error("a line longer than MaxLine is held back")
	}
	_ = w.Close()
	if strings.Contains(buf.String(), "TopS3cret") {
		t.Error("secret of a long line left")
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

// naiveMatch is what keywordSet.match computes, the slow way.
func naiveMatch(words []string, line string, fold bool) uint64 {
	var found uint64
	if fold {
		line = strings.ToLower(line)
	}
	for i, w := range words {
		if fold {
			w = strings.ToLower(w)
		}
		if strings.Contains(line, w) {
			found |= 1 << uint(i)
		}
	}
	return found
}

func TestKeywordSet(t *testing.T) {
	words := []string{"secret", "password", "key", "key-string", "community", "md5", "sec", "ret", "authentication-key", "$9$", "pre-shared-key"}
	for _, fold := range []bool{false, true} {
		ks := newKeywordSet(words, fold)
		for _, line := range []string{
			"", "username admin secret 5 $1$abc", " snmp-server community public RO", "ip ospf message-digest-key 1 md5 7 0822455D0A16",
			"  key-string 7 0822455D0A16", "authentication-key \"$9$abc\"; ## SECRET-DATA", "secre", "secr3t", "ret", "keykey",
			"crypto isakmp key pre-shared-key address 0.0.0.0", "no match at all here", "SECRET PASSWORD", "passwor", "pass word", "Key-String",
		} {
			if got, want := ks.match(line), naiveMatch(words, line, fold); got != want {
				t.Errorf("fold %v: match(%q) = %b, want %b", fold, line, got, want)
			}
		}
	}
	if got := newKeywordSet(nil, false).match("anything"); got != 0 {
		t.Errorf("empty set matched %b", got)
	}
}

func TestWithSecrets(t *testing.T) {
	base := New("first-secret").WithPlatform("junos")
	r := base.WithSecrets("second-secret", "")
	if got := r.String("first-secret second-secret"); got != Mask+" "+Mask {
		t.Errorf("WithSecrets: %q", got)
	}
	if got := base.String("second-secret"); got != "second-secret" {
		t.Errorf("WithSecrets changed its receiver: %q", got)
	}
	if r.platform != "junos" || !slices.Equal(r.Secrets(), []string{"second-secret", "first-secret"}) {
		t.Errorf("WithSecrets lost the platform or the order: %q %q", r.platform, r.Secrets())
	}
	var nilR *Redactor
	if got := nilR.String("password=x1"); got != "password="+Mask {
		t.Errorf("nil Redactor: %q", got)
	}
	if got := Host(nil).String("token=abcdefgh"); got != "token="+Mask {
		t.Errorf("Host(nil): %q", got)
	}
}
