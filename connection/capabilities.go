package connection

import (
	"context"
	"errors"
	"fmt"
	"reflect"
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

// Target is what an Opener receives: the host and its resolved connection parameters.
type Target struct {
	// Host is the inventory host.
	Host *inventory.Host
	// Params are the host's parameters resolved for the plugin's connection-options name.
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

func (f openFunc[S]) Open(ctx context.Context, t Target) (Session, error) {
	s, err := f(ctx, t)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (f openFunc[S]) SessionType() reflect.Type { return reflect.TypeFor[S]() }

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
	Host    string
	Command string
	Output  string
}

// ErrCommandFailed is what a *CommandError unwraps to.
var ErrCommandFailed = errors.New("connection: command failed on device")

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
	// responses received so far.
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

// ConfigGetter returns the device's configuration.
type ConfigGetter interface {
	// GetConfig returns the configuration named by source ("running" or "startup") as the
	// device prints it.
	GetConfig(ctx context.Context, source string) (string, error)
}

// Facts describe a device.
type Facts struct {
	Vendor    string        `json:"vendor"`
	Model     string        `json:"model"`
	Serial    string        `json:"serial"`
	OSVersion string        `json:"os_version"`
	Hostname  string        `json:"hostname"`
	Uptime    time.Duration `json:"uptime"`
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
