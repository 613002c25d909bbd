// Command backup is norn's main job: it backs up the running configuration of every device of
// an inventory into a git repository, one file per device and one commit per run, with secrets
// redacted, volatile lines removed, incomplete configurations rejected and each device's status
// remembered across runs.
//
// With no inventory it starts an embedded simulated fleet (devsim: 200 devices across IOS-XE,
// NX-OS, IOS-XR, EOS and Junos, 5% of them injecting faults) so the whole job can be seen on any
// machine:
//
//	go run ./examples/backup                          # simulated fleet, backups in ./backup-out
//	go run ./examples/backup -fleet 1000 -faults 0    # a bigger, healthy fleet
//	go run ./examples/backup -inventory ./inv -filter 'site=ams1 and platform in [eos, junos]'
//	go run ./examples/backup -inventory ./inv -only-failed
//
// Exit status: 0 when every selected host was backed up, 1 when some host failed or did not
// run (Ctrl-C keeps and commits what finished), 2 on bad usage or setup errors.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the program the default way.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
