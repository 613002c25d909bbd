package config_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gonorn/norn/config"
	"github.com/gonorn/norn/runner"
)

// Init reads norn.yaml (and NORN_* variables) and returns a loaded inventory and a runner
// configuration with retries, breaker, connection plugins and hooks: Nornir's InitNornir.
func ExampleInit() {
	dir, err := os.MkdirTemp("", "norn-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	write("hosts.yaml", "r1: {hostname: 192.0.2.1, platform: cisco_iosxe}\nr2: {hostname: 192.0.2.2, platform: arista_eos}\n")
	write("norn.yaml", "inventory:\n  simple:\n    dir: "+dir+"\nrunner:\n  workers: 20\n  retries: 2\n")

	n, err := config.Init(context.Background(), filepath.Join(dir, "norn.yaml"))
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close(context.Background())
	r, err := runner.New(n.Runner)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(r.Hosts()), "hosts;", n.Runner.Workers, "workers;", n.Runner.Retry.MaxAttempts, "attempts;", n.Runner.Timeout, "timeout")
	// Output: 2 hosts; 20 workers; 2 attempts; 10s timeout
}

// A program changes settings between Load and Build, the way the norn command applies its
// flags over the file and the environment; errors name where the value came from.
func ExampleConfig_Set() {
	cfg := config.Default() // or config.Load("norn.yaml")
	err := cfg.Set("runner.workers", "0", config.Origin{Source: config.FromFlag, Name: "-workers"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Validate())
	// Output: -workers 0: want at least 1
}
