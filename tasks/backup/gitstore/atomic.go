package gitstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// tempPrefix starts the name of every temporary file the store writes; Open removes leftovers
// of a crashed run. Temporary files are only ever created in the repository's root, configs/,
// the git directory and objects/pack.
const tempPrefix = ".norn-tmp-"

// writeFileAtomic writes data to dir/name so that a reader (or a crash) sees the old content
// or the new one, never a mix: a temporary file in the same directory, fsync, rename over the
// target, fsync of the directory.
func writeFileAtomic(dir, name string, data []byte) error {
	if err := writeFileNoDirSync(dir, name, data); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeFileNoDirSync is writeFileAtomic without the directory fsync, for callers that sync the
// directory once after many files.
func writeFileNoDirSync(dir, name string, data []byte) error {
	return replaceFile(dir, filepath.Join(dir, name), data)
}

// replaceFile writes data to a temporary file in tmpDir (on the target's file system), fsyncs
// it and renames it to target. The caller fsyncs target's directory.
func replaceFile(tmpDir, target string, data []byte) (err error) {
	f, err := os.CreateTemp(tmpDir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("gitstore: write %s: %w", target, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("gitstore: write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("gitstore: fsync %s: %w", tmp, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("gitstore: chmod %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("gitstore: close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, target); err != nil {
		return fmt.Errorf("gitstore: rename %s: %w", tmp, err)
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("gitstore: fsync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) && runtime.GOOS != "windows" {
		return fmt.Errorf("gitstore: fsync %s: %w", dir, err)
	}
	return nil
}

// removeTemps deletes the temporary files a crashed writer left in dir and returns how many.
func removeTemps(dir string) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) && !e.IsDir() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
				return n, fmt.Errorf("gitstore: remove leftover %s: %w", filepath.Join(dir, e.Name()), err)
			}
			n++
		}
	}
	return n, nil
}
