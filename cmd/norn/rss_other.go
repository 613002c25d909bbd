//go:build !linux

package main

import "time"

// peakRSS returns 0 (unknown): the summary then shows only the Go heap's peak.
func peakRSS() uint64 { return 0 }

// cpuTime returns 0 (unknown).
func cpuTime() time.Duration { return 0 }
