//go:build unix

package gitstore

import (
	"syscall"
	"time"
)

// processCPU returns the process's CPU time so far (user and system), for benchmarks.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
