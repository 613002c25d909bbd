package gitstore

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ConfigsDir is the directory of the repository holding one file per device.
const ConfigsDir = "configs"

// Config configures a Store.
type Config struct {
	// Dir is the repository's directory, created (and "git init"ed) if needed. Required.
	Dir string
	// AuthorName and AuthorEmail sign the commits. Default "norn" and "norn@localhost".
	AuthorName, AuthorEmail string
	// Now returns the time of commits and status records. Default time.Now.
	Now func() time.Time
}

// Store is a versioned store of device configurations: a git repository with one file per
// device under configs/, one commit per Commit call, and every host's status kept in the git
// directory (see StatusFile), outside the tracked tree. It is
// safe for concurrent use by hundreds of workers writing different hosts: writes go to their
// own files and loose objects in parallel, and only the in-memory tree (a map) is shared, so a
// run never re-reads the repository. Commit builds the tree objects directly from that map,
// which takes milliseconds for 10,000 devices.
//
// Every file is written atomically (temporary file, fsync, rename), so a crash leaves the last
// good copy or the new one, never a mix. The configs directory is fsynced once per Commit,
// before the commit is written (not once per device file), so the renames are durable before
// the commit that names their contents. What a crash (kill -9, power loss) leaves is repaired
// by the next Open (see Open): a run's writes count once they are committed.
type Store struct {
	cfg                 Config
	dir, gitDir, cfgDir string
	repo                *git.Repository
	branch              plumbing.ReferenceName

	gitMu sync.Mutex // go-git object reads

	mu          sync.Mutex
	files       map[string]fileEntry // by file name under configs/
	pending     map[string]bool      // file names written since the last commit
	objects     []packObject         // their objects, compressed, for the next pack
	status      map[string]HostStatus
	statusDirty bool
	dirDirty    bool // device files renamed into configs/ since its last fsync
	head        plumbing.Hash
	rootOther   []object.TreeEntry // root entries the store does not manage, kept as they are
	indexOther  []*index.Entry     // and their index entries
	legacy      bool               // HEAD's tree holds the status.json of earlier versions
	lock        *os.File           // the writer lock, held from the first write until nothing is pending
	busy        bool               // another process held the writer lock at Open
	writing     int                // writes in progress (under the writer lock)
	legacyIndex *index.Entry       // and the index its entry
	indexStale  bool               // the index does not describe HEAD's configs (a crash)

	commitMu sync.Mutex
	// ioSem bounds the concurrent file writes: hundreds of workers creating files in one
	// directory spin on its lock in the kernel and burn the CPU the SSH sessions need.
	ioSem chan struct{}
}

// maxConcurrentWrites is the size of Store.ioSem.
const maxConcurrentWrites = 16

type fileEntry struct {
	hash  plumbing.Hash
	size  int64 // -1: unknown until read
	mtime time.Time
}

// Entry describes a device's stored configuration.
type Entry struct {
	// Host is the host's name.
	Host string `json:"host"`
	// Path is the file's path.
	Path string `json:"path"`
	// SHA is the git blob id of the content.
	SHA string `json:"sha"`
	// Bytes is the content's size.
	Bytes int64 `json:"bytes"`
}

// CommitInfo describes what Commit did.
type CommitInfo struct {
	// Hash is the new commit's id, empty when nothing changed and nothing was committed.
	Hash string `json:"hash,omitempty"`
	// Files is the number of device files changed by the commit.
	Files int `json:"files"`
	// Message is the commit message.
	Message string `json:"message,omitempty"`
}

// Committed reports whether a commit was made.
func (c CommitInfo) Committed() bool { return c.Hash != "" }

// Open opens (or creates) the store cfg describes: the directory and its git repository are
// created if needed. It also repairs what a crash (kill -9, power loss) of an earlier run left,
// so that every run starts from the last commit: temporary files are removed, a pack written
// without its index is removed, device files written but never committed are put back to the
// committed content (or removed when the last commit has none), and the git index is rewritten
// when it does not describe the last commit. "git fsck" and "git status" are clean afterwards.
func Open(cfg Config) (*Store, error) {
	if strings.TrimSpace(cfg.Dir) == "" {
		return nil, errors.New("gitstore: Config.Dir is empty")
	}
	if cfg.AuthorName == "" {
		cfg.AuthorName = "norn"
	}
	if cfg.AuthorEmail == "" {
		cfg.AuthorEmail = "norn@localhost"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("gitstore: %s: %w", cfg.Dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("gitstore: %w", err)
	}
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainInit(dir, false)
	}
	if err != nil {
		return nil, fmt.Errorf("gitstore: %s: git: %w", dir, err)
	}
	if _, err := repo.Worktree(); err != nil {
		return nil, fmt.Errorf("gitstore: %s: %w (a bare repository cannot hold the device files)", dir, err)
	}
	s := &Store{
		cfg: cfg, dir: dir, gitDir: filepath.Join(dir, ".git"), cfgDir: filepath.Join(dir, ConfigsDir),
		repo: repo, files: map[string]fileEntry{}, pending: map[string]bool{},
		status: map[string]HostStatus{}, ioSem: make(chan struct{}, maxConcurrentWrites),
	}
	if err := os.MkdirAll(s.cfgDir, 0o755); err != nil {
		return nil, fmt.Errorf("gitstore: %w", err)
	}
	// A crash's leftovers are repaired only when no other process is writing: a run in
	// progress elsewhere has files and temporary files of its own.
	s.mu.Lock()
	err = s.acquireLocked()
	s.mu.Unlock()
	switch {
	case errors.Is(err, ErrBusy):
		s.busy = true
	case err != nil:
		return nil, err
	}
	if !s.busy {
		if err := s.removeLeftovers(); err != nil {
			s.releaseLocked()
			return nil, err
		}
	}
	if err := s.load(); err != nil {
		s.releaseLocked()
		return nil, err
	}
	if !s.busy {
		err := s.repairWorkTree()
		s.releaseLocked()
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// load reads HEAD's tree, the index (for sizes) and the status file.
func (s *Store) load() error {
	headRef, err := s.repo.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return fmt.Errorf("gitstore: store %s: HEAD: %w", s.dir, err)
	}
	if headRef.Type() != plumbing.SymbolicReference {
		return fmt.Errorf("gitstore: store %s: HEAD is detached at %s; check out a branch", s.dir, headRef.Hash())
	}
	s.branch = headRef.Target()
	var statusBlob plumbing.Hash
	ref, err := s.repo.Reference(s.branch, true)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		// A new repository: no commit yet.
	case err != nil:
		return fmt.Errorf("gitstore: store %s: %s: %w", s.dir, s.branch, err)
	default:
		s.head = ref.Hash()
		c, err := s.repo.CommitObject(s.head)
		if err != nil {
			return fmt.Errorf("gitstore: store %s: commit %s: %w", s.dir, s.head, err)
		}
		root, err := c.Tree()
		if err != nil {
			return fmt.Errorf("gitstore: store %s: tree of %s: %w", s.dir, s.head, err)
		}
		for _, e := range root.Entries {
			switch {
			case e.Name == ConfigsDir && e.Mode == filemode.Dir:
				t, err := s.repo.TreeObject(e.Hash)
				if err != nil {
					return fmt.Errorf("gitstore: store %s: %s tree: %w", s.dir, ConfigsDir, err)
				}
				for _, fe := range t.Entries {
					if fe.Mode.IsFile() {
						s.files[fe.Name] = fileEntry{hash: fe.Hash, size: -1}
					}
				}
			case e.Name == legacyStatusFile && e.Mode.IsFile():
				statusBlob, s.legacy = e.Hash, true
			default:
				s.rootOther = append(s.rootOther, e)
			}
		}
	}
	matched := 0
	if idx, err := s.repo.Storer.Index(); err == nil {
		for _, ie := range idx.Entries {
			name, ok := strings.CutPrefix(ie.Name, ConfigsDir+"/")
			switch {
			case ok && !strings.Contains(name, "/"):
				if fe, found := s.files[name]; found && fe.hash == ie.Hash {
					fe.size, fe.mtime = int64(ie.Size), ie.ModifiedAt
					s.files[name] = fe
					matched++
				} else {
					s.indexStale = true // a file the last commit lacks or has another content of
				}
			case ie.Name == legacyStatusFile:
				if s.legacy {
					s.legacyIndex = ie // kept in an index rewritten before the next commit
				} else {
					s.indexStale = true
				}
			default:
				s.indexOther = append(s.indexOther, ie)
			}
		}
	} else if !s.head.IsZero() {
		s.indexStale = true
	}
	if matched != len(s.files) {
		s.indexStale = true
	}
	return s.loadStatus(statusBlob)
}

// Dir returns the repository's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the path of host's configuration file (which may not exist yet).
func (s *Store) Path(host string) string { return filepath.Join(s.cfgDir, FileName(host)) }

// Head returns the id of the last commit, empty for a repository without commits.
func (s *Store) Head() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head.IsZero() {
		return ""
	}
	return s.head.String()
}

// Pending returns how many device files were written since the last commit.
func (s *Store) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Hosts returns the hosts the store holds a configuration for, sorted.
func (s *Store) Hosts() []string {
	s.mu.Lock()
	out := make([]string, 0, len(s.files))
	for name := range s.files {
		out = append(out, hostName(name))
	}
	s.mu.Unlock()
	slices.Sort(out)
	return out
}

// Stat returns what the store holds for host, without reading the content.
func (s *Store) Stat(host string) (Entry, bool) {
	name := FileName(host)
	s.mu.Lock()
	fe, ok := s.files[name]
	s.mu.Unlock()
	if !ok {
		return Entry{}, false
	}
	if fe.size < 0 {
		s.gitMu.Lock()
		sz, err := s.repo.Storer.EncodedObjectSize(fe.hash)
		s.gitMu.Unlock()
		if err == nil {
			fe.size = sz
			s.mu.Lock()
			if cur, ok := s.files[name]; ok && cur.hash == fe.hash {
				cur.size = sz
				s.files[name] = cur
			}
			s.mu.Unlock()
		}
	}
	return Entry{Host: host, Path: filepath.Join(s.cfgDir, name), SHA: fe.hash.String(), Bytes: fe.size}, true
}

// Get returns host's last stored configuration (committed, or written since the last commit),
// and false when the store has none.
func (s *Store) Get(host string) ([]byte, bool, error) {
	name := FileName(host)
	s.mu.Lock()
	fe, ok := s.files[name]
	s.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	// The work tree normally holds it: cheaper than inflating the object.
	if b, err := os.ReadFile(filepath.Join(s.cfgDir, name)); err == nil && blobHash(b) == fe.hash {
		return b, true, nil
	}
	// Written since the last commit: still in memory.
	s.mu.Lock()
	for _, o := range s.objects {
		if o.hash == fe.hash {
			s.mu.Unlock()
			b, err := inflate(o.z)
			if err != nil {
				return nil, false, fmt.Errorf("gitstore: store %s: %s: %w", s.dir, host, err)
			}
			return b, true, nil
		}
	}
	s.mu.Unlock()
	s.gitMu.Lock()
	defer s.gitMu.Unlock()
	blob, err := s.repo.BlobObject(fe.hash)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// In a pack written since the repository was opened: go-git lists packs once.
		if repo, oerr := git.PlainOpen(s.dir); oerr == nil {
			s.repo = repo
			blob, err = s.repo.BlobObject(fe.hash)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("gitstore: store %s: %s: blob %s: %w", s.dir, host, fe.hash, err)
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, false, fmt.Errorf("gitstore: store %s: %s: %w", s.dir, host, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, false, fmt.Errorf("gitstore: store %s: %s: %w", s.dir, host, err)
	}
	return b, true, nil
}

// Put stores data as host's configuration: a git object (kept compressed in memory until the
// next Commit writes it in a pack) and the work-tree file, written atomically. It reports
// whether the content differs from what the store held; an unchanged content writes nothing
// (unless the work-tree file went missing). The change is committed by the next Commit.
func (s *Store) Put(host string, data []byte) (Entry, bool, error) {
	return s.put(host, data, blobHash(data))
}

// put is Put with the content's blob id already computed.
func (s *Store) put(host string, data []byte, h plumbing.Hash) (Entry, bool, error) {
	name := FileName(host)
	path := filepath.Join(s.cfgDir, name)
	e := Entry{Host: host, Path: path, SHA: h.String(), Bytes: int64(len(data))}
	s.mu.Lock()
	fe, ok := s.files[name]
	s.mu.Unlock()
	if ok && fe.hash == h {
		if st, err := os.Stat(path); err == nil && st.Size() == int64(len(data)) {
			return e, false, nil
		}
		if err := s.beginWrite(); err != nil {
			return e, false, fmt.Errorf("host %s: %w", host, err)
		}
		defer s.endWrite()
		if err := writeFileNoDirSync(s.cfgDir, name, data); err != nil {
			return e, false, fmt.Errorf("host %s: %w", host, err)
		}
		s.mu.Lock()
		s.dirDirty = true
		s.mu.Unlock()
		return e, false, nil
	}
	obj, err := newPackObject(plumbing.BlobObject, data, h)
	if err != nil {
		return e, false, fmt.Errorf("host %s: %w", host, err)
	}
	if err := s.beginWrite(); err != nil {
		return e, false, fmt.Errorf("host %s: %w", host, err)
	}
	defer s.endWrite()
	s.ioSem <- struct{}{}
	err = writeFileNoDirSync(s.cfgDir, name, data)
	var mtime time.Time
	if st, serr := os.Stat(path); serr == nil {
		mtime = st.ModTime()
	}
	<-s.ioSem
	if err != nil {
		return e, false, fmt.Errorf("host %s: %w", host, err)
	}
	s.mu.Lock()
	s.files[name] = fileEntry{hash: h, size: int64(len(data)), mtime: mtime}
	s.pending[name] = true
	s.dirDirty = true
	s.objects = append(s.objects, obj)
	s.mu.Unlock()
	return e, true, nil
}

// Remove forgets host: its configuration file leaves the work tree and, with the next Commit,
// the repository's current tree (its history stays), and its status is dropped. Use it for
// decommissioned devices, which would otherwise stay in the stale report. It reports whether
// the store knew the host.
func (s *Store) Remove(host string) (bool, error) {
	name := FileName(host)
	if err := s.beginWrite(); err != nil {
		return false, err
	}
	defer s.endWrite()
	s.mu.Lock()
	_, hadFile := s.files[name]
	_, hadStatus := s.status[host]
	if hadFile {
		delete(s.files, name)
		s.pending[name] = true
	}
	if hadStatus {
		delete(s.status, host)
		s.statusDirty = true
	}
	s.mu.Unlock()
	if hadFile {
		if err := os.Remove(filepath.Join(s.cfgDir, name)); err != nil && !os.IsNotExist(err) {
			return true, fmt.Errorf("gitstore: remove %s: %w", host, err)
		}
		if err := syncDir(s.cfgDir); err != nil {
			return true, err
		}
	}
	return hadFile || hadStatus, nil
}

// Commit commits the device files written (or removed) since the last commit in one commit
// with message, then saves the status file (outside the tree, see StatusFile). When no device
// file changed it makes no commit (CommitInfo.Hash is empty) but still saves the status file
// if a status changed. Commit may run while workers Put: a write that finishes after Commit
// took its snapshot goes into the next commit. An error with a CommitInfo that Committed says
// the commit was made but the status file could not be saved (it is tried again next time).
func (s *Store) Commit(message string) (CommitInfo, error) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()

	s.mu.Lock()
	syncCfg := s.dirDirty
	s.dirDirty = false
	if len(s.pending) == 0 {
		var statusJSON []byte
		var err error
		if s.statusDirty {
			statusJSON, err = s.encodeStatusLocked()
			s.statusDirty = false
		}
		s.mu.Unlock()
		if syncCfg {
			// Work-tree files rewritten unchanged: make their renames durable too.
			if serr := s.syncConfigsDir(); serr != nil && err == nil {
				err = serr
			}
		}
		if err == nil && statusJSON != nil {
			if err = s.writeStatus(statusJSON); err != nil {
				s.markStatusDirty()
			}
		}
		if err == nil {
			s.mu.Lock()
			s.releaseIfIdleLocked()
			s.mu.Unlock()
		}
		return CommitInfo{}, err
	}
	entries := make([]object.TreeEntry, 0, len(s.files))
	idxEntries := make([]*index.Entry, 0, len(s.files)+len(s.indexOther)+1)
	for name, fe := range s.files {
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: fe.hash})
		idxEntries = append(idxEntries, &index.Entry{
			Name: ConfigsDir + "/" + name, Hash: fe.hash, Mode: filemode.Regular,
			Size: uint32(max(fe.size, 0)), ModifiedAt: fe.mtime, CreatedAt: fe.mtime,
		})
	}
	idxEntries = append(idxEntries, s.indexOther...)
	pending, objects := s.pending, s.objects
	s.pending, s.objects = map[string]bool{}, nil
	statusJSON, err := s.encodeStatusLocked()
	s.statusDirty = false
	parent, other := s.head, slices.Clone(s.rootOther)
	s.mu.Unlock()

	if syncCfg && err == nil {
		// The device files' renames are durable before the commit naming their contents is.
		err = s.syncConfigsDir()
	}
	info, err := s.commit(message, entries, idxEntries, objects, statusJSON, parent, other, err)
	if info.Committed() {
		s.mu.Lock()
		s.releaseIfIdleLocked()
		s.mu.Unlock()
	}
	if err != nil && !info.Committed() {
		// Keep the changes for the next attempt.
		s.mu.Lock()
		for n := range pending {
			s.pending[n] = true
		}
		s.objects = append(s.objects, objects...)
		s.statusDirty = true
		s.mu.Unlock()
		return CommitInfo{}, err
	}
	info.Files = len(pending)
	return info, err // err: committed, but the status file could not be written
}

// syncConfigsDir fsyncs the configs directory; on failure it stays to be synced by the next
// Commit.
func (s *Store) syncConfigsDir() error {
	if err := syncDir(s.cfgDir); err != nil {
		s.mu.Lock()
		s.dirDirty = true
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *Store) commit(message string, entries []object.TreeEntry, idxEntries []*index.Entry, objects []packObject,
	statusJSON []byte, parent plumbing.Hash, other []object.TreeEntry, encErr error) (CommitInfo, error) {
	if encErr != nil {
		return CommitInfo{}, encErr
	}
	fail := func(what string, err error) (CommitInfo, error) {
		return CommitInfo{}, fmt.Errorf("gitstore: store %s: commit: %s: %w", s.dir, what, err)
	}
	objects = slices.Clone(objects)
	add := func(o encoder) (plumbing.Hash, error) {
		po, err := encodeObject(o)
		objects = append(objects, po)
		return po.hash, err
	}
	sort.Sort(object.TreeEntrySorter(entries))
	cfgTree, err := add(&object.Tree{Entries: entries})
	if err != nil {
		return fail("configs tree", err)
	}
	root := append(other, object.TreeEntry{Name: ConfigsDir, Mode: filemode.Dir, Hash: cfgTree})
	sort.Sort(object.TreeEntrySorter(root))
	rootHash, err := add(&object.Tree{Entries: root})
	if err != nil {
		return fail("root tree", err)
	}
	sig := object.Signature{Name: s.cfg.AuthorName, Email: s.cfg.AuthorEmail, When: s.cfg.Now()}
	c := &object.Commit{Author: sig, Committer: sig, Message: message, TreeHash: rootHash}
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	commitHash, err := add(c)
	if err != nil {
		return fail("commit object", err)
	}
	// Every object is on disk (the pack is fsynced) before the branch points at them.
	if err := writePack(s.gitDir, objects); err != nil {
		return fail("pack", err)
	}
	// The branch moves last: a crash before this line leaves the last commit as it was (and a
	// pack of unreferenced objects, which git ignores and "git gc" prunes).
	refPath := filepath.Join(s.gitDir, filepath.FromSlash(s.branch.String()))
	if err := os.MkdirAll(filepath.Dir(refPath), 0o755); err != nil {
		return fail("ref", err)
	}
	// The temporary file is made in the git directory: one left in refs/ would look like a ref.
	if err := replaceFile(s.gitDir, refPath, []byte(commitHash.String()+"\n")); err != nil {
		return fail("ref", err)
	}
	if err := syncDir(filepath.Dir(refPath)); err != nil {
		return fail("ref", err)
	}
	s.mu.Lock()
	s.head = commitHash
	s.legacy = false
	s.mu.Unlock()

	// The index lets "git status" in the directory show a clean tree. It is only a cache: a
	// failure to write it does not undo the commit (the next Open rewrites it).
	_ = s.writeIndex(idxEntries)
	// Run state stays out of the tree: the status file of earlier versions leaves the work tree
	// with the first commit that no longer tracks it.
	if err := os.Remove(filepath.Join(s.dir, legacyStatusFile)); err != nil && !os.IsNotExist(err) {
		return CommitInfo{}, fmt.Errorf("gitstore: %s: remove %s: %w", s.dir, legacyStatusFile, err)
	}
	if err := s.writeStatus(statusJSON); err != nil {
		// The commit stands; the status is saved again by the next Commit.
		s.markStatusDirty()
		return CommitInfo{Hash: commitHash.String(), Message: message}, fmt.Errorf("gitstore: %s: commit %s made, but the status file: %w", s.dir, commitHash, err)
	}
	return CommitInfo{Hash: commitHash.String(), Message: message}, nil
}

// writeIndex writes the git index from entries (sorted here).
func (s *Store) writeIndex(entries []*index.Entry) error {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	var buf bytes.Buffer
	if err := index.NewEncoder(&buf).Encode(&index.Index{Version: 2, Entries: entries}); err != nil {
		return err
	}
	return writeFileAtomic(s.gitDir, "index", buf.Bytes())
}

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

// encodeObject encodes a tree or commit for a pack.
func encodeObject(o encoder) (packObject, error) {
	mo := &plumbing.MemoryObject{}
	if err := o.Encode(mo); err != nil {
		return packObject{}, err
	}
	r, _ := mo.Reader()
	b, err := io.ReadAll(r)
	if err != nil {
		return packObject{}, err
	}
	return newPackObject(mo.Type(), b, mo.Hash())
}

// blobHash returns the git blob id of content.
func blobHash(content []byte) plumbing.Hash {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out
}

// BlobID returns the git blob id (as "git hash-object" prints it) of content.
func BlobID(content []byte) string {
	h := blobHash(content)
	return hex.EncodeToString(h[:])
}

// FileName returns the file name of host's configuration under configs/: the host name with
// every byte outside [A-Za-z0-9._@+=,-] (and a leading '.') escaped as %XX, so that any host
// name makes one safe, distinct file name.
func FileName(host string) string {
	var b strings.Builder
	for i := 0; i < len(host); i++ {
		c := host[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("._@+=,-", c) >= 0
		if c == '.' && i == 0 {
			ok = false
		}
		if ok {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() == 0 {
		return "%"
	}
	return b.String()
}

// hostName reverses FileName.
func hostName(file string) string {
	if file == "%" {
		return ""
	}
	if !strings.Contains(file, "%") {
		return file
	}
	var b strings.Builder
	for i := 0; i < len(file); i++ {
		if file[i] == '%' && i+2 < len(file) {
			if v, err := strconv.ParseUint(file[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(file[i])
	}
	return b.String()
}
