package devsim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// scpClient runs OpenSSH's scp against a device with a key of its own.
type scpClient struct {
	t    *testing.T
	key  string
	port int
}

func newSCPClient(t *testing.T) (*scpClient, ssh.PublicKey) {
	t.Helper()
	if _, err := exec.LookPath("scp"); err != nil {
		t.Skip("no scp binary (apt-get install openssh-client)")
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return &scpClient{t: t, key: key}, sp
}

func (c *scpClient) run(args ...string) (string, error) {
	all := append([]string{"-i", c.key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-P", fmt.Sprint(c.port)}, args...)
	out, err := exec.Command("scp", all...).CombinedOutput()
	return string(out), err
}

// TestSCPAndSFTPWithOpenSSH copies files with OpenSSH's scp (SCP protocol, -O) and sftp to
// and from a device's file system, and checks the no-space, wrong-path and permission errors
// and the CLI's view of the files.
func TestSCPAndSFTPWithOpenSSH(t *testing.T) {
	c, pub := newSCPClient(t)
	d := startDevice(t, DeviceConfig{Name: "r9", AuthorizedKeys: []ssh.PublicKey{pub}, FileSystemSize: 1 << 20})
	c.port = d.Port()
	dir := t.TempDir()
	data := make([]byte, 200<<10)
	_, _ = rand.Read(data)
	src := filepath.Join(dir, "img.bin")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"-O"} {
		name := "img" + mode + ".bin"
		if out, err := c.run(mode, src, "admin@127.0.0.1:bootflash:"+name); err != nil {
			t.Fatalf("scp %s put: %v\n%s", mode, err, out)
		}
		sum, size, ok := d.File("bootflash:" + name)
		if !ok || size != int64(len(data)) || len(sum) != 32 {
			t.Fatalf("scp %s: device has %v %d %s", mode, ok, size, sum)
		}
		back := filepath.Join(dir, "back"+mode)
		if out, err := c.run(mode, "admin@127.0.0.1:bootflash:"+name, back); err != nil {
			t.Fatalf("scp %s get: %v\n%s", mode, err, out)
		}
		if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
			t.Fatalf("scp %s: fetched file differs", mode)
		}
		if out := d.headlessExec("verify /md5 flash:" + name); !strings.Contains(out, "= "+sum) {
			t.Errorf("verify /md5: %q", out)
		}
	}
	if out := d.headlessExec("dir bootflash:"); !strings.Contains(out, "img-O.bin") || !strings.Contains(out, fmt.Sprintf("%d bytes total (%d bytes free)", 1<<20, d.FreeSpace())) {
		t.Errorf("dir: %q", out)
	}
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, make([]byte, 900<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c2 := range []struct{ mode, dest, want string }{
		{"-O", "bootflash:big.bin", "No space left on device"},
		{"-O", "nvram:x.bin", "Permission denied"},
		{"-O", "slot0:x.bin", "No such file or directory"},
	} {
		out, err := c.run(c2.mode, big, "admin@127.0.0.1:"+c2.dest)
		if err == nil || !strings.Contains(out, c2.want) {
			t.Errorf("scp %s to %s: err %v, output %q (want %q)", c2.mode, c2.dest, err, out, c2.want)
		}
	}
	if _, _, ok := d.File("bootflash:big.bin"); ok {
		t.Error("a file that does not fit was stored")
	}

	// OpenSSH's sftp
	cmd := exec.Command("sftp", "-i", c.key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-P", fmt.Sprint(c.port), "-b", "-", "admin@127.0.0.1")
	cmd.Stdin = strings.NewReader("put " + src + " bootflash:sftp.bin\nls -l\n-put " + big + " bootflash:big.bin\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sftp.bin") || !strings.Contains(string(out), `write remote "/bootflash:big.bin": Failure`) {
		t.Errorf("sftp: %v\n%s", err, out)
	}
	if _, size, ok := d.File("bootflash:sftp.bin"); !ok || size != int64(len(data)) {
		t.Errorf("sftp put: %v %d", ok, size)
	}
}

// headlessExec runs one privileged command and returns its output.
func (d *Device) headlessExec(cmd string) string {
	s := d.headless(d.cfg.Username)
	s.dl.start(s)
	s.out = s.out[:0]
	s.mode = modePriv
	s.dl.exec(s, cmd)
	return strings.ReplaceAll(string(s.out), "\r\n", "\n")
}
