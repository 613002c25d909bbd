package rollout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup"
)

// Config configures a rollout task. Lines or Template is required.
type Config struct {
	// Lines returns the configuration lines for a host, written as the device prints them
	// (children indented below their section line). Either Lines or Template is required.
	Lines func(h *inventory.Host) ([]string, error)
	// Template renders the lines per host from Go text/template files per platform (see
	// ParseTemplates). Used when Lines is nil.
	Template *Templates
	// PreChecks run before anything changes; one failing fails the host with nothing changed.
	PreChecks []Check
	// PostChecks run after the change is applied and before it is confirmed; one failing rolls
	// the change back.
	PostChecks []Check
	// ConfirmTimeout is how long a device with a commit-confirmed timer (Junos, IOS-XR, EOS)
	// keeps an unconfirmed change before restoring the previous configuration by itself; it
	// bounds post-checks too. Rounded up to whole minutes on Junos and to at least 30 s on
	// IOS-XR. Default 5 minutes.
	ConfirmTimeout time.Duration
	// Profiles clean configurations (volatile lines) before comparing them, as backups do.
	// Default backup.DefaultProfiles().
	Profiles *backup.Profiles
	// Name prefixes the names of checkpoints, configure sessions and archive files the task
	// creates. Default "norn".
	Name string
	// OnCheckpoint, when set, receives each host's checkpoint before anything changes: the
	// running configuration cleaned and redacted like a backup (e.g. to put it in the backup
	// repository with gitstore.Store.Put). An error stops the host before the change. Default
	// none: the checkpoint is only in the Report.
	OnCheckpoint func(ctx context.Context, host, config string) error
	// Poll is how often the task reads the running configuration while it waits for a device
	// to roll back by itself after a lost session. Default 2 s.
	Poll time.Duration
}

func (c Config) withDefaults() (Config, error) {
	if c.Lines == nil && c.Template == nil {
		return c, errors.New("rollout: Config needs Lines or Template")
	}
	if c.ConfirmTimeout <= 0 {
		c.ConfirmTimeout = 5 * time.Minute
	}
	if c.Profiles == nil {
		c.Profiles = backup.DefaultProfiles()
	}
	if c.Name == "" {
		c.Name = "norn"
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	for i, ch := range append(append([]Check(nil), c.PreChecks...), c.PostChecks...) {
		if err := ch.validate(); err != nil {
			return c, fmt.Errorf("rollout: check %d: %w", i+1, err)
		}
	}
	return c, nil
}

// Outcome is what a rollout did on one host.
type Outcome string

// The outcomes.
const (
	// Unchanged: the host was already in the intended state; nothing was sent.
	Unchanged Outcome = "unchanged"
	// Changed: the change was applied, passed its post-checks and was confirmed.
	Changed Outcome = "changed"
	// WouldChange: a dry run found lines to apply (Report.Pending); nothing was sent.
	WouldChange Outcome = "would_change"
	// NotChanged: the host failed before anything was changed (connection, checkpoint,
	// pre-check).
	NotChanged Outcome = "failed_unchanged"
	// RolledBack: the change failed and the device was verified back at its checkpoint.
	RolledBack Outcome = "rolled_back"
	// RollbackFailed: the change failed and the device could not be verified back at its
	// checkpoint: it needs a person.
	RollbackFailed Outcome = "rollback_failed"
)

// Report is a host's Result.Value.
type Report struct {
	// Platform is the platform the task used (normalised, e.g. "cisco_iosxe").
	Platform string `json:"platform"`
	// Outcome is what happened.
	Outcome Outcome `json:"outcome"`
	// Method names the safety net used ("commit confirmed", "configure session", ...).
	Method string `json:"method"`
	// Lines are the intended lines (rendered from the template when there is one).
	Lines []string `json:"lines"`
	// Pending are the lines that were not yet in the configuration, with their section lines.
	Pending []string `json:"pending,omitempty"`
	// Checkpoint is the running configuration before the change, cleaned like a backup.
	Checkpoint string `json:"-"`
	// Diff is the unified diff of the cleaned configuration from before to after the change
	// (empty when nothing changed or the change was rolled back).
	Diff string `json:"diff,omitempty"`
	// RollbackDiff, after a failed rollback, is the diff from the checkpoint to what the
	// device has now.
	RollbackDiff string `json:"rollback_diff,omitempty"`
	// RolledBackBy says who restored the checkpoint: "task", "device" (its own commit-confirmed
	// timer), or "nothing" (the failed change never reached the running configuration, e.g. a
	// line rejected inside an EOS configure session or before anything was applied).
	RolledBackBy string `json:"rolled_back_by,omitempty"`
}

// The classes of the task's failures (tasks.Classify).
const (
	// ClassPreCheck: a pre-check failed; nothing was changed.
	ClassPreCheck tasks.Class = "precheck"
	// ClassRolledBack: the change failed and was rolled back (verified).
	ClassRolledBack tasks.Class = "rolled_back"
	// ClassRollbackFailed: the change failed and the rollback could not be verified. Alert.
	ClassRollbackFailed tasks.Class = "rollback_failed"
)

// ErrRolledBack is what the error of a host rolled back to its checkpoint wraps.
var ErrRolledBack = errors.New("change rolled back to the checkpoint")

// ErrRollbackFailed is what the error of a host that could not be verified back at its
// checkpoint wraps: the device's configuration is neither the old nor the intended one.
var ErrRollbackFailed = errors.New("ROLLBACK FAILED: the device is not back at its checkpoint")

// Error is a host's rollout failure after the change was applied.
type Error struct {
	// Host is the host's name.
	Host string
	// Stage is where the change failed: "apply", "post-check", "confirm".
	Stage string
	// Cause is why the change failed.
	Cause error
	// Rollback is why the rollback failed (nil when it was verified).
	Rollback error
}

// Error describes the failure and the rollback.
func (e *Error) Error() string {
	if e.Rollback != nil {
		return fmt.Sprintf("host %s: %v: %s failed: %v; rollback: %v", e.Host, ErrRollbackFailed, e.Stage, e.Cause, e.Rollback)
	}
	return fmt.Sprintf("host %s: %s failed: %v; %v (verified)", e.Host, e.Stage, e.Cause, ErrRolledBack)
}

// Unwrap returns ErrRollbackFailed or ErrRolledBack, and the cause.
func (e *Error) Unwrap() []error {
	if e.Rollback != nil {
		return []error{ErrRollbackFailed, e.Cause, e.Rollback}
	}
	return []error{ErrRolledBack, e.Cause}
}

// conn is what the task needs of a session.
type conn interface {
	connection.CommandSender
	connection.ConfigGetter
	connection.ConfigModeSender
}

var required = []connection.Capability{connection.CapCommandSender, connection.CapConfigGetter, connection.CapConfigModeSender}

// New returns the rollout task. Task.DryRun stops each host after the diff.
func New(cfg Config) (tasks.Func, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		return run(ctx, cfg, t)
	}, nil
}

// host is one host's rollout in progress.
type host struct {
	cfg      Config
	t        *tasks.Task
	c        conn
	platform string
	profile  *backup.Profile
	strat    strategy
	rep      Report
}

func getConn(ctx context.Context, t *tasks.Task) (conn, error) {
	p, err := t.Connection(ctx, connection.Require(required...), connection.FallbackToDefault())
	if err != nil {
		return nil, err
	}
	return connection.Use[conn](p)
}

func run(ctx context.Context, cfg Config, t *tasks.Task) (tasks.Result, error) {
	h := &host{cfg: cfg, t: t, platform: cfg.Profiles.Normalize(t.Host.Platform())}
	h.rep.Platform = h.platform
	res := func() tasks.Result { return tasks.Result{Value: h.rep} }
	prof, ok := cfg.Profiles.Lookup(h.platform)
	if !ok {
		h.rep.Outcome = NotChanged
		return res(), tasks.Permanent(fmt.Errorf("rollout: host %s: platform %q has no configuration profile (known: %s)", t.Host.Name, t.Host.Platform(), strings.Join(cfg.Profiles.Platforms(), ", ")))
	}
	h.profile = prof
	lines, err := h.lines()
	if err != nil {
		h.rep.Outcome = NotChanged
		return res(), tasks.Permanent(err)
	}
	h.rep.Lines = lines
	h.strat, err = strategyFor(h.platform)
	if err != nil {
		h.rep.Outcome = NotChanged
		return res(), tasks.Permanent(fmt.Errorf("rollout: host %s: %w", t.Host.Name, err))
	}
	h.rep.Method = h.strat.method()
	if h.c, err = getConn(ctx, t); err != nil {
		h.rep.Outcome = NotChanged
		return res(), err
	}
	// 1. checkpoint
	before, err := h.running(ctx)
	if err != nil {
		h.rep.Outcome = NotChanged
		return res(), fmt.Errorf("rollout: host %s: checkpoint: %w", t.Host.Name, err)
	}
	h.rep.Checkpoint = before
	if cfg.OnCheckpoint != nil && !t.DryRun {
		if err := cfg.OnCheckpoint(ctx, t.Host.Name, h.redact(before)); err != nil {
			h.rep.Outcome = NotChanged
			return res(), tasks.Permanent(fmt.Errorf("rollout: host %s: storing the checkpoint: %w", t.Host.Name, err))
		}
	}
	// 2. pre-checks
	for _, ch := range cfg.PreChecks {
		if err := ch.run(ctx, h.c); err != nil {
			h.rep.Outcome = NotChanged
			return res(), tasks.WithClass(ClassPreCheck, tasks.Permanent(fmt.Errorf("rollout: host %s: pre-check: %w", t.Host.Name, err)))
		}
	}
	// 3. what is missing
	h.rep.Pending = Pending(h.platform, before, lines)
	for i, l := range h.rep.Pending {
		h.rep.Pending[i] = h.redact(l)
	}
	if len(h.rep.Pending) == 0 {
		h.rep.Outcome = Unchanged
		return res(), nil
	}
	if t.DryRun {
		h.rep.Outcome = WouldChange
		r := res()
		r.Diff = diffOf(h.platform, before, lines, h.redact)
		return r, nil
	}
	// 4. apply, post-check, confirm; roll back on any failure
	id := h.sessionID()
	if err := h.strat.prepare(ctx, h, id); err != nil {
		h.rep.Outcome = NotChanged
		return res(), tasks.Permanent(fmt.Errorf("rollout: host %s: preparing the rollback point: %w", t.Host.Name, err))
	}
	stage, cause := h.change(ctx, id, lines)
	if cause != nil {
		rbErr := h.rollback(ctx, id, stage, cause)
		e := &Error{Host: t.Host.Name, Stage: stage, Cause: cause, Rollback: rbErr}
		r := res()
		if rbErr != nil {
			h.rep.Outcome = RollbackFailed
			r.Value, r.Changed = h.rep, true
			t.Logger.Error().Str("stage", stage).Err(rbErr).Msg("ROLLBACK FAILED: device not back at its checkpoint")
			return r, tasks.WithClass(ClassRollbackFailed, tasks.Permanent(e))
		}
		h.rep.Outcome = RolledBack
		r.Value = h.rep
		return r, tasks.WithClass(ClassRolledBack, tasks.Permanent(e))
	}
	h.strat.cleanup(ctx, h, id)
	after, err := h.running(ctx)
	h.rep.Outcome = Changed
	r := tasks.Result{Changed: true}
	if err == nil {
		r.Diff = backup.Diff("before", "after", h.redact(before), h.redact(after), backup.DiffOptions{}).Text
		h.rep.Diff = r.Diff
	}
	r.Value = h.rep
	return r, nil
}

// change applies the lines, runs the post-checks and confirms; it returns the stage that
// failed and why.
func (h *host) change(ctx context.Context, id string, lines []string) (string, error) {
	if err := h.strat.apply(ctx, h, id, lines); err != nil {
		return "apply", err
	}
	pctx, cancel := context.WithTimeout(ctx, h.cfg.ConfirmTimeout)
	defer cancel()
	for _, ch := range h.cfg.PostChecks {
		if err := ch.run(pctx, h.c); err != nil {
			return "post-check", err
		}
	}
	if err := h.strat.confirm(ctx, h, id); err != nil {
		return "confirm", err
	}
	return "", nil
}

// rollback restores the checkpoint and verifies it; nil means verified.
func (h *host) rollback(ctx context.Context, id, stage string, cause error) error {
	lost := errors.Is(cause, connection.ErrConnectionLost) || errors.Is(cause, context.DeadlineExceeded)
	if ctx.Err() != nil {
		// The run was cancelled: still try, with a bounded context of our own.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), h.cfg.ConfirmTimeout+time.Minute)
		defer cancel()
	}
	if lost {
		// Reconnect (the proxy replaces a dead session).
		c, err := getConn(ctx, h.t)
		if err != nil {
			if h.strat.timed() {
				return fmt.Errorf("session lost and reconnecting failed (%v): the device's own timer should restore the checkpoint within %s, not verified", err, h.cfg.ConfirmTimeout)
			}
			return fmt.Errorf("session lost and reconnecting failed: %w", err)
		}
		h.c = c
		if h.strat.timed() {
			// The device rolls back by itself; issuing a rollback too could race with it.
			return h.waitForDevice(ctx)
		}
	}
	// Already back (a device timer fired during the post-checks, or nothing was applied)?
	if now, err := h.running(ctx); err == nil && now == h.rep.Checkpoint {
		h.rep.RolledBackBy = "nothing"
		if h.strat.timed() && stage != "apply" {
			h.rep.RolledBackBy = "device"
		}
		h.strat.cleanup(ctx, h, id)
		return nil
	}
	rbErr := h.strat.rollback(ctx, h, id)
	verr := h.verify(ctx)
	h.strat.cleanup(ctx, h, id)
	if verr != nil {
		if rbErr != nil {
			return fmt.Errorf("%v; %w", rbErr, verr)
		}
		return verr
	}
	h.rep.RolledBackBy = "task"
	return nil
}

// waitForDevice polls the running configuration until it is back at the checkpoint or the
// confirm window (plus a minute) has passed.
func (h *host) waitForDevice(ctx context.Context) error {
	deadline := time.Now().Add(h.cfg.ConfirmTimeout + time.Minute)
	for {
		now, err := h.running(ctx)
		if err == nil && now == h.rep.Checkpoint {
			h.rep.RolledBackBy = "device"
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("waiting for the device to roll back by itself: %w", err)
			}
			return h.verify(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the device to roll back by itself: %w", ctx.Err())
		case <-time.After(h.cfg.Poll):
		}
	}
}

// verify compares the running configuration with the checkpoint.
func (h *host) verify(ctx context.Context) error {
	now, err := h.running(ctx)
	if err != nil {
		return fmt.Errorf("verifying the rollback: %w", err)
	}
	if now != h.rep.Checkpoint {
		d := backup.Diff("checkpoint", "running", h.redact(h.rep.Checkpoint), h.redact(now), backup.DiffOptions{})
		h.rep.RollbackDiff = d.Text
		return fmt.Errorf("running configuration differs from the checkpoint (+%d -%d lines)", d.Added, d.Removed)
	}
	return nil
}

// redact removes the secrets from configuration text shown to people (diffs, pending lines),
// as a backup stores it (backup.RedactAll); the host's password and enable secret go too.
func (h *host) redact(text string) string {
	p := h.t.Host.ConnectionParams("scrapli")
	var lit []string
	for _, s := range []string{p.Password, fmt.Sprint(p.Extras["auth_secondary"])} {
		if s != "" && s != "<nil>" {
			lit = append(lit, s)
		}
	}
	return h.profile.Redact(text, backup.RedactAll, lit...)
}

// running returns the cleaned running configuration.
func (h *host) running(ctx context.Context) (string, error) {
	raw, err := h.c.GetConfig(ctx, "running")
	if err != nil {
		return "", err
	}
	cleaned := h.profile.Clean(raw)
	if err := h.profile.Check(raw, cleaned); err != nil {
		return "", err
	}
	return cleaned, nil
}

// sessionID names this change's checkpoint, session or archive: the prefix and 6 random hex
// digits (short enough for EOS prompts).
func (h *host) sessionID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return h.cfg.Name + hex.EncodeToString(b[:])
}

func (h *host) lines() ([]string, error) {
	if h.cfg.Lines != nil {
		lines, err := h.cfg.Lines(h.t.Host)
		if err != nil {
			return nil, fmt.Errorf("rollout: host %s: lines: %w", h.t.Host.Name, err)
		}
		return lines, nil
	}
	return h.cfg.Template.Render(h.t.Host, h.platform)
}

// CanaryBatches splits n hosts into batch sizes for a canary rollout: a first batch of first
// hosts (default 1), then batches doubling in size, each at most maxSize (0: no limit). Run
// them in order and stop at the first batch that fails. The sizes add up to n.
func CanaryBatches(n, first, maxSize int) []int {
	if first <= 0 {
		first = 1
	}
	var out []int
	size := first
	for n > 0 {
		if maxSize > 0 && size > maxSize {
			size = maxSize
		}
		b := min(size, n)
		out = append(out, b)
		n -= b
		size *= 2
	}
	return out
}
