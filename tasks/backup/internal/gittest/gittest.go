// Package gittest holds the test helpers of the backup packages that look at a backup
// repository from outside the store: through the git command when it is installed, and
// through go-git otherwise.
package gittest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Installed reports whether the git command is on PATH.
func Installed() bool {
	_, err := exec.LookPath("git")
	return err == nil
}

// Git runs the git command in dir, without the user's or the system's configuration, and
// returns its combined output; ok is false (and nothing runs) when git is not installed. A
// failing command fails the test.
func Git(t testing.TB, dir string, args ...string) (out string, ok bool) {
	t.Helper()
	if !Installed() {
		return "", false
	}
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return string(b), true
}

// CommittedFiles reads every file of HEAD's tree in dir with go-git (not through the store),
// by path. Reading each blob checks that the objects are there and whole.
func CommittedFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	repo, head := open(t, dir)
	c, err := repo.CommitObject(head)
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

// Fsck checks the repository in dir: "git fsck --strict --no-dangling" when git is
// installed (unreferenced objects are not an error: a crash before a commit leaves some),
// else a go-git walk reading every commit, tree and blob reachable from HEAD.
func Fsck(t testing.TB, dir string) {
	t.Helper()
	if _, ok := Git(t, dir, "fsck", "--strict", "--no-dangling", "--no-progress"); ok {
		return
	}
	repo, head := open(t, dir)
	iter, err := repo.Log(&git.LogOptions{From: head})
	if err != nil {
		t.Fatal(err)
	}
	err = iter.ForEach(func(c *object.Commit) error {
		tree, err := c.Tree()
		if err != nil {
			return err
		}
		return tree.Files().ForEach(func(f *object.File) error {
			_, err := f.Contents()
			return err
		})
	})
	if err != nil {
		t.Fatalf("fsck (go-git): %v", err)
	}
}

// HasCommit reports whether dir holds a git repository whose HEAD names a commit.
func HasCommit(t testing.TB, dir string) bool {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return false
	}
	_, err = repo.Head()
	return err == nil
}

// open opens the repository in dir and resolves HEAD.
func open(t testing.TB, dir string) (*git.Repository, plumbing.Hash) {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	return repo, ref.Hash()
}
