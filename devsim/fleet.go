package devsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"
)

// FleetConfig configures a fleet of simulated devices. The zero value is a fleet of 200 devices
// of all five platforms on 127.0.0.1 with ports the kernel chooses.
type FleetConfig struct {
	// N is the number of devices. Default 200.
	N int
	// Platforms are the platforms to simulate, assigned to devices in turn. Default: all five.
	Platforms []Platform
	// Seed makes the fleet deterministic: names, sites, configurations, host keys and which
	// devices get random faults. Default 0.
	Seed uint64
	// Host is the loopback address devices listen on. Default "127.0.0.1".
	Host string
	// DistinctAddresses gives every device its own loopback address, 127.1.0.1, 127.1.0.2, ...
	// (every 127/8 address is local on Linux), instead of sharing Host. Default false.
	DistinctAddresses bool
	// Port is the port every device listens on when DistinctAddresses is set (22 needs
	// privileges). Default 0: ports the kernel chooses.
	Port int
	// ConfigSize is the approximate running configuration size of every device; 0 draws a
	// size per device (mostly 5-50 KB, up to 1 MB). Default 0.
	ConfigSize int
	// Username, Password and EnableSecret are every device's credentials. Defaults "admin",
	// "admin", "enable".
	Username, Password, EnableSecret string
	// Privilege is the users' privilege level (see DeviceConfig.Privilege). Default: per
	// platform.
	Privilege int
	// AuthorizedKeys are public keys every device accepts for Username.
	AuthorizedKeys []ssh.PublicKey
	// FaultRate is the fraction of devices (0 to 1) that get one random fault, chosen from
	// FaultKinds deterministically from Seed. Default 0.
	FaultRate float64
	// FaultKinds are the kinds random faults are drawn from. Default: all of FaultKinds().
	FaultKinds []FaultKind
	// Faults are explicit faults by device name; they replace a random fault.
	Faults map[string]Faults
	// ConfirmUnit is every device's DeviceConfig.ConfirmUnit (the real length of one second of
	// a commit-confirmed timer). Default 1s.
	ConfirmUnit time.Duration
	// FileSystemSize and DiscardFileData are every device's (see DeviceConfig). Defaults
	// 256 MiB, false.
	FileSystemSize  int64
	DiscardFileData bool
	// Dir is where the fleet's known_hosts file is written. Default: a temporary directory
	// removed by Close.
	Dir string
	// Logger receives connection-level events of every device (never secrets). Default none.
	Logger *zerolog.Logger
}

// Fleet is a running set of simulated devices.
type Fleet struct {
	cfg        FleetConfig
	devices    []*Device
	byName     map[string]*Device
	tmpDir     string
	knownHosts string
}

var platformRole = map[Platform]string{CiscoIOSXE: "rtr", CiscoNXOS: "nx", CiscoIOSXR: "pe", AristaEOS: "sw", JuniperJunos: "mx"}

// FleetDeviceConfigs returns the device configurations StartFleet would start for cfg (names,
// platforms, sites, faults), without starting anything.
func FleetDeviceConfigs(cfg FleetConfig) ([]DeviceConfig, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	rng := newRand(cfg.Seed, "fleet", "faults")
	random := pickFaults(rng, cfg.N, cfg.FaultRate, cfg.FaultKinds)
	width := max(4, len(fmt.Sprint(cfg.N)))
	out := make([]DeviceConfig, cfg.N)
	names := make(map[string]bool, cfg.N)
	for i := range out {
		p := cfg.Platforms[i%len(cfg.Platforms)]
		site := siteNames[(i/len(cfg.Platforms))%len(siteNames)]
		name := fmt.Sprintf("%s-%s-%0*d", site, platformRole[p], width, i+1)
		names[name] = true
		addr := net.JoinHostPort(cfg.Host, "0")
		if cfg.DistinctAddresses {
			n := i + 1
			addr = net.JoinHostPort(fmt.Sprintf("127.1.%d.%d", n/250, n%250+1), fmt.Sprint(cfg.Port))
		}
		dc := DeviceConfig{
			Name: name, Platform: p, Addr: addr, Seed: cfg.Seed, ConfigSize: cfg.ConfigSize,
			Username: cfg.Username, Password: cfg.Password, EnableSecret: cfg.EnableSecret,
			Privilege: cfg.Privilege, AuthorizedKeys: cfg.AuthorizedKeys, Logger: cfg.Logger,
			ConfirmUnit: cfg.ConfirmUnit, FileSystemSize: cfg.FileSystemSize, DiscardFileData: cfg.DiscardFileData,
			Data: map[string]string{"site": site, "role": platformRole[p]},
		}
		if k, ok := random[i]; ok {
			dc.Faults, _ = k.Faults()
		}
		if f, ok := cfg.Faults[name]; ok {
			dc.Faults = f
		}
		out[i] = dc
	}
	for name := range cfg.Faults {
		if !names[name] {
			return nil, fmt.Errorf("devsim: fleet: faults given for %q, which is not a device of the fleet", name)
		}
	}
	return out, nil
}

func (c *FleetConfig) setDefaults() error {
	if c.N == 0 {
		c.N = 200
	}
	if c.N < 0 {
		return fmt.Errorf("devsim: fleet: N = %d", c.N)
	}
	if len(c.Platforms) == 0 {
		c.Platforms = Platforms()
	}
	for _, p := range c.Platforms {
		if !p.Valid() {
			return fmt.Errorf("devsim: fleet: unknown platform %q (want one of %v)", string(p), Platforms())
		}
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if ip := net.ParseIP(c.Host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("devsim: fleet: host %q is not a loopback address", c.Host)
	}
	if c.DistinctAddresses && c.N > 250*250 {
		return fmt.Errorf("devsim: fleet: at most %d devices with distinct addresses", 250*250)
	}
	if c.FaultRate < 0 || c.FaultRate > 1 {
		return fmt.Errorf("devsim: fleet: fault rate %v is not in [0, 1]", c.FaultRate)
	}
	if len(c.FaultKinds) == 0 {
		c.FaultKinds = FaultKinds()
	}
	for _, k := range c.FaultKinds {
		if _, err := k.Faults(); err != nil {
			return err
		}
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
	return nil
}

// StartFleet starts cfg.N devices and writes the fleet's known_hosts file. Cancelling ctx
// while it starts stops it and closes what was started. Close the fleet when done.
func StartFleet(ctx context.Context, cfg FleetConfig) (*Fleet, error) {
	dcs, err := FleetDeviceConfigs(cfg)
	if err != nil {
		return nil, err
	}
	_ = cfg.setDefaults()
	f := &Fleet{cfg: cfg, devices: make([]*Device, len(dcs)), byName: make(map[string]*Device, len(dcs))}
	// listen first (cheap, sequential so that errors are reported in order), then derive host
	// keys and start serving on all cores
	lns := make([]net.Listener, len(dcs))
	closeAll := func() {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
	}
	ports := newPortAllocator()
	lc := listenConfig()
	for i := range dcs {
		if err := ctx.Err(); err != nil {
			closeAll()
			return nil, err
		}
		if err := dcs[i].setDefaults(); err != nil {
			closeAll()
			return nil, err
		}
		var ln net.Listener
		var err error
		if host, port, _ := net.SplitHostPort(dcs[i].Addr); port == "0" && !cfg.DistinctAddresses {
			ln, err = ports.listen(ctx, host)
		} else {
			ln, err = lc.Listen(ctx, "tcp", dcs[i].Addr)
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("devsim: fleet: device %q: listen on %s: %w", dcs[i].Name, dcs[i].Addr, err)
		}
		lns[i] = ln
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, len(dcs))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(dcs); i += workers {
				d, err := newDevice(dcs[i], lns[i])
				if err != nil {
					errs[i] = err
					continue
				}
				f.devices[i] = d
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll()
		return nil, err
	}
	for _, d := range f.devices {
		f.byName[d.cfg.Name] = d
		d.serve()
	}
	if err := f.writeKnownHosts(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (f *Fleet) writeKnownHosts() error {
	dir := f.cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "devsim-fleet-")
		if err != nil {
			return fmt.Errorf("devsim: fleet: %w", err)
		}
		f.tmpDir, dir = tmp, tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("devsim: fleet: %w", err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, "known_hosts"))
	if err != nil {
		return fmt.Errorf("devsim: fleet: %w", err)
	}
	var b strings.Builder
	for _, d := range f.devices {
		b.WriteString(d.KnownHostsLine())
		b.WriteByte('\n')
	}
	if err := os.WriteFile(abs, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("devsim: fleet: write %s: %w", abs, err)
	}
	f.knownHosts = abs
	return nil
}

// Devices returns the fleet's devices in order.
func (f *Fleet) Devices() []*Device { return f.devices }

// Device returns the device with that name.
func (f *Fleet) Device(name string) (*Device, bool) {
	d, ok := f.byName[name]
	return d, ok
}

// Len returns the number of devices.
func (f *Fleet) Len() int { return len(f.devices) }

// KnownHostsPath returns the absolute path of the fleet's known_hosts file (one line per device,
// "[127.0.0.1]:port ssh-ed25519 ...").
func (f *Fleet) KnownHostsPath() string { return f.knownHosts }

// Config returns the fleet's configuration, defaults filled in.
func (f *Fleet) Config() FleetConfig { return f.cfg }

// Stats returns the sum of every device's counters.
func (f *Fleet) Stats() Stats {
	var t Stats
	for _, d := range f.devices {
		s := d.Stats()
		t.Connections += s.Connections
		t.Active += s.Active
		t.Logins += s.Logins
		t.AuthFailures += s.AuthFailures
		t.Sessions += s.Sessions
		t.NetconfSessions += s.NetconfSessions
		t.Commands += s.Commands
		t.ConfigReads += s.ConfigReads
		t.ConfigChanges += s.ConfigChanges
	}
	return t
}

// Faulty returns the names of the devices that inject a fault, sorted, with their faults.
func (f *Fleet) Faulty() map[string]Faults {
	out := map[string]Faults{}
	for _, d := range f.devices {
		if fl := d.Faults(); fl.Any() {
			out[d.cfg.Name] = fl
		}
	}
	return out
}

// Close stops every device, waits for all their goroutines and removes the temporary
// directory (if the fleet made one).
func (f *Fleet) Close() error {
	var wg sync.WaitGroup
	errs := make([]error, len(f.devices))
	workers := runtime.GOMAXPROCS(0) * 4
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(f.devices); i += workers {
				if d := f.devices[i]; d != nil {
					errs[i] = d.Close()
				}
			}
		}()
	}
	wg.Wait()
	if f.tmpDir != "" {
		if err := os.RemoveAll(f.tmpDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
