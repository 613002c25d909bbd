package conntest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/connection/conntest"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// Unit-test your own task against a scripted fake device.
func ExamplePlugin() {
	fake := conntest.New().
		On("show clock", conntest.Reply{Output: "*10:00:00.000 UTC Mon Jan 1 2024"}).
		On("show users", conntest.Reply{Output: "% Permission denied", Fail: true}).
		On("show tech-support", conntest.Reply{Delay: time.Hour}) // the device is slow

	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "fake"}, fake.Opener())
	h := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Platform: "ios"}}
	inventory.New([]*inventory.Host{h}, nil, nil)
	sessions := connection.NewManager(reg, connection.ManagerConfig{}).Host(h)
	defer sessions.Close()

	// The task under test: reports the clock, tolerates a refused "show users".
	audit := func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		p, err := t.Connection(ctx)
		if err != nil {
			return tasks.Result{}, err
		}
		cli, err := connection.Use[connection.CommandSender](p)
		if err != nil {
			return tasks.Result{}, err
		}
		clock, err := cli.SendCommand(ctx, "show clock")
		if err != nil {
			return tasks.Result{}, err
		}
		if _, err := cli.SendCommand(ctx, "show users"); !errors.Is(err, connection.ErrCommandFailed) {
			return tasks.Result{}, fmt.Errorf("expected a refusal, got %v", err)
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		_, err = cli.SendCommand(ctx, "show tech-support")
		return tasks.Result{Value: clock.Output}, err
	}
	r := tasks.Call(context.Background(), &tasks.Task{Host: h, Connections: sessions}, audit)
	fmt.Println(r.Value)
	fmt.Println(errors.Is(r.Err, context.DeadlineExceeded))
	fmt.Println(fake.Commands("r1"))
	fmt.Println(fake.Stats().Opens)
	// Output:
	// *10:00:00.000 UTC Mon Jan 1 2024
	// true
	// [show clock show users show tech-support]
	// 1
}
