package config

import (
	"bytes"
	"testing"
)

// FuzzDecode: no input makes Decode panic or hang; what it accepts, Validate checks without
// panicking, and the printed configuration reads back with the same values.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"",
		"runner:\n  workers: 20\n  timeout: 30s\n",
		"inventory:\n  netbox:\n    url: https://nb\n    params: {status: active, tag: [a, b]}\n    platforms: {x: cisco_iosxe}\n",
		"runner: &r {workers: 3}\nbackup: {out: x, stale: 48h}\n",
		"runner:\n  <<: [{workers: 1}, {retries: 2}]\n",
		"hooks:\n  webhook:\n    secret: x\n",
		"runner:\n  wokers: 1\n",
		"a: &a [*a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode("f.yaml", data)
		if err != nil {
			_ = err.Error()
			return
		}
		_ = c.Validate()
		var b bytes.Buffer
		if _, err := c.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		back, err := Decode("printed.yaml", b.Bytes())
		if err != nil {
			t.Fatalf("printed configuration does not read back: %v\n%s", err, b.String())
		}
		if back.Runner != c.Runner || back.Backup != c.Backup || back.Logging != c.Logging {
			t.Fatalf("read back differs:\n%+v\n%+v\n%s", c.Runner, back.Runner, b.String())
		}
	})
}
