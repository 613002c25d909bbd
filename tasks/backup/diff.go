package backup

import (
	"fmt"
	"strings"
)

// DiffOptions bound Diff's work and output.
type DiffOptions struct {
	// Context is the number of unchanged lines around each change. Default 3.
	Context int
	// MaxBytes caps the diff text; a longer diff is cut at a line boundary and ends with a
	// "... diff truncated" line. Default 32 KiB; negative means no cap.
	MaxBytes int
	// MaxEdits bounds the Myers search (and its memory, which grows with its square). When the
	// two texts differ by more edits than this, the changed region is shown as one block of
	// removed then added lines: still a correct diff, only not the shortest. Default 1000.
	MaxEdits int
}

func (o DiffOptions) withDefaults() DiffOptions {
	if o.Context <= 0 {
		o.Context = 3
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = 32 << 10
	}
	if o.MaxEdits <= 0 {
		o.MaxEdits = 1000
	}
	return o
}

// DiffResult is a unified diff and its line counts.
type DiffResult struct {
	// Text is the unified diff ("--- a\n+++ b\n@@ ... @@\n..."), empty when the texts are equal.
	Text string
	// Added and Removed count the added and removed lines (of the whole diff, even when Text
	// was truncated).
	Added, Removed int
	// Truncated reports that Text was cut at MaxBytes.
	Truncated bool
}

// Diff returns the unified diff from oldText to newText, naming them oldName and newName in
// the header, as "diff -u" prints it. It is line based, runs in O((N+M)·D) time after
// skipping the common head and tail, and is bounded by opts for megabyte configurations.
func Diff(oldName, newName, oldText, newText string, opts DiffOptions) DiffResult {
	if oldText == newText {
		return DiffResult{}
	}
	opts = opts.withDefaults()
	a, b := splitLines(oldText), splitLines(newText)

	// Common head and tail.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]

	// Intern the middle lines so that comparisons are integer compares.
	ids := make(map[string]int32, len(am)+len(bm))
	intern := func(ls []string) []int32 {
		out := make([]int32, len(ls))
		for i, l := range ls {
			id, ok := ids[l]
			if !ok {
				id = int32(len(ids))
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	ops, ok := myers(intern(am), intern(bm), opts.MaxEdits)
	if !ok {
		ops = ops[:0]
		for range am {
			ops = append(ops, opDelete)
		}
		for range bm {
			ops = append(ops, opInsert)
		}
	}

	// Change blocks in whole-file coordinates.
	var blocks []block
	x, y := pre, pre
	for i := 0; i < len(ops); {
		if ops[i] == opEqual {
			x, y = x+1, y+1
			i++
			continue
		}
		bl := block{oldStart: x, newStart: y}
		for i < len(ops) && ops[i] != opEqual {
			if ops[i] == opDelete {
				x++
			} else {
				y++
			}
			i++
		}
		bl.oldEnd, bl.newEnd = x, y
		blocks = append(blocks, bl)
	}
	res := DiffResult{}
	for _, bl := range blocks {
		res.Removed += bl.oldEnd - bl.oldStart
		res.Added += bl.newEnd - bl.newStart
	}
	var w strings.Builder
	fmt.Fprintf(&w, "--- %s\n+++ %s\n", oldName, newName)
	if len(blocks) == 0 { // the texts differ only in the final newline
		w.WriteString("\\ No newline at end of file\n")
		res.Text = w.String()
		return res
	}
	c := opts.Context
	full := func() bool { return opts.MaxBytes > 0 && w.Len() >= opts.MaxBytes }
	line := func(prefix byte, s string) {
		if full() {
			return
		}
		w.WriteByte(prefix)
		w.WriteString(s)
		w.WriteByte('\n')
	}
	for i := 0; i < len(blocks) && !full(); {
		// Group the blocks whose gaps are at most 2*context.
		j := i
		for j+1 < len(blocks) && blocks[j+1].oldStart-blocks[j].oldEnd <= 2*c {
			j++
		}
		oFrom, nFrom := max(blocks[i].oldStart-c, 0), max(blocks[i].newStart-c, 0)
		oTo, nTo := min(blocks[j].oldEnd+c, len(a)), min(blocks[j].newEnd+c, len(b))
		fmt.Fprintf(&w, "@@ -%s +%s @@\n", hunkRange(oFrom, oTo-oFrom), hunkRange(nFrom, nTo-nFrom))
		pos := oFrom
		for _, bl := range blocks[i : j+1] {
			for ; pos < bl.oldStart; pos++ {
				line(' ', a[pos])
			}
			for k := bl.oldStart; k < bl.oldEnd; k++ {
				line('-', a[k])
			}
			for k := bl.newStart; k < bl.newEnd; k++ {
				line('+', b[k])
			}
			pos = bl.oldEnd
		}
		for ; pos < oTo; pos++ {
			line(' ', a[pos])
		}
		i = j + 1
	}
	res.Text = w.String()
	if full() {
		cut := strings.LastIndexByte(res.Text[:min(len(res.Text), opts.MaxBytes)], '\n')
		res.Text = res.Text[:cut+1] + fmt.Sprintf("... diff truncated at %d bytes (+%d -%d lines in all)\n", opts.MaxBytes, res.Added, res.Removed)
		res.Truncated = true
	}
	return res
}

type block struct{ oldStart, oldEnd, newStart, newEnd int }

func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

type op uint8

const (
	opEqual op = iota
	opDelete
	opInsert
)

// myers returns the shortest edit script from a to b (Myers 1986, greedy forward search with
// a saved trace for the backtrack), or false when it needs more than maxD edits.
func myers(a, b []int32, maxD int) ([]op, bool) {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil, true
	}
	maxD = min(maxD, n+m)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	trace := make([][]int, 0, 16)
	for d := 0; d <= maxD; d++ {
		snap := make([]int, 2*d+1)
		copy(snap, v[off-d:off+d+1])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, n, m), true
			}
		}
	}
	return nil, false
}

func backtrack(trace [][]int, n, m int) []op {
	ops := make([]op, 0, n+m)
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		v := trace[d] // V after step d-1, indexed k+d
		k := x - y
		var pk int
		if k == -d || (k != d && v[k-1+d] < v[k+1+d]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := v[pk+d]
		py := px - pk
		for x > px && y > py {
			ops = append(ops, opEqual)
			x, y = x-1, y-1
		}
		if x == px {
			ops = append(ops, opInsert)
		} else {
			ops = append(ops, opDelete)
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		ops = append(ops, opEqual)
		x, y = x-1, y-1
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	return ops
}
