package natsexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/gonorn/norn/internal/retry"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
)

// DefaultConcurrency is WorkerConfig.Concurrency's default.
const DefaultConcurrency = 100

// stopGrace is how long a stopping worker still tries to publish the results of hosts that
// finished; after it they are left to JetStream's redelivery.
const stopGrace = 5 * time.Second

// WorkerConfig configures a Worker. The zero value of each field is its documented default;
// NewWorker validates it once.
type WorkerConfig struct {
	// Conn is the connection to the NATS cluster. Required. The Worker does not close it.
	Conn *nats.Conn

	// StreamOptions must match the controller's.
	StreamOptions

	// Queue is the queue (region) this worker serves: it receives only the hosts the
	// controller routed there. Required.
	Queue string

	// Runner runs the hosts on this worker: its inventory resolves host names (with this
	// worker's own credentials), and its hooks, middleware, retry, breaker and connections
	// apply. Required.
	Runner *runner.Runner

	// Tasks is the worker's task table: the task name a controller runs, to its function.
	// Required, not empty. A message naming another task fails its host (class config).
	Tasks map[string]tasks.Func

	// Name identifies the worker in results and logs. Default "<hostname>:<pid>".
	Name string

	// Concurrency is how many hosts the worker runs at the same time. Default
	// DefaultConcurrency (100). Negative is an error.
	Concurrency int

	// AckWait is how long JetStream waits for the worker to acknowledge a host before
	// delivering it to another worker; running hosts send an InProgress heartbeat every
	// AckWait/3. Default DefaultAckWait (30 s).
	AckWait time.Duration

	// MaxDeliver is how many times a host may be delivered (the first included) before
	// JetStream stops redelivering it; the controller then reports it not run after its
	// NoWorkerWait. Default DefaultMaxDeliver (5).
	MaxDeliver int

	// Logger receives the worker's messages. Default: discard.
	Logger zerolog.Logger
}

// Worker pulls the hosts of its queue from JetStream, runs them through its Runner and
// publishes their results. Run it with Run.
type Worker struct {
	cfg   WorkerConfig
	n     names
	js    jetstream.JetStream
	cons  jetstream.Consumer
	hosts map[string]*inventory.Host

	mu        sync.Mutex
	cancelled map[string]time.Time           // runs cancelled by their controller
	running   map[string]map[*batch]struct{} // live batches by run
}

// NewWorker validates cfg, creates the streams and the queue's durable pull consumer (shared
// by every worker of the queue) and returns the Worker.
func NewWorker(ctx context.Context, cfg WorkerConfig) (*Worker, error) {
	switch {
	case cfg.Conn == nil:
		return nil, errors.New("natsexec: WorkerConfig.Conn is nil")
	case cfg.Runner == nil:
		return nil, errors.New("natsexec: WorkerConfig.Runner is nil")
	case len(cfg.Tasks) == 0:
		return nil, errors.New("natsexec: WorkerConfig.Tasks is empty")
	case cfg.Queue == "" || QueueName(cfg.Queue) != cfg.Queue:
		return nil, fmt.Errorf("natsexec: WorkerConfig.Queue %q: want a non-empty name of lower-case letters, digits, '-' or '_'", cfg.Queue)
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("natsexec: WorkerConfig.Concurrency %d: want 0 (default %d) or more", cfg.Concurrency, DefaultConcurrency)
	case cfg.AckWait < 0:
		return nil, fmt.Errorf("natsexec: WorkerConfig.AckWait %v: want 0 (default %v) or more", cfg.AckWait, DefaultAckWait)
	case cfg.MaxDeliver < 0:
		return nil, fmt.Errorf("natsexec: WorkerConfig.MaxDeliver %d: want 0 (default %d) or more", cfg.MaxDeliver, DefaultMaxDeliver)
	}
	for name, fn := range cfg.Tasks {
		if fn == nil {
			return nil, fmt.Errorf("natsexec: WorkerConfig.Tasks[%q] is nil", name)
		}
	}
	so, err := cfg.StreamOptions.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.StreamOptions = so
	if cfg.Name == "" {
		h, _ := os.Hostname()
		cfg.Name = fmt.Sprintf("%s:%d", h, os.Getpid())
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = DefaultAckWait
	}
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = DefaultMaxDeliver
	}
	if reflect.ValueOf(cfg.Logger).IsZero() {
		cfg.Logger = zerolog.Nop()
	}
	js, n, err := openStreams(ctx, cfg.Conn, so)
	if err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, n.workStream(), jetstream.ConsumerConfig{
		Durable:       n.consumer(cfg.Queue),
		Description:   "norn workers of queue " + cfg.Queue,
		FilterSubject: n.workQueue(cfg.Queue),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxDeliver:    cfg.MaxDeliver,
		MaxAckPending: max(cfg.Concurrency*4, 1000),
	})
	if err != nil {
		return nil, fmt.Errorf("natsexec: creating the consumer of queue %s: %w", cfg.Queue, err)
	}
	w := &Worker{cfg: cfg, n: n, js: js, cons: cons, hosts: map[string]*inventory.Host{},
		cancelled: map[string]time.Time{}, running: map[string]map[*batch]struct{}{}}
	for _, h := range cfg.Runner.Hosts() {
		w.hosts[h.Name] = h
	}
	return w, nil
}

// Name returns the worker's name.
func (w *Worker) Name() string { return w.cfg.Name }

// item is one delivered host.
type item struct {
	msg  jetstream.Msg
	work workMsg
	host *inventory.Host
}

// batch is a group of hosts of the same run started together.
type batch struct {
	cancel context.CancelFunc
}

// Run serves the queue until ctx is done, then stops taking hosts, cancels the hosts running
// (their results are still published, so the controller accounts for them) and returns nil.
// It returns an error only when it cannot start.
func (w *Worker) Run(ctx context.Context) error {
	csub, err := w.cfg.Conn.Subscribe(w.n.cancelAll(), w.onCancel)
	if err != nil {
		return fmt.Errorf("natsexec: subscribing to cancellations: %w", err)
	}
	defer func() { _ = csub.Unsubscribe() }()
	it, err := w.cons.Messages(jetstream.PullMaxMessages(w.cfg.Concurrency), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("natsexec: consuming queue %s: %w", w.cfg.Queue, err)
	}
	in := make(chan jetstream.Msg)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			m, err := it.Next()
			if err != nil {
				return
			}
			_ = m.InProgress() // restart its AckWait: it may wait for a free slot
			select {
			case in <- m:
			case <-ctx.Done():
				_ = m.Nak() // leave it to another worker
				return
			}
		}
	}()
	// Results of hosts that finish while the worker stops are still published, for a short
	// grace: after it, they are left to JetStream's redelivery.
	pubCtx, pubCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer pubCancel()
	stopAfter := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, pubCancel) })
	defer stopAfter()
	slots := make(chan struct{}, w.cfg.Concurrency)
	var wg sync.WaitGroup
	defer func() {
		it.Stop()
		<-readerDone
		wg.Wait()
	}()
	for {
		var first jetstream.Msg
		select {
		case <-ctx.Done():
			return nil
		case first = <-in:
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			_ = first.Nak()
			return nil
		}
		msgs := []jetstream.Msg{first}
	drain:
		for {
			select {
			case slots <- struct{}{}:
				select {
				case m := <-in:
					msgs = append(msgs, m)
					continue
				default:
					<-slots
				}
				break drain
			default:
				break drain
			}
		}
		for _, group := range w.group(pubCtx, msgs, slots) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.runGroup(ctx, pubCtx, group, slots)
			}()
		}
	}
}

// group decodes msgs and groups them by run (and task and dry-run). Messages that cannot run
// are answered (or terminated) here and their slots released.
func (w *Worker) group(pubCtx context.Context, msgs []jetstream.Msg, slots chan struct{}) [][]item {
	var order []string
	groups := map[string][]item{}
	for _, m := range msgs {
		var wm workMsg
		if err := json.Unmarshal(m.Data(), &wm); err != nil || wm.Run == "" || wm.Host == "" {
			w.cfg.Logger.Warn().Str("subject", m.Subject()).Msg("natsexec: undecodable work message dropped")
			_ = m.Term()
			<-slots
			continue
		}
		if w.isCancelled(wm.Run) {
			_ = m.Term()
			<-slots
			continue
		}
		h, ok := w.hosts[wm.Host]
		if !ok {
			w.answer(pubCtx, m, wm, tasks.Result{Host: wm.Host, Task: wm.Task, Status: tasks.StatusFailed,
				Err: tasks.WithClass(tasks.ClassConfig, fmt.Errorf("host %s is not in the inventory of worker %s (queue %s)", wm.Host, w.cfg.Name, w.cfg.Queue))})
			<-slots
			continue
		}
		if _, ok := w.cfg.Tasks[wm.Task]; !ok {
			w.answer(pubCtx, m, wm, tasks.Result{Host: wm.Host, Task: wm.Task, Status: tasks.StatusFailed,
				Err: tasks.WithClass(tasks.ClassConfig, fmt.Errorf("host %s: worker %s has no task %q in its task table", wm.Host, w.cfg.Name, wm.Task))})
			<-slots
			continue
		}
		key := fmt.Sprintf("%s\x00%s\x00%t", wm.Run, wm.Task, wm.DryRun)
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], item{msg: m, work: wm, host: h})
	}
	out := make([][]item, 0, len(order))
	for _, k := range order {
		out = append(out, groups[k])
	}
	return out
}

// runGroup runs a group of hosts of one run as one run of the worker's Runner.
func (w *Worker) runGroup(parent, pubCtx context.Context, items []item, slots chan struct{}) {
	wm := items[0].work
	ctx, cancel := context.WithCancel(parent)
	b := &batch{cancel: cancel}
	w.track(wm.Run, b, true)
	defer func() {
		w.track(wm.Run, b, false)
		cancel()
	}()
	byHost := make(map[string]*item, len(items))
	hosts := make([]*inventory.Host, len(items))
	for i := range items {
		byHost[items[i].host.Name] = &items[i]
		hosts[i] = items[i].host
	}
	var mu sync.Mutex
	done := make(map[string]bool, len(items))
	w.heartbeat(items, done, &mu) // tell the controller at once
	hbDone := make(chan struct{})
	go func() {
		t := time.NewTicker(w.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				w.heartbeat(items, done, &mu)
			case <-hbDone:
				return
			}
		}
	}()
	defer close(hbDone)

	r := w.cfg.Runner.Only(hosts...)
	for res := range r.Stream(ctx, wm.Task, w.cfg.Tasks[wm.Task], runner.DryRun(wm.DryRun), runner.OnFailed(true)) {
		it := byHost[res.Host]
		if it == nil {
			continue
		}
		mu.Lock()
		done[res.Host] = true
		mu.Unlock()
		if parent.Err() != nil && (res.Status == tasks.StatusNotRun || tasks.Classify(res.Err) == tasks.ClassCanceled) {
			_ = it.msg.Nak() // the worker is stopping, not the run: another worker takes the host
		} else {
			w.answer(pubCtx, it.msg, it.work, res)
		}
		<-slots
	}
	// Hosts the run did not yield (it cannot happen with the local pool, but be safe).
	for i := range items {
		if !done[items[i].host.Name] {
			_ = items[i].msg.Nak()
			<-slots
		}
	}
}

// heartbeat keeps the running hosts' messages from being redelivered and tells the controller
// the queue has a live worker.
func (w *Worker) heartbeat(items []item, done map[string]bool, mu *sync.Mutex) {
	for i := range items {
		mu.Lock()
		d := done[items[i].host.Name]
		mu.Unlock()
		if d {
			continue
		}
		_ = items[i].msg.InProgress()
		b, _ := json.Marshal(startedMsg{Batch: items[i].work.Batch, Index: items[i].work.Index, Worker: w.cfg.Name})
		_ = w.cfg.Conn.Publish(w.n.started(items[i].work.Run), b)
	}
}

// publishPolicy retries publishing a result through a NATS hiccup (a restart, a leader move).
var publishPolicy = retry.Policy{MaxAttempts: 10, InitialInterval: 100 * time.Millisecond, MaxInterval: 2 * time.Second, Jitter: 0.2}

// publishAttemptTimeout bounds one attempt to publish a result.
const publishAttemptTimeout = 2 * time.Second

// answer publishes a host's result, then acknowledges its work message. If the result cannot
// be published, the message is not acknowledged: JetStream redelivers it after AckWait.
func (w *Worker) answer(pubCtx context.Context, m jetstream.Msg, wm workMsg, res tasks.Result) {
	rm := encodeResult(wm, w.cfg.Name, res)
	body, err := json.Marshal(rm)
	if err != nil {
		rm = encodeResult(wm, w.cfg.Name, tasks.Result{Host: wm.Host, Status: tasks.StatusFailed,
			Err: fmt.Errorf("host %s: encoding the result on worker %s: %w", wm.Host, w.cfg.Name, err)})
		body, _ = json.Marshal(rm)
	}
	ctx, cancel := context.WithTimeout(pubCtx, 30*time.Second)
	defer cancel()
	if limit := w.cfg.Conn.MaxPayload() - 4096; int64(len(body)) > limit {
		obs, oerr := objectStore(ctx, w.js, w.n, w.cfg.StreamOptions, true)
		if oerr == nil {
			_, oerr = obs.PutBytes(ctx, wm.id(), body)
		}
		if oerr != nil {
			rm = encodeResult(wm, w.cfg.Name, tasks.Result{Host: wm.Host, Status: tasks.StatusFailed,
				Err: tasks.WithClass(tasks.ClassConnection, fmt.Errorf("host %s: its %d-byte result could not be stored in object store %s: %w", wm.Host, len(body), w.n.objectBucket(), oerr))})
		} else {
			rm = resultMsg{Run: wm.Run, Batch: wm.Batch, Index: wm.Index, Host: wm.Host, Worker: w.cfg.Name, Object: wm.id()}
		}
		body, _ = json.Marshal(rm)
	}
	msg := &nats.Msg{Subject: w.n.result(wm.Run), Data: body, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, wm.id()+".result")
	_, err = retry.Do(ctx, publishPolicy, retry.Options{Retryable: func(err error) bool {
		return !errors.Is(err, nats.ErrConnectionClosed) // nothing will carry it: JetStream redelivers the host
	}}, func(ctx context.Context, _ int) error {
		// Each attempt waits a bounded time for its acknowledgement: one sent while NATS
		// restarts is never answered.
		actx, cancel := context.WithTimeout(ctx, publishAttemptTimeout)
		defer cancel()
		_, err := w.js.PublishMsg(actx, msg)
		return err
	})
	if err != nil {
		w.cfg.Logger.Warn().Err(err).Str("host", wm.Host).Str("run", wm.Run).Msg("natsexec: publishing a result failed; the host will be redelivered")
		return
	}
	if err := m.Ack(); err != nil {
		w.cfg.Logger.Debug().Err(err).Str("host", wm.Host).Msg("natsexec: ack failed (the result is published; a redelivery is deduplicated)")
	}
}

func (w *Worker) onCancel(m *nats.Msg) {
	run := m.Subject[len(w.n.prefix)+len(".cancel."):]
	w.mu.Lock()
	now := time.Now()
	w.cancelled[run] = now
	for r, t := range w.cancelled { // forget old runs
		if now.Sub(t) > resultRetention {
			delete(w.cancelled, r)
		}
	}
	for b := range w.running[run] {
		b.cancel()
	}
	w.mu.Unlock()
}

func (w *Worker) isCancelled(run string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.cancelled[run]
	return ok
}

func (w *Worker) track(run string, b *batch, add bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if add {
		if w.running[run] == nil {
			w.running[run] = map[*batch]struct{}{}
		}
		w.running[run][b] = struct{}{}
		if _, ok := w.cancelled[run]; ok {
			b.cancel()
		}
		return
	}
	delete(w.running[run], b)
	if len(w.running[run]) == 0 {
		delete(w.running, run)
	}
}
