package conntest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gonorn/norn/connection"
)

// Suite configures Exercise: the plugin under test and the live device it talks to.
type Suite struct {
	// Opener is the plugin's opener (required).
	Opener connection.Opener
	// Target is a reachable device with valid credentials (required: Target.Host).
	Target connection.Target
	// Command is a harmless command the device answers (default "show version").
	Command string
	// WantOutput, when set, must appear in Command's output.
	WantOutput string
	// InvalidCommand, when set, is a command the device rejects: the plugin must return a
	// *connection.CommandError naming the host and the command, and the session must stay usable.
	InvalidCommand string
	// BadAuth, when set, is the device with wrong credentials: Open must fail with an error
	// matching connection.ErrAuthentication.
	BadAuth *connection.Target
	// Unreachable, when set, is a target nothing answers on (e.g. a closed loopback port): Open
	// must fail, not as an authentication failure, within Timeout.
	Unreachable *connection.Target
	// Config, when set, are configuration lines SendConfig may apply to the device.
	Config []string
	// Save allows SaveConfig to be called on the device.
	Save bool
	// Timeout bounds each check (default 30 s); a check that outlives it by 5 s (or by Timeout
	// when shorter) is reported as a hang.
	Timeout time.Duration
}

func (s *Suite) defaults() {
	if s.Command == "" {
		s.Command = "show version"
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
}

// check is one conformance check against an open session (nil for checks that open their own).
type check struct {
	name string
	// skip returns a reason to skip, or "".
	skip func(s *Suite, sess connection.Session) string
	run  func(ctx context.Context, s *Suite, sess connection.Session) error
}

var checks = []check{
	{name: "SessionType", run: checkSessionType},
	{name: "Capabilities", run: checkCapabilities},
	{name: "CommandRoundTrip", skip: needs(connection.CapCommandSender), run: checkCommand},
	{name: "InvalidCommand", skip: func(s *Suite, sess connection.Session) string {
		if s.InvalidCommand == "" {
			return "Suite.InvalidCommand not set"
		}
		return needs(connection.CapCommandSender)(s, sess)
	}, run: checkInvalidCommand},
	{name: "CanceledContext", run: checkCanceled},
	{name: "ExpiredDeadline", run: checkDeadline},
	{name: "OpenCanceled", run: checkOpenCanceled},
	{name: "Authentication", skip: func(s *Suite, _ connection.Session) string {
		if s.BadAuth == nil {
			return "Suite.BadAuth not set"
		}
		return ""
	}, run: checkBadAuth},
	{name: "Unreachable", skip: func(s *Suite, _ connection.Session) string {
		if s.Unreachable == nil {
			return "Suite.Unreachable not set"
		}
		return ""
	}, run: checkUnreachable},
	{name: "CloseIdempotent", run: checkClose},
}

func needs(c connection.Capability) func(*Suite, connection.Session) string {
	return func(_ *Suite, sess connection.Session) string {
		if !c.ImplementedBy(reflect.TypeOf(sess)) {
			return "the plugin does not implement " + c.String()
		}
		return ""
	}
}

// Exercise runs the conformance suite against a plugin and a live device: declared
// capabilities match the session's behaviour, a command round-trips, a rejected command is a
// *connection.CommandError, canceled contexts and expired deadlines are honoured by Open and by
// every capability method, Close is idempotent and later calls fail instead of hanging (and a
// session implementing connection.Liveness reports itself dead after Close), and
// open failures are classified (authentication versus unreachable). Each check is a subtest.
func Exercise(t *testing.T, s Suite) {
	t.Helper()
	if s.Opener == nil || s.Target.Host == nil {
		t.Fatal("conntest.Exercise: Suite.Opener and Suite.Target.Host are required")
	}
	s.defaults()
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	sess, err := s.Opener.Open(ctx, s.Target)
	cancel()
	if err != nil {
		t.Fatalf("conntest.Exercise: opening %s: %v", s.Target.Params.Hostname, err)
	}
	defer sess.Close()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.skip != nil {
				if why := c.skip(&s, sess); why != "" {
					t.Skip(why)
				}
			}
			if err := runCheck(c, &s, sess); err != nil {
				t.Error(err)
			}
		})
	}
}

// runCheck runs c with a timeout and reports a hang.
func runCheck(c check, s *Suite, sess connection.Session) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("panic: %v", v)
			}
		}()
		done <- c.run(ctx, s, sess)
	}()
	hang := time.NewTimer(s.Timeout + min(5*time.Second, s.Timeout))
	defer hang.Stop()
	select {
	case err := <-done:
		return err
	case <-hang.C:
		return fmt.Errorf("check %s hung past its %v timeout: the plugin ignores its context", c.name, s.Timeout)
	}
}

func checkSessionType(_ context.Context, s *Suite, sess connection.Session) error {
	st := s.Opener.SessionType()
	if st == nil {
		return errors.New("Opener.SessionType() is nil")
	}
	got := reflect.TypeOf(sess)
	if st.Kind() == reflect.Interface {
		if !got.Implements(st) {
			return fmt.Errorf("the plugin's Open returned %s, which does not implement the declared %s", got, st)
		}
		return nil
	}
	if got != st {
		return fmt.Errorf("the plugin's Open returned %s but SessionType declares %s: capabilities are computed from SessionType", got, st)
	}
	return nil
}

func checkCapabilities(ctx context.Context, s *Suite, sess connection.Session) error {
	st := s.Opener.SessionType()
	got := reflect.TypeOf(sess)
	var errs []error
	for _, c := range connection.BuiltInCapabilities() {
		declared, has := c.ImplementedBy(st), c.ImplementedBy(got)
		if has && !declared {
			errs = append(errs, fmt.Errorf("the session implements %s but SessionType %s does not declare it", c, st))
		}
		if !has {
			continue
		}
		if err := exerciseCapability(ctx, s, sess, c); err != nil {
			errs = append(errs, fmt.Errorf("%s declared but does not work: %w", c, err))
		}
	}
	return errors.Join(errs...)
}

// exerciseCapability checks that a declared capability does what it says.
func exerciseCapability(ctx context.Context, s *Suite, sess connection.Session, c connection.Capability) error {
	switch c {
	case connection.CapCommandSender:
		return nil // CommandRoundTrip
	case connection.CapConfigGetter:
		cfg, err := sess.(connection.ConfigGetter).GetConfig(ctx, "running")
		if err != nil {
			return err
		}
		if strings.TrimSpace(cfg) == "" {
			return errors.New(`GetConfig("running") returned an empty configuration`)
		}
	case connection.CapFactsGetter:
		f, err := sess.(connection.FactsGetter).GetFacts(ctx)
		if err != nil {
			return err
		}
		if f == (connection.Facts{}) {
			return errors.New("GetFacts returned no facts")
		}
	case connection.CapRawAccess:
		if sess.(connection.RawAccess).Raw() == nil {
			return errors.New("Raw() returned nil")
		}
	case connection.CapConfigSender:
		if len(s.Config) == 0 {
			return nil
		}
		if _, err := sess.(connection.ConfigSender).SendConfig(ctx, s.Config, connection.ConfigOptions{Comment: "conntest"}); err != nil {
			return err
		}
	case connection.CapConfigSaver:
		if !s.Save {
			return nil
		}
		return sess.(connection.ConfigSaver).SaveConfig(ctx)
	}
	return nil
}

func checkCommand(ctx context.Context, s *Suite, sess connection.Session) error {
	cs := sess.(connection.CommandSender)
	r, err := cs.SendCommand(ctx, s.Command)
	if err != nil {
		return fmt.Errorf("SendCommand(%q): %w", s.Command, err)
	}
	if r.Command != s.Command {
		return fmt.Errorf("SendCommand(%q): Response.Command = %q", s.Command, r.Command)
	}
	if strings.TrimSpace(r.Output) == "" {
		return fmt.Errorf("SendCommand(%q): empty output", s.Command)
	}
	if s.WantOutput != "" && !strings.Contains(r.Output, s.WantOutput) {
		return fmt.Errorf("SendCommand(%q): output does not contain %q:\n%s", s.Command, s.WantOutput, r.Output)
	}
	rs, err := cs.SendCommands(ctx, []string{s.Command, s.Command})
	if err != nil {
		return fmt.Errorf("SendCommands: %w", err)
	}
	if len(rs) != 2 || rs[0].Command != s.Command || rs[1].Command != s.Command {
		return fmt.Errorf("SendCommands of 2 commands returned %d responses: %+v", len(rs), rs)
	}
	if rs[0].Output != r.Output && s.WantOutput != "" && !strings.Contains(rs[0].Output, s.WantOutput) {
		return fmt.Errorf("SendCommands: output does not contain %q", s.WantOutput)
	}
	return nil
}

func checkInvalidCommand(ctx context.Context, s *Suite, sess connection.Session) error {
	cs := sess.(connection.CommandSender)
	_, err := cs.SendCommand(ctx, s.InvalidCommand)
	var ce *connection.CommandError
	if !errors.As(err, &ce) || !errors.Is(err, connection.ErrCommandFailed) {
		return fmt.Errorf("SendCommand(%q) = %v, want a *connection.CommandError", s.InvalidCommand, err)
	}
	if ce.Command != s.InvalidCommand || ce.Host != s.Target.Host.Name {
		return fmt.Errorf("CommandError names command %q host %q, want %q %q", ce.Command, ce.Host, s.InvalidCommand, s.Target.Host.Name)
	}
	rs, err := cs.SendCommands(ctx, []string{s.Command, s.InvalidCommand, s.Command})
	if !errors.Is(err, connection.ErrCommandFailed) || len(rs) != 2 || rs[1].Command != s.InvalidCommand {
		return fmt.Errorf("SendCommands must stop at the rejected command and return its response last: %d responses, %v", len(rs), err)
	}
	if _, err := cs.SendCommand(ctx, s.Command); err != nil {
		return fmt.Errorf("the session is unusable after a rejected command: %w", err)
	}
	return nil
}

// ctxCalls calls every ctx-taking capability method the session has with ctx.
func ctxCalls(ctx context.Context, s *Suite, sess connection.Session) map[string]error {
	out := map[string]error{}
	if cs, ok := sess.(connection.CommandSender); ok {
		_, out["SendCommand"] = cs.SendCommand(ctx, s.Command)
		_, out["SendCommands"] = cs.SendCommands(ctx, []string{s.Command})
	}
	if g, ok := sess.(connection.ConfigGetter); ok {
		_, out["GetConfig"] = g.GetConfig(ctx, "running")
	}
	if f, ok := sess.(connection.FactsGetter); ok {
		_, out["GetFacts"] = f.GetFacts(ctx)
	}
	if c, ok := sess.(connection.ConfigSender); ok && len(s.Config) > 0 {
		_, out["SendConfig"] = c.SendConfig(ctx, s.Config, connection.ConfigOptions{})
	}
	if c, ok := sess.(connection.ConfigSaver); ok && s.Save {
		out["SaveConfig"] = c.SaveConfig(ctx)
	}
	return out
}

func checkCanceled(_ context.Context, s *Suite, sess connection.Session) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errs []error
	for m, err := range ctxCalls(ctx, s, sess) {
		if !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("%s with a canceled context = %v, want an error matching context.Canceled", m, err))
		}
	}
	if len(errs) == 0 {
		if err := recovered(s, sess); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkDeadline(_ context.Context, s *Suite, sess connection.Session) error {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	var errs []error
	for m, err := range ctxCalls(ctx, s, sess) {
		if !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, fmt.Errorf("%s with an expired deadline = %v, want an error matching context.DeadlineExceeded", m, err))
		}
	}
	if len(errs) == 0 {
		if err := recovered(s, sess); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// recovered checks the session still works after calls were refused for their context.
func recovered(s *Suite, sess connection.Session) error {
	cs, ok := sess.(connection.CommandSender)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	if _, err := cs.SendCommand(ctx, s.Command); err != nil {
		return fmt.Errorf("the session is unusable after a call refused for its context: %w", err)
	}
	return nil
}

func checkOpenCanceled(_ context.Context, s *Suite, _ connection.Session) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sess, err := s.Opener.Open(ctx, s.Target)
	if err == nil {
		sess.Close()
		return errors.New("the plugin's Open with a canceled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		return fmt.Errorf("the plugin's Open with a canceled context = %v, want an error matching context.Canceled", err)
	}
	return nil
}

func checkBadAuth(ctx context.Context, s *Suite, _ connection.Session) error {
	sess, err := s.Opener.Open(ctx, *s.BadAuth)
	if err == nil {
		sess.Close()
		return errors.New("the plugin's Open with bad credentials succeeded")
	}
	if !errors.Is(err, connection.ErrAuthentication) {
		return fmt.Errorf("the plugin's Open with bad credentials = %v, want an error matching connection.ErrAuthentication", err)
	}
	return nil
}

func checkUnreachable(ctx context.Context, s *Suite, _ connection.Session) error {
	sess, err := s.Opener.Open(ctx, *s.Unreachable)
	if err == nil {
		sess.Close()
		return errors.New("the plugin's Open of an unreachable target succeeded")
	}
	if errors.Is(err, connection.ErrAuthentication) {
		return fmt.Errorf("the plugin's Open of an unreachable target = %v: classified as an authentication failure", err)
	}
	return nil
}

func checkClose(ctx context.Context, s *Suite, _ connection.Session) error {
	sess, err := s.Opener.Open(ctx, s.Target)
	if err != nil {
		return fmt.Errorf("opening: %w", err)
	}
	l, live := sess.(connection.Liveness)
	if live && !l.Alive() {
		return errors.New("the session's Alive() is false just after Open")
	}
	if err := sess.Close(); err != nil {
		return fmt.Errorf("first Close: %w", err)
	}
	if live && l.Alive() {
		return errors.New("the session's Alive() is still true after Close")
	}
	if err := sess.Close(); err != nil {
		return fmt.Errorf("second Close = %v, want nil (Close must be idempotent)", err)
	}
	if cs, ok := sess.(connection.CommandSender); ok {
		if _, err := cs.SendCommand(ctx, s.Command); err == nil {
			return errors.New("SendCommand after Close succeeded")
		}
	}
	return nil
}
