package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/config"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/inventory_plugins/netbox"
)

// netboxSource builds the NetBox inventory source from the configuration (norn.yaml, NORN_*
// variables and -netbox-* flags): errors and warnings name the flag, variable or key at fault
// (config.Config.NetBox), never the token. NetBox platform slugs map through package
// platform's table (ios, cisco-ios-xe, nx-os, eos, junos, ...); -netbox-platforms adds to it
// and wins over it. progress, if not nil, receives a line now and then while a load of several
// pages runs.
func netboxSource(cfg *config.Config, log zerolog.Logger, progress io.Writer) (*netbox.Source, error) {
	nc := cfg.NetBox(log)
	if progress != nil {
		var last time.Time
		nc.Progress = func(loaded, total int) {
			// Calls do not overlap. A load of one page needs no progress; otherwise a line a
			// second at most, and the last.
			if (last.IsZero() && loaded == total) || (loaded < total && time.Since(last) < time.Second) {
				return
			}
			last = time.Now()
			fmt.Fprintf(progress, "netbox: %d of %d objects loaded\n", loaded, total)
		}
	}
	return netbox.New(nc) // its errors name the flags (FieldName)
}

// loadNetBoxReport loads the inventory from NetBox and writes to w (if not nil) the load's
// progress and its warnings: hosts whose platform norn does not know, naming the slug and
// -netbox-platforms, and hosts without any IP address.
func loadNetBoxReport(ctx context.Context, cfg *config.Config, log zerolog.Logger, w io.Writer) (*inventory.Inventory, *netbox.Report, error) {
	src, err := netboxSource(cfg, log, w)
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
