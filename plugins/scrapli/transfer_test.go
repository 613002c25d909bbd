package scrapli

import (
	"strings"
	"testing"
)

// The outputs the file-transfer parsers read, in the devices' formats.
func TestTransferParsers(t *testing.T) {
	for _, c := range []struct{ out, want string }{
		{"...........Done!\nverify /md5 (bootflash:img.bin) = 0cc175b9c0f1b6a831c399e269772661\n", "0cc175b9c0f1b6a831c399e269772661"},
		{"0CC175B9C0F1B6A831C399E269772661\n", "0CC175B9C0F1B6A831C399E269772661"},
		{"Fri Dec  4 16:00:00.000 UTC\n0cc175b9c0f1b6a831c399e269772661\n", "0cc175b9c0f1b6a831c399e269772661"},
		{"MD5 (/var/tmp/x.tgz) = 0cc175b9c0f1b6a831c399e269772661\n", "0cc175b9c0f1b6a831c399e269772661"},
	} {
		m := md5Re.FindStringSubmatch(c.out)
		if m == nil || m[1] != c.want {
			t.Errorf("md5 of %q: %v", c.out, m)
		}
	}
	if m := md5Re.FindStringSubmatch("%Error opening bootflash:x (No such file or directory)\n"); m != nil || !notFound("%Error opening bootflash:x (No such file or directory)") {
		t.Errorf("error output: %v", m)
	}
	for _, c := range []struct {
		out  string
		want string
	}{
		{"Directory of bootflash:/\n\n6188032000 bytes total (5123456 bytes free)\n", "5123456"},
		{"Usage for bootflash://sup-local\n 1000 bytes used\n   2048 bytes free\n 3048 bytes total\n", "2048"},
	} {
		m := bytesFreeRe.FindStringSubmatch(c.out)
		if m == nil || (m[1] != c.want && m[2] != c.want) {
			t.Errorf("free of %q: %v", c.out, m)
		}
	}
	if m := kbytesFreeRe.FindStringSubmatch("Directory of harddisk:\n\n3000 kbytes total (2500 kbytes free)\n"); m == nil || m[1] != "2500" {
		t.Errorf("IOS-XR free: %v", m)
	}
	storage := "Filesystem              Size       Used      Avail  Capacity   Mounted on\n" +
		"/dev/gpt/junos          1.3G       1.1G       119M       90%  /.mount\n" +
		"/dev/gpt/var            2.7G       300M       2.2G       12%  /.mount/var\n"
	m := junosVarRe.FindStringSubmatch(storage)
	if m == nil || m[1] != "2.2G" {
		t.Fatalf("Junos storage: %v", m)
	}
	for in, want := range map[string]int64{"2.2G": 2362232012, "512": 512, "119M": 124780544, "4K": 4096} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseSize("lots"); err == nil || !strings.Contains(err.Error(), `"lots"`) {
		t.Errorf("parseSize(lots): %v", err)
	}
}

// FuzzTransferParsers: device output is outside input; the parsers never panic.
func FuzzTransferParsers(f *testing.F) {
	f.Add("verify /md5 (bootflash:a) = 0cc175b9c0f1b6a831c399e269772661\n", "2.2G")
	f.Add("(123 bytes free)", "119M")
	f.Add("/dev/gpt/var 2.7G 300M 2.2G 12% /.mount/var", "-1K")
	f.Fuzz(func(t *testing.T, out, size string) {
		_ = md5Re.FindStringSubmatch(out)
		_ = bytesFreeRe.FindStringSubmatch(out)
		_ = kbytesFreeRe.FindStringSubmatch(out)
		_ = junosVarRe.FindStringSubmatch(out)
		_ = notFound(out)
		_, _ = parseSize(size)
	})
}
