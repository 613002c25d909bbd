package connection_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// echoSession is a tiny plugin's session: it "sends" commands by echoing them upper-cased.
// Its method set is its capabilities: connection.Session and connection.CommandSender.
type echoSession struct{ host string }

func (s *echoSession) Close() error { return nil }

func (s *echoSession) SendCommand(ctx context.Context, cmd string) (connection.Response, error) {
	if err := ctx.Err(); err != nil {
		return connection.Response{}, err
	}
	return connection.Response{Command: cmd, Output: s.host + "# " + strings.ToUpper(cmd)}, nil
}

func (s *echoSession) SendCommands(ctx context.Context, cmds []string) ([]connection.Response, error) {
	var out []connection.Response
	for _, c := range cmds {
		r, err := s.SendCommand(ctx, c)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Interface guards.
var _ connection.CommandSender = (*echoSession)(nil)

// Register a plugin, lend a host's connection to a task, and use a capability with Use.
func Example() {
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "echo"},
		connection.OpenFunc(func(ctx context.Context, t connection.Target) (*echoSession, error) {
			return &echoSession{host: t.Params.Hostname}, nil
		}))

	h := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Hostname: "r1.lab", Platform: "ios"}}
	inventory.New([]*inventory.Host{h}, nil, nil)

	// The runner does this for every host: one Sessions per host task, closed when it ends.
	sessions := connection.NewManager(reg, connection.ManagerConfig{MaxSessions: 100}).Host(h)
	defer sessions.Close()

	showVersion := func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		p, err := t.Connection(ctx) // opened here, on first use
		if err != nil {
			return tasks.Result{}, err
		}
		cli, err := connection.Use[connection.CommandSender](p)
		if err != nil {
			return tasks.Result{}, err
		}
		r, err := cli.SendCommand(ctx, "show version")
		return tasks.Result{Value: r.Output}, err
	}
	res := tasks.Call(context.Background(), &tasks.Task{Host: h, Name: "version", Connections: sessions}, showVersion)
	fmt.Println(res.Host, res.Status, res.Value)
	fmt.Println(res.Value == any("r1.lab# SHOW VERSION"))
	// Output:
	// r1 ok r1.lab# SHOW VERSION
	// true
}

// A capability the plugin lacks is a *NotImplementedError naming what is missing.
func ExampleUse_notImplemented() {
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "arista_eos", Type: "ssh", Library: "echo"},
		connection.OpenFunc(func(context.Context, connection.Target) (*echoSession, error) { return &echoSession{}, nil }))
	h := &inventory.Host{Name: "sw1", Attrs: inventory.Attrs{Platform: "eos"}}
	inventory.New([]*inventory.Host{h}, nil, nil)
	sessions := connection.NewManager(reg, connection.ManagerConfig{}).Host(h)
	defer sessions.Close()

	p, _ := sessions.Get(context.Background())
	_, err := connection.Use[connection.ConfigGetter](p)
	var ni *connection.NotImplementedError
	if errors.As(err, &ni) && errors.Is(err, errors.ErrUnsupported) {
		fmt.Println(ni.Host, ni.Platform, ni.Plugin, ni.Capability, ni.Method)
	}
	// Output:
	// sw1 eos arista_eos/ssh/echo connection.ConfigGetter GetConfig
}

// Several plugins serve one platform: required capabilities, then defaults, choose.
func ExampleRegistry_Resolve() {
	echo := connection.OpenFunc(func(context.Context, connection.Target) (*echoSession, error) { return &echoSession{}, nil })
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "scrapli"}, echo,
		connection.BuiltIn(), connection.Default(), connection.DefaultForType())
	reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "mine"}, echo,
		connection.Default()) // a user default replaces the built-in one
	reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "netconf", Library: "scrapli"}, echo)

	h := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Platform: "cisco_ios"}}
	inventory.New([]*inventory.Host{h}, nil, nil)

	_, err := reg.Resolve(h)
	fmt.Println(errors.Is(err, connection.ErrAmbiguous))
	p, _ := reg.Resolve(h, connection.FallbackToDefault())
	fmt.Println(p.Key)
	p, _ = reg.Resolve(h, connection.WithType("ssh"), connection.FallbackToDefault())
	fmt.Println(p.Key)
	p, _ = reg.Resolve(h, connection.WithType("netconf"))
	fmt.Println(p.Key, p.ParamsName)
	// Output:
	// true
	// cisco_iosxe/ssh/mine
	// cisco_iosxe/ssh/scrapli
	// cisco_iosxe/netconf/scrapli scrapli_netconf
}
