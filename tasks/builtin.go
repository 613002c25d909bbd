package tasks

import (
	"context"
	"errors"
	"strings"

	"github.com/gonorn/norn/connection"
)

// The built-in tasks. Each gets the host's connection with t.Connection, requiring the
// capability it uses (connection.Require) and letting registered defaults break ties
// (connection.FallbackToDefault), so that on a platform served by several plugins (SSH and
// NETCONF, say) the plugin that can do the job is chosen. Narrow the choice further with
// WithConnection. A plugin lacking the capability fails the task with a
// *connection.NotImplementedError (errors.Is errors.ErrUnsupported).

// SendCommand returns a task that sends one operational command. Result.Value is the output
// (string). A command the device rejects fails the task with a *connection.CommandError.
func SendCommand(command string) Func {
	return func(ctx context.Context, t *Task) (Result, error) {
		cs, err := use[connection.CommandSender](ctx, t, connection.CapCommandSender)
		if err != nil {
			return Result{}, err
		}
		r, err := cs.SendCommand(ctx, command)
		return Result{Value: r.Output}, err
	}
}

// SendCommands returns a task that sends commands in order, stopping at the first failure.
// Result.Value is the []connection.Response received (on failure, those before it).
func SendCommands(commands ...string) Func {
	commands = append([]string(nil), commands...)
	return func(ctx context.Context, t *Task) (Result, error) {
		cs, err := use[connection.CommandSender](ctx, t, connection.CapCommandSender)
		if err != nil {
			return Result{}, err
		}
		rs, err := cs.SendCommands(ctx, commands)
		return Result{Value: rs}, err
	}
}

// SendConfig returns a task that applies configuration lines, committing where the platform
// needs it. In a dry run (Task.DryRun or opts.DryRun) the plugin is asked to validate without
// applying (ConfigOptions.DryRun; a plugin that cannot fails with errors.ErrUnsupported, so a dry
// run never changes a device). Result.Value is the []connection.Response, Result.Diff the lines
// sent ("+" prefixed), and Result.Changed is true when lines were applied. No lines: nothing to
// do, no connection is opened.
func SendConfig(lines []string, opts connection.ConfigOptions) Func {
	lines = append([]string(nil), lines...)
	return func(ctx context.Context, t *Task) (Result, error) {
		if len(lines) == 0 {
			return Result{}, nil
		}
		o := opts
		o.DryRun = o.DryRun || t.DryRun
		cs, err := use[connection.ConfigSender](ctx, t, connection.CapConfigSender)
		if err != nil {
			return Result{}, err
		}
		// Log the count only: configuration lines may carry secrets.
		t.Logger.Debug().Int("lines", len(lines)).Bool("dry_run", o.DryRun).Msg("sending configuration")
		rs, err := cs.SendConfig(ctx, lines, o)
		res := Result{Value: rs, Diff: "+" + strings.Join(lines, "\n+")}
		// A failed push may have applied some lines: report it as a change. The response of a
		// rejected line, returned last, does not count.
		applied := len(rs)
		var ce *connection.CommandError
		if err != nil && applied > 0 && errors.As(err, &ce) && rs[applied-1].Command == ce.Command {
			applied--
		}
		res.Changed = !o.DryRun && (err == nil || applied > 0)
		return res, err
	}
}

// GetConfig returns a task that reads the device's configuration: source "running" (also
// when empty) or "startup". Result.Value is the configuration (string) as the device prints it.
func GetConfig(source string) Func {
	if source == "" {
		source = "running"
	}
	return func(ctx context.Context, t *Task) (Result, error) {
		g, err := use[connection.ConfigGetter](ctx, t, connection.CapConfigGetter)
		if err != nil {
			return Result{}, err
		}
		cfg, err := g.GetConfig(ctx, source)
		if err != nil {
			return Result{}, err
		}
		return Result{Value: cfg}, nil
	}
}

// GetFacts returns a task that reads the device's facts. Result.Value is a connection.Facts
// (vendor, model, serial, OS version, hostname, uptime).
func GetFacts() Func {
	return func(ctx context.Context, t *Task) (Result, error) {
		g, err := use[connection.FactsGetter](ctx, t, connection.CapFactsGetter)
		if err != nil {
			return Result{}, err
		}
		f, err := g.GetFacts(ctx)
		if err != nil {
			return Result{}, err
		}
		return Result{Value: f}, nil
	}
}

// SaveConfig returns a task that saves the running configuration to startup (copy run start,
// write memory). In a dry run it does nothing and reports no change.
func SaveConfig() Func {
	return func(ctx context.Context, t *Task) (Result, error) {
		if t.DryRun {
			return Result{}, nil
		}
		s, err := use[connection.ConfigSaver](ctx, t, connection.CapConfigSaver)
		if err != nil {
			return Result{}, err
		}
		if err := s.SaveConfig(ctx); err != nil {
			return Result{}, err
		}
		return Result{Changed: true}, nil
	}
}

// WithConnection returns fn with opts added to every t.Connection call it makes (e.g.
// WithConnection(GetConfig("running"), connection.WithType("netconf"))). fn shares the host's
// sessions; its subtasks' results are kept in its Result.Sub.
func WithConnection(fn Func, opts ...connection.Option) Func {
	opts = append([]connection.Option(nil), opts...)
	return func(ctx context.Context, t *Task) (Result, error) {
		child := &Task{Host: t.Host, Name: t.Name, DryRun: t.DryRun, Attempt: t.Attempt, Logger: t.Logger}
		if t.Connections != nil {
			child.Connections = t.Connections.With(opts...)
		}
		if fn == nil {
			return Result{}, Permanent(errNilFunc)
		}
		r, err := fn(ctx, child)
		if r.Sub == nil {
			r.Sub = child.SubResults()
		}
		return r, err
	}
}

var errNilFunc = errors.New("tasks: WithConnection of a nil task function")

// use gets the host's connection for capability c and returns it as C.
func use[C any](ctx context.Context, t *Task, c connection.Capability) (C, error) {
	p, err := t.Connection(ctx, connection.Require(c), connection.FallbackToDefault())
	if err != nil {
		var zero C
		return zero, err
	}
	return connection.Use[C](p)
}
