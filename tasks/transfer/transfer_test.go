package transfer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli/scraplitest"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/transfer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type lab struct {
	fleet *devsim.Fleet
	inv   *inventory.Inventory
	reg   *connection.Registry
}

func startLab(t testing.TB, cfg devsim.FleetConfig) *lab {
	t.Helper()
	cfg.Seed, cfg.ConfigSize = 21, 3<<10
	f := scraplitest.StartFleet(t, context.Background(), cfg)
	return &lab{fleet: f.Fleet, inv: f.Inventory, reg: f.Registry}
}

func (l *lab) run(t testing.TB, fn tasks.Func, workers int) map[string]tasks.Result {
	t.Helper()
	r, err := runner.New(runner.Config{Inventory: l.inv, Connections: l.reg, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := r.Run(ctx, "transfer", fn)
	if err != nil {
		t.Fatal(err)
	}
	return res.ByHost()
}

func writeRandom(t testing.TB, path string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPutGetAllPlatforms sends a file to one device of each platform over SFTP, skips it on a
// second run by MD5, fetches it back, and checks the errors for no space, a wrong path and a
// refused one.
func TestPutGetAllPlatforms(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a simulated fleet")
	}
	l := startLab(t, devsim.FleetConfig{N: 5, FileSystemSize: 1 << 20})
	dir := t.TempDir()
	src := filepath.Join(dir, "image.bin")
	data := writeRandom(t, src, 300<<10)

	put, err := transfer.Put(transfer.Config{Local: src})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range l.run(t, put, 5) {
		rep, _ := r.Value.(transfer.Report)
		d, _ := l.fleet.Device(name)
		sum, size, ok := d.File(rep.Remote)
		if r.Err != nil || !r.Changed || rep.Skipped || !ok || sum != rep.MD5 || size != int64(len(data)) {
			t.Errorf("%s (%s): put: err %v report %+v device %v %s %d", name, d.Platform(), r.Err, rep, ok, sum, size)
		}
	}
	// again: every device has it already
	for name, r := range l.run(t, put, 5) {
		rep, _ := r.Value.(transfer.Report)
		if r.Err != nil || r.Changed || !rep.Skipped {
			t.Errorf("%s: second put: err %v changed %v report %+v", name, r.Err, r.Changed, rep)
		}
	}
	// fetch it back from each
	get, err := transfer.Get(transfer.Config{Local: filepath.Join(dir, "back", "{host}.bin"), RemoteFor: func(h *inventory.Host) string {
		return transfer.FileSystem(h.Platform()) + "image.bin"
	}})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range l.run(t, get, 5) {
		got, err := os.ReadFile(filepath.Join(dir, "back", name+".bin"))
		if r.Err != nil || !r.Changed || err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: get: err %v changed %v read %v equal %v", name, r.Err, r.Changed, err, bytes.Equal(got, data))
		}
	}
	// no space: 1 MiB file systems with 300 KiB used, a 900 KiB file
	big := filepath.Join(dir, "big.bin")
	writeRandom(t, big, 900<<10)
	putBig, _ := transfer.Put(transfer.Config{Local: big})
	for name, r := range l.run(t, putBig, 5) {
		if !errors.Is(r.Err, connection.ErrNoSpace) || tasks.Classify(r.Err) != transfer.ClassNoSpace {
			t.Errorf("%s: no space: err %v class %s", name, r.Err, tasks.Classify(r.Err))
		}
		d, _ := l.fleet.Device(name)
		if _, _, ok := d.File(transfer.FileSystem(d.Platform().String()) + "big.bin"); ok {
			t.Errorf("%s: a file that does not fit was written", name)
		}
	}
	// a wrong file system, and a refused one
	for _, c := range []struct {
		remote func(*inventory.Host) string
		want   error
	}{
		{func(h *inventory.Host) string {
			if h.Platform() == "juniper_junos" {
				return "/var/tmp/nosuchdir/x.bin"
			}
			return "slot9:x.bin"
		}, fs.ErrNotExist},
		{func(h *inventory.Host) string {
			if h.Platform() == "juniper_junos" {
				return "/etc/x.bin"
			}
			return "nvram:x.bin"
		}, fs.ErrPermission},
	} {
		p, _ := transfer.Put(transfer.Config{Local: src, RemoteFor: c.remote, Force: true})
		for name, r := range l.run(t, p, 5) {
			if !errors.Is(r.Err, c.want) || tasks.Classify(r.Err) != transfer.ClassPath {
				t.Errorf("%s: want %v, got %v (class %s)", name, c.want, r.Err, tasks.Classify(r.Err))
			}
		}
	}
}

// BenchmarkPut10MBTo100 sends a 10 MB file to 100 devices over SFTP through the runner (the
// default concurrency of 8 transfers) and reports MB/s in total.
func BenchmarkPut10MBTo100(b *testing.B) {
	l := startLab(b, devsim.FleetConfig{N: 100, DiscardFileData: true})
	src := filepath.Join(b.TempDir(), "image.bin")
	writeRandom(b, src, 10<<20)
	b.ResetTimer()
	for range b.N {
		put, err := transfer.Put(transfer.Config{Local: src, Force: true})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for name, r := range l.run(b, put, 100) {
			if r.Err != nil {
				b.Fatalf("%s: %v", name, r.Err)
			}
		}
		b.ReportMetric(float64(100*10)/time.Since(start).Seconds(), "MB/s")
	}
}
