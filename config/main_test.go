package config

import (
	"testing"

	"go.uber.org/goleak"
)

// Build starts hooks with background goroutines: Close must stop them all.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
