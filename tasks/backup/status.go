package backup

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// HostStatus is what the store remembers of a host's backups, across runs and restarts.
type HostStatus struct {
	// Host is the host's name.
	Host string `json:"host"`
	// Platform is the host's platform at its last attempt.
	Platform string `json:"platform,omitempty"`
	// LastAttempt is when the host was last backed up or tried.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// LastSuccess is when a configuration was last fetched and accepted (changed or not).
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastChange is when the stored configuration last changed.
	LastChange time.Time `json:"last_change,omitzero"`
	// LastFailure is when the host last failed.
	LastFailure time.Time `json:"last_failure,omitzero"`
	// FailureClass is the class of the last failure ("timeout", "authentication",
	// "incomplete", ...).
	FailureClass tasks.Class `json:"failure_class,omitempty"`
	// FailureMessage is the last failure's message, with secrets removed.
	FailureMessage string `json:"failure_message,omitempty"`
	// ConsecutiveFailures counts the runs that failed since the last success; 0 when the last
	// attempt succeeded.
	ConsecutiveFailures int `json:"consecutive_failures"`
	// SHA and Bytes describe the last good configuration.
	SHA   string `json:"sha,omitempty"`
	Bytes int64  `json:"bytes,omitempty"`
}

// Failing reports whether the host's last attempt failed.
func (h HostStatus) Failing() bool { return h.ConsecutiveFailures > 0 }

// StaleSince reports whether the host has no successful backup since t.
func (h HostStatus) StaleSince(t time.Time) bool { return h.LastSuccess.Before(t) }

type statusFile struct {
	Version int                   `json:"version"`
	Hosts   map[string]HostStatus `json:"hosts"`
}

const statusVersion = 1

func (s *Store) loadStatus(blob plumbing.Hash) error {
	path := filepath.Join(s.dir, StatusFile)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) && !blob.IsZero() {
		// The work-tree copy is gone: take the committed one.
		o, gerr := s.repo.BlobObject(blob)
		if gerr != nil {
			return fmt.Errorf("backup: store %s: %s: %w", s.dir, StatusFile, gerr)
		}
		r, gerr := o.Reader()
		if gerr != nil {
			return fmt.Errorf("backup: store %s: %s: %w", s.dir, StatusFile, gerr)
		}
		b, err = io.ReadAll(r)
		r.Close()
	}
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: %s: %w", path, err)
	}
	var f statusFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("backup: %s: %w (remove it to start the status afresh)", path, err)
	}
	if f.Version > statusVersion {
		return fmt.Errorf("backup: %s: version %d is newer than this program's %d", path, f.Version, statusVersion)
	}
	for name, st := range f.Hosts {
		st.Host = name
		s.status[name] = st
	}
	return nil
}

func (s *Store) encodeStatusLocked() ([]byte, error) {
	f := statusFile{Version: statusVersion, Hosts: s.status}
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return nil, fmt.Errorf("backup: store %s: encode %s: %w", s.dir, StatusFile, err)
	}
	return append(b, '\n'), nil
}

func (s *Store) markStatusDirty() {
	s.mu.Lock()
	s.statusDirty = true
	s.mu.Unlock()
}

// Status returns the recorded status of host.
func (s *Store) Status(host string) (HostStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.status[host]
	return st, ok
}

// SetStatus records st (by st.Host); it is saved by the next Commit or SaveStatus.
func (s *Store) SetStatus(st HostStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[st.Host] = st
	s.statusDirty = true
}

// SaveStatus writes the status file now (atomically), without committing it.
func (s *Store) SaveStatus() error {
	s.mu.Lock()
	b, err := s.encodeStatusLocked()
	s.statusDirty = false
	s.mu.Unlock()
	if err == nil {
		err = writeFileAtomic(s.dir, StatusFile, b)
	}
	if err != nil {
		s.markStatusDirty()
	}
	return err
}

// Statuses returns every recorded host status, sorted by host.
func (s *Store) Statuses() []HostStatus {
	s.mu.Lock()
	out := make([]HostStatus, 0, len(s.status))
	for _, st := range s.status {
		out = append(out, st)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b HostStatus) int {
		switch {
		case a.Host < b.Host:
			return -1
		case a.Host > b.Host:
			return 1
		}
		return 0
	})
	return out
}

// Failing returns the statuses of the hosts whose last attempt failed, sorted by host.
func (s *Store) Failing() []HostStatus {
	var out []HostStatus
	for _, st := range s.Statuses() {
		if st.Failing() {
			out = append(out, st)
		}
	}
	return out
}

// Stale returns the statuses of the hosts with no successful backup in the maxAge before now
// (including hosts tried but never backed up), sorted by host: the "not backed up for 24 h"
// report.
func (s *Store) Stale(now time.Time, maxAge time.Duration) []HostStatus {
	cut := now.Add(-maxAge)
	var out []HostStatus
	for _, st := range s.Statuses() {
		if st.StaleSince(cut) {
			out = append(out, st)
		}
	}
	return out
}

// OnlyFailed returns an inventory filter selecting the hosts whose last attempt failed, for
// a rerun of just those (the -only-failed flag). Hosts the store has never seen are not
// selected.
func (s *Store) OnlyFailed() inventory.Filter {
	failing := map[string]bool{}
	for _, st := range s.Failing() {
		failing[st.Host] = true
	}
	return func(h *inventory.Host) bool { return failing[h.Name] }
}

// NeedsBackup returns an inventory filter selecting the hosts without a successful backup in
// the maxAge before now: those that failed, those never tried, and those not backed up since.
func (s *Store) NeedsBackup(now time.Time, maxAge time.Duration) inventory.Filter {
	cut := now.Add(-maxAge)
	s.mu.Lock()
	fresh := map[string]bool{}
	for name, st := range s.status {
		if !st.Failing() && !st.StaleSince(cut) {
			fresh[name] = true
		}
	}
	s.mu.Unlock()
	return func(h *inventory.Host) bool { return !fresh[h.Name] }
}
