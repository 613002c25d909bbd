package connection_test

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Session types with different capability sets.

type closer struct{ closed atomic.Int32 }

func (c *closer) Close() error { c.closed.Add(1); return nil }

// cliSession: CommandSender only.
type cliSession struct{ closer }

func (*cliSession) SendCommand(_ context.Context, c string) (connection.Response, error) {
	return connection.Response{Command: c, Output: "cli:" + c}, nil
}
func (s *cliSession) SendCommands(ctx context.Context, cs []string) ([]connection.Response, error) {
	var out []connection.Response
	for _, c := range cs {
		r, _ := s.SendCommand(ctx, c)
		out = append(out, r)
	}
	return out, nil
}

// cfgSession: ConfigGetter and ConfigSender.
type cfgSession struct{ closer }

func (*cfgSession) GetConfig(context.Context, string) (string, error) { return "hostname r1", nil }
func (*cfgSession) SendConfig(context.Context, []string, connection.ConfigOptions) ([]connection.Response, error) {
	return nil, nil
}

// getSession: ConfigGetter only.
type getSession struct{ closer }

func (*getSession) GetConfig(context.Context, string) (string, error) { return "hostname r1", nil }

// bareSession: no capability.
type bareSession struct{ closer }

// opener returns an Opener of session type S that counts opens.
type counter struct {
	mu     sync.Mutex
	opens  int
	params []inventory.Params
	keys   []connection.Key
}

func openerOf[S connection.Session](c *counter, mk func() S) connection.Opener {
	return connection.OpenFunc(func(_ context.Context, t connection.Target) (S, error) {
		if c != nil {
			c.mu.Lock()
			c.opens++
			c.params = append(c.params, t.Params)
			c.keys = append(c.keys, t.Key)
			c.mu.Unlock()
		}
		return mk(), nil
	})
}

func cli() connection.Opener  { return openerOf(nil, func() *cliSession { return &cliSession{} }) }
func cfg() connection.Opener  { return openerOf(nil, func() *cfgSession { return &cfgSession{} }) }
func get() connection.Opener  { return openerOf(nil, func() *getSession { return &getSession{} }) }
func bare() connection.Opener { return openerOf(nil, func() *bareSession { return &bareSession{} }) }

func host(name, platform string) *inventory.Host {
	h := &inventory.Host{Name: name, Attrs: inventory.Attrs{Hostname: "127.0.0.1", Platform: platform}}
	inventory.New([]*inventory.Host{h}, nil, nil)
	return h
}

// logBuf returns a logger writing JSON lines into a buffer safe for concurrent use.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLog() (*logBuf, zerolog.Logger) {
	b := &logBuf{}
	return b, zerolog.New(b).Level(zerolog.DebugLevel)
}

func key(p, t, l string) connection.Key { return connection.Key{Platform: p, Type: t, Library: l} }
