package gitstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrBusy is returned (wrapped) by the writes of a Store opened while another process was
// writing to the same repository (a run in progress): two writers would undo each other's
// work, and this one's Open must not take the other's uncommitted files for a crash's leftovers.
var ErrBusy = errors.New("the backup repository is being written by another process")

// lockFile is the writer lock's file in the git directory. A process holds an exclusive
// advisory lock (flock) on it from its first write until a Commit leaves nothing pending; a
// process that dies (kill -9 included) loses it at once.
const lockFile = "norn.lock"

// acquireLocked takes the writer lock if this Store does not hold it yet. s.mu is held.
func (s *Store) acquireLocked() error {
	if s.lock != nil {
		return nil
	}
	if s.busy {
		return s.busyError()
	}
	path := filepath.Join(s.gitDir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("gitstore: lock %s: %w", path, err)
	}
	ok, err := tryFlock(f)
	if err != nil || !ok {
		f.Close()
		if err != nil {
			return fmt.Errorf("gitstore: lock %s: %w", path, err)
		}
		return s.busyError()
	}
	// The holder's pid, for the message of a process that finds the lock taken.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	s.lock = f
	return nil
}

// releaseLocked drops the writer lock. s.mu is held.
func (s *Store) releaseLocked() {
	if s.lock == nil {
		return
	}
	unflock(s.lock)
	s.lock.Close()
	s.lock = nil
}

// releaseIfIdleLocked drops the writer lock when nothing is pending or being written. s.mu is
// held.
func (s *Store) releaseIfIdleLocked() {
	if len(s.pending) == 0 && len(s.objects) == 0 && s.writing == 0 {
		s.releaseLocked()
	}
}

// beginWrite takes the writer lock (if needed) for a write to the work tree.
func (s *Store) beginWrite() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.acquireLocked(); err != nil {
		return err
	}
	s.writing++
	return nil
}

// endWrite ends a write begun by beginWrite.
func (s *Store) endWrite() {
	s.mu.Lock()
	s.writing--
	s.mu.Unlock()
}

func (s *Store) busyError() error {
	holder := ""
	if b, err := os.ReadFile(filepath.Join(s.gitDir, lockFile)); err == nil && strings.TrimSpace(string(b)) != "" {
		holder = " (pid " + strings.TrimSpace(string(b)) + ")"
	}
	return fmt.Errorf("gitstore: %s: %w%s; wait for its run to end", s.dir, ErrBusy, holder)
}

// Busy reports whether another process was writing to the repository when the store was
// opened: then its writes fail with ErrBusy, and Open repaired nothing. Reading is fine.
func (s *Store) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busy
}
