package backup

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := OpenStore(StoreConfig{Dir: dir, Now: func() time.Time { return time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gitCLI runs the git command in dir when git is installed, else skips the check.
func gitCLI(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		return "", false
	}
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), true
}

// committedFiles reads HEAD's configs/ tree with go-git (not through the store).
func committedFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	err = tree.Files().ForEach(func(f *object.File) error {
		s, err := f.Contents()
		out[f.Name] = s
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
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
	if !strings.Contains(files[StatusFile], `"r1"`) {
		t.Fatalf("status file not committed: %q", files[StatusFile])
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
	// Without the work-tree status file, the committed one is used.
	os.Remove(filepath.Join(dir, StatusFile))
	s4 := openStore(t, dir)
	if _, ok := s4.Status("r1"); !ok {
		t.Fatalf("status lost without the work-tree file")
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
