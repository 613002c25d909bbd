package devsim

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// A device's file system: the one flash-like file system of its platform (IOS-XE "bootflash:"
// with "flash:" as an alias, NX-OS "bootflash:", IOS-XR "harddisk:", EOS "flash:", Junos
// "/var/tmp"), served over SFTP (the "sftp" SSH subsystem) and shown by the platforms' CLI
// commands ("dir", "verify /md5", "show file ... md5sum", "show md5 file", "file checksum md5",
// "show system storage"). Its size is DeviceConfig.FileSystemSize; a write past the free space
// fails with "No space left on device". Files are kept in memory.

// defaultFileSystemSize is a device's file system size when DeviceConfig.FileSystemSize is 0.
const defaultFileSystemSize = 256 << 20

// fileSystem returns the platform's file system name ("bootflash:", "/var/tmp").
func (p Platform) fileSystem() string {
	switch p {
	case CiscoIOSXR:
		return "harddisk:"
	case AristaEOS:
		return "flash:"
	case JuniperJunos:
		return "/var/tmp"
	}
	return "bootflash:"
}

type devFile struct {
	data []byte // nil when the device discards contents
	size int64
	md5  string
	mod  time.Time
}

// files is a device's file system; guarded by its own lock.
type files struct {
	mu    sync.Mutex
	byKey map[string]*devFile // key: canonical path ("bootflash:name", "/var/tmp/name")
	used  int64
}

// errNoSpace is what a write past the free space fails with (SFTP carries its message).
//
//lint:ignore ST1005 the text devices (and Unix) print, which clients match
var errNoSpace = errors.New("No space left on device")

// canonicalPath maps a path as a client writes it ("bootflash:x.bin", "bootflash:/x.bin",
// "/bootflash:/x.bin", "flash:x.bin" on IOS-XE, "/var/tmp/x.bin" on Junos, or a bare "x.bin"
// for the default file system) to the file's key. It fails with fs.ErrNotExist for an unknown
// file system or a sub-directory, and fs.ErrPermission for a system area (nvram:, /etc, ...).
func (d *Device) canonicalPath(p string) (string, error) {
	home := d.cfg.Platform.fileSystem()
	if d.cfg.Platform == JuniperJunos {
		switch {
		case !strings.HasPrefix(p, "/"):
			p = home + "/" + p
		case strings.HasPrefix(p, "/tmp/"):
			p = home + "/" + strings.TrimPrefix(p, "/tmp/")
		}
		dir, name := p[:strings.LastIndexByte(p, '/')], p[strings.LastIndexByte(p, '/')+1:]
		switch {
		case dir == home && name != "":
			return p, nil
		case strings.HasPrefix(dir, home+"/"):
			return "", fmt.Errorf("%s: %w", p, fs.ErrNotExist)
		}
		return "", fmt.Errorf("%s: %w", p, fs.ErrPermission)
	}
	p = strings.TrimPrefix(p, "/")
	fsName, name, ok := strings.Cut(p, ":")
	if !ok {
		fsName, name = strings.TrimSuffix(home, ":"), p
	}
	fsName = strings.ToLower(fsName) + ":"
	if d.cfg.Platform == CiscoIOSXE && fsName == "flash:" {
		fsName = "bootflash:"
	}
	name = strings.TrimPrefix(name, "/")
	switch {
	case fsName == "nvram:" || fsName == "system:" || fsName == "running-config:":
		return "", fmt.Errorf("%s: %w", p, fs.ErrPermission)
	case fsName != home || name == "" || strings.Contains(name, "/"):
		return "", fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return fsName + name, nil
}

func (d *Device) fsSize() int64 {
	if d.cfg.FileSystemSize > 0 {
		return d.cfg.FileSystemSize
	}
	return defaultFileSystemSize
}

// FreeSpace returns the free bytes of the device's file system.
func (d *Device) FreeSpace() int64 {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	return d.fsSize() - d.fs.used
}

// File returns the MD5 (hex) and size of the file at path, and whether it exists.
func (d *Device) File(path string) (md5sum string, size int64, ok bool) {
	key, err := d.canonicalPath(path)
	if err != nil {
		return "", 0, false
	}
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	f, ok := d.fs.byKey[key]
	if !ok {
		return "", 0, false
	}
	return f.md5, f.size, true
}

func (d *Device) lookupFile(path string) (string, *devFile, error) {
	key, err := d.canonicalPath(path)
	if err != nil {
		return "", nil, err
	}
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	f, ok := d.fs.byKey[key]
	if !ok {
		return key, nil, fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	return key, f, nil
}

// sizeOf returns the size of the file with that key (0 when there is none).
func (d *Device) sizeOf(key string) int64 {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	if f, ok := d.fs.byKey[key]; ok {
		return f.size
	}
	return 0
}

// fileList returns the files, sorted by name.
func (d *Device) fileList() []string {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	out := make([]string, 0, len(d.fs.byKey))
	for k := range d.fs.byKey {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---- CLI ----

// dirOutput renders "dir FS" (Cisco, EOS) for the device's file system.
func (d *Device) dirOutput(arg string) (string, bool) {
	home := d.cfg.Platform.fileSystem()
	a := strings.ToLower(strings.TrimSpace(arg))
	if d.cfg.Platform == CiscoIOSXE && a == "flash:" {
		a = "bootflash:"
	}
	if a == "nvram:" && d.cfg.Platform != JuniperJunos {
		// the startup configuration's file system: listed, but not writable over SFTP
		return "Directory of nvram:/\n\n    1  -rw-        4096  <no date>  startup-config\n\n2097152 bytes total (2093056 bytes free)\n", true
	}
	if a != "" && strings.TrimSuffix(a, "/") != home {
		return "%Error opening " + arg + " (No such file or directory)\n", false
	}
	free, total := d.FreeSpace(), d.fsSize()
	var b strings.Builder
	switch d.cfg.Platform {
	case CiscoNXOS:
		for _, k := range d.fileList() {
			_, f, _ := d.lookupFile(k)
			fmt.Fprintf(&b, "%12d    %s  %s\n", f.size, f.mod.Format("Jan 02 15:04:05 2006"), strings.TrimPrefix(k, home))
		}
		fmt.Fprintf(&b, "\nUsage for %s//sup-local\n%12d bytes used\n%12d bytes free\n%12d bytes total\n", home, total-free, free, total)
	default:
		fmt.Fprintf(&b, "Directory of %s/\n\n", home)
		for i, k := range d.fileList() {
			_, f, _ := d.lookupFile(k)
			fmt.Fprintf(&b, "%7d  -rw-  %12d  %s  %s\n", i+1, f.size, f.mod.Format("Jan 2 2006 15:04:05 +00:00"), strings.TrimPrefix(k, home))
		}
		if d.cfg.Platform == CiscoIOSXR {
			fmt.Fprintf(&b, "\n%d kbytes total (%d kbytes free)\n", total/1024, free/1024)
		} else {
			fmt.Fprintf(&b, "\n%d bytes total (%d bytes free)\n", total, free)
		}
	}
	return b.String(), true
}

// md5Output renders the platform's MD5 command for path; ok is false for an error text.
func (d *Device) md5Output(path string) (string, bool) {
	key, f, err := d.lookupFile(strings.TrimSpace(path))
	if err != nil {
		switch d.cfg.Platform {
		case JuniperJunos:
			return "error: could not resolve file: " + path + "\n", false
		case CiscoNXOS:
			return "No such file or directory\n", false
		}
		return "%Error opening " + path + " (No such file or directory)\n", false
	}
	switch d.cfg.Platform {
	case CiscoNXOS:
		return f.md5 + "\n", true
	case CiscoIOSXR:
		return f.md5 + "\n", true
	case JuniperJunos:
		return "MD5 (" + key + ") = " + f.md5 + "\n", true
	}
	return strings.Repeat(".", int(min(f.size/65536+1, 40))) + "Done!\nverify /md5 (" + key + ") = " + f.md5 + "\n", true
}

// storageOutput renders Junos "show system storage".
func (d *Device) storageOutput() string {
	free, total := d.FreeSpace(), d.fsSize()
	k := func(n int64) string { return fmt.Sprintf("%dK", n/1024) }
	return "Filesystem              Size       Used      Avail  Capacity   Mounted on\n" +
		"/dev/gpt/junos          1.3G       1.1G       119M       90%  /.mount\n" +
		fmt.Sprintf("/dev/gpt/var       %10s %10s %10s       %2d%%  /.mount/var\n", k(total), k(total-free), k(free), 100*(total-free)/total)
}

// fileCommand runs a Cisco or EOS file command ("dir [FS]", "verify /md5 PATH", "show file PATH
// md5sum", "show md5 file PATH"): it returns the output to page, or prints the error itself.
func fileCommand(s *session, action string, args []string) (string, bool) {
	arg := ""
	if len(args) > 0 {
		arg = args[0]
	}
	var out string
	var ok bool
	switch action {
	case "dir":
		out, ok = s.d.dirOutput(arg)
	case "verify":
		f := strings.Fields(arg)
		if len(f) != 2 || !strings.EqualFold(f[0], "/md5") {
			s.fail("% Invalid input detected at '^' marker.\n")
			return "", false
		}
		out, ok = s.d.md5Output(f[1])
	default:
		out, ok = s.d.md5Output(arg)
	}
	if !ok {
		s.fail(out)
		return "", false
	}
	return out, true
}

// ---- SFTP ----

// runSFTP serves the SFTP subsystem on the device's file system.
func (d *Device) runSFTP(ch ssh.Channel) {
	h := sftpHandler{d: d}
	srv := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
	code := uint32(0)
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		code = 1
	}
	_ = srv.Close()
	exitStatus(ch, code) // OpenSSH's scp (SFTP mode) fails without it
}

type sftpHandler struct{ d *Device }

// Fileread opens a file for reading.
func (h sftpHandler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	_, f, err := h.d.lookupFile(r.Filepath)
	if err != nil {
		return nil, toSFTPErr(err)
	}
	if f.data == nil && f.size > 0 {
		return nil, errors.New("file contents not kept by this simulated device (DiscardFileData)")
	}
	return bytes.NewReader(f.data), nil
}

// Filewrite opens a file for writing: it takes effect when the client closes it.
func (h sftpHandler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	key, err := h.d.canonicalPath(r.Filepath)
	if err != nil {
		return nil, toSFTPErr(err)
	}
	return &fileWriter{d: h.d, key: key}, nil
}

// Filecmd handles remove and rename; setstat is accepted and ignored.
func (h sftpHandler) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		return nil
	case "Remove":
		key, _, err := h.d.lookupFile(r.Filepath)
		if err != nil {
			return toSFTPErr(err)
		}
		h.d.fs.mu.Lock()
		h.d.fs.used -= h.d.fs.byKey[key].size
		delete(h.d.fs.byKey, key)
		h.d.fs.mu.Unlock()
		return nil
	}
	return sftp.ErrSSHFxOpUnsupported
}

// Filelist answers Stat, Lstat and List.
func (h sftpHandler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "Stat", "Lstat":
		key, f, err := h.d.lookupFile(r.Filepath)
		if err != nil {
			return nil, toSFTPErr(err)
		}
		return listerAt{fileInfo{name: key[strings.LastIndexAny(key, ":/")+1:], size: f.size, mod: f.mod}}, nil
	case "List":
		var out listerAt
		for _, k := range h.d.fileList() {
			_, f, _ := h.d.lookupFile(k)
			out = append(out, fileInfo{name: k[strings.LastIndexAny(k, ":/")+1:], size: f.size, mod: f.mod})
		}
		return out, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

func toSFTPErr(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return sftp.ErrSSHFxNoSuchFile
	case errors.Is(err, fs.ErrPermission):
		return sftp.ErrSSHFxPermissionDenied
	}
	return err
}

// fileWriter collects a file written over SFTP, checking the free space as it grows.
type fileWriter struct {
	d      *Device
	key    string
	mu     sync.Mutex
	data   []byte
	size   int64
	failed bool
}

func (w *fileWriter) WriteAt(p []byte, off int64) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := off + int64(len(p))
	w.d.fs.mu.Lock()
	old := int64(0)
	if f, ok := w.d.fs.byKey[w.key]; ok {
		old = f.size
	}
	free := w.d.fsSize() - w.d.fs.used + old
	w.d.fs.mu.Unlock()
	if end > free {
		w.failed = true
		return 0, fmt.Errorf("%s: %w (%d bytes free)", w.key, errNoSpace, free)
	}
	if int64(len(w.data)) < end {
		w.data = slices.Grow(w.data, int(end)-len(w.data))[:end]
	}
	copy(w.data[off:], p)
	w.size = max(w.size, end)
	return len(p), nil
}

// Close stores the file.
func (w *fileWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed {
		return nil
	}
	s := md5.Sum(w.data)
	sum := hex.EncodeToString(s[:])
	data := w.data
	if w.d.cfg.DiscardFileData {
		data = nil
	}
	w.d.fs.mu.Lock()
	defer w.d.fs.mu.Unlock()
	if w.d.fs.byKey == nil {
		w.d.fs.byKey = map[string]*devFile{}
	}
	if f, ok := w.d.fs.byKey[w.key]; ok {
		w.d.fs.used -= f.size
	}
	w.d.fs.byKey[w.key] = &devFile{data: data, size: w.size, md5: sum, mod: time.Now().UTC()}
	w.d.fs.used += w.size
	return nil
}

type fileInfo struct {
	name string
	size int64
	mod  time.Time
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return 0o644 }
func (f fileInfo) ModTime() time.Time { return f.mod }
func (f fileInfo) IsDir() bool        { return false }
func (f fileInfo) Sys() any           { return nil }

type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n+int(off) >= len(l) {
		return n, io.EOF
	}
	return n, nil
}

// ---- SCP ----

// scpCommand reports whether an exec request is an SCP transfer ("scp -t PATH" to receive,
// "scp -f PATH" to send) and returns its direction and path.
func scpCommand(cmd string) (sink bool, path string, ok bool) {
	f := strings.Fields(cmd)
	if len(f) < 3 || f[0] != "scp" {
		return false, "", false
	}
	for _, a := range f[1 : len(f)-1] {
		switch {
		case a == "--":
		case strings.HasPrefix(a, "-") && strings.ContainsRune(a, 't'):
			sink, ok = true, true
		case strings.HasPrefix(a, "-") && strings.ContainsRune(a, 'f'):
			sink, ok = false, true
		}
	}
	return sink, f[len(f)-1], ok
}

// runSCP serves one SCP transfer (the legacy rcp protocol that "scp -O" and Cisco's SCP
// server speak) on the device's file system, and returns the exit status.
func (d *Device) runSCP(ch io.ReadWriter, sink bool, path string) uint32 {
	r := bufio.NewReader(ch)
	fail := func(msg string) uint32 {
		_, _ = fmt.Fprintf(ch, "\x01scp: %s\n", msg)
		return 1
	}
	ack := func() bool {
		b, err := r.ReadByte()
		return err == nil && b == 0
	}
	if !sink {
		_, f, err := d.lookupFile(path)
		if err != nil {
			return fail(path + ": No such file or directory")
		}
		if f.data == nil && f.size > 0 {
			return fail(path + ": contents not kept (DiscardFileData)")
		}
		if !ack() {
			return 1
		}
		// the name as the client asked for it (OpenSSH checks it against its request)
		fmt.Fprintf(ch, "C0644 %d %s\n", f.size, path[strings.LastIndexByte(path, '/')+1:])
		if !ack() {
			return 1
		}
		_, _ = ch.Write(f.data)
		_, _ = ch.Write([]byte{0})
		if !ack() {
			return 1
		}
		return 0
	}
	_, _ = ch.Write([]byte{0})
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return 0 // the client is done
		}
		switch line[0] {
		case 'T', 'E', 'D':
			_, _ = ch.Write([]byte{0})
			continue
		case 'C':
		default:
			return fail("protocol error: " + strings.TrimSpace(line))
		}
		var mode string
		var size int64
		var name string
		if n, _ := fmt.Sscanf(line, "C%s %d %s\n", &mode, &size, &name); n != 3 || size < 0 {
			return fail("protocol error: " + strings.TrimSpace(line))
		}
		target := path
		if home := d.cfg.Platform.fileSystem(); strings.TrimSuffix(strings.TrimPrefix(target, "/"), "/") == strings.TrimPrefix(strings.TrimSuffix(home, "/"), "/") {
			target = strings.TrimSuffix(home, "/") + "/" + name // a directory: keep the file's name
		}
		key, err := d.canonicalPath(target)
		switch {
		case errors.Is(err, fs.ErrPermission):
			return fail(target + ": Permission denied")
		case err != nil:
			return fail(target + ": No such file or directory")
		}
		w := &fileWriter{d: d, key: key}
		if free := d.FreeSpace() + d.sizeOf(key); size > free { // before reading anything
			return fail(fmt.Sprintf("%s: %v (%d bytes free)", key, errNoSpace, free))
		}
		_, _ = ch.Write([]byte{0})
		buf := make([]byte, 32<<10)
		var off int64
		for off < size {
			n, err := r.Read(buf[:min(int64(len(buf)), size-off)])
			if n > 0 {
				if _, werr := w.WriteAt(buf[:n], off); werr != nil {
					return fail(werr.Error())
				}
				off += int64(n)
			}
			if err != nil {
				return 1
			}
		}
		if !ack() {
			return 1
		}
		if err := w.Close(); err != nil {
			return fail(err.Error())
		}
		_, _ = ch.Write([]byte{0})
	}
}
