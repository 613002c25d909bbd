package inventory

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine (the parallel YAML parser's workers) outlives a test, and
// removes the benchmark inventory.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(&cleanupM{m})
}

type cleanupM struct{ m *testing.M }

func (c *cleanupM) Run() int {
	code := c.m.Run()
	if benchDir.dir != "" {
		os.RemoveAll(benchDir.dir)
	}
	return code
}
