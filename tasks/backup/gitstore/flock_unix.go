//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package gitstore

import (
	"errors"
	"os"
	"syscall"
)

// tryFlock takes an exclusive lock on f without waiting; false when another open file holds
// it. The kernel drops the lock when its holder dies, kill -9 included.
func tryFlock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func unflock(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
