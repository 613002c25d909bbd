package scrapli

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"slices"
	"sync"
)

// Redacted replaces every secret in a session log.
const Redacted = "<redacted>"

// secretLine matches the secret values of configuration lines of the five platforms: Cisco and
// Arista "enable secret 5 X", "username u secret sha512 X", "password 7 X", "snmp-server
// community X", "key 7 X", "md5 X"; Junos "encrypted-password "X"", "secret "X"",
// "authentication-key "X"", "community X". Group 1 is kept, group 2 (the value) is replaced.
var secretLine = regexp.MustCompile(`(?i)(\b(?:secret|password|community|key-string|key|pre-shared-key|authentication-key|encrypted-password|md5|sha|priv|auth-password|priv-password)(?:\s+(?:[0-9]|sha512|sha256|md5|scrypt|encrypted|hidden))?\s+)("[^"]*"|\S+)`)

// secretXML matches the text of secret XML elements (NETCONF replies).
var secretXML = regexp.MustCompile(`(?i)(<(?:[\w-]+:)?(?:encrypted-password|secret|password|key|authentication-key|pre-shared-key|community-name|key-string)>)([^<]*)`)

// passwordPrompt matches a password prompt and what follows it on the same line (the hidden
// input, should a device echo it).
var passwordPrompt = regexp.MustCompile(`(?i)((?:password|passphrase|secret)[^:\n]{0,20}:[ \t]*)(\S.*)$`)

const maxPending = 64 << 10

// redactingWriter is the channel log writer of a session: it buffers by line and writes each
// line with the known secrets (password, enable secret, key passphrase), secret configuration
// values and anything typed after a password prompt replaced by Redacted.
type redactingWriter struct {
	mu      sync.Mutex
	w       io.WriteCloser
	secrets [][]byte // longest first
	pending []byte
	err     error
}

func newRedactingWriter(w io.WriteCloser, secrets ...string) *redactingWriter {
	r := &redactingWriter{w: w}
	for _, s := range secrets {
		if s != "" {
			r.secrets = append(r.secrets, []byte(s))
		}
	}
	slices.SortFunc(r.secrets, func(a, b []byte) int { return len(b) - len(a) })
	return r
}

// openSessionLog opens path for a session's channel log.
func openSessionLog(path string, appendMode bool, secrets ...string) (*redactingWriter, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendMode {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	return newRedactingWriter(f, secrets...), nil
}

func (r *redactingWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return len(p), nil
	}
	r.pending = append(r.pending, p...)
	i := bytes.LastIndexByte(r.pending, '\n')
	if i < 0 && len(r.pending) < maxPending {
		return len(p), nil
	}
	var out []byte
	if i >= 0 {
		out = r.redact(r.pending[:i+1])
		r.pending = append(r.pending[:0], r.pending[i+1:]...)
	} else {
		out = r.redact(r.pending)
		r.pending = r.pending[:0]
	}
	if _, err := r.w.Write(out); err != nil && r.err == nil {
		r.err = err
	}
	// The channel ignores a log's write errors; keep accepting so the session goes on.
	return len(p), nil
}

// Close flushes the last partial line and closes the file.
func (r *redactingWriter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return r.err
	}
	if len(r.pending) > 0 {
		if _, err := r.w.Write(r.redact(r.pending)); err != nil && r.err == nil {
			r.err = err
		}
		r.pending = nil
	}
	if err := r.w.Close(); err != nil && r.err == nil {
		r.err = err
	}
	r.w = nil
	return r.err
}

// redact returns b (whole lines, possibly without the final newline) with secrets replaced.
func (r *redactingWriter) redact(b []byte) []byte {
	return redactText(b, r.secrets)
}

func redactText(b []byte, secrets [][]byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i+1], b[i+1:]
		} else {
			line, b = b, nil
		}
		out = append(out, redactLine(line, secrets)...)
	}
	return out
}

func redactLine(line []byte, secrets [][]byte) []byte {
	nl := bytes.HasSuffix(line, []byte("\n"))
	body := bytes.TrimSuffix(line, []byte("\n"))
	for _, s := range secrets {
		if bytes.Contains(body, s) {
			body = bytes.ReplaceAll(body, s, []byte(Redacted))
		}
	}
	body = secretLine.ReplaceAll(body, []byte("${1}"+Redacted))
	body = secretXML.ReplaceAll(body, []byte("${1}"+Redacted))
	body = passwordPrompt.ReplaceAll(body, []byte("${1}"+Redacted))
	if nl {
		body = append(body, '\n')
	}
	return body
}
