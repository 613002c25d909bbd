package devsim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Faults are the failures a device injects. The zero value injects none. Durations are applied
// with the device's own timers and end promptly when the device is closed.
type Faults struct {
	// RejectAuth makes the device reject every password, keyboard-interactive answer and key,
	// as a device whose credentials differ from the inventory's would.
	RejectAuth bool
	// HangOnConnect accepts the TCP connection and then never sends anything: the SSH
	// handshake never starts.
	HangOnConnect bool
	// SilentShell lets SSH and login succeed, then the shell never prints a prompt or answers.
	SilentShell bool
	// ReadLatency is added before the device processes each read of client input, so every
	// echo and every answer is late by at least that much.
	ReadLatency time.Duration
	// WriteLatency is added before each write of output (echo, prompt, each chunk of up to
	// 32 KiB of a command's output).
	WriteLatency time.Duration
	// DropMidOutput makes the device drop the TCP connection (no SSH close) halfway through
	// the first command output longer than 1 KiB, such as a running configuration.
	DropMidOutput bool
	// TruncateConfig cuts the running configuration output before its end marker (about 60%
	// of the way through); the prompt is still returned, so only a completeness check notices.
	TruncateConfig bool
	// BannerDelay delays the SSH identification string (the first thing a server sends).
	BannerDelay time.Duration
	// PromptDelay delays the first prompt after the shell opens (a slow login banner).
	PromptDelay time.Duration
	// DropAfterCommit drops the TCP connection right after a commit confirmed (Junos, IOS-XR)
	// or an EOS "commit timer" took effect, before the prompt: the session is lost in the middle
	// of a change, and only the device's own timer can roll it back.
	DropAfterCommit bool
	// FailRollback makes the rollback commands fail ("rollback N" on Junos, "rollback
	// configuration last N" on IOS-XR, "rollback running-config checkpoint" on NX-OS,
	// "configure replace" on IOS-XE, "configure session X abort" on EOS): the device answers
	// with its error and keeps its configuration.
	FailRollback bool
}

// Any reports whether f injects any fault.
func (f Faults) Any() bool { return f != Faults{} }

// String describes the injected faults by their FaultKind names ("none" when there are none).
func (f Faults) String() string {
	var parts []string
	if f.RejectAuth {
		parts = append(parts, string(FaultRejectAuth))
	}
	if f.HangOnConnect {
		parts = append(parts, string(FaultHangOnConnect))
	}
	if f.SilentShell {
		parts = append(parts, string(FaultSilentShell))
	}
	if f.ReadLatency > 0 || f.WriteLatency > 0 {
		parts = append(parts, fmt.Sprintf("%s(read=%s,write=%s)", FaultSlow, f.ReadLatency, f.WriteLatency))
	}
	if f.DropMidOutput {
		parts = append(parts, string(FaultDropMidOutput))
	}
	if f.DropAfterCommit {
		parts = append(parts, string(FaultDropAfterCommit))
	}
	if f.FailRollback {
		parts = append(parts, string(FaultFailRollback))
	}
	if f.TruncateConfig {
		parts = append(parts, string(FaultTruncateConfig))
	}
	if f.BannerDelay > 0 {
		parts = append(parts, fmt.Sprintf("%s(%s)", FaultBannerDelay, f.BannerDelay))
	}
	if f.PromptDelay > 0 {
		parts = append(parts, fmt.Sprintf("%s(%s)", FaultPromptDelay, f.PromptDelay))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// FaultKind names one kind of fault, for fleets (FleetConfig.FaultKinds, FleetConfig.Faults)
// and the devsim command's -fault flags.
type FaultKind string

// The fault kinds. Faults(kind) gives the Faults each one stands for.
const (
	// FaultRejectAuth: the device rejects the configured credentials.
	FaultRejectAuth FaultKind = "reject-auth"
	// FaultHangOnConnect: TCP is accepted, SSH never proceeds.
	FaultHangOnConnect FaultKind = "hang-connect"
	// FaultSilentShell: SSH and login succeed, the shell never prints anything.
	FaultSilentShell FaultKind = "silent-shell"
	// FaultSlow: 100ms of latency before processing each read of client input.
	FaultSlow FaultKind = "slow"
	// FaultDropMidOutput: the connection is dropped halfway through a long output.
	FaultDropMidOutput FaultKind = "drop-mid-output"
	// FaultTruncateConfig: the running configuration is cut before its end marker.
	FaultTruncateConfig FaultKind = "truncate-config"
	// FaultBannerDelay: the SSH identification string is sent 2s late.
	FaultBannerDelay FaultKind = "banner-delay"
	// FaultPromptDelay: the first prompt is printed 2s after the shell opens.
	FaultPromptDelay FaultKind = "prompt-delay"
	// FaultDropAfterCommit: the connection is dropped right after a commit confirmed. Not
	// drawn at random (see FaultKinds): it only matters to a change.
	FaultDropAfterCommit FaultKind = "drop-after-commit"
	// FaultFailRollback: the rollback commands fail. Not drawn at random.
	FaultFailRollback FaultKind = "fail-rollback"
)

// FaultKinds returns the fault kinds random fleets draw from, in a fixed order: every kind but
// the change faults (FaultDropAfterCommit, FaultFailRollback), which ParseFaults also accepts.
func FaultKinds() []FaultKind {
	return []FaultKind{FaultRejectAuth, FaultHangOnConnect, FaultSilentShell, FaultSlow,
		FaultDropMidOutput, FaultTruncateConfig, FaultBannerDelay, FaultPromptDelay}
}

// Faults returns the Faults that kind k stands for, or an error for an unknown kind.
func (k FaultKind) Faults() (Faults, error) {
	switch k {
	case FaultRejectAuth:
		return Faults{RejectAuth: true}, nil
	case FaultHangOnConnect:
		return Faults{HangOnConnect: true}, nil
	case FaultSilentShell:
		return Faults{SilentShell: true}, nil
	case FaultSlow:
		return Faults{ReadLatency: 100 * time.Millisecond}, nil
	case FaultDropMidOutput:
		return Faults{DropMidOutput: true}, nil
	case FaultTruncateConfig:
		return Faults{TruncateConfig: true}, nil
	case FaultBannerDelay:
		return Faults{BannerDelay: 2 * time.Second}, nil
	case FaultPromptDelay:
		return Faults{PromptDelay: 2 * time.Second}, nil
	case FaultDropAfterCommit:
		return Faults{DropAfterCommit: true}, nil
	case FaultFailRollback:
		return Faults{FailRollback: true}, nil
	}
	return Faults{}, fmt.Errorf("devsim: unknown fault kind %q (want one of %v)", string(k), append(FaultKinds(), FaultDropAfterCommit, FaultFailRollback))
}

// ParseFaults parses a comma-separated list of fault kinds ("slow,truncate-config") into one
// Faults value.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" || name == "none" {
			continue
		}
		k, err := FaultKind(name).Faults()
		if err != nil {
			return Faults{}, err
		}
		f = mergeFaults(f, k)
	}
	return f, nil
}

func mergeFaults(a, b Faults) Faults {
	a.RejectAuth = a.RejectAuth || b.RejectAuth
	a.HangOnConnect = a.HangOnConnect || b.HangOnConnect
	a.SilentShell = a.SilentShell || b.SilentShell
	a.ReadLatency = max(a.ReadLatency, b.ReadLatency)
	a.WriteLatency = max(a.WriteLatency, b.WriteLatency)
	a.DropMidOutput = a.DropMidOutput || b.DropMidOutput
	a.TruncateConfig = a.TruncateConfig || b.TruncateConfig
	a.BannerDelay = max(a.BannerDelay, b.BannerDelay)
	a.PromptDelay = max(a.PromptDelay, b.PromptDelay)
	a.DropAfterCommit = a.DropAfterCommit || b.DropAfterCommit
	a.FailRollback = a.FailRollback || b.FailRollback
	return a
}

// pickFaults chooses which devices of a fleet get a random fault: exactly round(rate*n) of them,
// chosen and given a kind deterministically from rng.
func pickFaults(rng *rand.Rand, n int, rate float64, kinds []FaultKind) map[int]FaultKind {
	out := map[int]FaultKind{}
	if rate <= 0 || n == 0 || len(kinds) == 0 {
		return out
	}
	k := int(rate*float64(n) + 0.5)
	k = min(k, n)
	perm := rng.Perm(n)[:k]
	sort.Ints(perm)
	for _, i := range perm {
		out[i] = kinds[rng.IntN(len(kinds))]
	}
	return out
}
