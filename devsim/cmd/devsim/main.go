// Command devsim runs a fleet of simulated network devices (devsim) as its own process and
// writes a Nornir SimpleInventory for it; 'norn devsim' is the same command.
//
//	devsim -n 1000 -inventory ./inv                 # 1000 devices, all five platforms
//	devsim -n 50 -platforms cisco_iosxe,arista_eos -fault-rate 0.1 -inventory ./inv
//	devsim -n 10 -fault r0001=reject-auth -fault ams-sw-0004=slow,truncate-config
//
// It prints where the devices listen and runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gonorn/norn/devsim/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, "devsim", os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "devsim:", err)
		os.Exit(1)
	}
}
