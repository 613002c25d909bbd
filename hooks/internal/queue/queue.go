package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/internal/retry"
)

// Config configures a Queue. Zero fields take the documented defaults.
type Config struct {
	// Name names the queue in log lines and errors (e.g. "alertmanager"). Default "queue".
	Name string
	// Size is how many items may wait for delivery; one more is dropped. Default 1024.
	Size int
	// Workers is how many deliveries run at once. Default 2.
	Workers int
	// BatchSize is the largest number of items sent in one delivery. Default 1.
	BatchSize int
	// BatchWait is how long a worker holding fewer than BatchSize items waits for more before
	// sending. Default 0: send what is queued at once. Flush and Close cut the wait short.
	BatchWait time.Duration
	// Timeout bounds one delivery attempt. Default 10s.
	Timeout time.Duration
	// RetryFor bounds the time spent retrying one batch; past it the batch counts as failed.
	// Default 1m; negative: never retry.
	RetryFor time.Duration
	// InitialInterval is the first backoff wait; the waits then double up to MaxInterval, each
	// with +-50% jitter (internal/retry, norn's one retry engine). Default 500ms.
	InitialInterval time.Duration
	// MaxInterval caps a backoff wait (not a Retry-After the receiver asked for, which is
	// honoured up to what remains of RetryFor). Default 30s.
	MaxInterval time.Duration
	// Logger receives drops (the first, then at each power of two), delivery failures, retries
	// (debug) and undelivered counts at Flush and Close. Default: no logging.
	Logger zerolog.Logger
	// Sleep waits between attempts; tests inject one. Default: a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of the retry budget; tests inject one. Default time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "queue"
	}
	if c.Size <= 0 {
		c.Size = 1024
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1
	}
	if c.BatchWait < 0 {
		c.BatchWait = 0
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.RetryFor == 0 {
		c.RetryFor = time.Minute
	}
	if c.InitialInterval <= 0 {
		c.InitialInterval = 500 * time.Millisecond
	}
	if c.MaxInterval <= 0 {
		c.MaxInterval = 30 * time.Second
	}
	if c.Sleep == nil {
		c.Sleep = retry.Sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// policy is the retry policy of one batch.
func (c Config) policy() retry.Policy {
	p := retry.Policy{
		InitialInterval: c.InitialInterval, MaxInterval: c.MaxInterval, Multiplier: 2, Jitter: 0.5,
		MaxElapsed: c.RetryFor, Sleep: c.Sleep, Now: c.Now,
	}
	if c.RetryFor < 0 {
		p.MaxAttempts, p.MaxElapsed = 1, 0
	}
	return p
}

// SendFunc makes one delivery attempt of a batch. ctx carries the attempt's timeout and is
// cancelled when the queue closes. Returning an error marked retry.Permanent, or a *StatusError
// whose code is a 4xx other than 429, stops the retries.
type SendFunc[T any] func(ctx context.Context, batch []T) error

// Stats are a queue's counters, in items (not batches).
type Stats struct {
	// Queued is how many items wait or are being delivered now.
	Queued int
	// Sent is how many items were delivered.
	Sent uint64
	// Dropped is how many items were refused because the queue was full or closed.
	Dropped uint64
	// Failed is how many items were given up: a permanent error, retries exhausted, or still
	// undelivered when the queue closed.
	Failed uint64
	// Retries is how many delivery attempts were retried.
	Retries uint64
}

// Options are a queue's per-item callbacks.
type Options[T any] struct {
	// Key, when set, sends items with the same key through the same worker, in the order they
	// were queued (an alert's firing and its resolve must not overtake each other); otherwise
	// any worker takes any item. Default nil.
	Key func(T) string
	// Lost, when set, is called with the items that will not be delivered: dropped (queue full
	// or closed), given up (refused, retries spent) or still queued when the queue closed, and
	// why. It runs on the goroutine that lost them and must not block. Default nil.
	Lost func(items []T, why string)
}

// Queue delivers items in the background. It is safe for concurrent use.
type Queue[T any] struct {
	cfg   Config
	send  SendFunc[T]
	key   func(T) string
	lost  func([]T, string)
	chans []chan T

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	pending  int
	idle     chan struct{} // closed while pending == 0
	kick     chan struct{} // closed by Flush to cut batch waits short
	flushing int
	closing  chan struct{} // closed when Close has finished

	sent, dropped, failed, retries atomic.Uint64
}

// New starts a queue whose workers deliver with send (see Options for ordering by key and
// lost items). Close must be called to stop the workers.
func New[T any](cfg Config, send SendFunc[T], o Options[T]) *Queue[T] {
	cfg = cfg.withDefaults()
	key := o.Key
	q := &Queue[T]{cfg: cfg, send: send, key: key, lost: o.Lost, closing: make(chan struct{})}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	idle := make(chan struct{})
	close(idle)
	q.idle = idle
	q.kick = make(chan struct{})
	if key == nil {
		q.chans = []chan T{make(chan T, cfg.Size)}
	} else {
		per := (cfg.Size + cfg.Workers - 1) / cfg.Workers
		q.chans = make([]chan T, cfg.Workers)
		for i := range q.chans {
			q.chans[i] = make(chan T, per)
		}
	}
	for i := 0; i < cfg.Workers; i++ {
		ch := q.chans[0]
		if key != nil {
			ch = q.chans[i]
		}
		q.wg.Add(1)
		go q.work(ch)
	}
	return q
}

// Enqueue queues v for delivery and reports whether it was accepted. It never blocks: when the
// queue is full or closed, v is dropped, counted and logged.
func (q *Queue[T]) Enqueue(v T) bool {
	ch := q.chans[0]
	if q.key != nil && len(q.chans) > 1 {
		h := fnv.New32a()
		h.Write([]byte(q.key(v)))
		ch = q.chans[h.Sum32()%uint32(len(q.chans))]
	}
	q.mu.Lock()
	if !q.closed {
		select {
		case ch <- v:
			if q.pending == 0 {
				q.idle = make(chan struct{})
			}
			q.pending++
			q.mu.Unlock()
			return true
		default:
		}
	}
	closed := q.closed
	q.mu.Unlock()
	n := q.dropped.Add(1)
	reason := "queue full"
	if closed {
		reason = "queue closed"
	}
	if q.lost != nil {
		q.lost([]T{v}, "dropped: "+reason)
	}
	if bits.OnesCount64(n) == 1 { // 1, 2, 4, 8, ...: bounded logging under a flood
		q.cfg.Logger.Warn().Str("hook", q.cfg.Name).Str("reason", reason).Int("size", q.cfg.Size).
			Uint64("dropped_total", n).Msg("hook delivery: item dropped")
	}
	return false
}

// done records the end of a batch's delivery.
func (q *Queue[T]) done(n int) {
	q.mu.Lock()
	q.pending -= n
	if q.pending == 0 {
		close(q.idle)
	}
	q.mu.Unlock()
}

func (q *Queue[T]) work(ch chan T) {
	defer q.wg.Done()
	batch := make([]T, 0, q.cfg.BatchSize)
	for {
		var first T
		select {
		case <-q.ctx.Done():
			return
		case first = <-ch:
		}
		batch = append(batch[:0], first)
		batch = q.fill(ch, batch)
		q.deliver(batch)
		q.done(len(batch))
		clear(batch)
	}
}

// fill adds to batch what is queued, waiting up to BatchWait for more unless a flush is on.
func (q *Queue[T]) fill(ch chan T, batch []T) []T {
	batch = q.take(ch, batch)
	if len(batch) >= q.cfg.BatchSize || q.cfg.BatchWait <= 0 {
		return batch
	}
	q.mu.Lock()
	kick, flushing := q.kick, q.flushing > 0
	q.mu.Unlock()
	if flushing {
		return batch
	}
	t := time.NewTimer(q.cfg.BatchWait)
	defer t.Stop()
	for len(batch) < q.cfg.BatchSize {
		select {
		case v := <-ch:
			batch = append(batch, v)
		case <-t.C:
			return q.take(ch, batch)
		case <-kick:
			return q.take(ch, batch)
		case <-q.ctx.Done():
			return batch
		}
	}
	return batch
}

// take adds to batch what is queued now, without waiting.
func (q *Queue[T]) take(ch chan T, batch []T) []T {
	for len(batch) < q.cfg.BatchSize {
		select {
		case v := <-ch:
			batch = append(batch, v)
		default:
			return batch
		}
	}
	return batch
}

// deliver sends batch, retrying as configured (internal/retry), and counts the outcome.
func (q *Queue[T]) deliver(batch []T) {
	n := uint64(len(batch))
	log := q.cfg.Logger
	start := q.cfg.Now()
	attempts, err := retry.Do(q.ctx, q.cfg.policy(), retry.Options{
		Retryable: Retryable,
		OnRetry: func(attempt int, err error, wait time.Duration) {
			log.Debug().Str("hook", q.cfg.Name).Int("items", len(batch)).Int("attempt", attempt).
				Dur("wait", wait).Err(err).Msg("hook delivery: retrying")
			q.retries.Add(1)
		},
	}, func(ctx context.Context, _ int) error {
		ctx, cancel := context.WithTimeout(ctx, q.cfg.Timeout)
		defer cancel()
		err := q.send(ctx, batch)
		if ra, ok := RetryAfter(err); ok {
			return &retryAfterError{err: err, wait: ra}
		}
		return err
	})
	if err == nil {
		q.sent.Add(n)
		if attempts > 1 {
			log.Info().Str("hook", q.cfg.Name).Int("items", len(batch)).Int("attempts", attempts).
				Msg("hook delivery: delivered after retries")
		}
		return
	}
	var why string
	var cancelled *retry.CancelledError
	ra, hasRA := RetryAfter(err)
	switch {
	case q.ctx.Err() != nil || errors.As(err, &cancelled):
		why = "queue closed"
	case !Retryable(err):
		why = "not retryable"
	case q.cfg.RetryFor < 0:
		why = "retries disabled"
	case hasRA && q.cfg.Now().Add(ra).Sub(start) > q.cfg.RetryFor:
		why = fmt.Sprintf("receiver asked to retry after %s, beyond the %s retry budget", ra, q.cfg.RetryFor)
	default:
		why = fmt.Sprintf("retried for %s", q.cfg.RetryFor)
	}
	q.failed.Add(n)
	if q.lost != nil {
		q.lost(batch, "failed: "+why)
	}
	log.Warn().Str("hook", q.cfg.Name).Int("items", len(batch)).Int("attempts", attempts).
		Str("why", why).Err(err).Msg("hook delivery: failed, items not delivered")
}

// retryAfterError carries a receiver's Retry-After to retry.Do.
type retryAfterError struct {
	err  error
	wait time.Duration
}

func (e *retryAfterError) Error() string             { return e.err.Error() }
func (e *retryAfterError) Unwrap() error             { return e.err }
func (e *retryAfterError) RetryAfter() time.Duration { return e.wait }

var _ retry.RetryAfterError = (*retryAfterError)(nil)

// Flush waits until every queued item has been delivered or given up, or ctx is done. Batch
// waits are cut short while it runs. It returns an error naming how many items were still
// undelivered when ctx ended.
func (q *Queue[T]) Flush(ctx context.Context) error {
	q.mu.Lock()
	if q.pending == 0 {
		q.mu.Unlock()
		return nil
	}
	q.flushing++
	close(q.kick)
	q.kick = make(chan struct{})
	idle := q.idle
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.flushing--
		q.mu.Unlock()
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		left := q.Stats().Queued
		if left == 0 {
			return nil
		}
		q.cfg.Logger.Warn().Str("hook", q.cfg.Name).Int("undelivered", left).
			Uint64("dropped_total", q.dropped.Load()).Uint64("failed_total", q.failed.Load()).
			Msg("hook delivery: flush deadline passed with items undelivered; they stay queued")
		return fmt.Errorf("flush: %d items undelivered: %w", left, ctx.Err())
	}
}

// ErrClosed is returned by Close when the queue was already closed.
var ErrClosed = errors.New("queue closed")

// Close stops accepting items, delivers what is queued until ctx is done, then cancels the
// deliveries still running, counts what was left as failed and stops every worker. It returns
// the Flush error when items were left. A second Close waits for the first and returns ErrClosed.
func (q *Queue[T]) Close(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		<-q.closing
		return ErrClosed
	}
	q.closed = true
	q.mu.Unlock()
	defer close(q.closing)

	err := q.Flush(ctx)
	q.cancel()
	q.wg.Wait()
	var left []T
	for _, ch := range q.chans {
		for len(ch) > 0 {
			left = append(left, <-ch)
		}
	}
	if len(left) > 0 {
		q.failed.Add(uint64(len(left)))
		q.done(len(left))
		if q.lost != nil {
			q.lost(left, "failed: undelivered when the queue closed")
		}
	}
	s := q.Stats()
	ev := q.cfg.Logger.Debug()
	if s.Dropped > 0 || s.Failed > 0 {
		ev = q.cfg.Logger.Warn()
	}
	ev.Str("hook", q.cfg.Name).Uint64("sent", s.Sent).Uint64("dropped", s.Dropped).
		Uint64("failed", s.Failed).Uint64("retries", s.Retries).Msg("hook delivery: closed")
	return err
}

// Stats returns the queue's counters.
func (q *Queue[T]) Stats() Stats {
	q.mu.Lock()
	queued := q.pending
	q.mu.Unlock()
	return Stats{
		Queued:  queued,
		Sent:    q.sent.Load(),
		Dropped: q.dropped.Load(),
		Failed:  q.failed.Load(),
		Retries: q.retries.Load(),
	}
}
