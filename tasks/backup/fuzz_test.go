package backup

import (
	"os"
	"strings"
	"testing"
)

// fuzzTemplates are configuration snippets carrying a secret (%s), per platform family. Each
// starts at a top-level line, so the text around it cannot change its section.
var fuzzTemplates = map[string][]string{
	"cisco": {
		"enable secret 0 %s",
		"enable password %s",
		"username u1 privilege 15 password 0 %s",
		"username u2 privilege 15 secret 9 %s",
		"snmp-server community %s RO",
		"snmp-server host 192.0.2.1 version 2c %s",
		"snmp-server user u1 g1 v3 auth sha %s priv aes 128 %s",
		"tacacs-server host 192.0.2.1 key 7 %s",
		"tacacs-server key %s",
		"radius-server host 192.0.2.2 auth-port 1812 key 7 %s",
		"tacacs server T1\n address ipv4 192.0.2.1\n key 7 %s",
		"aaa group server tacacs+ G\n server-private 192.0.2.1 key %s",
		"key chain K\n key 1\n  key-string 7 %s",
		"router bgp 65000\n neighbor 192.0.2.1 password 7 %s",
		"router bgp 65000\n neighbor 192.0.2.1\n  password 3 %s",
		"interface Gi1\n ip ospf authentication-key 7 %s",
		"interface Gi1\n ip ospf message-digest-key 1 md5 7 %s",
		"interface Gi1\n standby 1 authentication md5 key-string %s",
		"crypto isakmp key %s address 192.0.2.9",
		"crypto keyring R\n  pre-shared-key address 192.0.2.9 key %s",
		"line vty 0 4\n password 7 %s",
		"ntp authentication-key 1 md5 %s 7",
	},
	"junos": {
		"system {\n    root-authentication {\n        encrypted-password \"%s\"; ## SECRET-DATA\n    }\n}",
		"system {\n    tacplus-server {\n        192.0.2.1 secret \"%s\"; ## SECRET-DATA\n    }\n}",
		"snmp {\n    community %s {\n        authorization read-only;\n    }\n}",
		"protocols {\n    bgp {\n        group G {\n            authentication-key \"%s\";\n        }\n    }\n}",
		"security {\n    ike {\n        policy P {\n            pre-shared-key ascii-text \"%s\";\n        }\n    }\n}",
	},
}

func fuzzFamily(platform string) string {
	if platform == "juniper_junos" {
		return "junos"
	}
	return "cisco"
}

// fuzzSecret reports whether s makes a realistic secret token for the property check: 8 to 64
// printable characters without blanks, quotes or braces, with a letter and a digit (so that it
// is not a keyword such as "encrypted").
func fuzzSecret(s string) bool {
	if len(s) < 8 || len(s) > 64 || strings.Contains(s, Placeholder) {
		return false
	}
	letter, digit := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
			digit = true
		case strings.IndexByte("!@#%^&*()_+=.,:/?~-$", c) >= 0:
		default:
			return false
		}
	}
	return letter && digit
}

// FuzzClean feeds arbitrary device output to every platform's Clean, Redact and Check (they
// must never panic), and checks that a secret put in any known secret-bearing line, amid
// arbitrary output, never survives RedactAll.
func FuzzClean(f *testing.F) {
	for i, p := range goldenPlatforms {
		raw, err := os.ReadFile("testdata/" + p + ".raw")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, []byte("S3cret-Value-9"), uint8(i), uint8(i*3))
	}
	f.Add([]byte(" --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bhostname r1\r\n\x1b[7mend\x1b[0m\nr1#"), []byte("abc123xyz"), uint8(0), uint8(7))
	f.Add([]byte("---(more 45%)---\r                \rsystem {\n"), []byte("$9$abc123"), uint8(4), uint8(1))
	f.Add([]byte(""), []byte("p4ssw0rd!"), uint8(1), uint8(4))

	ps := DefaultProfiles()
	profiles := make([]*Profile, len(goldenPlatforms))
	for i, name := range goldenPlatforms {
		profiles[i], _ = ps.Lookup(name)
	}
	f.Fuzz(func(t *testing.T, noise, secret []byte, platform, template uint8) {
		p := profiles[int(platform)%len(profiles)]
		in := string(noise)
		for _, level := range []RedactLevel{RedactAll, RedactReversible, RedactOff} {
			out := p.Redact(p.Clean(in), level, string(secret))
			_ = p.Check(in, out)
		}

		s := string(secret)
		if !fuzzSecret(s) || strings.Contains(in, s) {
			return
		}
		tpls := fuzzTemplates[fuzzFamily(p.Platform)]
		tpl := tpls[int(template)%len(tpls)]
		if strings.Contains(strings.ReplaceAll(tpl, "%s", "\x00"), s) {
			return
		}
		raw := in + "\n" + strings.ReplaceAll(tpl, "%s", s) + "\n" + in
		out := p.Redact(p.Clean(raw), RedactAll)
		if strings.Contains(out, s) {
			t.Fatalf("%s: secret %q survived RedactAll in template %q:\n%s", p.Platform, s, tpl, out)
		}
	})
}

// TestSecretTemplates is FuzzClean's property on a fixed grid: every template, several secret
// shapes, every platform of its family, with and without surrounding output.
func TestSecretTemplates(t *testing.T) {
	ps := DefaultProfiles()
	secrets := []string{"S3cret-Value-9", "Abc12345", "p@ss:w0rd/x", "$1$salt$h4shv4lue", "0x1a2b3c4d5e", "12345678a", "$9$Ab12Cd34"}
	for _, name := range goldenPlatforms {
		p, _ := ps.Lookup(name)
		raw, _ := os.ReadFile("testdata/" + name + ".raw")
		for _, tpl := range fuzzTemplates[fuzzFamily(name)] {
			for _, s := range secrets {
				for _, around := range []string{"", string(raw)} {
					in := around + "\n" + strings.ReplaceAll(tpl, "%s", s) + "\n" + around
					if out := p.Redact(p.Clean(in), RedactAll); strings.Contains(out, s) {
						t.Errorf("%s: %q survived in %q", name, s, tpl)
					}
				}
			}
		}
	}
}
