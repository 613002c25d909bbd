package main

import (
	"context"
	"testing"
	"time"
)

// The quickstart runs end to end against 10 simulated devices.
func TestQuickstart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := run(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, "", "platform in [eos, junos"); err == nil {
		t.Fatal("a bad filter was accepted")
	}
}
