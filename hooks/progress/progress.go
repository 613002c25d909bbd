// Package progress is a hook that shows a run's progress: a live bar on a terminal
// (vbauerster/mpb) with done, failed and retrying counts, rate and ETA, and plain periodic lines
// when the output is not a terminal (where a bar would write nothing useful).
//
// It is not a results printer: the final summary is the caller's (see runner.Results).
package progress

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gonorn/norn/hooks"
)

// Mode chooses how progress is shown.
type Mode int

const (
	// Auto shows a bar when the output is a terminal (that reports a width) and lines otherwise.
	Auto Mode = iota
	// Bar always draws a bar.
	Bar
	// Lines always prints plain periodic lines.
	Lines
	// Off shows nothing.
	Off
)

// Config configures a Progress hook.
type Config struct {
	// Output is where progress goes. Default os.Stderr.
	Output io.Writer
	// Mode chooses bar or lines. Default Auto.
	Mode Mode
	// Interval is the period of plain lines. Default 2s.
	Interval time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Progress is the hook. It implements hooks.RunStartHook, hooks.TaskOKHook, hooks.TaskFailedHook,
// hooks.TaskRetryHook and hooks.RunEndHook. One Progress serves one run at a time.
type Progress struct {
	hooks.HookDefaults
	cfg Config

	total, ok, failed, retries atomic.Int64
	started                    time.Time
	task                       string

	mu   sync.Mutex
	bar  *mpb.Bar
	pbar *mpb.Progress
	stop chan struct{}
	done chan struct{}
}

// Interface guards.
var (
	_ hooks.RunStartHook   = (*Progress)(nil)
	_ hooks.TaskOKHook     = (*Progress)(nil)
	_ hooks.TaskFailedHook = (*Progress)(nil)
	_ hooks.TaskRetryHook  = (*Progress)(nil)
	_ hooks.RunEndHook     = (*Progress)(nil)
)

// New returns a progress hook.
func New(cfg Config) *Progress {
	if cfg.Output == nil {
		cfg.Output = os.Stderr
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Mode == Auto {
		cfg.Mode = Lines
		if f, ok := cfg.Output.(*os.File); ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) && termWidth(f) > 0 {
			// A terminal of zero columns (script(1) without stty cols) would show no bar at all.
			cfg.Mode = Bar
		}
	}
	return &Progress{cfg: cfg}
}

// RunStart starts the display.
func (p *Progress) RunStart(ctx context.Context, e *hooks.RunEvent) {
	p.total.Store(int64(e.Run.Hosts))
	p.ok.Store(0)
	p.failed.Store(0)
	p.retries.Store(0)
	p.started = p.cfg.Now()
	p.task = e.Run.Task
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.cfg.Mode {
	case Bar:
		p.pbar = mpb.New(mpb.WithOutput(p.cfg.Output), mpb.ForceTTY(), mpb.WithAutoRefresh(), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
		p.bar = p.pbar.AddBar(int64(e.Run.Hosts),
			mpb.PrependDecorators(
				decor.Name(e.Run.Task+" ", decor.WCSyncSpaceR),
				decor.CountersNoUnit("%d/%d", decor.WCSyncWidth),
			),
			mpb.AppendDecorators(
				decor.Any(func(decor.Statistics) string {
					return fmt.Sprintf(" failed %d  retries %d  %.1f/s  ETA ", p.failed.Load(), p.retries.Load(), p.rate())
				}),
				decor.EwmaETA(decor.ET_STYLE_GO, 30),
			),
		)
	case Lines:
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.lines(p.stop, p.done)
	}
}

func (p *Progress) rate() float64 {
	el := p.cfg.Now().Sub(p.started).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(p.ok.Load()+p.failed.Load()) / el
}

// Line returns the current progress as one line of text, as Lines mode prints it.
func (p *Progress) Line() string {
	done := p.ok.Load() + p.failed.Load()
	total := p.total.Load()
	rate := p.rate()
	eta := "?"
	if rate > 0 && total >= done {
		eta = (time.Duration(float64(total-done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	return fmt.Sprintf("%s: %d/%d done (%d ok, %d failed, %d retries) %.1f hosts/s, ETA %s",
		p.task, done, total, p.ok.Load(), p.failed.Load(), p.retries.Load(), rate, eta)
}

func (p *Progress) lines(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			fmt.Fprintln(p.cfg.Output, p.Line())
		}
	}
}

func (p *Progress) step(e *hooks.Event) {
	p.mu.Lock()
	b := p.bar
	p.mu.Unlock()
	if b != nil {
		var d time.Duration
		if e.Result != nil {
			d = e.Result.Duration
		}
		b.EwmaIncrement(d)
	}
}

// TaskOK counts a host done.
func (p *Progress) TaskOK(_ context.Context, e *hooks.Event) {
	p.ok.Add(1)
	p.step(e)
}

// TaskFailed counts a host failed.
func (p *Progress) TaskFailed(_ context.Context, e *hooks.Event) {
	p.failed.Add(1)
	p.step(e)
}

// TaskRetry counts a retry.
func (p *Progress) TaskRetry(context.Context, *hooks.Event) { p.retries.Add(1) }

// RunEnd stops the display and, in Lines mode, prints a last line.
func (p *Progress) RunEnd(_ context.Context, _ *hooks.RunEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pbar != nil {
		// Hosts never run do not reach TaskOK/TaskFailed: complete the bar so Wait returns.
		p.bar.SetTotal(-1, true)
		p.pbar.Wait()
		p.pbar, p.bar = nil, nil
	}
	if p.stop != nil {
		close(p.stop)
		<-p.done
		p.stop, p.done = nil, nil
		fmt.Fprintln(p.cfg.Output, p.Line())
	}
}
