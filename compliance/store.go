package compliance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/gonorn/norn/platform"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// configsDir holds one file per host in a backup repository.
const configsDir = gitstore.ConfigsDir

// StoreConfig says which stored configurations to check.
type StoreConfig struct {
	// Dir is the backup repository (norn backup's -out). Required.
	Dir string
	// Rev is the git revision to read (HEAD, a commit, a tag, HEAD~3). Default "": the work
	// tree's configs/ directory, which holds what the last backup wrote (the last good copy of
	// every host) and reads at disk speed.
	Rev string
	// Platform returns a host's platform. Default: the platform the store's status recorded at
	// the host's last backup (StoredPlatforms), else one detected from the configuration
	// (Detect).
	Platform func(host string) string
	// InGroup reports whether a host is in a group (from an inventory). Default nil: rules
	// restricted to groups are skipped.
	InGroup func(host, group string) bool
	// Hosts, when not nil, keeps only the hosts it returns true for.
	Hosts func(host string) bool
	// Workers is how many configurations are checked at once. Default GOMAXPROCS.
	Workers int
}

// stored is one configuration read from the store.
type stored struct {
	host string
	data []byte
	err  error
}

// CheckStore checks the stored configurations of a backup repository against the rules,
// without touching a device. Results are sorted by host. A host whose configuration cannot be
// read is reported in Report.Errors; a repository that cannot be read is an error.
func (rs *RuleSet) CheckStore(ctx context.Context, cfg StoreConfig) (*Report, error) {
	start := time.Now()
	if cfg.Dir == "" {
		return nil, errors.New("compliance: StoreConfig.Dir is empty")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	platformOf := cfg.Platform
	if platformOf == nil {
		plats, err := StoredPlatforms(cfg.Dir)
		if err != nil {
			return nil, err
		}
		platformOf = func(h string) string { return plats[h] }
	}
	source := cfg.Dir + " (work tree)"
	if cfg.Rev != "" {
		source = cfg.Dir + " at " + cfg.Rev
	}
	rep := &Report{Rules: rs.File, Source: source}

	in := make(chan stored, cfg.Workers*2)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Go(func() {
			var local []Result
			var errs []HostError
			for s := range in {
				if s.err != nil {
					errs = append(errs, HostError{Host: s.host, Err: s.err.Error()})
					continue
				}
				// The buffer is this worker's alone and never written again: no copy.
				text := unsafe.String(unsafe.SliceData(s.data), len(s.data))
				plat := platformOf(s.host)
				if plat == "" {
					plat = Detect(text)
				}
				t := Target{Host: s.host, Platform: plat}
				if cfg.InGroup != nil {
					t.InGroup = func(g string) bool { return cfg.InGroup(s.host, g) }
				}
				local = append(local, rs.Check(t, text)...)
			}
			mu.Lock()
			rep.Results = append(rep.Results, local...)
			rep.Errors = append(rep.Errors, errs...)
			mu.Unlock()
		})
	}
	var err error
	if cfg.Rev == "" {
		err = readWorkTree(ctx, cfg, in)
	} else {
		err = readRevision(ctx, cfg, in)
	}
	close(in)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	rep.Sort()
	rep.Duration = time.Since(start)
	return rep, nil
}

// hostOf returns the host name of a file under configs/ (package backup escapes bytes outside
// [A-Za-z0-9._@+=,-] as %XX).
func hostOf(file string) string {
	if h, err := url.PathUnescape(file); err == nil {
		return h
	}
	return file
}

// readWorkTree reads the files of configs/ (a few at a time, in parallel with the checks) and
// sends them to in.
func readWorkTree(ctx context.Context, cfg StoreConfig, in chan<- stored) error {
	dir := filepath.Join(cfg.Dir, configsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("compliance: stored configurations: %w", err)
	}
	names := make(chan string)
	var wg sync.WaitGroup
	for range min(cfg.Workers, 8) {
		wg.Go(func() {
			for name := range names {
				b, err := os.ReadFile(filepath.Join(dir, name))
				in <- stored{host: hostOf(name), data: b, err: err}
			}
		})
	}
	var cerr error
	for _, e := range entries {
		if ctx.Err() != nil {
			cerr = ctx.Err()
			break
		}
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") {
			continue
		}
		if cfg.Hosts != nil && !cfg.Hosts(hostOf(name)) {
			continue
		}
		names <- name
	}
	close(names)
	wg.Wait()
	return cerr
}

// readRevision sends the configurations of configs/ in the tree of a git revision to in.
func readRevision(ctx context.Context, cfg StoreConfig, in chan<- stored) error {
	// Each blob is read once: a small object cache instead of go-git's 96 MB default.
	if _, err := os.Stat(filepath.Join(cfg.Dir, ".git")); err != nil {
		return fmt.Errorf("compliance: %s: %w", cfg.Dir, git.ErrRepositoryNotExists)
	}
	st := filesystem.NewStorage(osfs.New(filepath.Join(cfg.Dir, ".git")), cache.NewObjectLRU(4*cache.MiByte))
	repo, err := git.Open(st, nil)
	if err != nil {
		return fmt.Errorf("compliance: %s: %w", cfg.Dir, err)
	}
	h, err := repo.ResolveRevision(plumbing.Revision(cfg.Rev))
	if err != nil {
		return fmt.Errorf("compliance: %s: revision %q: %w", cfg.Dir, cfg.Rev, err)
	}
	commit, err := repo.CommitObject(*h)
	if err != nil {
		return fmt.Errorf("compliance: %s: %s: %w", cfg.Dir, cfg.Rev, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return fmt.Errorf("compliance: %s: %s: %w", cfg.Dir, cfg.Rev, err)
	}
	sub, err := tree.Tree(configsDir)
	if errors.Is(err, object.ErrDirectoryNotFound) {
		return fmt.Errorf("compliance: %s: %s has no %s/ directory", cfg.Dir, cfg.Rev, configsDir)
	}
	if err != nil {
		return fmt.Errorf("compliance: %s: %s: %w", cfg.Dir, cfg.Rev, err)
	}
	for _, e := range sub.Entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Mode.IsFile() {
			continue
		}
		host := hostOf(e.Name)
		if cfg.Hosts != nil && !cfg.Hosts(host) {
			continue
		}
		in <- readBlob(repo, host, e.Hash)
	}
	return nil
}

func readBlob(repo *git.Repository, host string, h plumbing.Hash) stored {
	blob, err := repo.BlobObject(h)
	if err != nil {
		return stored{host: host, err: err}
	}
	r, err := blob.Reader()
	if err != nil {
		return stored{host: host, err: err}
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return stored{host: host, data: b, err: err}
}

// StoredPlatforms returns each host's platform as the backup repository's status recorded it
// at the host's last backup (canonical names), read with gitstore.ReadStatus; a directory
// without a status (or not a repository) gives an empty map.
func StoredPlatforms(dir string) (map[string]string, error) {
	sts, err := gitstore.ReadStatus(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("compliance: %w", err)
	}
	out := make(map[string]string, len(sts))
	for _, s := range sts {
		if s.Platform != "" {
			out[s.Host] = platform.Normalize(s.Platform)
		}
	}
	return out, nil
}

// reJunosVersionLine is Junos' "version 21.4R3-S2.3;" statement.
var reJunosVersionLine = regexp.MustCompile(`(?m)^version [^\s;]+;$`)

// Detect guesses the platform of a configuration from lines each platform prints and others
// do not, or returns "".
func Detect(config string) string {
	head := config
	if len(head) > 4096 {
		head = head[:4096]
	}
	switch {
	case strings.Contains(head, "!! IOS XR Configuration"):
		return platform.CiscoIOSXR
	case strings.Contains(head, "\nsystem {") || strings.HasPrefix(head, "system {") || strings.HasPrefix(head, "set system ") ||
		strings.Contains(head, "\nset system ") || reJunosVersionLine.MatchString(head):
		return platform.JuniperJunos
	case strings.Contains(head, "! device: ") && strings.Contains(head, "EOS-"):
		return platform.AristaEOS
	case strings.Contains(head, "!Command: show running-config") || strings.Contains(head, "\nfeature ") && strings.Contains(head, "Bios:version"):
		return platform.CiscoNXOS
	case strings.Contains(head, "\nboot-start-marker") || strings.Contains(head, "Current configuration :"):
		return platform.CiscoIOSXE
	}
	return ""
}
