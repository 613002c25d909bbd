package backup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// ClassStore is the error class of a configuration that could not be written to the store.
const ClassStore tasks.Class = "store"

// FetchFunc gets a host's configuration as the device prints it. The default fetches it
// through the host's connection (see Config.Fetch).
type FetchFunc func(ctx context.Context, t *tasks.Task, p *Profile) (string, error)

// Config configures a Backup.
type Config struct {
	// Store receives the configurations and the hosts' status. Required.
	Store *Store
	// Profiles gives each platform's commands, cleaning, secrets and checks.
	// Default DefaultProfiles().
	Profiles *Profiles
	// Redact is the redaction level. Default RedactAll (the zero value).
	Redact RedactLevel
	// MaxShrink is the largest accepted shrink versus the last good copy, as a fraction of its
	// size: with 0.5 a configuration less than half the size of the last good one is refused
	// as incomplete (a truncated output looks like that), and the last good copy is kept.
	// Default 0.5; 1 disables the guard.
	MaxShrink float64
	// Diff bounds the diff put in each changed host's Result.Diff (see DiffOptions; default
	// 3 lines of context, 32 KiB).
	Diff DiffOptions
	// CommitEvery commits after this many changed hosts, for very large runs, so that a crash
	// loses little; Commit still makes the last commit. Default 0: one commit, at Commit.
	CommitEvery int
	// Source is the configuration asked of connection.ConfigGetter. Default "running".
	Source string
	// ConnectionOptions narrow the connection the default fetch uses (e.g.
	// connection.WithType("ssh")). Default: none, with registered defaults breaking ties.
	ConnectionOptions []connection.Option
	// SecretParams are the connection-options names whose password and "auth_secondary"
	// (enable secret) are removed wherever they appear literally in a configuration, besides
	// the host's own password. Default "scrapli" and "scrapli_netconf".
	SecretParams []string
	// Fetch gets the configuration. Default: the host's connection, through
	// connection.ConfigGetter when the plugin implements it, else connection.CommandSender with
	// the profile's Command.
	Fetch FetchFunc
	// Now is the clock of status records. Default time.Now.
	Now func() time.Time
}

// Backup is the backup task of one run (or of several runs in a long-lived program): use
// Task as the runner's task function, RecordResult from a TaskFailed hook for hosts that never
// reached the task, and Commit once the run is over. Safe for concurrent use.
type Backup struct {
	cfg   Config
	store *Store

	mu        sync.Mutex
	run       map[string]*outcome    // this run's outcome per host
	applied   map[string]*outcome    // the outcome last applied to the host's status
	before    map[string]*HostStatus // the host's status before this run (nil: none)
	committed map[string]bool        // hosts already summarised in a commit of this run
	parts     int
	changedN  int // changed hosts written since the last commit

	commitMu sync.Mutex
}

type outcome struct {
	platform string
	at       time.Time
	dry      bool
	err      error
	class    tasks.Class
	msg      string
	changed  bool
	entry    Entry
}

// Info is a host's Result.Value: where its configuration is and what it is, never the
// configuration itself (10,000 of those would not fit a small memory budget).
type Info struct {
	// Platform is the profile used.
	Platform string `json:"platform"`
	// Path is the configuration file.
	Path string `json:"path"`
	// SHA is the git blob id of the stored configuration.
	SHA string `json:"sha"`
	// Bytes is its size.
	Bytes int64 `json:"bytes"`
	// New reports the host's first backup (no diff is given for it).
	New bool `json:"new,omitempty"`
	// Added and Removed count the changed lines.
	Added   int `json:"added,omitempty"`
	Removed int `json:"removed,omitempty"`
}

// New returns a Backup for cfg.
func New(cfg Config) (*Backup, error) {
	if cfg.Store == nil {
		return nil, errors.New("backup: Config.Store is required")
	}
	if cfg.Profiles == nil {
		cfg.Profiles = DefaultProfiles()
	}
	switch {
	case cfg.MaxShrink == 0:
		cfg.MaxShrink = 0.5
	case cfg.MaxShrink < 0 || cfg.MaxShrink > 1:
		return nil, fmt.Errorf("backup: Config.MaxShrink %v is outside [0, 1]", cfg.MaxShrink)
	}
	if cfg.CommitEvery < 0 {
		return nil, fmt.Errorf("backup: Config.CommitEvery %d is negative", cfg.CommitEvery)
	}
	if cfg.Redact < RedactAll || cfg.Redact > RedactOff {
		return nil, fmt.Errorf("backup: Config.Redact %v is not a redaction level", cfg.Redact)
	}
	if cfg.Source == "" {
		cfg.Source = "running"
	}
	if cfg.SecretParams == nil {
		cfg.SecretParams = []string{"scrapli", "scrapli_netconf"}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Diff = cfg.Diff.withDefaults()
	b := &Backup{cfg: cfg, store: cfg.Store}
	if cfg.Fetch == nil {
		b.cfg.Fetch = b.fetchViaConnection
	}
	b.reset()
	return b, nil
}

func (b *Backup) reset() {
	b.run = map[string]*outcome{}
	b.applied = map[string]*outcome{}
	b.before = map[string]*HostStatus{}
	b.committed = map[string]bool{}
	b.parts, b.changedN = 0, 0
}

// Store returns the backup's store.
func (b *Backup) Store() *Store { return b.store }

// fetchViaConnection is the default FetchFunc.
func (b *Backup) fetchViaConnection(ctx context.Context, t *tasks.Task, p *Profile) (string, error) {
	opts := append([]connection.Option{connection.FallbackToDefault()}, b.cfg.ConnectionOptions...)
	proxy, err := t.Connection(ctx, opts...)
	if err != nil {
		return "", err
	}
	g, err := connection.Use[connection.ConfigGetter](proxy)
	if err == nil {
		return g.GetConfig(ctx, b.cfg.Source)
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		return "", err
	}
	cs, err := connection.Use[connection.CommandSender](proxy)
	if err != nil {
		return "", err
	}
	r, err := cs.SendCommand(ctx, p.Command)
	if err != nil {
		return "", err
	}
	return r.Output, nil
}

// Task backs up one host; use it as the runner's task (runner.Run(ctx, "backup", b.Task)).
// It fetches the configuration, cleans it, redacts secrets, checks it is complete, and, when
// it differs from the stored one, writes it (not in a dry run) and returns Changed with the
// diff. A configuration that fails the checks fails the host with class "incomplete" and
// leaves the stored copy untouched. Every outcome is recorded for the status file.
func (b *Backup) Task(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
	host := t.Host.Name
	platform := t.Host.Platform()
	prof, ok := b.cfg.Profiles.Lookup(platform)
	if !ok {
		err := fmt.Errorf("host %s: no backup profile for platform %q (known: %s)", host, platform,
			strings.Join(b.cfg.Profiles.Platforms(), ", "))
		err = tasks.Permanent(tasks.WithClass(tasks.ClassConfig, err))
		b.record(host, platform, t.DryRun, nil, err, nil)
		return tasks.Result{}, err
	}
	platform = prof.Platform
	lits := b.literals(t.Host)

	raw, err := b.cfg.Fetch(ctx, t, prof)
	if err != nil {
		if !strings.Contains(err.Error(), host) {
			err = fmt.Errorf("host %s: get configuration: %w", host, err)
		}
		b.record(host, platform, t.DryRun, prof, err, lits)
		return tasks.Result{}, err
	}
	text := prof.Redact(prof.Clean(raw), b.cfg.Redact, lits...)
	if err := prof.Check(raw, text); err != nil {
		var ie *IncompleteError
		if errors.As(err, &ie) {
			ie.Host = host
			_, had := b.store.Stat(host)
			ie.NoLastGood = !had
		}
		err = tasks.WithClass(ClassIncomplete, err)
		b.record(host, platform, t.DryRun, prof, err, lits)
		return tasks.Result{}, err
	}
	raw = ""
	data := []byte(text)

	old, exists := b.store.Stat(host)
	sum := blobHash(data)
	info := Info{Platform: platform, Path: b.store.Path(host), SHA: sum.String(), Bytes: int64(len(data)), New: !exists}
	if exists && old.SHA == info.SHA {
		if !t.DryRun {
			// Rewrites the work-tree file only if it went missing.
			if _, _, err := b.store.put(host, data, sum); err != nil {
				err = tasks.WithClass(ClassStore, err)
				b.record(host, platform, false, prof, err, lits)
				return tasks.Result{}, err
			}
		}
		b.recordOK(host, platform, t.DryRun, false, Entry{Host: host, Path: info.Path, SHA: info.SHA, Bytes: info.Bytes})
		t.Logger.Debug().Str("sha", info.SHA).Msg("configuration unchanged")
		return tasks.Result{Value: info}, nil
	}

	var diff DiffResult
	if exists {
		if b.cfg.MaxShrink < 1 && old.Bytes > 0 && float64(len(data)) < (1-b.cfg.MaxShrink)*float64(old.Bytes) {
			err := tasks.WithClass(ClassIncomplete, &IncompleteError{Host: host, Platform: platform,
				Reason: fmt.Sprintf("configuration shrank from %d to %d bytes (-%.0f%%), more than the %.0f%% allowed (Config.MaxShrink)",
					old.Bytes, len(data), 100*(1-float64(len(data))/float64(old.Bytes)), 100*b.cfg.MaxShrink)})
			b.record(host, platform, t.DryRun, prof, err, lits)
			return tasks.Result{}, err
		}
		prev, _, err := b.store.Get(host)
		if err != nil {
			err = tasks.WithClass(ClassStore, err)
			b.record(host, platform, t.DryRun, prof, err, lits)
			return tasks.Result{}, err
		}
		name := ConfigsDir + "/" + FileName(host)
		diff = Diff("a/"+name, "b/"+name, string(prev), text, b.cfg.Diff)
		info.Added, info.Removed = diff.Added, diff.Removed
	} else {
		info.Added = strings.Count(text, "\n")
	}
	if !t.DryRun {
		e, _, err := b.store.put(host, data, sum)
		if err != nil {
			err = tasks.WithClass(ClassStore, err)
			b.record(host, platform, false, prof, err, lits)
			return tasks.Result{}, err
		}
		b.recordOK(host, platform, false, true, e)
	} else {
		b.recordOK(host, platform, true, true, Entry{Host: host, Path: info.Path, SHA: info.SHA, Bytes: info.Bytes})
	}
	t.Logger.Debug().Bool("new", info.New).Int("added", info.Added).Int("removed", info.Removed).
		Bool("dry_run", t.DryRun).Msg("configuration changed")
	if !t.DryRun {
		b.maybeCommitPart()
	}
	return tasks.Result{Value: info, Changed: true, Diff: diff.Text}, nil
}

// literals returns the host's own secrets (password, enable secret), removed from
// configurations and messages wherever they appear as a whole token.
func (b *Backup) literals(h *inventory.Host) []string {
	out := []string{h.Password()}
	for _, name := range b.cfg.SecretParams {
		p := h.ConnectionParams(name)
		out = append(out, p.Password)
		if s, ok := p.Extras["auth_secondary"].(string); ok {
			out = append(out, s)
		}
	}
	if s, ok := h.Get("auth_secondary"); ok {
		if s, ok := s.(string); ok {
			out = append(out, s)
		}
	}
	// A password equal to the user name is not replaced: "username <removed>" would tell
	// exactly what it is.
	users := map[string]bool{h.Username(): true}
	for _, name := range b.cfg.SecretParams {
		users[h.ConnectionParams(name).Username] = true
	}
	out = slices.DeleteFunc(out, func(s string) bool { return users[s] || !literalWorthy(s) })
	slices.Sort(out)
	out = slices.Compact(out)
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// literalWorthy reports whether a host secret is replaced wherever it appears: a short
// all-letter one (admin, enable, cisco) is also a configuration keyword, and replacing
// "enable" everywhere would wreck the configuration; the rules still catch it where a secret
// is expected.
func literalWorthy(s string) bool {
	if len(s) >= 8 {
		return true
	}
	for _, c := range s {
		if !unicode.IsLetter(c) {
			return true
		}
	}
	return false
}

// maxMessage caps a failure message kept in the status file.
const maxMessage = 500

func (b *Backup) record(host, platform string, dry bool, prof *Profile, err error, lits []string) {
	msg := err.Error()
	if prof != nil {
		msg = prof.Redact(msg, RedactAll, lits...)
	} else {
		msg = redactLiterals(msg, lits)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	b.set(host, &outcome{platform: platform, at: b.cfg.Now(), dry: dry, err: err,
		class: tasks.Classify(err), msg: truncate(msg, maxMessage)})
}

func (b *Backup) recordOK(host, platform string, dry, changed bool, e Entry) {
	b.set(host, &outcome{platform: platform, at: b.cfg.Now(), dry: dry, changed: changed, entry: e})
}

func (b *Backup) set(host string, o *outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o.changed && !o.dry {
		if prev := b.run[host]; prev == nil || !prev.changed || prev.dry {
			b.changedN++
		}
	}
	b.run[host] = o
}

// RecordResult records the final result of a host, for a TaskFailed (or TaskOK) hook: hosts
// that never reached the task (not run, vetoed, circuit breaker open, panics in middleware)
// are recorded as failed in the status file. Results of hosts the task recorded itself change
// nothing but the failure's cause when the runner failed a host after the task returned.
// Its message is redacted with the platform's rules when the host's platform is known.
func (b *Backup) RecordResult(r tasks.Result) {
	if r.Host == "" || r.Err == nil {
		return
	}
	b.mu.Lock()
	prev := b.run[r.Host]
	b.mu.Unlock()
	if prev != nil && prev.err != nil && (prev.err == r.Err || errors.Is(r.Err, prev.err)) {
		return // the task recorded this very failure
	}
	platform := ""
	var prof *Profile
	if prev != nil {
		platform = prev.platform
		prof, _ = b.cfg.Profiles.Lookup(platform)
	}
	b.record(r.Host, platform, false, prof, r.Err, nil)
}

// maybeCommitPart commits when CommitEvery changed hosts are waiting.
func (b *Backup) maybeCommitPart() {
	if b.cfg.CommitEvery <= 0 {
		return
	}
	b.mu.Lock()
	due := b.changedN >= b.cfg.CommitEvery
	b.mu.Unlock()
	if !due || !b.commitMu.TryLock() {
		return
	}
	defer b.commitMu.Unlock()
	// A failed part commit keeps its changes pending for the next one; Commit reports errors.
	_, _ = b.commitLocked(false)
}

// FailedHost is a failed host in a Summary.
type FailedHost struct {
	Host    string      `json:"host"`
	Class   tasks.Class `json:"class"`
	Message string      `json:"message"`
}

// Summary counts the outcomes of the run so far.
type Summary struct {
	// Hosts is the number of hosts with an outcome.
	Hosts int `json:"hosts"`
	// OK counts the hosts backed up (Changed + Unchanged).
	OK int `json:"ok"`
	// Changed counts the hosts whose configuration changed (or would, in a dry run).
	Changed int `json:"changed"`
	// Unchanged counts the hosts whose configuration did not change.
	Unchanged int `json:"unchanged"`
	// Failed counts the failed hosts (not-run hosts excluded), by class in ByClass.
	Failed int `json:"failed"`
	// NotRun counts the hosts never started (run cancelled or stopped early); they are neither
	// in Failed nor in ByClass.
	NotRun  int                 `json:"not_run"`
	ByClass map[tasks.Class]int `json:"by_class,omitempty"`
	// ChangedHosts and FailedHosts list them, sorted by host.
	ChangedHosts []string     `json:"changed_hosts,omitempty"`
	FailedHosts  []FailedHost `json:"failed_hosts,omitempty"`
}

// Summary returns the counts of the run so far.
func (b *Backup) Summary() Summary {
	b.mu.Lock()
	defer b.mu.Unlock()
	return summarize(b.run, nil)
}

func summarize(run map[string]*outcome, only func(string) bool) Summary {
	s := Summary{ByClass: map[tasks.Class]int{}}
	for host, o := range run {
		if only != nil && !only(host) {
			continue
		}
		s.Hosts++
		switch {
		case o.err != nil && o.class == tasks.ClassNotRun:
			s.NotRun++
		case o.err != nil:
			s.Failed++
			s.ByClass[o.class]++
			s.FailedHosts = append(s.FailedHosts, FailedHost{Host: host, Class: o.class, Message: o.msg})
		case o.changed:
			s.OK++
			s.Changed++
			s.ChangedHosts = append(s.ChangedHosts, host)
		default:
			s.OK++
			s.Unchanged++
		}
	}
	slices.Sort(s.ChangedHosts)
	slices.SortFunc(s.FailedHosts, func(a, b FailedHost) int { return strings.Compare(a.Host, b.Host) })
	return s
}

// String is the summary's first line: "3 changed, 195 unchanged, 2 failed of 200 hosts", with
// ", N not run" before "of" when some hosts never started.
func (s Summary) String() string {
	notRun := ""
	if s.NotRun > 0 {
		notRun = fmt.Sprintf(", %d not run", s.NotRun)
	}
	return fmt.Sprintf("%d changed, %d unchanged, %d failed%s of %d hosts", s.Changed, s.Unchanged, s.Failed, notRun, s.Hosts)
}

// listCap bounds the host lists in a commit message.
const listCap = 100

// message is the commit message for a part of the run.
func (s Summary) message(part int, final bool, total Summary) string {
	var w strings.Builder
	switch {
	case !final:
		fmt.Fprintf(&w, "norn backup (part %d): %s\n", part, s)
	case part > 1:
		fmt.Fprintf(&w, "norn backup (part %d, last): %s\n\nrun so far: %s\n", part, s, total)
	default:
		fmt.Fprintf(&w, "norn backup: %s\n", s)
	}
	if len(s.ChangedHosts) > 0 {
		fmt.Fprintf(&w, "\nchanged (%d):\n", len(s.ChangedHosts))
		for i, h := range s.ChangedHosts {
			if i == listCap {
				fmt.Fprintf(&w, "  ... and %d more\n", len(s.ChangedHosts)-listCap)
				break
			}
			fmt.Fprintf(&w, "  %s\n", h)
		}
	}
	if len(s.FailedHosts) > 0 {
		fmt.Fprintf(&w, "\nfailed (%d):\n", len(s.FailedHosts))
		for i, f := range s.FailedHosts {
			if i == listCap {
				fmt.Fprintf(&w, "  ... and %d more\n", len(s.FailedHosts)-listCap)
				break
			}
			fmt.Fprintf(&w, "  %s [%s]: %s\n", f.Host, f.Class, truncate(f.Message, 200))
		}
	}
	return w.String()
}

// Commit ends the run: it records every host's outcome in the status file and commits the
// changed configurations with the status file in one commit whose message summarises the run
// (counts, changed hosts, failed hosts with their reasons). When no configuration changed it
// makes no commit but saves the status file. A dry run writes nothing. After Commit the
// Backup starts a new run.
//
// Commit is not abandoned when ctx is cancelled: a run stopped by Ctrl-C must still keep what
// finished. ctx only carries values.
func (b *Backup) Commit(ctx context.Context) (CommitInfo, error) {
	_ = ctx
	b.commitMu.Lock()
	defer b.commitMu.Unlock()
	info, err := b.commitLocked(true)
	if err != nil {
		return info, err
	}
	b.mu.Lock()
	b.reset()
	b.mu.Unlock()
	return info, nil
}

// commitLocked applies the outcomes to the status and commits; final makes the last commit of
// the run (the status file is saved even when nothing changed).
func (b *Backup) commitLocked(final bool) (CommitInfo, error) {
	b.mu.Lock()
	anyReal := false
	for _, o := range b.run {
		if !o.dry {
			anyReal = true
			break
		}
	}
	if !anyReal {
		b.mu.Unlock()
		return CommitInfo{}, nil
	}
	for host, o := range b.run {
		if o.dry || b.applied[host] == o {
			continue
		}
		bs, seen := b.before[host]
		if !seen {
			if st, ok := b.store.Status(host); ok {
				bs = &st
			}
			b.before[host] = bs
		}
		b.store.SetStatus(applyOutcome(host, bs, o))
		b.applied[host] = o
	}
	var partHosts []string
	for host, o := range b.run {
		if !b.committed[host] && !o.dry {
			partHosts = append(partHosts, host)
		}
	}
	inPart := map[string]bool{}
	for _, h := range partHosts {
		inPart[h] = true
	}
	part := summarize(b.run, func(h string) bool { return inPart[h] })
	total := summarize(b.run, nil)
	b.parts++
	msg := part.message(b.parts, final, total)
	b.changedN = 0
	b.mu.Unlock()

	info, err := b.store.Commit(msg)
	if err != nil {
		b.mu.Lock()
		b.parts--
		b.mu.Unlock()
		return info, err
	}
	if info.Committed() || final {
		b.mu.Lock()
		for _, h := range partHosts {
			b.committed[h] = true
		}
		b.mu.Unlock()
	} else {
		b.mu.Lock()
		b.parts--
		b.mu.Unlock()
	}
	return info, nil
}

// applyOutcome returns the host's new status from its status before the run and the run's
// outcome (so applying the same run's outcome again gives the same status).
func applyOutcome(host string, before *HostStatus, o *outcome) HostStatus {
	var st HostStatus
	if before != nil {
		st = *before
	}
	st.Host = host
	if o.platform != "" {
		st.Platform = o.platform
	}
	st.LastAttempt = o.at
	if o.err != nil {
		st.LastFailure = o.at
		st.FailureClass = o.class
		st.FailureMessage = o.msg
		st.ConsecutiveFailures++
		return st
	}
	st.LastSuccess = o.at
	st.ConsecutiveFailures = 0
	st.SHA, st.Bytes = o.entry.SHA, o.entry.Bytes
	if o.changed {
		st.LastChange = o.at
	}
	return st
}
