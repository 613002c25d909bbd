package config

import (
	"net/url"
	"time"

	"github.com/gonorn/norn/inventory_plugins/netbox"
)

// Config is the content of norn.yaml, with the documented defaults where the file, the
// environment or a flag sets nothing. Default returns it with the defaults; Load reads a file and
// the environment on top of them.
type Config struct {
	// File is the file the configuration was read from; "" when none was.
	File string

	Inventory InventoryConfig
	Runner    RunnerConfig
	Logging   LoggingConfig
	Hooks     HooksConfig
	Backup    BackupConfig
	NATS      NATSConfig
	Serve     ServeConfig

	origins map[string]Origin // key -> where its value came from (absent: Default)
}

// InventoryConfig is the inventory: a SimpleInventory or NetBox (key inventory).
type InventoryConfig struct {
	// Plugin is "simple" (Nornir's SimpleInventory YAML files) or "netbox". Default: "netbox"
	// when inventory.netbox.url is set, else "simple". Nornir's names SimpleInventory and
	// NetBoxInventory2 are accepted too.
	Plugin string
	// Simple is the SimpleInventory (key inventory.simple).
	Simple SimpleConfig
	// NetBox is the NetBox inventory (key inventory.netbox).
	NetBox NetBoxConfig
}

// SimpleConfig locates a SimpleInventory's files (key inventory.simple).
type SimpleConfig struct {
	// Dir holds hosts.yaml, groups.yaml and defaults.yaml. Default "": no inventory (the norn
	// command then runs its embedded simulated fleet).
	Dir string
	// HostFile, GroupFile and DefaultsFile name the files one by one, as Nornir's host_file,
	// group_file and defaults_file; each defaults to the file of that name in Dir.
	HostFile, GroupFile, DefaultsFile string
	// Strict makes keys Nornir does not know errors in the inventory files. Default false.
	Strict bool
}

// NetBoxConfig are the NetBox inventory's options (key inventory.netbox); see netbox.Config.
type NetBoxConfig struct {
	// URL is NetBox's base URL. Required for the netbox plugin.
	URL string
	// Token is the API token. It is never read from norn.yaml: set it in the environment
	// (NB_TOKEN or NETBOX_TOKEN, read again at every load) or name a file with TokenFile.
	// Default "".
	Token string
	// TokenFile is a file holding the token, read at every load; it wins over Token.
	TokenFile string
	// CAFile is a PEM file of the certificate authorities trusted for NetBox. Default: the
	// system's.
	CAFile string
	// InsecureSkipVerify turns TLS certificate verification off. Default false.
	InsecureSkipVerify bool
	// GroupsFile and DefaultsFile are SimpleInventory files merged with NetBox's hosts
	// (credentials, connection options). Default: none.
	GroupsFile, DefaultsFile string
	// GroupBy are the fields hosts are grouped by. Default site, role, platform.
	GroupBy []string
	// Platforms maps NetBox platform slugs to norn platform names, on top of the common slugs
	// the norn command maps already. Default: none.
	Platforms map[string]string
	// Params filter the devices, as NetBox's query parameters (tag=backup, site=ams1).
	// Default: none, which loads the active devices only (a status parameter replaces that).
	Params url.Values
	// Timeout bounds each attempt of each request. Default netbox.DefaultTimeout (60s).
	Timeout time.Duration
	// Retries is how many times a failed request is retried (0: never). Default
	// netbox.DefaultRetries (3).
	Retries int
}

// RunnerConfig are the runner's settings (key runner).
type RunnerConfig struct {
	// Workers is how many hosts run at the same time. Default 100.
	Workers int
	// Timeout bounds each attempt on a host; 0 is none. Default 10s.
	Timeout time.Duration
	// Retries is the attempts per host, the first included (1: no retries). Default 3.
	Retries int
	// RetryTimeouts retries attempts that timed out too. Default false.
	RetryTimeouts bool
	// RetryWait is the wait before the first retry (it doubles, with jitter). Default 500ms.
	RetryWait time.Duration
	// Breaker stops logging in at a site once most of its recent logins failed authentication. Default true.
	Breaker bool
	// LoginRate caps new logins per second (0: no cap). Default 0.
	LoginRate float64
	// BatchSize runs the hosts in batches of this size (0: one batch). Default 0.
	BatchSize int
	// MaxFailRatio stops before the next batch past this ratio of failed hosts (0: never).
	// Default 0.
	MaxFailRatio float64
}

// LoggingConfig is the logging (key logging).
type LoggingConfig struct {
	// Level is debug, info, warn or error. Default error (a run's summary reports every failed
	// host).
	Level string
	// Format is console (human readable) or json. Default console.
	Format string
	// File receives the log lines. Default "": standard error.
	File string
	// Progress is the norn command's progress display: auto, bar, lines or off. Default auto.
	Progress string
}

// HooksConfig are the alerting and metrics hooks (key hooks). A hook is on when its URL (or
// address) is set.
type HooksConfig struct {
	Alertmanager AlertmanagerConfig
	Webhook      WebhookConfig
	Slack        SlackConfig
	Metrics      MetricsConfig
	Pushgateway  PushgatewayConfig
}

// AlertmanagerConfig raises an alert per failed host (key hooks.alertmanager).
type AlertmanagerConfig struct {
	// URL is Alertmanager's base URL. Default "": off.
	URL string
	// Expire is how long a failing host's alert stays firing without being posted again (its
	// endsAt): each run that finds the host failing posts it again, so it stays firing across
	// runs until the host succeeds. Default 0: twice backup.stale.
	Expire time.Duration
	// RunbookURL is the alerts' runbook_url annotation. Default "": none.
	RunbookURL string
	// GeneratorURL is the alerts' generatorURL (the job's dashboard or logs). Default "": none.
	GeneratorURL string
}

// WebhookConfig posts a JSON event per failed host and a run summary (key hooks.webhook).
type WebhookConfig struct {
	// URL receives the posts. Default "": off.
	URL string
	// Secret signs the posts (Standard Webhooks, "whsec_..."). Never read from norn.yaml: it
	// comes from NORN_WEBHOOK_SECRET or SecretFile. Default "": unsigned.
	Secret string
	// SecretFile is a file holding Secret.
	SecretFile string
}

// SlackConfig posts the run summary to Slack (key hooks.slack).
type SlackConfig struct {
	// URL is the incoming-webhook URL (it holds a secret: it is masked when printed).
	// Default "": off.
	URL string
	// URLFile is a file holding URL, to keep it out of norn.yaml; it wins over URL.
	URLFile string
}

// MetricsConfig serves Prometheus metrics (key hooks.metrics).
type MetricsConfig struct {
	// Listen is the address /metrics is served on while a run lasts. Default "": off.
	Listen string
}

// PushgatewayConfig pushes Prometheus metrics at the end of a run (key hooks.pushgateway).
type PushgatewayConfig struct {
	// URL is the Pushgateway's. Default "": off.
	URL string
	// Job is the job label of the pushed group. Default norn_backup.
	Job string
}

// BackupConfig are the backup job's settings (key backup).
type BackupConfig struct {
	// Out is the git repository the configurations are stored in. Default backup-out.
	Out string
	// Redact is all, reversible or off. Default all.
	Redact string
	// Stale is the age after which a host's last good backup counts as stale. Default 24h.
	Stale time.Duration
}

// ServeConfig is the backup service, norn serve (key serve).
type ServeConfig struct {
	// Listen is the HTTP address; beyond loopback a token is required. Default 127.0.0.1:9469.
	Listen string
	// Every is the time between the starts of scheduled backups; 0: only on demand. Default 1h.
	Every time.Duration
	// TokenFile holds the API token (else $NORN_SERVE_TOKEN). Default: none.
	TokenFile string
}

// NATSConfig distributes runs over regional workers through NATS JetStream (key nats; see
// runner/natsexec). With no URL, runs are local.
type NATSConfig struct {
	// URL is the NATS server (nats://host:4222, several comma-separated). Default: none, runs
	// are local.
	URL string
	// CredsFile is a NATS credentials file (JWT and nkey seed). Default: none.
	CredsFile string
	// NKeyFile is an nkey seed file. Default: none.
	NKeyFile string
	// CAFile is a PEM file of certificate authorities trusted for the server's TLS
	// certificate. Default: the system's.
	CAFile string
	// Region is the queue a worker serves (norn worker). Default: none, required by the worker.
	Region string
	// Route are the host data keys a host's queue is taken from, the first set winning, else
	// the queue "default". Default [region, site].
	Route []string
	// NoWorkerWait is how long a queue may show no sign of a worker before its hosts are
	// reported not run. Default 30s.
	NoWorkerWait time.Duration
	// Prefix names the subjects and streams. Default norn.
	Prefix string
	// AckWait is how long a host taken by a worker may go without a sign of life (a worker
	// sends one every AckWait/3) before JetStream hands it to another worker: what a worker
	// killed mid-run costs. Default 30s.
	AckWait time.Duration
}

// Default returns the configuration with every default.
func Default() *Config {
	return &Config{
		Inventory: InventoryConfig{NetBox: NetBoxConfig{GroupBy: []string{"site", "role", "platform"},
			Timeout: netbox.DefaultTimeout, Retries: netbox.DefaultRetries}},
		Runner: RunnerConfig{Workers: 100, Timeout: 10 * time.Second, Retries: 3,
			RetryWait: 500 * time.Millisecond, Breaker: true},
		Logging: LoggingConfig{Level: "error", Format: "console", Progress: "auto"},
		Hooks:   HooksConfig{Pushgateway: PushgatewayConfig{Job: "norn_backup"}},
		Backup:  BackupConfig{Out: "backup-out", Redact: "all", Stale: 24 * time.Hour},
		Serve:   ServeConfig{Listen: "127.0.0.1:9469", Every: time.Hour},
		NATS:    NATSConfig{Route: []string{"region", "site"}, NoWorkerWait: 30 * time.Second, Prefix: "norn", AckWait: 30 * time.Second},
	}
}
