package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// Fetched is a host's configuration fetched, cleaned, redacted and checked, but not stored:
// the value of NewFetcher's task, which a remote worker sends back to the controller, where a
// Storer stores it. Its Config holds no secret the profile knows (redaction happens on the
// worker, before anything travels).
type Fetched struct {
	// Platform is the profile used.
	Platform string `json:"platform"`
	// Config is the cleaned and redacted configuration.
	Config string `json:"config"`
}

// NewFetcher returns the first half of the backup task, for a worker without the backup
// repository (runner/natsexec): per host it fetches, cleans, redacts and checks the
// configuration, and returns a Fetched as its value, or the same classified, secret-free
// errors as New. cfg.Store is not used and may be nil; the shrink guard, which needs the last
// good copy, runs in the Storer.
func NewFetcher(cfg Config) (tasks.Func, error) {
	b, err := newTask(cfg)
	if err != nil {
		return nil, err
	}
	b.store = nil
	return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		f, _, _, err := b.fetchStage(ctx, t)
		if err != nil {
			return tasks.Result{}, err
		}
		return tasks.Result{Value: f}, nil
	}, nil
}

// Storer is the second half of the backup task, on the controller: it turns each fetched
// result into the backup's result (Info, Changed, Diff), storing the configuration in
// cfg.Store like New's task does, with the same shrink guard.
type Storer struct {
	b *task
}

// NewStorer validates cfg (Store required) and returns a Storer.
func NewStorer(cfg Config) (*Storer, error) {
	if cfg.Store == nil {
		return nil, errors.New("backup: Config.Store is required")
	}
	b, err := newTask(cfg)
	if err != nil {
		return nil, err
	}
	return &Storer{b: b}, nil
}

// DecodeFetched turns a Fetched value that travelled as JSON back into a Fetched (for
// natsexec.Config.Decode).
func DecodeFetched(raw json.RawMessage) (Fetched, error) {
	var f Fetched
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("backup: decoding a fetched configuration: %w", err)
	}
	return f, nil
}

// Store completes res, the result of NewFetcher's task for host h: a failed or not-run result
// is returned as it is; an ok one has its Fetched value (or its JSON form) stored and becomes
// the backup's result, failed when the store refuses it (shrink guard, I/O).
func (s *Storer) Store(h *inventory.Host, dryRun bool, res tasks.Result) tasks.Result {
	if res.Status != tasks.StatusOK {
		return res
	}
	var f Fetched
	switch v := res.Value.(type) {
	case Fetched:
		f = v
	case *Fetched:
		f = *v
	case json.RawMessage:
		var err error
		if f, err = DecodeFetched(v); err != nil {
			return failed(res, tasks.WithClass(ClassStore, fmt.Errorf("host %s: %w", h.Name, err)))
		}
	default:
		return failed(res, tasks.WithClass(ClassStore, fmt.Errorf("host %s: backup: the fetched value is a %T, not a Fetched", h.Name, res.Value)))
	}
	prof, _ := s.b.cfg.Profiles.Lookup(f.Platform)
	out, err := s.b.storeStage(h.Name, dryRun, zerolog.Nop(), f, prof, s.b.literals(h))
	out.Host, out.Task, out.Attempts, out.Started, out.Duration, out.Sub = res.Host, res.Task, res.Attempts, res.Started, res.Duration, res.Sub
	if err != nil {
		return failed(out, err)
	}
	out.Status = tasks.StatusOK
	return out
}

func failed(res tasks.Result, err error) tasks.Result {
	res.Status, res.Err, res.Value, res.Changed = tasks.StatusFailed, err, nil, false
	return res
}
