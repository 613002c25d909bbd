package backup

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/devsim"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/plugins/scrapli"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks/backup/gitstore"
	"github.com/gonorn/norn/tasks/backup/internal/gittest"
)

// crashChildEnv makes the test binary a backup program (crashChild) instead of running tests;
// its value is the work directory (inventory in inv/, repository in out/).
const crashChildEnv = "NORN_BACKUP_CRASH_CHILD"

// crashResumeEnv set to 1 makes the child back up only the hosts the store says need it.
const crashResumeEnv = "NORN_BACKUP_CRASH_RESUME"

// crashChild is the program the crash test kills: a backup of a devsim fleet through the
// runner, the task, the recorder (committing every 4 changed hosts, so that kills land in
// commits too) and the store. It prints "done <host>" before recording each result, and
// returns the exit status (0: every host backed up).
func crashChild(dir string) int {
	ctx := context.Background()
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 2
	}
	inv, err := inventory.LoadDir(ctx, filepath.Join(dir, "inv"))
	if err != nil {
		return fail(err)
	}
	store, err := gitstore.Open(gitstore.Config{Dir: filepath.Join(dir, "out")})
	if err != nil {
		return fail(err)
	}
	task, err := New(Config{Store: store})
	if err != nil {
		return fail(err)
	}
	rec, err := NewRecorder(RecorderConfig{Store: store, CommitEvery: 4})
	if err != nil {
		return fail(err)
	}
	reg := connection.NewRegistry()
	scrapli.MustRegister(reg)
	r, err := runner.New(runner.Config{Inventory: inv, Workers: 4, Timeout: time.Minute, Connections: reg})
	if err != nil {
		return fail(err)
	}
	if os.Getenv(crashResumeEnv) == "1" {
		need := store.NeedsBackup(time.Now(), 24*time.Hour)
		r = r.Filter(func(h *inventory.Host) bool { return need(h.Name) })
	}
	status := 0
	for res := range r.Stream(ctx, "backup", task) {
		fmt.Printf("done %s\n", res.Host)
		if !res.OK() {
			fmt.Fprintf(os.Stderr, "crash child: %s: %v\n", res.Host, res.Err)
			status = 1
		}
		rec.Record(res)
	}
	if _, err := rec.Commit(ctx); err != nil {
		return fail(err)
	}
	return status
}

// TestKillNine kills a backup program with SIGKILL at random points of its runs, ten times
// (full runs after configuration changes on some devices, and runs resuming from what is on
// disk), and checks after each kill that the repository is sound (git fsck clean, every
// committed configuration whole: one the device really had) and, after one last run resuming
// from what is on disk, that every host is backed up, the work tree matches the last commit,
// "git status" is clean and no temporary file is left.
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary as a backup program, killed ten times")
	}
	dir := t.TempDir()
	fleet, err := devsim.StartFleet(context.Background(), devsim.FleetConfig{N: 20, Seed: 5, ConfigSize: 6 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	if err := fleet.WriteInventory(filepath.Join(dir, "inv")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cv := newConfigVersions(t, fleet, filepath.Join(dir, "inv"))

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 16))
	start := func(resume bool) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		if resume {
			cmd.Env = append(cmd.Env, crashResumeEnv+"=1")
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, bufio.NewScanner(stdout), &stderr
	}

	const kills = 10
	killed := 0
	for run := 1; killed < kills && run <= 4*kills; run++ {
		resume := run%2 == 0
		if !resume {
			// Some devices change, so that the run writes and commits.
			for _, d := range fleet.Devices() {
				if rng.IntN(3) == 0 {
					cv.change(d, run)
				}
			}
		}
		cmd, lines, stderr := start(resume)
		// Kill after a random number of finished hosts (0: during start-up) and a random
		// moment more: in a write, a part commit, or between them.
		after := rng.IntN(fleet.Len())
		done := 0
		for done < after && lines.Scan() {
			done++
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		for lines.Scan() {
			done++
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed++
			t.Logf("run %d (resume %v): killed after %d of %d hosts (+ %v)", run, resume, after, fleet.Len(), err)
		} else {
			t.Logf("run %d (resume %v): finished before the kill (%d hosts): %v", run, resume, done, err)
			if strings.Contains(stderr.String(), "crash child: ") {
				t.Logf("stderr:\n%s", stderr)
			}
		}
		checkCrashedRepository(t, out, cv)
	}
	if killed < kills {
		t.Fatalf("only %d runs were killed", killed)
	}

	// One rerun, resuming from what is on disk, backs up every host left.
	cmd, lines, stderr := start(true)
	for lines.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the rerun after %d kills: %v\n%s", killed, err, stderr)
	}
	files := gittest.CommittedFiles(t, out)
	for _, d := range fleet.Devices() {
		path := gitstore.ConfigsDir + "/" + gitstore.FileName(d.Name())
		committed, ok := files[path]
		if !ok {
			t.Errorf("%s: not backed up after the rerun", d.Name())
			continue
		}
		if b, err := os.ReadFile(filepath.Join(out, path)); err != nil || string(b) != committed {
			t.Errorf("%s: the work-tree file differs from the last commit (%v)", d.Name(), err)
		}
	}
	checkCrashedRepository(t, out, cv)
	sts, err := gitstore.ReadStatus(out)
	if err != nil {
		t.Fatal(err)
	}
	good := 0
	for _, st := range sts {
		if !st.Failing() && st.SHA != "" {
			good++
		}
	}
	if good != fleet.Len() {
		t.Errorf("%d of %d hosts have a good status after the rerun", good, fleet.Len())
	}
	noTemps(t, out)
	if out, ok := gittest.Git(t, out, "status", "--porcelain", "--ignored"); ok && out != "" {
		t.Errorf("git status after the rerun:\n%s", out)
	}
}

// configVersions knows every configuration (cleaned and redacted as the task stores it) each
// device of a fleet had.
type configVersions struct {
	t        *testing.T
	hosts    map[string]*inventory.Host
	profiles *Profiles
	seen     map[string]map[string]bool // file name -> stored contents
	byFile   map[string]*devsim.Device
}

func newConfigVersions(t *testing.T, fleet *devsim.Fleet, invDir string) *configVersions {
	inv, err := inventory.LoadDir(context.Background(), invDir)
	if err != nil {
		t.Fatal(err)
	}
	cv := &configVersions{t: t, hosts: map[string]*inventory.Host{}, profiles: DefaultProfiles(),
		seen: map[string]map[string]bool{}, byFile: map[string]*devsim.Device{}}
	for _, h := range inv.Hosts() {
		cv.hosts[h.Name] = h
	}
	for _, d := range fleet.Devices() {
		cv.byFile[gitstore.FileName(d.Name())] = d
		cv.seen[gitstore.FileName(d.Name())] = map[string]bool{}
		cv.record(d)
	}
	return cv
}

// record adds the device's current configuration.
func (cv *configVersions) record(d *devsim.Device) {
	p, ok := cv.profiles.Lookup(string(d.Platform()))
	if !ok {
		cv.t.Fatalf("no profile for %s", d.Platform())
	}
	lits := (&task{cfg: Config{SecretParams: []string{"scrapli", "scrapli_netconf"}}}).literals(cv.hosts[d.Name()])
	cv.seen[gitstore.FileName(d.Name())][p.Redact(p.Clean(d.RunningConfig()), RedactAll, lits...)] = true
}

// change configures the device and records its new configuration.
func (cv *configVersions) change(d *devsim.Device, run int) {
	line := fmt.Sprintf("snmp-server location run %d", run)
	if d.Platform() == devsim.JuniperJunos {
		line = fmt.Sprintf("set snmp location run-%d", run)
	}
	if err := d.Configure(line); err != nil {
		cv.t.Fatalf("%s: %v", d.Name(), err)
	}
	cv.record(d)
}

// checkCrashedRepository checks what a killed run left, before any repair: the committed
// objects are whole (fsck) and every committed configuration is one the device had.
func checkCrashedRepository(t *testing.T, out string, cv *configVersions) {
	t.Helper()
	if !gittest.HasCommit(t, out) {
		return // killed before the first commit
	}
	gittest.Fsck(t, out)
	for path, content := range gittest.CommittedFiles(t, out) {
		name, ok := strings.CutPrefix(path, gitstore.ConfigsDir+"/")
		if !ok {
			continue
		}
		versions, ok := cv.seen[name]
		if !ok {
			t.Fatalf("committed %s is not a device of the fleet", path)
		}
		if !versions[content] {
			t.Errorf("committed %s (%d bytes) is none of the %d configurations the device had", path, len(content), len(versions))
		}
	}
}

// noTemps fails the test for any temporary file left in the repository.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), ".norn-tmp-") || strings.HasSuffix(d.Name(), ".tmp") {
			t.Errorf("leftover %s", path)
		}
		return nil
	})
}
