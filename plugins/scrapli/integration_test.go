package scrapli_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/redact"
)

// platformCase is what the tests need to know of a simulated platform.
type platformCase struct {
	platform devsim.Platform
	config   []string // a harmless configuration change
	marker   string   // what the change adds to the running configuration
	startup  bool     // has a separate startup configuration
}

var platformCases = []platformCase{
	{devsim.CiscoIOSXE, []string{"interface Loopback99", " description norn-test-99"}, "norn-test-99", true},
	{devsim.CiscoNXOS, []string{"interface loopback99", "  description norn-test-99"}, "norn-test-99", true},
	{devsim.CiscoIOSXR, []string{"interface Loopback99", " description norn-test-99"}, "norn-test-99", false},
	{devsim.AristaEOS, []string{"interface Loopback99", "   description norn-test-99"}, "norn-test-99", true},
	{devsim.JuniperJunos, []string{"set interfaces lo0 description norn-test-99"}, "norn-test-99", false},
}

// startPlatform starts a device of the platform, skipping when the simulator does not serve it.
func startPlatform(t testing.TB, p devsim.Platform, cfg devsim.DeviceConfig) *lab {
	t.Helper()
	cfg.Platform = p
	if cfg.Name == "" {
		cfg.Name = "dev-" + strings.ReplaceAll(string(p), "_", "-")
	}
	l := startLab(t, cfg)
	return l
}

func TestPlatforms(t *testing.T) {
	for _, pc := range platformCases {
		t.Run(string(pc.platform), func(t *testing.T) {
			t.Parallel()
			l := startPlatform(t, pc.platform, devsim.DeviceConfig{Seed: 7})
			s := openSession(t, l, nil)
			ctx := ctxT(t)

			r, err := s.SendCommand(ctx, "show version")
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(r.Output) == "" || r.Command != "show version" {
				t.Fatalf("show version: %+v", r)
			}

			f, err := s.GetFacts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if f.Hostname != l.dev.Hostname() || f.OSVersion == "" || f.Vendor == "" || f.Model == "" {
				t.Errorf("facts %+v (device hostname %q)", f, l.dev.Hostname())
			}

			_, err = s.SendCommand(ctx, "show norn nonsense")
			var ce *connection.CommandError
			if !errors.As(err, &ce) || !errors.Is(err, connection.ErrCommandFailed) || ce.Host != l.dev.Name() || ce.Command != "show norn nonsense" {
				t.Fatalf("rejected command: %v", err)
			}
			// The session stays usable after a rejected command.
			if _, err := s.SendCommand(ctx, "show version"); err != nil {
				t.Fatalf("after a rejected command: %v", err)
			}

			running, err := s.GetConfig(ctx, "running")
			if err != nil {
				t.Fatal(err)
			}
			if len(running) < 1000 || !strings.Contains(running, l.dev.Hostname()) {
				t.Fatalf("running config (%d bytes) lacks the hostname %q", len(running), l.dev.Hostname())
			}
			if strings.Contains(running, pc.marker) {
				t.Fatalf("running config already has %q", pc.marker)
			}

			_, err = s.GetConfig(ctx, "startup")
			if pc.startup && err != nil {
				t.Errorf("startup config: %v", err)
			}
			if !pc.startup && !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("startup config on %s = %v, want ErrUnsupported", pc.platform, err)
			}

			rs, err := s.SendConfig(ctx, pc.config, connection.ConfigOptions{Comment: "norn test"})
			if err != nil {
				t.Fatalf("SendConfig: %v (%+v)", err, rs)
			}
			if len(rs) < len(pc.config) {
				t.Errorf("SendConfig returned %d responses for %d lines", len(rs), len(pc.config))
			}
			running, err = s.GetConfig(ctx, "running")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(running, pc.marker) {
				t.Fatalf("running config lacks %q after SendConfig:\n%s", pc.marker, tail(running, 30))
			}
			// Back at the default privilege level: operational commands work.
			if _, err := s.SendCommand(ctx, "show version"); err != nil {
				t.Fatalf("after SendConfig: %v", err)
			}

			if err := s.SaveConfig(ctx); err != nil {
				t.Fatalf("SaveConfig: %v", err)
			}
			if pc.startup {
				startup, err := s.GetConfig(ctx, "startup")
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(startup, pc.marker) {
					t.Errorf("startup config lacks %q after SaveConfig", pc.marker)
				}
			}

			// A rejected configuration line stops SendConfig and is reported.
			_, err = s.SendConfig(ctx, []string{"norn nonsense line"}, connection.ConfigOptions{})
			if !errors.As(err, &ce) || ce.Command != "norn nonsense line" {
				t.Errorf("rejected config line: %v", err)
			}
			if _, err := s.SendCommand(ctx, "show version"); err != nil {
				t.Fatalf("after a rejected config line: %v", err)
			}

			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if _, err := s.SendCommand(ctx, "show version"); !errors.Is(err, connection.ErrConnectionLost) {
				t.Errorf("SendCommand after Close = %v", err)
			}
			waitIdle(t, l.dev)
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitIdle waits until the device has no open connection: the plugin released the TCP
// connection (a leaked *ssh.Client keeps it open forever).
func waitIdle(t testing.TB, d *devsim.Device) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for d.Stats().Active != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("device %s still has %d open connections: %+v", d.Name(), d.Stats().Active, d.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestJunosDryRun(t *testing.T) {
	l := startPlatform(t, devsim.JuniperJunos, devsim.DeviceConfig{Seed: 3})
	s := openSession(t, l, nil)
	ctx := ctxT(t)
	if _, err := s.SendConfig(ctx, []string{"set interfaces lo0 description norn-dry-run"}, connection.ConfigOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	running, err := s.GetConfig(ctx, "running")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(running, "norn-dry-run") {
		t.Error("a dry run changed the configuration")
	}
}

func TestDryRunUnsupported(t *testing.T) {
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{})
	s := openSession(t, l, nil)
	_, err := s.SendConfig(ctxT(t), []string{"interface Loopback1"}, connection.ConfigOptions{DryRun: true})
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("dry run on IOS-XE = %v, want ErrUnsupported", err)
	}
}

// A rejected configuration line that carries a secret is named redacted in the error.
func TestRejectedConfigLineRedacted(t *testing.T) {
	t.Parallel()
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{})
	s := openSession(t, l, nil)
	_, err := s.SendConfig(ctxT(t), []string{"norn nonsense secret 0 Hunter2-x"}, connection.ConfigOptions{})
	var ce *connection.CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("rejected line: %v", err)
	}
	if strings.Contains(err.Error(), "Hunter2-x") || ce.Command != "norn nonsense secret 0 "+scrapli.Redacted {
		t.Errorf("error %q, command %q", err, ce.Command)
	}
}

func TestEnable(t *testing.T) {
	for _, p := range []devsim.Platform{devsim.CiscoIOSXE, devsim.AristaEOS} {
		t.Run(string(p), func(t *testing.T) {
			l := startPlatform(t, p, devsim.DeviceConfig{Privilege: 1, EnableSecret: "S3cret-en"})
			// With the secret: the session reaches privileged exec and can show the configuration.
			s := openSession(t, l, nil)
			if !strings.HasSuffix(s.Prompt(), "#") {
				t.Errorf("prompt after enable = %q", s.Prompt())
			}
			if _, err := s.GetConfig(ctxT(t), "running"); err != nil {
				t.Fatal(err)
			}
			_ = s.Close()

			// Without it: a clear authentication error at once (not a timeout after timeout_ops).
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := opener(t, string(p)).Open(ctx, l.target(map[string]any{scrapli.ExtraAuthSecondary: nil, scrapli.ExtraTimeoutOps: 30}))
			if !errors.Is(err, scrapli.ErrEnableSecret) || !errors.Is(err, connection.ErrAuthentication) || !errors.Is(err, connection.ErrOpen) {
				t.Fatalf("open without enable secret = %v", err)
			}
			if !strings.Contains(err.Error(), "auth_secondary") {
				t.Errorf("error does not say what to set: %v", err)
			}

			// With a wrong one: rejected, also at once.
			_, err = opener(t, string(p)).Open(ctx, l.target(map[string]any{scrapli.ExtraAuthSecondary: "wrong", scrapli.ExtraTimeoutOps: 30}))
			if !errors.Is(err, scrapli.ErrEnableSecret) || !errors.Is(err, connection.ErrAuthentication) {
				t.Fatalf("open with a wrong enable secret = %v", err)
			}
			if ctx.Err() != nil {
				t.Fatal("the enable failures waited for the context deadline")
			}
			waitIdle(t, l.dev)
		})
	}
}

// writeKey writes an OpenSSH private key file, encrypted when passphrase is set.
func writeKey(t *testing.T, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return path, sp
}

func TestKeyAuth(t *testing.T) {
	key, pub := writeKey(t, "")
	encKey, encPub := writeKey(t, "k3y-pass")
	otherKey, _ := writeKey(t, "")
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{AuthorizedKeys: []ssh.PublicKey{pub, encPub}})
	if l.dev.Config().Password != "" {
		t.Fatal("password authentication is on")
	}
	s := openSession(t, l, map[string]any{scrapli.ExtraPrivateKey: key})
	if _, err := s.SendCommand(ctxT(t), "show version"); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	s = openSession(t, l, map[string]any{scrapli.ExtraPrivateKey: encKey, scrapli.ExtraPrivateKeyPassphrase: "k3y-pass"})
	_ = s.Close()

	_, err := opener(t, "cisco_iosxe").Open(ctxT(t), l.target(map[string]any{scrapli.ExtraPrivateKey: otherKey}))
	if !errors.Is(err, connection.ErrAuthentication) {
		t.Errorf("unknown key: %v", err)
	}
	_, err = opener(t, "cisco_iosxe").Open(ctxT(t), l.target(map[string]any{scrapli.ExtraPrivateKey: encKey}))
	if !errors.Is(err, connection.ErrValidation) {
		t.Errorf("encrypted key without passphrase: %v", err)
	}
	_, err = opener(t, "cisco_iosxe").Open(ctxT(t), l.target(map[string]any{scrapli.ExtraPrivateKey: filepath.Join(t.TempDir(), "missing")}))
	if !errors.Is(err, connection.ErrValidation) || !strings.Contains(err.Error(), "auth_private_key") {
		t.Errorf("missing key file: %v", err)
	}
	waitIdle(t, l.dev)
}

func TestStrictHostKey(t *testing.T) {
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Name: "r1", Seed: 1})
	other := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Name: "r2", Seed: 2})
	dir := t.TempDir()

	// The other device's key under this device's address: a mismatch (a man in the middle).
	line := strings.Replace(other.dev.KnownHostsLine(), "]:"+strconv.Itoa(other.dev.Port()), "]:"+strconv.Itoa(l.dev.Port()), 1)
	mismatch := filepath.Join(dir, "mismatch")
	if err := os.WriteFile(mismatch, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := opener(t, "cisco_iosxe").Open(ctxT(t), l.target(map[string]any{scrapli.ExtraKnownHostsFile: mismatch}))
	if !errors.Is(err, scrapli.ErrHostKey) || !errors.Is(err, connection.ErrOpen) || errors.Is(err, connection.ErrAuthentication) {
		t.Fatalf("mismatching host key: %v", err)
	}
	if l.dev.Stats().Logins != 0 {
		t.Error("credentials were sent to a host whose key did not match")
	}

	// A host missing from known_hosts is refused too.
	unknown := filepath.Join(dir, "unknown")
	if err := os.WriteFile(unknown, []byte(other.dev.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := opener(t, "cisco_iosxe").Open(ctxT(t), l.target(map[string]any{scrapli.ExtraKnownHostsFile: unknown})); !errors.Is(err, scrapli.ErrHostKey) {
		t.Fatalf("unknown host: %v", err)
	}

	// A missing known_hosts file with strict checking on is a configuration error.
	_, err = opener(t, "cisco_iosxe").Open(ctxT(t), l.target(map[string]any{scrapli.ExtraKnownHostsFile: filepath.Join(dir, "nope")}))
	if !errors.Is(err, connection.ErrValidation) || !strings.Contains(err.Error(), "ssh_known_hosts_file") {
		t.Fatalf("missing known_hosts: %v", err)
	}

	// Strict checking off: any key is accepted.
	s := openSession(t, l, map[string]any{scrapli.ExtraAuthStrictKey: false, scrapli.ExtraKnownHostsFile: mismatch})
	_ = s.Close()
	waitIdle(t, l.dev)
}

func TestFaults(t *testing.T) {
	ms := func(n int) float64 { return float64(n) / 1000 }
	cases := []struct {
		name   string
		faults devsim.Faults
		extras map[string]any
		// during: the failure is on open (false: on the command after open).
		onOpen bool
		want   []error
		not    []error
	}{
		{"reject-auth", devsim.Faults{RejectAuth: true}, nil, true,
			[]error{connection.ErrOpen, connection.ErrAuthentication}, []error{os.ErrDeadlineExceeded}},
		{"hang-connect", devsim.Faults{HangOnConnect: true}, map[string]any{scrapli.ExtraTimeoutTransport: ms(300)}, true,
			[]error{connection.ErrOpen, os.ErrDeadlineExceeded}, []error{connection.ErrAuthentication}},
		{"banner-delay", devsim.Faults{BannerDelay: time.Second}, map[string]any{scrapli.ExtraTimeoutTransport: ms(300)}, true,
			[]error{connection.ErrOpen, os.ErrDeadlineExceeded}, []error{connection.ErrAuthentication}},
		{"silent-shell", devsim.Faults{SilentShell: true}, map[string]any{scrapli.ExtraTimeoutOps: ms(300)}, true,
			[]error{connection.ErrOpen, os.ErrDeadlineExceeded}, []error{connection.ErrAuthentication}},
		{"prompt-delay", devsim.Faults{PromptDelay: time.Second}, map[string]any{scrapli.ExtraTimeoutOps: ms(300)}, true,
			[]error{connection.ErrOpen, os.ErrDeadlineExceeded}, nil},
		{"drop-mid-output", devsim.Faults{DropMidOutput: true}, nil, false,
			[]error{connection.ErrConnectionLost}, []error{connection.ErrOpen, os.ErrDeadlineExceeded}},
	}
	for _, pc := range platformCases {
		for _, c := range cases {
			t.Run(string(pc.platform)+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				l := startPlatform(t, pc.platform, devsim.DeviceConfig{Faults: c.faults, ConfigSize: 64 << 10})
				sess, err := opener(t, string(pc.platform)).Open(ctxT(t), l.target(c.extras))
				if !c.onOpen {
					if err != nil {
						t.Fatalf("open: %v", err)
					}
					defer sess.Close()
					_, err = sess.(*scrapli.Session).GetConfig(ctxT(t), "running")
				} else if err == nil {
					sess.Close()
					t.Fatal("open succeeded")
				}
				for _, w := range c.want {
					if !errors.Is(err, w) {
						t.Errorf("error %v does not match %v", err, w)
					}
				}
				for _, n := range c.not {
					if errors.Is(err, n) {
						t.Errorf("error %v matches %v", err, n)
					}
				}
				if err == nil || !strings.Contains(err.Error(), l.dev.Name()) || !strings.Contains(err.Error(), l.dev.Addr()) {
					t.Errorf("error does not name the host and address: %v", err)
				}
				if !c.onOpen {
					// The session is unusable after the loss and says so.
					_, err := sess.(*scrapli.Session).SendCommand(ctxT(t), "show version")
					if !errors.Is(err, connection.ErrConnectionLost) {
						t.Errorf("after the loss: %v", err)
					}
					if err := sess.Close(); err != nil {
						t.Errorf("Close after the loss: %v", err)
					}
				}
				l.dev.SetFaults(devsim.Faults{})
				waitIdle(t, l.dev)
			})
		}
	}
}

// TestTruncatedConfig: a device that cuts its configuration short but still returns the
// prompt is not an error the plugin can see; the backup's completeness check is what notices.
func TestTruncatedConfig(t *testing.T) {
	t.Parallel()
	full := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Name: "r9", Seed: 9, ConfigSize: 32 << 10})
	cut := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Name: "r9", Seed: 9, ConfigSize: 32 << 10,
		Faults: devsim.Faults{TruncateConfig: true}})
	want, err := openSession(t, full, nil).GetConfig(ctxT(t), "running")
	if err != nil {
		t.Fatal(err)
	}
	got, err := openSession(t, cut, nil).GetConfig(ctxT(t), "running")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) >= len(want)*9/10 || lastLine(want) != "end" || lastLine(got) == "end" {
		t.Errorf("truncated config: %d bytes ending %q, full %d ending %q", len(got), lastLine(got), len(want), lastLine(want))
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n ")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

func TestSlowDevice(t *testing.T) {
	t.Parallel()
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{})
	s := openSession(t, l, map[string]any{scrapli.ExtraTimeoutOps: 0.5})
	// Latency below timeout_ops: slow but fine.
	l.dev.SetFaults(devsim.Faults{WriteLatency: 20 * time.Millisecond})
	if _, err := s.SendCommand(ctxT(t), "show version"); err != nil {
		t.Fatal(err)
	}
	// Latency beyond it: a timeout, and the session is closed (its output can no longer be
	// matched to commands).
	l.dev.SetFaults(devsim.Faults{ReadLatency: time.Second})
	_, err := s.SendCommand(ctxT(t), "show version")
	if !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, connection.ErrConnectionLost) {
		t.Fatalf("slow command = %v, want a timeout", err)
	}
	if _, err := s.SendCommand(ctxT(t), "show version"); !errors.Is(err, connection.ErrConnectionLost) {
		t.Fatalf("after a timeout = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	l.dev.SetFaults(devsim.Faults{})
	waitIdle(t, l.dev)
}

func TestContextCancellation(t *testing.T) {
	t.Parallel()
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{})
	s := openSession(t, l, nil)

	// A deadline that ends during a command interrupts it (timeout_ops is 10 s).
	l.dev.SetFaults(devsim.Faults{ReadLatency: 1500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := s.SendCommand(ctx, "show version")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SendCommand past its deadline = %v", err)
	}
	if _, err := s.SendCommand(ctxT(t), "show version"); !errors.Is(err, connection.ErrConnectionLost) {
		t.Fatalf("after an interrupted command = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// An already-cancelled context refuses the call and leaves the session usable.
	l.dev.SetFaults(devsim.Faults{})
	s = openSession(t, l, nil)
	dead, stop := context.WithCancel(context.Background())
	stop()
	if _, err := s.GetConfig(dead, "running"); !errors.Is(err, context.Canceled) {
		t.Fatalf("GetConfig with a cancelled context = %v", err)
	}
	if _, err := s.SendCommand(ctxT(t), "show version"); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	// Cancelling an open interrupts the handshake.
	l.dev.SetFaults(devsim.Faults{HangOnConnect: true})
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = opener(t, "cisco_iosxe").Open(ctx, l.target(nil))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, connection.ErrOpen) {
		t.Fatalf("cancelled open = %v", err)
	}
	l.dev.SetFaults(devsim.Faults{})
	waitIdle(t, l.dev)
}

func TestConcurrentCallsAndCloseDuringCall(t *testing.T) {
	t.Parallel()
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{})
	s := openSession(t, l, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			r, err := s.SendCommand(ctxT(t), "show version")
			if err == nil && !strings.Contains(r.Output, "Cisco IOS XE Software") {
				err = errors.New("wrong output: " + r.Output)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	// Close while a command is blocked on a slow device: the command fails, Close returns.
	l.dev.SetFaults(devsim.Faults{ReadLatency: 1500 * time.Millisecond})
	done := make(chan error, 1)
	go func() {
		_, err := s.SendCommand(ctxT(t), "show version")
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Errorf("Close during a command: %v", err)
	}
	if err := <-done; !errors.Is(err, connection.ErrConnectionLost) {
		t.Errorf("command interrupted by Close = %v", err)
	}
	l.dev.SetFaults(devsim.Faults{})
	waitIdle(t, l.dev)
}

func TestSessionLog(t *testing.T) {
	t.Parallel()
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Password: "Pa55-w0rd", EnableSecret: "En4ble-S3cret", Privilege: 1})
	log := filepath.Join(t.TempDir(), "r1.log")
	s := openSession(t, l, map[string]any{scrapli.ExtraSessionLog: log})
	running, err := s.GetConfig(ctxT(t), "running")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.Contains(got, "show running-config") || !strings.Contains(got, "interface ") {
		t.Fatalf("session log lacks the session:\n%s", tail(got, 20))
	}
	for _, secret := range []string{"Pa55-w0rd", "En4ble-S3cret"} {
		if strings.Contains(got, secret) {
			t.Errorf("session log contains %q", secret)
		}
	}
	// Secret values of the configuration (enable secret hash, SNMP communities) are redacted too.
	for _, line := range strings.Split(running, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "snmp-server" && f[1] == "community" {
			if strings.Contains(got, "community "+f[2]) {
				t.Errorf("session log contains SNMP community %q", f[2])
			}
		}
		if len(f) >= 4 && f[0] == "enable" && f[1] == "secret" && strings.Contains(got, f[3]) {
			t.Errorf("session log contains the enable secret hash %q", f[3])
		}
	}
	if !strings.Contains(got, scrapli.Redacted) {
		t.Error("nothing redacted")
	}
}

// TestSessionLogEveryPlatform: on each of the five platforms, a session log whose path has
// placeholders lands in the expanded path (missing directories created) and holds none of the
// secrets the backup removes from the same configuration, nor the login and enable secrets.
func TestSessionLogEveryPlatform(t *testing.T) {
	for _, pc := range platformCases {
		t.Run(string(pc.platform), func(t *testing.T) {
			t.Parallel()
			l := startPlatform(t, pc.platform, devsim.DeviceConfig{Password: "Pa55-w0rd-" + string(pc.platform), EnableSecret: "En4ble-S3cret", ConfigSize: 40000})
			dir := t.TempDir()
			s := openSession(t, l, map[string]any{scrapli.ExtraSessionLog: filepath.Join(dir, "new", "{platform}", "{host}.log")})
			running, err := s.GetConfig(ctxT(t), "running")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "new", string(pc.platform), l.dev.Name()+".log"))
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if !strings.Contains(got, running[len(running)/2:len(running)/2+1]) || len(got) < len(running)/2 {
				t.Fatalf("session log lacks the configuration (%d bytes)", len(got))
			}
			rs, _ := redact.PlatformRuleset(string(pc.platform))
			redacted := strings.Split(rs.Text(running, redact.All, "<removed>"), "\n")
			secrets := []string{"Pa55-w0rd-" + string(pc.platform), "En4ble-S3cret"}
			for i, line := range strings.Split(running, "\n") {
				if line == redacted[i] {
					continue
				}
				kept := map[string]bool{}
				for _, f := range strings.Fields(redacted[i]) {
					kept[f] = true
				}
				for _, f := range strings.Fields(line) {
					if !kept[f] {
						secrets = append(secrets, strings.Trim(f, `";`))
					}
				}
			}
			if len(secrets) < 8 {
				t.Fatalf("only %d secrets in the %s configuration", len(secrets), pc.platform)
			}
			for _, sec := range secrets {
				if strings.Contains(got, sec) {
					t.Errorf("session log holds %q", sec)
				}
			}
		})
	}
}

// TestNetconfDevsim gets the running configuration of every simulated platform over NETCONF
// (the "netconf" subsystem of the device's SSH server), in both framings.
func TestNetconfDevsim(t *testing.T) {
	for _, pc := range platformCases {
		for _, version := range []string{"1.0", "1.1"} {
			t.Run(string(pc.platform)+"/base"+version, func(t *testing.T) {
				t.Parallel()
				l := startPlatform(t, pc.platform, devsim.DeviceConfig{Seed: 9})
				o, err := scrapli.NewNetconfOpener(string(pc.platform))
				if err != nil {
					t.Fatal(err)
				}
				target := l.target(map[string]any{scrapli.ExtraAuthSecondary: nil, scrapli.ExtraNetconfVersion: version})
				target.Key.Type = scrapli.TypeNETCONF
				sess, err := o.Open(ctxT(t), target)
				if err != nil {
					t.Fatal(err)
				}
				s := sess.(*scrapli.NetconfSession)
				if s.Version() != version {
					t.Errorf("version %s, want %s", s.Version(), version)
				}
				cfg, err := s.GetConfig(ctxT(t), "running")
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(cfg, "<rpc-reply") || !strings.Contains(cfg, l.dev.Hostname()) {
					t.Fatalf("get-config reply (%d bytes) lacks the hostname %q: %.300s", len(cfg), l.dev.Hostname(), cfg)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if st := l.dev.Stats(); st.NetconfSessions != 1 || st.ConfigReads != 1 {
					t.Errorf("device stats %+v", st)
				}
				waitIdle(t, l.dev)
			})
		}
	}
}

// TestLogging: the host's logger gets the plugin's debug lines and scrapligo's critical ones,
// never a password or the enable secret.
func TestLogging(t *testing.T) {
	t.Parallel()
	l := startPlatform(t, devsim.CiscoIOSXE, devsim.DeviceConfig{Password: "Pa55-log", EnableSecret: "En-log-S3cret", Privilege: 1})
	var buf syncBuffer
	logger := zerolog.New(&buf).Level(zerolog.DebugLevel)
	target := l.target(nil)
	target.Logger = logger
	s, err := opener(t, scrapli.PlatformIOSXE).Open(ctxT(t), target)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	bad := l.target(map[string]any{scrapli.ExtraAuthSecondary: "Wr0ng-S3cret"})
	bad.Logger = logger
	if _, err := opener(t, scrapli.PlatformIOSXE).Open(ctxT(t), bad); err == nil {
		t.Fatal("open with a wrong enable secret succeeded")
	}
	out := buf.String()
	if !strings.Contains(out, "session open") || !strings.Contains(out, `"component":"scrapligo"`) {
		t.Errorf("log lacks the plugin's or scrapligo's lines:\n%s", out)
	}
	for _, secret := range []string{"Pa55-log", "En-log-S3cret", "Wr0ng-S3cret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKexAlgorithms: ssh_kex_algorithms chooses the key exchanges the client offers; one the
// device does not have fails the open (devsim offers what network devices do, no ML-KEM).
func TestKexAlgorithms(t *testing.T) {
	l := startPlatform(t, devsim.CiscoNXOS, devsim.DeviceConfig{})
	for _, kex := range []string{"curve25519-sha256", "ecdh-sha2-nistp256", "diffie-hellman-group14-sha256"} {
		s := openSession(t, l, map[string]any{scrapli.ExtraKexAlgorithms: []any{kex}})
		if _, err := s.SendCommand(ctxT(t), "show version"); err != nil {
			t.Errorf("%s: %v", kex, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("%s: close: %v", kex, err)
		}
	}
	_, err := opener(t, string(devsim.CiscoNXOS)).Open(ctxT(t), l.target(map[string]any{scrapli.ExtraKexAlgorithms: "mlkem768x25519-sha256"}))
	if !errors.Is(err, connection.ErrOpen) || !strings.Contains(err.Error(), "key exchange") {
		t.Errorf("open offering only ML-KEM: %v", err)
	}
	_, err = opener(t, string(devsim.CiscoNXOS)).Open(ctxT(t), l.target(map[string]any{scrapli.ExtraKexAlgorithms: "curve25519"}))
	if !errors.Is(err, connection.ErrValidation) {
		t.Errorf("unknown algorithm: %v", err)
	}
	waitIdle(t, l.dev)
}
