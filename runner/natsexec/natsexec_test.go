package natsexec_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/runner/natsexec"
	"github.com/gonorn/norn/tasks"
)

func TestMain(m *testing.M) {
	if os.Getenv(envWorkerURL) != "" {
		os.Exit(workerMain())
	}
	goleak.VerifyTestMain(m,
		// nats-server keeps a few process-wide goroutines after Shutdown.
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*Server).startGoRoutine.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*fileStore).syncBlocks"),
	)
}

// startNATS starts an embedded JetStream server on loopback, storing in dir (a new temporary
// one when dir is ""), on port (a free one when 0).
func startNATS(t testing.TB, dir string, port int) *server.Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if port == 0 {
		port = -1
	}
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	return s
}

func connect(t testing.TB, s *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// fleet builds an inventory of n hosts spread over regions.
func fleet(t testing.TB, n int, regions ...string) *inventory.Inventory {
	t.Helper()
	hosts := make([]*inventory.Host, n)
	for i := range hosts {
		hosts[i] = &inventory.Host{Name: fmt.Sprintf("h%05d", i), Data: map[string]any{"region": regions[i%len(regions)]}}
	}
	inv, err := inventory.Build(hosts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(h string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[h]++
	c.mu.Unlock()
}

// echoTask returns the host's name and its worker's name; hosts named in fail fail.
func echoTask(worker string, c *counter, delay time.Duration) tasks.Func {
	return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		c.add(t.Host.Name)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return tasks.Result{}, context.Cause(ctx)
			}
		}
		if t.Host.Name == "h00007" {
			return tasks.Result{}, errors.New("h00007: boom")
		}
		return tasks.Result{Value: map[string]string{"host": t.Host.Name, "worker": worker}}, nil
	}
}

// startWorker runs a worker for queue over inv until the returned stop is called.
func startWorker(t testing.TB, nc *nats.Conn, inv *inventory.Inventory, queue, name string, fn tasks.Func, mod func(*natsexec.WorkerConfig)) (stop func()) {
	t.Helper()
	r, err := runner.New(runner.Config{Inventory: inv, Workers: 50})
	if err != nil {
		t.Fatal(err)
	}
	cfg := natsexec.WorkerConfig{Conn: nc, Queue: queue, Runner: r, Name: name, Tasks: map[string]tasks.Func{"echo": fn}, AckWait: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	w, err := natsexec.NewWorker(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("worker %s: %v", name, err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func controller(t testing.TB, nc *nats.Conn, inv *inventory.Inventory, mod func(*natsexec.Config), hks ...hooks.Hook) *runner.Runner {
	t.Helper()
	cfg := natsexec.Config{Conn: nc, NoWorkerWait: 5 * time.Second, CancelGrace: 2 * time.Second,
		Decode: func(_ string, raw json.RawMessage) (any, error) {
			var m map[string]string
			err := json.Unmarshal(raw, &m)
			return m, err
		}}
	if mod != nil {
		mod(&cfg)
	}
	ex, err := natsexec.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(runner.Config{Inventory: inv, Executor: ex, Hooks: hks})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegionsRouteAndEveryHostOnce(t *testing.T) {
	s := startNATS(t, "", 0)
	defer s.Shutdown()
	inv := fleet(t, 300, "emea", "amer", "apac")
	var c counter
	for _, q := range []string{"emea", "amer", "apac"} {
		nc := connect(t, s)
		startWorker(t, nc, inv, q, "w-"+q, echoTask("w-"+q, &c, 0), nil)
	}
	// The controller's end hooks observe every remote result (alerting, metrics, progress).
	var okHooks, failedHooks atomic.Int64
	r := controller(t, connect(t, s), inv, nil,
		hooks.TaskOKFunc(func(context.Context, *hooks.Event) { okHooks.Add(1) }),
		hooks.TaskFailedFunc(func(_ context.Context, e *hooks.Event) {
			failedHooks.Add(1)
			if e.Result == nil || e.Result.Host != "h00007" || tasks.Classify(e.Result.Err) != tasks.ClassTask {
				t.Errorf("TaskFailed event %+v", e.Result)
			}
		}),
	)
	res, err := r.Run(context.Background(), "echo", func(context.Context, *tasks.Task) (tasks.Result, error) {
		t.Error("the controller must not run the task itself")
		return tasks.Result{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if okHooks.Load() != 299 || failedHooks.Load() != 1 {
		t.Errorf("controller hooks saw %d ok and %d failed; want 299 and 1", okHooks.Load(), failedHooks.Load())
	}
	if res.Len() != 300 || len(res.OK()) != 299 || len(res.Failed()) != 1 {
		t.Fatalf("results: %d hosts, %d ok, %d failed; want 300, 299, 1", res.Len(), len(res.OK()), len(res.Failed()))
	}
	for x := range res.All() {
		if x.Host == "h00007" {
			if tasks.Classify(x.Err) != tasks.ClassTask || x.Err.Error() != "h00007: boom (on worker w-amer)" {
				t.Errorf("h00007: %v (class %s)", x.Err, tasks.Classify(x.Err))
			}
			continue
		}
		v, _ := x.Value.(map[string]string)
		h, _ := inv.Host(x.Host)
		region, _ := h.Get("region")
		if v["host"] != x.Host || v["worker"] != "w-"+region.(string) {
			t.Errorf("%s: value %v; want it from the worker of region %s", x.Host, x.Value, region)
		}
	}
	// Delivery is at least once: on a loaded machine a host may run twice (its AckWait
	// expired before a worker took it), but it is reported once (checked above).
	c.mu.Lock()
	defer c.mu.Unlock()
	twice := 0
	for _, n := range c.n {
		if n > 1 {
			twice++
		}
	}
	if len(c.n) != 300 {
		t.Errorf("%d hosts ran; want 300", len(c.n))
	}
	if twice > 0 {
		t.Logf("%d hosts ran more than once (redelivered)", twice)
	}
}

func TestRegionWithoutWorkerIsNotRun(t *testing.T) {
	s := startNATS(t, "", 0)
	defer s.Shutdown()
	inv := fleet(t, 40, "emea", "nowhere")
	var c counter
	startWorker(t, connect(t, s), inv, "emea", "w", echoTask("w", &c, 0), nil)
	r := controller(t, connect(t, s), inv, func(c *natsexec.Config) { c.NoWorkerWait = 2 * time.Second })
	res, err := r.Run(context.Background(), "echo", echoTask("local", &c, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NotRun()) != 20 || len(res.OK())+len(res.Failed()) != 20 {
		t.Fatalf("%d not run, %d ok, %d failed; want the 20 hosts of region nowhere not run", len(res.NotRun()), len(res.OK()), len(res.Failed()))
	}
	for _, x := range res.NotRun() {
		var nw *natsexec.NoWorkerError
		if !errors.As(x.Err, &nw) || nw.Queue != "nowhere" || !errors.Is(x.Err, tasks.ErrNotRun) {
			t.Fatalf("%s: %v; want a NoWorkerError for queue nowhere", x.Host, x.Err)
		}
	}
	// The queue's messages were purged: a worker started later gets nothing of this run.
	var late counter
	startWorker(t, connect(t, s), inv, "nowhere", "late", echoTask("late", &late, 0), nil)
	time.Sleep(300 * time.Millisecond)
	late.mu.Lock()
	defer late.mu.Unlock()
	if len(late.n) != 0 {
		t.Fatalf("a late worker ran %d hosts of a finished run", len(late.n))
	}
}

func TestDuplicateDeliveryCountsOnce(t *testing.T) {
	s := startNATS(t, "", 0)
	defer s.Shutdown()
	inv := fleet(t, 50, "emea")
	nc := connect(t, s)
	// Every work message is published a second time under another message id, so each host is
	// delivered (and run) twice.
	sub, err := nc.Subscribe("norn.work.>", func(m *nats.Msg) {
		if m.Header.Get("dup") != "" {
			return
		}
		d := nats.NewMsg(m.Subject)
		d.Data = m.Data
		d.Header.Set("dup", "1")
		d.Header.Set(nats.MsgIdHdr, m.Header.Get(nats.MsgIdHdr)+".dup")
		_ = nc.PublishMsg(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	var c counter
	startWorker(t, connect(t, s), inv, "emea", "w", echoTask("w", &c, 0), nil)
	r := controller(t, connect(t, s), inv, nil)
	res, err := r.Run(context.Background(), "echo", echoTask("local", &c, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Len() != 50 || len(res.OK()) != 49 {
		t.Fatalf("%d results, %d ok; want 50, 49", res.Len(), len(res.OK()))
	}
	if res.Summary.OK != 49 || res.Summary.Failed != 1 || res.Summary.NotRun != 0 {
		t.Fatalf("summary %+v: a duplicate was counted", res.Summary)
	}
}

func TestCancelAccountsEveryHostAndPurges(t *testing.T) {
	s := startNATS(t, "", 0)
	defer s.Shutdown()
	inv := fleet(t, 200, "emea")
	var c counter
	startWorker(t, connect(t, s), inv, "emea", "w", echoTask("w", &c, 200*time.Millisecond), func(c *natsexec.WorkerConfig) { c.Concurrency = 10 })
	r := controller(t, connect(t, s), inv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once a few hosts are done (Ctrl-C mid-run).
	var ok, failed, notRun int
	seen := map[string]bool{}
	for x := range r.Stream(ctx, "echo", echoTask("local", &c, 0)) {
		if seen[x.Host] {
			t.Fatalf("%s reported twice", x.Host)
		}
		seen[x.Host] = true
		switch x.Status {
		case tasks.StatusOK:
			ok++
			if ok == 5 {
				cancel()
			}
		case tasks.StatusFailed:
			failed++
		default:
			notRun++
		}
	}
	if ok+failed+notRun != 200 || notRun == 0 || ok < 5 {
		t.Fatalf("%d ok, %d failed, %d not run: want every host accounted, some ok and some not run", ok, failed, notRun)
	}
	time.Sleep(300 * time.Millisecond)
	c.mu.Lock()
	ran := len(c.n)
	c.mu.Unlock()
	if ran >= 200 {
		t.Fatalf("the worker ran all %d hosts of a cancelled run", ran)
	}
	// Nothing of the run is left queued.
	js, _ := connect(t, s).JetStream()
	info, err := js.StreamInfo("NORN_WORK")
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Fatalf("%d work messages left after the cancelled run", info.State.Msgs)
	}
}

func TestWorkerLostMidRunIsRedelivered(t *testing.T) {
	s := startNATS(t, "", 0)
	defer s.Shutdown()
	inv := fleet(t, 60, "emea")
	var c counter
	var lostRan atomic.Int64
	lostConn := connect(t, s)
	lost := func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		lostRan.Add(1)
		<-ctx.Done() // hangs until its connection is gone and the worker stops
		return tasks.Result{}, ctx.Err()
	}
	stopLost := startWorker(t, lostConn, inv, "emea", "lost", lost, func(c *natsexec.WorkerConfig) { c.AckWait = time.Second; c.Concurrency = 5 })
	r := controller(t, connect(t, s), inv, nil)
	done := make(chan *runner.Results)
	go func() {
		res, _ := r.Run(context.Background(), "echo", echoTask("local", &c, 0))
		done <- res
	}()
	for lostRan.Load() < 5 {
		time.Sleep(10 * time.Millisecond)
	}
	startWorker(t, connect(t, s), inv, "emea", "survivor", echoTask("survivor", &c, 0), func(c *natsexec.WorkerConfig) { c.AckWait = time.Second })
	lostConn.Close() // like kill -9: no ack, no result, no heartbeat
	go stopLost()
	res := <-done
	if res.Len() != 60 || len(res.OK()) != 59 || len(res.Failed()) != 1 {
		t.Fatalf("%d results, %d ok, %d failed, %d not run; want 60, 59 ok, 1 failed", res.Len(), len(res.OK()), len(res.Failed()), len(res.NotRun()))
	}
}

func TestLargeResultsTravelThroughTheObjectStore(t *testing.T) {
	s := startNATS(t, "", 0)
	defer s.Shutdown()
	inv := fleet(t, 6, "emea")
	nc := connect(t, s)
	big := func(_ context.Context, tk *tasks.Task) (tasks.Result, error) {
		// A 3 MB configuration: over the server's 1 MB max payload.
		b := make([]byte, 3<<20)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		return tasks.Result{Value: map[string]string{"host": tk.Host.Name, "config": string(b)}}, nil
	}
	startWorker(t, connect(t, s), inv, "emea", "w", big, nil)
	r := controller(t, nc, inv, nil)
	res, err := r.Run(context.Background(), "echo", big)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.OK()) != 6 {
		for x := range res.All() {
			t.Logf("%s: %v %v", x.Host, x.Status, x.Err)
		}
		t.Fatalf("%d of 6 ok", len(res.OK()))
	}
	for x := range res.All() {
		v := x.Value.(map[string]string)
		if v["host"] != x.Host || len(v["config"]) != 3<<20 {
			t.Fatalf("%s: value of %d bytes for host %q", x.Host, len(v["config"]), v["host"])
		}
	}
	// The objects were deleted once read.
	js, _ := nc.JetStream()
	obs, err := js.ObjectStore("norn_payloads")
	if err != nil {
		t.Fatalf("no object store: %v", err)
	}
	if list, _ := obs.List(); len(list) != 0 {
		t.Fatalf("%d objects left in the store", len(list))
	}
}
