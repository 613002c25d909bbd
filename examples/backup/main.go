// Command backup shows norn's backup library on a small simulated fleet: the backup task run by
// the runner, the recorder that keeps each host's status and commits the run, and the git
// store. It backs the fleet up twice (the second run commits nothing: nothing changed) and
// prints each host's status. The product is "norn backup" (cmd/norn); this is the library.
//
//	go run ./examples/backup
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks/backup"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

func main() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "norn-backup-example-")
	check(err)
	defer os.RemoveAll(dir)

	// Six simulated devices (five platforms) on loopback, and their SimpleInventory.
	fleet, err := devsim.StartFleet(ctx, devsim.FleetConfig{N: 6, Seed: 1})
	check(err)
	defer fleet.Close()
	check(fleet.WriteInventory(filepath.Join(dir, "inv")))
	inv, err := inventory.LoadDir(ctx, filepath.Join(dir, "inv"))
	check(err)
	reg := connection.NewRegistry()
	scrapli.MustRegister(reg)
	r, err := runner.New(runner.Config{Inventory: inv, Workers: 6, Connections: reg})
	check(err)

	// The store, the task writing to it, and the recorder committing each run.
	store, err := gitstore.Open(gitstore.Config{Dir: filepath.Join(dir, "backups")})
	check(err)
	task, err := backup.New(backup.Config{Store: store})
	check(err)
	rec, err := backup.NewRecorder(backup.RecorderConfig{Store: store})
	check(err)

	for run := 1; run <= 2; run++ {
		for res := range r.Stream(ctx, "backup", task) {
			rec.Record(res)
		}
		c, err := rec.Commit(ctx)
		check(err)
		if c.Committed() {
			fmt.Printf("run %d: one commit, %d files\n", run, c.Files)
		} else {
			fmt.Printf("run %d: nothing changed, no commit\n", run)
		}
	}

	// What reporting programs read (metrics, a web service): no store to open, no lock.
	sts, err := gitstore.ReadStatus(store.Dir())
	check(err)
	for _, st := range sts {
		fmt.Printf("%-16s %-14s %6d bytes %4d lines  failures %d\n", st.Host, st.Platform, st.Bytes, st.Lines, st.ConsecutiveFailures)
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
