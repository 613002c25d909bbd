package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// TestSetupFailureReachesEveryChannel: an inventory that does not load exits 2 and still raises
// the run-level alert, a webhook "run.failed" event and the setup metrics (pushed with POST, so
// the hosts' series of earlier runs stay).
func TestSetupFailureReachesEveryChannel(t *testing.T) {
	inv := t.TempDir()
	if err := os.WriteFile(filepath.Join(inv, "hosts.yaml"), []byte("r1:\n  hostname: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	am, hook, push := newRecorder(t), newRecorder(t), newRecorder(t)
	code, stdout, stderr := (&fixture{inv: inv, out: filepath.Join(t.TempDir(), "repo")}).run(t,
		"-alertmanager-url", am.URL, "-webhook-url", hook.URL+"/hook", "-pushgateway-url", push.URL)
	if code != exitUsage {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	t.Run("unusable repository", func(t *testing.T) {
		f := newFixture(t, 1, nil)
		f.out = filepath.Join(t.TempDir(), "a-file")
		if err := os.WriteFile(f.out, []byte("not a repository"), 0o600); err != nil {
			t.Fatal(err)
		}
		am := newRecorder(t)
		if code, stdout, stderr := f.run(t, "-alertmanager-url", am.URL); code != exitUsage {
			t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout, stderr)
		}
		mustMatch(t, "alerts", `"stage":"repository"`, am.all("POST /api/v2/alerts"))
	})
	alerts := am.all("POST /api/v2/alerts")
	mustMatch(t, "alerts", `"alertname":"NornSetupFailed"`, alerts)
	mustMatch(t, "alerts", `"error_class":"setup"`, alerts)
	mustMatch(t, "alerts", `"stage":"inventory"`, alerts)
	mustMatch(t, "alerts", `hosts\.yaml`, alerts)
	mustMatch(t, "webhook", `"type":"run.failed"`, hook.all("POST /hook"))
	pushed := push.all("POST /metrics/job/norn_backup")
	mustMatch(t, "push", `norn_run_setup_failed\{task="backup"\} 1`, pushed)
	mustMatch(t, "push", `norn_inventory_load_failed\{task="backup"\} 1`, pushed)
	if strings.Contains(pushed, "norn_host_last_success_timestamp_seconds") {
		t.Errorf("a setup-failure push carries host series (it would replace them):\n%s", pushed)
	}
}

// TestAlertsAndMetricsAcrossRuns: the second run of a fleet with one broken host posts the
// broken host's alert again (with an endsAt) and no resolve for the healthy hosts; a -filter run
// still pushes every host's series; a run with Alertmanager down says which alerts were lost.
func TestAlertsAndMetricsAcrossRuns(t *testing.T) {
	f := newFixture(t, 4, map[int]devsim.FaultKind{2: devsim.FaultRejectAuth})
	broken := f.names[2]
	am, push := newRecorder(t), newRecorder(t)
	args := []string{"-alertmanager-url", am.URL, "-pushgateway-url", push.URL, "-retries", "1"}
	for run := 1; run <= 2; run++ {
		if code, stdout, stderr := f.run(t, args...); code != exitFailed {
			t.Fatalf("run %d: exit %d, want 1\n%s\n%s", run, code, stdout, stderr)
		}
	}
	posts := am.list("POST /api/v2/alerts")
	second := strings.Join(posts[len(posts)/2:], "\n")
	for _, h := range f.names {
		if h != broken && strings.Contains(strings.Join(posts, "\n"), `"host":"`+h+`"`) {
			t.Errorf("healthy host %s got an alert or a resolve", h)
		}
	}
	mustMatch(t, "second run's alerts", `"host":"`+broken+`"`, second)
	mustMatch(t, "second run's alerts", `"endsAt":"20`, second)
	mustMatch(t, "second run's alerts", `"error_class":"authentication"`, second)

	// A run filtered to one healthy host pushes the whole fleet's state.
	if code, stdout, stderr := f.run(t, append(args, "-filter", "name="+f.names[0])...); code != exitOK {
		t.Fatalf("filtered run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pushes := push.list("PUT /metrics/job/norn_backup")
	last := pushes[len(pushes)-1]
	for _, h := range f.names {
		mustMatch(t, "filtered run's push", `norn_host_last_success_timestamp_seconds\{host="`+h+`"\}`, last)
	}
	mustMatch(t, "filtered run's push", `norn_host_consecutive_failures\{host="`+broken+`"\} 2`, last)
	mustMatch(t, "filtered run's push", `norn_host_failure_info\{error_class="authentication",host="`+broken+`"\} 1`, last)

	// Alertmanager down: the summary names the host whose alert was lost.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()
	code, stdout, stderr := f.run(t, "-alertmanager-url", down, "-retries", "1")
	if code != exitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	mustMatch(t, "summary", `(?m)^  alertmanager +\d+ not delivered .*: .*`+broken, stdout)
	code, stdout, stderr = f.run(t, "-alertmanager-url", down, "-retries", "1", "-json")
	if code != exitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	mustMatch(t, "-json", `"alerts_undelivered":\s*\{\s*"alertmanager":\s*\[[^]]*"`+broken+`"`, stdout)
}

// list returns the bodies received for key ("METHOD path"), in order.
func (r *recorder) list(key string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies[key]...)
}

// TestNetBoxForbiddenRaisesSetupAlert: NetBox refusing the token (403) is a setup failure that
// reaches Alertmanager, named as the inventory stage, without the token.
func TestNetBoxForbiddenRaisesSetupAlert(t *testing.T) {
	srv := netboxtest.NewServer(netboxtest.Config{Tokens: []string{"0123456789abcdef0123456789abcdef01234567"}})
	defer srv.Close()
	const wrong = "fedcba9876543210fedcba9876543210fedcba98"
	t.Setenv("NB_TOKEN", wrong)
	am := newRecorder(t)
	var stdout, stderr bytes.Buffer
	code := runWith(context.Background(), []string{"-netbox-url", srv.URL, "-netbox-retries", "0", "-out", filepath.Join(t.TempDir(), "repo"),
		"-progress", "off", "-alertmanager-url", am.URL}, &stdout, &stderr, nil)
	if code != exitUsage {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout.String(), stderr.String())
	}
	alerts := am.all("POST /api/v2/alerts")
	mustMatch(t, "alerts", `"alertname":"NornSetupFailed"`, alerts)
	mustMatch(t, "alerts", `"stage":"inventory"`, alerts)
	mustMatch(t, "alerts", `403`, alerts)
	if strings.Contains(alerts, wrong) {
		t.Errorf("the token reached Alertmanager:\n%s", alerts)
	}
}

func TestAlertExpireFlag(t *testing.T) {
	f := &fixture{inv: t.TempDir(), out: filepath.Join(t.TempDir(), "repo")}
	code, _, stderr := f.run(t, "-alertmanager-url", "http://127.0.0.1:9", "-alert-expire", "30s")
	if code != exitUsage {
		t.Fatalf("exit %d, want 2", code)
	}
	mustMatch(t, "stderr", `-alert-expire 30s: want more than 1m0s`, stderr)
}
