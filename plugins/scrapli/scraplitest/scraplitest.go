package scraplitest

import (
	"context"
	"testing"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
)

// Fleet is a running simulated fleet with the inventory it wrote, loaded, and a registry
// holding the scrapli plugins.
type Fleet struct {
	*devsim.Fleet
	// InventoryDir holds the fleet's SimpleInventory files (hosts.yaml, groups.yaml,
	// defaults.yaml, known_hosts).
	InventoryDir string
	// Inventory is InventoryDir, loaded.
	Inventory *inventory.Inventory
	// Registry has the scrapli plugins registered.
	Registry *connection.Registry
}

// StartFleet starts a devsim fleet with cfg (cfg.Dir defaults to t.TempDir()), writes its
// inventory to another t.TempDir() and loads it; ctx bounds the start and the load. The fleet
// is closed when the test and its subtests complete. Any error fails the test at once.
func StartFleet(t testing.TB, ctx context.Context, cfg devsim.FleetConfig) *Fleet {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	fleet, err := devsim.StartFleet(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	dir := t.TempDir()
	if err := fleet.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.LoadDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	reg := connection.NewRegistry()
	scrapli.MustRegister(reg)
	return &Fleet{Fleet: fleet, InventoryDir: dir, Inventory: inv, Registry: reg}
}
