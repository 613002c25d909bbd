package scrapli

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/logging"
	"github.com/scrapli/scrapligo/util"
	"golang.org/x/crypto/ssh"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/redact"
)

// endpoint is who a session talks to.
type endpoint struct {
	host     string // inventory name
	hostname string
	port     int
	addr     string
	user     string
	password string
}

func endpointOf(t connection.Target, defaultPort int) endpoint {
	e := endpoint{hostname: t.Params.Hostname, port: t.Params.Port, user: t.Params.Username, password: t.Params.Password}
	if t.Host != nil {
		e.host = t.Host.Name
		if e.hostname == "" {
			e.hostname = t.Host.Hostname()
		}
	}
	if e.hostname == "" {
		e.hostname = e.host
	}
	if e.host == "" {
		e.host = e.hostname
	}
	if e.port == 0 {
		e.port = defaultPort
	}
	e.addr = joinHostPort(e.hostname, e.port)
	return e
}

// clientConfig is the crypto/ssh configuration of the standard transport.
func (c *knownHostsCache) clientConfig(e endpoint, st settings) (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{User: e.user}
	cfg.KeyExchanges = st.kexAlgorithms // nil: x/crypto's default
	if st.privateKey != "" {
		pem, err := os.ReadFile(st.privateKey)
		if err != nil {
			return nil, fmt.Errorf("private key (%s): %w", ExtraPrivateKey, err)
		}
		var signer ssh.Signer
		if st.passphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(st.passphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(pem)
		}
		if err != nil {
			return nil, fmt.Errorf("private key %s: %w", st.privateKey, err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if e.password != "" {
		pw := e.password
		cfg.Auth = append(cfg.Auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	if !st.strictKey {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // the user turned auth_strict_key off
		return cfg, nil
	}
	if st.knownHostsFile == "" {
		return nil, fmt.Errorf("%s is on but no known_hosts file is set (%s)", ExtraAuthStrictKey, ExtraKnownHostsFile)
	}
	cb, err := c.callback(st.knownHostsFile)
	if err != nil {
		return nil, err
	}
	file := st.knownHostsFile
	cfg.HostKeyCallback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if err := cb(hostname, remote, key); err != nil {
			return fmt.Errorf("%w: %s against %s: %w", ErrHostKey, hostname, file, err)
		}
		return nil
	}
	return cfg, nil
}

// systemOptions are scrapligo's options for its system transport (the ssh binary).
func systemOptions(st settings) []util.Option {
	opts := []util.Option{options.WithTransportType(TransportSystem)}
	if st.strictKey {
		opts = append(opts, options.WithSSHKnownHostsFile(st.knownHostsFile))
	} else {
		opts = append(opts, options.WithAuthNoStrictKey())
	}
	if st.privateKey != "" {
		opts = append(opts, options.WithAuthPrivateKey(st.privateKey, st.passphrase))
	}
	if len(st.kexAlgorithms) > 0 {
		opts = append(opts, options.WithSystemTransportOpenArgs([]string{"-o", "KexAlgorithms=" + strings.Join(st.kexAlgorithms, ",")}))
	}
	return opts
}

// scrapligoLogger bridges scrapligo's critical messages to the host's logger at debug level,
// secrets redacted. It returns nil when the logger would drop debug messages (scrapligo's
// logging costs a goroutine per message).
func scrapligoLogger(l zerolog.Logger, r *redact.Redactor) *logging.Instance {
	if l.GetLevel() > zerolog.DebugLevel || zerolog.GlobalLevel() > zerolog.DebugLevel {
		return nil
	}
	inst, err := logging.NewInstance(
		logging.WithLevel(logging.Critical),
		logging.WithLogger(func(a ...any) {
			l.Debug().Str("component", "scrapligo").Msg(r.String(fmt.Sprint(a...)))
		}),
	)
	if err != nil {
		return nil
	}
	return inst
}
