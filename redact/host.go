package redact

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gonorn/norn/inventory"
)

// secretWords are the parts of names that hold secrets.
var secretWords = []string{"passw", "pwd", "secret", "token", "apikey", "api_key", "community", "passphrase",
	"privatekey", "private_key", "auth_secondary", "credential"}

// IsSecretName reports whether a key name (a data key, an extra, a label) names a secret:
// password, secret, token, api key, community, passphrase, private key, credential.
func IsSecretName(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "-", "_"))
	return slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(n, w) })
}

// connectionNames are the connection option names norn's plugins and Nornir users commonly set.
var connectionNames = []string{"scrapli", "scrapli_netconf", "netconf", "netmiko", "napalm", "ssh", "paramiko", "ncclient"}

// dataNames are data keys that commonly hold secrets, looked up through groups and defaults.
var dataNames = []string{"enable_secret", "enable_password", "secret", "snmp_community", "community",
	"snmp_auth_password", "snmp_priv_password", "token", "api_token", "password", "auth_secondary"}

// HostSecrets returns the secrets a host's inventory holds: its password, each connection's
// password and secret extras (auth_secondary, the enable secret; netmiko's secret; key
// passphrases) and data values whose key names a secret, resolved through groups and defaults.
func HostSecrets(h *inventory.Host) []string {
	if h == nil {
		return nil
	}
	var out []string
	add := func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case fmt.Stringer:
			out = append(out, v.String())
		case int, int64, uint64, float64:
			out = append(out, fmt.Sprint(v))
		}
	}
	add(h.Password())
	names := slices.Clone(connectionNames)
	for _, n := range h.ConnectionNames() { // host, groups and defaults
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		p := h.ConnectionParams(n)
		add(p.Password)
		for k, v := range p.Extras {
			if IsSecretName(k) {
				add(v)
			}
		}
	}
	keys := slices.Clone(dataNames)
	for k := range h.ExtendedData() { // host, groups and defaults, resolved
		if IsSecretName(k) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if v, ok := h.Get(k); ok {
			add(v)
		}
	}
	return out
}

// Host returns a Redactor for the host's secrets (see HostSecrets) plus extra ones, with the
// configuration rules of the host's platform.
func Host(h *inventory.Host, extra ...string) *Redactor {
	r := New(append(HostSecrets(h), extra...)...)
	if h != nil {
		return r.WithPlatform(h.Platform())
	}
	return r
}

// URL returns raw fit for a log line or an error: without user info, query or fragment, and,
// unless keepPath, with only the first path segment (webhook URLs such as Slack's carry their
// token in the path).
func URL(raw string, keepPath bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid URL>"
	}
	s := u.Scheme + "://" + u.Host
	p := u.EscapedPath()
	if !keepPath {
		rest := strings.TrimPrefix(p, "/")
		first, _, more := strings.Cut(rest, "/")
		p = ""
		if first != "" {
			p = "/" + first
		}
		if more {
			p += "/..."
		}
	}
	s += p
	if u.RawQuery != "" {
		s += "?..."
	}
	return s
}
