package devsim

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// DeviceConfig configures one simulated device. The zero value is a valid cisco_iosxe device
// named csr1000v with user admin/admin and enable secret "enable" on 127.0.0.1 and a port the
// kernel chooses.
type DeviceConfig struct {
	// Name is the device's name; it is its hostname unless Hostname is set. Default: the
	// platform's lab hostname (csr1000v, switch, ios, localhost, vsrx).
	Name string
	// Platform is the simulated operating system. Default: CiscoIOSXE.
	Platform Platform
	// Hostname is the hostname in the configuration and the prompt. Default: Name.
	Hostname string
	// Addr is the address to listen on. Default "127.0.0.1:0" (a port the kernel chooses).
	Addr string
	// Seed makes the generated configuration, host key and identity (serial number, MAC,
	// uptime) deterministic. The same Seed and Name give the same device. Default 0.
	Seed uint64
	// ConfigSize is the approximate size in bytes of the generated running configuration.
	// Default 0: a size drawn from Seed and Name, mostly 5-50 KB, some 2-5 KB, about 2% up
	// to 1 MB. Values are clamped to [1 KB, 4 MB].
	ConfigSize int
	// Username is the login user. Default "admin".
	Username string
	// Password is the login password. Default "admin", unless AuthorizedKeys is set, in
	// which case an empty Password disables password authentication.
	Password string
	// EnableSecret is the secret the "enable" command asks for. Default "enable".
	EnableSecret string
	// Privilege is the privilege level the user logs in with: 15 lands in privileged exec
	// ("#"), anything lower in exec (">") and needs "enable". Default: 15 for IOS-XE,
	// NX-OS and IOS-XR, 1 for EOS (the levels the recorded devices start in). NX-OS and
	// IOS-XR have no user exec level and always start privileged; Junos ignores it.
	Privilege int
	// AuthorizedKeys are the public keys accepted for Username.
	AuthorizedKeys []ssh.PublicKey
	// Faults are the failures the device injects. Default none.
	Faults Faults
	// Data is free-form inventory data written to the device's entry in hosts.yaml (site,
	// role, ...). Optional.
	Data map[string]string
	// ConfirmUnit is how long one second of the device's commit-confirmed timers lasts (Junos
	// "commit confirmed N" minutes, IOS-XR "commit confirmed N" seconds, EOS "commit timer"),
	// so that tests can run a confirm window in a fraction of real time. Default 1s.
	ConfirmUnit time.Duration
	// FileSystemSize is the size in bytes of the device's file system (bootflash:, flash:,
	// harddisk:, /var/tmp), served over SFTP; writes past it fail with "No space left on
	// device". Default 256 MiB.
	FileSystemSize int64
	// DiscardFileData keeps only the size and MD5 of the files written to the device, not
	// their contents (reading one back fails): for transfer benchmarks to many devices.
	// Default false.
	DiscardFileData bool
	// Logger receives connection-level events (accepted, login failed, closed) at debug level,
	// never secrets. Default: no logging.
	Logger *zerolog.Logger
}

func (c *DeviceConfig) setDefaults() error {
	if c.Platform == "" {
		c.Platform = CiscoIOSXE
	}
	if !c.Platform.Valid() {
		return fmt.Errorf("devsim: device %q: unknown platform %q (want one of %v)", c.Name, string(c.Platform), Platforms())
	}
	if c.Name == "" {
		c.Name = c.Platform.defaultHostname()
	}
	if c.Hostname == "" {
		c.Hostname = c.Name
	}
	if !validHostname(c.Hostname) {
		return fmt.Errorf("devsim: device %q: hostname %q is not a valid device hostname (letters, digits, '.', '-', '_', at most 63)", c.Name, c.Hostname)
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Username == "" {
		c.Username = "admin"
	}
	if c.Password == "" && len(c.AuthorizedKeys) == 0 {
		c.Password = "admin"
	}
	if c.EnableSecret == "" {
		c.EnableSecret = "enable"
	}
	if c.Privilege == 0 {
		c.Privilege = c.Platform.defaultPrivilege()
	}
	if c.Privilege < 0 || c.Privilege > 15 {
		return fmt.Errorf("devsim: device %q: privilege %d out of range 0-15", c.Name, c.Privilege)
	}
	if c.ConfigSize == 0 {
		c.ConfigSize = defaultConfigSize(c.Seed, c.Name)
	}
	if c.ConfirmUnit <= 0 {
		c.ConfirmUnit = time.Second
	}
	c.ConfigSize = min(max(c.ConfigSize, 1<<10), 4<<20)
	return nil
}

func validHostname(h string) bool {
	if h == "" || len(h) > 63 {
		return false
	}
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// defaultConfigSize draws a configuration size: 90% 5-50 KB, 8% 2-5 KB, 2% 50 KB-1 MB, each
// log-uniform.
func defaultConfigSize(seed uint64, name string) int {
	rng := newRand(seed, name, "size")
	logU := func(lo, hi float64) int {
		return int(lo * math.Pow(hi/lo, rng.Float64()))
	}
	switch x := rng.Float64(); {
	case x < 0.02:
		return logU(50<<10, 1<<20)
	case x < 0.10:
		return logU(2<<10, 5<<10)
	default:
		return logU(5<<10, 50<<10)
	}
}

// newRand returns a PCG generator seeded from seed, the device name and a purpose, so that
// every property of a device is deterministic and independent of the others.
func newRand(seed uint64, name, purpose string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Stats are a device's counters since it started.
type Stats struct {
	// Connections is the number of TCP connections accepted.
	Connections int64
	// Active is the number of connections open now.
	Active int64
	// Logins is the number of successful SSH authentications.
	Logins int64
	// AuthFailures is the number of rejected authentication attempts.
	AuthFailures int64
	// Sessions is the number of interactive shells started.
	Sessions int64
	// NetconfSessions is the number of NETCONF subsystem sessions started.
	NetconfSessions int64
	// Commands is the number of command lines executed (CLI and exec requests).
	Commands int64
	// ConfigReads is the number of times the running configuration was shown or fetched.
	ConfigReads int64
	// ConfigChanges is the number of configuration changes applied (lines accepted in
	// configuration mode, commits).
	ConfigChanges int64
	// AutoRollbacks is the number of times an unconfirmed commit confirmed (or EOS commit
	// timer) ran out and the device restored the configuration it had before by itself.
	AutoRollbacks int64
}

type counters struct {
	connections, active, logins, authFailures, sessions, netconf, commands, configReads, configChanges, autoRollbacks atomic.Int64
}

// Device is a running simulated device. Its methods are safe for concurrent use.
type Device struct {
	cfg     DeviceConfig
	ln      net.Listener
	addr    *net.TCPAddr
	hostKey ssh.Signer
	authKey map[string]bool // marshaled authorized keys
	ident   identity
	log     zerolog.Logger

	stats counters

	mu        sync.Mutex
	faults    Faults
	st        *runState // the device's mutable state, created on first change
	rb        rollbackState
	fs        files
	conns     map[net.Conn]struct{}
	closed    bool
	closing   chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// runState is the part of a device that changes: the configuration once it has been changed
// (nil fields mean "the generated one"), the hostname and the change times.
type runState struct {
	cfg          *config // nil: generated on demand from the seed
	startup      *config // nil: same as the generated configuration
	enableSecret string
	lastChange   time.Time
	lastChangeBy string
	savedAt      time.Time
	savedBy      string
}

// Start starts one simulated device listening on cfg.Addr. Close it when done.
func Start(cfg DeviceConfig) (*Device, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ln, err := listenConfig().Listen(context.Background(), "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("devsim: device %q: listen on %s: %w", cfg.Name, cfg.Addr, err)
	}
	d, err := newDevice(cfg, ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	d.serve()
	return d, nil
}

func newDevice(cfg DeviceConfig, ln net.Listener) (*Device, error) {
	d := &Device{
		cfg:     cfg,
		ln:      ln,
		faults:  cfg.Faults,
		closing: make(chan struct{}),
		ident:   newIdentity(cfg),
	}
	d.addr, _ = ln.Addr().(*net.TCPAddr)
	if cfg.Logger != nil {
		d.log = cfg.Logger.With().Str("device", cfg.Name).Logger()
	} else {
		d.log = zerolog.Nop()
	}
	signer, err := ssh.NewSignerFromKey(hostKeyFor(cfg.Seed, cfg.Name))
	if err != nil {
		return nil, fmt.Errorf("devsim: device %q: host key: %w", cfg.Name, err)
	}
	d.hostKey = signer
	if len(cfg.AuthorizedKeys) > 0 {
		d.authKey = make(map[string]bool, len(cfg.AuthorizedKeys))
		for _, k := range cfg.AuthorizedKeys {
			d.authKey[string(k.Marshal())] = true
		}
	}
	return d, nil
}

// hostKeyFor derives a device's ed25519 host key from the seed and its name.
func hostKeyFor(seed uint64, name string) ed25519.PrivateKey {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	h := sha256.New()
	h.Write([]byte("devsim host key\x00"))
	h.Write(b[:])
	h.Write([]byte(name))
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// Name returns the device's name.
func (d *Device) Name() string { return d.cfg.Name }

// Platform returns the device's platform.
func (d *Device) Platform() Platform { return d.cfg.Platform }

// Config returns the configuration the device was started with (defaults filled in).
func (d *Device) Config() DeviceConfig { return d.cfg }

// Addr returns the address the device listens on, "127.0.0.1:port".
func (d *Device) Addr() string { return d.ln.Addr().String() }

// Host returns the IP address the device listens on.
func (d *Device) Host() string {
	if d.addr != nil {
		return d.addr.IP.String()
	}
	h, _, _ := net.SplitHostPort(d.Addr())
	return h
}

// Port returns the TCP port the device listens on.
func (d *Device) Port() int {
	if d.addr != nil {
		return d.addr.Port
	}
	_, p, _ := net.SplitHostPort(d.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// HostKey returns the device's SSH host public key.
func (d *Device) HostKey() ssh.PublicKey { return d.hostKey.PublicKey() }

// KnownHostsLine returns the device's known_hosts line ("[127.0.0.1]:port ssh-ed25519 ...").
func (d *Device) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(d.Addr())}, d.HostKey())
}

// Hostname returns the device's current hostname (it changes with "hostname X" in
// configuration mode, or "set system host-name X" and commit on Junos).
func (d *Device) Hostname() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hostnameLocked()
}

func (d *Device) hostnameLocked() string {
	if d.st != nil && d.st.cfg != nil {
		h := d.st.cfg.hostname()
		if h == "" && d.cfg.Platform != JuniperJunos {
			// "no hostname" brings back the factory name; a Junos device without host-name
			// prompts with the user's name alone
			return d.cfg.Platform.factoryHostname()
		}
		return h
	}
	return d.cfg.Hostname
}

// Faults returns the faults the device injects now.
func (d *Device) Faults() Faults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults
}

// SetFaults changes the faults the device injects, for connections accepted from now on (and
// for the latencies, for open sessions too).
func (d *Device) SetFaults(f Faults) {
	d.mu.Lock()
	d.faults = f
	d.mu.Unlock()
}

// Stats returns a snapshot of the device's counters.
func (d *Device) Stats() Stats {
	s := &d.stats
	return Stats{
		Connections:     s.connections.Load(),
		Active:          s.active.Load(),
		Logins:          s.logins.Load(),
		AuthFailures:    s.authFailures.Load(),
		Sessions:        s.sessions.Load(),
		NetconfSessions: s.netconf.Load(),
		Commands:        s.commands.Load(),
		ConfigReads:     s.configReads.Load(),
		ConfigChanges:   s.configChanges.Load(),
		AutoRollbacks:   s.autoRollbacks.Load(),
	}
}

// Close stops the device: it stops listening, drops every open connection and waits for all of
// the device's goroutines to end. It is safe to call more than once.
func (d *Device) Close() error {
	var err error
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.stopConfirmLocked()
		close(d.closing)
		conns := d.conns
		d.conns = nil
		d.mu.Unlock()
		err = d.ln.Close()
		for c := range conns {
			c.Close()
		}
		d.wg.Wait()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	})
	return err
}

// track registers an open connection so Close can drop it; it reports false when the device is
// already closing.
func (d *Device) track(c net.Conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	if d.conns == nil {
		d.conns = make(map[net.Conn]struct{})
	}
	d.conns[c] = struct{}{}
	return true
}

func (d *Device) untrack(c net.Conn) {
	d.mu.Lock()
	delete(d.conns, c)
	d.mu.Unlock()
}

// sleep waits for dur or until the device closes; it reports false when the device closed.
func (d *Device) sleep(dur time.Duration) bool {
	if dur <= 0 {
		return true
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-d.closing:
		return false
	}
}

// enableSecret returns the current enable secret.
func (d *Device) enableSecret() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st != nil && d.st.enableSecret != "" {
		return d.st.enableSecret
	}
	return d.cfg.EnableSecret
}

// state returns the mutable state, creating it; the caller holds d.mu.
func (d *Device) stateLocked() *runState {
	if d.st == nil {
		d.st = &runState{}
	}
	return d.st
}
