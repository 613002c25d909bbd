package tasks_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// A task is a plain function; subtasks nest their results under the parent's, and
// tasks.Permanent marks an error the retry middleware must not retry.
func ExampleFunc() {
	checkNTP := func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		if t.Host.Name == "legacy1" {
			return tasks.Result{}, tasks.Permanent(errors.New("platform has no NTP support"))
		}
		out, err := t.Run(ctx, "show ntp status", func(context.Context, *tasks.Task) (tasks.Result, error) {
			return tasks.Result{Value: "Clock is synchronized"}, nil
		})
		if err != nil {
			return tasks.Result{}, err
		}
		return tasks.Result{Value: out.Value}, nil
	}
	for _, name := range []string{"r1", "legacy1"} {
		r := tasks.Call(context.Background(), &tasks.Task{Host: &inventory.Host{Name: name}, Name: "check ntp"}, checkNTP)
		fmt.Println(r.Host, r.Status, r.Value, len(r.Sub), tasks.IsPermanent(r.Err))
	}
	// Output:
	// r1 ok Clock is synchronized 1 false
	// legacy1 failed <nil> 0 true
}
