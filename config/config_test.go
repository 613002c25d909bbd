package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecode(t *testing.T) {
	c, err := Decode("norn.yaml", []byte(`
inventory:
  netbox:
    url: https://netbox.example.com
    token_file: /run/secrets/nb
    group_by: [site, tenant]
    platforms: {ios-xe-17: cisco_iosxe}
    params: {status: active, tag: [backup, core]}
runner: &r
  workers: 20
  timeout: 30s
  retries: 1
  breaker: false
  login_rate: 2.5
logging: {level: debug, format: json}
hooks:
  pushgateway: {url: "http://127.0.0.1:9091", job: nightly}
backup:
  out: /srv/backups
  redact: reversible
  stale: 48h
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	nb := c.Inventory.NetBox
	if c.Inventory.Plugin != "netbox" || nb.URL != "https://netbox.example.com" || nb.TokenFile != "/run/secrets/nb" ||
		strings.Join(nb.GroupBy, ",") != "site,tenant" || nb.Platforms["ios-xe-17"] != "cisco_iosxe" ||
		nb.Params.Encode() != "status=active&tag=backup&tag=core" {
		t.Errorf("inventory: %+v", c.Inventory)
	}
	r := c.Runner
	if r.Workers != 20 || r.Timeout != 30*time.Second || r.Retries != 1 || r.Breaker || r.LoginRate != 2.5 || r.RetryWait != 500*time.Millisecond {
		t.Errorf("runner: %+v", r)
	}
	if c.Logging.Level != "debug" || c.Logging.Format != "json" || c.Logging.Progress != "auto" {
		t.Errorf("logging: %+v", c.Logging)
	}
	if c.Hooks.Pushgateway.Job != "nightly" || c.Backup.Out != "/srv/backups" || c.Backup.Stale != 48*time.Hour || c.Backup.Redact != "reversible" {
		t.Errorf("hooks/backup: %+v %+v", c.Hooks, c.Backup)
	}
	if o := c.Origin("runner.workers"); o.String() != "norn.yaml:10:12" {
		t.Errorf("origin of runner.workers: %s", o)
	}
	if o := c.Origin("runner.retry_wait"); o.Source != FromDefault {
		t.Errorf("origin of runner.retry_wait: %s", o)
	}
}

// TestDecodeErrors: every problem is reported with file:line:col and what to do.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string // regexps, one per problem, in order
		kind       error
	}{
		{"unknown key", "runner:\n  wokers: 3\n", []string{`^norn.yaml:2:3: unknown key "wokers" in runner \(did you mean "workers"\?\)$`}, ErrUnknownKey},
		{"unknown section", "inventroy: {}\n", []string{`^norn.yaml:1:1: unknown key "inventroy" at the top level \(did you mean "inventory"\?\)$`}, ErrUnknownKey},
		{"far unknown", "runner:\n  zzzzzzzz: 1\n", []string{`unknown key "zzzzzzzz" in runner \(known: workers, timeout, `}, ErrUnknownKey},
		{"int", "runner:\n  workers: many\n", []string{`^norn.yaml:2:12: runner.workers "many": want an integer, not the string "many"$`}, ErrWrongType},
		{"duration", "runner:\n  timeout: 10\n", []string{`^norn.yaml:2:12: runner.timeout "10": want a duration such as 10s`}, ErrWrongType},
		{"bad duration", "backup:\n  stale: 1 day\n", []string{`^norn.yaml:2:10: backup.stale "1 day": want a duration`}, ErrWrongType},
		{"bool", "runner:\n  breaker: yes please\n", []string{`^norn.yaml:2:12: runner.breaker "yes please": want true or false`}, ErrWrongType},
		{"section type", "runner: 3\n", []string{`^norn.yaml:1:9: runner 3: want a mapping \(keys workers, `}, ErrWrongType},
		{"list", "inventory:\n  netbox:\n    group_by: {a: b}\n", []string{`^norn.yaml:3:15: inventory.netbox.group_by: want a list of names, not a mapping`}, ErrWrongType},
		{"document", "- a\n- b\n", []string{`^norn.yaml:1:1: want a mapping of sections`}, ErrWrongType},
		{"secret", "inventory:\n  netbox:\n    token: abc123\n", []string{`^norn.yaml:3:5: inventory.netbox.token: secrets are not read from the configuration file .*\$NB_TOKEN or \$NETBOX_TOKEN, or inventory.netbox.token_file$`}, ErrWrongType},
		{"duplicate", "runner:\n  workers: 1\n  workers: 2\n", []string{`^norn.yaml:3:3: duplicate key "runner.workers" \(first at line 2\)$`}, ErrWrongType},
		{"several", "runner:\n  workers: x\nlogging:\n  lvl: debug\n", []string{`^norn.yaml:2:12: `, `^norn.yaml:4:3: unknown key "lvl"`}, nil},
		{"syntax", "runner:\n  workers: [1\n", []string{`^norn.yaml:\d+: malformed YAML: `}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("norn.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !regexp.MustCompile(w).MatchString(lines[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, lines[i], w)
				}
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("errors.Is(%v) false", tc.kind)
			}
			if strings.Contains(err.Error(), "abc123") {
				t.Errorf("the secret is in the error")
			}
		})
	}
}

func TestDecodeAliasesAndNulls(t *testing.T) {
	_, err := Decode("n.yaml", []byte(`
base: &base
  workers: 5
runner:
  <<: *base
  timeout: ~
`))
	if err == nil || !strings.Contains(err.Error(), `unknown key "base"`) {
		t.Fatalf("want the unknown top-level key reported, got %v", err)
	}
	c, err := Decode("n.yaml", []byte("runner:\n  <<: {workers: 5, retries: 2}\n  retries: 4\n  timeout: ~\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Runner.Workers != 5 || c.Runner.Retries != 4 || c.Runner.Timeout != 10*time.Second {
		t.Errorf("merge: %+v", c.Runner)
	}
	if c, err = Decode("empty.yaml", []byte("# nothing\n")); err != nil || c.Runner.Workers != 100 {
		t.Fatalf("empty file: %v %+v", err, c)
	}
}

// TestPrecedence: flags > environment > file > defaults, each origin recorded.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "norn.yaml", "runner:\n  workers: 20\n  timeout: 30s\n  retries: 5\nbackup:\n  out: from-file\n")
	t.Setenv("NORN_WORKERS", "30")
	t.Setenv("NORN_TIMEOUT", "40s")
	t.Setenv("NORN_OUT", "")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("runner.workers", "40", Origin{Source: FromFlag, Name: "-workers"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, value, origin string
	}{
		{"runner.workers", "40", "-workers"},
		{"runner.timeout", "40s", "$NORN_TIMEOUT"},
		{"runner.retries", "5", path + ":4:12"},
		{"backup.out", "from-file", path + ":6:8"},
		{"runner.retry_wait", "500ms", "default"},
	} {
		v, _ := c.Value(tc.key)
		if o := c.Origin(tc.key).String(); v != tc.value || o != tc.origin {
			t.Errorf("%s = %s from %s, want %s from %s", tc.key, v, o, tc.value, tc.origin)
		}
	}
}

// TestInventoryPlugin: the stronger of inventory.simple.dir and inventory.netbox.url wins;
// both at one level is an error.
func TestInventoryPlugin(t *testing.T) {
	c, err := Decode("n.yaml", []byte("inventory:\n  netbox: {url: 'http://127.0.0.1:1'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.Inventory.Plugin != "netbox" {
		t.Fatalf("%v %q", err, c.Inventory.Plugin)
	}
	if err := c.Set("inventory.simple.dir", "./inv", Origin{Source: FromFlag, Name: "-inventory"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.Inventory.Plugin != "simple" {
		t.Fatalf("the flag's inventory: %v %q", err, c.Inventory.Plugin)
	}
	c, _ = Decode("n.yaml", []byte("inventory:\n  simple: {dir: inv}\n  netbox: {url: 'http://127.0.0.1:1'}\n"))
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "n.yaml:3:17: inventory.netbox.url") || !strings.Contains(err.Error(), "choose one inventory") {
		t.Fatalf("two inventories: %v", err)
	}
	c, _ = Decode("n.yaml", []byte("inventory:\n  plugin: netbox\n  simple: {dir: inv}\n"))
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "needs inventory.netbox.url") {
		t.Fatalf("netbox without URL: %v", err)
	}
}

// TestValidate: range errors name the origin as a person would look for it.
func TestValidate(t *testing.T) {
	c := Default()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Set("runner.workers", "0", Origin{Source: FromFlag, Name: "-workers"}))
	must(c.Set("runner.retries", "0", Origin{Source: FromEnv, Name: "NORN_RETRIES"}))
	must(c.Set("logging.progress", "fancy", Origin{Source: FromFlag, Name: "-progress"}))
	must(c.Set("hooks.alertmanager.url", "127.0.0.1:9093", Origin{Source: FromFlag, Name: "-alertmanager-url"}))
	err := c.Validate()
	for _, want := range []string{`-workers 0: want at least 1`, `$NORN_RETRIES=0: want at least 1`, `-progress "fancy": want auto, bar, lines or off`,
		`-alertmanager-url "127.0.0.1:9093": want an http:// or https:// URL`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	if err := c.Set("runner.workers", "lots", Origin{Source: FromEnv, Name: "NORN_WORKERS"}); err == nil || err.Error() != `$NORN_WORKERS="lots": want an integer` {
		t.Errorf("Set: %v", err)
	}
	if err := c.Set("runner.nope", "1", Origin{}); err == nil {
		t.Error("Set of an unknown key: no error")
	}
}

// TestWriteTo: the effective configuration masks secrets and names origins; it reads back.
func TestWriteTo(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "norn.yaml", "hooks:\n  slack: {url: 'https://hooks.slack.com/services/T0/B0/SLACKSECRET'}\n  alertmanager: {url: 'http://am:PWSECRET@127.0.0.1:9093'}\n")
	t.Setenv("NORN_WEBHOOK_SECRET", "whsec_WEBHOOKSECRET")
	t.Setenv("NB_TOKEN", "TOKENSECRET")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, secret := range []string{"SLACKSECRET", "PWSECRET", "WEBHOOKSECRET", "TOKENSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s printed:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		`(?m)^    # secret: \*+ \(\$NORN_WEBHOOK_SECRET\); from \$NORN_WEBHOOK_SECRET, secret_file only$`,
		`(?m)^    # token: \*+ \(\$NB_TOKEN\)`,
		`(?m)^    url: https://hooks.slack.com/services/\.\.\. +# .*norn.yaml:2:16$`,
		`(?m)^    url: http://127.0.0.1:9093 +# .*norn.yaml:3:23$`,
		`(?m)^  workers: 100 +# default$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	// What is printed (secrets aside) is a valid norn.yaml meaning the same.
	back, err := Decode("printed.yaml", b.Bytes())
	if err != nil {
		t.Fatalf("printed configuration does not read back: %v\n%s", err, out)
	}
	if back.Runner != c.Runner || back.Backup != c.Backup || back.Hooks.Pushgateway != c.Hooks.Pushgateway {
		t.Errorf("read back differs")
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv(EnvFile, "")
	if p := Find(""); p != "" {
		t.Errorf("no file: %q", p)
	}
	writeFile(t, dir, FileName, "")
	if p := Find(""); p != FileName {
		t.Errorf("./norn.yaml: %q", p)
	}
	t.Setenv(EnvFile, "/etc/norn.yaml")
	if p := Find(""); p != "/etc/norn.yaml" {
		t.Errorf("$NORN_CONFIG: %q", p)
	}
	if p := Find("x.yaml"); p != "x.yaml" {
		t.Errorf("flag: %q", p)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml does not exist") {
		t.Errorf("missing file: %v", err)
	}
}

// TestREADMEListsEveryKey: the README's norn.yaml reference names every setting.
func TestREADMEListsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip("no README.md:", err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(b), "| `"+k.Name+"` |") {
			t.Errorf("README.md does not list %s", k.Name)
		}
	}
}
