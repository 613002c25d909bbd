package main

import (
	"testing"

	"github.com/gonorn/norn/config"
)

// netboxTestConfig is the configuration the flags args give, not validated (so that the
// NetBox plugin's own checks can be seen).
func netboxTestConfig(t *testing.T, args ...string) *config.Config {
	t.Helper()
	c := newCommand("test", "", "", "", nil)
	c.inventoryFlags()
	if err := c.fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	for _, kf := range c.bound {
		if kf.set {
			if err := cfg.Set(kf.key.Name, kf.value, config.Origin{Source: config.FromFlag, Name: "-" + kf.key.Flag}); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = cfg.Validate() // settles the inventory plugin; the plugin's own checks are under test
	return cfg
}
