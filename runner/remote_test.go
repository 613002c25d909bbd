package runner

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func TestOnlyRunsTheGivenHostsInOrder(t *testing.T) {
	inv := testInventory(10)
	r, err := New(Config{Inventory: inv, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	all := inv.Hosts()
	picked := []*inventory.Host{all[7], all[2], all[5]}
	narrowed := r.Only(picked...).Filter(func(h *inventory.Host) bool { return h != all[5] })
	var got []string
	for _, h := range narrowed.Hosts() {
		got = append(got, h.Name)
	}
	if want := []string{all[7].Name, all[2].Name}; !slices.Equal(got, want) {
		t.Fatalf("Only(...).Filter(...).Hosts() = %v; want %v", got, want)
	}
	res, err := narrowed.Run(context.Background(), "t", func(context.Context, *tasks.Task) (tasks.Result, error) { return tasks.Result{}, nil })
	if err != nil || res.Len() != 2 {
		t.Fatalf("Run: %v, %d results; want 2", err, res.Len())
	}
}

// remoteExec emits results as if hosts ran elsewhere (Job.Run unused).
type remoteExec struct{}

func (remoteExec) Remote() bool { return true }
func (remoteExec) Execute(_ context.Context, job *Job, emit func(int, tasks.Result)) error {
	for i, h := range job.Hosts {
		if i%2 == 0 {
			emit(i, tasks.Result{Host: h.Name, Status: tasks.StatusOK})
		} else {
			emit(i, tasks.Result{Host: h.Name, Status: tasks.StatusFailed, Err: tasks.WithClass(tasks.ClassTimeout, context.DeadlineExceeded)})
		}
	}
	return nil
}

func TestRemoteExecutorResultsReachTheControllersHooks(t *testing.T) {
	var ok, failed, started atomic.Int64
	r, err := New(Config{Inventory: testInventory(6), Executor: remoteExec{}, Hooks: []hooks.Hook{
		hooks.TaskStartFunc(func(context.Context, *hooks.Event) error { started.Add(1); return nil }),
		hooks.TaskOKFunc(func(context.Context, *hooks.Event) { ok.Add(1) }),
		hooks.TaskFailedFunc(func(_ context.Context, e *hooks.Event) {
			if tasks.Classify(e.Result.Err) != tasks.ClassTimeout {
				t.Errorf("TaskFailed got %v", e.Result.Err)
			}
			failed.Add(1)
		}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), "t", func(context.Context, *tasks.Task) (tasks.Result, error) {
		t.Error("a remote executor's run must not call the task locally")
		return tasks.Result{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if ok.Load() != 3 || failed.Load() != 3 || started.Load() != 0 {
		t.Fatalf("hooks: %d ok, %d failed, %d started; want 3, 3 and 0 (TaskStart runs on the workers)", ok.Load(), failed.Load(), started.Load())
	}
}
