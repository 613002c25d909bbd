package config

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gonorn/norn/redact"
)

// Source says where a setting's value came from.
type Source uint8

// Sources, from the weakest to the strongest.
const (
	// FromDefault: the documented default.
	FromDefault Source = iota
	// FromFile: norn.yaml.
	FromFile
	// FromEnv: an environment variable.
	FromEnv
	// FromFlag: a command-line flag (or a program's Set).
	FromFlag
)

// String names the source: default, file, env or flag.
func (s Source) String() string {
	switch s {
	case FromFile:
		return "file"
	case FromEnv:
		return "env"
	case FromFlag:
		return "flag"
	}
	return "default"
}

// Origin is where one setting's value came from: its Source, the file, variable or flag's
// Name, and the position in the file.
type Origin struct {
	Source Source
	// Name is the file's path, the environment variable's name or the flag's ("-workers").
	Name string
	// Line and Column locate the value in File (1-based).
	Line, Column int
}

// String describes the origin: "default", "norn.yaml:3:12", "$NORN_WORKERS" or "-workers".
func (o Origin) String() string {
	switch o.Source {
	case FromFile:
		return fmt.Sprintf("%s:%d:%d", o.Name, o.Line, o.Column)
	case FromEnv:
		return "$" + o.Name
	case FromFlag:
		if o.Name != "" {
			return o.Name
		}
		return "set"
	}
	return "default"
}

// Key describes one setting: its dotted key in norn.yaml, its environment variables and the
// norn command's flag.
type Key struct {
	// Name is the dotted key: "runner.workers".
	Name string
	// Env are the environment variables that set it, the first winning: "NORN_WORKERS".
	Env []string
	// Flag is the norn command's flag without its dash ("workers"); "" when there is none.
	Flag string
	// Secret settings are masked when printed and never read from norn.yaml.
	Secret bool
	// Usage says what the setting is, for help texts.
	Usage string

	field func(*Config) any // pointer to the field
}

// keys is every setting, in the order WriteTo prints them.
var keys = []Key{
	{Name: "inventory.plugin", Env: []string{"NORN_INVENTORY_PLUGIN"}, Usage: "inventory plugin: simple (SimpleInventory) or netbox",
		field: func(c *Config) any { return &c.Inventory.Plugin }},
	{Name: "inventory.simple.dir", Env: []string{"NORN_INVENTORY"}, Flag: "inventory",
		Usage: "Nornir SimpleInventory `dir`ectory (hosts.yaml, groups.yaml, defaults.yaml)",
		field: func(c *Config) any { return &c.Inventory.Simple.Dir }},
	{Name: "inventory.simple.host_file", Usage: "hosts file (default <dir>/hosts.yaml)",
		field: func(c *Config) any { return &c.Inventory.Simple.HostFile }},
	{Name: "inventory.simple.group_file", Usage: "groups file (default <dir>/groups.yaml)",
		field: func(c *Config) any { return &c.Inventory.Simple.GroupFile }},
	{Name: "inventory.simple.defaults_file", Usage: "defaults file (default <dir>/defaults.yaml)",
		field: func(c *Config) any { return &c.Inventory.Simple.DefaultsFile }},
	{Name: "inventory.simple.strict", Usage: "unknown keys in the inventory files are errors",
		field: func(c *Config) any { return &c.Inventory.Simple.Strict }},
	{Name: "inventory.netbox.url", Env: []string{"NORN_NETBOX_URL"}, Flag: "netbox-url",
		Usage: "load the inventory from NetBox at this `URL` (token from $NB_TOKEN or $NETBOX_TOKEN, or -netbox-token-file)",
		field: func(c *Config) any { return &c.Inventory.NetBox.URL }},
	{Name: "inventory.netbox.token", Env: []string{"NB_TOKEN", "NETBOX_TOKEN"}, Secret: true,
		Usage: "NetBox API token (environment only)",
		field: func(c *Config) any { return &c.Inventory.NetBox.Token }},
	{Name: "inventory.netbox.token_file", Env: []string{"NORN_NETBOX_TOKEN_FILE"}, Flag: "netbox-token-file",
		Usage: "`file` holding the NetBox API token",
		field: func(c *Config) any { return &c.Inventory.NetBox.TokenFile }},
	{Name: "inventory.netbox.ca_file", Env: []string{"NORN_NETBOX_CA_FILE"}, Flag: "netbox-ca-file",
		Usage: "PEM `file` of the certificate authorities trusted for NetBox's certificate",
		field: func(c *Config) any { return &c.Inventory.NetBox.CAFile }},
	{Name: "inventory.netbox.insecure_skip_verify", Usage: "do not verify NetBox's TLS certificate",
		field: func(c *Config) any { return &c.Inventory.NetBox.InsecureSkipVerify }},
	{Name: "inventory.netbox.groups_file", Env: []string{"NORN_NETBOX_GROUPS"}, Flag: "netbox-groups",
		Usage: "SimpleInventory groups.yaml `file` merged with NetBox's groups (credentials, connection options)",
		field: func(c *Config) any { return &c.Inventory.NetBox.GroupsFile }},
	{Name: "inventory.netbox.defaults_file", Env: []string{"NORN_NETBOX_DEFAULTS"}, Flag: "netbox-defaults",
		Usage: "SimpleInventory defaults.yaml `file` merged with NetBox's hosts (credentials, connection options)",
		field: func(c *Config) any { return &c.Inventory.NetBox.DefaultsFile }},
	{Name: "inventory.netbox.group_by", Env: []string{"NORN_NETBOX_GROUP_BY"}, Flag: "netbox-group-by",
		Usage: "NetBox `fields` hosts are grouped by, as groups named <field>__<value> (site, role, platform, manufacturer, device_type, tenant, region, location, tag, status, cluster)",
		field: func(c *Config) any { return &c.Inventory.NetBox.GroupBy }},
	{Name: "inventory.netbox.platforms", Env: []string{"NORN_NETBOX_PLATFORMS"}, Flag: "netbox-platforms",
		Usage: "extra NetBox platform slug `mappings` to norn platforms, e.g. 'ios-xe-17=cisco_iosxe,junos-evo=juniper_junos' (common slugs are mapped already)",
		field: func(c *Config) any { return &c.Inventory.NetBox.Platforms }},
	{Name: "inventory.netbox.params", Env: []string{"NORN_NETBOX_PARAMS"}, Flag: "netbox-params",
		Usage: "NetBox device filter `query`, e.g. 'tag=backup&site=ams1' (default: status=active only; 'status=planned' or 'status__n=offline' replace it)",
		field: func(c *Config) any { return &c.Inventory.NetBox.Params }},
	{Name: "inventory.netbox.timeout", Env: []string{"NORN_NETBOX_TIMEOUT"}, Flag: "netbox-timeout",
		Usage: "time limit of each NetBox request attempt (a page of 1,000 devices can take NetBox several seconds)",
		field: func(c *Config) any { return &c.Inventory.NetBox.Timeout }},
	{Name: "inventory.netbox.retries", Env: []string{"NORN_NETBOX_RETRIES"}, Flag: "netbox-retries",
		Usage: "retries of a failed NetBox request (5xx, 429, network errors, timeouts); 0 for none",
		field: func(c *Config) any { return &c.Inventory.NetBox.Retries }},

	{Name: "runner.workers", Env: []string{"NORN_WORKERS"}, Flag: "workers",
		Usage: "hosts worked on at the same time", field: func(c *Config) any { return &c.Runner.Workers }},
	{Name: "runner.timeout", Env: []string{"NORN_TIMEOUT"}, Flag: "timeout",
		Usage: "time limit of each attempt on a host (0: none)", field: func(c *Config) any { return &c.Runner.Timeout }},
	{Name: "runner.retries", Env: []string{"NORN_RETRIES"}, Flag: "retries",
		Usage: "attempts per host, the first included (1: no retries)", field: func(c *Config) any { return &c.Runner.Retries }},
	{Name: "runner.retry_timeouts", Env: []string{"NORN_RETRY_TIMEOUTS"}, Flag: "retry-timeouts",
		Usage: "retry hosts whose attempt timed out too (by default a device that did not answer within -timeout is not tried again in this run)",
		field: func(c *Config) any { return &c.Runner.RetryTimeouts }},
	{Name: "runner.retry_wait", Env: []string{"NORN_RETRY_WAIT"}, Flag: "retry-wait",
		Usage: "wait before the first retry (doubles, with jitter)", field: func(c *Config) any { return &c.Runner.RetryWait }},
	{Name: "runner.breaker", Env: []string{"NORN_BREAKER"}, Flag: "breaker",
		Usage: "per site, stop logging in once most recent logins failed authentication (circuit breaker; -breaker=false to turn off)",
		field: func(c *Config) any { return &c.Runner.Breaker }},
	{Name: "runner.login_rate", Env: []string{"NORN_LOGIN_RATE"}, Flag: "login-rate",
		Usage: "cap on new logins per second, to spare a TACACS/RADIUS server (0: no cap)",
		field: func(c *Config) any { return &c.Runner.LoginRate }},
	{Name: "runner.batch_size", Env: []string{"NORN_BATCH_SIZE"}, Usage: "hosts per batch (0: one batch)",
		field: func(c *Config) any { return &c.Runner.BatchSize }},
	{Name: "runner.max_fail_ratio", Env: []string{"NORN_MAX_FAIL_RATIO"}, Usage: "stop before the next batch past this ratio of failed hosts (0: never)",
		field: func(c *Config) any { return &c.Runner.MaxFailRatio }},

	{Name: "logging.level", Env: []string{"NORN_LOG_LEVEL"}, Usage: "debug, info, warn or error (-v: debug)",
		field: func(c *Config) any { return &c.Logging.Level }},
	{Name: "logging.format", Env: []string{"NORN_LOG_FORMAT"}, Usage: "console or json",
		field: func(c *Config) any { return &c.Logging.Format }},
	{Name: "logging.file", Env: []string{"NORN_LOG_FILE"}, Usage: "log file (default: standard error)",
		field: func(c *Config) any { return &c.Logging.File }},
	{Name: "logging.progress", Env: []string{"NORN_PROGRESS"}, Flag: "progress",
		Usage: "progress display on stderr: auto, bar, lines or off", field: func(c *Config) any { return &c.Logging.Progress }},

	{Name: "hooks.alertmanager.url", Env: []string{"NORN_ALERTMANAGER_URL"}, Flag: "alertmanager-url",
		Usage: "raise an Alertmanager alert per failed host, resolved when it next succeeds (Alertmanager's base `URL`)",
		field: func(c *Config) any { return &c.Hooks.Alertmanager.URL }},
	{Name: "hooks.alertmanager.expire", Env: []string{"NORN_ALERT_EXPIRE"}, Flag: "alert-expire",
		Usage: "a failing host's alert stays firing this long after the last run that found it failing (endsAt); default twice -stale, so it stays firing across runs until the host succeeds",
		field: func(c *Config) any { return &c.Hooks.Alertmanager.Expire }},
	{Name: "hooks.alertmanager.runbook_url", Env: []string{"NORN_ALERT_RUNBOOK_URL"}, Flag: "alert-runbook-url",
		Usage: "runbook `URL` put on the alerts (runbook_url annotation)",
		field: func(c *Config) any { return &c.Hooks.Alertmanager.RunbookURL }},
	{Name: "hooks.alertmanager.generator_url", Env: []string{"NORN_ALERT_GENERATOR_URL"}, Flag: "alert-generator-url",
		Usage: "`URL` of the job's dashboard or logs, the alerts' generatorURL",
		field: func(c *Config) any { return &c.Hooks.Alertmanager.GeneratorURL }},
	{Name: "hooks.webhook.url", Env: []string{"NORN_WEBHOOK_URL"}, Flag: "webhook-url",
		Usage: "post a JSON event per failed host and a run summary to this `URL`",
		field: func(c *Config) any { return &c.Hooks.Webhook.URL }},
	{Name: "hooks.webhook.secret", Env: []string{"NORN_WEBHOOK_SECRET"}, Flag: "webhook-secret", Secret: true,
		Usage: "sign -webhook-url posts (Standard Webhooks, \"whsec_...\"); default $NORN_WEBHOOK_SECRET, which keeps it out of the process list",
		field: func(c *Config) any { return &c.Hooks.Webhook.Secret }},
	{Name: "hooks.webhook.secret_file", Env: []string{"NORN_WEBHOOK_SECRET_FILE"}, Flag: "webhook-secret-file",
		Usage: "`file` holding the webhook signing secret", field: func(c *Config) any { return &c.Hooks.Webhook.SecretFile }},
	{Name: "hooks.slack.url", Env: []string{"NORN_SLACK_URL"}, Flag: "slack-url",
		Usage: "post the run summary to this Slack incoming-webhook `URL`", field: func(c *Config) any { return &c.Hooks.Slack.URL }},
	{Name: "hooks.slack.url_file", Env: []string{"NORN_SLACK_URL_FILE"}, Flag: "slack-url-file",
		Usage: "`file` holding the Slack incoming-webhook URL", field: func(c *Config) any { return &c.Hooks.Slack.URLFile }},
	{Name: "hooks.metrics.listen", Env: []string{"NORN_METRICS_LISTEN"}, Flag: "metrics-listen",
		Usage: "serve Prometheus metrics on this `address` (e.g. 127.0.0.1:9469) at /metrics while the run lasts",
		field: func(c *Config) any { return &c.Hooks.Metrics.Listen }},
	{Name: "hooks.pushgateway.url", Env: []string{"NORN_PUSHGATEWAY_URL"}, Flag: "pushgateway-url",
		Usage: "push Prometheus metrics to this Pushgateway `URL` at the end of the run",
		field: func(c *Config) any { return &c.Hooks.Pushgateway.URL }},
	{Name: "hooks.pushgateway.job", Env: []string{"NORN_PUSHGATEWAY_JOB"}, Usage: "job label of the pushed metrics",
		field: func(c *Config) any { return &c.Hooks.Pushgateway.Job }},

	{Name: "backup.out", Env: []string{"NORN_OUT"}, Flag: "out",
		Usage: "git repository `dir`ectory the configurations are stored in", field: func(c *Config) any { return &c.Backup.Out }},
	{Name: "backup.redact", Env: []string{"NORN_REDACT"}, Flag: "redact",
		Usage: "secret redaction: all (every secret, hashes included), reversible (only secrets that can be decrypted) or off",
		field: func(c *Config) any { return &c.Backup.Redact }},
	{Name: "backup.stale", Env: []string{"NORN_STALE"}, Flag: "stale",
		Usage: "age after which a host's last good backup counts as stale", field: func(c *Config) any { return &c.Backup.Stale }},
	{Name: "serve.listen", Env: []string{"NORN_SERVE_LISTEN"}, Flag: "listen",
		Usage: "`address` norn serve serves HTTP on; beyond loopback a token is required ($NORN_SERVE_TOKEN or serve.token_file)",
		field: func(c *Config) any { return &c.Serve.Listen }},
	{Name: "serve.every", Env: []string{"NORN_SERVE_EVERY"}, Flag: "every",
		Usage: "time between the starts of norn serve's scheduled backups; 0: only on demand",
		field: func(c *Config) any { return &c.Serve.Every }},
	{Name: "serve.token_file", Env: []string{"NORN_SERVE_TOKEN_FILE"}, Flag: "token-file",
		Usage: "`file` holding norn serve's API token (default $NORN_SERVE_TOKEN); clients send 'Authorization: Bearer TOKEN'",
		field: func(c *Config) any { return &c.Serve.TokenFile }},
	{Name: "nats.url", Env: []string{"NORN_NATS_URL"}, Flag: "nats-url",
		Usage: "distribute the hosts over regional workers (norn worker) through the NATS JetStream server at `URL`; unset: run locally",
		field: func(c *Config) any { return &c.NATS.URL }},
	{Name: "nats.creds_file", Env: []string{"NORN_NATS_CREDS"}, Flag: "nats-creds",
		Usage: "NATS credentials `file` (JWT and nkey seed)", field: func(c *Config) any { return &c.NATS.CredsFile }},
	{Name: "nats.nkey_file", Env: []string{"NORN_NATS_NKEY"}, Flag: "nats-nkey",
		Usage: "NATS nkey seed `file`", field: func(c *Config) any { return &c.NATS.NKeyFile }},
	{Name: "nats.ca_file", Env: []string{"NORN_NATS_CA_FILE"}, Flag: "nats-ca-file",
		Usage: "PEM `file` of the certificate authorities trusted for the NATS server's certificate",
		field: func(c *Config) any { return &c.NATS.CAFile }},
	{Name: "nats.region", Env: []string{"NORN_REGION"}, Flag: "region",
		Usage: "the queue (region) a worker serves: it receives only the hosts routed there", field: func(c *Config) any { return &c.NATS.Region }},
	{Name: "nats.route", Env: []string{"NORN_NATS_ROUTE"}, Flag: "nats-route",
		Usage: "host data `keys` a host's queue is taken from, the first set winning (else queue 'default')",
		field: func(c *Config) any { return &c.NATS.Route }},
	{Name: "nats.no_worker_wait", Env: []string{"NORN_NATS_NO_WORKER_WAIT"}, Flag: "nats-no-worker-wait",
		Usage: "how long a queue may show no sign of a worker before its hosts are reported not run",
		field: func(c *Config) any { return &c.NATS.NoWorkerWait }},
	{Name: "nats.prefix", Env: []string{"NORN_NATS_PREFIX"}, Usage: "prefix of the NATS subjects and JetStream streams",
		field: func(c *Config) any { return &c.NATS.Prefix }},
	{Name: "nats.ack_wait", Env: []string{"NORN_NATS_ACK_WAIT"}, Flag: "nats-ack-wait",
		Usage: "how long a host taken by a worker may go without a sign of life before another worker gets it (what a dead worker costs)",
		field: func(c *Config) any { return &c.NATS.AckWait }},
}

// Type names the kind of value the setting takes: string, int, number, bool, duration, list
// (comma-separated names), mapping (key=value,...) or query (a URL query).
func (k Key) Type() string {
	switch k.field(&Config{}).(type) {
	case *int:
		return "int"
	case *float64:
		return "number"
	case *bool:
		return "bool"
	case *time.Duration:
		return "duration"
	case *[]string:
		return "list"
	case *map[string]string:
		return "mapping"
	case *url.Values:
		return "query"
	}
	return "string"
}

var keyIndex = func() map[string]int {
	m := make(map[string]int, len(keys))
	for i, k := range keys {
		m[k.Name] = i
	}
	return m
}()

// Keys returns every setting, in the order of norn.yaml's sections.
func Keys() []Key {
	out := make([]Key, len(keys))
	copy(out, keys)
	return out
}

// LookupKey returns the setting of a dotted key.
func LookupKey(name string) (Key, bool) {
	i, ok := keyIndex[name]
	if !ok {
		return Key{}, false
	}
	return keys[i], true
}

// Origin returns where the value of a setting came from (Source FromDefault when nothing set it,
// or the key is unknown).
func (c *Config) Origin(key string) Origin {
	return c.origins[key]
}

func (c *Config) setOrigin(key string, o Origin) {
	if c.origins == nil {
		c.origins = map[string]Origin{}
	}
	c.origins[key] = o
}

// Set sets a setting from its text, as a flag or an environment variable gives it, and
// records o as its origin. It fails on an unknown key or text of the wrong type (the error
// names o). Values are checked as a whole by Validate.
func (c *Config) Set(key, value string, o Origin) error {
	i, ok := keyIndex[key]
	if !ok {
		return fmt.Errorf("config: unknown key %q", key)
	}
	if err := parseInto(keys[i].field(c), value); err != nil {
		return &Error{Key: key, Origin: o, Value: value, Msg: err.Error(), secret: keys[i].Secret}
	}
	c.setOrigin(key, o)
	return nil
}

// ApplyEnv sets every setting whose environment variable lookup finds (os.LookupEnv for the
// process's environment). An empty variable counts as unset.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	for _, k := range keys {
		for _, name := range k.Env {
			v, ok := lookup(name)
			if !ok || v == "" {
				continue
			}
			if err := c.Set(k.Name, v, Origin{Source: FromEnv, Name: name}); err != nil {
				errs = append(errs, err)
			}
			break
		}
	}
	return joinErrors(errs)
}

// parseInto parses s into the field ptr points to.
func parseInto(ptr any, s string) error {
	switch p := ptr.(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		*p = f
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*p = b
	case *time.Duration:
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		*p = d
	case *[]string:
		var l []string
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				l = append(l, f)
			}
		}
		*p = l
	case *map[string]string:
		m := map[string]string{}
		for _, kv := range strings.Split(s, ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" || v == "" {
				return fmt.Errorf("%q: want key=value[,key=value...]", kv)
			}
			m[k] = v
		}
		*p = m
	case *url.Values:
		q, err := url.ParseQuery(s)
		if err != nil {
			return fmt.Errorf("want a query such as status=active&tag=backup: %v", err)
		}
		*p = q
	default:
		panic(fmt.Sprintf("config: field of type %T", ptr))
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 10s, 500ms or 24h")
	}
	return d, nil
}

// formatValue formats a field's value as Set parses it.
func formatValue(ptr any) string {
	switch p := ptr.(type) {
	case *string:
		return *p
	case *int:
		return strconv.Itoa(*p)
	case *float64:
		return strconv.FormatFloat(*p, 'g', -1, 64)
	case *bool:
		return strconv.FormatBool(*p)
	case *time.Duration:
		return shortDuration(*p)
	case *[]string:
		return strings.Join(*p, ",")
	case *map[string]string:
		ks := make([]string, 0, len(*p))
		for k := range *p {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for i, k := range ks {
			ks[i] = k + "=" + (*p)[k]
		}
		return strings.Join(ks, ",")
	case *url.Values:
		return p.Encode()
	}
	return fmt.Sprint(ptr)
}

// Value returns a setting's value as text (as Set takes it); secrets are masked.
func (c *Config) Value(key string) (string, bool) {
	i, ok := keyIndex[key]
	if !ok {
		return "", false
	}
	v := formatValue(keys[i].field(c))
	if keys[i].Secret && v != "" {
		v = masked
	}
	if strings.HasSuffix(key, "url") && v != "" {
		// User information and queries may hold credentials; a Slack webhook URL's path is
		// its secret.
		if r := redact.URL(v, key != "hooks.slack.url"); r != "<invalid URL>" || strings.Contains(v, "@") {
			v = r // an invalid URL without user information is shown as it is, to be fixed
		}
	}
	return v, true
}

// DefaultValue returns a setting's default as text.
func DefaultValue(key string) string {
	i, ok := keyIndex[key]
	if !ok {
		return ""
	}
	return formatValue(keys[i].field(Default()))
}

// shortDuration formats d without zero units: 24h, 1h30m, 500ms.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
