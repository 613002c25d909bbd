package hooks_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func TestNewChainRejectsNonHooks(t *testing.T) {
	// A string does not compile as a hook any more; a value marked as a hook that implements
	// none of the hook interfaces is still caught when the chain is built.
	_, err := hooks.NewChain(zerolog.Nop(), hooks.TaskOKFunc(func(context.Context, *hooks.Event) {}), hooks.HookDefaults{})
	if err == nil || !strings.Contains(err.Error(), "hook 1 (hooks.HookDefaults) implements no hook interface") {
		t.Fatalf("err %v", err)
	}
	if _, err := hooks.NewChain(zerolog.Nop(), nil); err == nil {
		t.Fatal("nil hook accepted")
	}
}

func TestChainOrderVetoAndPanics(t *testing.T) {
	var calls []string
	var logs bytes.Buffer
	h := &inventory.Host{Name: "r1"}
	start := func(name string, err error) hooks.TaskStartFunc {
		return func(context.Context, *hooks.Event) error { calls = append(calls, name); return err }
	}
	panicky := hooks.TaskStartFunc(func(context.Context, *hooks.Event) error { panic("bug") })
	c, err := hooks.NewChain(zerolog.New(&logs), start("a", nil), panicky, start("b", errors.New("maintenance window")), start("c", nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.TaskStart(context.Background(), &hooks.Event{Host: h, Task: "backup"})
	var ve *hooks.VetoError
	if !errors.As(err, &ve) || tasks.Classify(err) != tasks.ClassVetoed || ve.Host != "r1" || ve.Hook != "hooks.TaskStartFunc" {
		t.Fatalf("veto %v", err)
	}
	if fmt.Sprint(calls) != "[a b]" {
		t.Fatalf("calls %v: the panicking hook must not veto, the chain stops at b", calls)
	}
	if !strings.Contains(logs.String(), `"panic":"bug"`) || !strings.Contains(logs.String(), `"host":"r1"`) {
		t.Fatalf("log %s", logs.String())
	}
	if !c.HasTaskStart() || c.HasTaskEnd() || c.HasTaskRetry() || c.HasBreaker() {
		t.Fatal("Has*")
	}
}

// secretTask's result holds a secret in Value and Diff; the logging hook must not print them.
func TestLoggingHookLogsNoValues(t *testing.T) {
	var logs bytes.Buffer
	l := hooks.Logging(zerolog.New(&logs).Level(zerolog.DebugLevel))
	run := &hooks.Run{ID: "abc", Task: "backup", Hosts: 2, Started: time.Now()}
	h := &inventory.Host{Name: "r1"}
	ctx := context.Background()
	l.RunStart(ctx, &hooks.RunEvent{Run: run})
	l.TaskStart(ctx, &hooks.Event{Run: run, Host: h, Task: "backup"})
	l.TaskOK(ctx, &hooks.Event{Run: run, Host: h, Task: "backup", Result: &tasks.Result{Value: "enable secret s3cr3t", Diff: "+password hunter2", Changed: true, Attempts: 1}})
	l.TaskFailed(ctx, &hooks.Event{Run: run, Host: h, Task: "backup", Result: &tasks.Result{Err: tasks.WithClass(tasks.ClassTimeout, errors.New("slow")), Attempts: 2, Value: "s3cr3t"}})
	l.TaskRetry(ctx, &hooks.Event{Run: run, Host: h, Task: "backup", Attempt: 1, Wait: time.Second, Err: errors.New("reset")})
	l.BreakerStateChange(ctx, &hooks.BreakerEvent{Run: run, Name: "site=ams1", From: "closed", To: "open", Failures: 3, Err: errors.New("auth")})
	l.RunEnd(ctx, &hooks.RunEvent{Run: run, Summary: hooks.Summary{OK: 1, Failed: 1}})
	out := logs.String()
	if strings.Contains(out, "s3cr3t") || strings.Contains(out, "hunter2") {
		t.Fatalf("a value reached the log:\n%s", out)
	}
	for _, want := range []string{`"message":"run start"`, `"message":"task start"`, `"message":"task ok"`, `"changed":true`,
		`"level":"error","run":"abc","host":"r1","task":"backup","status":"failed"`, `"class":"timeout"`, `"attempts":2`,
		`"message":"task retry"`, `"wait":1000`, `"breaker":"site=ams1"`, `"failures":3`, `"message":"run end"`, `"failed":1`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}
