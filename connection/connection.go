package connection

import (
	"context"
	"errors"

	"github.com/gonorn/norn/inventory"
)

// NOTE: contract skeleton; the connection package's owner replaces the bodies.

// Key identifies a connection plugin.
type Key struct{ Platform, Type, Library string }

// Option narrows which plugin a task's connection resolves to.
type Option func(*Request)

// Request is what a task asks for: a connection type, a library, required capabilities.
type Request struct {
	Type              string
	Library           string
	FallbackToDefault bool
}

// WithType asks for a connection type such as "ssh" or "netconf".
func WithType(t string) Option { return func(r *Request) { r.Type = t } }

// WithLibrary asks for a library such as "scrapli".
func WithLibrary(l string) Option { return func(r *Request) { r.Library = l } }

// Registry holds connection plugins.
type Registry struct{}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// Proxy is the connection lent to a task.
type Proxy struct{}

// ManagerConfig configures run-wide connection limits.
type ManagerConfig struct {
	// MaxSessions caps concurrently open sessions across the run. Default 0: no cap.
	MaxSessions int
	// OpenRate caps new sessions per second across the run. Default 0: no cap.
	OpenRate float64
}

// Manager lends sessions to the hosts of one run.
type Manager struct{ reg *Registry }

// NewManager returns a manager over reg.
func NewManager(reg *Registry, cfg ManagerConfig) *Manager { return &Manager{reg: reg} }

// Host returns the sessions of one host, opened lazily, closed by Close.
func (m *Manager) Host(h *inventory.Host) *Sessions { return &Sessions{m: m, host: h} }

// Sessions are the open connections of one host during its task.
type Sessions struct {
	m    *Manager
	host *inventory.Host
}

// Get resolves a plugin for the host and returns its proxy, opening it lazily.
func (s *Sessions) Get(ctx context.Context, opts ...Option) (*Proxy, error) {
	return nil, errors.ErrUnsupported
}

// Close closes every session of the host. It is idempotent.
func (s *Sessions) Close() error { return nil }

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
)

// NotImplementedError is returned by Use when the plugin's session lacks a capability.
// It matches errors.ErrUnsupported with errors.Is.
type NotImplementedError struct {
	Capability string // the capability interface, e.g. "connection.ConfigGetter"
	Method     string // its first method, e.g. "GetConfig"
	Platform   string
	Plugin     Key
	Host       string
}

func (e *NotImplementedError) Error() string {
	return "host " + e.Host + ": plugin " + e.Plugin.Library + "/" + e.Plugin.Type + " for platform " + e.Platform +
		" does not implement " + e.Capability + " (" + e.Method + ")"
}

// Unwrap returns errors.ErrUnsupported.
func (e *NotImplementedError) Unwrap() error { return errors.ErrUnsupported }

// Use returns the proxy's session as capability C (an interface such as ConfigGetter), opening
// the session if needed, or a *NotImplementedError when the plugin does not implement C.
func Use[C any](p *Proxy) (C, error) {
	var zero C
	return zero, &NotImplementedError{}
}
