package textfsm

import (
	"context"
	"fmt"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/tasks"
)

// SendCommand returns a task that sends command to the host and parses its output with the
// template ix picks for the host's platform: Netmiko's send_command(use_textfsm=True) as a
// norn task. Result.Value is a *Table (its rows marshal to JSON as a list of objects). A
// missing template or a template that rejects the output fails the task (permanently: a retry
// would give the same answer) after the command ran; the error wraps ErrNoTemplate or ErrParse.
func SendCommand(ix *Index, command string) tasks.Func {
	return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		if ix == nil {
			return tasks.Result{}, tasks.Permanent(fmt.Errorf("textfsm: SendCommand %q: nil index", command))
		}
		platform := t.Host.Platform()
		tpl, err := ix.LookupHost(t.Host.Name, platform, command)
		if err != nil {
			return tasks.Result{}, tasks.Permanent(err)
		}
		p, err := t.Connection(ctx, connection.Require(connection.CapCommandSender), connection.FallbackToDefault())
		if err != nil {
			return tasks.Result{}, err
		}
		cs, err := connection.Use[connection.CommandSender](p)
		if err != nil {
			return tasks.Result{}, err
		}
		r, err := cs.SendCommand(ctx, command)
		if err != nil {
			return tasks.Result{}, err
		}
		rows, err := tpl.Parse(r.Output)
		if err != nil {
			return tasks.Result{}, tasks.Permanent(fmt.Errorf("host %s: %w", t.Host.Name, err))
		}
		return tasks.Result{Value: &Table{Command: command, Template: tpl.Name(), Columns: tpl.Columns(), Rows: rows}}, nil
	}
}
