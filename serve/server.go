package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/gonorn/norn/hooks/metrics"

	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// RunRequest is what a run is asked to do.
type RunRequest struct {
	// ID is the run's id (1, 2, ... in the order runs started).
	ID int64
	// Trigger says what started the run: TriggerSchedule or TriggerAPI.
	Trigger string
	// Host restricts the run to one host; empty: every selected host.
	Host string
}

// Triggers of a run.
const (
	TriggerSchedule = "schedule"
	TriggerAPI      = "api"
)

// RunSummary is what a run did. Config.Run returns it.
type RunSummary struct {
	// Hosts is how many hosts the run selected.
	Hosts int `json:"hosts"`
	// OK, Changed, Failed and NotRun count the hosts by outcome (Changed is part of OK; NotRun
	// includes the hosts stopped in flight by a shutdown).
	OK      int `json:"ok"`
	Changed int `json:"changed"`
	Failed  int `json:"failed"`
	NotRun  int `json:"not_run"`
	// Commit is the id of the commit the run made, empty when nothing changed.
	Commit string `json:"commit,omitempty"`
	// FailedHosts lists (some of) the hosts that failed and why.
	FailedHosts []FailedHost `json:"failed_hosts,omitempty"`
}

// FailedHost is a host a run failed to back up.
type FailedHost struct {
	// Host is the host's name.
	Host string `json:"host"`
	// Class is the failure's error class (timeout, authentication, incomplete, ...).
	Class string `json:"class"`
	// Message says what failed (redacted).
	Message string `json:"message"`
}

// RunState is the state of a run.
type RunState string

// Run states.
const (
	// StateRunning: the run has not ended.
	StateRunning RunState = "running"
	// StateOK: every selected host was backed up.
	StateOK RunState = "ok"
	// StateFailed: the run completed and some host failed or did not run.
	StateFailed RunState = "failed"
	// StateError: the run could not start or crashed (bad inventory, unusable repository,
	// NetBox down, a panic).
	StateError RunState = "error"
	// StateCanceled: the server stopped during the run; what finished was committed.
	StateCanceled RunState = "canceled"
)

// RunInfo describes a run, running or ended.
type RunInfo struct {
	// ID, Trigger and Host are the run's RunRequest.
	ID      int64  `json:"id"`
	Trigger string `json:"trigger"`
	Host    string `json:"host,omitempty"`
	// State is how the run stands or ended.
	State RunState `json:"state"`
	// Started and Ended are when the run started and ended (zero while it runs).
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
	// DurationSeconds is the run's wall time, once it ended.
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
	// Summary is what the run did, when it ran (nil for a run in error or in progress).
	Summary *RunSummary `json:"summary,omitempty"`
	// Error is why the run ended in error (redacted).
	Error string `json:"error,omitempty"`
}

// BusyError is returned by Server.Start while a run is going on.
type BusyError struct {
	// Running is the run in progress.
	Running RunInfo
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("serve: run %d is in progress (started %s)", e.Running.ID, e.Running.Started.UTC().Format(time.RFC3339))
}

// ErrUnknownHost is returned (wrapped) for a host the status store and the repository do not know.
var ErrUnknownHost = errors.New("unknown host")

// ErrNotFound is returned (wrapped) by a History for a revision or file that does not exist.
var ErrNotFound = errors.New("not found")

// Config configures a Server. Run, Status and History are required; the rest have defaults.
type Config struct {
	// Run runs one backup and returns its summary. It must return promptly once ctx is done,
	// committing what finished (the cmd/norn backup job does). A returned error means the run
	// could not be made (setup error); a panic is recovered and recorded as an error. Required.
	Run func(ctx context.Context, req RunRequest) (RunSummary, error)
	// Status returns every host's backup status (read at each request and scrape). Required.
	Status func(ctx context.Context) ([]gitstore.HostStatus, error)
	// History reads the configurations' git history. Required.
	History History

	// Every is the time between the starts of scheduled runs; the first starts when Serve
	// starts. Default 1h; negative: no schedule (runs only on demand).
	Every time.Duration
	// Stale is the age after which a host's last good backup is shown as stale. Default 24h.
	Stale time.Duration
	// Token, when set, is required on every path but /healthz (Bearer, or Basic password).
	// Serve refuses a listener beyond loopback without it. Default empty.
	Token string
	// Redact removes secrets from error messages before they are shown or logged. Default: none
	// (the messages the backup job records are already redacted).
	Redact func(string) string
	// KeepRuns is how many ended runs /api/v1/runs remembers. Default 50.
	KeepRuns int
	// Registry receives the service's metrics (per-host state and run metrics) and is served at
	// /metrics. Default: a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Labels gives a host's site and role for the norn_host_info series (joins, routing).
	// Default: none (empty labels).
	Labels func(host string) (site, role string)
	// NoHostCollector leaves the per-host metrics (metrics.HostCollector over Status) out, for
	// a program that registers them itself. Default false.
	NoHostCollector bool
	// Namespace prefixes the metric names. Default "norn".
	Namespace string
	// Logger receives the service's log lines. Default: none.
	Logger zerolog.Logger
	// ShutdownTimeout bounds the wait for in-flight HTTP requests when Serve stops. Default 10s.
	ShutdownTimeout time.Duration
	// Title is the HTML pages' title. Default "norn backups".
	Title string

	now func() time.Time // tests
}

// Server is the backup service. Create it with New, then call Serve.
type Server struct {
	cfg     Config
	handler http.Handler
	metrics *runMetrics

	mu      sync.Mutex
	nextID  int64
	current *RunInfo  // nil when idle
	runs    []RunInfo // ended runs, oldest first
	runCtx  context.Context
	runWG   sync.WaitGroup
	done    chan struct{} // closed when the current run ends; replaced per run
}

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Run == nil:
		return nil, errors.New("serve: Config.Run is nil")
	case cfg.Status == nil:
		return nil, errors.New("serve: Config.Status is nil")
	case cfg.History == nil:
		return nil, errors.New("serve: Config.History is nil")
	}
	if cfg.Every == 0 {
		cfg.Every = time.Hour
	}
	if cfg.Stale <= 0 {
		cfg.Stale = 24 * time.Hour
	}
	if cfg.Redact == nil {
		cfg.Redact = func(s string) string { return s }
	}
	if cfg.KeepRuns <= 0 {
		cfg.KeepRuns = 50
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "norn"
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Title == "" {
		cfg.Title = "norn backups"
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Server{cfg: cfg}
	s.metrics = newRunMetrics(cfg.Namespace, s.running)
	if err := cfg.Registry.Register(s.metrics); err != nil {
		return nil, fmt.Errorf("serve: registering the run metrics: %w", err)
	}
	if !cfg.NoHostCollector {
		if err := cfg.Registry.Register(metrics.NewHostCollector(cfg.Namespace, s.hostStates)); err != nil {
			return nil, fmt.Errorf("serve: registering the host metrics: %w", err)
		}
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler (the API, the pages and /metrics, behind the token
// check). Serve uses it; tests may call it directly.
func (s *Server) Handler() http.Handler { return s.handler }

// IsLoopback reports whether addr (a listener's address) is reachable only from this machine:
// a loopback IP or a Unix socket.
func IsLoopback(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ErrTokenRequired is returned by Serve for a listener beyond loopback without Config.Token.
var ErrTokenRequired = errors.New("serve: a token is required to listen beyond loopback")

// Serve runs the schedule and serves HTTP on l until ctx is done, then stops cleanly: it stops
// accepting requests, cancels the run in progress and waits for it (the run commits what
// finished), and returns nil. It returns ErrTokenRequired (wrapped, naming the address) for a
// listener beyond loopback without a token, and closes l in every case.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if s.cfg.Token == "" && !IsLoopback(l.Addr()) {
		l.Close()
		return fmt.Errorf("%w: %s is not a loopback address", ErrTokenRequired, l.Addr())
	}
	runCtx, cancelRuns := context.WithCancel(ctx)
	defer cancelRuns()
	s.mu.Lock()
	if s.runCtx != nil {
		s.mu.Unlock()
		l.Close()
		return errors.New("serve: Serve called twice")
	}
	s.runCtx = runCtx
	s.mu.Unlock()

	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	var sched sync.WaitGroup
	if s.cfg.Every > 0 {
		sched.Go(func() { s.schedule(runCtx) })
	}
	s.cfg.Logger.Info().Str("addr", l.Addr().String()).Str("every", s.cfg.Every.String()).Msg("serving")

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		served <- serveErr
	}
	cancelRuns()
	sched.Wait()
	s.runWG.Wait() // the run in progress winds down and commits what finished
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if shutErr != nil {
		return fmt.Errorf("serve: shutting down: %w", shutErr)
	}
	s.cfg.Logger.Info().Msg("stopped")
	return nil
}

// schedule starts a run every Config.Every, the first at once. A run still going when the next
// is due is not doubled: that start is skipped.
func (s *Server) schedule(ctx context.Context) {
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		if _, err := s.Start(TriggerSchedule, ""); err != nil {
			var busy *BusyError
			if errors.As(err, &busy) {
				s.cfg.Logger.Info().Int64("running", busy.Running.ID).Msg("scheduled run skipped: a run is in progress")
			} else {
				s.cfg.Logger.Error().Err(err).Msg("scheduled run")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// errStopped is returned by Start once Serve is stopping (or before it started).
var errStopped = errors.New("serve: the server is not running")

// Start starts a run in the background and returns it, or a *BusyError while another run is
// in progress. host restricts the run to one host (ErrUnknownHost when the status store does
// not know it).
func (s *Server) Start(trigger, host string) (RunInfo, error) {
	if host != "" {
		if _, err := s.hostStatus(context.Background(), host); err != nil {
			return RunInfo{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		return RunInfo{}, &BusyError{Running: *s.current}
	}
	if s.runCtx == nil || s.runCtx.Err() != nil {
		return RunInfo{}, errStopped
	}
	s.nextID++
	ri := &RunInfo{ID: s.nextID, Trigger: trigger, Host: host, State: StateRunning, Started: s.cfg.now()}
	s.current = ri
	s.done = make(chan struct{})
	ctx, done := s.runCtx, s.done
	s.runWG.Go(func() {
		defer close(done)
		s.execute(ctx, ri)
	})
	return *ri, nil
}

// execute runs ri and records how it ended.
func (s *Server) execute(ctx context.Context, ri *RunInfo) {
	lc := s.cfg.Logger.With().Int64("run", ri.ID).Str("trigger", ri.Trigger)
	if ri.Host != "" {
		lc = lc.Str("host", ri.Host)
	}
	log := lc.Logger()
	log.Info().Msg("run started")
	sum, err := s.call(ctx, RunRequest{ID: ri.ID, Trigger: ri.Trigger, Host: ri.Host})
	end := s.cfg.now()

	s.mu.Lock()
	r := *ri
	r.Ended = end
	r.DurationSeconds = end.Sub(r.Started).Seconds()
	switch {
	case err != nil && ctx.Err() != nil:
		r.State, r.Error = StateCanceled, s.cfg.Redact(err.Error())
	case err != nil:
		r.State, r.Error = StateError, s.cfg.Redact(err.Error())
	default:
		for i := range sum.FailedHosts {
			sum.FailedHosts[i].Message = s.cfg.Redact(sum.FailedHosts[i].Message)
		}
		r.Summary = &sum
		switch {
		case ctx.Err() != nil:
			r.State = StateCanceled
		case sum.Failed > 0 || sum.NotRun > 0:
			r.State = StateFailed
		default:
			r.State = StateOK
		}
	}
	s.runs = append(s.runs, r)
	if over := len(s.runs) - s.cfg.KeepRuns; over > 0 {
		s.runs = slices.Delete(s.runs, 0, over)
	}
	s.current = nil
	s.mu.Unlock()

	s.metrics.observe(r)
	ev := log.Info()
	if r.State == StateError {
		ev = log.Error().Str("error", r.Error)
	}
	if r.Summary != nil {
		ev = ev.Int("hosts", r.Summary.Hosts).Int("ok", r.Summary.OK).Int("changed", r.Summary.Changed).
			Int("failed", r.Summary.Failed).Int("not_run", r.Summary.NotRun)
		if r.Summary.Commit != "" {
			ev = ev.Str("commit", shortHash(r.Summary.Commit))
		}
	}
	ev.Str("state", string(r.State)).Float64("seconds", r.DurationSeconds).Msg("run ended")
}

// call runs Config.Run, turning a panic into an error: one crashing run must not stop the
// service.
func (s *Server) call(ctx context.Context, req RunRequest) (sum RunSummary, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error().Str("stack", string(debug.Stack())).Msgf("run %d panicked: %v", req.ID, p)
			sum, err = RunSummary{}, fmt.Errorf("the run panicked: %v", p)
		}
	}()
	return s.cfg.Run(ctx, req)
}

// running returns the run in progress, if any.
func (s *Server) running() (RunInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil {
		return RunInfo{}, false
	}
	return *s.current, true
}

// Runs returns the run in progress (if any) and the remembered ended runs, newest first.
func (s *Server) Runs() []RunInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RunInfo, 0, len(s.runs)+1)
	if s.current != nil {
		out = append(out, *s.current)
	}
	for i := len(s.runs) - 1; i >= 0; i-- {
		out = append(out, s.runs[i])
	}
	return out
}

// Run returns the run with the given id, if it is running or remembered.
func (s *Server) Run(id int64) (RunInfo, bool) {
	for _, r := range s.Runs() {
		if r.ID == id {
			return r, true
		}
	}
	return RunInfo{}, false
}

// Wait waits until no run is in progress or ctx is done.
func (s *Server) Wait(ctx context.Context) error {
	for {
		s.mu.Lock()
		cur, done := s.current, s.done
		s.mu.Unlock()
		if cur == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
		}
	}
}

// hostStatus returns host's status, or ErrUnknownHost when neither the status store nor the
// repository knows the host.
func (s *Server) hostStatus(ctx context.Context, host string) (gitstore.HostStatus, error) {
	sts, err := s.cfg.Status(ctx)
	if err != nil {
		return gitstore.HostStatus{}, err
	}
	if i, ok := slices.BinarySearchFunc(sts, host, func(st gitstore.HostStatus, h string) int { return strings.Compare(st.Host, h) }); ok {
		return sts[i], nil
	}
	for _, st := range sts { // in case Status does not sort
		if st.Host == host {
			return st, nil
		}
	}
	if _, _, err := s.cfg.History.Config(ctx, host, ""); err == nil {
		return gitstore.HostStatus{Host: host}, nil
	}
	return gitstore.HostStatus{}, fmt.Errorf("%w %q", ErrUnknownHost, host)
}
