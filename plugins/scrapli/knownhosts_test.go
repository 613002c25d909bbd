package scrapli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// testKeys are deterministic host keys.
func testKeys(t testing.TB, n int) []ssh.PublicKey {
	t.Helper()
	keys := make([]ssh.PublicKey, n)
	for i := range keys {
		seed := make([]byte, ed25519.SeedSize)
		seed[0] = byte(i + 1)
		pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = pub
	}
	return keys
}

func authorized(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// outcome describes a callback's answer so that two callbacks can be compared.
func outcome(err error) string {
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &re):
		return fmt.Sprintf("revoked %s:%d", re.Revoked.Filename, re.Revoked.Line)
	case errors.As(err, &ke):
		var want []string
		for _, w := range ke.Want {
			want = append(want, fmt.Sprintf("%s:%d:%s", w.Filename, w.Line, authorized(w.Key)))
		}
		return fmt.Sprintf("key error want=%v", want)
	}
	return "error " + err.Error()
}

// checkSame asks the cache and the library about every address and key and wants the same
// answers.
func checkSame(t *testing.T, path string, addrs []string, keys []ssh.PublicKey) {
	t.Helper()
	lib, err := knownhosts.New(path)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := (&knownHostsCache{}).callback(path)
	if err != nil {
		t.Fatal(err)
	}
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}
	for _, a := range addrs {
		for ki, k := range keys {
			got, want := outcome(cb(a, remote, k)), outcome(lib(a, remote, k))
			if got != want {
				t.Errorf("%s key %d: got %s, the library says %s", a, ki, got, want)
			}
		}
	}
}

func writeFile(t testing.TB, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKnownHostsPlainOnly(t *testing.T) {
	k := testKeys(t, 4)
	path := writeFile(t,
		"# fleet",
		"",
		"[127.0.0.1]:2201 "+authorized(k[0]),
		"[127.0.0.1]:2202 "+authorized(k[1]),
		"[127.0.0.1]:2202 "+authorized(k[2])+" second key",
		"router1,[127.0.0.1]:2203,router1 "+authorized(k[2]),
		"10.0.0.1 "+authorized(k[3]),
		"[::1]:2204 "+authorized(k[0]),
		"[10.0.0.2]:22 "+authorized(k[1]),
	)
	f, err := (&knownHostsCache{}).file(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.complex {
		t.Fatal("a file of plain entries is marked complex")
	}
	if n := len(f.plain["router1:22"]); n != 1 {
		t.Errorf("router1 listed twice on a line: %d keys indexed, want 1", n)
	}
	checkSame(t, path, []string{"127.0.0.1:2201", "127.0.0.1:2202", "127.0.0.1:2203", "127.0.0.1:2299",
		"router1:22", "router1:2203", "10.0.0.1:22", "10.0.0.1:2201", "[::1]:2204", "10.0.0.2:22", "unknown:22"}, k)
}

func TestKnownHostsComplexEntries(t *testing.T) {
	k := testKeys(t, 6)
	hashed := knownhosts.HashHostname("[127.0.0.1]:2301")
	path := writeFile(t,
		"[127.0.0.1]:2300 "+authorized(k[0]),
		hashed+" "+authorized(k[1]),
		"*.lab.example.net "+authorized(k[2]),
		"[127.0.0.1]:23?? "+authorized(k[3]),
		"*.example.net,!core.example.net "+authorized(k[4]),
		"@revoked * "+authorized(k[5]),
		"[127.0.0.1]:2302 "+authorized(k[5]),
		"@cert-authority *.example.net "+authorized(k[0]),
		"[127.0.0.1]:2300 "+authorized(k[1]),
	)
	f, err := (&knownHostsCache{}).file(path)
	if err != nil {
		t.Fatal(err)
	}
	if !f.complex || len(f.revoked) != 1 {
		t.Fatalf("complex=%v revoked=%d, want true 1", f.complex, len(f.revoked))
	}
	checkSame(t, path, []string{"127.0.0.1:2300", "127.0.0.1:2301", "127.0.0.1:2302", "127.0.0.1:2399",
		"r1.lab.example.net:22", "core.example.net:22", "edge.example.net:22", "elsewhere:22"}, k)
}

func TestKnownHostsReload(t *testing.T) {
	k := testKeys(t, 2)
	path := writeFile(t, "[127.0.0.1]:2400 "+authorized(k[0]))
	c := &knownHostsCache{}
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2400}
	cb, err := c.callback(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cb("127.0.0.1:2400", remote, k[0]); err != nil {
		t.Fatal(err)
	}
	f1, _ := c.file(path)
	if f2, _ := c.file(path); f1 != f2 {
		t.Error("an unchanged file was parsed again")
	}
	// The device's key changed and the file was updated.
	if err := os.WriteFile(path, []byte("[127.0.0.1]:2400 "+authorized(k[1])+"  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	cb, err = c.callback(path)
	if err != nil {
		t.Fatal(err)
	}
	var ke *knownhosts.KeyError
	if err := cb("127.0.0.1:2400", remote, k[0]); !errors.As(err, &ke) || len(ke.Want) != 1 {
		t.Errorf("old key after reload: %v", err)
	}
	if err := cb("127.0.0.1:2400", remote, k[1]); err != nil {
		t.Errorf("new key after reload: %v", err)
	}
	if err := os.WriteFile(path, []byte("not a known_hosts line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.callback(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("malformed file: %v", err)
	}
}

func FuzzKnownHosts(f *testing.F) {
	k := testKeys(f, 3)
	f.Add("[127.0.0.1]:2201 "+authorized(k[0])+"\n[127.0.0.1]:2201 "+authorized(k[1]), "127.0.0.1:2201")
	f.Add("h1,h2,!h3 "+authorized(k[0])+"\n@revoked * "+authorized(k[2]), "h2:22")
	f.Add("*.x "+authorized(k[1])+"\n[a.x]:22 "+authorized(k[0]), "a.x:22")
	f.Add("@cert-authority * "+authorized(k[0])+"\n[::1]:22,::1 "+authorized(k[2]), "[::1]:22")
	f.Add("[h]:2 "+authorized(k[0])+"\n#c\n\n[h]:2 "+authorized(k[0]), "h:2")
	f.Fuzz(func(t *testing.T, content, addr string) {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		lib, libErr := knownhosts.New(path)
		cb, err := (&knownHostsCache{}).callback(path)
		if (libErr == nil) != (err == nil) {
			t.Fatalf("library error %v, cache error %v", libErr, err)
		}
		if err != nil {
			return
		}
		remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}
		for i, key := range k {
			got, want := outcome(cb(addr, remote, key)), outcome(lib(addr, remote, key))
			if got != want {
				t.Errorf("%s key %d: got %s, the library says %s", addr, i, got, want)
			}
		}
	})
}

// BenchmarkKnownHostsCheck checks host keys against a fleet's known_hosts file of 10,000 lines,
// through the cache's index and through the library's callback.
func BenchmarkKnownHostsCheck(b *testing.B) {
	k := testKeys(b, 1)
	lines := make([]string, 10000)
	for i := range lines {
		lines[i] = fmt.Sprintf("[127.0.0.1]:%d %s", 20000+i, authorized(k[0]))
	}
	path := writeFile(b, lines...)
	lib, err := knownhosts.New(path)
	if err != nil {
		b.Fatal(err)
	}
	cache := &knownHostsCache{}
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 29999}
	for name, get := range map[string]func() (ssh.HostKeyCallback, error){
		"index":   func() (ssh.HostKeyCallback, error) { return cache.callback(path) },
		"library": func() (ssh.HostKeyCallback, error) { return lib, nil },
	} {
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				cb, err := get()
				if err != nil {
					b.Fatal(err)
				}
				if err := cb(fmt.Sprintf("127.0.0.1:%d", 20000+i%10000), remote, k[0]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
