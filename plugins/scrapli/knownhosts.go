package scrapli

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsCache parses each known_hosts file once (again when its modification time or size
// changes) and checks host keys through an index of its plain entries.
//
// golang.org/x/crypto/ssh/knownhosts checks a key by scanning every line of the file: with a
// fleet's file of 10,000 lines, a run of 10,000 connections costs 10^8 line matches. The index
// maps each host of a plain entry (no marker, no hashed or wildcard or negated pattern) to its
// keys, so a host listed with the key it shows is accepted by one map lookup. Every other case
// is decided by the library's own callback for the whole file, so the outcome is always the
// library's: a revoked key, a certificate, a host only matched by a hashed or wildcard pattern,
// an unknown host or a key mismatch (with every known key of the host in the *KeyError).
type knownHostsCache struct {
	mu sync.Mutex
	m  map[string]*knownHostsFile
}

// plainKey is a key of a plain entry.
type plainKey struct {
	blob  string // the key's wire form
	known knownhosts.KnownKey
}

// knownHostsFile is one parsed version of a known_hosts file.
type knownHostsFile struct {
	path string
	mod  time.Time
	size int64
	lib  ssh.HostKeyCallback // the library's callback for the whole file
	// plain maps host:port ("22" when the entry has no port) to the keys of the plain entries
	// listing it, in file order.
	plain map[string][]plainKey
	// complex reports lines that are not plain entries (markers, hashed or wildcard or negated
	// patterns, lines the index's parser did not take): hosts without a plain match go to lib.
	complex bool
	// revoked holds the wire form of every @revoked key: those always go to lib.
	revoked map[string]bool
}

// file returns the parsed known_hosts file at path, parsing it when it is new or has changed.
func (c *knownHostsCache) file(path string) (*knownHostsFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file (%s): %w", ExtraKnownHostsFile, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[path]; ok && f.mod.Equal(fi.ModTime()) && f.size == fi.Size() {
		return f, nil
	}
	f, err := loadKnownHosts(path, fi)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*knownHostsFile{}
	}
	c.m[path] = f
	return f, nil
}

// callback returns the host-key callback of the known_hosts file at path.
func (c *knownHostsCache) callback(path string) (ssh.HostKeyCallback, error) {
	f, err := c.file(path)
	if err != nil {
		return nil, err
	}
	return f.check, nil
}

func loadKnownHosts(path string, fi os.FileInfo) (*knownHostsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file (%s): %w", ExtraKnownHostsFile, err)
	}
	// The library parses the file too: its errors (a malformed line) are the user's, and its
	// callback decides every case the index does not.
	lib, err := knownhosts.New(path)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file %s: %w", path, err)
	}
	f := &knownHostsFile{path: path, mod: fi.ModTime(), size: fi.Size(), lib: lib,
		plain: map[string][]plainKey{}, revoked: map[string]bool{}}
	for n := 1; len(data) > 0; n++ {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		f.addLine(line, n)
	}
	return f, nil
}

// addLine indexes line number n of the file when it is a plain entry.
func (f *knownHostsFile) addLine(line []byte, n int) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] == '#' {
		return
	}
	marker, hosts, key, _, _, err := ssh.ParseKnownHosts(line)
	if err != nil || key == nil {
		f.complex = true
		return
	}
	if marker == "revoked" {
		f.revoked[string(key.Marshal())] = true
		f.complex = true
		return
	}
	if marker != "" {
		f.complex = true
		return
	}
	addrs := make([]string, 0, len(hosts))
	for _, h := range hosts {
		a, ok := plainPattern(h)
		if !ok {
			f.complex = true
			return
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		f.complex = true
		return
	}
	k := plainKey{blob: string(key.Marshal()), known: knownhosts.KnownKey{Key: key, Filename: f.path, Line: n}}
	for i, a := range addrs {
		if slices.Contains(addrs[:i], a) {
			continue // listed twice on the line: the library matches the line once
		}
		f.plain[a] = append(f.plain[a], k)
	}
}

// plainPattern returns the host:port a known_hosts host pattern stands for, as the library reads
// it ("[h]:p" is h port p, a bare "h" is h port 22), or false for a pattern the index does not
// take (hashed "|1|...", wildcards, negation).
func plainPattern(p string) (string, bool) {
	if p == "" || p[0] == '|' || p[0] == '!' || strings.ContainsAny(p, "*?") {
		return "", false
	}
	host, port, err := net.SplitHostPort(p)
	if err != nil {
		if p[0] == '[' {
			return "", false
		}
		host, port = p, "22"
	}
	return net.JoinHostPort(host, port), true
}

// check is the host-key callback: a plain entry of the host with this key accepts it at once;
// anything else is the library's decision (see knownHostsCache).
func (f *knownHostsFile) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	if _, cert := key.(*ssh.Certificate); cert {
		return f.lib(hostname, remote, key)
	}
	blob := key.Marshal()
	if len(f.revoked) > 0 && f.revoked[string(blob)] {
		return f.lib(hostname, remote, key)
	}
	address := hostname
	if address == "" && remote != nil {
		address = remote.String()
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return f.lib(hostname, remote, key)
	}
	known := f.plain[net.JoinHostPort(host, port)]
	for _, k := range known {
		if k.blob == string(blob) {
			return nil
		}
	}
	if f.complex {
		return f.lib(hostname, remote, key)
	}
	// Only plain entries: the library would find the same lines, in file order, as here.
	ke := &knownhosts.KeyError{}
	for _, k := range known {
		ke.Want = append(ke.Want, k.known)
	}
	return ke
}
