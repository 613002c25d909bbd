package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func newTask(name string) *tasks.Task {
	return &tasks.Task{Host: &inventory.Host{Name: "r1"}, Name: name}
}

func TestCallCompletesTheResult(t *testing.T) {
	r := tasks.Call(context.Background(), newTask("facts"), func(context.Context, *tasks.Task) (tasks.Result, error) {
		return tasks.Result{Value: 42, Changed: true}, nil
	})
	if r.Host != "r1" || r.Task != "facts" || r.Status != tasks.StatusOK || r.Attempts != 1 || r.Started.IsZero() || r.Value != 42 || !r.OK() {
		t.Fatalf("%+v", r)
	}
	r = tasks.Call(context.Background(), newTask("facts"), func(context.Context, *tasks.Task) (tasks.Result, error) {
		return tasks.Result{Value: "partial output"}, errors.New("prompt not found")
	})
	if !r.Failed() || r.Err.Error() != "prompt not found" || r.Value != "partial output" {
		t.Fatalf("%+v", r)
	}
	r = tasks.Call(context.Background(), newTask("x"), nil)
	if !r.Failed() || !tasks.IsPermanent(r.Err) {
		t.Fatalf("nil fn: %+v", r)
	}
}

func TestCallRecoversPanicsWithStack(t *testing.T) {
	r := tasks.Call(context.Background(), newTask("x"), func(context.Context, *tasks.Task) (tasks.Result, error) {
		var s []int
		return tasks.Result{Value: s[len("boom")]}, nil // index out of range
	})
	var pe *tasks.PanicError
	if !r.Failed() || !errors.As(r.Err, &pe) || tasks.Classify(r.Err) != tasks.ClassPanic {
		t.Fatalf("%+v", r)
	}
	if !strings.Contains(r.Err.Error(), "task panicked: runtime error: index out of range [4] with length 0") || !strings.Contains(string(pe.Stack), "task_test.go") {
		t.Fatalf("%v\n%s", r.Err, pe.Stack)
	}
}

func TestSubtasksNestUnderTheParent(t *testing.T) {
	parent := newTask("backup")
	r := tasks.Call(context.Background(), parent, func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		if _, err := tk.Run(ctx, "show version", func(ctx context.Context, st *tasks.Task) (tasks.Result, error) {
			if st.Host != tk.Host || st.Name != "show version" {
				return tasks.Result{}, errors.New("subtask lost its host")
			}
			return tasks.Result{Value: "15.2"}, nil
		}); err != nil {
			return tasks.Result{}, err
		}
		_, err := tk.Run(ctx, "show run", func(context.Context, *tasks.Task) (tasks.Result, error) { panic("sub bug") })
		if err == nil {
			return tasks.Result{}, errors.New("subtask panic not reported")
		}
		return tasks.Result{Value: "done"}, nil
	})
	if !r.OK() || len(r.Sub) != 2 || r.Sub[0].Task != "show version" || r.Sub[0].Value != "15.2" || !r.Sub[1].Failed() || r.Sub[1].Host != "r1" {
		t.Fatalf("%+v", r)
	}
	parent.ResetSubResults()
	if len(parent.SubResults()) != 0 {
		t.Fatal("ResetSubResults")
	}
}

func TestConnectionWithoutRegistry(t *testing.T) {
	_, err := newTask("x").Connection(context.Background())
	if !errors.Is(err, tasks.ErrNoConnections) || !strings.Contains(err.Error(), "host r1") {
		t.Fatal(err)
	}
}

func TestPermanentAndClassify(t *testing.T) {
	if tasks.Permanent(nil) != nil || tasks.WithClass(tasks.ClassConfig, nil) != nil {
		t.Fatal("nil in, nil out")
	}
	base := errors.New("unsupported")
	p := fmt.Errorf("wrapped: %w", tasks.Permanent(base))
	if !tasks.IsPermanent(p) || !errors.Is(p, base) || p.Error() != "wrapped: unsupported" {
		t.Fatal(p)
	}
	if !tasks.IsPermanent(fmt.Errorf("h: %w", connection.ErrAuthentication)) || tasks.IsPermanent(base) {
		t.Fatal("IsPermanent")
	}
	cases := []struct {
		err  error
		want tasks.Class
	}{
		{nil, tasks.ClassNone},
		{base, tasks.ClassTask},
		{fmt.Errorf("x: %w", connection.ErrAuthentication), tasks.ClassAuthentication},
		{context.DeadlineExceeded, tasks.ClassTimeout},
		{os.ErrDeadlineExceeded, tasks.ClassTimeout},
		{fmt.Errorf("x: %w", context.Canceled), tasks.ClassCanceled},
		{connection.ErrConnectionLost, tasks.ClassConnection},
		{connection.ErrOpen, tasks.ClassConnection},
		{connection.ErrNotFound, tasks.ClassConfig},
		{tasks.ErrNotRun, tasks.ClassNotRun},
		{&tasks.PanicError{Value: 1}, tasks.ClassPanic},
		{tasks.WithClass(tasks.ClassVetoed, context.Canceled), tasks.ClassVetoed},
		{fmt.Errorf("outer: %w", tasks.WithClass("custom", base)), "custom"},
	}
	for _, c := range cases {
		if got := tasks.Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestResultJSON(t *testing.T) {
	r := tasks.Result{Host: "r1", Task: "backup", Status: tasks.StatusFailed, Err: fmt.Errorf("h: %w", connection.ErrAuthentication),
		Attempts: 2, Sub: []tasks.Result{{Host: "r1", Task: "show run", Status: tasks.StatusOK}}}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{`"host":"r1"`, `"status":"failed"`, `"error":"h: connection: authentication failed"`,
		`"error_class":"authentication"`, `"attempts":2`, `"sub":[{"host":"r1","task":"show run","status":"ok"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	if strings.Contains(s, `"started"`) {
		t.Errorf("zero start time encoded: %s", s)
	}
	for st, want := range map[tasks.Status]string{tasks.StatusOK: "ok", tasks.StatusFailed: "failed", tasks.StatusNotRun: "not_run", 0: "unknown"} {
		if st.String() != want {
			t.Errorf("%d: %s", st, st)
		}
	}
}
