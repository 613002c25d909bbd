package runner

import (
	"github.com/gonorn/norn/inventory"
)

// RemoteExecutor is implemented by an Executor that runs hosts elsewhere (on worker processes,
// without calling Job.Run). Hooks and middleware then run on the workers; on the controller,
// the runner calls the run's TaskOK and TaskFailed hooks for each result the executor emits,
// so alerting, metrics and progress hooks observe a distributed run as they observe a local
// one. TaskStart, TaskRetry and breaker hooks run on the workers only.
type RemoteExecutor interface {
	Executor
	// Remote reports whether hosts run elsewhere.
	Remote() bool
}

func isRemote(e Executor) bool {
	re, ok := e.(RemoteExecutor)
	return ok && re.Remote()
}

// Only returns a runner narrowed to the given hosts, in the order given, as far as r's filters
// select them, without scanning the inventory: for callers that already hold the hosts, such as
// a distributed worker running the hosts it received. Hosts must come from r's inventory. The
// narrowed runner shares r's configuration, failed-host state and breakers.
func (r *Runner) Only(hosts ...*inventory.Host) *Runner {
	n := *r
	n.only = make([]*inventory.Host, 0, len(hosts))
	for _, h := range hosts {
		if h != nil {
			n.only = append(n.only, h)
		}
	}
	return &n
}

// onlyHosts returns the hosts given to Only that r's filters select.
func (r *Runner) onlyHosts() []*inventory.Host {
	if r.filter == nil {
		return r.only
	}
	out := make([]*inventory.Host, 0, len(r.only))
	for _, h := range r.only {
		if r.filter(h) {
			out = append(out, h)
		}
	}
	return out
}
