package rollout

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gonorn/norn/connection"
)

// strategy is a platform's way of changing safely.
type strategy interface {
	method() string
	// timed reports whether the device rolls an unconfirmed change back by itself.
	timed() bool
	// prepare creates the rollback point (checkpoint, archive) before the change.
	prepare(ctx context.Context, h *host, id string) error
	// apply sends the lines (committed with a timer where the platform has one).
	apply(ctx context.Context, h *host, id string, lines []string) error
	// confirm makes the change permanent.
	confirm(ctx context.Context, h *host, id string) error
	// rollback restores the rollback point.
	rollback(ctx context.Context, h *host, id string) error
	// cleanup removes what prepare created (best effort).
	cleanup(ctx context.Context, h *host, id string)
}

func strategyFor(platform string) (strategy, error) {
	switch platform {
	case "juniper_junos":
		return junos{}, nil
	case "cisco_iosxr":
		return iosxr{}, nil
	case "arista_eos":
		return eos{}, nil
	case "cisco_nxos":
		return nxos{}, nil
	case "cisco_iosxe":
		return &iosxe{}, nil
	}
	return nil, fmt.Errorf("no rollout method for platform %q (have juniper_junos, cisco_iosxr, arista_eos, cisco_nxos, cisco_iosxe)", platform)
}

// commandOK sends an operational command and fails when the output has one of bad.
func commandOK(ctx context.Context, h *host, cmd string, bad ...string) (string, error) {
	r, err := h.c.SendCommand(ctx, cmd)
	if err != nil {
		return r.Output, err
	}
	for _, b := range bad {
		if strings.Contains(r.Output, b) {
			return r.Output, &connection.CommandError{Host: h.t.Host.Name, Command: cmd, Output: strings.TrimSpace(r.Output)}
		}
	}
	return r.Output, nil
}

// ---- Junos ----

type junos struct{}

func (junos) method() string { return "commit confirmed" }
func (junos) timed() bool    { return true }
func (junos) prepare(context.Context, *host, string) error {
	return nil
}
func (junos) apply(ctx context.Context, h *host, _ string, lines []string) error {
	mins := int((h.cfg.ConfirmTimeout + time.Minute - 1) / time.Minute)
	_, err := h.c.SendConfigMode(ctx, append(append([]string(nil), lines...), fmt.Sprintf("commit confirmed %d", mins)),
		connection.ConfigModeOptions{OnFailure: []string{"rollback 0"}})
	return err
}
func (junos) confirm(ctx context.Context, h *host, _ string) error {
	_, err := h.c.SendConfigMode(ctx, []string{"commit"}, connection.ConfigModeOptions{})
	return err
}
func (junos) rollback(ctx context.Context, h *host, _ string) error {
	_, err := h.c.SendConfigMode(ctx, []string{"rollback 1", "commit"}, connection.ConfigModeOptions{OnFailure: []string{"rollback 0"}})
	return err
}
func (junos) cleanup(context.Context, *host, string) {}

// ---- IOS-XR ----

type iosxr struct{}

func (iosxr) method() string { return "commit confirmed" }
func (iosxr) timed() bool    { return true }
func (iosxr) prepare(context.Context, *host, string) error {
	return nil
}
func (iosxr) apply(ctx context.Context, h *host, _ string, lines []string) error {
	secs := min(max(int(h.cfg.ConfirmTimeout/time.Second), 30), 65535)
	_, err := h.c.SendConfigMode(ctx, append(append([]string(nil), lines...), "root", fmt.Sprintf("commit confirmed %d", secs)),
		connection.ConfigModeOptions{OnFailure: []string{"abort"}})
	return err
}
func (iosxr) confirm(ctx context.Context, h *host, _ string) error {
	_, err := h.c.SendConfigMode(ctx, []string{"commit"}, connection.ConfigModeOptions{})
	return err
}
func (iosxr) rollback(ctx context.Context, h *host, _ string) error {
	_, err := commandOK(ctx, h, "rollback configuration last 1", "Failed to rollback", "% ")
	return err
}
func (iosxr) cleanup(context.Context, *host, string) {}

// ---- EOS ----

type eos struct{}

func (eos) method() string { return "configure session + commit timer" }
func (eos) timed() bool    { return true }
func (eos) prepare(context.Context, *host, string) error {
	return nil
}
func (eos) apply(ctx context.Context, h *host, id string, lines []string) error {
	secs := max(int(h.cfg.ConfirmTimeout/time.Second), 1)
	timer := fmt.Sprintf("commit timer %02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	_, err := h.c.SendConfigMode(ctx, append(append([]string(nil), lines...), timer),
		connection.ConfigModeOptions{Enter: "configure session " + id, OnFailure: []string{"abort"}})
	return err
}
func (eos) confirm(ctx context.Context, h *host, id string) error {
	_, err := commandOK(ctx, h, "configure session "+id+" commit", "% ")
	return err
}
func (eos) rollback(ctx context.Context, h *host, id string) error {
	_, err := commandOK(ctx, h, "configure session "+id+" abort", "% ")
	return err
}
func (eos) cleanup(context.Context, *host, string) {}

// ---- NX-OS ----

type nxos struct{}

func (nxos) method() string { return "checkpoint + rollback running-config" }
func (nxos) timed() bool    { return false }
func (nxos) prepare(ctx context.Context, h *host, id string) error {
	_, err := commandOK(ctx, h, "checkpoint "+id, "already in use", "does not exist", "% ")
	return err
}
func (nxos) apply(ctx context.Context, h *host, _ string, lines []string) error {
	_, err := h.c.SendConfigMode(ctx, lines, connection.ConfigModeOptions{})
	return err
}
func (nxos) confirm(context.Context, *host, string) error { return nil }
func (nxos) rollback(ctx context.Context, h *host, id string) error {
	_, err := commandOK(ctx, h, "rollback running-config checkpoint "+id, "Rollback failed", "does not exist", "% ")
	return err
}
func (nxos) cleanup(ctx context.Context, h *host, id string) {
	_, _ = h.c.SendCommand(ctx, "no checkpoint "+id)
}

// ---- IOS-XE ----

// iosxe uses the archive when one is configured, else the line-by-line inverse.
type iosxe struct {
	prepared bool
	archive  string // the archive file of the checkpoint ("" : inverse)
}

var mostRecentRe = regexp.MustCompile(`(?m)^\s*\d+\s+(\S+)\s+<- Most Recent`)

func (x *iosxe) method() string {
	if !x.prepared {
		return "archive + configure replace (line-by-line inverse without an archive path)"
	}
	if x.archive != "" {
		return "archive + configure replace"
	}
	return "line-by-line inverse (weaker: no archive path configured)"
}
func (*iosxe) timed() bool { return false }
func (x *iosxe) prepare(ctx context.Context, h *host, _ string) error {
	x.prepared = true
	if _, err := h.c.SendCommand(ctx, "archive config"); err != nil {
		// No archive path: fall back to the inverse (stated in Report.Method).
		h.rep.Method = x.method()
		return nil
	}
	r, err := h.c.SendCommand(ctx, "show archive")
	if err != nil {
		return err
	}
	m := mostRecentRe.FindStringSubmatch(r.Output)
	if m == nil {
		h.rep.Method = x.method()
		return nil
	}
	x.archive = m[1]
	h.rep.Method = x.method()
	return nil
}
func (*iosxe) apply(ctx context.Context, h *host, _ string, lines []string) error {
	_, err := h.c.SendConfigMode(ctx, lines, connection.ConfigModeOptions{})
	return err
}
func (*iosxe) confirm(context.Context, *host, string) error { return nil }
func (x *iosxe) rollback(ctx context.Context, h *host, _ string) error {
	if x.archive != "" {
		_, err := commandOK(ctx, h, "configure replace "+x.archive+" force", "Rollback failed", "%Error", "% ")
		return err
	}
	inv := inverse(h.rep.Checkpoint, h.rep.Lines)
	_, err := h.c.SendConfigMode(ctx, inv, connection.ConfigModeOptions{})
	return err
}
func (*iosxe) cleanup(context.Context, *host, string) {}
