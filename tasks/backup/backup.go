package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// ClassStore is the error class of a configuration that could not be written to the store.
const ClassStore tasks.Class = "store"

// FetchFunc gets a host's configuration as the device prints it. The default fetches it
// through the host's connection (see Config.Fetch).
type FetchFunc func(ctx context.Context, t *tasks.Task, p *Profile) (string, error)

// Config configures the backup task (New).
type Config struct {
	// Store holds the last good configurations, which the task compares with and writes the
	// new ones to. Required.
	Store *gitstore.Store
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
}

// task is the backup task's configuration, validated.
type task struct {
	cfg   Config
	store *gitstore.Store
}

// Info is a host's Result.Value: where its configuration is and what it is, never the
// configuration itself (10,000 of those would not fit a small memory budget).
type Info struct {
	// Platform is the profile used.
	Platform string `json:"platform"`
	// Path is the configuration file.
	Path string `json:"path"`
	// SHA is the git blob id of the configuration.
	SHA string `json:"sha"`
	// Bytes is its size, Lines its number of lines.
	Bytes int64 `json:"bytes"`
	Lines int   `json:"lines"`
	// New reports the host's first backup (no diff is given for it).
	New bool `json:"new,omitempty"`
	// Added and Removed count the changed lines.
	Added   int `json:"added,omitempty"`
	Removed int `json:"removed,omitempty"`
	// DryRun reports that nothing was written (the task ran with tasks.Task.DryRun).
	DryRun bool `json:"dry_run,omitempty"`
}

// New returns the backup task, a tasks.Func for the runner (runner.Stream(ctx, "backup",
// task)). For each host it fetches the configuration, cleans it, redacts secrets and checks it
// is complete; when it differs from the stored one it writes it to the store (not in a dry
// run) and returns Changed with the diff. Its Result.Value is an Info. A failure returns an
// error with a class (ClassIncomplete, ClassStore, tasks.ClassConfig, or the connection's) and
// a message that names the host and holds no secret; an incomplete configuration leaves the
// stored copy untouched. The task keeps no record of outcomes: feed its results to a Recorder,
// which keeps the hosts' status and commits the run.
func New(cfg Config) (tasks.Func, error) {
	if cfg.Store == nil {
		return nil, errors.New("backup: Config.Store is required")
	}
	b, err := newTask(cfg)
	if err != nil {
		return nil, err
	}
	return b.run, nil
}

// newTask validates cfg (its Store may be nil) and returns the task.
func newTask(cfg Config) (*task, error) {
	if cfg.Profiles == nil {
		cfg.Profiles = DefaultProfiles()
	}
	switch {
	case cfg.MaxShrink == 0:
		cfg.MaxShrink = 0.5
	case cfg.MaxShrink < 0 || cfg.MaxShrink > 1:
		return nil, fmt.Errorf("backup: Config.MaxShrink %v is outside [0, 1]", cfg.MaxShrink)
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
	cfg.Diff = cfg.Diff.withDefaults()
	b := &task{cfg: cfg, store: cfg.Store}
	if cfg.Fetch == nil {
		b.cfg.Fetch = b.fetchViaConnection
	}
	return b, nil
}

// fetchViaConnection is the default FetchFunc.
func (b *task) fetchViaConnection(ctx context.Context, t *tasks.Task, p *Profile) (string, error) {
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

// hostError is a failed backup: the cause (with its class, for tasks.Classify and errors.Is)
// under a message with the host's secrets and the platform's secret lines removed, and the
// platform, which the Recorder keeps in the host's status.
type hostError struct {
	platform string
	msg      string
	err      error
}

func (e *hostError) Error() string { return e.msg }
func (e *hostError) Unwrap() error { return e.err }

// fail returns err as the task's error for host.
func (b *task) fail(host, platform string, prof *Profile, lits []string, err error) error {
	msg := err.Error()
	if prof != nil {
		msg = prof.Redact(msg, RedactAll, lits...)
	} else {
		msg = redactLiterals(msg, lits)
	}
	return &hostError{platform: platform, msg: msg, err: err}
}

// run backs up one host.
func (b *task) run(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
	f, prof, lits, err := b.fetchStage(ctx, t)
	if err != nil {
		return tasks.Result{}, err
	}
	return b.storeStage(t.Host.Name, t.DryRun, t.Logger, f, prof, lits)
}

// fetchStage fetches, cleans, redacts and checks a host's configuration.
func (b *task) fetchStage(ctx context.Context, t *tasks.Task) (Fetched, *Profile, []string, error) {
	host := t.Host.Name
	platform := t.Host.Platform()
	lits := b.literals(t.Host)
	prof, ok := b.cfg.Profiles.Lookup(platform)
	if !ok {
		err := fmt.Errorf("host %s: no backup profile for platform %q (known: %s)", host, platform,
			strings.Join(b.cfg.Profiles.Platforms(), ", "))
		return Fetched{}, nil, lits, b.fail(host, platform, nil, lits, tasks.Permanent(tasks.WithClass(tasks.ClassConfig, err)))
	}
	platform = prof.Platform

	raw, err := b.cfg.Fetch(ctx, t, prof)
	if err != nil {
		if !strings.Contains(err.Error(), host) {
			err = fmt.Errorf("host %s: get configuration: %w", host, err)
		}
		return Fetched{}, prof, lits, b.fail(host, platform, prof, lits, err)
	}
	text := prof.Redact(prof.Clean(raw), b.cfg.Redact, lits...)
	if err := prof.Check(raw, text); err != nil {
		var ie *IncompleteError
		if errors.As(err, &ie) {
			ie.Host = host
			if b.store != nil {
				_, had := b.store.Stat(host)
				ie.NoLastGood = !had
			}
		}
		return Fetched{}, prof, lits, b.fail(host, platform, prof, lits, tasks.WithClass(ClassIncomplete, err))
	}
	return Fetched{Platform: platform, Config: text}, prof, lits, nil
}

// storeStage compares a fetched configuration with the stored one and stores it when it
// changed (not in a dry run).
func (b *task) storeStage(host string, dryRun bool, log zerolog.Logger, f Fetched, prof *Profile, lits []string) (tasks.Result, error) {
	platform, text := f.Platform, f.Config
	data := []byte(text)
	old, exists := b.store.Stat(host)
	info := Info{Platform: platform, Path: b.store.Path(host), SHA: gitstore.BlobID(data), Bytes: int64(len(data)),
		Lines: lineCount(text), New: !exists, DryRun: dryRun}
	if exists && old.SHA == info.SHA {
		if !dryRun {
			// Rewrites the work-tree file only if it went missing.
			if _, _, err := b.store.Put(host, data); err != nil {
				return tasks.Result{}, b.fail(host, platform, prof, lits, tasks.WithClass(ClassStore, err))
			}
		}
		log.Debug().Str("sha", info.SHA).Msg("configuration unchanged")
		return tasks.Result{Value: info}, nil
	}

	var diff DiffResult
	if exists {
		if b.cfg.MaxShrink < 1 && old.Bytes > 0 && float64(len(data)) < (1-b.cfg.MaxShrink)*float64(old.Bytes) {
			err := tasks.WithClass(ClassIncomplete, &IncompleteError{Host: host, Platform: platform,
				Reason: fmt.Sprintf("configuration shrank from %d to %d bytes (-%.0f%%), more than the %.0f%% allowed (Config.MaxShrink)",
					old.Bytes, len(data), 100*(1-float64(len(data))/float64(old.Bytes)), 100*b.cfg.MaxShrink)})
			return tasks.Result{}, b.fail(host, platform, prof, lits, err)
		}
		prev, _, err := b.store.Get(host)
		if err != nil {
			return tasks.Result{}, b.fail(host, platform, prof, lits, tasks.WithClass(ClassStore, err))
		}
		name := gitstore.ConfigsDir + "/" + gitstore.FileName(host)
		diff = Diff("a/"+name, "b/"+name, string(prev), text, b.cfg.Diff)
		info.Added, info.Removed = diff.Added, diff.Removed
	} else {
		info.Added = info.Lines
	}
	if !dryRun {
		if _, _, err := b.store.Put(host, data); err != nil {
			return tasks.Result{}, b.fail(host, platform, prof, lits, tasks.WithClass(ClassStore, err))
		}
	}
	log.Debug().Bool("new", info.New).Int("added", info.Added).Int("removed", info.Removed).
		Bool("dry_run", dryRun).Msg("configuration changed")
	return tasks.Result{Value: info, Changed: true, Diff: diff.Text}, nil
}

// lineCount counts the lines of text, the last one with or without its newline.
func lineCount(text string) int {
	n := strings.Count(text, "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		n++
	}
	return n
}
