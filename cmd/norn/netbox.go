package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/inventory_plugins/netbox"
)

// netboxFlags names the netbox.Config fields set from flags, so that the netbox package's
// errors and warnings name the flag (netbox.Config.FieldName).
var netboxFlags = map[string]string{
	"URL": "-netbox-url", "Token": "-netbox-token-file", "TokenFunc": "-netbox-token-file",
	"GroupsFile": "-netbox-groups", "DefaultsFile": "-netbox-defaults", "GroupBy": "-netbox-group-by",
	"Platforms": "-netbox-platforms", "Devices.Params": "-netbox-params", "Devices.Status": "-netbox-params",
	"CAFile": "-netbox-ca-file", "Timeout": "-netbox-timeout", "Retries": "-netbox-retries",
}

// netboxSource builds the NetBox inventory source from the -netbox-* flags. Errors name the
// flag at fault. The token is never printed. NetBox platform slugs map through package
// platform's table (ios, cisco-ios-xe, nx-os, eos, junos, ...); -netbox-platforms adds to it
// and wins over it. progress, if not nil, receives a line now and then while a load of several
// pages runs.
func netboxSource(o *netboxOptions, log zerolog.Logger, progress io.Writer) (*netbox.Source, error) {
	cfg := netbox.Config{URL: o.url, GroupsFile: o.groups, DefaultsFile: o.defaults, CAFile: o.caFile, Logger: &log,
		Timeout: o.timeout, Retries: o.retries, FieldName: func(f string) string { return netboxFlags[f] }}
	if cfg.Retries == 0 {
		cfg.Retries = -1 // -netbox-retries 0: none (the Config's 0 is its default)
	}
	if progress != nil {
		var last time.Time
		cfg.Progress = func(loaded, total int) {
			// Calls do not overlap. A load of one page needs no progress; otherwise a line a
			// second at most, and the last.
			if (last.IsZero() && loaded == total) || (loaded < total && time.Since(last) < time.Second) {
				return
			}
			last = time.Now()
			fmt.Fprintf(progress, "netbox: %d of %d objects loaded\n", loaded, total)
		}
	}
	if o.tokenFile != "" {
		path := o.tokenFile
		cfg.TokenFunc = func(context.Context) (string, error) { // errors are prefixed with the flag
			b, err := os.ReadFile(path)
			if err != nil {
				return "", err
			}
			tok := strings.TrimSpace(string(b))
			if tok == "" {
				return "", fmt.Errorf("%s is empty", path)
			}
			return tok, nil
		}
	}
	for _, f := range strings.Split(o.groupBy, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.GroupBy = append(cfg.GroupBy, netbox.GroupField(f))
		}
	}
	cfg.Platforms = map[string]string{}
	for _, kv := range strings.Split(o.platforms, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		slug, name, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(slug) == "" || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("-netbox-platforms: %q: want slug=platform", kv)
		}
		cfg.Platforms[strings.TrimSpace(slug)] = strings.TrimSpace(name)
	}
	if o.params != "" {
		q, err := url.ParseQuery(o.params)
		if err != nil {
			return nil, fmt.Errorf("-netbox-params: %w", err)
		}
		cfg.Devices.Params = q
	}
	return netbox.New(cfg) // its errors name the flags (FieldName)
}

// loadNetBox loads the inventory from NetBox.
func loadNetBox(ctx context.Context, o *netboxOptions, log zerolog.Logger) (*inventory.Inventory, error) {
	inv, _, err := loadNetBoxReport(ctx, o, log, nil)
	return inv, err
}

// loadNetBoxReport loads the inventory from NetBox and writes to w (if not nil) the load's
// progress and its warnings: hosts whose platform norn does not know, naming the slug and
// -netbox-platforms, and hosts without any IP address.
func loadNetBoxReport(ctx context.Context, o *netboxOptions, log zerolog.Logger, w io.Writer) (*inventory.Inventory, *netbox.Report, error) {
	src, err := netboxSource(o, log, w)
	if err != nil {
		return nil, nil, err
	}
	defer src.CloseIdleConnections()
	inv, rep, err := src.LoadWithReport(ctx)
	if err != nil {
		return nil, nil, err
	}
	if w != nil {
		for _, line := range rep.Warnings {
			fmt.Fprintf(w, "warning: %s\n", line)
		}
	}
	return inv, rep, nil
}

// netboxLabel names a NetBox inventory in the run's summary, with the counts of the load's
// warnings: "NetBox https://nb; 3 hosts with an unknown platform, 1 without an IP address".
func netboxLabel(url string, rep *netbox.Report) string {
	label := "NetBox " + url
	var notes []string
	if n := rep.UnknownPlatformHosts(); n > 0 {
		notes = append(notes, hostCount(n)+" with an unknown platform")
	}
	if n := len(rep.NoAddress); n > 0 {
		notes = append(notes, hostCount(n)+" without an IP address")
	}
	if len(notes) > 0 {
		label += "; " + strings.Join(notes, ", ")
	}
	return label
}

// hostCount returns "1 host" or "n hosts".
func hostCount(n int) string {
	if n == 1 {
		return "1 host"
	}
	return fmt.Sprintf("%d hosts", n)
}
