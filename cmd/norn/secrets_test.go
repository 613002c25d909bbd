package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"gopkg.in/yaml.v3"

	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/webhook"
	"github.com/gonorn/norn/tasks/backup"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// TestNoSecretInAnyOutput is the test that cannot be fooled (issue 16): a simulated fleet of the
// five platforms is backed up with every output on (-v, -json, per-host session logs,
// Alertmanager, a signed webhook, Slack, a Pushgateway and the /metrics endpoint), then backed
// up again with -redact off into another repository. Every secret of the unredacted
// configurations (what the backup's rules remove, and every secret-shaped value found by shape
// alone), the login password, the enable secret and the webhook signing secret are searched
// in every byte the first run wrote: zero hits. The same search finds the configuration
// secrets in the unredacted repository and the credentials in the inventory, so it cannot
// pass for want of finding anything.
func TestNoSecretInAnyOutput(t *testing.T) {
	f := newFixture(t, 15, map[int]devsim.FaultKind{
		3: devsim.FaultRejectAuth,     // an alert, a webhook event, a failed-host line
		7: devsim.FaultTruncateConfig, // an incomplete configuration's error message
	})
	logs := filepath.Join(t.TempDir(), "sessions")
	addSessionLog(t, f.inv, filepath.Join(logs, "{platform}", "{host}.log"))

	am, hook, slack, push := newRecorder(t), newRecorder(t), newRecorder(t), newRecorder(t)
	signing, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(webhookSecretEnv, signing)

	var stdout, stderr safeBuffer
	var mu sync.Mutex
	var scraped []string
	scrape := func(context.Context, *hooks.Event) {
		m := regexp.MustCompile(`metrics: (http://\S+/metrics)`).FindStringSubmatch(stderr.String())
		if m == nil {
			return
		}
		resp, err := http.Get(m[1])
		if err != nil {
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		mu.Lock()
		scraped = append(scraped, string(b))
		mu.Unlock()
	}
	args := []string{"-inventory", f.inv, "-out", f.out, "-progress", "off", "-retry-wait", "10ms", "-timeout", "20s",
		"-v", "-json",
		"-alertmanager-url", am.URL, "-webhook-url", hook.URL + "/hooks/norn", "-slack-url", slack.URL + "/services/T0/B0/XYZ",
		"-pushgateway-url", push.URL, "-metrics-listen", "127.0.0.1:0"}
	code := runWith(context.Background(), args, &stdout, &stderr,
		[]any{hooks.TaskOKFunc(scrape), hooks.TaskFailedFunc(scrape)})
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, stdout.String(), tail(stderr.String(), 30))
	}

	// The unredacted copy.
	off := filepath.Join(t.TempDir(), "unredacted")
	var offOut, offErr bytes.Buffer
	if code := runWith(context.Background(), []string{"-inventory", f.inv, "-out", off, "-progress", "off", "-retry-wait", "10ms",
		"-timeout", "20s", "-redact", "off"}, &offOut, &offErr, nil); code != exitFailed {
		t.Fatalf("-redact off: exit %d\n%s\n%s", code, offOut.String(), offErr.String())
	}

	// The secrets.
	configSecrets := map[string]bool{}
	perPlatform := map[string]int{}
	for i, name := range f.names {
		if i == 3 || i == 7 {
			continue
		}
		clear, err := os.ReadFile(filepath.Join(off, gitstore.ConfigsDir, gitstore.FileName(name)))
		if err != nil {
			t.Fatalf("unredacted copy of %s: %v", name, err)
		}
		red, err := os.ReadFile(configFile(f, name))
		if err != nil {
			t.Fatalf("redacted copy of %s: %v", name, err)
		}
		n := 0
		for _, s := range append(removedSecrets(t, name, string(clear), string(red)), shapedSecrets(string(clear))...) {
			if !configSecrets[s] {
				configSecrets[s] = true
				n++
			}
		}
		perPlatform[platformOf(t, f, name)] += n
	}
	for _, p := range []string{"cisco_iosxe", "cisco_nxos", "cisco_iosxr", "arista_eos", "juniper_junos"} {
		if perPlatform[p] < 3 {
			t.Errorf("only %d secrets collected from the %s configurations: %v", perPlatform[p], p, perPlatform)
		}
	}
	var secrets []string
	for s := range configSecrets {
		secrets = append(secrets, s)
	}
	slices.Sort(secrets)
	credentials := []string{testPassword, testEnable, signing}
	t.Logf("searching %d configuration secrets (%v by platform) and %d credentials", len(secrets), perPlatform, len(credentials))

	// The search finds what it looks for: the configuration secrets in the unredacted
	// repository (its git objects, decompressed), the credentials where they are given.
	offBytes := treeBytes(t, off)
	for k, v := range gitObjects(t, off) {
		offBytes[k] = v
	}
	if missing := slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return len(findIn(offBytes, s)) > 0 }); len(missing) > 0 {
		t.Errorf("%d secrets not found in the unredacted repository (the search is broken): %q", len(missing), missing)
	}
	if hits := findIn(treeBytes(t, f.inv), testPassword); len(hits) == 0 {
		t.Error("the login password is not found in the inventory (the search is broken)")
	}

	// Every byte the run wrote.
	out := map[string][]byte{
		"stdout (-json)": []byte(stdout.String()),
		"stderr (-v)":    []byte(stderr.String()),
	}
	for what, r := range map[string]*recorder{"alertmanager": am, "webhook": hook, "slack": slack, "pushgateway": push} {
		for _, k := range r.keys() {
			out[what+" "+k] = []byte(r.all(k))
		}
	}
	mu.Lock()
	out["/metrics"] = []byte(strings.Join(scraped, "\n"))
	mu.Unlock()
	for k, v := range treeBytes(t, f.out) { // configs, status.json, .git as stored
		out["repository "+k] = v
	}
	for k, v := range gitObjects(t, f.out) {
		out["repository "+k] = v
	}
	sessions := treeBytes(t, logs)
	for k, v := range sessions {
		out["session log "+k] = v
	}

	// None of it is vacuous.
	for i, name := range f.names {
		if i == 3 {
			continue
		}
		p := platformOf(t, f, name)
		b := sessions[filepath.Join(p, name+".log")]
		if !bytes.Contains(b, []byte("show ")) || !bytes.Contains(b, []byte("<redacted>")) {
			t.Errorf("session log of %s (%s) lacks the session or any redaction (%d bytes)", name, p, len(b))
		}
	}
	for what, want := range map[string]string{"alertmanager POST /api/v2/alerts": f.names[3], "webhook POST /hooks/norn": f.names[3],
		"pushgateway PUT /metrics/job/norn_backup": "norn_", "/metrics": "norn_", "stderr (-v)": "task failed", "stdout (-json)": f.names[7]} {
		if !bytes.Contains(out[what], []byte(want)) {
			t.Errorf("%s lacks %q (%d bytes): the output is not what the search should cover", what, want, len(out[what]))
		}
	}

	searchAll(t, "norn backup", out, append(secrets, credentials...))

	// norn run on the same fleet: its logs and events (-v, session logs, alerts, webhook,
	// Pushgateway) hold no secret either. The command output on stdout is the user's: a "show
	// running-config" there is what was asked for.
	runLogs := filepath.Join(t.TempDir(), "run-sessions")
	addSessionLog(t, f.inv, filepath.Join(runLogs, "{host}.log"))
	out = map[string][]byte{}
	for _, rc := range []struct{ filter, command string }{
		{"platform in [cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos]", "show running-config"},
		{"platform=juniper_junos", "show configuration"},
	} {
		am, hook, push = newRecorder(t), newRecorder(t), newRecorder(t)
		code, runOut, runErr := norn(t, "run", "-inventory", f.inv, "-filter", rc.filter, "-v", "-progress", "lines",
			"-retries", "1", "-timeout", "20s", "-alertmanager-url", am.URL, "-webhook-url", hook.URL+"/hooks/norn",
			"-pushgateway-url", push.URL, rc.command)
		if code == exitUsage {
			t.Fatalf("norn run -filter %q: exit %d\n%s", rc.filter, code, tail(runErr, 30))
		}
		if !strings.Contains(runOut, "hostname ") && !strings.Contains(runOut, "host-name ") {
			t.Errorf("norn run -filter %q printed no configuration:\n%s", rc.filter, tail(runOut, 10))
		}
		// The devices did print their secrets (to the user, on stdout): the sessions saw them.
		if n := len(slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return !strings.Contains(runOut, s) })); n == 0 {
			t.Errorf("norn run -filter %q: no secret in the command output, so the session logs prove nothing", rc.filter)
		}
		out["norn run stderr (-v) "+rc.filter] = []byte(runErr)
		for what, r := range map[string]*recorder{"alertmanager": am, "webhook": hook, "pushgateway": push} {
			for _, k := range r.keys() {
				out[what+" "+k+" "+rc.filter] = []byte(r.all(k))
			}
		}
	}
	for k, v := range treeBytes(t, runLogs) {
		out["session log "+k] = v
	}
	for i, name := range f.names {
		if b := out["session log "+name+".log"]; i != 3 && (!bytes.Contains(b, []byte("show ")) || !bytes.Contains(b, []byte("<redacted>"))) {
			t.Errorf("norn run: session log of %s lacks the command or any redaction (%d bytes)", name, len(b))
		}
	}
	first := " platform in [cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos]"
	for what, want := range map[string]string{"alertmanager POST /api/v2/alerts" + first: f.names[3],
		"webhook POST /hooks/norn" + first: f.names[3], "norn run stderr (-v)" + first: f.names[3]} {
		if !bytes.Contains(out[what], []byte(want)) {
			t.Errorf("norn run: %s lacks %q (%d bytes)", what, want, len(out[what]))
		}
	}
	searchAll(t, "norn run", out, append(secrets, credentials...))
}

// searchAll fails the test for each secret found in an output.
func searchAll(t *testing.T, what string, out map[string][]byte, secrets []string) {
	t.Helper()
	total := 0
	for _, v := range out {
		total += len(v)
	}
	t.Logf("%s: searched %d outputs, %d bytes, for %d secrets", what, len(out), total, len(secrets))
	for _, s := range secrets {
		for _, where := range findIn(out, s) {
			t.Errorf("%s: secret %q found in %s", what, s, where)
		}
	}
}

func platformOf(t *testing.T, f *fixture, name string) string {
	t.Helper()
	d, ok := f.fleet.Device(name)
	if !ok {
		t.Fatalf("no device %s", name)
	}
	return string(d.Platform())
}

// addSessionLog sets the scrapli session_log extra in the inventory's defaults.yaml.
func addSessionLog(t *testing.T, inv, path string) {
	t.Helper()
	file := filepath.Join(inv, "defaults.yaml")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	co, _ := d["connection_options"].(map[string]any)
	sc, _ := co["scrapli"].(map[string]any)
	ex, _ := sc["extras"].(map[string]any)
	if ex == nil {
		t.Fatalf("defaults.yaml has no connection_options.scrapli.extras:\n%s", b)
	}
	ex["session_log"] = path
	if b, err = yaml.Marshal(d); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// removedSecrets returns what the redaction removed: the text of the unredacted line where
// the redacted one has a placeholder.
func removedSecrets(t *testing.T, host, clear, red string) []string {
	t.Helper()
	cl, rl := strings.Split(clear, "\n"), strings.Split(red, "\n")
	if len(cl) != len(rl) {
		t.Fatalf("%s: %d lines unredacted, %d redacted", host, len(cl), len(rl))
	}
	var out []string
	for i := range cl {
		if cl[i] == rl[i] {
			continue
		}
		parts := strings.Split(rl[i], backup.Placeholder)
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		m := regexp.MustCompile(`^` + strings.Join(parts, `(.+?)`) + `$`).FindStringSubmatch(cl[i])
		if m == nil {
			t.Fatalf("%s: cannot align %q with %q", host, cl[i], rl[i])
		}
		for _, s := range m[1:] {
			if len(s) >= 6 { // shorter ones would match by chance; devsim's are longer
				out = append(out, s)
			}
		}
	}
	return out
}

// secretShapes find secrets by shape alone, independently of the redaction rules: crypt
// hashes and Junos $9$ values, Cisco type 7 and IOS-XR "encrypted" values, SNMP communities.
var secretShapes = []*regexp.Regexp{
	regexp.MustCompile(`\$(?:1|5|6|8|9|14)\$[^\s";]{6,}`),
	regexp.MustCompile(`\b(?:7|encrypted) "?([0-9A-F]{8,})\b`),
	regexp.MustCompile(`\bcommunity "?([^\s";{]{6,})`),
	regexp.MustCompile(`\bsnmp-server host \S+ (?:vrf \S+ )?(?:(?:traps|informs) )?version (?:1|2c) ([^\s"]{6,})`),
}

func shapedSecrets(config string) []string {
	var out []string
	for _, re := range secretShapes {
		for _, m := range re.FindAllStringSubmatch(config, -1) {
			out = append(out, m[len(m)-1])
		}
	}
	return out
}

// treeBytes returns every regular file under dir by its relative path.
func treeBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// gitObjects returns every object of the repository at dir, loose or packed, decompressed.
func gitObjects(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	iter, err := repo.Storer.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	err = iter.ForEach(func(o plumbing.EncodedObject) error {
		r, err := o.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		out["git "+o.Type().String()+" "+o.Hash().String()] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no git object in %s", dir)
	}
	return out
}

// findIn returns the names of the outputs holding s.
func findIn(outputs map[string][]byte, s string) []string {
	var where []string
	for name, b := range outputs {
		if bytes.Contains(b, []byte(s)) {
			where = append(where, name)
		}
	}
	slices.Sort(where)
	return where
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestOneLineRedacts: a failure message printed in the summary or the -json document has its
// secret-shaped values masked, whatever error produced it.
func TestOneLineRedacts(t *testing.T) {
	for _, msg := range []string{
		"dial https://netops:Hunter2-x@netbox.example/api: refused",
		"% Invalid input: username netops secret 0 Hunter2-x",
		`{"detail": "token=Hunter2-x rejected"}`,
	} {
		if got := oneLine(errors.New(msg)); strings.Contains(got, "Hunter2-x") || !strings.Contains(got, "<redacted>") {
			t.Errorf("oneLine(%q) = %q", msg, got)
		}
	}
}
