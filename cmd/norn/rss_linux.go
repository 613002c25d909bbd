package main

import (
	"syscall"
	"time"
)

// peakRSS returns the process's peak resident set size in bytes (getrusage ru_maxrss, which
// Linux reports in KiB), or 0 when it is unknown.
func peakRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss <= 0 {
		return 0
	}
	return uint64(ru.Maxrss) * 1024
}

// cpuTime returns the CPU time (user and system) the process has used, or 0 when unknown.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
