package hooks

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/redact"
	"github.com/gonorn/norn/tasks"
)

// LogHook logs every event of a run through a zerolog logger. Build it with Logging.
//
// It logs the run id, host, task, status, duration, attempts, error and error class; never a
// result's Value or Diff (a configuration may hold secrets), never connection parameters.
//
// Levels: task start at debug, task ok at info, task failed at error, retries at warn, run
// start and end at info, breaker changes at warn (error when a breaker opens).
type LogHook struct {
	HookDefaults
	logger zerolog.Logger
}

// Logging returns a hook that logs every event through logger. Register it in the runner's
// Config.Hooks.
func Logging(logger zerolog.Logger) *LogHook { return &LogHook{logger: logger} }

func (l *LogHook) task(ev *zerolog.Event, e *Event) *zerolog.Event {
	if e.Run != nil {
		ev = ev.Str("run", e.Run.ID)
	}
	if e.Host != nil {
		ev = ev.Str("host", e.Host.Name)
	}
	return ev.Str("task", e.Task)
}

// TaskStart logs the start of a host's task at debug level. It never vetoes.
func (l *LogHook) TaskStart(_ context.Context, e *Event) error {
	if ev := l.logger.Debug(); ev.Enabled() {
		l.task(ev, e).Msg("task start")
	}
	return nil
}

// TaskOK logs a host's success at info level.
func (l *LogHook) TaskOK(_ context.Context, e *Event) {
	ev := l.logger.Info()
	if !ev.Enabled() {
		return
	}
	ev = l.task(ev, e).Str("status", tasks.StatusOK.String())
	if r := e.Result; r != nil {
		ev = ev.Bool("changed", r.Changed).Dur("duration", r.Duration).Int("attempts", r.Attempts)
	}
	ev.Msg("task ok")
}

// TaskFailed logs a host's failure at error level, with the error and its class.
func (l *LogHook) TaskFailed(_ context.Context, e *Event) {
	ev := l.logger.Error()
	if !ev.Enabled() {
		return
	}
	ev = l.task(ev, e).Str("status", tasks.StatusFailed.String())
	if r := e.Result; r != nil {
		ev = errField(ev.Bool("changed", r.Changed).Dur("duration", r.Duration).Int("attempts", r.Attempts), e.Host, r.Err).
			Str("class", tasks.Classify(r.Err).String())
	}
	ev.Msg("task failed")
}

// TaskRetry logs a retry at warn level: the attempt that failed, its error and the wait.
func (l *LogHook) TaskRetry(_ context.Context, e *Event) {
	ev := l.logger.Warn()
	if !ev.Enabled() {
		return
	}
	errField(l.task(ev, e).Int("attempt", e.Attempt).Dur("wait", e.Wait), e.Host, e.Err).
		Str("class", tasks.Classify(e.Err).String()).Msg("task retry")
}

// RunStart logs the start of a run at info level.
func (l *LogHook) RunStart(_ context.Context, e *RunEvent) {
	ev := l.logger.Info()
	if !ev.Enabled() || e.Run == nil {
		return
	}
	ev.Str("run", e.Run.ID).Str("task", e.Run.Task).Int("hosts", e.Run.Hosts).Bool("dry_run", e.Run.DryRun).
		Msg("run start")
}

// RunEnd logs the end of a run and its summary at info level.
func (l *LogHook) RunEnd(_ context.Context, e *RunEvent) {
	ev := l.logger.Info()
	if !ev.Enabled() || e.Run == nil {
		return
	}
	s := e.Summary
	ev.Str("run", e.Run.ID).Str("task", e.Run.Task).Int("hosts", e.Run.Hosts).Int("ok", s.OK).
		Int("failed", s.Failed).Int("not_run", s.NotRun).Int("changed", s.Changed).Dur("duration", s.Duration).
		Msg("run end")
}

// BreakerStateChange logs a circuit breaker's change of state (error level when it opens).
func (l *LogHook) BreakerStateChange(_ context.Context, e *BreakerEvent) {
	ev := l.logger.Warn()
	if e.To == "open" {
		ev = l.logger.Error()
	}
	if !ev.Enabled() {
		return
	}
	if e.Run != nil {
		ev = ev.Str("run", e.Run.ID)
	}
	ev = ev.Str("breaker", e.Name).Str("from", e.From).Str("to", e.To)
	switch e.To {
	case "open":
		ev = errField(ev.Int("failures", e.Failures).Int("logins", e.Logins).Strs("hosts", e.Hosts), nil, e.Err).
			Str("class", tasks.Classify(e.Err).String())
	case "closed":
		ev = ev.Int("released", e.Released)
	}
	ev.Msg("circuit breaker " + e.To)
}

// errField adds err's message to ev, with the host's secrets and anything shaped like a secret
// masked (package redact).
func errField(ev *zerolog.Event, h *inventory.Host, err error) *zerolog.Event {
	if err == nil {
		return ev
	}
	return ev.Str(zerolog.ErrorFieldName, redact.Host(h).String(err.Error()))
}

// Interface guards.
var (
	_ TaskStartHook  = (*LogHook)(nil)
	_ TaskOKHook     = (*LogHook)(nil)
	_ TaskFailedHook = (*LogHook)(nil)
	_ TaskRetryHook  = (*LogHook)(nil)
	_ RunStartHook   = (*LogHook)(nil)
	_ RunEndHook     = (*LogHook)(nil)
	_ BreakerHook    = (*LogHook)(nil)
)
