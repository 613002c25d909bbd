package textfsm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli/scraplitest"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/textfsm"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSendCommandDevsim runs the parse task over real SSH against one simulated device per
// platform and checks the rows against what the devices report through the facts parser (an
// independent parser of the same output) and against their configuration.
func TestSendCommandDevsim(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated fleet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lab := scraplitest.StartFleet(t, ctx, devsim.FleetConfig{N: 5, Seed: 3, ConfigSize: 4 << 10})
	inv, reg := lab.Inventory, lab.Registry
	r, err := runner.New(runner.Config{Inventory: inv, Connections: reg, Workers: 5})
	if err != nil {
		t.Fatal(err)
	}
	ix := loadIndex(t)

	both := func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		parsed, err := tk.Run(ctx, "parse", textfsm.SendCommand(ix, "show version"))
		if err != nil {
			return tasks.Result{}, err
		}
		facts, err := tk.Run(ctx, "facts", tasks.GetFacts())
		if err != nil {
			return tasks.Result{}, err
		}
		return tasks.Result{Value: [2]any{parsed.Value, facts.Value}}, nil
	}
	res, err := r.Run(ctx, "show version", both)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range r.Hosts() {
		hr, ok := res.Get(h.Name)
		if !ok || hr.Err != nil {
			t.Errorf("%s: %v", h.Name, hr.Err)
			continue
		}
		pair := hr.Value.([2]any)
		tb := pair[0].(*textfsm.Table)
		f := pair[1].(connection.Facts)
		if len(tb.Rows) != 1 {
			t.Errorf("%s (%s): %d rows: %v", h.Name, h.Platform(), len(tb.Rows), tb.Rows)
			continue
		}
		row := tb.Rows[0]
		var version, model, serial string
		switch h.Platform() {
		case "cisco_iosxe":
			version, model, serial = "version", "hardware", "serial"
		case "cisco_nxos":
			version, model, serial = "os", "platform", "serial"
		case "cisco_iosxr":
			version, model = "version", "hardware"
		case "arista_eos":
			version, model, serial = "image", "model", "serial_number"
		case "juniper_junos":
			version, model = "junos_version", "model"
		}
		for col, want := range map[string]string{version: f.OSVersion, model: f.Model, serial: f.Serial} {
			if col == "" {
				continue
			}
			if got := row[col]; got != want {
				t.Errorf("%s (%s): %s = %q, facts say %q", h.Name, h.Platform(), col, got, want)
			}
		}
		if f.OSVersion == "" {
			t.Errorf("%s: facts without a version", h.Name)
		}
	}

	// IOS-XE "show ip interface brief": one row per interface of the running configuration.
	iosxe := r.Filter(inventory.Platform("cisco_iosxe"))
	res, err = iosxe.Run(ctx, "ip brief", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
		parsed, err := tk.Run(ctx, "parse", textfsm.SendCommand(ix, "sh ip int br"))
		if err != nil {
			return tasks.Result{}, err
		}
		cfg, err := tk.Run(ctx, "config", tasks.GetConfig("running"))
		if err != nil {
			return tasks.Result{}, err
		}
		return tasks.Result{Value: [2]any{parsed.Value, cfg.Value}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range iosxe.Hosts() {
		hr, _ := res.Get(h.Name)
		if hr.Err != nil {
			t.Fatalf("%s: %v", h.Name, hr.Err)
		}
		pair := hr.Value.([2]any)
		tb, cfg := pair[0].(*textfsm.Table), pair[1].(string)
		var want []string
		for line := range strings.SplitSeq(cfg, "\n") {
			if name, ok := strings.CutPrefix(line, "interface "); ok {
				want = append(want, strings.TrimSpace(name))
			}
		}
		type brief struct {
			Interface, IPAddress, Status, Proto string
		}
		var rows []brief
		if err := textfsm.Decode(tb.Rows, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(want) || len(rows) == 0 {
			t.Fatalf("%s: %d rows, configuration has %d interfaces\n%s", h.Name, len(rows), len(want), tb)
		}
		for i, r := range rows {
			if r.Interface != want[i] || (r.Status != "up" && r.Status != "administratively down") {
				t.Errorf("%s: row %d = %+v, want interface %s", h.Name, i, r, want[i])
			}
		}
	}

	// A command without a template fails the host permanently, naming platform and command.
	res, err = r.Filter(inventory.Platform("arista_eos")).Run(ctx, "no template", textfsm.SendCommand(ix, "show clock"))
	if err != nil {
		t.Fatal(err)
	}
	for hr := range res.All() {
		if hr.Err == nil || !strings.Contains(hr.Err.Error(), `no template for platform arista_eos command "show clock"`) || hr.Attempts > 1 {
			t.Errorf("%s: err = %v (attempts %d)", hr.Host, hr.Err, hr.Attempts)
		}
	}
}
