package scrapli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/redact"
)

func TestSessionLogWriter(t *testing.T) {
	dir := t.TempDir()
	w, err := openSessionLog(filepath.Join(dir, "logs", "{platform}", "{host}.log"), false, "r1", "10.0.0.1", "cisco_iosxe",
		redact.New("S3cretPass", "en4ble!", "").WithPlatform("cisco_iosxe"))
	if err != nil {
		t.Fatal(err)
	}
	// The secret arrives split across reads, lines arrive in pieces.
	chunks := []string{
		"csr1000v>enable\nPass", "word: en4", "ble!\ncsr1000v#show run\n",
		"enable secret 9 $9$abcdefgh\nusername admin privilege 15 secret 9 $9$xyz\n",
		"snmp-server community pub1ic RO\n snmp-server community \"pr1vate\" RW\n",
		"snmp-server host 10.1.1.1 version 2c h0stcomm\n",
		"tacacs-server key 7 0822455D0A16\n",
		"ntp authentication-key 1 md5 121A0C04110", "45D5679 7\n",
		"    encrypted-password \"$6$junos\"; ## SECRET-DATA\n",
		"<encrypted-password>$6$xml</encrypted-password>\n",
		"banner says S3cret", "Pass here\n",
		"interface Gi1\n description uplink\ncsr1000v#",
	}
	for _, c := range chunks {
		if n, err := w.Write([]byte(c)); err != nil || n != len(c) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "logs", "cisco_iosxe", "r1.log")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("session log mode %v, %v; want 0600", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("created directory mode %v, %v; want 0700", fi.Mode(), err)
	}
	got := string(b)
	for _, secret := range []string{"S3cretPass", "en4ble!", "$9$abcdefgh", "$9$xyz", "pub1ic", "pr1vate", "h0stcomm", "0822455D0A16",
		"121A0C0411045D5679", "$6$junos", "$6$xml"} {
		if strings.Contains(got, secret) {
			t.Errorf("secret %q in the session log:\n%s", secret, got)
		}
	}
	for _, keep := range []string{"csr1000v#show run", "interface Gi1", "description uplink", "csr1000v#", "banner says " + Redacted + " here",
		"ntp authentication-key 1 md5 " + Redacted + " 7"} {
		if !strings.Contains(got, keep) {
			t.Errorf("%q missing from the session log:\n%s", keep, got)
		}
	}
	// Writes after Close are dropped, not errors (the channel may still be draining).
	if _, err := w.Write([]byte("late")); err != nil {
		t.Error(err)
	}
}

func TestSessionLogPath(t *testing.T) {
	for _, tc := range []struct{ pattern, want, err string }{
		{"/var/log/norn/{host}.log", "/var/log/norn/r1.log", ""},
		{"/l/{platform}/{hostname}-{host}.log", "/l/cisco_nxos/10.0.0.1-r1.log", ""},
		{"/l/fixed.log", "/l/fixed.log", ""},
		{"/l/{hots}.log", "", "unknown placeholder {hots}"},
	} {
		got, err := sessionLogPath(tc.pattern, "r1", "10.0.0.1", "cisco_nxos")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.pattern, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.pattern, got, err, tc.want)
		}
	}
	if _, err := parseSettings(map[string]any{ExtraSessionLog: "/l/{hots}.log"}, sshExtras); err == nil || !strings.Contains(err.Error(), "session_log") {
		t.Errorf("parseSettings accepts an unknown placeholder: %v", err)
	}
	// A host name cannot leave the directory.
	if got, _ := sessionLogPath("/l/{host}.log", "../../etc/passwd", "", ""); got != "/l/.._.._etc_passwd.log" {
		t.Errorf("host with separators: %q", got)
	}
}

func TestParseSettings(t *testing.T) {
	st, err := parseSettings(nil, sshExtras)
	if err != nil {
		t.Fatal(err)
	}
	if !st.strictKey || st.transport != TransportStandard || st.timeoutOps != DefaultTimeoutOps ||
		st.timeoutSocket != DefaultTimeoutSocket || st.timeoutTransport != DefaultTimeoutTransport {
		t.Errorf("defaults: %+v", st)
	}
	st, err = parseSettings(map[string]any{
		"auth_secondary": 1234, "auth_strict_key": "false", "timeout_ops": 2.5, "timeout_socket": "3",
		"timeout_transport": int64(4), "transport": "system", "session_log": "/tmp/x.log",
		"auth_private_key": "~/.ssh/id", "auth_private_key_passphrase": "pp",
	}, sshExtras)
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	if st.authSecondary != "1234" || st.strictKey || st.timeoutOps != 2500*time.Millisecond ||
		st.timeoutSocket != 3*time.Second || st.timeoutTransport != 4*time.Second || st.transport != "system" ||
		st.privateKey != home+"/.ssh/id" || st.passphrase != "pp" {
		t.Errorf("parsed: %+v", st)
	}
	for _, bad := range []map[string]any{
		{"auth_secondry": "x"},
		{"timeout_ops": -1},
		{"timeout_ops": "soon"},
		{"timeout_ops": []int{1}},
		{"auth_strict_key": "maybe"},
		{"transport": "telnet"},
		{"auth_secondary": []string{"x"}},
	} {
		if _, err := parseSettings(bad, sshExtras); err == nil {
			t.Errorf("parseSettings(%v) accepted", bad)
		}
	}
	if _, err := parseSettings(map[string]any{"auth_secondary": "x"}, netconfExtras); err == nil {
		t.Error("auth_secondary accepted for NETCONF")
	}
	if _, err := parseSettings(map[string]any{"preferred_netconf_version": "1.2"}, netconfExtras); err == nil {
		t.Error("NETCONF version 1.2 accepted")
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		cause   error
		opening bool
		want    []error
	}{
		{fmt.Errorf("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none password]"), true,
			[]error{connection.ErrOpen, connection.ErrAuthentication}},
		{fmt.Errorf("%w: channel timeout sending input to device", util.ErrTimeoutError), false,
			[]error{os.ErrDeadlineExceeded}},
		{util.ErrConnectionError, false, []error{connection.ErrConnectionLost}},
		{io.EOF, true, []error{connection.ErrOpen, connection.ErrConnectionLost}},
		{fmt.Errorf("%w: x", ErrEnableSecret), true, []error{connection.ErrOpen, connection.ErrAuthentication, ErrEnableSecret}},
		{fmt.Errorf("%w: key mismatch", ErrHostKey), true, []error{connection.ErrOpen, ErrHostKey}},
	}
	for _, c := range cases {
		err := wrapErr("r1", "127.0.0.1:22", "op", c.opening, c.cause)
		for _, w := range c.want {
			if !errors.Is(err, w) {
				t.Errorf("wrapErr(%v) = %v: does not match %v", c.cause, err, w)
			}
		}
		if !strings.Contains(err.Error(), "host r1 (127.0.0.1:22)") {
			t.Errorf("message %q does not name the host and address", err)
		}
		if errors.Is(err, connection.ErrAuthentication) != containsErr(c.want, connection.ErrAuthentication) {
			t.Errorf("wrapErr(%v) = %v: wrong authentication class", c.cause, err)
		}
	}
}

func containsErr(list []error, e error) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func TestKexAlgorithmsSetting(t *testing.T) {
	for _, v := range []any{
		[]any{"curve25519-sha256", "ecdh-sha2-nistp256"},
		[]string{"curve25519-sha256", "ecdh-sha2-nistp256", "curve25519-sha256"},
		"curve25519-sha256, ecdh-sha2-nistp256",
	} {
		st, err := parseSettings(map[string]any{ExtraKexAlgorithms: v}, sshExtras)
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if fmt.Sprint(st.kexAlgorithms) != "[curve25519-sha256 ecdh-sha2-nistp256]" {
			t.Errorf("%v: parsed %q", v, st.kexAlgorithms)
		}
		cfg, err := (&knownHostsCache{}).clientConfig(endpoint{user: "u"}, settings{kexAlgorithms: st.kexAlgorithms})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(cfg.KeyExchanges) != "[curve25519-sha256 ecdh-sha2-nistp256]" {
			t.Errorf("client config key exchanges %q", cfg.KeyExchanges)
		}
	}
	if st, _ := parseSettings(nil, netconfExtras); st.kexAlgorithms != nil {
		t.Errorf("default %q, want nil (x/crypto's default)", st.kexAlgorithms)
	}
	for _, bad := range []any{"curve25519", []any{"ecdh-sha2-nistp256", 7}, "", 42} {
		_, err := parseSettings(map[string]any{ExtraKexAlgorithms: bad}, sshExtras)
		if err == nil || !strings.Contains(err.Error(), ExtraKexAlgorithms) {
			t.Errorf("%v: error %v", bad, err)
		}
	}
	var sys transport.System
	for _, o := range systemOptions(settings{kexAlgorithms: []string{"curve25519-sha256", "diffie-hellman-group14-sha256"}}) {
		_ = o(&sys)
	}
	if got := strings.Join(sys.ExtraArgs, " "); got != "-o KexAlgorithms=curve25519-sha256,diffie-hellman-group14-sha256" {
		t.Errorf("system transport arguments %q", got)
	}
}
