//go:build !linux

package main

// peakRSS returns 0 (unknown): the summary then shows only the Go heap's peak.
func peakRSS() uint64 { return 0 }
