//go:build unix

package cli

import (
	"fmt"
	"os"
	"syscall"
)

// raiseFileLimit raises the soft limit of open files to the hard limit: every device is a
// listening socket.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, "devsim: cannot raise the open files limit:", err) // before any output of Run
		}
	}
}
