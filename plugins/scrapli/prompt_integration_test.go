package scrapli_test

import (
	"strings"
	"testing"

	"github.com/gonorn/norn/devsim"
)

// readSize is scrapligo's transport read size: a configuration streamed faster than the plugin
// reads it arrives in reads of exactly this many bytes.
const readSize = 8192

// alignJunosSecret pads the domain name of a Junos device until a Junos secret `"$9$...` of its
// configuration is cut right after its "$9$" by a read boundary (a multiple of readSize bytes
// into the output, as the device prints it with "\r\n" line ends). It returns the aligned
// configuration.
func alignJunosSecret(t *testing.T, d *devsim.Device) string {
	t.Helper()
	pad := 0
	for range 8 {
		rc := d.RunningConfig()
		wire := strings.ReplaceAll(rc, "\n", "\r\n")
		start := strings.Index(wire, "domain-name ")
		if start < 0 {
			t.Fatalf("no domain-name in the configuration:\n%s", rc[:min(len(rc), 500)])
		}
		best := -1
		for off := start; ; {
			i := strings.Index(wire[off:], `"$9$`)
			if i < 0 {
				break
			}
			end := off + i + len(`"$9$`)
			if need := (readSize - end%readSize) % readSize; best < 0 || need < best {
				best = need
			}
			off = end
		}
		if best < 0 {
			t.Fatal("no $9$ secret after the domain name")
		}
		if best == 0 {
			return rc
		}
		pad += best
		domain := "pad" + strings.Repeat("x", pad) + ".example.net"
		if err := d.Configure("set system domain-name " + domain); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("could not align a $9$ secret with a read boundary")
	return ""
}

// TestJunosSecretAtReadBoundary is the regression test of configurations cut short on Junos:
// scrapligo's Junos prompt pattern includes the shell's "^.*[%$]\s?$", which matched a read
// ending right after `authentication-key "$9$`, so the read stopped there, and the partial line
// was then stripped as a prompt. The plugin matches only its command levels' prompts, at the
// end of the output.
func TestJunosSecretAtReadBoundary(t *testing.T) {
	l := startPlatform(t, devsim.JuniperJunos, devsim.DeviceConfig{Seed: 3, ConfigSize: 40 << 10})
	want := alignJunosSecret(t, l.dev)
	s := openSession(t, l, nil)
	for i := range 3 {
		got, err := s.GetConfig(ctxT(t), "running")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Fatalf("attempt %d: configuration of %d bytes, want %d; it ends with:\n%s",
				i+1, len(got), len(want), tail(got, 3))
		}
	}
}
