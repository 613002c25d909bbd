package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gonorn/norn/config"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/hooks/progress"
	"github.com/gonorn/norn/tasks/backup"
)

// errUsage is returned after the problem with the command line has been printed.
var errUsage = errors.New("bad usage")

// command is a subcommand's flag set: its own flags, plus the shared flags that are bound to
// norn.yaml settings (config keys), defined once here for every subcommand that takes them.
type command struct {
	name     string // "backup"
	synopsis string // "[flags]" or "[flags] COMMAND..."
	about    string // what the command does, a few lines
	examples string // example invocations, one per line
	fs       *flag.FlagSet
	stderr   io.Writer

	configPath string
	verbose    bool
	filter     string
	bound      []*keyFlag
	hidden     map[string]bool
}

// keyFlag is a flag bound to a config key: its text is kept and applied over the file and the
// environment (flags win), with the flag named in any error.
type keyFlag struct {
	key     config.Key
	value   string
	set     bool
	boolean bool
}

// String returns the flag's text (flag.Value).
func (k *keyFlag) String() string {
	if k == nil {
		return ""
	}
	return k.value
}

// Set checks the text's type at once (flag prints "invalid value ... for flag -x: ...").
func (k *keyFlag) Set(v string) error {
	if err := config.Default().Set(k.key.Name, v, config.Origin{}); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return errors.New(ce.Msg)
		}
		return err
	}
	k.value, k.set = v, true
	return nil
}

// IsBoolFlag lets a boolean setting be given as -flag alone.
func (k *keyFlag) IsBoolFlag() bool { return k.boolean }

// placeholder names the flag's value in the help text when its usage names none.
func (k *keyFlag) placeholder() string {
	if t := k.key.Type(); t != "string" {
		return t
	}
	return "value"
}

func newCommand(name, synopsis, about, examples string, stderr io.Writer) *command {
	c := &command{name: name, synopsis: synopsis, about: about, examples: examples, stderr: stderr,
		fs: flag.NewFlagSet(name, flag.ContinueOnError), hidden: map[string]bool{"help": true}}
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() { fmt.Fprintf(c.fs.Output(), "Run 'norn %s -h' for the flags.\n", c.name) }
	return c
}

// configFlags adds -config and -v, for the commands that read norn.yaml.
func (c *command) configFlags() {
	c.fs.StringVar(&c.configPath, "config", "", "configuration `file` (default $"+config.EnvFile+", else ./"+config.FileName+" if it exists)")
	c.fs.BoolVar(&c.verbose, "v", false, "debug logging to stderr (logging.level debug)")
}

// bind adds the flags of the config keys under the given prefixes ("runner.", "hooks.").
func (c *command) bind(prefixes ...string) {
	for _, k := range config.Keys() {
		if k.Flag == "" || c.fs.Lookup(k.Flag) != nil {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(k.Name, p) {
				kf := &keyFlag{key: k, value: config.DefaultValue(k.Name), boolean: k.Type() == "bool"}
				if k.Secret {
					kf.value = ""
				}
				c.fs.Var(kf, k.Flag, k.Usage)
				c.bound = append(c.bound, kf)
				break
			}
		}
	}
}

// The shared flag groups.
func (c *command) inventoryFlags() {
	c.bind("inventory.")
	c.fs.StringVar(&c.filter, "filter", "", "host filter `expr`ession, e.g. 'site=ams1 and platform in [eos, junos]'")
}

func (c *command) runnerFlags() { c.bind("runner.", "logging.progress") }

func (c *command) alertFlags() { c.bind("hooks.") }

// parse parses args. It prints the problem (or the help text, on stderr) itself and returns
// flag.ErrHelp for -h and errUsage for a bad command line.
func (c *command) parse(args []string) error {
	help := c.fs.Bool("h", false, "show this help")
	c.fs.BoolVar(help, "help", false, "show this help")
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage()
			return err
		}
		return errUsage // flag printed the problem
	}
	if *help {
		c.usage()
		return flag.ErrHelp
	}
	return nil
}

// usage prints the full help: synopsis, description, flags (hidden ones left out), examples.
func (c *command) usage() {
	w := c.fs.Output()
	fmt.Fprintf(w, "Usage: norn %s %s\n\n%s\n", c.name, c.synopsis, c.about)
	hasFlags := false
	c.fs.VisitAll(func(f *flag.Flag) {
		if c.hidden[f.Name] || f.Name == "h" {
			return
		}
		if !hasFlags {
			fmt.Fprintf(w, "\nFlags:\n")
			hasFlags = true
		}
		name, usage := flag.UnquoteUsage(f)
		if kf, ok := f.Value.(*keyFlag); ok && name == "value" {
			name = kf.placeholder()
		}
		line := "  -" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		if kf, ok := f.Value.(*keyFlag); ok {
			fmt.Fprintf(w, " [%s", kf.key.Name)
			if len(kf.key.Env) > 0 {
				fmt.Fprintf(w, ", $%s", kf.key.Env[0])
			}
			fmt.Fprint(w, "]")
		}
		fmt.Fprintln(w)
	})
	if c.configPath != "" || c.fs.Lookup("config") != nil {
		fmt.Fprintf(w, "\nSettings in [brackets] may also come from norn.yaml or the environment; flags win over the\nenvironment, which wins over the file ('norn config check' shows the effective values).\n")
	}
	if c.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, l := range strings.Split(strings.TrimSpace(c.examples), "\n") {
			fmt.Fprintf(w, "  %s\n", strings.TrimSpace(l))
		}
	}
	fmt.Fprintf(w, "\nExit status: 0 success, 1 some host failed or did not run, 2 bad usage or setup error.\n")
}

// bad prints a usage problem and returns errUsage.
func (c *command) bad(format string, a ...any) error {
	fmt.Fprintf(c.stderr, "norn %s: "+format+"\n", append([]any{c.name}, a...)...)
	fmt.Fprintf(c.stderr, "Run 'norn %s -h' for the flags.\n", c.name)
	return errUsage
}

// load reads the configuration (file, environment) and applies the flags over it, then
// validates it. Problems are printed, naming file:line:col, $VARIABLE or -flag.
func (c *command) load() (*config.Config, error) {
	cfg, err := config.Read(config.Find(c.configPath))
	if err == nil {
		var errs []error
		for _, kf := range c.bound {
			if kf.set {
				errs = append(errs, cfg.Set(kf.key.Name, kf.value, config.Origin{Source: config.FromFlag, Name: "-" + kf.key.Flag}))
			}
		}
		if c.verbose {
			errs = append(errs, cfg.Set("logging.level", "debug", config.Origin{Source: config.FromFlag, Name: "-v"}))
		}
		if err = errors.Join(errs...); err == nil {
			err = cfg.Validate()
		}
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(c.stderr, "norn %s: %s\n", c.name, line)
		}
		return nil, errUsage
	}
	if cfg.Inventory.Plugin != "netbox" {
		for _, kf := range c.bound {
			if kf.set && strings.HasPrefix(kf.key.Name, "inventory.netbox.") {
				return nil, c.bad("-%s needs -netbox-url (or inventory.netbox.url in %s)", kf.key.Flag, config.FileName)
			}
		}
	}
	return cfg, nil
}

// options are the backup command's settings.
type options struct {
	cfg        *config.Config
	inventory  string // SimpleInventory directory; "" with NetBox or the simulated fleet
	netboxURL  string // NetBox's URL when the inventory comes from NetBox
	filter     string
	out        string
	onlyFailed bool
	stale      time.Duration
	dryRun     bool
	json       bool
	redact     backup.RedactLevel
	progress   progress.Mode
	verbose    bool
	showFail   int

	fleet     int
	faults    float64
	seed      uint64
	platforms []devsim.Platform

	alert alertOptions

	cpuProfile string // hidden
	memProfile string // hidden
}

const backupAbout = `Backs up the running configuration of every selected device into a git repository, one file
per device and one commit per run, with secrets redacted, volatile lines removed, incomplete
configurations rejected and each device's status remembered across runs. Without an inventory
it starts a simulated fleet on 127.0.0.1.`

const backupExamples = `
norn backup                                       # simulated fleet, backups in ./backup-out
norn backup -fleet 1000 -faults 0                 # a bigger, healthy simulated fleet
norn backup -inventory ./inv -filter 'site=ams1 and platform in [eos, junos]'
norn backup -inventory ./inv -only-failed         # retry what failed or went stale
norn backup -netbox-url https://netbox.example.com -netbox-token-file ~/.nb-token
norn backup -config /etc/norn/norn.yaml -json > run.json`

// parseFlags parses the backup command's args over norn.yaml and the environment. It prints
// the problem (or the help text) to stderr itself and returns flag.ErrHelp for -h and errUsage
// for a bad command line or configuration.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	c := newCommand("backup", "[flags]", backupAbout, backupExamples, stderr)
	c.configFlags()
	c.inventoryFlags()
	c.bind("backup.")
	c.bind(natsKeys...)
	c.fs.BoolVar(&o.onlyFailed, "only-failed", false, "back up only the hosts whose last backup failed, is older than -stale, or is missing (resumes an interrupted run)")
	c.fs.BoolVar(&o.dryRun, "dry-run", false, "fetch and compare the configurations, write and commit nothing")
	c.fs.BoolVar(&o.json, "json", false, "print the results as JSON on stdout instead of the summary")
	c.runnerFlags()
	c.fs.IntVar(&o.showFail, "show-failed", 20, "failed hosts listed in the summary (all of them are in the store's status, .git/norn-status.json)")
	c.alertFlags()
	c.fs.IntVar(&o.fleet, "fleet", 200, "devices of the embedded simulated fleet (without an inventory)")
	c.fs.Float64Var(&o.faults, "faults", 0.05, "fraction of simulated devices that inject a fault (without an inventory)")
	plats := c.fs.String("platforms", "", "comma-separated platforms of the simulated fleet (default all five: cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos)")
	c.fs.Uint64Var(&o.seed, "seed", 1, "seed of the simulated fleet (names, configurations, faults)")
	c.fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to `file`")
	c.fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile to `file` at the end of the run")
	c.hidden["cpuprofile"], c.hidden["memprofile"] = true, true
	if err := c.parse(args); err != nil {
		return nil, err
	}
	if c.fs.NArg() > 0 {
		return nil, c.bad("unexpected argument %q (every setting is a flag)", c.fs.Arg(0))
	}
	switch {
	case o.showFail < 0:
		return nil, c.bad("-show-failed %d: want 0 or more", o.showFail)
	}
	cfg, err := c.load()
	if err != nil {
		return nil, err
	}
	o.cfg, o.filter, o.verbose = cfg, c.filter, c.verbose || strings.EqualFold(cfg.Logging.Level, "debug")
	switch cfg.Inventory.Plugin {
	case "netbox":
		o.netboxURL = cfg.Inventory.NetBox.URL
	default:
		o.inventory = cfg.Inventory.Simple.Dir
	}
	o.out, o.stale = cfg.Backup.Out, cfg.Backup.Stale
	o.redact, _ = backup.ParseRedactLevel(cfg.Backup.Redact) // validated by load
	o.progress, _ = cfg.Logging.ProgressMode()
	if o.alert, err = alertOptionsFrom(cfg); err != nil {
		return nil, c.bad("%v", err)
	}
	if o.simulated() && cfg.NATS.URL != "" {
		return nil, c.bad("-nats-url: a distributed run needs an inventory its workers share (-inventory DIR or -netbox-url URL), not the simulated fleet")
	}
	if o.simulated() {
		if o.fleet < 1 {
			return nil, c.bad("-fleet %d: want at least 1 device", o.fleet)
		}
		if o.faults < 0 || o.faults > 1 {
			return nil, c.bad("-faults %g: want a fraction between 0 and 1", o.faults)
		}
		if o.platforms, err = parsePlatforms(*plats); err != nil {
			return nil, c.bad("-platforms: %v", err)
		}
	}
	return o, nil
}

// parsePlatforms parses a comma-separated list of devsim platforms.
func parsePlatforms(s string) ([]devsim.Platform, error) {
	var out []devsim.Platform
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pl, err := devsim.ParsePlatform(p)
		if err != nil {
			return nil, err
		}
		out = append(out, pl)
	}
	return out, nil
}

// simulated reports whether the run backs up the embedded simulated fleet.
func (o *options) simulated() bool {
	return o.inventory == "" && o.netboxURL == "" && (o.cfg == nil || !o.cfg.Inventory.Configured())
}

// alertOptionsFrom returns the alerting hooks' settings (hooks.*), with the secrets read from
// their files (hooks.webhook.secret_file, hooks.slack.url_file).
func alertOptionsFrom(cfg *config.Config) (alertOptions, error) {
	h := cfg.Hooks
	secret, err := h.Webhook.WebhookSecret()
	if err != nil {
		return alertOptions{}, err
	}
	slack, err := h.Slack.WebhookURL()
	if err != nil {
		return alertOptions{}, err
	}
	return alertOptions{alertmanagerURL: h.Alertmanager.URL, webhookURL: h.Webhook.URL, webhookSecret: secret,
		slackURL: slack, metricsListen: h.Metrics.Listen, pushgatewayURL: h.Pushgateway.URL}, nil
}
