package conntest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
)

// Broken plugins: each check must catch its fault.

func suiteFor(o connection.Opener) *Suite {
	h := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Hostname: "127.0.0.1", Platform: "ios"}}
	inventory.New([]*inventory.Host{h}, nil, nil)
	s := &Suite{Opener: o, Target: connection.Target{Host: h, Params: h.ConnectionParams("x")}, InvalidCommand: "bogus", Timeout: 2 * time.Second}
	s.defaults()
	return s
}

func mustOpen(t *testing.T, s *Suite) connection.Session {
	t.Helper()
	sess, err := s.Opener.Open(context.Background(), s.Target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}

// deafSession ignores its context and misclassifies rejected commands.
type deafSession struct{ closes int }

func (s *deafSession) Close() error {
	s.closes++
	if s.closes > 1 {
		return errors.New("already closed")
	}
	return nil
}
func (s *deafSession) SendCommand(_ context.Context, c string) (connection.Response, error) {
	if c == "bogus" {
		return connection.Response{Command: c}, errors.New("% Invalid input")
	}
	return connection.Response{Command: c, Output: "ok"}, nil
}
func (s *deafSession) SendCommands(ctx context.Context, cs []string) ([]connection.Response, error) {
	var out []connection.Response
	for _, c := range cs {
		r, err := s.SendCommand(ctx, c)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}
func (s *deafSession) GetConfig(context.Context, string) (string, error) { return "", nil }

func deafOpener() connection.Opener {
	return connection.OpenFunc(func(context.Context, connection.Target) (*deafSession, error) { return &deafSession{}, nil })
}

func TestChecksCatchFaults(t *testing.T) {
	s := suiteFor(deafOpener())
	sess := mustOpen(t, s)
	cases := []struct {
		check func(context.Context, *Suite, connection.Session) error
		want  string
	}{
		{checkCanceled, "SendCommand with a canceled context"},
		{checkDeadline, "GetConfig with an expired deadline"},
		{checkOpenCanceled, "Open with a canceled context succeeded"},
		{checkInvalidCommand, "want a *connection.CommandError"},
		{checkClose, "second Close"},
		{checkCapabilities, "connection.ConfigGetter declared but does not work"},
	}
	for _, c := range cases {
		err := c.check(context.Background(), s, sess)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.want, err, c.want)
		}
	}
}

type otherSession struct{ deafSession }

func TestSessionTypeMismatch(t *testing.T) {
	// Declares *deafSession, returns *otherSession.
	o := mismatch{}
	s := suiteFor(o)
	sess := mustOpen(t, s)
	if err := checkSessionType(context.Background(), s, sess); err == nil || !strings.Contains(err.Error(), "SessionType declares") {
		t.Errorf("err = %v", err)
	}
	// Declares only connection.Session but implements more: undeclared capabilities.
	s = suiteFor(connection.OpenFunc(func(context.Context, connection.Target) (connection.Session, error) {
		return &deafSession{}, nil
	}))
	sess = mustOpen(t, s)
	if err := checkSessionType(context.Background(), s, sess); err != nil {
		t.Errorf("interface SessionType: %v", err)
	}
	if err := checkCapabilities(context.Background(), s, sess); err == nil || !strings.Contains(err.Error(), "does not declare") {
		t.Errorf("err = %v", err)
	}
}

type mismatch struct{}

func (mismatch) Open(context.Context, connection.Target) (connection.Session, error) {
	return &otherSession{}, nil
}
func (mismatch) SessionType() reflect.Type { return reflect.TypeFor[*deafSession]() }

func TestOpenClassification(t *testing.T) {
	p := New().FailOpen("", errors.New("bad password"), 0) // not wrapped: misclassified
	s := suiteFor(p.Opener())
	bad := s.Target
	s.BadAuth = &bad
	if err := checkBadAuth(context.Background(), s, nil); err == nil || !strings.Contains(err.Error(), "ErrAuthentication") {
		t.Errorf("bad auth: %v", err)
	}
	p2 := New().FailOpen("", connection.ErrAuthentication, 0) // unreachable reported as auth
	s2 := suiteFor(p2.Opener())
	s2.Unreachable = &bad
	if err := checkUnreachable(context.Background(), s2, nil); err == nil || !strings.Contains(err.Error(), "authentication") {
		t.Errorf("unreachable: %v", err)
	}
	s3 := suiteFor(New().Opener())
	s3.BadAuth, s3.Unreachable = &bad, &bad
	if checkBadAuth(context.Background(), s3, nil) == nil || checkUnreachable(context.Background(), s3, nil) == nil {
		t.Error("an open that succeeds passes the failure checks")
	}
}

func TestRunCheckDetectsHang(t *testing.T) {
	s := suiteFor(New().Opener())
	s.Timeout = 20 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	err := runCheck(check{name: "hang", run: func(context.Context, *Suite, connection.Session) error {
		<-release // ignores ctx
		return nil
	}}, s, nil)
	if err == nil || !strings.Contains(err.Error(), "hung") {
		t.Errorf("err = %v", err)
	}
	err = runCheck(check{name: "panics", run: func(context.Context, *Suite, connection.Session) error { panic("x") }}, s, nil)
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Errorf("err = %v", err)
	}
}

func TestCheckCommandOutput(t *testing.T) {
	p := New().On("show version", Reply{Output: "Arista vEOS"})
	s := suiteFor(p.Opener())
	s.WantOutput = "IOS XE"
	sess := mustOpen(t, s)
	if err := checkCommand(context.Background(), s, sess); err == nil || !strings.Contains(err.Error(), "does not contain") {
		t.Errorf("err = %v", err)
	}
	p.On("show version", Reply{Output: ""})
	s.WantOutput = ""
	if err := checkCommand(context.Background(), s, sess); err == nil || !strings.Contains(err.Error(), "empty output") {
		t.Errorf("err = %v", err)
	}
}

// immortalSession claims to be alive after Close.
type immortalSession struct{ deafSession }

func (s *immortalSession) Close() error { return nil }
func (s *immortalSession) Alive() bool  { return true }

func TestCheckLiveness(t *testing.T) {
	s := suiteFor(connection.OpenFunc(func(context.Context, connection.Target) (*immortalSession, error) {
		return &immortalSession{}, nil
	}))
	if err := checkClose(context.Background(), s, nil); err == nil || !strings.Contains(err.Error(), "still true after Close") {
		t.Errorf("err = %v", err)
	}
}
