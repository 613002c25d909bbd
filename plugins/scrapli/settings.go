package scrapli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Extras keys read from the host's connection options (named like scrapli's keyword arguments).
const (
	// ExtraAuthSecondary is the enable secret (string). Used by platforms whose default
	// privilege level needs "enable" (IOS-XE, NX-OS, EOS from the exec prompt).
	ExtraAuthSecondary = "auth_secondary"
	// ExtraAuthStrictKey turns strict host-key checking on or off (bool, default true).
	ExtraAuthStrictKey = "auth_strict_key"
	// ExtraKnownHostsFile is the known_hosts file used when auth_strict_key is on
	// (string path, default ~/.ssh/known_hosts).
	ExtraKnownHostsFile = "ssh_known_hosts_file"
	// ExtraPrivateKey is the path of a private key for public-key authentication (string).
	ExtraPrivateKey = "auth_private_key"
	// ExtraPrivateKeyPassphrase is the passphrase of auth_private_key (string).
	ExtraPrivateKeyPassphrase = "auth_private_key_passphrase"
	// ExtraTimeoutSocket bounds the TCP connect, in seconds (number, default 15).
	ExtraTimeoutSocket = "timeout_socket"
	// ExtraTimeoutTransport bounds the SSH handshake, authentication and shell setup, in
	// seconds (number, default 30).
	ExtraTimeoutTransport = "timeout_transport"
	// ExtraTimeoutOps bounds each operation (one command, one prompt, one RPC), in seconds
	// (number, default 30).
	ExtraTimeoutOps = "timeout_ops"
	// ExtraTransport selects the transport: "standard" (default, in-process crypto/ssh, the
	// plugin's own scrapligo transport) or "system" (scrapligo's wrapper around the OpenSSH
	// client binary, password typed in the channel). With "system", cancellation uses
	// scrapligo's forced close, and a login that times out leaves one scrapligo goroutine
	// behind (a scrapligo bug the plugin cannot reach).
	ExtraTransport = "transport"
	// ExtraSessionLog is the path of a per-host session log (everything the device printed),
	// redacted line by line with package redact: the password, enable secret and key
	// passphrase, the platform's secret configuration lines (everything a backup removes),
	// secret-shaped strings and anything typed after a password prompt (string). Placeholders
	// are expanded per session: {host} (inventory name), {hostname} (address) and {platform}
	// (canonical name), e.g. /var/log/norn/{host}.log; an unknown {word} is an error. Missing
	// parent directories are created (mode 0700), the file with mode 0600. Without {host},
	// hosts sharing the setting write (and truncate) one file.
	ExtraSessionLog = "session_log"
	// ExtraSessionLogAppend appends to session_log instead of truncating it (bool, default
	// false).
	ExtraSessionLogAppend = "session_log_append"
	// ExtraNetconfVersion is the preferred NETCONF base version, "1.0" or "1.1" (NETCONF only;
	// default: the highest both sides support).
	ExtraNetconfVersion = "preferred_netconf_version"
	// ExtraKexAlgorithms lists the SSH key exchange algorithms the client offers, in order of
	// preference (a list of names, or one comma-separated string), e.g. [curve25519-sha256,
	// ecdh-sha2-nistp256]. Names are golang.org/x/crypto/ssh's (its SupportedAlgorithms and
	// InsecureAlgorithms); an unknown name is an error. Default: x/crypto's own list, which
	// starts with the post-quantum hybrid mlkem768x25519-sha256 (network devices do not offer
	// it yet, so they negotiate the next common one). With the system transport it becomes
	// ssh's -o KexAlgorithms.
	ExtraKexAlgorithms = "ssh_kex_algorithms"
)

// Transport names for ExtraTransport.
const (
	TransportStandard = "standard"
	TransportSystem   = "system"
)

// Defaults, as scrapli (Python) and nornir_scrapli users know them.
const (
	DefaultTimeoutSocket    = 15 * time.Second
	DefaultTimeoutTransport = 30 * time.Second
	DefaultTimeoutOps       = 30 * time.Second
)

var sshExtras = []string{
	ExtraAuthSecondary, ExtraAuthStrictKey, ExtraKnownHostsFile, ExtraPrivateKey,
	ExtraPrivateKeyPassphrase, ExtraTimeoutSocket, ExtraTimeoutTransport, ExtraTimeoutOps,
	ExtraTransport, ExtraSessionLog, ExtraSessionLogAppend, ExtraKexAlgorithms,
}

var netconfExtras = []string{
	ExtraAuthStrictKey, ExtraKnownHostsFile, ExtraPrivateKey, ExtraPrivateKeyPassphrase,
	ExtraTimeoutSocket, ExtraTimeoutTransport, ExtraTimeoutOps, ExtraTransport, ExtraSessionLog,
	ExtraSessionLogAppend, ExtraNetconfVersion, ExtraKexAlgorithms,
}

// settings are the parsed extras of one host's connection.
type settings struct {
	authSecondary    string
	strictKey        bool
	knownHostsFile   string
	privateKey       string
	passphrase       string
	timeoutSocket    time.Duration
	timeoutTransport time.Duration
	timeoutOps       time.Duration
	transport        string
	sessionLog       string
	sessionLogAppend bool
	netconfVersion   string
	kexAlgorithms    []string // nil: x/crypto's default
}

// parseSettings reads extras; allowed lists the keys this connection type accepts. Unknown keys
// are an error (like an unexpected keyword argument in scrapli), so that a typo such as
// "auth_secondry" fails loudly instead of making enable fail later.
func parseSettings(extras map[string]any, allowed []string) (settings, error) {
	s := settings{
		strictKey:        true,
		timeoutSocket:    DefaultTimeoutSocket,
		timeoutTransport: DefaultTimeoutTransport,
		timeoutOps:       DefaultTimeoutOps,
		transport:        TransportStandard,
	}
	keys := make([]string, 0, len(extras))
	for k := range extras {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := extras[k]
		if !slices.Contains(allowed, k) {
			return s, fmt.Errorf("unknown connection option extra %q (known: %s)", k, strings.Join(allowed, ", "))
		}
		if v == nil {
			continue
		}
		var err error
		switch k {
		case ExtraAuthSecondary:
			s.authSecondary, err = asString(k, v)
		case ExtraAuthStrictKey:
			s.strictKey, err = asBool(k, v)
		case ExtraKnownHostsFile:
			s.knownHostsFile, err = asPath(k, v)
		case ExtraPrivateKey:
			s.privateKey, err = asPath(k, v)
		case ExtraPrivateKeyPassphrase:
			s.passphrase, err = asString(k, v)
		case ExtraTimeoutSocket:
			s.timeoutSocket, err = asSeconds(k, v)
		case ExtraTimeoutTransport:
			s.timeoutTransport, err = asSeconds(k, v)
		case ExtraTimeoutOps:
			s.timeoutOps, err = asSeconds(k, v)
		case ExtraTransport:
			s.transport, err = asString(k, v)
			if err == nil && s.transport != TransportStandard && s.transport != TransportSystem {
				err = fmt.Errorf("extra %q: %q is not a transport (want %q or %q)", k, s.transport, TransportStandard, TransportSystem)
			}
		case ExtraSessionLog:
			s.sessionLog, err = asPath(k, v)
			if err == nil {
				if _, perr := sessionLogPath(s.sessionLog, "h", "h", "p"); perr != nil {
					err = fmt.Errorf("extra %q: %w", k, perr)
				}
			}
		case ExtraSessionLogAppend:
			s.sessionLogAppend, err = asBool(k, v)
		case ExtraKexAlgorithms:
			s.kexAlgorithms, err = asKexList(k, v)
		case ExtraNetconfVersion:
			var ver string
			ver, err = asString(k, v)
			if err == nil {
				switch ver {
				case "1.0", "1.1", "":
					s.netconfVersion = ver
				default:
					err = fmt.Errorf("extra %q: %q is not a NETCONF version (want \"1.0\" or \"1.1\")", k, ver)
				}
			}
		}
		if err != nil {
			return s, err
		}
	}
	if s.strictKey && s.knownHostsFile == "" {
		home, err := os.UserHomeDir()
		if err == nil {
			s.knownHostsFile = filepath.Join(home, ".ssh", "known_hosts")
		}
	}
	return s, nil
}

// closeWait bounds the polite part of Close (the platform's exit sequence): the smaller of
// timeout_ops and timeout_transport, at most 10 s. Past it the transport is closed anyway.
func (s settings) closeWait() time.Duration {
	return min(s.timeoutOps, s.timeoutTransport, 10*time.Second)
}

func asString(k string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, float64:
		// YAML turns an all-digit secret into a number; accept it as the text it was.
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("extra %q: want a string, got %T", k, v)
}

func asPath(k string, v any) (string, error) {
	s, err := asString(k, v)
	if err != nil || s == "" {
		return s, err
	}
	if s == "~" || strings.HasPrefix(s, "~/") {
		home, herr := os.UserHomeDir()
		if herr != nil {
			return "", fmt.Errorf("extra %q: %q: %w", k, s, herr)
		}
		s = filepath.Join(home, strings.TrimPrefix(s, "~"))
	}
	return s, nil
}

// asKexList reads a list of key exchange names: a YAML list or a comma-separated string. Each
// must be an algorithm x/crypto/ssh implements.
func asKexList(k string, v any) ([]string, error) {
	var names []string
	switch x := v.(type) {
	case string:
		names = strings.Split(x, ",")
	case []string:
		names = x
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("extra %q: want a list of algorithm names, got an element %v (%T)", k, e, e)
			}
			names = append(names, s)
		}
	default:
		return nil, fmt.Errorf("extra %q: want a list of algorithm names, got %T", k, v)
	}
	known := append(ssh.SupportedAlgorithms().KeyExchanges, ssh.InsecureAlgorithms().KeyExchanges...)
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("extra %q: unknown key exchange %q (known: %s)", k, n, strings.Join(known, ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("extra %q: empty list of key exchanges (leave it out for the default)", k)
	}
	return out, nil
}

func asBool(k string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(x)
		if err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("extra %q: want true or false, got %v (%T)", k, v, v)
}

func asSeconds(k string, v any) (time.Duration, error) {
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	case string:
		var err error
		f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("extra %q: want a number of seconds, got %q", k, x)
		}
	default:
		return 0, fmt.Errorf("extra %q: want a number of seconds, got %T", k, v)
	}
	if math.IsNaN(f) || f <= 0 || f > 24*3600 {
		return 0, fmt.Errorf("extra %q: %v seconds is out of range (want > 0 and <= 86400)", k, v)
	}
	return time.Duration(f * float64(time.Second)), nil
}
