package scrapli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/pkg/sftp"

	"github.com/gonorn/norn/connection"
)

// File transfer runs SFTP (github.com/pkg/sftp) on a channel of the session's own SSH
// connection, so it needs the plugin's standard transport (not "system"); the hashes and the
// free space come from the platform's CLI, as Netmiko's file_transfer reads them.

// Interface guards.
var _ connection.FileTransfer = (*Session)(nil)

// sftpClient opens an SFTP client on the session's SSH connection. The session lock is held.
func (s *Session) sftpClient() (*sftp.Client, error) {
	if s.tr == nil {
		return nil, fmt.Errorf("file transfer needs the standard transport, not %q: %w", "system", errors.ErrUnsupported)
	}
	s.tr.mu.Lock()
	client := s.tr.client
	s.tr.mu.Unlock()
	if client == nil {
		return nil, fmt.Errorf("file transfer: %w", connection.ErrConnectionLost)
	}
	return sftp.NewClient(client, sftp.UseConcurrentWrites(true))
}

// transferErr maps an SFTP failure to the connection package's error classes, naming the path.
func transferErr(op, path string, err error) error {
	var se *sftp.StatusError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se) && strings.Contains(se.Error(), "No space left"):
		return fmt.Errorf("%s %s: %w: %v", op, path, connection.ErrNoSpace, err)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s %s: no such file or file system on the device: %w", op, path, fs.ErrNotExist)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%s %s: the device refuses access: %w", op, path, fs.ErrPermission)
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// PutFile writes size bytes from r to path on the device over SFTP. A copy that does not end
// with size bytes written fails.
func (s *Session) PutFile(ctx context.Context, path string, r io.Reader, size int64) error {
	var failed error
	err := s.do(ctx, "put file "+path, func() error {
		c, err := s.sftpClient()
		if err != nil {
			return err
		}
		defer c.Close()
		f, err := c.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			failed = transferErr("put", path, err)
			return nil
		}
		n, err := f.ReadFrom(io.LimitReader(r, size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil && n != size {
			err = fmt.Errorf("wrote %d of %d bytes", n, size)
		}
		failed = transferErr("put", path, err)
		return nil
	})
	if err != nil {
		return err
	}
	if failed != nil {
		return fmt.Errorf("scrapli: host %s: %w", s.ep.host, failed)
	}
	return nil
}

// GetFile copies the file at path on the device to w over SFTP.
func (s *Session) GetFile(ctx context.Context, path string, w io.Writer) (int64, error) {
	var n int64
	var failed error
	err := s.do(ctx, "get file "+path, func() error {
		c, err := s.sftpClient()
		if err != nil {
			return err
		}
		defer c.Close()
		f, err := c.Open(path)
		if err != nil {
			failed = transferErr("get", path, err)
			return nil
		}
		defer f.Close()
		n, err = f.WriteTo(w)
		failed = transferErr("get", path, err)
		return nil
	})
	if err != nil {
		return n, err
	}
	if failed != nil {
		return n, fmt.Errorf("scrapli: host %s: %w", s.ep.host, failed)
	}
	return n, nil
}

var md5Re = regexp.MustCompile(`(?m)(?:^|= *)([0-9a-fA-F]{32})\s*$`)

// md5Command is the platform's command printing a file's MD5.
func (s *Session) md5Command(path string) string {
	switch s.platform {
	case "cisco_nxos":
		return "show file " + path + " md5sum"
	case "cisco_iosxr":
		return "show md5 file " + path
	case "juniper_junos":
		return "file checksum md5 " + path
	}
	return "verify /md5 " + path
}

// notFound reports whether a command's output says the file is not there.
func notFound(out string) bool {
	for _, s := range []string{"No such file", "could not resolve", "does not exist"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// FileMD5 returns the MD5 of the file at path, read from the device's own command ("verify
// /md5 PATH" on IOS-XE and EOS, "show file PATH md5sum" on NX-OS, "show md5 file PATH" on
// IOS-XR, "file checksum md5 PATH" on Junos). A missing file is fs.ErrNotExist.
func (s *Session) FileMD5(ctx context.Context, path string) (string, error) {
	cmd := s.md5Command(path)
	r, err := s.SendCommand(ctx, cmd)
	if notFound(r.Output) {
		return "", fmt.Errorf("scrapli: host %s: %s: %w", s.ep.host, path, fs.ErrNotExist)
	}
	if err != nil {
		return "", err
	}
	m := md5Re.FindStringSubmatch(r.Output)
	if m == nil {
		return "", fmt.Errorf("scrapli: host %s: %q printed no MD5: %q", s.ep.host, cmd, strings.TrimSpace(r.Output))
	}
	return strings.ToLower(m[1]), nil
}

var (
	bytesFreeRe  = regexp.MustCompile(`\((\d+) bytes free\)|(\d+) bytes free`)
	kbytesFreeRe = regexp.MustCompile(`\((\d+) kbytes free\)`)
	junosVarRe   = regexp.MustCompile(`(?m)^\S+\s+\S+\s+\S+\s+(\S+)\s+\d+%\s+(?:/\.mount)?/var\s*$`)
)

// FreeSpace returns the free bytes of the file system holding path: "dir FS" on the Cisco
// platforms and EOS, "show system storage" (the /var row) on Junos.
func (s *Session) FreeSpace(ctx context.Context, path string) (int64, error) {
	if s.platform == "juniper_junos" {
		r, err := s.SendCommand(ctx, "show system storage")
		if err != nil {
			return 0, err
		}
		m := junosVarRe.FindStringSubmatch(r.Output)
		if m == nil {
			return 0, fmt.Errorf("scrapli: host %s: show system storage has no /var row", s.ep.host)
		}
		return parseSize(m[1])
	}
	fsName := path
	if i := strings.IndexByte(path, ':'); i >= 0 {
		fsName = path[:i+1]
	}
	r, err := s.SendCommand(ctx, "dir "+fsName)
	if notFound(r.Output) {
		return 0, fmt.Errorf("scrapli: host %s: file system %s: %w", s.ep.host, fsName, fs.ErrNotExist)
	}
	if err != nil {
		return 0, err
	}
	if m := kbytesFreeRe.FindStringSubmatch(r.Output); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		return n * 1024, err
	}
	m := bytesFreeRe.FindStringSubmatch(r.Output)
	if m == nil {
		return 0, fmt.Errorf("scrapli: host %s: \"dir %s\" shows no free space", s.ep.host, fsName)
	}
	v := m[1]
	if v == "" {
		v = m[2]
	}
	return strconv.ParseInt(v, 10, 64)
}

// parseSize parses a size as Junos prints it (123K, 1.5G, 512).
func parseSize(v string) (int64, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(v, "K"):
		mult = 1 << 10
	case strings.HasSuffix(v, "M"):
		mult = 1 << 20
	case strings.HasSuffix(v, "G"):
		mult = 1 << 30
	case strings.HasSuffix(v, "T"):
		mult = 1 << 40
	}
	f, err := strconv.ParseFloat(strings.TrimRight(v, "KMGTB"), 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", v, err)
	}
	return int64(f * mult), nil
}
