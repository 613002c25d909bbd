package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/connection/conntest"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// fixture is a registry with the fake plugin for cisco_iosxe, a manager, and one host.
type fixture struct {
	fake *conntest.Plugin
	reg  *connection.Registry
	m    *connection.Manager
	host *inventory.Host
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	f := &fixture{fake: conntest.New(), reg: connection.NewRegistry()}
	f.reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "fake"}, f.fake.Opener(), connection.Default())
	f.m = connection.NewManager(f.reg, connection.ManagerConfig{})
	f.host = &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Hostname: "127.0.0.1", Platform: "ios"}}
	inventory.New([]*inventory.Host{f.host}, nil, nil)
	return f
}

// run runs fn for the fixture's host like the runner does: one Sessions per host task, closed
// when it ends.
func (f *fixture) run(fn tasks.Func, dryRun bool) tasks.Result {
	s := f.m.Host(f.host)
	defer s.Close()
	return tasks.Call(context.Background(), &tasks.Task{Host: f.host, Name: "t", DryRun: dryRun, Connections: s}, fn)
}

func TestSendCommand(t *testing.T) {
	f := newFixture(t)
	f.fake.On("show version", conntest.Reply{Output: "Cisco IOS XE Software, Version 17.03.01a"})
	r := f.run(tasks.SendCommand("show version"), false)
	if !r.OK() || r.Value != "Cisco IOS XE Software, Version 17.03.01a" || r.Changed || r.Host != "r1" {
		t.Fatalf("result = %+v", r)
	}
	r = f.run(tasks.SendCommand("show bogus"), false)
	var ce *connection.CommandError
	if !r.Failed() || !errors.As(r.Err, &ce) || ce.Host != "r1" || r.Value != conntest.InvalidInput {
		t.Errorf("rejected command: %+v", r)
	}
	if st := f.fake.Stats(); st.Opens != 2 || st.Open != 0 {
		t.Errorf("fake stats = %+v", st)
	}
}

func TestSendCommands(t *testing.T) {
	f := newFixture(t)
	f.fake.On("show clock", conntest.Reply{Output: "10:00"}).On("show users", conntest.Reply{Output: "admin"})
	r := f.run(tasks.SendCommands("show clock", "show users"), false)
	rs, _ := r.Value.([]connection.Response)
	if !r.OK() || len(rs) != 2 || rs[0].Output != "10:00" || rs[1].Command != "show users" {
		t.Fatalf("result = %+v", r)
	}
	r = f.run(tasks.SendCommands("show clock", "bogus", "show users"), false)
	rs, _ = r.Value.([]connection.Response)
	if !errors.Is(r.Err, connection.ErrCommandFailed) || len(rs) != 2 || rs[1].Output != conntest.InvalidInput {
		t.Errorf("partial: %+v", r)
	}
}

func TestSendConfig(t *testing.T) {
	f := newFixture(t)
	lines := []string{"ntp server 127.0.0.5", "logging host 127.0.0.6"}

	r := f.run(tasks.SendConfig(lines, connection.ConfigOptions{}), true) // task dry run
	if !r.OK() || r.Changed || r.Diff != "+ntp server 127.0.0.5\n+logging host 127.0.0.6" {
		t.Fatalf("dry run result = %+v", r)
	}
	for _, s := range f.fake.Sent() {
		if !s.DryRun {
			t.Errorf("dry run sent %+v without DryRun", s)
		}
	}
	if strings.Contains(f.fake.Running("r1"), "ntp") {
		t.Fatal("dry run applied configuration")
	}

	r = f.run(tasks.SendConfig(lines, connection.ConfigOptions{Comment: "ntp"}), false)
	if !r.OK() || !r.Changed {
		t.Fatalf("result = %+v", r)
	}
	if rs, _ := r.Value.([]connection.Response); len(rs) != 2 {
		t.Errorf("value = %#v", r.Value)
	}
	if !strings.Contains(f.fake.Running("r1"), "logging host 127.0.0.6") {
		t.Errorf("not applied: %q", f.fake.Running("r1"))
	}

	r = f.run(tasks.SendConfig(lines, connection.ConfigOptions{DryRun: true}), false) // options dry run
	if r.Changed || !f.fake.Sent()[len(f.fake.Sent())-1].DryRun {
		t.Errorf("opts.DryRun ignored: %+v", r)
	}

	f.fake.On("bad", conntest.Reply{Output: "% Invalid input", Fail: true})
	r = f.run(tasks.SendConfig([]string{"good", "bad"}, connection.ConfigOptions{}), false)
	if !errors.Is(r.Err, connection.ErrCommandFailed) || !r.Changed {
		t.Errorf("partly applied push must fail and report a change: %+v", r)
	}
	r = f.run(tasks.SendConfig([]string{"bad", "good"}, connection.ConfigOptions{}), false)
	if !errors.Is(r.Err, connection.ErrCommandFailed) || r.Changed {
		t.Errorf("push rejected at its first line changed nothing: %+v", r)
	}

	opens := f.fake.Stats().Opens
	r = f.run(tasks.SendConfig(nil, connection.ConfigOptions{}), false)
	if !r.OK() || r.Changed || f.fake.Stats().Opens != opens {
		t.Errorf("no lines: %+v, opens %d -> %d", r, opens, f.fake.Stats().Opens)
	}
}

func TestGetConfigFactsSave(t *testing.T) {
	f := newFixture(t)
	f.fake.SetConfig("r1", "hostname r1\n!\nend\n").SetStartupConfig("r1", "hostname old\n")
	if r := f.run(tasks.GetConfig(""), false); !r.OK() || r.Value != "hostname r1\n!\nend\n" {
		t.Errorf("running: %+v", r)
	}
	if r := f.run(tasks.GetConfig("startup"), false); r.Value != "hostname old\n" {
		t.Errorf("startup: %+v", r)
	}
	if r := f.run(tasks.GetConfig("candidate"), false); r.OK() {
		t.Errorf("unknown source: %+v", r)
	}
	if r := f.run(tasks.SaveConfig(), true); !r.OK() || r.Changed || f.fake.Stats().Opens != 3 {
		t.Errorf("dry-run save: %+v (opens %d)", r, f.fake.Stats().Opens)
	}
	if r := f.run(tasks.SaveConfig(), false); !r.OK() || !r.Changed {
		t.Errorf("save: %+v", r)
	}
	if r := f.run(tasks.GetConfig("startup"), false); r.Value != "hostname r1\n!\nend\n" {
		t.Errorf("startup after save: %+v", r)
	}
	f.fake.SetFacts(connection.Facts{Vendor: "Cisco", Model: "C8000V", OSVersion: "17.9.4", Uptime: 2 * time.Hour})
	r := f.run(tasks.GetFacts(), false)
	facts, ok := r.Value.(connection.Facts)
	if !r.OK() || !ok || facts.Model != "C8000V" || facts.Hostname != "r1" {
		t.Errorf("facts: %+v", r)
	}
	f.fake.On("show version", conntest.Reply{Drop: true})
	if r := f.run(tasks.GetFacts(), false); !errors.Is(r.Err, connection.ErrConnectionLost) || tasks.Classify(r.Err) != tasks.ClassConnection {
		t.Errorf("lost: %+v", r)
	}
}

func TestNotImplemented(t *testing.T) {
	f := newFixture(t)
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "arista_eos", Type: "ssh", Library: "cli"}, f.fake.CLIOpener())
	f.m = connection.NewManager(reg, connection.ManagerConfig{})
	f.host.Attrs.Platform = "eos"
	r := f.run(tasks.GetConfig("running"), false)
	var ni *connection.NotImplementedError
	if !errors.As(r.Err, &ni) || !errors.Is(r.Err, errors.ErrUnsupported) {
		t.Fatalf("err = %v", r.Err)
	}
	if ni.Capability != "connection.ConfigGetter" || ni.Method != "GetConfig" || ni.Host != "r1" || ni.Platform != "eos" || ni.Plugin.Library != "cli" {
		t.Errorf("NotImplementedError = %+v", ni)
	}
	// Commands still work on it.
	f.fake.On("show clock", conntest.Reply{Output: "10:00"})
	if r := f.run(tasks.SendCommand("show clock"), false); !r.OK() {
		t.Errorf("%+v", r)
	}
}

// TestCapabilityChoosesPlugin: with an SSH plugin (commands only, platform default) and a
// NETCONF plugin (everything), each built-in task gets the plugin that can do its job.
func TestCapabilityChoosesPlugin(t *testing.T) {
	ssh, netconf := conntest.New(), conntest.New()
	ssh.On("show clock", conntest.Reply{Output: "ssh"})
	netconf.On("show clock", conntest.Reply{Output: "netconf"}).SetConfig("", "<config/>")
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "ios", Type: "ssh", Library: "scrapli"}, ssh.CLIOpener(), connection.Default())
	reg.MustRegister(connection.Key{Platform: "ios", Type: "netconf", Library: "scrapli"}, netconf.Opener())
	m := connection.NewManager(reg, connection.ManagerConfig{})
	h := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Platform: "cisco_ios"}}
	inventory.New([]*inventory.Host{h}, nil, nil)
	s := m.Host(h)
	defer s.Close()
	task := &tasks.Task{Host: h, Name: "parent", Connections: s}
	r := tasks.Call(context.Background(), task, func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		a, err := t.Run(ctx, "clock", tasks.SendCommand("show clock"))
		if err != nil {
			return tasks.Result{}, err
		}
		b, err := t.Run(ctx, "config", tasks.GetConfig("running"))
		if err != nil {
			return tasks.Result{}, err
		}
		c, err := t.Run(ctx, "clock over netconf", tasks.WithConnection(tasks.SendCommand("show clock"), connection.WithType("netconf")))
		if err != nil {
			return tasks.Result{}, err
		}
		return tasks.Result{Value: fmt.Sprint(a.Value, " ", b.Value, " ", c.Value)}, nil
	})
	if !r.OK() || r.Value != "ssh <config/> netconf" || len(r.Sub) != 3 {
		t.Fatalf("result = %+v", r)
	}
	if ssh.Stats().Opens != 1 || netconf.Stats().Opens != 1 {
		t.Errorf("opens: ssh %d netconf %d, want 1 each (shared by subtasks)", ssh.Stats().Opens, netconf.Stats().Opens)
	}
}

func TestSubtasksShareOneSession(t *testing.T) {
	f := newFixture(t)
	f.fake.On("show clock", conntest.Reply{Output: "10:00", Delay: time.Millisecond})
	r := f.run(func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() { t.Run(ctx, fmt.Sprint("sub", i), tasks.SendCommand("show clock")) })
		}
		wg.Wait()
		return tasks.Result{}, nil
	}, false)
	if !r.OK() || len(r.Sub) != 8 {
		t.Fatalf("result = %+v", r)
	}
	if st := f.fake.Stats(); st.Opens != 1 || st.Open != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestNoConnectionsAndErrors(t *testing.T) {
	h := &inventory.Host{Name: "r1"}
	r := tasks.Call(context.Background(), &tasks.Task{Host: h}, tasks.GetFacts())
	if !errors.Is(r.Err, tasks.ErrNoConnections) {
		t.Errorf("no registry: %v", r.Err)
	}
	r = tasks.Call(context.Background(), &tasks.Task{Host: h}, tasks.WithConnection(tasks.GetFacts(), connection.WithType("ssh")))
	if !errors.Is(r.Err, tasks.ErrNoConnections) {
		t.Errorf("no registry through WithConnection: %v", r.Err)
	}
	f := newFixture(t)
	f.fake.FailOpen("", fmt.Errorf("bad password: %w", connection.ErrAuthentication), 0)
	r = f.run(tasks.SendCommand("show clock"), false)
	if !errors.Is(r.Err, connection.ErrAuthentication) || !tasks.IsPermanent(r.Err) || !strings.Contains(r.Err.Error(), "r1") {
		t.Errorf("auth failure: %v", r.Err)
	}
	f.host.Attrs.Platform = ""
	r = f.run(tasks.SendCommand("show clock"), false)
	if !errors.Is(r.Err, connection.ErrValidation) || tasks.Classify(r.Err) != tasks.ClassConfig {
		t.Errorf("no platform: %v", r.Err)
	}
}

// ExampleSendCommand runs a built-in task against the fake plugin, as a unit test of your own
// tasks would.
func ExampleSendCommand() {
	fake := conntest.New().On("show version", conntest.Reply{Output: "Cisco IOS XE Software, Version 17.03.01a"})
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "fake"}, fake.Opener())

	h := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Hostname: "127.0.0.1", Platform: "ios"}}
	inventory.New([]*inventory.Host{h}, nil, nil)
	sessions := connection.NewManager(reg, connection.ManagerConfig{}).Host(h)
	defer sessions.Close()

	r := tasks.Call(context.Background(), &tasks.Task{Host: h, Name: "version", Connections: sessions}, tasks.SendCommand("show version"))
	fmt.Println(r.Host, r.Status, r.Value)
	fmt.Println(fake.Commands("r1"))
	// Output:
	// r1 ok Cisco IOS XE Software, Version 17.03.01a
	// [show version]
}
