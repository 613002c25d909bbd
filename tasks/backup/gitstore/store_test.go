package gitstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gonorn/norn/tasks/backup/internal/gittest"
)

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(Config{Dir: dir, Now: func() time.Time { return time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func gitCLI(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	return gittest.Git(t, dir, args...)
}

func committedFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	return gittest.CommittedFiles(t, dir)
}

func TestStoreCommitCycle(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if s.Head() != "" {
		t.Fatalf("new repository has head %s", s.Head())
	}
	for _, h := range []string{"r1", "r2"} {
		_, changed, err := s.Put(h, []byte("hostname "+h+"\nend\n"))
		if err != nil || !changed {
			t.Fatalf("Put %s: changed=%v err=%v", h, changed, err)
		}
	}
	if s.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", s.Pending())
	}
	s.SetStatus(HostStatus{Host: "r1", ConsecutiveFailures: 0})
	c1, err := s.Commit("first run")
	if err != nil || !c1.Committed() || c1.Files != 2 {
		t.Fatalf("Commit: %+v %v", c1, err)
	}
	files := committedFiles(t, dir)
	if files["configs/r1"] != "hostname r1\nend\n" || files["configs/r2"] != "hostname r2\nend\n" {
		t.Fatalf("committed files: %v", files)
	}
	if _, ok := files["status.json"]; ok || len(files) != 2 {
		t.Fatalf("run state committed: %v", files)
	}
	if sts, err := ReadStatus(dir); err != nil || len(sts) != 1 || sts[0].Host != "r1" {
		t.Fatalf("ReadStatus: %+v %v", sts, err)
	}

	// Same content: nothing written, no commit.
	_, changed, err := s.Put("r1", []byte("hostname r1\nend\n"))
	if err != nil || changed {
		t.Fatalf("unchanged Put: changed=%v err=%v", changed, err)
	}
	c2, err := s.Commit("second run")
	if err != nil || c2.Committed() || s.Head() != c1.Hash {
		t.Fatalf("no-change Commit: %+v %v head=%s", c2, err, s.Head())
	}

	// A change: a new commit on top of the first.
	if _, changed, err = s.Put("r2", []byte("hostname r2\ninterface Gi1\nend\n")); err != nil || !changed {
		t.Fatalf("changed Put: %v %v", changed, err)
	}
	c3, err := s.Commit("third run")
	if err != nil || !c3.Committed() || c3.Files != 1 {
		t.Fatalf("Commit: %+v %v", c3, err)
	}
	repo, _ := git.PlainOpen(dir)
	cm, err := repo.CommitObject(plumbingHash(c3.Hash))
	if err != nil || len(cm.ParentHashes) != 1 || cm.ParentHashes[0].String() != c1.Hash || cm.Message != "third run" {
		t.Fatalf("commit %s: %+v %v", c3.Hash, cm, err)
	}
	if out, ok := gitCLI(t, dir, "status", "--porcelain"); ok && out != "" {
		t.Errorf("git status not clean after commit:\n%s", out)
	}
	if out, ok := gitCLI(t, dir, "count-objects", "-v"); ok && !strings.Contains(out, "count: 0\n") {
		t.Errorf("loose objects written:\n%s", out)
	}
	// The work-tree copy is damaged: Get reads the object, from the pack written since Open
	// (committed) or from memory (not committed yet).
	os.WriteFile(s.Path("r2"), []byte("garbage\n"), 0o644)
	if b, ok, err := s.Get("r2"); err != nil || !ok || string(b) != "hostname r2\ninterface Gi1\nend\n" {
		t.Fatalf("Get committed r2 with a damaged file: %q %v %v", b, ok, err)
	}
	s.Put("r3", []byte("hostname r3\nend\n"))
	os.WriteFile(s.Path("r3"), []byte("garbage\n"), 0o644)
	if b, ok, err := s.Get("r3"); err != nil || !ok || string(b) != "hostname r3\nend\n" {
		t.Fatalf("Get pending r3 with a damaged file: %q %v %v", b, ok, err)
	}
	if out, ok := gitCLI(t, dir, "log", "--format=%s"); ok && out != "third run\nfirst run\n" {
		t.Errorf("git log: %q", out)
	}
	gitCLI(t, dir, "fsck", "--strict")
}

func TestStoreReopen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	s.Put("r1", []byte("one\nend\n"))
	s.SetStatus(HostStatus{Host: "r1", LastSuccess: time.Date(2024, 11, 20, 0, 0, 0, 0, time.UTC), SHA: "x"})
	if _, err := s.Commit("run"); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, dir)
	if s2.Head() != s.Head() {
		t.Fatalf("head after reopen %s, want %s", s2.Head(), s.Head())
	}
	e, ok := s2.Stat("r1")
	if !ok || e.Bytes != int64(len("one\nend\n")) || e.SHA != BlobID([]byte("one\nend\n")) {
		t.Fatalf("Stat after reopen: %+v %v", e, ok)
	}
	st, ok := s2.Status("r1")
	if !ok || !st.LastSuccess.Equal(time.Date(2024, 11, 20, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("status after reopen: %+v %v", st, ok)
	}
	// The work-tree copy changed behind the store's back: Get still returns the stored one.
	os.WriteFile(s2.Path("r1"), []byte("tampered\n"), 0o644)
	b, ok, err := s2.Get("r1")
	if err != nil || !ok || string(b) != "one\nend\n" {
		t.Fatalf("Get: %q %v %v", b, ok, err)
	}
	// Without the index the size comes from the object.
	os.Remove(filepath.Join(dir, ".git", "index"))
	s3 := openStore(t, dir)
	if e, _ := s3.Stat("r1"); e.Bytes != int64(len("one\nend\n")) {
		t.Fatalf("Stat without index: %+v", e)
	}
}

func TestStoreRemovesLeftoverTemps(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	s.Put("r1", []byte("one\n"))
	s.Commit("run")
	leftovers := []string{
		filepath.Join(dir, ConfigsDir, tempPrefix+"123"),
		filepath.Join(dir, tempPrefix+"456"),
		filepath.Join(dir, ".git", "objects", "pack", tempPrefix+"789"),
	}
	for _, p := range leftovers {
		if err := os.WriteFile(p, []byte("half a config"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	openStore(t, dir)
	for _, p := range leftovers {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived Open", p)
		}
	}
}

// TestWriteFileAtomicFailure: a write that cannot complete leaves the old file and no
// temporary file behind.
func TestWriteFileAtomicFailure(t *testing.T) {
	dir := t.TempDir()
	if err := writeFileAtomic(dir, "f", []byte("old\n")); err != nil {
		t.Fatal(err)
	}
	// The rename fails: the target is a non-empty directory.
	if err := os.MkdirAll(filepath.Join(dir, "d", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(dir, "d", []byte("new\n")); err == nil {
		t.Fatal("rename over a directory succeeded")
	} else if !strings.Contains(err.Error(), dir) {
		t.Errorf("error does not name the file: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "old\n" {
		t.Errorf("old file changed: %q", b)
	}
}

// TestStoreConcurrent: many writers and interleaved commits; every write ends up committed.
func TestStoreConcurrent(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	const hosts = 200
	var wg sync.WaitGroup
	errs := make(chan error, hosts+10)
	for i := 0; i < hosts; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := fmt.Sprintf("sw%03d", i)
			if _, _, err := s.Put(h, []byte(fmt.Sprintf("hostname %s\nend\n", h))); err != nil {
				errs <- err
			}
			s.SetStatus(HostStatus{Host: h, ConsecutiveFailures: i % 2})
			if i%50 == 0 {
				if _, err := s.Commit(fmt.Sprintf("part %d", i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := s.Commit("final"); err != nil {
		t.Fatal(err)
	}
	files := committedFiles(t, dir)
	for i := 0; i < hosts; i++ {
		h := fmt.Sprintf("sw%03d", i)
		if files["configs/"+h] != fmt.Sprintf("hostname %s\nend\n", h) {
			t.Fatalf("%s missing or wrong in HEAD", h)
		}
	}
	if got := len(s.Failing()); got != hosts/2 {
		t.Fatalf("Failing = %d, want %d", got, hosts/2)
	}
	gitCLI(t, dir, "fsck", "--strict")
}

// TestStoreKeepsForeignFiles: files committed by someone else at the root stay.
func TestStoreKeepsForeignFiles(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	s.Put("r1", []byte("one\n"))
	s.Commit("run 1")
	if _, ok := gitCLI(t, dir, "status"); !ok {
		t.Skip("git not installed")
	}
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("our backups\n"), 0o644)
	gitCLI(t, dir, "add", "README.md")
	gitCLI(t, dir, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "-m", "readme")
	s = openStore(t, dir)
	s.Put("r1", []byte("two\n"))
	if _, err := s.Commit("run 2"); err != nil {
		t.Fatal(err)
	}
	files := committedFiles(t, dir)
	if files["README.md"] != "our backups\n" || files["configs/r1"] != "two\n" {
		t.Fatalf("files: %v", files)
	}
	if out, _ := gitCLI(t, dir, "status", "--porcelain"); out != "" {
		t.Errorf("git status not clean:\n%s", out)
	}
}

func TestFileName(t *testing.T) {
	for _, h := range []string{"r1", "core-01.dc1.example.net", "a/b", "../x", ".hidden", "sp ace", "100%", "ümlaut", "a%2Fb", ""} {
		f := FileName(h)
		if strings.ContainsAny(f, "/\\ ") || strings.HasPrefix(f, ".") || f == "" {
			t.Errorf("FileName(%q) = %q is unsafe", h, f)
		}
		if back := hostName(f); back != h {
			t.Errorf("hostName(FileName(%q)) = %q", h, back)
		}
	}
	if FileName("a/b") == FileName("a_b") || FileName("a%2Fb") == FileName("a/b") {
		t.Errorf("distinct hosts share a file")
	}
}

func plumbingHash(s string) plumbing.Hash { return plumbing.NewHash(s) }

func TestStoreRemove(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	s.Put("old-rtr", []byte("hostname old-rtr\n"))
	s.Put("r1", []byte("hostname r1\n"))
	s.SetStatus(HostStatus{Host: "old-rtr"})
	c1, _ := s.Commit("run")
	if ok, err := s.Remove("old-rtr"); !ok || err != nil {
		t.Fatalf("Remove: %v %v", ok, err)
	}
	if ok, _ := s.Remove("never-seen"); ok {
		t.Errorf("Remove of an unknown host reported true")
	}
	c2, err := s.Commit("decommission old-rtr")
	if err != nil || !c2.Committed() || c2.Hash == c1.Hash {
		t.Fatalf("commit after Remove: %+v %v", c2, err)
	}
	files := committedFiles(t, dir)
	if _, ok := files["configs/old-rtr"]; ok || files["configs/r1"] == "" {
		t.Errorf("files after Remove: %v", files)
	}
	if _, err := os.Stat(s.Path("old-rtr")); !os.IsNotExist(err) {
		t.Errorf("work-tree file kept")
	}
	s2 := openStore(t, dir)
	if _, ok := s2.Status("old-rtr"); ok || len(s2.Hosts()) != 1 {
		t.Errorf("after reopen: hosts %v", s2.Hosts())
	}
	if out, ok := gitCLI(t, dir, "status", "--porcelain"); ok && out != "" {
		t.Errorf("git status not clean:\n%s", out)
	}
}

// TestStoreStatusOutsideTree: a run where nothing changed saves the status and leaves "git
// status" clean; the status is read back by ReadStatus and by a reopened store.
func TestStoreStatusOutsideTree(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadStatus(dir); err == nil {
		t.Fatalf("ReadStatus of a directory without a repository: no error")
	}
	s := openStore(t, dir)
	if sts, err := ReadStatus(dir); err != nil || len(sts) != 0 {
		t.Fatalf("ReadStatus of a new store: %v %v", sts, err)
	}
	s.Put("r1", []byte("one\nend\n"))
	c1, err := s.Commit("run 1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s.Put("r1", []byte("one\nend\n"))
		s.SetStatus(HostStatus{Host: "r1", ConsecutiveFailures: i, Lines: 2, LastDuration: time.Second})
		c, err := s.Commit("unchanged")
		if err != nil || c.Committed() {
			t.Fatalf("unchanged run %d: %+v %v", i, c, err)
		}
		if out, ok := gitCLI(t, dir, "status", "--porcelain", "--ignored"); ok && out != "" {
			t.Fatalf("git status after an unchanged run:\n%s", out)
		}
	}
	sts, err := ReadStatus(dir)
	if err != nil || len(sts) != 1 || sts[0].ConsecutiveFailures != 2 || sts[0].Lines != 2 || sts[0].LastDuration != time.Second {
		t.Fatalf("ReadStatus: %+v %v", sts, err)
	}
	if s2 := openStore(t, dir); s2.Head() != c1.Hash || len(s2.Failing()) != 1 {
		t.Fatalf("reopened: head %s failing %v", s2.Head(), s2.Failing())
	}
}

// TestStoreLegacyStatus: a repository whose status.json was committed by an earlier version
// keeps its status; the next commit takes status.json out of the tree and the work tree.
func TestStoreLegacyStatus(t *testing.T) {
	dir := t.TempDir()
	if _, ok := gitCLI(t, dir, "init", "-q"); !ok {
		t.Skip("git not installed")
	}
	os.MkdirAll(filepath.Join(dir, ConfigsDir), 0o755)
	os.WriteFile(filepath.Join(dir, ConfigsDir, "r1"), []byte("one\nend\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "status.json"), []byte(`{"version":1,"hosts":{"r1":{"consecutive_failures":4}}}`+"\n"), 0o644)
	gitCLI(t, dir, "add", ".")
	gitCLI(t, dir, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "-m", "old")

	s := openStore(t, dir)
	if st, ok := s.Status("r1"); !ok || st.ConsecutiveFailures != 4 {
		t.Fatalf("legacy status: %+v %v", st, ok)
	}
	if out, _ := gitCLI(t, dir, "status", "--porcelain"); out != "" {
		t.Fatalf("git status after Open:\n%s", out)
	}
	if sts, err := ReadStatus(dir); err != nil || len(sts) != 1 || sts[0].ConsecutiveFailures != 4 {
		t.Fatalf("ReadStatus: %+v %v", sts, err)
	}
	s.Put("r1", []byte("two\nend\n"))
	if _, err := s.Commit("new"); err != nil {
		t.Fatal(err)
	}
	files := committedFiles(t, dir)
	if _, ok := files["status.json"]; ok {
		t.Errorf("status.json still committed")
	}
	if out, _ := gitCLI(t, dir, "status", "--porcelain", "--ignored"); out != "" {
		t.Fatalf("git status after the first commit:\n%s", out)
	}
	if st, ok := openStore(t, dir).Status("r1"); !ok || st.ConsecutiveFailures != 4 {
		t.Fatalf("status after the move: %+v %v", st, ok)
	}
}

// TestStoreRepairsCrash: what a run killed between its writes and its commit leaves is
// repaired by Open: uncommitted device files are put back to the last commit (or removed),
// a pack index without its pack and temporary files are removed, and the index is rewritten.
func TestStoreRepairsCrash(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	s.Put("r1", []byte("one\nend\n"))
	s.Put("r2", []byte("two\nend\n"))
	c1, err := s.Commit("run 1")
	if err != nil {
		t.Fatal(err)
	}
	// The crashed run: r1 rewritten, r3 new, r2's file lost; never committed.
	s.Put("r1", []byte("one changed\nend\n"))
	s.Put("r3", []byte("three\nend\n"))
	os.Remove(s.Path("r2"))
	s.mu.Lock()
	s.releaseLocked() // the process dies: the kernel drops its lock
	s.mu.Unlock()
	pack := filepath.Join(dir, ".git", "objects", "pack", "pack-0123456789012345678901234567890123456789.idx")
	os.WriteFile(pack, []byte("\xfftOc"), 0o644)
	os.WriteFile(filepath.Join(dir, ".git", tempPrefix+"ref"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, ".git", "index"), []byte("garbage"), 0o644)

	s2 := openStore(t, dir)
	if s2.Head() != c1.Hash || strings.Join(s2.Hosts(), ",") != "r1,r2" {
		t.Fatalf("after repair: head %s hosts %v", s2.Head(), s2.Hosts())
	}
	for h, want := range map[string]string{"r1": "one\nend\n", "r2": "two\nend\n"} {
		if b, err := os.ReadFile(s2.Path(h)); err != nil || string(b) != want {
			t.Errorf("%s after repair: %q %v", h, b, err)
		}
	}
	for _, p := range []string{s2.Path("r3"), pack, filepath.Join(dir, ".git", tempPrefix+"ref")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived Open", p)
		}
	}
	if out, ok := gitCLI(t, dir, "status", "--porcelain", "--ignored"); ok && out != "" {
		t.Errorf("git status after repair:\n%s", out)
	}
	gitCLI(t, dir, "fsck", "--strict", "--no-dangling")
	// An intact repository is left alone (the index is not rewritten).
	idx := filepath.Join(dir, ".git", "index")
	before, _ := os.Stat(idx)
	openStore(t, dir)
	if after, _ := os.Stat(idx); !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("Open rewrote the index of an intact repository")
	}
}

// TestStoreBusy: while one store has uncommitted writes, a second one opened on the same
// repository (another process) repairs nothing and refuses to write; once the first commits,
// the repository is free again.
func TestStoreBusy(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	s.Put("r1", []byte("one\nend\n"))
	s2 := openStore(t, dir)
	if !s2.Busy() {
		t.Fatal("a store opened during another's run is not busy")
	}
	if b, err := os.ReadFile(s.Path("r1")); err != nil || string(b) != "one\nend\n" {
		t.Fatalf("the other store's uncommitted file was touched: %q %v", b, err)
	}
	_, _, err := s2.Put("r2", []byte("two\nend\n"))
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(err.Error(), "r2") {
		t.Fatalf("Put on a busy store: %v", err)
	}
	if _, err := s.Commit("run"); err != nil {
		t.Fatal(err)
	}
	s3 := openStore(t, dir)
	if s3.Busy() {
		t.Fatal("busy after the other store committed")
	}
	if _, _, err := s3.Put("r2", []byte("two\nend\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Commit("run 2"); err != nil {
		t.Fatal(err)
	}
	if hosts := openStore(t, dir).Hosts(); len(hosts) != 2 {
		t.Errorf("hosts: %v", hosts)
	}
}
