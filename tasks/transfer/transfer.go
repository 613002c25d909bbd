// Package transfer copies files to and from devices, like Netmiko's file_transfer: Put sends a
// local file to every host (skipped where the device already has it, by MD5; refused before
// sending when the file system has not enough free space; verified by the device's own MD5
// afterwards), Get fetches a file from every host. Both run through the runner, one host per
// worker, with at most Config.Concurrency transfers at a time so that a large fleet does not
// saturate the management network.
//
// Transfers use the connection.FileTransfer capability (the scrapli plugin implements it with
// SFTP on the session's SSH connection). transfer is not an image installer: it copies and
// verifies files; what the device does with them is another task's job.
package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// DefaultConcurrency is how many transfers run at once by default, whatever the runner's
// worker count: eight 10 MB images at a time keep a management link busy without starving
// the other sessions on it.
const DefaultConcurrency = 8

// ErrHashMismatch is what the error of a transfer wraps when the device's MD5 of the copied
// file differs from the local one.
var ErrHashMismatch = errors.New("transfer: MD5 mismatch after the copy")

// The classes of the tasks' failures (tasks.Classify).
const (
	// ClassNoSpace: the device's file system has not enough free space.
	ClassNoSpace tasks.Class = "no_space"
	// ClassPath: the path does not exist on the device, or the device refuses it.
	ClassPath tasks.Class = "path"
	// ClassHashMismatch: the copy arrived different.
	ClassHashMismatch tasks.Class = "hash_mismatch"
)

// FileSystem returns the platform's usual file system for images and packages: "bootflash:"
// (IOS-XE, NX-OS), "harddisk:" (IOS-XR), "flash:" (EOS), "/var/tmp/" (Junos).
func FileSystem(platform string) string {
	switch platform {
	case "cisco_iosxr", "iosxr":
		return "harddisk:"
	case "arista_eos", "eos":
		return "flash:"
	case "juniper_junos", "junos":
		return "/var/tmp/"
	}
	return "bootflash:"
}

// Config configures Put and Get.
type Config struct {
	// Local is the local file: the file to send (Put), or where to write the fetched file
	// (Get), where "{host}" is replaced by the host's name. Required.
	Local string
	// Remote is the file's path on the device ("bootflash:image.bin"). Default: the
	// platform's FileSystem followed by Local's base name.
	Remote string
	// RemoteFor, when set, returns the remote path per host (and Remote is ignored).
	RemoteFor func(h *inventory.Host) string
	// Force sends (or fetches) the file even when the MD5s already match.
	Force bool
	// Concurrency caps the transfers running at once. Default DefaultConcurrency.
	Concurrency int
}

// Report is a host's Result.Value.
type Report struct {
	// Remote is the path on the device; Local the local file.
	Remote string `json:"remote"`
	Local  string `json:"local"`
	// Bytes is the file's size; MD5 its hash (lower-case hex).
	Bytes int64  `json:"bytes"`
	MD5   string `json:"md5"`
	// Skipped reports that the MD5s already matched and nothing was copied.
	Skipped bool `json:"skipped"`
	// Free is the free space the device reported before a Put (bytes).
	Free int64 `json:"free,omitempty"`
}

func (c Config) remote(h *inventory.Host) string {
	switch {
	case c.RemoteFor != nil:
		return c.RemoteFor(h)
	case c.Remote != "":
		return c.Remote
	}
	return FileSystem(h.Platform()) + filepath.Base(c.Local)
}

func (c Config) withDefaults() (Config, error) {
	if c.Local == "" {
		return c, errors.New("transfer: Config.Local is required")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	return c, nil
}

// classify tags a transfer error with its class.
func classify(err error) error {
	switch {
	case errors.Is(err, connection.ErrNoSpace):
		return tasks.WithClass(ClassNoSpace, tasks.Permanent(err))
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return tasks.WithClass(ClassPath, tasks.Permanent(err))
	case errors.Is(err, ErrHashMismatch):
		return tasks.WithClass(ClassHashMismatch, err)
	}
	return err
}

func fileTransfer(ctx context.Context, t *tasks.Task) (connection.FileTransfer, error) {
	p, err := t.Connection(ctx, connection.Require(connection.CapFileTransfer), connection.FallbackToDefault())
	if err != nil {
		return nil, err
	}
	return connection.Use[connection.FileTransfer](p)
}

// acquire takes a slot of the semaphore, or fails when ctx ends first.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Put returns a task that sends cfg.Local to every host. The local file's MD5 and size are
// read once, here; a missing local file is an error now, not per host. In a dry run the task
// reports whether the copy would happen (Changed) and sends nothing.
func Put(cfg Config) (tasks.Func, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sum, size, err := md5File(cfg.Local)
	if err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	sem := make(chan struct{}, cfg.Concurrency)
	return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		rep := Report{Remote: cfg.remote(t.Host), Local: cfg.Local, Bytes: size, MD5: sum}
		res := func() tasks.Result { return tasks.Result{Value: rep} }
		ft, err := fileTransfer(ctx, t)
		if err != nil {
			return res(), err
		}
		if !cfg.Force {
			have, err := ft.FileMD5(ctx, rep.Remote)
			switch {
			case err == nil && have == sum:
				rep.Skipped = true
				return res(), nil
			case err != nil && !errors.Is(err, fs.ErrNotExist):
				return res(), classify(err)
			}
		}
		free, err := ft.FreeSpace(ctx, rep.Remote)
		if err != nil {
			return res(), classify(err)
		}
		rep.Free = free
		if free < size {
			return res(), classify(fmt.Errorf("host %s: %s needs %d bytes, the device has %d free: %w", t.Host.Name, rep.Remote, size, free, connection.ErrNoSpace))
		}
		if t.DryRun {
			r := res()
			r.Changed = true
			return r, nil
		}
		if err := acquire(ctx, sem); err != nil {
			return res(), err
		}
		err = func() error {
			defer func() { <-sem }()
			f, err := os.Open(cfg.Local)
			if err != nil {
				return tasks.Permanent(err)
			}
			defer f.Close()
			return ft.PutFile(ctx, rep.Remote, f, size)
		}()
		if err != nil {
			return res(), classify(err)
		}
		got, err := ft.FileMD5(ctx, rep.Remote)
		if err != nil {
			return res(), classify(err)
		}
		r := res()
		r.Changed = true
		if got != sum {
			return r, classify(fmt.Errorf("host %s: %s: device MD5 %s, local %s: %w", t.Host.Name, rep.Remote, got, sum, ErrHashMismatch))
		}
		return r, nil
	}, nil
}

// Get returns a task that fetches cfg.Remote (or the RemoteFor path) from every host into
// cfg.Local with "{host}" replaced by the host's name. The file is written to a temporary
// file next to it and renamed once its MD5 matches the device's, so a failed fetch never
// replaces a good copy. A local file whose MD5 already matches is left alone.
func Get(cfg Config) (tasks.Func, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Remote == "" && cfg.RemoteFor == nil {
		return nil, errors.New("transfer: Get needs Config.Remote or RemoteFor")
	}
	sem := make(chan struct{}, cfg.Concurrency)
	return func(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
		local := strings.ReplaceAll(cfg.Local, "{host}", t.Host.Name)
		rep := Report{Remote: cfg.remote(t.Host), Local: local}
		res := func() tasks.Result { return tasks.Result{Value: rep} }
		ft, err := fileTransfer(ctx, t)
		if err != nil {
			return res(), err
		}
		want, err := ft.FileMD5(ctx, rep.Remote)
		if err != nil {
			return res(), classify(err)
		}
		rep.MD5 = want
		if !cfg.Force {
			if have, n, err := md5File(local); err == nil && have == want {
				rep.Skipped, rep.Bytes = true, n
				return res(), nil
			}
		}
		if t.DryRun {
			r := res()
			r.Changed = true
			return r, nil
		}
		if err := acquire(ctx, sem); err != nil {
			return res(), err
		}
		defer func() { <-sem }()
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			return res(), tasks.Permanent(err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(local), "."+filepath.Base(local)+".tmp-*")
		if err != nil {
			return res(), tasks.Permanent(err)
		}
		defer os.Remove(tmp.Name())
		h := md5.New()
		n, err := ft.GetFile(ctx, rep.Remote, io.MultiWriter(tmp, h))
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return res(), classify(err)
		}
		rep.Bytes = n
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return res(), classify(fmt.Errorf("host %s: %s: received MD5 %s, device %s: %w", t.Host.Name, rep.Remote, got, want, ErrHashMismatch))
		}
		if err := os.Rename(tmp.Name(), local); err != nil {
			return res(), tasks.Permanent(err)
		}
		r := res()
		r.Changed = true
		return r, nil
	}, nil
}

// md5File returns a local file's MD5 (hex) and size.
func md5File(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := md5.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
