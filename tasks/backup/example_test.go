package backup_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// Cleaning and redacting an IOS output: the echo, the volatile header, the pager leftovers and
// the prompt go; secrets become <removed>; the completeness check passes.
func ExampleProfile_Clean() {
	raw := "router1#show running-config\n" +
		"Building configuration...\n\n" +
		"Current configuration : 1234 bytes\n" +
		"!\n! Last configuration change at 10:00:01 UTC Thu Nov 21 2024 by admin\n!\n" +
		"hostname router1\n" +
		"enable secret 9 $9$xvWnx8Fe35f8xE$E9ijp7GM/V48P5y1Uz3IEPtotXgwkJKYJmN0q3q2E92\n" +
		"username admin privilege 15 password 0 s3cr3t!\n" +
		" --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b" +
		"snmp-server community public RO\n" +
		"ntp clock-period 17179869\n" +
		"end\n\nrouter1#"
	p, _ := backup.DefaultProfiles().Lookup("ios")
	cfg := p.Redact(p.Clean(raw), backup.RedactAll)
	fmt.Print(cfg)
	fmt.Println("complete:", p.Check(raw, cfg) == nil)
	// Output:
	// !
	// !
	// hostname router1
	// enable secret 9 <removed>
	// username admin privilege 15 password 0 <removed>
	// snmp-server community <removed> RO
	// end
	// complete: true
}

// A truncated output is refused with the reason; the task fails the host with class
// "incomplete" and keeps the last good copy.
func ExampleProfile_Check() {
	p, _ := backup.DefaultProfiles().Lookup("cisco_iosxe")
	raw := "hostname router1\ninterface GigabitEthernet1\n --More-- "
	fmt.Println(p.Check(raw, p.Clean(raw)))
	raw = "hostname router1\ninterface GigabitEthernet1\n"
	fmt.Println(p.Check(raw, p.Clean(raw)))
	// Output:
	// incomplete cisco_iosxe configuration: output ends at a pager prompt (--More--): paging was not disabled
	// incomplete cisco_iosxe configuration: no end marker: last line is "interface GigabitEthernet1" (want ^end$)
}

// Users add their own volatile lines and secrets to a platform, or a whole platform.
func ExampleProfiles_AddVolatile() {
	ps := backup.DefaultProfiles()
	_ = ps.AddVolatile("cisco_iosxe", `^! Exported by our NMS at `)
	_ = ps.AddSecrets("cisco_iosxe", backup.SecretRule{
		Name: "ddns password", Keyword: "ddns", Pattern: `\bddns password (?P<secret>\S+)`,
	})
	_ = ps.Register(backup.Profile{
		Platform: "mikrotik_routeros",
		Command:  "/export terse",
		Volatile: []string{`^# \w{3}/\d{2}/\d{4} \d\d:\d\d:\d\d by RouterOS`},
		Secrets: []backup.SecretRule{
			{Name: "password", Keyword: "password=", Pattern: `\bpassword=(?P<secret>\S+)`},
		},
	}, "routeros", "mikrotik")

	p, _ := ps.Lookup("mikrotik")
	fmt.Print(p.Redact(p.Clean("# nov/21/2024 09:00:00 by RouterOS 7.16\n/user add name=backup password=Xy12ab group=read\n"), backup.RedactAll))
	p, _ = ps.Lookup("ios")
	fmt.Print(p.Redact(p.Clean("! Exported by our NMS at 09:00\nddns password hunter22\nend\n"), backup.RedactAll))
	// Output:
	// /user add name=backup password=<removed> group=read
	// ddns password <removed>
	// end
}

func ExampleDiff() {
	old := "hostname r1\ninterface Gi1\n shutdown\nend\n"
	cur := "hostname r1\ninterface Gi1\n no shutdown\nend\n"
	fmt.Print(backup.Diff("a/configs/r1", "b/configs/r1", old, cur, backup.DiffOptions{}).Text)
	// Output:
	// --- a/configs/r1
	// +++ b/configs/r1
	// @@ -1,4 +1,4 @@
	//  hostname r1
	//  interface Gi1
	// - shutdown
	// + no shutdown
	//  end
}

// The backup task on three runs. A program streams the task's results from the runner into
// the Recorder (for res := range r.Stream(ctx, "backup", task) { rec.Record(res) }) and calls
// Commit at the end; here the task is called directly and the configuration comes from a
// function instead of a device.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "norn-backup-example-")
	defer os.RemoveAll(dir)
	store, err := gitstore.Open(gitstore.Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	device := "Building configuration...\nhostname r1\nsnmp-server community public RO\nend\n"
	task, err := backup.New(backup.Config{
		Store: store,
		Fetch: func(ctx context.Context, t *tasks.Task, p *backup.Profile) (string, error) { return device, nil },
	})
	if err != nil {
		panic(err)
	}
	rec, err := backup.NewRecorder(backup.RecorderConfig{Store: store})
	if err != nil {
		panic(err)
	}
	host := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Platform: "ios"}}
	run := func() {
		r := tasks.Call(context.Background(), &tasks.Task{Host: host, Name: "backup", Logger: zerolog.Nop()}, task)
		rec.Record(r)
		info := r.Value.(backup.Info)
		fmt.Printf("ok=%v changed=%v new=%v bytes=%d lines=%d\n", r.OK(), r.Changed, info.New, info.Bytes, info.Lines)
		if r.Diff != "" {
			fmt.Print(r.Diff)
		}
		c, err := rec.Commit(context.Background())
		if err != nil {
			panic(err)
		}
		if !c.Committed() {
			fmt.Println("no commit: nothing changed")
			return
		}
		fmt.Println("committed:", strings.SplitN(c.Message, "\n", 2)[0])
	}
	run()
	run() // nothing changed: no commit
	device = strings.Replace(device, "end\n", "ip ssh version 2\nend\n", 1)
	run()
	// Output:
	// ok=true changed=true new=true bytes=51 lines=3
	// committed: norn backup: 1 changed, 0 unchanged, 0 failed of 1 hosts
	// ok=true changed=false new=false bytes=51 lines=3
	// no commit: nothing changed
	// ok=true changed=true new=false bytes=68 lines=4
	// --- a/configs/r1
	// +++ b/configs/r1
	// @@ -1,3 +1,4 @@
	//  hostname r1
	//  snmp-server community <removed> RO
	// +ip ssh version 2
	//  end
	// committed: norn backup: 1 changed, 0 unchanged, 0 failed of 1 hosts
}

// The store remembers every host's status across runs: a later run selects the hosts to back
// up again (-only-failed: failed, stale, or never stored), and a report lists those without a
// backup for a day. gitstore.ReadStatus reads the same status without opening the store.
func ExampleRecorder_resume() {
	dir, _ := os.MkdirTemp("", "norn-status-example-")
	defer os.RemoveAll(dir)
	store, _ := gitstore.Open(gitstore.Config{Dir: dir})
	now := time.Date(2024, 11, 21, 9, 0, 0, 0, time.UTC)
	rec, _ := backup.NewRecorder(backup.RecorderConfig{Store: store, Now: func() time.Time { return now }})
	store.Put("r1", []byte("hostname r1\nend\n")) // what the task does for a host it backs up
	rec.Record(tasks.Result{Host: "r1", Status: tasks.StatusOK, Changed: true, Duration: 2 * time.Second,
		Value: backup.Info{Platform: "cisco_iosxe", SHA: gitstore.BlobID([]byte("hostname r1\nend\n")), Bytes: 16, Lines: 2}})
	rec.Record(tasks.Result{Host: "r2", Status: tasks.StatusFailed, Err: tasks.WithClass(tasks.ClassTimeout, errors.New("host r2: timed out"))})
	if _, err := rec.Commit(context.Background()); err != nil {
		panic(err)
	}

	store, _ = gitstore.Open(gitstore.Config{Dir: dir}) // a later run
	need := store.NeedsBackup(now, 24*time.Hour)
	for _, name := range []string{"r1", "r2", "r3"} {
		fmt.Println(name, "rerun:", need(name))
	}
	sts, _ := gitstore.ReadStatus(dir)
	for _, st := range sts {
		fmt.Printf("%s: failures %d (%s), lines %d, took %s\n", st.Host, st.ConsecutiveFailures, st.FailureClass, st.Lines, st.LastDuration)
	}
	// Output:
	// r1 rerun: false
	// r2 rerun: true
	// r3 rerun: true
	// r1: failures 0 (), lines 2, took 2s
	// r2: failures 1 (timeout), lines 0, took 0s
}
