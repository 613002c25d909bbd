package hooks_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
)

// A TaskStart hook vetoes hosts that fail a pre-flight check; hooks are called in order and the
// chain stops at the first veto.
func ExampleChain() {
	preflight := hooks.TaskStartFunc(func(_ context.Context, e *hooks.Event) error {
		if e.Host.Name == "r2" {
			return errors.New("in maintenance")
		}
		return nil
	})
	audit := hooks.TaskStartFunc(func(_ context.Context, e *hooks.Event) error {
		fmt.Println("starting", e.Host.Name)
		return nil
	})
	chain, err := hooks.NewChain(zerolog.Nop(), preflight, audit)
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"r1", "r2"} {
		if err := chain.TaskStart(context.Background(), &hooks.Event{Host: &inventory.Host{Name: name}, Task: "backup"}); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// starting r1
	// host r2: vetoed by hook hooks.TaskStartFunc: in maintenance
}
