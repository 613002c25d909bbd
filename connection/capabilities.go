package connection

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
)

// Session is an open connection to one device. Every plugin's session implements it; what else
// it implements (CommandSender, ConfigGetter, ...) is the plugin's set of capabilities.
type Session interface {
	// Close ends the session. It must be safe to call more than once.
	Close() error
}

// Liveness is an optional interface of sessions: Alive reports, without I/O, whether the
// session can still be used (false once the transport broke or the session was closed).
// Sessions.Get replaces a session that is not alive with a new one, so that a retried task does
// not get a dead session back.
type Liveness interface {
	Alive() bool
}

// Target is what an Opener receives: the host and its resolved connection parameters.
type Target struct {
	// Host is the inventory host.
	Host *inventory.Host
	// Key is the plugin being opened; Key.Platform is the canonical platform (the host's own
	// platform string, possibly an alias such as "ios", is Params.Platform).
	Key Key
	// Params are the host's parameters resolved for the plugin's connection-options name
	// (ParamsName, default "scrapli" for ssh/scrapli, "scrapli_netconf" for netconf/scrapli).
	Params inventory.Params
	// Logger carries the host's fields; plugins log through it (never secrets).
	Logger zerolog.Logger
}

// Opener opens sessions of one plugin.
type Opener interface {
	// Open connects to the target. ctx bounds the whole open (dial, auth, on-open commands).
	Open(ctx context.Context, t Target) (Session, error)
	// SessionType is the concrete type Open returns; its method set is the plugin's capabilities,
	// known without connecting.
	SessionType() reflect.Type
}

// OpenFunc makes an Opener from a function returning a concrete session type S, so that the
// plugin's capabilities are known at registration.
func OpenFunc[S Session](f func(ctx context.Context, t Target) (S, error)) Opener {
	return openFunc[S](f)
}

type openFunc[S Session] func(ctx context.Context, t Target) (S, error)

// Open calls the function.
func (f openFunc[S]) Open(ctx context.Context, t Target) (Session, error) {
	s, err := f(ctx, t)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SessionType returns S.
func (f openFunc[S]) SessionType() reflect.Type { return reflect.TypeFor[S]() }

// Interface guards.
var _ Opener = openFunc[Session](nil)

// Response is the output of one command.
type Response struct {
	// Command is the command as sent.
	Command string
	// Output is what the device printed, without the echo and the trailing prompt.
	Output string
	// Elapsed is how long the command took.
	Elapsed time.Duration
}

// CommandError is returned when the device rejected a command (e.g. "% Invalid input").
type CommandError struct {
	// Host is the host's name.
	Host string
	// Command is the command the device rejected.
	Command string
	// Output is what the device answered (e.g. "% Invalid input detected at '^' marker.").
	Output string
}

// ErrCommandFailed is what a *CommandError unwraps to.
var ErrCommandFailed = errors.New("connection: command failed on device")

// Error describes the failure with its context.
func (e *CommandError) Error() string {
	return fmt.Sprintf("host %s: command %q failed: %s", e.Host, e.Command, e.Output)
}

// Unwrap returns ErrCommandFailed.
func (e *CommandError) Unwrap() error { return ErrCommandFailed }

// CommandSender sends operational commands.
type CommandSender interface {
	// SendCommand sends one command. A command the device rejects returns the response and a
	// *CommandError.
	SendCommand(ctx context.Context, command string) (Response, error)
	// SendCommands sends commands in order, stopping at the first failure; it returns the
	// responses received so far. A command the device rejects ends the list: its response is
	// the last one returned, with a *CommandError.
	SendCommands(ctx context.Context, commands []string) ([]Response, error)
}

// ConfigOptions tune SendConfig.
type ConfigOptions struct {
	// DryRun asks the plugin to validate without applying when the platform can (e.g. Junos
	// commit check); plugins that cannot return an error wrapping errors.ErrUnsupported.
	DryRun bool
	// Comment is a commit comment where the platform supports one.
	Comment string
}

// ConfigSender applies configuration lines, committing where the platform needs it (IOS-XR,
// Junos).
type ConfigSender interface {
	SendConfig(ctx context.Context, lines []string, opts ConfigOptions) ([]Response, error)
}

// ConfigModeOptions tune SendConfigMode.
type ConfigModeOptions struct {
	// Enter is the command that enters configuration mode from privileged exec when the change
	// needs another mode than SendConfig's, e.g. "configure session norn1" (EOS) or
	// "configure private" (Junos). Default "": the configuration mode SendConfig uses.
	Enter string
	// OnFailure are sent in order, still in configuration mode, when a line is rejected and
	// before configuration mode is left, e.g. "abort" (IOS-XR, an EOS session) or "rollback 0"
	// (Junos). Default none: what was typed stays (applied on the platforms without a
	// candidate, left in the candidate on the others).
	OnFailure []string
}

// ConfigModeSender sends lines in configuration mode as they are, without the commit or the
// discard that SendConfig adds: the caller ends the change itself with the platform's own
// commands (Junos "commit confirmed 5", IOS-XR "commit confirmed 120", EOS "commit timer
// 00:05:00", "abort"). tasks/rollout builds its per-platform safety on it.
type ConfigModeSender interface {
	// SendConfigMode enters configuration mode (opts.Enter, or the platform's own), sends lines
	// in order (empty ones skipped), stopping at the first the device rejects, and returns to
	// the default privilege level. It returns the responses of the lines sent; a rejected
	// line's response is the last one, with a *CommandError (after opts.OnFailure was sent).
	SendConfigMode(ctx context.Context, lines []string, opts ConfigModeOptions) ([]Response, error)
}

// ErrNoSpace is what a FileTransfer error wraps when the device's file system has not enough
// free space for the file.
var ErrNoSpace = errors.New("connection: not enough free space on the device")

// FileTransfer copies files to and from a device's file system (flash:, bootflash:,
// harddisk:, /var/tmp), like Netmiko's file_transfer. Paths are written as the device's CLI
// writes them ("bootflash:image.bin", "/var/tmp/pkg.tgz"). Errors wrap ErrNoSpace when the file
// does not fit, fs.ErrNotExist for a file or file system the device does not have, and
// fs.ErrPermission for a place it refuses to write.
type FileTransfer interface {
	// PutFile writes size bytes read from r to path, replacing a file already there.
	PutFile(ctx context.Context, path string, r io.Reader, size int64) error
	// GetFile copies the file at path to w and returns the number of bytes copied.
	GetFile(ctx context.Context, path string, w io.Writer) (int64, error)
	// FileMD5 returns the MD5 (lower-case hex) of the file at path as the device computes it
	// ("verify /md5", "file checksum md5", ...).
	FileMD5(ctx context.Context, path string) (string, error)
	// FreeSpace returns the free bytes of the file system that holds path.
	FreeSpace(ctx context.Context, path string) (int64, error)
}

// ConfigGetter returns the device's configuration.
type ConfigGetter interface {
	// GetConfig returns the configuration named by source ("running" or "startup") as the
	// device prints it.
	GetConfig(ctx context.Context, source string) (string, error)
}

// Facts describe a device.
type Facts struct {
	// Vendor, Model, Serial, OSVersion and Hostname are as the device reports them.
	Vendor    string `json:"vendor"`
	Model     string `json:"model"`
	Serial    string `json:"serial"`
	OSVersion string `json:"os_version"`
	Hostname  string `json:"hostname"`
	// Uptime is how long the device has been up.
	Uptime time.Duration `json:"uptime"`
}

// FactsGetter returns facts parsed from the device (e.g. from "show version").
type FactsGetter interface {
	GetFacts(ctx context.Context) (Facts, error)
}

// ConfigSaver saves the running configuration to startup (copy run start, write memory).
type ConfigSaver interface {
	SaveConfig(ctx context.Context) error
}

// RawAccess is the escape hatch to the library's own client (e.g. *network.Driver of
// scrapligo). The value is only valid while the task holds the proxy.
type RawAccess interface {
	Raw() any
}

// Capability names a capability interface (CommandSender, ConfigGetter, ... or a user's own).
// Make one with CapabilityOf; the zero Capability is invalid. Capabilities are comparable.
type Capability struct{ typ reflect.Type }

// CapabilityOf returns the capability of interface type C, e.g.
// CapabilityOf[connection.ConfigGetter](). It panics if C is not an interface type.
func CapabilityOf[C any]() Capability {
	t := reflect.TypeFor[C]()
	if t.Kind() != reflect.Interface {
		panic("connection: CapabilityOf[" + t.String() + "]: not an interface type")
	}
	return Capability{typ: t}
}

// The capabilities of the built-in tasks, known to every Registry.
var (
	// CapCommandSender: send operational commands (SendCommand, SendCommands).
	CapCommandSender = CapabilityOf[CommandSender]()
	// CapConfigSender: apply configuration, committing where the platform needs it.
	CapConfigSender = CapabilityOf[ConfigSender]()
	// CapConfigGetter: return the running or startup configuration.
	CapConfigGetter = CapabilityOf[ConfigGetter]()
	// CapFactsGetter: return vendor, model, serial, OS version, hostname, uptime.
	CapFactsGetter = CapabilityOf[FactsGetter]()
	// CapConfigSaver: save the running configuration to startup.
	CapConfigSaver = CapabilityOf[ConfigSaver]()
	// CapRawAccess: the library's own client.
	CapRawAccess = CapabilityOf[RawAccess]()
)

// The capabilities of tasks/rollout and of file transfer tasks. They are not among
// BuiltInCapabilities (the built-in tasks of package tasks do not use them) but are required
// the same way: connection.Require(connection.CapConfigModeSender).
var (
	// CapConfigModeSender: send configuration lines without SendConfig's commit or discard.
	CapConfigModeSender = CapabilityOf[ConfigModeSender]()
	// CapFileTransfer: copy files to and from the device's file system.
	CapFileTransfer = CapabilityOf[FileTransfer]()
)

// BuiltInCapabilities returns the capabilities every Registry knows, in a fixed order.
func BuiltInCapabilities() []Capability {
	return []Capability{CapCommandSender, CapConfigSender, CapConfigGetter, CapFactsGetter, CapConfigSaver, CapRawAccess}
}

// String returns the interface's name, e.g. "connection.ConfigGetter".
func (c Capability) String() string {
	if c.typ == nil {
		return "<invalid capability>"
	}
	return c.typ.String()
}

// Type returns the interface type.
func (c Capability) Type() reflect.Type { return c.typ }

// IsZero reports whether c is the zero (invalid) Capability.
func (c Capability) IsZero() bool { return c.typ == nil }

// ImplementedBy reports whether values of type t implement the capability.
func (c Capability) ImplementedBy(t reflect.Type) bool {
	return c.typ != nil && t != nil && t.Implements(c.typ)
}

// Methods returns the capability's method names, sorted.
func (c Capability) Methods() []string {
	if c.typ == nil {
		return nil
	}
	out := make([]string, c.typ.NumMethod())
	for i := range out {
		out[i] = c.typ.Method(i).Name
	}
	return out
}

// missingMethod returns the first method of iface (sorted by name) that t lacks, or the first
// method when t is nil or implements it.
func missingMethod(iface, t reflect.Type) string {
	if iface == nil || iface.Kind() != reflect.Interface || iface.NumMethod() == 0 {
		return ""
	}
	if t != nil {
		for i := 0; i < iface.NumMethod(); i++ {
			m := iface.Method(i)
			tm, ok := t.MethodByName(m.Name)
			if !ok {
				return m.Name
			}
			// Compare signatures: t's method has the receiver as first input unless t is an
			// interface.
			want := m.Type
			got := tm.Type
			off := 1
			if t.Kind() == reflect.Interface {
				off = 0
			}
			if got.NumIn()-off != want.NumIn() || got.NumOut() != want.NumOut() {
				return m.Name
			}
			for j := 0; j < want.NumIn(); j++ {
				if got.In(j+off) != want.In(j) {
					return m.Name
				}
			}
			for j := 0; j < want.NumOut(); j++ {
				if got.Out(j) != want.Out(j) {
					return m.Name
				}
			}
		}
	}
	return iface.Method(0).Name
}

func containsCap(cs []Capability, c Capability) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func capNames(cs []Capability) string {
	if len(cs) == 0 {
		return "[]"
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range cs {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(c.String())
	}
	b.WriteByte(']')
	return b.String()
}
