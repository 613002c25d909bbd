package redact

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// MaxLine is the longest line a Writer holds back waiting for its end. A longer run of bytes
// without a newline is redacted and written up to its last blank (or whole, when it has
// none), so a secret is only missed in such a run when it is cut there.
const MaxLine = 64 << 10

// Writer redacts a stream line by line with its Redactor before writing it on: complete lines
// are redacted and written as they arrive, a partial line waits for its end (a carry-over
// buffer), so a secret split across two writes is still caught. Whatever follows a password
// prompt on a line ("Password: x") is masked too. Close (or Flush) writes the last partial
// line; writes after Close are discarded. A Writer is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	r       *Redactor
	w       io.Writer
	st      lineState
	pending []byte
	out     []byte
	err     error
	closed  bool
}

// NewWriter returns a Writer redacting with r (nil: rules and forms only) into w.
func NewWriter(w io.Writer, r *Redactor) *Writer {
	return &Writer{r: r, w: w}
}

// Write buffers p and writes the complete lines it ends, redacted. It reports len(p) unless
// an earlier write to the underlying writer failed: then it returns that error, and keeps it.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return len(p), nil // a producer still draining after Close does not fail
	}
	if w.err != nil {
		return 0, w.err
	}
	w.pending = append(w.pending, p...)
	i := bytes.LastIndexByte(w.pending, '\n')
	switch {
	case i >= 0:
		w.emit(w.pending[:i+1])
		w.pending = append(w.pending[:0], w.pending[i+1:]...)
	case len(w.pending) > MaxLine:
		cut := bytes.LastIndexAny(w.pending, " \t")
		if cut < 0 {
			cut = len(w.pending) - 1
		}
		w.emit(w.pending[:cut+1])
		w.pending = append(w.pending[:0], w.pending[cut+1:]...)
	}
	if w.err != nil {
		return len(p), w.err
	}
	return len(p), nil
}

// emit redacts b (complete lines, the last possibly without its newline) and writes it.
func (w *Writer) emit(b []byte) {
	w.out = w.out[:0]
	text := string(b) // one copy; lines are sliced from it
	for len(text) > 0 {
		line := text
		nl := strings.IndexByte(text, '\n')
		if nl >= 0 {
			line, text = text[:nl], text[nl+1:]
		} else {
			text = ""
		}
		w.out = append(w.out, w.r.line(line, &w.st, true)...)
		if nl >= 0 {
			w.out = append(w.out, '\n')
		}
	}
	if _, err := w.w.Write(w.out); err != nil && w.err == nil {
		w.err = err
	}
	if cap(w.out) > 4*MaxLine {
		w.out = nil
	}
}

// Flush writes the partial line held back, redacted. Call it only where the stream ends or
// pauses for good (a secret cut by a Flush is not recognised).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if len(w.pending) > 0 && !w.closed {
		w.emit(w.pending)
		w.pending = w.pending[:0]
	}
	return w.err
}

// Close flushes the partial line and closes the underlying writer when it is an io.Closer.
// It returns the first error of a write or of the close.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	w.flushLocked()
	w.closed = true
	w.pending = nil
	if c, ok := w.w.(io.Closer); ok {
		if err := c.Close(); err != nil && w.err == nil {
			w.err = err
		}
	}
	return w.err
}
