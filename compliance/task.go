package compliance

import (
	"context"
	"fmt"
	"strings"

	"github.com/gonorn/norn/tasks"
)

// NonCompliantError is a host's failure to comply: the rules it failed.
type NonCompliantError struct {
	// Host is the host's name.
	Host string
	// Failed are the results of the rules that failed.
	Failed []Result
}

// Error lists the failed rules with their severities.
func (e *NonCompliantError) Error() string {
	ids := make([]string, len(e.Failed))
	for i, r := range e.Failed {
		ids[i] = fmt.Sprintf("%s (%s)", r.Rule, r.Severity)
	}
	return fmt.Sprintf("host %s: not compliant: %d rule(s) failed: %s", e.Host, len(e.Failed), strings.Join(ids, ", "))
}

// Task returns a task that reads the device's running configuration (tasks.GetConfig) and
// checks it against the rules, for live devices. Result.Value is the []Result (every rule,
// skipped ones included). When a rule fails the task fails with a *NonCompliantError, marked
// permanent (a retry would read the same configuration), so hooks see the host as failed.
func Task(rs *RuleSet) tasks.Func {
	get := tasks.GetConfig("running")
	return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		r, err := get(ctx, t)
		if err != nil {
			return tasks.Result{}, err
		}
		cfg, _ := r.Value.(string)
		results := rs.Check(Target{Host: t.Host.Name, Platform: t.Host.Platform(), InGroup: t.Host.InGroup}, cfg)
		var failed []Result
		for _, res := range results {
			if res.Status == Fail {
				failed = append(failed, res)
			}
		}
		if len(failed) > 0 {
			return tasks.Result{Value: results}, tasks.Permanent(&NonCompliantError{Host: t.Host.Name, Failed: failed})
		}
		return tasks.Result{Value: results}, nil
	}
}
