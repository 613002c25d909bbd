package config

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/gonorn/norn/hooks/progress"
	"github.com/gonorn/norn/tasks/backup"
)

// Validate checks the values as a whole and settles the inventory plugin. Every problem is
// reported, each naming where its value came from (file:line:col, $VARIABLE or -flag).
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		v, _ := c.Value(key)
		k, _ := LookupKey(key)
		errs = append(errs, &Error{Key: key, Origin: c.Origin(key), Value: v, Msg: fmt.Sprintf(format, a...), secret: k.Secret})
	}
	if err := c.resolvePlugin(); err != nil {
		errs = append(errs, err)
	}
	r := &c.Runner
	switch {
	case r.Workers < 1:
		bad("runner.workers", "want at least 1")
	}
	if r.Timeout < 0 {
		bad("runner.timeout", "want 0 (none) or more")
	}
	if r.Retries < 1 {
		bad("runner.retries", "want at least 1 (1 turns retries off)")
	}
	if r.RetryWait < 0 {
		bad("runner.retry_wait", "want 0 or more")
	}
	if r.LoginRate < 0 || math.IsNaN(r.LoginRate) || math.IsInf(r.LoginRate, 0) {
		bad("runner.login_rate", "want 0 (no cap) or more")
	}
	if r.BatchSize < 0 {
		bad("runner.batch_size", "want 0 (one batch) or more")
	}
	if math.IsNaN(r.MaxFailRatio) || r.MaxFailRatio < 0 || r.MaxFailRatio > 1 {
		bad("runner.max_fail_ratio", "want a fraction between 0 and 1")
	}
	if c.Serve.Every < 0 {
		bad("serve.every", "want 0 (on demand only) or a positive duration")
	}
	if c.Serve.Listen == "" {
		bad("serve.listen", "want an address such as 127.0.0.1:9469")
	}
	if n := &c.NATS; n.URL != "" || n.Region != "" {
		if n.AckWait < time.Second {
			bad("nats.ack_wait", "want at least 1s")
		}
		if n.NoWorkerWait <= 0 {
			bad("nats.no_worker_wait", "want more than 0")
		}
		if n.Prefix == "" || strings.ToLower(n.Prefix) != n.Prefix || strings.ContainsAny(n.Prefix, ".*> ") {
			bad("nats.prefix", "want lower-case letters, digits, '-' or '_'")
		}
	}
	switch strings.ToLower(c.Logging.Level) {
	case "debug", "info", "warn", "warning", "error":
	default:
		bad("logging.level", "want debug, info, warn or error")
	}
	switch strings.ToLower(c.Logging.Format) {
	case "console", "json":
	default:
		bad("logging.format", "want console or json")
	}
	if _, err := c.Logging.ProgressMode(); err != nil {
		bad("logging.progress", "want auto, bar, lines or off")
	}
	if _, err := backup.ParseRedactLevel(c.Backup.Redact); err != nil {
		bad("backup.redact", "want all, reversible or off")
	}
	if c.Backup.Stale <= 0 {
		bad("backup.stale", "want a positive duration")
	}
	if strings.TrimSpace(c.Backup.Out) == "" {
		bad("backup.out", "empty directory name")
	}
	if c.Inventory.Plugin == "netbox" {
		nb := &c.Inventory.NetBox
		if nb.Timeout <= 0 {
			bad("inventory.netbox.timeout", "want more than 0")
		}
		if nb.Retries < 0 {
			bad("inventory.netbox.retries", "want 0 or more")
		}
	}
	for _, key := range []string{"inventory.netbox.url", "hooks.alertmanager.url", "hooks.webhook.url", "hooks.slack.url", "hooks.pushgateway.url"} {
		v := formatValue(keyField(c, key))
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key, "want an http:// or https:// URL")
		}
	}
	if c.Hooks.Pushgateway.URL != "" && strings.TrimSpace(c.Hooks.Pushgateway.Job) == "" {
		bad("hooks.pushgateway.job", "empty job name")
	}
	return joinErrors(errs)
}

func keyField(c *Config, key string) any { return keys[keyIndex[key]].field(c) }

// resolvePlugin settles inventory.plugin: an explicit plugin, else the plugin of the strongest
// of inventory.simple.dir and inventory.netbox.url (flags over environment over file).
func (c *Config) resolvePlugin() error {
	p := strings.ToLower(c.Inventory.Plugin)
	switch p {
	case "simpleinventory":
		p = "simple"
	case "netboxinventory2", "netboxinventory":
		p = "netbox"
	}
	dir, nb := c.Inventory.Simple.Dir != "" || c.Inventory.Simple.HostFile != "", c.Inventory.NetBox.URL != ""
	dirO, nbO, pO := c.Origin("inventory.simple.dir"), c.Origin("inventory.netbox.url"), c.Origin("inventory.plugin")
	if c.Inventory.Simple.HostFile != "" && c.Origin("inventory.simple.host_file").Source > dirO.Source {
		dirO = c.Origin("inventory.simple.host_file")
	}
	stronger := func(a, b Origin) bool { return a.Source > b.Source }
	switch {
	case p != "" && p != "simple" && p != "netbox":
		v, _ := c.Value("inventory.plugin")
		return &Error{Key: "inventory.plugin", Origin: pO, Value: v, Msg: "want simple or netbox"}
	case dir && nb && dirO.Source == nbO.Source && !(p != "" && pO.Source >= dirO.Source):
		// Two inventories at the same level: the user must choose.
		return &Error{Key: "inventory.netbox.url", Origin: nbO, Value: c.Inventory.NetBox.URL,
			Msg: fmt.Sprintf("inventory.simple.dir is set too (%s): choose one inventory", describe(dirO, "inventory.simple.dir"))}
	case p != "" && (!dir || pO.Source >= dirO.Source) && (!nb || pO.Source >= nbO.Source):
		// The explicit plugin is at least as strong as what would imply another.
	case dir && nb:
		if stronger(dirO, nbO) {
			p = "simple"
		} else {
			p = "netbox"
		}
	case nb:
		p = "netbox"
	case dir:
		p = "simple"
	default:
		if p == "" {
			p = "simple"
		}
	}
	if c.Inventory.Plugin == "" || pO.Source == FromDefault {
		// Inferred: it comes from where the inventory setting came from.
		switch {
		case p == "netbox" && nb:
			c.setOrigin("inventory.plugin", nbO)
		case p == "simple" && dir:
			c.setOrigin("inventory.plugin", dirO)
		}
	}
	c.Inventory.Plugin = p
	if p == "netbox" && !nb {
		return &Error{Key: "inventory.plugin", Origin: pO, Value: "netbox", Msg: "needs inventory.netbox.url"}
	}
	return nil
}

// describe names a key's origin the way a person would look for it.
func describe(o Origin, key string) string {
	switch o.Source {
	case FromFlag:
		return o.Name
	case FromEnv:
		return "$" + o.Name
	case FromFile:
		return o.String()
	}
	return key
}

// ProgressMode returns Progress as a progress.Mode.
func (l LoggingConfig) ProgressMode() (progress.Mode, error) {
	switch strings.ToLower(l.Progress) {
	case "auto", "":
		return progress.Auto, nil
	case "bar":
		return progress.Bar, nil
	case "lines":
		return progress.Lines, nil
	case "off", "none":
		return progress.Off, nil
	}
	return progress.Off, fmt.Errorf("progress %q: want auto, bar, lines or off", l.Progress)
}
