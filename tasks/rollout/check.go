package rollout

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gonorn/norn/connection"
)

// Check is a pre- or post-check: a command whose output must (or must not) contain a text or
// match a pattern, or a function of its own.
type Check struct {
	// Name names the check in errors. Default: the command.
	Name string
	// Command is the operational command to send (required unless Func is set).
	Command string
	// Contains, when not empty, must appear in the output.
	Contains string
	// NotContains, when not empty, must not appear in the output.
	NotContains string
	// Match, when set, must match the output.
	Match *regexp.Regexp
	// Func, when set, is called with the command's output (or "" when Command is empty) and
	// fails the check with its error.
	Func func(ctx context.Context, output string) error
}

func (c Check) validate() error {
	if c.Command == "" && c.Func == nil {
		return errors.New("a check needs a Command or a Func")
	}
	if c.Command != "" && c.Contains == "" && c.NotContains == "" && c.Match == nil && c.Func == nil {
		return fmt.Errorf("check %q: a command check needs Contains, NotContains, Match or Func (or it cannot fail)", c.Command)
	}
	return nil
}

func (c Check) name() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Command != "" {
		return c.Command
	}
	return "check"
}

// CheckError is a failed check.
type CheckError struct {
	// Check is the check's name.
	Check string
	// Reason says what was wrong.
	Reason string
	// Output is the command's output (possibly cut to 500 bytes).
	Output string
}

// Error describes the failed check.
func (e *CheckError) Error() string {
	return fmt.Sprintf("check %q failed: %s", e.Check, e.Reason)
}

func (c Check) run(ctx context.Context, cs connection.CommandSender) error {
	out := ""
	if c.Command != "" {
		r, err := cs.SendCommand(ctx, c.Command)
		if err != nil {
			return fmt.Errorf("check %q: %w", c.name(), err)
		}
		out = r.Output
	}
	fail := func(reason string) error {
		o := out
		if len(o) > 500 {
			o = o[:500] + "..."
		}
		return &CheckError{Check: c.name(), Reason: reason, Output: o}
	}
	if c.Contains != "" && !strings.Contains(out, c.Contains) {
		return fail(fmt.Sprintf("output does not contain %q", c.Contains))
	}
	if c.NotContains != "" && strings.Contains(out, c.NotContains) {
		return fail(fmt.Sprintf("output contains %q", c.NotContains))
	}
	if c.Match != nil && !c.Match.MatchString(out) {
		return fail(fmt.Sprintf("output does not match %s", c.Match))
	}
	if c.Func != nil {
		if err := c.Func(ctx, out); err != nil {
			return &CheckError{Check: c.name(), Reason: err.Error()}
		}
	}
	return nil
}
