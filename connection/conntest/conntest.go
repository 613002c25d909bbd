package conntest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gonorn/norn/connection"
)

// InvalidInput is the output of an unscripted command: what Cisco IOS prints for a command it
// does not know.
const InvalidInput = "% Invalid input detected at '^' marker."

// Reply scripts the device's answer to one command.
type Reply struct {
	// Output is what the device prints.
	Output string
	// Fail makes the device reject the command: the call returns the response and a
	// *connection.CommandError carrying Output.
	Fail bool
	// Err is returned as is (after Delay), e.g. a timeout or a transport error.
	Err error
	// Delay is how long the device takes to answer; the call returns ctx's error if ctx ends
	// first.
	Delay time.Duration
	// Drop makes the session die: the call and every later one return an error wrapping
	// connection.ErrConnectionLost.
	Drop bool
}

// Sent records one thing a session sent to the fake device.
type Sent struct {
	// Host is the inventory host's name.
	Host string
	// Command is the command or configuration line.
	Command string
	// Config is true for configuration lines (SendConfig).
	Config bool
	// DryRun is true for configuration lines sent with ConfigOptions.DryRun.
	DryRun bool
}

// Stats count what a Plugin did.
type Stats struct {
	// Opens counts successful opens; FailedOpens the others.
	Opens, FailedOpens int
	// Closes counts sessions closed (each at most once).
	Closes int
	// Open is the number of sessions open now; MaxOpen the most open at once.
	Open, MaxOpen int
}

type openFailure struct {
	host  string
	err   error
	times int // <= 0: always
	spent bool
}

// Plugin is a scripted fake connection plugin. Register its Opener (or CLIOpener) in a
// connection.Registry, script answers with On, run your task, then inspect Sent and Stats. The
// zero value is not usable; make one with New. A Plugin is safe for concurrent use.
type Plugin struct {
	mu        sync.Mutex
	replies   map[string][]Reply // key: host + "\x00" + command; host "" = any
	unknown   *Reply
	running   map[string]string // per host; "" = any
	startup   map[string]string
	facts     *connection.Facts
	failures  []*openFailure
	delay     time.Duration
	user      string
	pass      string
	checkAuth bool

	sent     []Sent
	targets  []connection.Target
	sessions []*Session
	stats    Stats
}

// New returns a fake plugin whose device answers every command with InvalidInput (a
// *connection.CommandError), has the running configuration "hostname <host>\n", and reports
// Cisco facts.
func New() *Plugin {
	return &Plugin{replies: map[string][]Reply{}, running: map[string]string{}, startup: map[string]string{}}
}

// On scripts the answers to command on every host: the first call gets replies[0], the next
// replies[1], and the last reply repeats. It replaces an earlier script of the same command.
func (p *Plugin) On(command string, replies ...Reply) *Plugin {
	return p.OnHost("", command, replies...)
}

// OnHost is On for the host of that inventory name only; it wins over On.
func (p *Plugin) OnHost(host, command string, replies ...Reply) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(replies) == 0 {
		replies = []Reply{{}}
	}
	p.replies[host+"\x00"+command] = slices.Clone(replies)
	return p
}

// OnUnknown sets the answer to unscripted commands (default: Fail with InvalidInput).
func (p *Plugin) OnUnknown(r Reply) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unknown = &r
	return p
}

// SetConfig sets the running configuration of host ("" for every host). SendConfig appends to
// it, SaveConfig copies it to the startup configuration.
func (p *Plugin) SetConfig(host, running string) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[host] = running
	return p
}

// SetStartupConfig sets the startup configuration of host ("" for every host).
func (p *Plugin) SetStartupConfig(host, startup string) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startup[host] = startup
	return p
}

// SetFacts sets the facts GetFacts returns (an empty Hostname is filled with the host's name).
func (p *Plugin) SetFacts(f connection.Facts) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.facts = &f
	return p
}

// FailOpen makes opens to host (its inventory name or its hostname; "" = any host) fail with
// err, the next times opens (times <= 0: always). Wrap connection.ErrAuthentication in err to
// script an authentication failure.
func (p *Plugin) FailOpen(host string, err error, times int) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures = append(p.failures, &openFailure{host: host, err: err, times: times})
	return p
}

// RequireCredentials makes opens whose Params carry other credentials fail with an error
// wrapping connection.ErrAuthentication.
func (p *Plugin) RequireCredentials(username, password string) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user, p.pass, p.checkAuth = username, password, true
	return p
}

// SetOpenDelay makes every open take d (cut short by ctx).
func (p *Plugin) SetOpenDelay(d time.Duration) *Plugin {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
	return p
}

// Sent returns everything sent so far, in order, across sessions.
func (p *Plugin) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// Commands returns the commands and configuration lines sent to host, in order.
func (p *Plugin) Commands(host string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.sent {
		if s.Host == host {
			out = append(out, s.Command)
		}
	}
	return out
}

// Targets returns the targets of every open attempt, in order.
func (p *Plugin) Targets() []connection.Target {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.targets)
}

// Stats returns the plugin's counters.
func (p *Plugin) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Running returns the running configuration of host as the fake device holds it now.
func (p *Plugin) Running(host string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked(host)
}

func (p *Plugin) runningLocked(host string) string {
	if c, ok := p.running[host]; ok {
		return c
	}
	if c, ok := p.running[""]; ok {
		return c
	}
	return "hostname " + host + "\n"
}

// Opener returns an Opener of *Session, which implements every capability.
func (p *Plugin) Opener() connection.Opener {
	return connection.OpenFunc(func(ctx context.Context, t connection.Target) (*Session, error) {
		return p.open(ctx, t)
	})
}

// CLIOpener returns an Opener of *CLISession, which only sends commands (CommandSender): use it
// to test how a task handles a plugin lacking a capability.
func (p *Plugin) CLIOpener() connection.Opener {
	return connection.OpenFunc(func(ctx context.Context, t connection.Target) (*CLISession, error) {
		s, err := p.open(ctx, t)
		if err != nil {
			return nil, err
		}
		return &CLISession{s: s}, nil
	})
}

func (p *Plugin) open(ctx context.Context, t connection.Target) (*Session, error) {
	name := ""
	if t.Host != nil {
		name = t.Host.Name
	}
	p.mu.Lock()
	p.targets = append(p.targets, t)
	delay := p.delay
	var ferr error
	for _, f := range p.failures {
		if f.spent || (f.host != "" && f.host != name && f.host != t.Params.Hostname) {
			continue
		}
		if f.times > 0 {
			f.times--
			f.spent = f.times == 0
		}
		ferr = f.err
		break
	}
	if ferr == nil && p.checkAuth && (t.Params.Username != p.user || t.Params.Password != p.pass) {
		ferr = fmt.Errorf("conntest: %s: user %q: %w", t.Params.Hostname, t.Params.Username, connection.ErrAuthentication)
	}
	p.mu.Unlock()

	err := sleep(ctx, delay)
	if err != nil {
		err = fmt.Errorf("conntest: opening %s: %w", t.Params.Hostname, err)
	} else {
		err = ferr
	}
	if err != nil {
		p.mu.Lock()
		p.stats.FailedOpens++
		p.mu.Unlock()
		return nil, err
	}
	s := &Session{p: p, host: name}
	p.mu.Lock()
	p.sessions = append(p.sessions, s)
	p.stats.Opens++
	p.stats.Open++
	p.stats.MaxOpen = max(p.stats.MaxOpen, p.stats.Open)
	p.mu.Unlock()
	return s, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reply returns the scripted reply for command on host, consuming it.
func (p *Plugin) reply(host, command string) (Reply, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range []string{host + "\x00" + command, "\x00" + command} {
		if rs, ok := p.replies[k]; ok {
			r := rs[0]
			if len(rs) > 1 {
				p.replies[k] = rs[1:]
			}
			return r, true
		}
	}
	return Reply{}, false
}

// Session is the fake device's session. It implements connection.Session, every built-in
// capability and connection.Liveness. Raw returns the *Session itself.
type Session struct {
	p    *Plugin
	host string

	mu     sync.Mutex
	closed bool
	lost   bool
}

// Interface guards.
var (
	_ connection.Session       = (*Session)(nil)
	_ connection.CommandSender = (*Session)(nil)
	_ connection.ConfigSender  = (*Session)(nil)
	_ connection.ConfigGetter  = (*Session)(nil)
	_ connection.FactsGetter   = (*Session)(nil)
	_ connection.ConfigSaver   = (*Session)(nil)
	_ connection.RawAccess     = (*Session)(nil)
	_ connection.Liveness      = (*Session)(nil)
	_ connection.CommandSender = (*CLISession)(nil)
)

// Host returns the name of the host the session is open to.
func (s *Session) Host() string { return s.host }

// Close closes the session; later calls return nil.
func (s *Session) Close() error {
	s.mu.Lock()
	was := s.closed
	s.closed = true
	s.mu.Unlock()
	if !was {
		s.p.mu.Lock()
		s.p.stats.Closes++
		s.p.stats.Open--
		s.p.mu.Unlock()
	}
	return nil
}

// Alive reports whether the session is usable: not closed and not dropped (connection.Liveness).
func (s *Session) Alive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && !s.lost
}

// Closed reports whether Close was called.
func (s *Session) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Session) usable(ctx context.Context) error {
	s.mu.Lock()
	closed, lost := s.closed, s.lost
	s.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("conntest: host %s: session is closed: %w", s.host, connection.ErrClosed)
	case lost:
		return fmt.Errorf("conntest: host %s: %w", s.host, connection.ErrConnectionLost)
	}
	return ctx.Err()
}

// play applies a reply's delay, drop and error; it returns the response and error of the call.
func (s *Session) play(ctx context.Context, command string, r Reply) (connection.Response, error) {
	start := time.Now()
	resp := connection.Response{Command: command}
	if err := sleep(ctx, r.Delay); err != nil {
		return resp, fmt.Errorf("conntest: host %s: command %q: %w", s.host, command, err)
	}
	if r.Drop {
		s.mu.Lock()
		s.lost = true
		s.mu.Unlock()
		return resp, fmt.Errorf("conntest: host %s: command %q: %w", s.host, command, connection.ErrConnectionLost)
	}
	resp.Output = r.Output
	resp.Elapsed = time.Since(start)
	if r.Err != nil {
		return resp, r.Err
	}
	if r.Fail {
		return resp, &connection.CommandError{Host: s.host, Command: command, Output: r.Output}
	}
	return resp, nil
}

func (s *Session) record(command string, config, dryRun bool) {
	s.p.mu.Lock()
	s.p.sent = append(s.p.sent, Sent{Host: s.host, Command: command, Config: config, DryRun: dryRun})
	s.p.mu.Unlock()
}

// SendCommand sends one command and returns its scripted answer.
func (s *Session) SendCommand(ctx context.Context, command string) (connection.Response, error) {
	if err := s.usable(ctx); err != nil {
		return connection.Response{Command: command}, err
	}
	s.record(command, false, false)
	r, ok := s.p.reply(s.host, command)
	if !ok {
		s.p.mu.Lock()
		if s.p.unknown != nil {
			r = *s.p.unknown
		} else {
			r = Reply{Output: InvalidInput, Fail: true}
		}
		s.p.mu.Unlock()
	}
	return s.play(ctx, command, r)
}

// SendCommands sends commands in order, stopping at the first failure. The response of a
// command the device rejects is the last one returned.
func (s *Session) SendCommands(ctx context.Context, commands []string) ([]connection.Response, error) {
	out := make([]connection.Response, 0, len(commands))
	for _, c := range commands {
		r, err := s.SendCommand(ctx, c)
		if err != nil {
			if errors.Is(err, connection.ErrCommandFailed) {
				out = append(out, r)
			}
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// SendConfig sends configuration lines. Unscripted lines succeed with no output; a line
// scripted with On answers as scripted (Fail for a rejected line, whose response is the last
// one returned). Unless opts.DryRun, the lines
// are appended to the running configuration once all succeeded.
func (s *Session) SendConfig(ctx context.Context, lines []string, opts connection.ConfigOptions) ([]connection.Response, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make([]connection.Response, 0, len(lines))
	for _, l := range lines {
		s.record(l, true, opts.DryRun)
		r, _ := s.p.reply(s.host, l)
		resp, err := s.play(ctx, l, r)
		if err != nil {
			if errors.Is(err, connection.ErrCommandFailed) {
				out = append(out, resp)
			}
			return out, err
		}
		out = append(out, resp)
	}
	if !opts.DryRun && len(lines) > 0 {
		s.p.mu.Lock()
		cur := s.p.runningLocked(s.host)
		if cur != "" && !strings.HasSuffix(cur, "\n") {
			cur += "\n"
		}
		s.p.running[s.host] = cur + strings.Join(lines, "\n") + "\n"
		s.p.mu.Unlock()
	}
	return out, nil
}

// GetConfig returns the running ("running" or "") or startup ("startup") configuration. If the
// command "show running-config" (or "show startup-config") is scripted, its reply is used.
func (s *Session) GetConfig(ctx context.Context, source string) (string, error) {
	if err := s.usable(ctx); err != nil {
		return "", err
	}
	cmd := map[string]string{"": "show running-config", "running": "show running-config", "startup": "show startup-config"}[source]
	if cmd == "" {
		return "", fmt.Errorf("conntest: host %s: unknown configuration source %q (want running or startup)", s.host, source)
	}
	s.record(cmd, false, false)
	if r, ok := s.p.reply(s.host, cmd); ok {
		resp, err := s.play(ctx, cmd, r)
		return resp.Output, err
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if source == "startup" {
		if c, ok := s.p.startup[s.host]; ok {
			return c, nil
		}
		return s.p.startup[""], nil
	}
	return s.p.runningLocked(s.host), nil
}

// GetFacts returns the facts set with SetFacts (default: a Cisco CSR1000V). A scripted
// "show version" reply applies its delay, drop and errors.
func (s *Session) GetFacts(ctx context.Context) (connection.Facts, error) {
	if err := s.usable(ctx); err != nil {
		return connection.Facts{}, err
	}
	s.record("show version", false, false)
	if r, ok := s.p.reply(s.host, "show version"); ok {
		if _, err := s.play(ctx, "show version", r); err != nil {
			return connection.Facts{}, err
		}
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	f := connection.Facts{Vendor: "Cisco", Model: "CSR1000V", Serial: "9ESGOBARV9D", OSVersion: "17.3.1a", Uptime: time.Hour}
	if s.p.facts != nil {
		f = *s.p.facts
	}
	if f.Hostname == "" {
		f.Hostname = s.host
	}
	return f, nil
}

// SaveConfig copies the running configuration to the startup configuration. A scripted
// "write memory" reply applies.
func (s *Session) SaveConfig(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	s.record("write memory", false, false)
	if r, ok := s.p.reply(s.host, "write memory"); ok {
		if _, err := s.play(ctx, "write memory", r); err != nil {
			return err
		}
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.startup[s.host] = s.p.runningLocked(s.host)
	return nil
}

// Raw returns the session itself.
func (s *Session) Raw() any { return s }

// CLISession is a fake session that only sends commands (and closes).
type CLISession struct{ s *Session }

// Close closes the session.
func (c *CLISession) Close() error { return c.s.Close() }

// SendCommand sends one command.
func (c *CLISession) SendCommand(ctx context.Context, command string) (connection.Response, error) {
	return c.s.SendCommand(ctx, command)
}

// SendCommands sends commands in order, stopping at the first failure.
func (c *CLISession) SendCommands(ctx context.Context, commands []string) ([]connection.Response, error) {
	return c.s.SendCommands(ctx, commands)
}
