package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gonorn/norn/devsim"
)

// simFleet is the embedded simulated fleet used when no inventory is given.
type simFleet struct {
	fleet  *devsim.Fleet
	invDir string
}

// startSimFleet starts a devsim fleet on loopback and writes its SimpleInventory to a temporary
// directory, which the caller then loads like a user's inventory. It describes the fleet on w.
func startSimFleet(ctx context.Context, o *options, w io.Writer) (*simFleet, error) {
	start := time.Now()
	fleet, err := devsim.StartFleet(ctx, devsim.FleetConfig{N: o.fleet, Seed: o.seed, FaultRate: o.faults, Platforms: o.platforms})
	if err != nil {
		return nil, fmt.Errorf("starting the simulated fleet: %w", err)
	}
	dir, err := os.MkdirTemp("", "norn-backup-inventory-")
	if err != nil {
		fleet.Close()
		return nil, fmt.Errorf("simulated fleet inventory: %w", err)
	}
	sf := &simFleet{fleet: fleet, invDir: dir}
	if err := fleet.WriteInventory(dir); err != nil {
		sf.Close()
		return nil, fmt.Errorf("writing the simulated fleet's inventory: %w", err)
	}
	cfg := fleet.Config()
	plats := make([]string, len(cfg.Platforms))
	for i, p := range cfg.Platforms {
		plats[i] = string(p)
	}
	fmt.Fprintf(w, "simulated fleet: %d devices (%s) on %s, started in %s (seed %d)\n",
		fleet.Len(), strings.Join(plats, ", "), cfg.Host, time.Since(start).Round(time.Millisecond), cfg.Seed)
	faulty := fleet.Faulty()
	if len(faulty) == 0 {
		fmt.Fprintf(w, "simulated faults: none (-faults %g)\n", o.faults)
	} else {
		kinds := map[string]int{}
		for _, f := range faulty {
			kinds[f.String()]++
		}
		names := make([]string, 0, len(kinds))
		for k := range kinds {
			names = append(names, k)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, k := range names {
			parts[i] = fmt.Sprintf("%s %d", k, kinds[k])
		}
		fmt.Fprintf(w, "simulated faults: %d devices (-faults %g) inject one, to show the failure handling: %s; -faults 0 for a clean run\n",
			len(faulty), o.faults, strings.Join(parts, ", "))
	}
	return sf, nil
}

// Close stops the devices and removes the inventory.
func (sf *simFleet) Close() {
	sf.fleet.Close()
	os.RemoveAll(sf.invDir)
}
