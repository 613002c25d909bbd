package progress_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/progress"
)

// A Progress hook is passed to the runner among its hooks; here it is driven by hand.
func Example() {
	p := progress.New(progress.Config{Output: os.Stdout, Mode: progress.Off})
	ctx := context.Background()
	p.RunStart(ctx, &hooks.RunEvent{Run: &hooks.Run{Task: "backup", Hosts: 2}})
	p.TaskOK(ctx, &hooks.Event{})
	fmt.Println(p.Line()[:len("backup: 1/2 done (1 ok, 0 failed, 0 retries)")])
	p.RunEnd(ctx, &hooks.RunEvent{})
	// Output: backup: 1/2 done (1 ok, 0 failed, 0 retries)
}
