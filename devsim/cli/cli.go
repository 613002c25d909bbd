// Package cli is devsim's command line: Run parses devsim's flags, starts the fleet, writes its
// SimpleInventory and serves until its context ends. Both the devsim command
// (devsim/cmd/devsim) and 'norn devsim' call it.
//
//	devsim -n 1000 -inventory ./inv                 # 1000 devices, all five platforms
//	devsim -n 50 -platforms cisco_iosxe,arista_eos -fault-rate 0.1 -inventory ./inv
//	devsim -n 10 -fault r0001=reject-auth -fault ams-sw-0004=slow,truncate-config
//
// It is not the simulator (package devsim).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"

	"github.com/gonorn/norn/devsim"
)

// ErrUsage is wrapped by the error Run returns for a bad command line, after printing it.
var ErrUsage = errors.New("bad usage")

type faultFlags map[string]devsim.Faults

// String lists the faults (flag.Value).
func (f faultFlags) String() string { return fmt.Sprint(map[string]devsim.Faults(f)) }

// Set adds NAME=KIND[,KIND...].
func (f faultFlags) Set(v string) error {
	name, kinds, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New("want NAME=KIND[,KIND...]")
	}
	fl, err := devsim.ParseFaults(kinds)
	if err != nil {
		return err
	}
	f[name] = fl
	return nil
}

// Run parses args (devsim's flags), runs the fleet until ctx is done and prints where the
// devices listen, then their statistics, on stdout. name is the command's name in messages
// ("devsim", "norn devsim"). It returns flag.ErrHelp for -h, and an error naming the flag for a
// bad command line.
func Run(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags]\n\nRuns a fleet of simulated network devices (SSH, NETCONF) on loopback and writes a Nornir\nSimpleInventory for it, until SIGINT or SIGTERM.\n\nFlags:\n", name)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExamples:\n  %[1]s -n 1000 -inventory ./inv\n  %[1]s -n 50 -platforms cisco_iosxe,arista_eos -fault-rate 0.1 -inventory ./inv\n  %[1]s -n 10 -fault ams-rtr-0001=reject-auth -fault ams-sw-0004=slow,truncate-config\n", name)
	}
	n := fs.Int("n", 200, "number of devices")
	platforms := fs.String("platforms", "", "comma-separated platforms (default all: cisco_iosxe,cisco_nxos,cisco_iosxr,arista_eos,juniper_junos)")
	seed := fs.Uint64("seed", 0, "seed for names, configurations, host keys and random faults")
	host := fs.String("host", "127.0.0.1", "loopback address to listen on")
	distinct := fs.Bool("distinct", false, "give every device its own loopback address (127.1.x.y)")
	port := fs.Int("port", 0, "port for every device with -distinct (0: kernel-chosen ports)")
	inventory := fs.String("inventory", "", "directory to write hosts.yaml, groups.yaml, defaults.yaml and known_hosts to")
	size := fs.Int("config-size", 0, "running configuration size in bytes for every device (0: a mix, mostly 5-50 KB)")
	user := fs.String("user", "admin", "login username")
	password := fs.String("password", "admin", "login password")
	enable := fs.String("enable", "enable", "enable secret")
	privilege := fs.Int("privilege", 0, "login privilege level (0: per platform; 15 lands in privileged exec)")
	keys := fs.String("authorized-keys", "", "authorized_keys file with public keys every device accepts")
	rate := fs.Float64("fault-rate", 0, "fraction of devices with a random fault (0..1)")
	kinds := fs.String("fault-kinds", "", "comma-separated fault kinds for random faults (default all: "+joinKinds()+")")
	faults := faultFlags{}
	fs.Var(faults, "fault", "explicit fault for a device: NAME=KIND[,KIND...] (repeatable)")
	list := fs.Bool("list", false, "print every device (name, platform, address, faults)")
	verbose := fs.Bool("v", false, "log connections to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err) // flag printed it already
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q (every setting is a flag)\n", name, fs.Arg(0))
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	raiseFileLimit()
	cfg := devsim.FleetConfig{
		N: *n, Seed: *seed, Host: *host, DistinctAddresses: *distinct, Port: *port, ConfigSize: *size,
		Username: *user, Password: *password, EnableSecret: *enable, Privilege: *privilege,
		FaultRate: *rate, Faults: faults, Dir: *inventory,
	}
	if *platforms != "" {
		for _, p := range strings.Split(*platforms, ",") {
			pl, err := devsim.ParsePlatform(strings.TrimSpace(p))
			if err != nil {
				return err
			}
			cfg.Platforms = append(cfg.Platforms, pl)
		}
	}
	if *kinds != "" {
		for _, k := range strings.Split(*kinds, ",") {
			cfg.FaultKinds = append(cfg.FaultKinds, devsim.FaultKind(strings.TrimSpace(k)))
		}
	}
	if *keys != "" {
		b, err := os.ReadFile(*keys)
		if err != nil {
			return err
		}
		for len(strings.TrimSpace(string(b))) > 0 {
			k, _, _, rest, err := ssh.ParseAuthorizedKey(b)
			if err != nil {
				return fmt.Errorf("%s: %w", *keys, err)
			}
			cfg.AuthorizedKeys = append(cfg.AuthorizedKeys, k)
			b = rest
		}
	}
	if *verbose {
		l := zerolog.New(zerolog.ConsoleWriter{Out: stderr}).Level(zerolog.DebugLevel).With().Timestamp().Logger()
		cfg.Logger = &l
	}
	start := time.Now()
	fleet, err := devsim.StartFleet(ctx, cfg)
	if err != nil {
		return err
	}
	defer fleet.Close()
	if *inventory != "" {
		if err := fleet.WriteInventory(*inventory); err != nil {
			return err
		}
	}
	devs := fleet.Devices()
	lo, hi := 65535, 0
	for _, d := range devs {
		lo, hi = min(lo, d.Port()), max(hi, d.Port())
	}
	fmt.Fprintf(stdout, "devsim: %d devices listening on %s (ports %d-%d), started in %s\n", len(devs), listenDesc(cfg), lo, hi, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "devsim: known_hosts: %s\n", fleet.KnownHostsPath())
	if *inventory != "" {
		fmt.Fprintf(stdout, "devsim: inventory: %s (hosts.yaml, groups.yaml, defaults.yaml)\n", *inventory)
	}
	if fl := fleet.Faulty(); len(fl) > 0 {
		fmt.Fprintf(stdout, "devsim: %d devices inject faults\n", len(fl))
	}
	if *list {
		for _, d := range devs {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", d.Name(), d.Platform(), d.Addr(), d.Faults())
		}
	}
	fmt.Fprintln(stdout, "devsim: running until SIGINT or SIGTERM")
	<-ctx.Done()
	st := fleet.Stats()
	fmt.Fprintf(stdout, "devsim: stopping: %d connections, %d logins, %d auth failures, %d sessions, %d commands, %d configuration reads\n",
		st.Connections, st.Logins, st.AuthFailures, st.Sessions, st.Commands, st.ConfigReads)
	return nil
}

func listenDesc(cfg devsim.FleetConfig) string {
	if cfg.DistinctAddresses {
		return "127.1.0.1 and up"
	}
	return cfg.Host
}

func joinKinds() string {
	var s []string
	for _, k := range devsim.FaultKinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, ",")
}
