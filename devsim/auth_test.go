package devsim

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestAuthentication(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	d := startDevice(t, DeviceConfig{Name: "auth1", Username: "netops", Password: "pa55", AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})

	try := func(user string, auth ...ssh.AuthMethod) error {
		c, err := ssh.Dial("tcp", d.Addr(), clientConfig(user, auth...))
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := try("netops", ssh.Password("pa55")); err != nil {
		t.Fatalf("password: %v", err)
	}
	if err := try("netops", ssh.PublicKeys(signer)); err != nil {
		t.Fatalf("public key: %v", err)
	}
	if err := try("netops", ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
		return []string{"pa55"}, nil
	})); err != nil {
		t.Fatalf("keyboard-interactive: %v", err)
	}
	for name, err := range map[string]error{
		"wrong password":  try("netops", ssh.Password("nope")),
		"wrong user":      try("admin", ssh.Password("pa55")),
		"unknown key":     try("netops", ssh.PublicKeys(otherSigner)),
		"key, wrong user": try("root", ssh.PublicKeys(signer)),
	} {
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Errorf("%s: want an authentication failure, got %v", name, err)
		}
	}
	st := d.Stats()
	if st.Logins != 3 || st.AuthFailures < 4 || st.Connections != 7 {
		t.Fatalf("stats: %+v", st)
	}

	// the host key is the device's, stable for a seed and name, and in its known_hosts line
	d2 := startDevice(t, DeviceConfig{Name: "auth1", Username: "netops", Password: "pa55"})
	if string(d2.HostKey().Marshal()) != string(d.HostKey().Marshal()) || d.HostKey().Type() != ssh.KeyAlgoED25519 {
		t.Fatal("host key is not deterministic ed25519")
	}
	if !strings.HasPrefix(d.KnownHostsLine(), "[127.0.0.1]:") {
		t.Fatalf("known_hosts line %q", d.KnownHostsLine())
	}
	cfg := clientConfig("netops", ssh.Password("pa55"))
	cfg.HostKeyCallback = ssh.FixedHostKey(d.HostKey())
	if c, err := ssh.Dial("tcp", d2.Addr(), cfg); err != nil {
		t.Fatalf("fixed host key: %v", err)
	} else {
		c.Close()
	}

	// a device with keys and no password refuses passwords
	d3 := startDevice(t, DeviceConfig{Name: "keyonly", AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	if c, err := ssh.Dial("tcp", d3.Addr(), clientConfig("admin", ssh.Password("admin"))); err == nil {
		c.Close()
		t.Fatal("password accepted by a key-only device")
	}
}

func TestExecRequest(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "x1", Platform: CiscoNXOS, Seed: 2})
	c, err := ssh.Dial("tcp", d.Addr(), clientConfig("admin", ssh.Password("admin")))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, _ := c.NewSession()
	out, err := s.Output("show version | include Device name")
	if err != nil || strings.ReplaceAll(string(out), "\r", "") != "  Device name: x1\n" {
		t.Fatalf("exec: %q %v", out, err)
	}
	s, _ = c.NewSession()
	if out, err := s.Output("bogus"); err == nil || !strings.Contains(string(out), "% Invalid command") {
		t.Fatalf("exec of an unknown command: %q %v", out, err)
	}
}
