package redact

import (
	"io"
	"strings"
	"testing"

	"github.com/gonorn/norn/devsim"
)

// sessionText is a session-log-like text of a platform: prompts, the command and a generated
// configuration of about 200 KB.
func sessionText(b *testing.B, p string) string {
	b.Helper()
	d, err := devsim.Start(devsim.DeviceConfig{Name: "r1", Platform: devsim.Platform(p), Seed: 5, ConfigSize: 200000})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	return "r1#terminal length 0\nr1#show running-config\n" + d.RunningConfig() + "\nr1#"
}

// BenchmarkWriter measures the session log's redaction throughput (MB/s): the text written
// in 4 KiB reads, as scrapligo's channel delivers it, through a platform Redactor with the
// session's three literal secrets.
func BenchmarkWriter(b *testing.B) {
	for _, p := range Platforms() {
		b.Run(p, func(b *testing.B) {
			text := []byte(sessionText(b, p))
			r := New("Pw-9f3kQ-zz", "En-7Xq2-yy", "key-passphrase-1").WithPlatform(p)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				w := NewWriter(io.Discard, r)
				for i := 0; i < len(text); i += 4096 {
					_, _ = w.Write(text[i:min(i+4096, len(text))])
				}
				_ = w.Close()
			}
		})
	}
}

// BenchmarkRulesetText measures the backup's redaction of a stored configuration.
func BenchmarkRulesetText(b *testing.B) {
	for _, p := range []string{"cisco_iosxe", "juniper_junos"} {
		b.Run(p, func(b *testing.B) {
			text := sessionText(b, p)
			rs, _ := PlatformRuleset(p)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				_ = rs.Text(text, All, "<removed>", "Pw-9f3kQ-zz")
			}
		})
	}
}

// BenchmarkHostError measures redacting an error message for a log line or an alert.
func BenchmarkHostError(b *testing.B) {
	h := testHost()
	msg := strings.Repeat("r1: show running-config: dial tcp 192.0.2.1:22: connect: connection timed out after 30s ", 1)
	b.ReportAllocs()
	for b.Loop() {
		_ = Host(h).String(msg)
	}
}
