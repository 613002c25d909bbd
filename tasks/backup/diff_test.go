package backup

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// applyUnified applies a unified diff made by Diff to old and returns the result.
func applyUnified(t *testing.T, old, diff string) string {
	t.Helper()
	a := splitLines(old)
	var out []string
	pos := 0
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("bad header in %q", diff)
	}
	for _, l := range lines[2:] {
		switch {
		case strings.HasPrefix(l, "@@ "):
			var o string
			fmt.Sscanf(l, "@@ -%s", &o)
			startS, _, _ := strings.Cut(o, ",")
			start, err := strconv.Atoi(startS)
			if err != nil {
				t.Fatalf("bad hunk header %q", l)
			}
			if strings.Contains(o, ",0") {
				start++ // a zero-length range names the line before
			}
			for pos < start-1 {
				out = append(out, a[pos])
				pos++
			}
		case strings.HasPrefix(l, " "):
			if a[pos] != l[1:] {
				t.Fatalf("context mismatch at old line %d: %q vs %q", pos+1, a[pos], l[1:])
			}
			out = append(out, a[pos])
			pos++
		case strings.HasPrefix(l, "-"):
			if a[pos] != l[1:] {
				t.Fatalf("removed line mismatch at old line %d: %q vs %q", pos+1, a[pos], l[1:])
			}
			pos++
		case strings.HasPrefix(l, "+"):
			out = append(out, l[1:])
		default:
			t.Fatalf("unexpected diff line %q", l)
		}
	}
	out = append(out, a[pos:]...)
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

func randomConfig(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "line %d\n", r.IntN(n/2+1))
	}
	return b.String()
}

func mutate(r *rand.Rand, s string) string {
	ls := splitLines(s)
	for i := r.IntN(6); i >= 0; i-- {
		switch r.IntN(3) {
		case 0:
			if len(ls) > 0 {
				j := r.IntN(len(ls))
				ls = append(ls[:j], ls[j+1:]...)
			}
		case 1:
			j := r.IntN(len(ls) + 1)
			ls = append(ls[:j], append([]string{fmt.Sprintf("new %d", r.IntN(100))}, ls[j:]...)...)
		case 2:
			if len(ls) > 0 {
				ls[r.IntN(len(ls))] = fmt.Sprintf("changed %d", r.IntN(100))
			}
		}
	}
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

// TestDiffApplies checks on random edits that the diff turns the old text into the new one,
// that its counts match, and that it is as short as GNU diff's when diff is installed.
func TestDiffApplies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gnu, _ := exec.LookPath("diff")
	for i := 0; i < 300; i++ {
		old := randomConfig(r, 1+r.IntN(60))
		nw := mutate(r, old)
		d := Diff("a", "b", old, nw, DiffOptions{Context: 1 + r.IntN(4), MaxBytes: -1})
		if old == nw {
			if d.Text != "" {
				t.Fatalf("equal texts gave a diff")
			}
			continue
		}
		if got := applyUnified(t, old, d.Text); got != nw {
			t.Fatalf("case %d: patch does not apply:\nold:\n%s\nnew:\n%s\ndiff:\n%s\ngot:\n%s", i, old, nw, d.Text, got)
		}
		plus, minus := 0, 0
		for _, l := range strings.Split(d.Text, "\n")[2:] {
			if strings.HasPrefix(l, "+") {
				plus++
			} else if strings.HasPrefix(l, "-") {
				minus++
			}
		}
		if plus != d.Added || minus != d.Removed {
			t.Fatalf("counts +%d -%d, text has +%d -%d", d.Added, d.Removed, plus, minus)
		}
		if gnu != "" && i < 60 {
			if edits := gnuEdits(t, gnu, old, nw); edits != d.Added+d.Removed {
				t.Errorf("case %d: %d edits, GNU diff needs %d", i, d.Added+d.Removed, edits)
			}
		}
	}
}

func gnuEdits(t *testing.T, gnu, a, b string) int {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/a", []byte(a), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/b", []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(gnu, "-u", dir+"/a", dir+"/b").Output()
	n := 0
	for _, l := range strings.Split(string(out), "\n")[2:] {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") {
			n++
		}
	}
	return n
}

func TestDiffFormat(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	nw := "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\n"
	got := Diff("a/r1", "b/r1", old, nw, DiffOptions{}).Text
	want := `--- a/r1
+++ b/r1
@@ -2,9 +2,10 @@
 b
 c
 d
-e
+E
 f
 g
 h
 i
 j
+k
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if d := Diff("a", "b", "", "x\ny\n", DiffOptions{}); d.Text != "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n" || d.Added != 2 {
		t.Errorf("from empty: %+v", d)
	}
	if d := Diff("a", "b", "x\n", "x", DiffOptions{}); !strings.Contains(d.Text, "No newline") {
		t.Errorf("newline-only change: %+v", d)
	}
}

// TestDiffBounds checks the caps: a huge rewrite falls back to one block and the text is cut.
func TestDiffBounds(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&a, "old line %d\n", i)
		fmt.Fprintf(&b, "new line %d\n", i)
	}
	d := Diff("a", "b", a.String(), b.String(), DiffOptions{MaxEdits: 100, MaxBytes: 4096})
	if !d.Truncated || len(d.Text) > 4096+200 || d.Added != 20000 || d.Removed != 20000 {
		t.Fatalf("truncated=%v len=%d +%d -%d", d.Truncated, len(d.Text), d.Added, d.Removed)
	}
	if !strings.HasSuffix(d.Text, "(+20000 -20000 lines in all)\n") {
		t.Errorf("no truncation note: %q", d.Text[len(d.Text)-100:])
	}
	full := Diff("a", "b", a.String(), b.String(), DiffOptions{MaxEdits: 100, MaxBytes: -1})
	if got := applyUnified(t, a.String(), full.Text); got != b.String() {
		t.Fatalf("fallback diff does not apply")
	}
}
