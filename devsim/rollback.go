package devsim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The platforms' own safety nets for configuration changes, shared by the dialects:
//
//   - a commit history (Junos "rollback N", IOS-XR "rollback configuration last N"): every
//     commit pushes the configuration it replaced;
//   - commit confirmed (Junos "commit confirmed N" minutes, IOS-XR "commit confirmed N"
//     seconds, EOS "commit timer hh:mm:ss" in a configure session): the change takes effect at
//     once, and unless a confirming commit arrives before the timer ends, the device restores
//     the configuration it had before by itself, whether or not the session is still there;
//   - named checkpoints (NX-OS "checkpoint NAME" / "rollback running-config checkpoint NAME");
//   - archive files (IOS-XE "archive config" into the configured archive path, then
//     "configure replace FILE force").
//
// Timers run DeviceConfig.ConfirmUnit per second of device time, so that tests can run a
// two-minute confirm window in a fraction of a second.

// maxHistory is how many earlier configurations a device keeps (Junos keeps 50 rollback files).
const maxHistory = 50

// rollbackState is a device's change safety state; guarded by Device.mu.
type rollbackState struct {
	history     []*config          // earlier committed configurations, newest first
	checkpoints map[string]*config // NX-OS checkpoints
	archives    []string           // IOS-XE archive files, oldest first
	files       map[string]*config // IOS-XE archive file contents
	sessions    map[string]*config // EOS configure sessions not yet committed
	junosCand   *config            // Junos: the shared candidate left uncommitted by a session
	confirm     *pendingConfirm
}

// pendingConfirm is a commit confirmed waiting for its confirmation.
type pendingConfirm struct {
	timer   *time.Timer
	restore *config // the configuration before the first unconfirmed commit
	tag     string  // EOS: the session's name
}

// confirmDuration converts device seconds to real time with the device's ConfirmUnit.
func (d *Device) confirmDuration(seconds int) time.Duration {
	return time.Duration(seconds) * d.cfg.ConfirmUnit
}

// commitConfig makes next the running configuration and records the one it replaces in the
// commit history. It reports whether anything changed.
func (d *Device) commitConfig(user string, next *config) bool {
	changed := false
	d.editConfig(user, func(cur *config) *config {
		if !cur.equal(next) {
			changed = true
			d.rb.history = append([]*config{cur}, d.rb.history...)
			if len(d.rb.history) > maxHistory {
				d.rb.history = d.rb.history[:maxHistory]
			}
		}
		return next
	})
	return changed
}

// commitConfirmed commits next and arms the confirm timer: when it fires unconfirmed, the
// device restores the configuration it had before the first unconfirmed commit. A second
// commit confirmed while one is pending restarts the timer and keeps the first restore point,
// as Junos does.
func (d *Device) commitConfirmed(user string, next *config, wait time.Duration, tag string) {
	before := d.currentConfig()
	d.commitConfig(user, next)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	pc := d.rb.confirm
	if pc != nil {
		pc.timer.Stop()
	} else {
		pc = &pendingConfirm{restore: before, tag: tag}
		d.rb.confirm = pc
	}
	pc.timer = time.AfterFunc(wait, func() { d.confirmExpired(pc) })
}

// confirmExpired rolls the configuration back when a commit confirmed was not confirmed.
func (d *Device) confirmExpired(pc *pendingConfirm) {
	d.mu.Lock()
	if d.closed || d.rb.confirm != pc {
		d.mu.Unlock()
		return
	}
	d.rb.confirm = nil
	d.mu.Unlock()
	d.commitConfig("commit-confirmed-rollback", pc.restore)
	d.stats.autoRollbacks.Add(1)
	d.log.Debug().Msg("commit confirmed not confirmed in time: configuration rolled back")
}

// confirmPending confirms a pending commit confirmed (with that tag, when tag is not empty);
// it reports whether one was pending.
func (d *Device) confirmPending(tag string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	pc := d.rb.confirm
	if pc == nil || (tag != "" && pc.tag != tag) {
		return false
	}
	pc.timer.Stop()
	d.rb.confirm = nil
	return true
}

// abortPending rolls back a pending commit confirmed at once (EOS "configure session X abort");
// it reports whether one was pending.
func (d *Device) abortPending(tag string) bool {
	d.mu.Lock()
	pc := d.rb.confirm
	if pc == nil || (tag != "" && pc.tag != tag) {
		d.mu.Unlock()
		return false
	}
	pc.timer.Stop()
	d.rb.confirm = nil
	d.mu.Unlock()
	d.commitConfig("rollback", pc.restore)
	return true
}

// stopConfirm stops a pending timer (the device is closing); the caller holds d.mu.
func (d *Device) stopConfirmLocked() {
	if d.rb.confirm != nil {
		d.rb.confirm.timer.Stop()
		d.rb.confirm = nil
	}
}

// PendingConfirm reports whether a commit confirmed (Junos, IOS-XR) or a configure session's
// commit timer (EOS) is waiting for its confirmation.
func (d *Device) PendingConfirm() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rb.confirm != nil
}

// historyAt returns the configuration n commits back (1: the one before the last commit).
func (d *Device) historyAt(n int) (*config, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n < 1 || n > len(d.rb.history) {
		return nil, false
	}
	return d.rb.history[n-1], true
}

// ---- NX-OS checkpoints ----

func (d *Device) saveCheckpoint(name string) bool {
	c := d.currentConfig()
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.rb.checkpoints[name]; ok {
		return false
	}
	if d.rb.checkpoints == nil {
		d.rb.checkpoints = map[string]*config{}
	}
	d.rb.checkpoints[name] = c
	return true
}

func (d *Device) checkpoint(name string) (*config, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.rb.checkpoints[name]
	return c, ok
}

func (d *Device) deleteCheckpoint(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.rb.checkpoints[name]
	delete(d.rb.checkpoints, name)
	return ok
}

// Checkpoints returns the names of the device's NX-OS checkpoints, sorted.
func (d *Device) Checkpoints() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.rb.checkpoints))
	for n := range d.rb.checkpoints {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ---- IOS-XE archive ----

// archivePath returns the "path" of the configuration's archive block ("" when not set up).
func archivePath(c *config) string {
	in, path := false, ""
	for _, l := range c.lines {
		if !strings.HasPrefix(l, " ") {
			in = l == "archive"
			continue
		}
		if in && strings.HasPrefix(l, " path ") {
			path = strings.TrimSpace(l[len(" path "):])
		}
	}
	return path
}

// archiveConfig saves the running configuration to the next archive file and returns its name
// ("" when no archive path is configured).
func (d *Device) archiveConfig() string {
	c := d.currentConfig()
	path := archivePath(c)
	if path == "" {
		return ""
	}
	host := d.Hostname()
	d.mu.Lock()
	defer d.mu.Unlock()
	name := strings.ReplaceAll(path, "$h", host) + "-" + fmt.Sprint(len(d.rb.archives)+1)
	d.rb.archives = append(d.rb.archives, name)
	if d.rb.files == nil {
		d.rb.files = map[string]*config{}
	}
	d.rb.files[name] = c
	return name
}

func (d *Device) archiveFile(name string) (*config, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.rb.files[name]
	return c, ok
}

// showArchive renders "show archive".
func (d *Device) showArchive() string {
	path := archivePath(d.currentConfig())
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	b.WriteString("The maximum archive configurations allowed is 10.\n")
	if path == "" {
		b.WriteString("Archive feature not enabled\n")
		return b.String()
	}
	fmt.Fprintf(&b, "The next archive file will be named %s-%d\n", path, len(d.rb.archives)+1)
	b.WriteString(" Archive #  Name\n")
	for i := 1; i <= 10; i++ {
		name := ""
		if i <= len(d.rb.archives) {
			name = d.rb.archives[i-1]
			if i == len(d.rb.archives) {
				name += " <- Most Recent"
			}
		}
		fmt.Fprintf(&b, "   %-9d%s\n", i, name)
	}
	return b.String()
}

// ---- Junos shared candidate ----

// sharedCandidate returns a copy of the Junos candidate configuration that sessions in plain
// "configure" mode share (nil when it has no uncommitted changes).
func (d *Device) sharedCandidate() *config {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rb.junosCand == nil {
		return nil
	}
	return d.rb.junosCand.clone()
}

func (d *Device) setSharedCandidate(c *config) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rb.junosCand = c
}

// ---- EOS configure sessions ----

func (d *Device) eosSession(name string) (*config, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.rb.sessions[name]
	return c, ok
}

func (d *Device) setEOSSession(name string, c *config) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c == nil {
		delete(d.rb.sessions, name)
		return
	}
	if d.rb.sessions == nil {
		d.rb.sessions = map[string]*config{}
	}
	d.rb.sessions[name] = c
}

// parseHMS parses an EOS commit timer ("00:05:00") into seconds.
func parseHMS(s string) (int, bool) {
	var h, m, sec int
	if n, err := fmt.Sscanf(s, "%d:%d:%d", &h, &m, &sec); err != nil || n != 3 || h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59 {
		return 0, false
	}
	total := h*3600 + m*60 + sec
	return total, total > 0
}
