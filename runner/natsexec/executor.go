package natsexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

// Config configures the controller's Executor. The zero value of each field is its documented
// default; New validates it once.
type Config struct {
	// Conn is the connection to the NATS cluster (the user's URL, credentials, TLS). Required.
	// The Executor does not close it.
	Conn *nats.Conn

	// StreamOptions name and place the streams; workers must use the same.
	StreamOptions

	// Route maps a host to its queue: only workers started for that queue receive it. Default
	// DefaultRoute (the host's region, else its site, else "default").
	Route func(h *inventory.Host) string

	// NoWorkerWait is how long a queue may show no sign of a worker (no host taken, no
	// heartbeat, no result) before its remaining hosts are reported not run, with the reason.
	// Default DefaultNoWorkerWait (30 s). Negative is an error.
	NoWorkerWait time.Duration

	// CancelGrace is how long a cancelled run still waits for the results of hosts a worker had
	// already started (they end with the cancellation). Default DefaultCancelGrace (5 s).
	CancelGrace time.Duration

	// Decode turns a result's value back into the task's own type (for example the backup
	// task's Info). Default nil: the value stays a json.RawMessage.
	Decode func(task string, raw json.RawMessage) (any, error)

	// Finish completes each result on the controller before the runner sees it (its hooks
	// included): for example the backup's Storer writes a fetched configuration into the
	// controller's repository and turns the result into the backup's. It is called from one
	// goroutine per batch. Default nil: results as decoded.
	Finish func(h *inventory.Host, job *runner.Job, r tasks.Result) tasks.Result

	// Logger receives the executor's messages (a queue given up, a purge that failed).
	// Default: discard.
	Logger zerolog.Logger
}

// Executor runs a run's hosts on remote Workers through NATS JetStream. It implements
// runner.Executor; set it as runner.Config.Executor.
type Executor struct {
	cfg Config
	n   names
	js  jetstream.JetStream
}

// Interface guard.
var _ runner.RemoteExecutor = (*Executor)(nil)

// Remote reports true: hosts run on workers, and the runner calls the controller's TaskOK and
// TaskFailed hooks for the results that come back.
func (e *Executor) Remote() bool { return true }

// New validates cfg, creates (or updates) the streams and returns the Executor.
func New(ctx context.Context, cfg Config) (*Executor, error) {
	if cfg.Conn == nil {
		return nil, errors.New("natsexec: Config.Conn is nil")
	}
	so, err := cfg.StreamOptions.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.StreamOptions = so
	switch {
	case cfg.NoWorkerWait < 0:
		return nil, fmt.Errorf("natsexec: NoWorkerWait %v: want 0 (default %v) or more", cfg.NoWorkerWait, DefaultNoWorkerWait)
	case cfg.CancelGrace < 0:
		return nil, fmt.Errorf("natsexec: CancelGrace %v: want 0 (default %v) or more", cfg.CancelGrace, DefaultCancelGrace)
	}
	if cfg.NoWorkerWait == 0 {
		cfg.NoWorkerWait = DefaultNoWorkerWait
	}
	if cfg.CancelGrace == 0 {
		cfg.CancelGrace = DefaultCancelGrace
	}
	if cfg.Route == nil {
		cfg.Route = DefaultRoute
	}
	if reflect.ValueOf(cfg.Logger).IsZero() {
		cfg.Logger = zerolog.Nop()
	}
	js, n, err := openStreams(ctx, cfg.Conn, so)
	if err != nil {
		return nil, err
	}
	return &Executor{cfg: cfg, n: n, js: js}, nil
}

// NoWorkerError is the cause of a host reported not run because no worker of its queue showed
// up within Config.NoWorkerWait.
type NoWorkerError struct {
	// Queue is the host's queue.
	Queue string
	// Wait is how long the executor waited for a sign of a worker.
	Wait time.Duration
}

// Error returns the error message.
func (e *NoWorkerError) Error() string {
	return fmt.Sprintf("no worker of queue %q took a host or reported for %v (start one: norn worker -region %s)", e.Queue, e.Wait, e.Queue)
}

// pending is the controller's view of one host of the batch.
type pending struct {
	queue string
	done  bool
}

// Execute publishes one work message per host of job and emits each host's result as it comes
// back. It returns when every host has a result, or when ctx is done (after purging the run's
// queued work, telling workers to stop the run, and waiting up to CancelGrace for the hosts
// already started). Hosts of a queue without a worker are emitted not run after NoWorkerWait.
func (e *Executor) Execute(ctx context.Context, job *runner.Job, emit func(i int, r tasks.Result)) error {
	if job == nil || len(job.Hosts) == 0 {
		return nil
	}
	run := fmt.Sprintf("%s-%d", job.RunID, job.Batch)
	if strings.ContainsAny(run, ".*> ") {
		return fmt.Errorf("natsexec: run id %q is not subject-safe", job.RunID)
	}
	hosts := make([]pending, len(job.Hosts))
	queues := map[string][]int{}
	for i, h := range job.Hosts {
		q := e.cfg.Route(h)
		if q == "" || QueueName(q) != q {
			q = QueueName(q)
			if q == "" {
				q = "default"
			}
		}
		hosts[i].queue = q
		queues[q] = append(queues[q], i)
	}

	// Listen before publishing, so no result or heartbeat is missed.
	cons, err := e.js.OrderedConsumer(ctx, e.n.resultStream(), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{e.n.result(run)},
	})
	if err != nil {
		return fmt.Errorf("natsexec: subscribing to results of run %s: %w", run, err)
	}
	it, err := cons.Messages(jetstream.PullExpiry(5*time.Second), jetstream.PullMaxMessages(1024))
	if err != nil {
		return fmt.Errorf("natsexec: subscribing to results of run %s: %w", run, err)
	}
	results := make(chan jetstream.Msg, 256)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			m, err := it.Next()
			if err != nil {
				return // iterator stopped
			}
			results <- m
		}
	}()
	defer func() {
		it.Stop()
		for {
			select {
			case <-results: // unblock the reader
			case <-readerDone:
				return
			}
		}
	}()
	// Heartbeats arrive on NATS's goroutine: they only set atomics, so none is dropped for
	// want of a reader.
	now := time.Now()
	activity := make(map[string]*atomic.Int64, len(queues)) // queue -> last sign of a worker (unix ns)
	for q := range queues {
		activity[q] = new(atomic.Int64)
		activity[q].Store(now.UnixNano())
	}
	started := make([]atomic.Bool, len(hosts))
	sub, err := e.cfg.Conn.Subscribe(e.n.started(run), func(m *nats.Msg) {
		var s startedMsg
		if json.Unmarshal(m.Data, &s) == nil && s.Batch == job.Batch && s.Index >= 0 && s.Index < len(hosts) {
			started[s.Index].Store(true)
			activity[hosts[s.Index].queue].Store(time.Now().UnixNano())
		}
	})
	if err != nil {
		return fmt.Errorf("natsexec: subscribing to heartbeats of run %s: %w", run, err)
	}
	_ = sub.SetPendingLimits(-1, 64<<20)
	defer func() { _ = sub.Unsubscribe() }()
	defer e.cleanup(run)

	// Publish the work, in windows of asynchronous publishes, checking each acknowledgement.
	if err := e.publish(ctx, run, job, hosts); err != nil {
		e.abandon(run, "publishing failed")
		if ctx.Err() != nil {
			return nil // the runner reports the hosts not run with the cancellation
		}
		return err
	}

	left := len(hosts)
	givenUp := map[string]bool{}
	tick := time.NewTicker(min(time.Second, e.cfg.NoWorkerWait/4+time.Millisecond))
	defer tick.Stop()
	var obs jetstream.ObjectStore
	handle := func(m jetstream.Msg) {
		_ = m.Ack()
		var rm resultMsg
		if err := json.Unmarshal(m.Data(), &rm); err != nil {
			e.cfg.Logger.Warn().Err(err).Str("run", run).Msg("natsexec: undecodable result ignored")
			return
		}
		if rm.Object != "" {
			if obs == nil {
				obs, err = objectStore(ctx, e.js, e.n, e.cfg.StreamOptions, false)
			}
			var full []byte
			if err == nil {
				full, err = obs.GetBytes(ctx, rm.Object)
			}
			if err == nil {
				err = json.Unmarshal(full, &rm)
				_ = obs.Delete(ctx, rm.Object)
			}
			if err != nil {
				rm = resultMsg{Run: rm.Run, Batch: rm.Batch, Index: rm.Index, Host: rm.Host, Worker: rm.Worker,
					Status: tasks.StatusFailed.String(), ErrorClass: tasks.ClassConnection,
					Error: fmt.Sprintf("host %s: fetching its result from object store %s: %v", rm.Host, e.n.objectBucket(), err)}
			}
		}
		i := rm.Index
		if i < 0 || i >= len(hosts) || job.Hosts[i].Name != rm.Host || hosts[i].done {
			return // another batch's, or a duplicate
		}
		hosts[i].done = true
		activity[hosts[i].queue].Store(time.Now().UnixNano())
		left--
		res := decodeResult(rm, job.Task, e.cfg.Decode)
		if e.cfg.Finish != nil {
			res = e.cfg.Finish(job.Hosts[i], job, res)
		}
		emit(i, res)
	}
	for left > 0 {
		select {
		case m := <-results:
			handle(m)
		case <-tick.C:
			left -= e.giveUp(run, job, hosts, queues, activity, givenUp, emit)
		case <-ctx.Done():
			e.abandon(run, "cancelled")
			// Wait a little for hosts already running: they end with the cancellation.
			grace := time.NewTimer(e.cfg.CancelGrace)
			defer grace.Stop()
			for running(hosts, started) > 0 {
				select {
				case m := <-results:
					handle(m)
				case <-grace.C:
					return nil
				}
			}
			return nil
		}
	}
	return nil
}

// publishWindow is how many work messages may await their acknowledgement at once.
const publishWindow = 2048

// publish sends one work message per host and waits for JetStream to acknowledge each.
func (e *Executor) publish(ctx context.Context, run string, job *runner.Job, hosts []pending) error {
	futures := make([]jetstream.PubAckFuture, 0, publishWindow)
	wait := func() error {
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				var w workMsg
				_ = json.Unmarshal(f.Msg().Data, &w)
				return fmt.Errorf("natsexec: publishing host %s of run %s: %w", w.Host, run, err)
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		futures = futures[:0]
		return nil
	}
	for i, h := range job.Hosts {
		w := workMsg{Run: run, Task: job.Task, DryRun: job.DryRun, Batch: job.Batch, Index: i, Host: h.Name, Queue: hosts[i].queue}
		body, _ := json.Marshal(w)
		msg := &nats.Msg{Subject: e.n.work(w.Queue, run), Data: body, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, w.id())
		f, err := e.js.PublishMsgAsync(msg)
		if err != nil {
			return fmt.Errorf("natsexec: publishing host %s of run %s: %w", h.Name, run, err)
		}
		futures = append(futures, f)
		if len(futures) == publishWindow {
			if err := wait(); err != nil {
				return err
			}
		}
	}
	return wait()
}

// running counts hosts started and not done.
func running(hosts []pending, started []atomic.Bool) int {
	n := 0
	for i, h := range hosts {
		if started[i].Load() && !h.done {
			n++
		}
	}
	return n
}

// giveUp reports not run the remaining hosts of each queue silent for NoWorkerWait, purging
// their queued messages. It returns how many hosts it reported.
func (e *Executor) giveUp(run string, job *runner.Job, hosts []pending, queues map[string][]int,
	activity map[string]*atomic.Int64, givenUp map[string]bool, emit func(int, tasks.Result)) int {
	now := time.Now()
	var silent []string
	for q, last := range activity {
		if !givenUp[q] && now.Sub(time.Unix(0, last.Load())) >= e.cfg.NoWorkerWait {
			silent = append(silent, q)
		}
	}
	sort.Strings(silent)
	n := 0
	for _, q := range silent {
		cause := &NoWorkerError{Queue: q, Wait: e.cfg.NoWorkerWait}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if s, err := e.js.Stream(ctx, e.n.workStream()); err == nil {
			_ = s.Purge(ctx, jetstream.WithPurgeSubject(e.n.work(q, run)))
		}
		cancel()
		count := 0
		for _, i := range queues[q] {
			if hosts[i].done {
				continue
			}
			hosts[i].done = true
			n++
			count++
			h := job.Hosts[i].Name
			emit(i, tasks.Result{Host: h, Task: job.Task, Status: tasks.StatusNotRun,
				Err: &runner.NotRunError{Host: h, Reason: "its queue has no worker", Cause: cause}})
		}
		givenUp[q] = true
		if count > 0 {
			e.cfg.Logger.Warn().Str("run", run).Str("queue", q).Int("hosts", count).Dur("waited", e.cfg.NoWorkerWait).
				Msg("natsexec: no worker for queue; its hosts are reported not run")
		}
	}
	return n
}

// abandon tells workers to stop the run and purges its queued work.
func (e *Executor) abandon(run, why string) {
	_ = e.cfg.Conn.Publish(e.n.cancel(run), []byte(why))
	_ = e.cfg.Conn.Flush()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s, err := e.js.Stream(ctx, e.n.workStream()); err == nil {
		if err := s.Purge(ctx, jetstream.WithPurgeSubject(e.n.workRun(run))); err != nil {
			e.cfg.Logger.Warn().Err(err).Str("run", run).Msg("natsexec: purging the run's queued work failed")
		}
	}
}

// cleanup removes the run's results from their stream.
func (e *Executor) cleanup(run string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s, err := e.js.Stream(ctx, e.n.resultStream()); err == nil {
		_ = s.Purge(ctx, jetstream.WithPurgeSubject(e.n.result(run)))
	}
}
