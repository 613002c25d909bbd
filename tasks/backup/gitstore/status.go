package gitstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gonorn/norn/tasks"
)

// StatusFile is the name of the status file, in the repository's git directory
// (<dir>/.git/norn-status.json): every host's status is run state, not part of the backed-up
// configurations, so it stays out of the tracked tree and a run never leaves "git status"
// dirty. It is replaced atomically (never half written); ReadStatus reads it.
const StatusFile = "norn-status.json"

// legacyStatusFile is the status file at the repository's root that earlier versions committed;
// it is read when StatusFile is missing and leaves the tree with the next commit.
const legacyStatusFile = "status.json"

// StatusPath returns the path of the status file of the store in dir.
func StatusPath(dir string) string { return filepath.Join(dir, ".git", StatusFile) }

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
	// SHA, Bytes and Lines describe the last good configuration (Lines counts its lines).
	SHA   string `json:"sha,omitempty"`
	Bytes int64  `json:"bytes,omitempty"`
	Lines int    `json:"lines,omitempty"`
	// LastDuration is how long the last attempt took (retries included), success or failure.
	LastDuration time.Duration `json:"last_duration_ns,omitempty"`
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

// loadStatus reads the status file; without one, that of an earlier version (in the work
// tree, else blob in HEAD's tree).
func (s *Store) loadStatus(legacyBlob plumbing.Hash) error {
	path := StatusPath(s.dir)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		path = filepath.Join(s.dir, legacyStatusFile)
		b, err = os.ReadFile(path)
		if err == nil {
			s.statusDirty = true // moves to the git directory with the next Commit or SaveStatus
		}
	}
	if errors.Is(err, fs.ErrNotExist) && !legacyBlob.IsZero() {
		o, gerr := s.repo.BlobObject(legacyBlob)
		if gerr != nil {
			return fmt.Errorf("gitstore: %s: %s: %w", s.dir, legacyStatusFile, gerr)
		}
		r, gerr := o.Reader()
		if gerr != nil {
			return fmt.Errorf("gitstore: %s: %s: %w", s.dir, legacyStatusFile, gerr)
		}
		b, err = io.ReadAll(r)
		r.Close()
		s.statusDirty = true
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gitstore: %s: %w", path, err)
	}
	hosts, err := decodeStatus(path, b)
	if err != nil {
		return err
	}
	for _, st := range hosts {
		s.status[st.Host] = st
	}
	return nil
}

func decodeStatus(path string, b []byte) ([]HostStatus, error) {
	var f statusFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("gitstore: %s: %w (remove it to start the status afresh)", path, err)
	}
	if f.Version > statusVersion {
		return nil, fmt.Errorf("gitstore: %s: version %d is newer than this program's %d", path, f.Version, statusVersion)
	}
	out := make([]HostStatus, 0, len(f.Hosts))
	for name, st := range f.Hosts {
		st.Host = name
		out = append(out, st)
	}
	sortStatuses(out)
	return out, nil
}

// ReadStatus returns every host's status recorded in the store in dir, sorted by host, without
// opening the store: it only reads the status file, which a run replaces atomically, so it is
// safe to call while a run is in progress (it sees the status of the last Commit). It is the
// read API for programs that report on the backups (metrics, a web service). A repository
// without a status yet gives an empty list; a directory that is not a backup repository gives
// an error wrapping fs.ErrNotExist.
func ReadStatus(dir string) ([]HostStatus, error) {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, fmt.Errorf("gitstore: %s is not a backup repository: %w", dir, err)
	}
	path := StatusPath(dir)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		path = filepath.Join(dir, legacyStatusFile)
		b, err = os.ReadFile(path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return []HostStatus{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gitstore: %w", err)
	}
	return decodeStatus(path, b)
}

func (s *Store) encodeStatusLocked() ([]byte, error) {
	f := statusFile{Version: statusVersion, Hosts: s.status}
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return nil, fmt.Errorf("gitstore: %s: encode %s: %w", s.dir, StatusFile, err)
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

// SaveStatus writes the status file now (atomically). Commit also saves it.
func (s *Store) SaveStatus() error {
	s.mu.Lock()
	b, err := s.encodeStatusLocked()
	s.statusDirty = false
	s.mu.Unlock()
	if err == nil {
		err = s.writeStatus(b)
	}
	if err != nil {
		s.markStatusDirty()
	}
	return err
}

// writeStatus replaces the status file.
func (s *Store) writeStatus(b []byte) error { return writeFileAtomic(s.gitDir, StatusFile, b) }

// Statuses returns every recorded host status, sorted by host.
func (s *Store) Statuses() []HostStatus {
	s.mu.Lock()
	out := make([]HostStatus, 0, len(s.status))
	for _, st := range s.status {
		out = append(out, st)
	}
	s.mu.Unlock()
	sortStatuses(out)
	return out
}

func sortStatuses(sts []HostStatus) {
	slices.SortFunc(sts, func(a, b HostStatus) int { return strings.Compare(a.Host, b.Host) })
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

// NeedsBackup returns a predicate on host names selecting the hosts to back up again (a
// resumed or "-only-failed" run): those whose last attempt failed, those without a successful
// backup in the maxAge before now, and those the store holds no committed configuration for
// (never tried, or tried by a run that was killed before its commit). Wrap it in an
// inventory.Filter to narrow a runner. It is a snapshot: later writes do not change it.
func (s *Store) NeedsBackup(now time.Time, maxAge time.Duration) func(host string) bool {
	cut := now.Add(-maxAge)
	s.mu.Lock()
	fresh := map[string]bool{}
	for name, st := range s.status {
		if _, stored := s.files[FileName(name)]; stored && !st.Failing() && !st.StaleSince(cut) {
			fresh[name] = true
		}
	}
	s.mu.Unlock()
	return func(host string) bool { return !fresh[host] }
}
