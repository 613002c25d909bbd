package scrapli

import (
	"context"
	"strings"

	"github.com/gonorn/norn/connection"
)

// Interface guards.
var _ connection.ConfigModeSender = (*Session)(nil)

// SendConfigMode enters configuration mode (opts.Enter sent from privileged exec, or the
// platform's configuration level as SendConfig enters it), sends lines as they are (empty ones
// skipped), stopping at the first line the device rejects, after which opts.OnFailure are sent;
// then it returns to the default privilege level. Unlike SendConfig it neither commits nor
// discards: the lines themselves end the change ("commit confirmed 5", "commit timer
// 00:05:00", "abort"). A rejected line's response is the last one returned, with a
// *connection.CommandError whose command is redacted like SendConfig's.
func (s *Session) SendConfigMode(ctx context.Context, lines []string, opts connection.ConfigModeOptions) ([]connection.Response, error) {
	var out []connection.Response
	var failed error
	err := s.do(ctx, "send config mode", func() error {
		var err error
		out, failed, err = s.sendConfigModeLocked(lines, opts)
		return err
	})
	if err != nil {
		return out, err
	}
	return out, failed
}

func (s *Session) sendConfigModeLocked(lines []string, opts connection.ConfigModeOptions) ([]connection.Response, error, error) {
	var out []connection.Response
	failWhen := append(append([]string(nil), s.d.FailedWhenContains...), s.spec.configFail...)
	if opts.Enter == "" {
		if err := s.d.AcquirePriv(configFlavor[s.spec.commit]); err != nil {
			return nil, nil, err
		}
	} else {
		if s.d.CurrentPriv != s.d.DefaultDesiredPriv {
			if err := s.d.AcquirePriv(s.d.DefaultDesiredPriv); err != nil {
				return nil, nil, err
			}
		}
		r, err := s.send(opts.Enter, failWhen)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, toResponse(opts.Enter, r))
		// The level is now whatever the device shows: found again from the prompt when leaving.
		s.d.CurrentPriv = ""
		if r.Failed != nil {
			return out, s.commandError(opts.Enter, r), s.resyncLocked()
		}
	}
	for _, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		r, err := s.send(line, failWhen)
		if err != nil {
			return out, nil, err
		}
		out = append(out, toResponse(line, r))
		if r.Failed != nil {
			// The line may carry a secret: the error names it redacted.
			failed := s.commandError(s.redactor.String(line), r)
			for _, c := range opts.OnFailure {
				if _, err := s.send(c, nil); err != nil {
					return out, failed, err
				}
			}
			return out, failed, s.resyncLocked()
		}
	}
	return out, nil, s.resyncLocked()
}

// resyncLocked returns to the default privilege level from wherever the last line left the
// session (a commit may have left configuration mode, or not).
func (s *Session) resyncLocked() error {
	s.d.CurrentPriv = ""
	return s.d.AcquirePriv(s.d.DefaultDesiredPriv)
}
