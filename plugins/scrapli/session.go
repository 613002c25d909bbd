package scrapli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/scrapli/scrapligo/channel"
	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/response"
	"github.com/scrapli/scrapligo/util"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/redact"
)

// base is what SSH and NETCONF sessions share: the endpoint, the transport, the operation lock,
// cancellation and the broken state.
type base struct {
	ep         endpoint
	log        zerolog.Logger
	tr         *sshTransport // nil with the system transport
	forceClose func()        // closes the transport from any goroutine
	sessionLog *redact.Writer
	platform   string           // canonical platform name
	redactor   *redact.Redactor // the session's secrets and its platform's rules
	closeWait  time.Duration

	// transportAlive reports whether the transport is still connected (no I/O); nil: assume so.
	transportAlive func() bool

	mu     sync.Mutex // one operation at a time (scrapligo drivers are not concurrent-safe)
	closed bool
	broken error // set when the session can no longer be trusted (lost, timed out, cancelled)
	// dead is set with closed or broken, for Alive (which must not wait for a running call).
	dead atomic.Bool
}

// Alive reports, without I/O and without waiting for a running call, whether the session can
// still be used: false once it is closed, once a call failed in a way that leaves it unusable
// (timeout, lost connection, cancellation), or, with the standard transport, once the transport
// saw the device close the connection. It implements connection.Liveness: a connection.Manager opens a new session
// instead of lending a dead one, so a retried task starts afresh.
func (b *base) Alive() bool {
	if b.dead.Load() {
		return false
	}
	return b.transportAlive == nil || b.transportAlive()
}

// setBroken marks the session unusable (the lock is held).
func (b *base) setBroken(err error) {
	b.broken = err
	b.dead.Store(true)
}

// setClosed marks the session closed (the lock is held).
func (b *base) setClosed() {
	b.closed = true
	b.dead.Store(true)
}

// abort closes the transport at once; a blocked read returns.
func (b *base) abort() {
	if b.forceClose != nil {
		b.forceClose()
	}
}

// do runs f as operation op with the session locked, closing the transport if ctx ends first.
// A timeout, a lost connection or a cancellation leaves the session broken: its output stream
// can no longer be matched to commands, so later calls fail with connection.ErrConnectionLost.
func (b *base) do(ctx context.Context, op string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return wrapErr(b.ep.host, b.ep.addr, op, false, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return wrapErr(b.ep.host, b.ep.addr, op, false, errSessionClosed)
	}
	if b.broken != nil {
		return &classified{
			msg:     fmt.Sprintf("scrapli: host %s (%s): %s: session unusable after an earlier failure: %v", b.ep.host, b.ep.addr, op, b.broken),
			classes: []error{connection.ErrConnectionLost},
		}
	}
	stop := context.AfterFunc(ctx, b.abort)
	err := f()
	if !stop() {
		// ctx ended during the call: the transport is (being) closed.
		b.setBroken(fmt.Errorf("%s interrupted: %w", op, ctx.Err()))
		if err != nil {
			return wrapErr(b.ep.host, b.ep.addr, op, false, ctx.Err())
		}
		return nil
	}
	if err != nil {
		switch classify(err) {
		case classTimeout, classLost, classCanceled:
			b.setBroken(fmt.Errorf("%s: %s", op, describe(err)))
			b.abort()
		}
		return wrapErr(b.ep.host, b.ep.addr, op, false, err)
	}
	return nil
}

var errSessionClosed = fmt.Errorf("session is closed: %w", connection.ErrConnectionLost)

// Session is an SSH CLI session to one device through scrapligo's network driver. It implements
// connection.CommandSender, ConfigSender, ConfigGetter, FactsGetter, ConfigSaver and RawAccess.
// Its methods may be called from several goroutines; they run one at a time.
type Session struct {
	base
	d       *network.Driver
	spec    *platformSpec
	levels  map[string]*level
	prompts prompts
	prompt  string // the prompt seen at open
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
)

// Platform returns the session's platform (e.g. "cisco_iosxe").
func (s *Session) Platform() string { return s.spec.name }

// Prompt returns the prompt the device showed when the session opened (e.g. "csr1000v#").
func (s *Session) Prompt() string { return s.prompt }

// Raw returns the scrapligo *network.Driver. Use it only while the task holds the connection,
// and not concurrently with the session's own methods.
func (s *Session) Raw() any { return s.d }

// sendLocked sends one command at the default privilege level. The session lock is held.
func (s *Session) sendLocked(command string, opts ...util.Option) (*response.Response, error) {
	if s.d.CurrentPriv != s.d.DefaultDesiredPriv {
		// network.Driver.SendCommand would hide the cause of a failed AcquirePriv.
		if err := s.d.AcquirePriv(s.d.DefaultDesiredPriv); err != nil {
			return nil, err
		}
	}
	return s.send(command, s.d.FailedWhenContains, opts...)
}

// send sends one command at the current privilege level and reads its output up to the
// prompt, as scrapligo's generic SendCommand does, but with the command prompt pattern
// (prompts.read) and with only the trailing prompt stripped from the output (see prompts). The
// session lock is held (or the session is opening).
func (s *Session) send(command string, failWhen []string, opts ...util.Option) (*response.Response, error) {
	ch := s.d.Channel
	saved := ch.PromptPattern
	ch.PromptPattern = s.prompts.read
	defer func() { ch.PromptPattern = saved }()
	r := response.NewResponse(command, s.ep.hostname, s.ep.port, failWhen)
	b, err := ch.SendInput(command, append(slices.Clip(opts), opoptions.WithNoStripPrompt())...)
	if err != nil {
		return nil, err
	}
	r.Record(stripTrailingPrompt(b, s.prompts.cli))
	return r, nil
}

func toResponse(command string, r *response.Response) connection.Response {
	if r == nil {
		return connection.Response{Command: command}
	}
	return connection.Response{
		Command: command,
		Output:  r.Result,
		Elapsed: time.Duration(r.ElapsedTime * float64(time.Second)),
	}
}

func (s *Session) commandError(command string, r *response.Response) error {
	out := ""
	if r != nil {
		out = strings.TrimSpace(r.Result)
	}
	return &connection.CommandError{Host: s.ep.host, Command: command, Output: out}
}

// SendCommand sends one command at the platform's default privilege level. A command the
// device rejects (scrapligo's failed-when-contains, e.g. "% Invalid input") returns the
// response and a *connection.CommandError.
func (s *Session) SendCommand(ctx context.Context, command string) (connection.Response, error) {
	var r *response.Response
	err := s.do(ctx, fmt.Sprintf("send command %q", command), func() (err error) {
		r, err = s.sendLocked(command)
		return err
	})
	if err != nil {
		return toResponse(command, r), err
	}
	resp := toResponse(command, r)
	if r.Failed != nil {
		return resp, s.commandError(command, r)
	}
	return resp, nil
}

// SendCommands sends commands in order and stops at the first failure, returning the
// responses received so far (including the failed one's).
func (s *Session) SendCommands(ctx context.Context, commands []string) ([]connection.Response, error) {
	out := make([]connection.Response, 0, len(commands))
	for _, c := range commands {
		r, err := s.SendCommand(ctx, c)
		if err != nil {
			var ce *connection.CommandError
			if errors.As(err, &ce) {
				out = append(out, r)
			}
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// GetConfig returns the "running" or "startup" configuration as the device prints it. IOS-XR
// and Junos have no separate startup configuration (a commit is persistent): "startup" returns
// an error wrapping errors.ErrUnsupported there.
func (s *Session) GetConfig(ctx context.Context, source string) (string, error) {
	var cmd string
	switch source {
	case "running", "":
		cmd = s.spec.running
	case "startup":
		cmd = s.spec.startup
		if cmd == "" {
			return "", fmt.Errorf("scrapli: host %s (%s): %s has no startup configuration apart from the committed one: %w",
				s.ep.host, s.ep.addr, s.spec.name, errors.ErrUnsupported)
		}
	default:
		return "", fmt.Errorf("scrapli: host %s (%s): unknown configuration source %q (want \"running\" or \"startup\"): %w",
			s.ep.host, s.ep.addr, source, errors.ErrUnsupported)
	}
	r, err := s.SendCommand(ctx, cmd)
	if err != nil {
		return "", err
	}
	return r.Output, nil
}

// GetFacts sends "show version" and parses it (see ParseVersion; on Junos also "show chassis
// hardware" for the serial number, see ParseChassisSerial). A hostname the output does
// not carry is taken from the prompt.
func (s *Session) GetFacts(ctx context.Context) (connection.Facts, error) {
	r, err := s.SendCommand(ctx, s.spec.showVersion)
	if err != nil {
		return connection.Facts{}, err
	}
	f, err := ParseVersion(s.spec.name, r.Output)
	if cmd := serialCommands[s.spec.name]; cmd != "" && f.Serial == "" && err == nil {
		if r, serr := s.SendCommand(ctx, cmd); serr == nil { // Junos: show chassis hardware
			f.Serial = ParseChassisSerial(r.Output)
		}
	}
	if f.Hostname == "" {
		f.Hostname = hostnameFromPrompt(s.prompt)
	}
	if err != nil {
		return f, fmt.Errorf("scrapli: host %s (%s): %w", s.ep.host, s.ep.addr, err)
	}
	return f, nil
}

// SaveConfig saves the running configuration to startup ("write memory" on IOS-XE, "copy
// running-config startup-config" on NX-OS and EOS). On IOS-XR, Junos and SR Linux a commit is
// already persistent: SaveConfig does nothing and returns nil.
func (s *Session) SaveConfig(ctx context.Context) error {
	if len(s.spec.save) == 0 {
		return s.do(ctx, "save config", func() error { return nil })
	}
	for _, c := range s.spec.save {
		r, err := s.SendCommand(ctx, c)
		if err != nil {
			return err
		}
		if s.spec.saveOK != nil && !s.spec.saveOK.MatchString(r.Output) {
			return &connection.CommandError{Host: s.ep.host, Command: c,
				Output: "save not confirmed by the device: " + strings.TrimSpace(r.Output)}
		}
	}
	return nil
}

// SendConfig enters configuration mode, sends lines (empty ones skipped) and leaves it,
// stopping at the first line the device rejects. IOS-XR and Junos lines go to the candidate
// configuration and are committed (with opts.Comment when set); on a failure the candidate is
// discarded ("abort" on IOS-XR, "rollback 0" on Junos). opts.DryRun runs "commit check" and
// discards the candidate on Junos; other platforms return an error wrapping
// errors.ErrUnsupported for a dry run, and sending nothing. The responses are those of the
// lines, then of the commit.
func (s *Session) SendConfig(ctx context.Context, lines []string, opts connection.ConfigOptions) ([]connection.Response, error) {
	if opts.DryRun && s.spec.commit != commitJunos {
		return nil, fmt.Errorf("scrapli: host %s (%s): dry-run configuration on %s: %w",
			s.ep.host, s.ep.addr, s.spec.name, errors.ErrUnsupported)
	}
	var out []connection.Response
	var failed error
	err := s.do(ctx, "send config", func() error {
		var err error
		out, failed, err = s.sendConfigLocked(lines, opts)
		return err
	})
	if err != nil {
		return out, err
	}
	return out, failed
}

var configFlavor = map[commitStyle]string{
	commitNone:  "configuration",
	commitXR:    "configuration",
	commitJunos: "configuration",
	commitSRL:   "configuration",
}

func (s *Session) sendConfigLocked(lines []string, opts connection.ConfigOptions) ([]connection.Response, error, error) {
	var out []connection.Response
	if err := s.d.AcquirePriv(configFlavor[s.spec.commit]); err != nil {
		return nil, nil, err
	}
	failWhen := append(append([]string(nil), s.d.FailedWhenContains...), s.spec.configFail...)
	send := func(c string) (*response.Response, error) {
		r, err := s.send(c, failWhen)
		if err != nil {
			return r, err
		}
		out = append(out, toResponse(c, r))
		return r, nil
	}
	for _, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		r, err := send(line)
		if err != nil {
			return out, nil, err
		}
		if r.Failed != nil {
			// The line may carry a secret ("username u secret x"): the error names it redacted.
			return out, s.commandError(s.redactor.String(line), r), s.discardLocked()
		}
	}
	var commit string
	switch s.spec.commit {
	case commitXR:
		commit = "commit"
		if opts.Comment != "" {
			commit += " comment " + oneLine(opts.Comment)
		}
	case commitJunos:
		commit = "commit"
		if opts.DryRun {
			commit = "commit check"
		} else if opts.Comment != "" {
			commit += ` comment "` + strings.ReplaceAll(oneLine(opts.Comment), `"`, `'`) + `"`
		}
	case commitSRL:
		commit = "commit now"
	}
	if commit != "" {
		if s.spec.commit == commitXR {
			// Back to the top of the configuration first, so that "commit" is read as the
			// command and not as a line of the sub-mode the last line entered.
			if _, err := s.send("root", nil); err != nil {
				return out, nil, err
			}
		}
		r, err := send(commit)
		if err != nil {
			return out, nil, err
		}
		if r.Failed != nil {
			return out, s.commandError(commit, r), s.discardLocked()
		}
		if opts.DryRun {
			if err := s.discardLocked(); err != nil {
				return out, nil, err
			}
			return out, nil, nil
		}
	}
	return out, nil, s.d.AcquirePriv(s.d.DefaultDesiredPriv)
}

// discardLocked throws away an uncommitted candidate and returns to the default privilege level.
func (s *Session) discardLocked() error {
	switch s.spec.commit {
	case commitXR:
		// "abort" discards the candidate and leaves configuration mode.
		if _, err := s.d.Channel.SendInput("abort"); err != nil {
			return err
		}
		s.d.CurrentPriv = ""
	case commitJunos:
		if _, err := s.send("rollback 0", nil); err != nil {
			return err
		}
	case commitSRL:
		if _, err := s.d.Channel.SendInput("discard now"); err != nil {
			return err
		}
		s.d.CurrentPriv = ""
	}
	return s.d.AcquirePriv(s.d.DefaultDesiredPriv)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Close leaves the device politely (the platform's exit sequence, bounded by the smaller of
// timeout_ops and timeout_transport, at most 10 s), then always closes the SSH client,
// whatever the device did: a device hanging up first (io.EOF) is a normal close. It is safe to
// call more than once and while another method runs (which then fails with
// connection.ErrConnectionLost).
func (s *Session) Close() error {
	if !s.mu.TryLock() {
		s.abort() // an operation is running: interrupt it
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.setClosed()
	var err error
	if s.broken == nil {
		t := time.AfterFunc(s.closeWait, s.abort)
		err = s.d.Close()
		t.Stop()
	} else {
		err = s.d.Channel.Close()
	}
	s.abort()
	if s.sessionLog != nil {
		if lerr := s.sessionLog.Close(); lerr != nil {
			s.log.Warn().Err(lerr).Msg("scrapli: session log")
		}
	}
	if err != nil && classify(err) == classOther {
		return wrapErr(s.ep.host, s.ep.addr, "close", false, err)
	}
	return nil
}

// onOpen is the network driver's on-open: the platform's network-on-open operations, with the
// privilege acquisition done here so that an "enable" without a secret fails at once (scrapligo
// would wait for a prompt until timeout_ops) and a rejected secret is reported as such.
func (s *Session) onOpen(defs []map[string]any, secret string) func(d *network.Driver) error {
	return func(d *network.Driver) error {
		for _, op := range defs {
			kind, _ := op["operation"].(string)
			var err error
			switch kind {
			case platform.OpAcquirePriv:
				target := d.DefaultDesiredPriv
				if t, ok := op["target"].(string); ok && t != "" {
					target = t
				}
				err = s.acquireAtOpen(d, target, secret)
			case platform.OpDriverSendCommand:
				c, _ := op["command"].(string)
				var r *response.Response
				r, err = s.send(c, d.FailedWhenContains)
				if err == nil && r.Failed != nil {
					s.log.Debug().Str("command", c).Msg("scrapli: on-open command rejected by the device")
				}
			case platform.OpChannelWrite:
				in, _ := op["input"].(string)
				red, _ := op["redacted"].(bool)
				err = d.Channel.Write([]byte(in), red)
			case platform.OpChannelReturn:
				err = d.Channel.WriteReturn()
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// level is a privilege level of a platform with its patterns compiled once.
type level struct {
	name        string
	re          *regexp.Regexp
	notContains []string
	escalateRe  *regexp.Regexp // nil when the level has no escalate prompt
}

// compileLevels compiles a platform's privilege levels.
func compileLevels(levels network.PrivilegeLevels) (map[string]*level, error) {
	out := make(map[string]*level, len(levels))
	for name, p := range levels {
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return nil, fmt.Errorf("privilege level %s: %w", name, err)
		}
		l := &level{name: name, re: re, notContains: p.NotContains}
		if p.EscalatePrompt != "" {
			if l.escalateRe, err = regexp.Compile(p.EscalatePrompt); err != nil {
				return nil, fmt.Errorf("privilege level %s: %w", name, err)
			}
		}
		out[name] = l
	}
	return out, nil
}

// privOf returns the privilege level a prompt belongs to, preferring want when several match.
func privOf(levels map[string]*level, prompt, want string) string {
	var found string
	for name, l := range levels {
		if util.StringContainsAny(prompt, l.notContains) {
			continue
		}
		if l.re.MatchString(prompt) {
			if name == want {
				return name
			}
			if found == "" || name < found {
				found = name
			}
		}
	}
	return found
}

func (s *Session) acquireAtOpen(d *network.Driver, target, secret string) error {
	prompt, err := d.GetPrompt()
	if err != nil {
		return err
	}
	s.prompt = prompt
	cur := privOf(s.levels, prompt, target)
	if cur == target {
		d.CurrentPriv = target
		return nil
	}
	lvl := d.PrivilegeLevels[target]
	if cur == "" || lvl == nil || !lvl.EscalateAuth || lvl.PreviousPriv != cur || s.levels[target].escalateRe == nil {
		return d.AcquirePriv(target)
	}
	// One step up that needs a secret: "enable".
	tgtRe, curRe, escRe := s.levels[target].re, s.levels[cur].re, s.levels[target].escalateRe
	either := func(res ...*regexp.Regexp) string {
		parts := make([]string, len(res))
		for i, re := range res {
			parts[i] = "(?:" + re.String() + ")"
		}
		return strings.Join(parts, "|")
	}
	var events []*channel.SendInteractiveEvent
	if secret == "" {
		events = []*channel.SendInteractiveEvent{{ChannelInput: lvl.Escalate, ChannelResponse: either(escRe, tgtRe, curRe)}}
	} else {
		events = []*channel.SendInteractiveEvent{
			{ChannelInput: lvl.Escalate, ChannelResponse: either(escRe, tgtRe, curRe)},
			{ChannelInput: secret, ChannelResponse: either(tgtRe, escRe, curRe), HideInput: true},
		}
	}
	b, err := d.Channel.SendInteractive(events, opoptions.WithCompletePatterns([]*regexp.Regexp{tgtRe, curRe}))
	if err != nil {
		return err
	}
	last := lastLine(string(b))
	switch {
	case tgtRe.MatchString(last):
		s.prompt = last
		d.CurrentPriv = target
		return nil
	case secret == "" && escRe.MatchString(last):
		return fmt.Errorf("%w: %q asks for a password to reach %s and no %s is set", ErrEnableSecret, lvl.Escalate, target, ExtraAuthSecondary)
	case escRe.MatchString(last), curRe.MatchString(last):
		return fmt.Errorf("%w: the device rejected the %s (still at %q after %q)", ErrEnableSecret, ExtraAuthSecondary, last, lvl.Escalate)
	}
	return fmt.Errorf("%w: unexpected prompt %q after %q", util.ErrPrivilegeError, last, lvl.Escalate)
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n ")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}
