// Command quickstart is the README's quickstart: it declares a task as a plain Go function and
// runs it on every host of an inventory. Without -inventory it starts 10 simulated devices
// (devsim) on 127.0.0.1 and uses the inventory they write.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -inventory ./inv -filter 'platform=cisco_iosxe'
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

// inventoryFacts is the task: it reads the device's facts and its configuration size.
func inventoryFacts(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
	// Ask for a plugin that can read facts: of the platform's plugins (SSH, NETCONF), the SSH one.
	p, err := t.Connection(ctx, connection.Require(connection.CapFactsGetter))
	if err != nil {
		return tasks.Result{}, err
	}
	facts, err := connection.Use[connection.FactsGetter](p)
	if err != nil {
		return tasks.Result{}, err
	}
	f, err := facts.GetFacts(ctx)
	if err != nil {
		return tasks.Result{}, err
	}
	return tasks.Result{Value: fmt.Sprintf("%s %s %s, serial %s", f.Vendor, f.Model, f.OSVersion, f.Serial)}, nil
}

func main() {
	dir := flag.String("inventory", "", "Nornir SimpleInventory directory (default: 10 simulated devices)")
	expr := flag.String("filter", "", "host filter, e.g. 'platform in [eos, junos]'")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dir, *expr); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, expr string) error {
	if dir == "" {
		fleet, err := devsim.StartFleet(ctx, devsim.FleetConfig{N: 10})
		if err != nil {
			return err
		}
		defer fleet.Close()
		dir, err = os.MkdirTemp("", "norn-quickstart-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := fleet.WriteInventory(dir); err != nil {
			return err
		}
	}
	inv, err := inventory.LoadDir(ctx, dir)
	if err != nil {
		return err
	}
	reg := connection.NewRegistry()
	scrapli.MustRegister(reg)
	r, err := runner.New(runner.Config{Inventory: inv, Connections: reg, Workers: 50})
	if err != nil {
		return err
	}
	if expr != "" {
		f, err := inventory.ParseFilter(expr)
		if err != nil {
			return err
		}
		r = r.Filter(f)
	}
	res, err := r.Run(ctx, "facts", inventoryFacts)
	if err != nil {
		return err
	}
	for _, h := range r.Hosts() {
		hr, _ := res.Get(h.Name)
		if hr.Err != nil {
			fmt.Printf("%-14s FAILED %v\n", h.Name, hr.Err)
			continue
		}
		fmt.Printf("%-14s %v\n", h.Name, hr.Value)
	}
	return res.Err()
}
