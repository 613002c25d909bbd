package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/gonorn/norn/tasks/backup"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// Commit is a commit of the backup repository.
type Commit struct {
	// Hash is the commit's id.
	Hash string `json:"hash"`
	// Time is when it was committed.
	Time time.Time `json:"time"`
	// Author is its author's name.
	Author string `json:"author"`
	// Subject is the first line of its message.
	Subject string `json:"subject"`
}

// Diff is the change a commit made to a host's configuration.
type Diff struct {
	Host string `json:"host"`
	// Commit made the change; Parent is the commit compared against (empty for the first
	// commit).
	Commit Commit `json:"commit"`
	Parent string `json:"parent,omitempty"`
	// New reports the host's first configuration (Text then is the whole file, added).
	New bool `json:"new,omitempty"`
	// Text is the unified diff, empty when the commit did not change the host's file.
	Text string `json:"diff"`
	// Added and Removed count the changed lines (of the whole diff, even when truncated).
	Added   int `json:"added"`
	Removed int `json:"removed"`
	// Truncated reports that Text was cut at DiffOptions.MaxBytes.
	Truncated bool `json:"truncated,omitempty"`
}

// History reads the stored configurations' history. GitHistory is the implementation for a
// norn backup repository.
type History interface {
	// Config returns host's configuration at rev (a commit id; empty: the latest) and the
	// commit it was read from; an error wrapping ErrNotFound when there is none.
	Config(ctx context.Context, host, rev string) ([]byte, Commit, error)
	// Log returns up to limit commits that changed host's configuration, newest first.
	Log(ctx context.Context, host string, limit int) ([]Commit, error)
	// Diff returns the change rev made to host's configuration; with an empty rev, the last
	// change.
	Diff(ctx context.Context, host, rev string) (Diff, error)
}

// GitHistory reads the history of a norn backup repository (one file per host under configs/,
// one commit per run) with go-git. It only reads: it is safe to use while a run commits, and
// from many goroutines. Set its exported fields before first use.
type GitHistory struct {
	// Dir is the repository's directory. Required.
	Dir string
	// MaxWalk bounds the commits Log and Diff walk back through looking for changes of a host.
	// Default 2000.
	MaxWalk int
	// DiffOptions bound the diffs. Default: backup.DiffOptions{} (3 lines of context, 32 KiB).
	DiffOptions backup.DiffOptions

	mu     sync.Mutex
	cached *git.Repository
}

// Interface guard.
var _ History = (*GitHistory)(nil)

// revPattern is what a rev may be: a (short) commit id, or HEAD with an optional ~N.
var revPattern = regexp.MustCompile(`^([0-9a-fA-F]{4,40}|HEAD(~[0-9]{1,6})?)$`)

// ErrBadRevision is returned (wrapped) for a rev that is not a commit id.
var ErrBadRevision = errors.New("bad revision (want a commit id)")

// repo returns the repository, opened once and kept: go-git then loads the pack indexes once
// (a repository gets a pack per run; reading them all per request costs 100 ms at 100 runs).
func (g *GitHistory) repo(fresh bool) (*git.Repository, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cached != nil && !fresh {
		return g.cached, nil
	}
	repo, err := git.PlainOpen(g.Dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%w: no backup repository in %s yet", ErrNotFound, g.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("backup repository %s: %w", g.Dir, err)
	}
	g.cached = repo
	return repo, nil
}

// with calls fn with the repository. go-git lists the packs once per open, so an object of a
// pack written since (by a later run) is not found: then fn is called again on a fresh open.
func (g *GitHistory) with(fn func(repo *git.Repository) error) error {
	repo, err := g.repo(false)
	if err != nil {
		return err
	}
	if err = fn(repo); errors.Is(err, plumbing.ErrObjectNotFound) || errors.Is(err, errRevisionNotFound) {
		if repo, err = g.repo(true); err != nil {
			return err
		}
		err = fn(repo)
	}
	return err
}

// errRevisionNotFound marks a revision ResolveRevision did not find (maybe in a new pack).
var errRevisionNotFound = errors.New("revision not found")

func (g *GitHistory) resolve(repo *git.Repository, rev string) (*object.Commit, error) {
	if rev == "" {
		rev = "HEAD"
	}
	if !revPattern.MatchString(rev) {
		return nil, fmt.Errorf("%w: %q", ErrBadRevision, rev)
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		if rev == "HEAD" {
			return nil, fmt.Errorf("%w: the repository %s has no commit yet (%w)", ErrNotFound, g.Dir, errRevisionNotFound)
		}
		return nil, fmt.Errorf("%w: revision %q (%w)", ErrNotFound, rev, errRevisionNotFound)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("%w: commit %s: %w", ErrNotFound, h, err)
	}
	return c, nil
}

func filePath(host string) string { return path.Join(gitstore.ConfigsDir, gitstore.FileName(host)) }

// blobAt returns the id of the file at path (slash-separated) in c, zero when c has none. It
// scans the raw tree objects instead of decoding them into go-git Trees: a configs/ tree of
// 10,000 devices is found in a few hundred microseconds, which a host's history needs once per
// commit walked.
func blobAt(st storer.EncodedObjectStorer, c *object.Commit, file string) (plumbing.Hash, error) {
	h := c.TreeHash
	for part := range strings.SplitSeq(file, "/") {
		next, found, err := treeEntry(st, h, part)
		if err != nil || !found {
			return plumbing.ZeroHash, err
		}
		h = next
	}
	return h, nil
}

// treeEntry returns the id of the entry name of the tree object tree.
func treeEntry(st storer.EncodedObjectStorer, tree plumbing.Hash, name string) (plumbing.Hash, bool, error) {
	o, err := st.EncodedObject(plumbing.TreeObject, tree)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("tree %s: %w", tree, err)
	}
	r, err := o.Reader()
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("tree %s: %w", tree, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("tree %s: %w", tree, err)
	}
	// Entries: "<mode> <name>\x00<20-byte id>", sorted by name.
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			break
		}
		nul := bytes.IndexByte(b[sp+1:], 0)
		if nul < 0 || sp+1+nul+21 > len(b) {
			break
		}
		entry, rest := b[sp+1:sp+1+nul], b[sp+1+nul+1:]
		if string(entry) == name {
			var h plumbing.Hash
			copy(h[:], rest[:20])
			return h, true, nil
		}
		b = rest[20:]
	}
	if len(b) > 0 {
		return plumbing.ZeroHash, false, fmt.Errorf("tree %s: malformed", tree)
	}
	return plumbing.ZeroHash, false, nil
}

func commitOf(c *object.Commit) Commit {
	subject, _, _ := strings.Cut(c.Message, "\n")
	return Commit{Hash: c.Hash.String(), Time: c.Committer.When, Author: c.Author.Name, Subject: subject}
}

func readBlob(repo *git.Repository, h plumbing.Hash) ([]byte, error) {
	if h.IsZero() {
		return nil, nil
	}
	b, err := repo.BlobObject(h)
	if err != nil {
		return nil, err
	}
	r, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Config implements History.
func (g *GitHistory) Config(ctx context.Context, host, rev string) ([]byte, Commit, error) {
	var b []byte
	var commit Commit
	err := g.with(func(repo *git.Repository) error {
		c, err := g.resolve(repo, rev)
		if err != nil {
			return err
		}
		h, err := blobAt(repo.Storer, c, filePath(host))
		if err != nil {
			return fmt.Errorf("commit %s: %w", c.Hash, err)
		}
		if h.IsZero() {
			return fmt.Errorf("%w: no configuration of %s in commit %s", ErrNotFound, host, shortHash(c.Hash.String()))
		}
		if b, err = readBlob(repo, h); err != nil {
			return fmt.Errorf("%s in commit %s: %w", filePath(host), c.Hash, err)
		}
		commit = commitOf(c)
		return nil
	})
	if err != nil {
		return nil, Commit{}, err
	}
	return b, commit, nil
}

func (g *GitHistory) maxWalk() int {
	if g.MaxWalk <= 0 {
		return 2000
	}
	return g.MaxWalk
}

// change is one commit that changed a host's file.
type change struct {
	c        *object.Commit
	old, new plumbing.Hash
	parent   string
}

// changes walks back from start (first parents) and returns up to limit commits that changed
// file, newest first.
func (g *GitHistory) changes(ctx context.Context, st storer.EncodedObjectStorer, start *object.Commit, file string, limit int) ([]change, error) {
	maxWalk := g.maxWalk()
	var out []change
	c := start
	cur, err := blobAt(st, c, file)
	if err != nil {
		return nil, err
	}
	for walked := 0; c != nil && len(out) < limit && walked < maxWalk; walked++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var parent *object.Commit
		prev := plumbing.ZeroHash
		if c.NumParents() > 0 {
			if parent, err = c.Parent(0); err != nil {
				return nil, fmt.Errorf("parent of %s: %w", c.Hash, err)
			}
			if prev, err = blobAt(st, parent, file); err != nil {
				return nil, err
			}
		}
		if prev != cur {
			ch := change{c: c, old: prev, new: cur}
			if parent != nil {
				ch.parent = parent.Hash.String()
			}
			out = append(out, ch)
		}
		c, cur = parent, prev
	}
	return out, nil
}

// Log implements History.
func (g *GitHistory) Log(ctx context.Context, host string, limit int) ([]Commit, error) {
	var out []Commit
	err := g.with(func(repo *git.Repository) error {
		head, err := g.resolve(repo, "")
		if err != nil {
			return err
		}
		chs, err := g.changes(ctx, repo.Storer, head, filePath(host), max(limit, 1))
		if err != nil {
			return err
		}
		out = make([]Commit, len(chs))
		for i, ch := range chs {
			out[i] = commitOf(ch.c)
		}
		return nil
	})
	return out, err
}

// Diff implements History.
func (g *GitHistory) Diff(ctx context.Context, host, rev string) (Diff, error) {
	var d Diff
	err := g.with(func(repo *git.Repository) error {
		var err error
		d, err = g.diff(ctx, repo, host, rev)
		return err
	})
	return d, err
}

func (g *GitHistory) diff(ctx context.Context, repo *git.Repository, host, rev string) (Diff, error) {
	c, err := g.resolve(repo, rev)
	if err != nil {
		return Diff{}, err
	}
	file := filePath(host)
	var ch change
	if rev == "" {
		chs, err := g.changes(ctx, repo.Storer, c, file, 1)
		if err != nil {
			return Diff{}, err
		}
		if len(chs) == 0 {
			return Diff{}, fmt.Errorf("%w: no configuration of %s in the last %d commits", ErrNotFound, host, g.maxWalk())
		}
		ch = chs[0]
	} else {
		ch.c = c
		if ch.new, err = blobAt(repo.Storer, c, file); err != nil {
			return Diff{}, err
		}
		if c.NumParents() > 0 {
			p, err := c.Parent(0)
			if err != nil {
				return Diff{}, fmt.Errorf("parent of %s: %w", c.Hash, err)
			}
			ch.parent = p.Hash.String()
			if ch.old, err = blobAt(repo.Storer, p, file); err != nil {
				return Diff{}, err
			}
		}
		if ch.new.IsZero() && ch.old.IsZero() {
			return Diff{}, fmt.Errorf("%w: no configuration of %s in commit %s", ErrNotFound, host, shortHash(c.Hash.String()))
		}
	}
	oldText, err := readBlob(repo, ch.old)
	if err != nil {
		return Diff{}, fmt.Errorf("%s: %w", file, err)
	}
	newText, err := readBlob(repo, ch.new)
	if err != nil {
		return Diff{}, fmt.Errorf("%s: %w", file, err)
	}
	d := Diff{Host: host, Commit: commitOf(ch.c), Parent: ch.parent, New: ch.old.IsZero() && !ch.new.IsZero()}
	oldName, newName := "a/"+file, "b/"+file
	if ch.old.IsZero() {
		oldName = "/dev/null"
	}
	if ch.new.IsZero() {
		newName = "/dev/null"
	}
	r := backup.Diff(oldName, newName, string(oldText), string(newText), g.DiffOptions)
	d.Text, d.Added, d.Removed, d.Truncated = r.Text, r.Added, r.Removed, r.Truncated
	return d, nil
}

func shortHash(h string) string {
	if len(h) > 10 {
		return h[:10]
	}
	return h
}
