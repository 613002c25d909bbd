package redact

import (
	"bytes"
	"strings"
	"testing"
)

// outsideMasks reports whether secret appears in s other than inside a mask.
func outsideMasks(s, secret string) bool {
	for _, piece := range strings.Split(s, Mask) {
		if strings.Contains(piece, secret) {
			return true
		}
	}
	return false
}

// FuzzRedactor: no panic; redacting twice changes nothing; a known secret never survives
// outside a mask, in String or through a Writer cut anywhere.
func FuzzRedactor(f *testing.F) {
	f.Add("authentication failed with password Sup3r for r1", "Sup3r", "cisco_iosxe", 5)
	f.Add("enable secret 5 $1$abc", "$1$abc", "ios", 3)
	f.Add(" authentication-key 1 md5 encrypted 073F05145B1C1D\n", "073F", "iosxr", 20)
	f.Add("snmp-server host 10.0.0.9 version 2c C0mmHost\n", "C0mm", "eos", 7)
	f.Add("aaaa", "aa", "", 1)
	f.Add("<redacted>", "red", "", 2)
	f.Add("x", " ", "junos", 0)
	f.Add("Xkey 7 foo", "X", "", 2)
	f.Add("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "AAAA", "", 9)
	f.Add("Password: hunter2\r\nrouter#", "hunter2", "nxos", 12)
	f.Add("tacacs server T1\n key 7 \"0822455D0A16\"\n", "0822", "nxos", 15)
	f.Fuzz(func(t *testing.T, text, secret, plat string, cut int) {
		r := New(secret).WithPlatform(plat)
		out := r.String(text)
		if again := r.String(out); again != out {
			t.Fatalf("not idempotent: String(%q)\n= %q\nthen %q", text, out, again)
		}
		if strings.TrimSpace(secret) != "" && secret != Mask && outsideMasks(out, secret) {
			t.Fatalf("String(%q) with secret %q = %q: secret left outside a mask", text, secret, out)
		}
		var buf bytes.Buffer
		w := NewWriter(&buf, r)
		if cut < 0 {
			cut = -cut
		}
		cut %= len(text) + 1
		_, _ = w.Write([]byte(text[:cut]))
		_, _ = w.Write([]byte(text[cut:]))
		_ = w.Close()
		if strings.TrimSpace(secret) != "" && secret != Mask && !strings.Contains(secret, "\n") && outsideMasks(buf.String(), secret) {
			t.Fatalf("Writer(%q cut at %d) with secret %q = %q: secret left outside a mask", text, cut, secret, buf.String())
		}
	})
}

// FuzzRuleset: the configuration rules of each platform never panic, are idempotent at
// every level, and keep the line count.
func FuzzRuleset(f *testing.F) {
	f.Add("enable secret 9 $9$abc$def\nusername u password 7 0822455D0A16\n", "ios", 0)
	f.Add("set system root-authentication encrypted-password \"$6$x\";\n", "junos", 1)
	f.Add("tacacs server T\n key 7 0822\n", "nxos", 2)
	f.Fuzz(func(t *testing.T, text, plat string, level int) {
		rs, _ := PlatformRuleset(plat)
		l := Level(uint(level) % 3)
		out := rs.Text(text, l, "<removed>")
		if again := rs.Text(out, l, "<removed>"); again != out {
			t.Fatalf("not idempotent at %v: %q\n-> %q\n-> %q", l, text, out, again)
		}
		if strings.Count(out, "\n") != strings.Count(text, "\n") {
			t.Fatalf("line count changed: %q -> %q", text, out)
		}
	})
}

func FuzzKeywordSet(f *testing.F) {
	f.Add("secret,password,key,key-string", "username a secret 5 x", false)
	f.Add("ab,b,abc,bc,c", "xxABcx", true)
	f.Add("aa,aaa,a", "aaaa", false)
	f.Fuzz(func(t *testing.T, list, line string, fold bool) {
		var words []string
		for _, w := range strings.Split(list, ",") {
			if w != "" && len(words) < 64 {
				words = append(words, w)
			}
		}
		if got, want := newKeywordSet(words, fold).match(line), naiveMatch(words, line, fold); got != want {
			t.Errorf("words %q line %q fold %v: %b, want %b", words, line, fold, got, want)
		}
	})
}
