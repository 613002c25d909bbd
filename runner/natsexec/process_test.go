package natsexec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/runner/natsexec"
	"github.com/gonorn/norn/tasks"
)

// Worker processes are this test binary re-executed with these variables set.
const (
	envWorkerURL   = "NORN_NATSEXEC_TEST_WORKER_URL"
	envWorkerHosts = "NORN_NATSEXEC_TEST_WORKER_HOSTS"
	envWorkerDelay = "NORN_NATSEXEC_TEST_WORKER_DELAY"
	envWorkerName  = "NORN_NATSEXEC_TEST_WORKER_NAME"
)

// workerMain is a worker process: it serves queue "emea" of a fleet of the given size with a
// task sleeping the given delay, until SIGTERM (or SIGKILL).
func workerMain() int {
	n, _ := strconv.Atoi(os.Getenv(envWorkerHosts))
	delay, _ := time.ParseDuration(os.Getenv(envWorkerDelay))
	name := os.Getenv(envWorkerName)
	nc, err := nats.Connect(os.Getenv(envWorkerURL), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer nc.Close()
	hosts := make([]*inventory.Host, n)
	for i := range hosts {
		hosts[i] = &inventory.Host{Name: fmt.Sprintf("h%05d", i), Data: map[string]any{"region": "emea"}}
	}
	inv, err := inventory.Build(hosts, nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r, err := runner.New(runner.Config{Inventory: inv, Workers: 200})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	task := func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return tasks.Result{}, context.Cause(ctx)
			}
		}
		return tasks.Result{Value: name}, nil
	}
	ctx, stop := signalContext()
	defer stop()
	w, err := natsexec.NewWorker(ctx, natsexec.WorkerConfig{Conn: nc, Queue: "emea", Runner: r, Name: name,
		Tasks: map[string]tasks.Func{"echo": task}, AckWait: time.Second, Concurrency: 200})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := w.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	notify(ch)
	go func() {
		select {
		case <-ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// startWorkerProcess starts a worker process; kill it with p.Process.Kill.
func startWorkerProcess(t testing.TB, url string, hosts int, delay time.Duration, name string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorkerURL+"="+url, envWorkerHosts+"="+strconv.Itoa(hosts),
		envWorkerDelay+"="+delay.String(), envWorkerName+"="+name)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	return cmd
}

func TestFourWorkerProcessesOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	s := startNATS(t, "", 0)
	defer s.Shutdown()
	const n = 2000
	inv := fleet(t, n, "emea")
	var procs []*exec.Cmd
	for i := range 4 {
		procs = append(procs, startWorkerProcess(t, s.ClientURL(), n, 20*time.Millisecond, fmt.Sprintf("p%d", i)))
	}
	r := controller(t, connect(t, s), inv, func(c *natsexec.Config) { c.Decode = nil })
	var killed bool
	seen := map[string]int{}
	byWorker := map[string]int{}
	ran := 0
	for x := range r.Stream(context.Background(), "echo", echoTask("local", &counter{}, 0)) {
		seen[x.Host]++
		ran++
		if x.OK() {
			var w string
			_ = json.Unmarshal(x.Value.(json.RawMessage), &w)
			byWorker[w]++
		}
		if ran == n/4 && !killed {
			killed = true
			if err := procs[0].Process.Kill(); err != nil { // kill -9 mid-run
				t.Fatal(err)
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("%d hosts reported; want %d", len(seen), n)
	}
	for h, k := range seen {
		if k != 1 {
			t.Fatalf("%s reported %d times", h, k)
		}
	}
	total := 0
	for _, k := range byWorker {
		total += k
	}
	if total != n {
		t.Fatalf("%d hosts ok (%v); want all %d: the killed worker's hosts must be redelivered", total, byWorker, n)
	}
	t.Logf("hosts per worker: %v", byWorker)
}

func TestNATSRestartMidRun(t *testing.T) {
	dir := t.TempDir()
	s := startNATS(t, dir, 0)
	addr := s.ClientURL()
	inv := fleet(t, 300, "emea")
	var c counter
	startWorker(t, connect(t, s), inv, "emea", "w", echoTask("w", &c, 10*time.Millisecond), func(c *natsexec.WorkerConfig) {
		c.Concurrency = 20
		c.AckWait = time.Second
	})
	r := controller(t, connect(t, s), inv, func(c *natsexec.Config) { c.NoWorkerWait = 20 * time.Second })
	done := make(chan *runner.Results)
	go func() {
		res, err := r.Run(context.Background(), "echo", echoTask("local", &c, 0))
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	for {
		c.mu.Lock()
		k := len(c.n)
		c.mu.Unlock()
		if k >= 60 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Shutdown()
	s.WaitForShutdown()
	var p int
	fmt.Sscanf(addr, "nats://127.0.0.1:%d", &p)
	s2 := startNATS(t, dir, p)
	defer s2.Shutdown()
	res := <-done
	if res.Len() != 300 || len(res.OK()) != 299 || len(res.Failed()) != 1 {
		t.Fatalf("after a NATS restart: %d results, %d ok, %d failed, %d not run; want 300, 299, 1, 0",
			res.Len(), len(res.OK()), len(res.Failed()), len(res.NotRun()))
	}
}
