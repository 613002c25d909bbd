package runner

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/inventory"
)

// Defaults of Config.
const (
	// DefaultWorkers is Config.Workers' default: hosts run at the same time by the local pool.
	DefaultWorkers = 100
	// DefaultFlushTimeout is Config.FlushTimeout's default.
	DefaultFlushTimeout = 5 * time.Second
)

// Config configures a Runner. The zero value of each field is its documented default; New
// validates it once and returns an error for a value it cannot use.
type Config struct {
	// Inventory is the set of hosts the runner works on. Required.
	Inventory *inventory.Inventory

	// Workers is how many hosts the local pool runs at the same time. Default 0 means
	// DefaultWorkers (100). Negative is an error. Ignored when Executor is set (the executor
	// decides its own concurrency).
	Workers int

	// BatchSize splits the hosts into batches run one after the other (Ansible's serial): the
	// next batch starts when every host of the previous one is done. Default 0: all hosts in one
	// batch. Negative is an error.
	BatchSize int

	// MaxFailRatio stops a run before its next batch once the failed hosts exceed this fraction
	// of the hosts run so far (failed / (ok + failed) > MaxFailRatio): a rolling change's canary.
	// The hosts of the batches not started are reported StatusNotRun with an error wrapping
	// tasks.ErrNotRun that says why. Default 0: never stop. Must be within [0, 1]; to stop after
	// the first batch with any failure use a tiny value such as 1e-9.
	MaxFailRatio float64

	// Timeout bounds each attempt of a host's task (with Retry, each attempt gets its own
	// Timeout; bound the retries with RetryConfig.MaxElapsed). When it expires the task's context
	// is cancelled and the host fails with a timeout error, even if the task ignores its
	// context: the runner waits at most AbandonGrace (1 s) more, then abandons it (such a task
	// keeps its goroutine until it returns, which is the task's fault). Without a Timeout, a
	// task that ignores its context is abandoned the same way AbandonGrace after the run is
	// cancelled. Default 0: no timeout.
	// Negative is an error.
	Timeout time.Duration

	// DryRun is passed to every task (Task.DryRun) unless a run overrides it with the DryRun
	// run option. Default false.
	DryRun bool

	// RunOnFailed makes runs include the hosts that failed in an earlier run of this runner.
	// Default false: like Nornir, those hosts are skipped (reported StatusNotRun) until they are
	// recovered with Recover or RecoverAll, or a run asks for them with the OnFailed run option.
	RunOnFailed bool

	// Logger receives the runner's own messages (a panicking hook, a connection that would not
	// close). It is also the base of each Task.Logger, which carries host and task fields.
	// Default: the zero Logger, which discards everything. To log every host's outcome, add
	// hooks.Logging(logger) to Hooks.
	Logger zerolog.Logger

	// Hooks are called around each host's task and each run, in this order. The compiler checks
	// that each is a hooks.Hook; each must also implement at least one of the hooks package's
	// interfaces (hooks.TaskStartHook, hooks.TaskOKHook, hooks.TaskFailedHook,
	// hooks.TaskRetryHook, hooks.RunStartHook, hooks.RunEndHook, hooks.BreakerHook), and New
	// returns an error otherwise. Default: none.
	Hooks []hooks.Hook

	// Middleware wraps each attempt of a host's task, the first element outermost. It runs
	// inside the runner's attempt loop (breaker, retries, timeout and cancellation are the
	// loop's), once per attempt, and knows nothing about the run. A nil element is an error.
	// Default: none.
	Middleware []Middleware

	// Retry retries failed attempts with exponential backoff and jitter; the runner reports
	// each retry to the TaskRetry hooks. Default nil: no retries.
	Retry *RetryConfig

	// Breaker guards logins with circuit breakers, one per AAA domain (a site by default): a
	// breaker opens on a high ratio of failed logins among the recent ones of its scope (see
	// BreakerConfig), holds that scope's next hosts back while open, and lets them run once it
	// closes. Its state persists across the runs of this runner (Runner.Breaker reports it).
	// Default nil: no breaker.
	Breaker *BreakerConfig

	// Connections is the registry of connection plugins lent to tasks through
	// Task.Connection. Each run creates a connection.Manager over it (with ConnectionLimits);
	// each host's sessions are closed when its task ends, even when it panics or is
	// cancelled. Default nil: Task.Connection returns tasks.ErrNoConnections.
	Connections *connection.Registry

	// ConnectionLimits caps the sessions of a run (see connection.ManagerConfig). Default: the
	// zero ManagerConfig, no caps; its Logger defaults to Logger. Ignored without Connections.
	ConnectionLimits connection.ManagerConfig

	// Executor runs each batch's hosts. Default nil: the local pool (NewPoolExecutor(Workers)),
	// on sourcegraph/conc. See Executor to distribute hosts over other machines.
	Executor Executor

	// FlushTimeout bounds the RunEnd hooks: they get a context with this deadline (detached
	// from the run's cancellation) to flush what they deliver in the background. Default 0
	// means DefaultFlushTimeout (5 s). Negative is an error.
	FlushTimeout time.Duration
}

// ErrConfig is what every configuration error of New wraps.
var ErrConfig = errors.New("runner: invalid config")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// withDefaults validates cfg and returns it with defaults filled in.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Inventory == nil {
		return cfg, configErr("Inventory is nil")
	}
	if cfg.Workers < 0 {
		return cfg, configErr("Workers is %d; want 0 (default %d) or more", cfg.Workers, DefaultWorkers)
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.BatchSize < 0 {
		return cfg, configErr("BatchSize is %d; want 0 (all hosts in one batch) or more", cfg.BatchSize)
	}
	if math.IsNaN(cfg.MaxFailRatio) || cfg.MaxFailRatio < 0 || cfg.MaxFailRatio > 1 {
		return cfg, configErr("MaxFailRatio is %v; want a fraction within [0, 1] (0: never stop)", cfg.MaxFailRatio)
	}
	if cfg.Timeout < 0 {
		return cfg, configErr("Timeout is %v; want 0 (none) or more", cfg.Timeout)
	}
	if cfg.FlushTimeout < 0 {
		return cfg, configErr("FlushTimeout is %v; want 0 (default %v) or more", cfg.FlushTimeout, DefaultFlushTimeout)
	}
	if cfg.FlushTimeout == 0 {
		cfg.FlushTimeout = DefaultFlushTimeout
	}
	for i, m := range cfg.Middleware {
		if m == nil {
			return cfg, configErr("Middleware[%d] is nil", i)
		}
	}
	if err := cfg.ConnectionLimits.Validate(); err != nil {
		return cfg, fmt.Errorf("%w: ConnectionLimits: %w", ErrConfig, err)
	}
	if cfg.Retry != nil {
		rc, err := cfg.Retry.withDefaults()
		if err != nil {
			return cfg, fmt.Errorf("%w: Retry: %w", ErrConfig, err)
		}
		cfg.Retry = &rc
	}
	if cfg.Breaker != nil {
		bc, err := cfg.Breaker.withDefaults()
		if err != nil {
			return cfg, fmt.Errorf("%w: Breaker: %w", ErrConfig, err)
		}
		cfg.Breaker = &bc
	}
	if reflect.ValueOf(cfg.Logger).IsZero() {
		cfg.Logger = zerolog.Nop()
	}
	if reflect.ValueOf(cfg.ConnectionLimits.Logger).IsZero() {
		cfg.ConnectionLimits.Logger = cfg.Logger
	}
	if cfg.Executor == nil {
		cfg.Executor = NewPoolExecutor(cfg.Workers)
	}
	return cfg, nil
}
