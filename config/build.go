package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/alertmanager"
	"github.com/gonorn/norn/hooks/metrics"
	"github.com/gonorn/norn/hooks/webhook"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/inventory_plugins/netbox"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

// Norn is what Build makes of a Config: the loaded inventory, a runner configuration ready for
// runner.New (inventory, workers, timeout, retry, breaker, login rate, the scrapli connection
// plugins, the logger and the hooks) and the hooks' handles. Close it when done with the
// runner: it flushes what the hooks still have to deliver.
type Norn struct {
	// Config is the configuration it was built from.
	Config *Config
	// Inventory is the loaded inventory.
	Inventory *inventory.Inventory
	// Runner is the runner's configuration; change what the program decides itself (Hooks can
	// be appended to) before runner.New.
	Runner runner.Config
	// Logger is the configured logger (logging.*), also Runner.Logger.
	Logger zerolog.Logger
	// Hooks are the alerting and metrics hooks (hooks.*), also in Runner.Hooks.
	Hooks *Hooks

	logFile io.Closer
}

// Init loads the configuration file path (see Load; "" for none: defaults and environment)
// and builds it: the one call that gets a program from norn.yaml to a runner, like Nornir's
// InitNornir.
func Init(ctx context.Context, path string) (*Norn, error) {
	c, err := Load(path)
	if err != nil {
		return nil, err
	}
	return c.Build(ctx)
}

// Build validates the configuration, opens the log, loads the inventory and starts the hooks.
// The inventory is required (inventory.simple.dir or inventory.netbox.url).
func (c *Config) Build(ctx context.Context) (*Norn, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := &Norn{Config: c}
	var err error
	if n.Logger, n.logFile, err = c.Logging.Open(); err != nil {
		return nil, err
	}
	if n.Inventory, err = c.LoadInventory(ctx, n.Logger); err != nil {
		n.Close(context.Background())
		return nil, err
	}
	if n.Hooks, err = c.Hooks.Start(n.Logger); err != nil {
		n.Close(context.Background())
		return nil, err
	}
	reg := connection.NewRegistry(connection.WithLogger(n.Logger))
	if err := scrapli.Register(reg); err != nil {
		n.Close(context.Background())
		return nil, err
	}
	n.Runner = runner.Config{Inventory: n.Inventory, Logger: n.Logger, Connections: reg}
	c.Runner.Apply(&n.Runner)
	n.Runner.Hooks = append(n.Runner.Hooks, n.Hooks.List...)
	return n, nil
}

// Close flushes and stops the hooks (within ctx) and closes the log file.
func (n *Norn) Close(ctx context.Context) error {
	var errs []error
	if n.Hooks != nil {
		errs = append(errs, n.Hooks.Close(ctx))
	}
	if n.logFile != nil {
		errs = append(errs, n.logFile.Close())
	}
	return errors.Join(errs...)
}

// Apply sets cfg's Workers, Timeout, Retry, Breaker, BatchSize, MaxFailRatio and the login
// rate of its ConnectionLimits from r.
func (r RunnerConfig) Apply(cfg *runner.Config) {
	cfg.Workers, cfg.Timeout = r.Workers, r.Timeout
	cfg.BatchSize, cfg.MaxFailRatio = r.BatchSize, r.MaxFailRatio
	cfg.ConnectionLimits.OpenRate = r.LoginRate
	cfg.ConnectionLimits.OpenBurst = r.Workers
	cfg.Retry, cfg.Breaker = nil, nil
	if r.Retries > 1 {
		retryTO := r.RetryTimeouts
		cfg.Retry = &runner.RetryConfig{
			MaxAttempts:     r.Retries,
			InitialInterval: r.RetryWait,
			MaxInterval:     max(r.RetryWait, 5*time.Second),
			Retryable: func(err error) bool {
				// A device that did not answer within the whole attempt is rarely back a second
				// later; retrying it would multiply the run's time by the attempts.
				return runner.Retryable(err) && (retryTO || tasks.Classify(err) != tasks.ClassTimeout)
			},
		}
		if r.RetryWait == 0 {
			cfg.Retry.InitialInterval = time.Nanosecond // 0 would mean the package default (1 s)
		}
	}
	if r.Breaker {
		cfg.Breaker = &runner.BreakerConfig{} // authentication failure ratio, per site
	}
}

// Describe summarises the runner settings in one line: "100 workers, timeout 10s, 3 attempts
// on failures but timeouts (first retry after 500ms), auth breaker on".
func (r RunnerConfig) Describe() string {
	timeout := "none"
	if r.Timeout > 0 {
		timeout = r.Timeout.String()
	}
	retry := "no retries"
	if r.Retries > 1 {
		what := "failures but timeouts"
		if r.RetryTimeouts {
			what = "failures"
		}
		retry = fmt.Sprintf("%d attempts on %s (first retry after %s)", r.Retries, what, r.RetryWait)
	}
	breaker := "auth breaker off"
	if r.Breaker {
		breaker = "auth breaker on"
	}
	return fmt.Sprintf("%d workers, timeout %s, %s, %s", r.Workers, timeout, retry, breaker)
}

// Label names the inventory for people: its directory, or "NetBox <URL>".
func (ic InventoryConfig) Label() string {
	if ic.Plugin == "netbox" {
		return "NetBox " + ic.NetBox.URL
	}
	if ic.Simple.Dir != "" {
		return ic.Simple.Dir
	}
	return ic.Simple.HostFile
}

// Configured reports whether an inventory is set (a directory, a hosts file or a NetBox URL).
func (ic InventoryConfig) Configured() bool {
	return ic.Simple.Dir != "" || ic.Simple.HostFile != "" || ic.NetBox.URL != ""
}

// ErrNoInventory is returned by Load and Build when no inventory is configured.
var ErrNoInventory = errors.New("no inventory: set inventory.simple.dir or inventory.netbox.url (flags -inventory, -netbox-url)")

// LoadInventory loads the inventory from the configured plugin. Errors name the inventory
// file, line and column, or NetBox's URL and the setting at fault (never the token).
func (c *Config) LoadInventory(ctx context.Context, log zerolog.Logger) (*inventory.Inventory, error) {
	ic := c.Inventory
	if !ic.Configured() {
		return nil, ErrNoInventory
	}
	if ic.Plugin == "netbox" {
		src, err := netbox.New(c.NetBox(log))
		if err != nil {
			return nil, err
		}
		defer src.CloseIdleConnections()
		return src.Load(ctx)
	}
	return ic.Simple.Source().Load(ctx)
}

// Source returns the SimpleInventory of the settings.
func (s SimpleConfig) Source() *inventory.SimpleInventory {
	file := func(f, name string) string {
		if f != "" {
			return f
		}
		return filepath.Join(s.Dir, name)
	}
	return &inventory.SimpleInventory{
		HostFile:     file(s.HostFile, "hosts.yaml"),
		GroupFile:    file(s.GroupFile, "groups.yaml"),
		DefaultsFile: file(s.DefaultsFile, "defaults.yaml"),
		Strict:       s.Strict,
	}
}

// netboxKeys maps netbox.Config's fields to the keys that set them.
var netboxKeys = map[string]string{
	"URL": "inventory.netbox.url", "Token": "inventory.netbox.token", "TokenFunc": "inventory.netbox.token_file",
	"GroupsFile": "inventory.netbox.groups_file", "DefaultsFile": "inventory.netbox.defaults_file",
	"GroupBy": "inventory.netbox.group_by", "Platforms": "inventory.netbox.platforms",
	"Devices.Params": "inventory.netbox.params", "Devices.Status": "inventory.netbox.params",
	"CAFile": "inventory.netbox.ca_file", "InsecureSkipVerify": "inventory.netbox.insecure_skip_verify",
	"Timeout": "inventory.netbox.timeout", "Retries": "inventory.netbox.retries",
}

// NetBox returns the NetBox inventory's netbox.Config (add Progress if wanted, then
// netbox.New). Its errors and warnings name the setting as it was given: the flag, the
// environment variable, or the key and its place in the file.
func (c *Config) NetBox(log zerolog.Logger) netbox.Config {
	nb := c.Inventory.NetBox
	cfg := netbox.Config{URL: nb.URL, GroupsFile: nb.GroupsFile, DefaultsFile: nb.DefaultsFile,
		CAFile: nb.CAFile, InsecureSkipVerify: nb.InsecureSkipVerify, Timeout: nb.Timeout, Retries: nb.Retries,
		Logger: &log}
	if cfg.Retries == 0 {
		cfg.Retries = -1 // 0 retries: none (netbox.Config's 0 is its default)
	}
	if c.Origin("inventory.netbox.token").Source != FromEnv {
		// A token from the environment is left to the plugin, which reads it again at every
		// load (a token rotated under a long-running service is picked up).
		cfg.Token = nb.Token
	}
	if nb.TokenFile != "" {
		path := nb.TokenFile
		cfg.TokenFunc = func(context.Context) (string, error) { return readSecretFile("", path) }
	}
	for _, f := range nb.GroupBy {
		cfg.GroupBy = append(cfg.GroupBy, netbox.GroupField(f))
	}
	cfg.Platforms = nb.Platforms
	if len(nb.Params) > 0 {
		cfg.Devices.Params = nb.Params
	}
	cfg.FieldName = func(field string) string {
		key, ok := netboxKeys[field]
		if !ok {
			return ""
		}
		k, _ := LookupKey(key)
		o := c.Origin(key)
		switch {
		case o.Source == FromFlag && o.Name != "":
			return o.Name
		case o.Source == FromEnv:
			return "$" + o.Name
		case o.Source == FromFile:
			return key + " (" + o.String() + ")"
		case k.Flag != "":
			return "-" + k.Flag + " (" + key + ")"
		}
		return key
	}
	return cfg
}

// readSecretFile reads a secret from a file; key names the setting in errors. The secret is
// never part of an error.
func readSecretFile(key, path string) (string, error) {
	prefix := ""
	if key != "" {
		prefix = key + ": "
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s%w", prefix, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s%s is empty", prefix, path)
	}
	return s, nil
}

// WebhookSecret returns the webhook signing secret: from SecretFile when set, else Secret.
func (w WebhookConfig) WebhookSecret() (string, error) {
	if w.SecretFile != "" {
		return readSecretFile("hooks.webhook.secret_file", w.SecretFile)
	}
	return w.Secret, nil
}

// WebhookURL returns the incoming-webhook URL: from URLFile when set, else URL.
func (s SlackConfig) WebhookURL() (string, error) {
	if s.URLFile != "" {
		return readSecretFile("hooks.slack.url_file", s.URLFile)
	}
	return s.URL, nil
}

// Hooks are the started alerting and metrics hooks.
type Hooks struct {
	// List holds the hooks for runner.Config.Hooks.
	List []hooks.Hook
	// Metrics is the metrics hook (nil unless hooks.metrics.listen or hooks.pushgateway.url
	// is set); serve Metrics.Handler() to be scraped.
	Metrics *metrics.Hook

	closers []func(context.Context) error
}

// hostLabels are the host data keys put on alerts and webhook events.
var hostLabels = []string{"site", "role"}

// Start builds the hooks that are set. Errors name the setting at fault.
func (h HooksConfig) Start(log zerolog.Logger) (*Hooks, error) {
	hs := &Hooks{}
	fail := func(key string, err error) (*Hooks, error) {
		hs.Close(context.Background())
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if h.Metrics.Listen != "" || h.Pushgateway.URL != "" {
		m, err := metrics.New(metrics.Config{PushURL: h.Pushgateway.URL, PushJob: h.Pushgateway.Job, Logger: log})
		if err != nil {
			return fail("hooks.pushgateway", err)
		}
		hs.Metrics = m
		hs.add(m, m.Close)
	}
	if h.Alertmanager.URL != "" {
		a, err := alertmanager.New(alertmanager.Config{URL: h.Alertmanager.URL, AlertName: "NornBackupFailed", DataLabels: hostLabels,
			Expire: h.Alertmanager.Expire, RunbookURL: h.Alertmanager.RunbookURL, GeneratorURL: h.Alertmanager.GeneratorURL, Logger: log})
		if err != nil {
			return fail("hooks.alertmanager", err)
		}
		hs.add(a, a.Close)
	}
	if h.Webhook.URL != "" {
		secret, err := h.Webhook.WebhookSecret()
		if err != nil {
			return fail("hooks.webhook", err)
		}
		w, err := webhook.New(webhook.Config{URL: h.Webhook.URL, Format: webhook.FormatJSON, Secret: secret, DataFields: hostLabels, Logger: log})
		if err != nil {
			return fail("hooks.webhook", err)
		}
		hs.add(w, w.Close)
	}
	slackURL, err := h.Slack.WebhookURL()
	if err != nil {
		return fail("hooks.slack", err)
	}
	if slackURL != "" {
		s, err := webhook.New(webhook.Config{URL: slackURL, Format: webhook.FormatSlack, Logger: log})
		if err != nil {
			return fail("hooks.slack", err)
		}
		hs.add(s, s.Close)
	}
	return hs, nil
}

func (hs *Hooks) add(h hooks.Hook, closer func(context.Context) error) {
	hs.List = append(hs.List, h)
	hs.closers = append(hs.closers, closer)
}

// Close flushes and stops the hooks, the last started first, within ctx.
func (hs *Hooks) Close(ctx context.Context) error {
	var errs []error
	for i := len(hs.closers) - 1; i >= 0; i-- {
		errs = append(errs, hs.closers[i](ctx))
	}
	hs.closers = nil
	return errors.Join(errs...)
}

// ZerologLevel returns Level as a zerolog.Level.
func (l LoggingConfig) ZerologLevel() zerolog.Level {
	switch strings.ToLower(l.Level) {
	case "debug":
		return zerolog.DebugLevel
	case "info":
		return zerolog.InfoLevel
	case "warn", "warning":
		return zerolog.WarnLevel
	}
	return zerolog.ErrorLevel
}

// NewLogger returns a logger writing to w in the configured level and format.
func (l LoggingConfig) NewLogger(w io.Writer) zerolog.Logger {
	if strings.ToLower(l.Format) != "json" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000", NoColor: true}
	}
	return zerolog.New(w).Level(l.ZerologLevel()).With().Timestamp().Logger()
}

// Open returns the configured logger, writing to File (appended; close the returned Closer
// when done) or, without File, to standard error (the Closer is nil).
func (l LoggingConfig) Open() (zerolog.Logger, io.Closer, error) {
	if l.File == "" {
		return l.NewLogger(zerolog.SyncWriter(os.Stderr)), nil, nil
	}
	f, err := os.OpenFile(l.File, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return zerolog.Logger{}, nil, fmt.Errorf("logging.file: %w", err)
	}
	return l.NewLogger(zerolog.SyncWriter(f)), f, nil
}
