package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The quickstart starts and stops a simulated fleet and SSH sessions: none may outlive a run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
