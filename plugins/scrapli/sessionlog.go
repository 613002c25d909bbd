package scrapli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonorn/norn/redact"
)

// Redacted replaces every secret in a session log and in error messages (redact.Mask).
const Redacted = redact.Mask

// Session log path placeholders, expanded per session (see ExtraSessionLog).
const (
	// PlaceholderHost is the inventory host name.
	PlaceholderHost = "{host}"
	// PlaceholderHostname is the address connected to (the host's hostname, or its name).
	PlaceholderHostname = "{hostname}"
	// PlaceholderPlatform is the canonical platform name, e.g. cisco_iosxe.
	PlaceholderPlatform = "{platform}"
)

// sessionLogPath expands the placeholders of a session_log path. A value's path separators
// become '_', so a host name cannot leave the directory; an unknown {word} is an error (a
// typo would otherwise send every host's log to one file).
func sessionLogPath(pattern, host, hostname, platform string) (string, error) {
	safe := func(s string) string {
		s = strings.NewReplacer("/", "_", `\`, "_", "\x00", "_").Replace(s)
		if s == "" || s == "." || s == ".." {
			s = "_"
		}
		return s
	}
	out := strings.NewReplacer(PlaceholderHost, safe(host), PlaceholderHostname, safe(hostname),
		PlaceholderPlatform, safe(platform)).Replace(pattern)
	if i := strings.IndexByte(out, '{'); i >= 0 {
		if j := strings.IndexByte(out[i:], '}'); j > 0 {
			return "", fmt.Errorf("%q: unknown placeholder %s (known: %s, %s, %s)", pattern, out[i:i+j+1],
				PlaceholderHost, PlaceholderHostname, PlaceholderPlatform)
		}
	}
	return out, nil
}

// openSessionLog opens a session's channel log at path (placeholders expanded), creating its
// missing parent directories (mode 0700: the logs show configurations), the file with mode
// 0600. Everything is written through a redact.Writer that masks the given secrets, the
// platform's configuration secrets and anything typed after a password prompt, line by line.
func openSessionLog(path string, appendMode bool, host, hostname, platform string, r *redact.Redactor) (*redact.Writer, error) {
	path, err := sessionLogPath(path, host, hostname, platform)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendMode {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, err
	}
	return redact.NewWriter(f, r), nil
}
