package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/inventory_plugins/netbox"
)

// netboxPlatforms maps the NetBox platform slugs met most often to norn's platform names.
// -netbox-platforms adds to it and wins over it.
var netboxPlatforms = map[string]string{
	"ios": "cisco_iosxe", "ios-xe": "cisco_iosxe", "iosxe": "cisco_iosxe", "cisco-ios": "cisco_iosxe",
	"cisco-ios-xe": "cisco_iosxe", "cisco_iosxe": "cisco_iosxe",
	"nxos": "cisco_nxos", "nx-os": "cisco_nxos", "cisco-nx-os": "cisco_nxos", "cisco-nxos": "cisco_nxos", "cisco_nxos": "cisco_nxos",
	"iosxr": "cisco_iosxr", "ios-xr": "cisco_iosxr", "cisco-ios-xr": "cisco_iosxr", "cisco_iosxr": "cisco_iosxr",
	"eos": "arista_eos", "arista-eos": "arista_eos", "arista_eos": "arista_eos",
	"junos": "juniper_junos", "juniper-junos": "juniper_junos", "juniper_junos": "juniper_junos",
}

// netboxSource builds the NetBox inventory source from the -netbox-* flags. Errors name the
// flag at fault. The token is never printed.
func netboxSource(o *netboxOptions, log zerolog.Logger) (*netbox.Source, error) {
	cfg := netbox.Config{URL: o.url, GroupsFile: o.groups, DefaultsFile: o.defaults, CAFile: o.caFile, Logger: &log}
	if o.tokenFile != "" {
		path := o.tokenFile
		cfg.TokenFunc = func(context.Context) (string, error) {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("-netbox-token-file: %w", err)
			}
			tok := strings.TrimSpace(string(b))
			if tok == "" {
				return "", fmt.Errorf("-netbox-token-file %s is empty", path)
			}
			return tok, nil
		}
	}
	for _, f := range strings.Split(o.groupBy, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.GroupBy = append(cfg.GroupBy, netbox.GroupField(f))
		}
	}
	cfg.Platforms = make(map[string]string, len(netboxPlatforms))
	for k, v := range netboxPlatforms {
		cfg.Platforms[k] = v
	}
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
	src, err := netbox.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("-netbox-url: %w", err)
	}
	return src, nil
}

// loadNetBox loads the inventory from NetBox.
func loadNetBox(ctx context.Context, o *netboxOptions, log zerolog.Logger) (*inventory.Inventory, error) {
	src, err := netboxSource(o, log)
	if err != nil {
		return nil, err
	}
	defer src.CloseIdleConnections()
	return src.Load(ctx)
}
