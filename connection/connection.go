package connection

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gonorn/norn/platform"
)

// Key identifies a connection plugin: the platform it serves (canonical name, e.g.
// "cisco_iosxe"), the connection type ("ssh", "netconf", "api", ...) and the library that
// implements it ("scrapli", ...).
type Key struct{ Platform, Type, Library string }

// String returns "platform/type/library".
func (k Key) String() string { return k.Platform + "/" + k.Type + "/" + k.Library }

// normalize trims and lower-cases every field; the platform is compared in platform.Key form
// ('-' and ' ' as '_').
func (k Key) normalize() Key {
	return Key{Platform: platform.Key(k.Platform), Type: norm(k.Type), Library: norm(k.Library)}
}

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Option narrows which plugin a task's connection resolves to.
type Option func(*Request)

// Request is what a task asks for when it gets a connection: an optional connection type, an
// optional library, the capabilities it needs, and whether registered defaults may break ties.
// Build it with Options; the zero Request asks for "the only plugin of the host's platform".
type Request struct {
	// Type is the connection type ("ssh", "netconf", ...); empty: any.
	Type string
	// Library is the library ("scrapli", ...); empty: any.
	Library string
	// Require lists the capabilities the caller needs; candidates implementing all of them win.
	Require []Capability
	// FallbackToDefault lets the (platform, type) default, then the platform default, break a
	// tie among several candidates.
	FallbackToDefault bool
}

// WithType asks for a connection type such as "ssh" or "netconf".
func WithType(t string) Option { return func(r *Request) { r.Type = norm(t) } }

// WithLibrary asks for a library such as "scrapli".
func WithLibrary(l string) Option { return func(r *Request) { r.Library = norm(l) } }

// Require asks for plugins implementing caps (e.g. CapConfigGetter). When no candidate
// implements all of them, the one implementing most is chosen with a warning; a tie is an
// *AmbiguousError.
func Require(caps ...Capability) Option {
	return func(r *Request) {
		for _, c := range caps {
			if c.IsZero() || containsCap(r.Require, c) {
				continue
			}
			r.Require = append(r.Require, c)
		}
	}
}

// FallbackToDefault lets registered defaults choose among several candidates: first the
// default for (platform, type), then the default for the platform, when it is a candidate.
func FallbackToDefault() Option { return func(r *Request) { r.FallbackToDefault = true } }

// NewRequest applies opts to a zero Request.
func NewRequest(opts ...Option) Request {
	var r Request
	for _, o := range opts {
		if o != nil {
			o(&r)
		}
	}
	return r
}

// Sentinel errors, for errors.Is. Struct errors of this package unwrap to them.
var (
	// ErrNotFound: no plugin is registered for what was asked.
	ErrNotFound = errors.New("connection: no plugin found")
	// ErrAmbiguous: several plugins match and nothing says which to choose.
	ErrAmbiguous = errors.New("connection: ambiguous plugin choice")
	// ErrRegistration: a plugin could not be registered.
	ErrRegistration = errors.New("connection: registration error")
	// ErrValidation: the host lacks what a connection needs (e.g. a platform).
	ErrValidation = errors.New("connection: validation error")
	// ErrOpen: a session could not be opened.
	ErrOpen = errors.New("connection: open failed")
	// ErrAuthentication: the device refused the credentials. Never retried.
	ErrAuthentication = errors.New("connection: authentication failed")
	// ErrConnectionLost: an open session was lost (the peer hung up, the transport broke).
	ErrConnectionLost = errors.New("connection: connection lost")
	// ErrClosed: the session or the host's sessions were closed (the host's task ended, or
	// Proxy.Close was called).
	ErrClosed = errors.New("connection: session closed")
)

// ValidationError reports a host that lacks what a connection needs. It unwraps to
// ErrValidation.
type ValidationError struct {
	// Host is the host's name.
	Host string
	// Field is the missing or invalid field, e.g. "platform".
	Field string
	// Reason says what is wrong and how to fix it.
	Reason string
}

// Error describes the failure with its context.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("connection: host %s: %s: %s", e.Host, e.Field, e.Reason)
}

// Unwrap returns ErrValidation.
func (e *ValidationError) Unwrap() error { return ErrValidation }

// NotFoundError reports that no registered plugin matches the host's platform, type and library.
// It unwraps to ErrNotFound.
type NotFoundError struct {
	// Host is the host's name.
	Host string
	// Platform is the host's platform as written in the inventory.
	Platform string
	// Canonical is the platform after alias resolution (e.g. "ios" -> "cisco_iosxe").
	Canonical string
	// Type and Library are what was asked ("" = any).
	Type, Library string
	// Registered lists what is registered for the platform (empty when nothing is).
	Registered []Plugin
}

// Error describes the failure with its context.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connection: host %s: no plugin for platform %q", e.Host, e.Platform)
	if e.Canonical != "" && e.Canonical != e.Platform {
		fmt.Fprintf(&b, " (%s)", e.Canonical)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " type %q", e.Type)
	}
	if e.Library != "" {
		fmt.Fprintf(&b, " library %q", e.Library)
	}
	if len(e.Registered) == 0 {
		b.WriteString(": nothing is registered for this platform")
		return b.String()
	}
	b.WriteString("; registered for this platform: ")
	writePlugins(&b, e.Registered)
	return b.String()
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// AmbiguousError reports several plugins matching a host and nothing saying which to choose.
// It unwraps to ErrAmbiguous.
type AmbiguousError struct {
	// Host is the host's name.
	Host string
	// Platform is the canonical platform.
	Platform string
	// Type and Library are what was asked ("" = any).
	Type, Library string
	// Required are the capabilities asked for.
	Required []Capability
	// Candidates are the plugins that could not be told apart, with their capabilities.
	Candidates []Plugin
	// Tie is true when no candidate implements every required capability and several implement
	// the same, highest number of them (defaults do not break such a tie).
	Tie bool
}

// Error describes the failure with its context.
func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connection: host %s: %d plugins match platform %q", e.Host, len(e.Candidates), e.Platform)
	if e.Type != "" {
		fmt.Fprintf(&b, " type %q", e.Type)
	}
	if e.Library != "" {
		fmt.Fprintf(&b, " library %q", e.Library)
	}
	if e.Tie {
		fmt.Fprintf(&b, ", none implements all of %s and they tie on the best match", capNames(e.Required))
	}
	b.WriteString(": ")
	writePlugins(&b, e.Candidates)
	b.WriteString("; ")
	b.WriteString(e.Hint())
	return b.String()
}

// Hint says how to choose among the candidates.
func (e *AmbiguousError) Hint() string {
	if e.Tie {
		return "choose one with connection.WithType or connection.WithLibrary, or require fewer capabilities"
	}
	return "choose one with connection.WithType or connection.WithLibrary, or register one with " +
		"connection.Default() or connection.DefaultForType() and ask with connection.FallbackToDefault()"
}

// Unwrap returns ErrAmbiguous.
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguous }

// RegistrationError reports a plugin that could not be registered. It unwraps to
// ErrRegistration.
type RegistrationError struct {
	// Key is the plugin's key as given to Register.
	Key Key
	// Reason says what is wrong.
	Reason string
}

// Error describes the failure with its context.
func (e *RegistrationError) Error() string {
	return fmt.Sprintf("connection: cannot register plugin %s: %s", e.Key, e.Reason)
}

// Unwrap returns ErrRegistration.
func (e *RegistrationError) Unwrap() error { return ErrRegistration }

// OpenError reports a session that could not be opened. It matches ErrOpen and its cause with
// errors.Is (so an authentication failure reported by the plugin matches ErrAuthentication).
type OpenError struct {
	// Host is the host's name.
	Host string
	// Address is "hostname:port" as given to the plugin (port omitted when 0).
	Address string
	// Plugin is the plugin's key.
	Plugin Key
	// Err is the plugin's error.
	Err error
}

// Error describes the failure with its context.
func (e *OpenError) Error() string {
	what := "open failed"
	if errors.Is(e.Err, ErrAuthentication) {
		what = "authentication failed"
	}
	return fmt.Sprintf("connection: host %s (%s): %s with plugin %s: %v", e.Host, e.Address, what, e.Plugin, e.Err)
}

// Unwrap returns ErrOpen and the cause.
func (e *OpenError) Unwrap() []error { return []error{ErrOpen, e.Err} }

// NotImplementedError is returned by Use when the plugin's session lacks a capability.
// It matches errors.ErrUnsupported with errors.Is.
type NotImplementedError struct {
	Capability string // the capability interface, e.g. "connection.ConfigGetter"
	Method     string // its first method the session lacks, e.g. "GetConfig"
	Platform   string // the host's platform as written in the inventory
	Plugin     Key    // the plugin in use
	Host       string // the host's name
}

// Error describes the failure with its context.
func (e *NotImplementedError) Error() string {
	return fmt.Sprintf("connection: host %s: plugin %s (platform %q) does not implement %s (method %s)",
		e.Host, e.Plugin, e.Platform, e.Capability, e.Method)
}

// Unwrap returns errors.ErrUnsupported.
func (e *NotImplementedError) Unwrap() error { return errors.ErrUnsupported }

func writePlugins(b *strings.Builder, ps []Plugin) {
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.String())
	}
}
