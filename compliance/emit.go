package compliance

import (
	"context"
	"fmt"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// RuleError is the error of a failed host/rule result fed to hooks.
type RuleError struct {
	// Result is the failed host/rule result.
	Result Result
}

// Error names the host, rule, severity and first finding.
func (e *RuleError) Error() string {
	r := e.Result
	msg := fmt.Sprintf("host %s: compliance rule %s (%s) failed", r.Host, r.Rule, r.Severity)
	if len(r.Findings) > 0 {
		msg += ": " + r.Findings[0]
		if n := len(r.Findings) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more)", n)
		}
	}
	return msg
}

// Emit feeds a report to a hook chain as one run named task: RunStart, then for every host/rule
// result that applies (skipped rules are not sent) a TaskOK or TaskFailed event whose task is
// "<task>/<rule id>" and whose result's error is a *RuleError, then RunEnd, whose summary
// counts hosts (a host with a failed rule is failed). Alertmanager therefore raises one alert
// per host and failing rule (resolved when it next passes) and the metrics hook keeps a series
// per host and rule. host returns the inventory host of a name (nil: a host with only a name
// and the result's platform).
func Emit(ctx context.Context, chain *hooks.Chain, task string, rep *Report, host func(name string) *inventory.Host) {
	now := time.Now()
	s := rep.Summary()
	run := &hooks.Run{ID: fmt.Sprintf("%s-%d", task, now.UnixNano()), Task: task, Hosts: s.Hosts + s.Errors, Started: now.Add(-rep.Duration)}
	chain.RunStart(ctx, &hooks.RunEvent{Run: run, Time: run.Started})
	hostOf := func(name, plat string) *inventory.Host {
		if host != nil {
			if h := host(name); h != nil {
				return h
			}
		}
		return &inventory.Host{Name: name, Attrs: inventory.Attrs{Platform: plat}}
	}
	for _, r := range rep.Results {
		if r.Status == Skip {
			continue
		}
		name := task + "/" + r.Rule
		res := &tasks.Result{Host: r.Host, Task: name, Value: r, Attempts: 1}
		e := &hooks.Event{Run: run, Host: hostOf(r.Host, r.Platform), Task: name, Attempt: 1, Result: res, Time: now}
		if r.Status == Fail {
			res.Err = &RuleError{Result: r}
			chain.TaskFailed(ctx, e)
		} else {
			chain.TaskOK(ctx, e)
		}
	}
	for _, he := range rep.Errors {
		res := &tasks.Result{Host: he.Host, Task: task, Err: fmt.Errorf("host %s: %s", he.Host, he.Err), Attempts: 1}
		chain.TaskFailed(ctx, &hooks.Event{Run: run, Host: hostOf(he.Host, ""), Task: task, Attempt: 1, Result: res, Time: now})
	}
	chain.RunEnd(ctx, &hooks.RunEvent{Run: run, Time: time.Now(),
		Summary: hooks.Summary{OK: s.Compliant, Failed: s.NonCompliant + s.Errors, Duration: rep.Duration}})
}
