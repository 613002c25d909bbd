package config

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// TestBuildNetBox: one file gives a NetBox inventory (token from the environment), a runner
// configuration and a webhook hook that delivers; errors name the key and its place.
func TestBuildNetBox(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef01234567"
	nb := netboxtest.NewServer(netboxtest.Config{Tokens: []string{token}})
	defer nb.Close()
	nb.AddDevices(
		netboxtest.Device{Name: "r1", Site: "ams1", Role: "core", Platform: "cisco-ios-xe", PrimaryIP4: "192.0.2.1/32"},
		netboxtest.Device{Name: "r2", Site: "fra1", Role: "core", Platform: "ios-xe-17", PrimaryIP4: "192.0.2.2/32", Tags: []string{"backup"}},
	)
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	dir := t.TempDir()
	path := writeFile(t, dir, "norn.yaml", `
inventory:
  netbox:
    url: `+nb.URL+`
    params: {tag: backup}
    platforms: {ios-xe-17: cisco_iosxe}
runner: {workers: 7, retries: 2, retry_wait: 0s, breaker: false}
hooks:
  webhook: {url: `+hook.URL+`}
`)
	t.Setenv("NB_TOKEN", token)
	n, err := Init(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if hosts := n.Inventory.Hosts(); len(hosts) != 1 || hosts[0].Name != "r2" || hosts[0].Platform() != "cisco_iosxe" {
		t.Errorf("inventory: %v", hosts)
	}
	r := n.Runner
	if r.Workers != 7 || r.Retry == nil || r.Retry.MaxAttempts != 2 || r.Retry.InitialInterval != time.Nanosecond ||
		r.Breaker != nil || r.Timeout != 10*time.Second || r.Connections == nil || len(r.Hooks) != 1 || len(n.Hooks.List) != 1 {
		t.Errorf("runner config: %+v", r)
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// A NetBox error names the setting as the file gave it.
	path = writeFile(t, dir, "bad.yaml", "inventory:\n  netbox:\n    url: "+nb.URL+"\n    token_file: "+filepath.Join(dir, "missing")+"\n")
	_, err = Init(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "inventory.netbox.token_file (") || !strings.Contains(err.Error(), "bad.yaml:4:17") {
		t.Errorf("token file error: %v", err)
	}
	if _, err := Init(context.Background(), ""); !errors.Is(err, ErrNoInventory) {
		t.Errorf("no inventory: %v", err)
	}
}
