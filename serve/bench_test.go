package serve

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// benchRepo builds a backup repository with gitstore: hosts devices, commits commits, each
// changing every 10th device (shifted per commit) and, every 5th commit, host "h0000".
func benchRepo(b *testing.B, hosts, commits int) string {
	b.Helper()
	dir := b.TempDir()
	st, err := gitstore.Open(gitstore.Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	body := func(h, rev int) []byte {
		return fmt.Appendf(nil, "hostname h%04d\n%s\nsnmp-server location rack-%d\nend\n", h, bigLines, rev)
	}
	for h := range hosts {
		if _, _, err := st.Put(fmt.Sprintf("h%04d", h), body(h, 0)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.Commit("initial"); err != nil {
		b.Fatal(err)
	}
	for c := 1; c < commits; c++ {
		for h := c % 10; h < hosts; h += 10 {
			if _, _, err := st.Put(fmt.Sprintf("h%04d", h), body(h, c)); err != nil {
				b.Fatal(err)
			}
		}
		if c%5 == 0 {
			if _, _, err := st.Put("h0000", body(0, c)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := st.Commit(fmt.Sprintf("run %d", c)); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

var bigLines = func() string {
	var s []byte
	for i := range 200 {
		s = fmt.Appendf(s, "interface Ethernet%d\n description port %d\n!\n", i, i)
	}
	return string(s)
}()

// BenchmarkHistory measures a host's history (the host page) and its last diff in a
// repository of 2,000 devices and 100 commits (go-git reads, opened per call).
func BenchmarkHistory(b *testing.B) {
	dir := benchRepo(b, 2000, 100)
	g := &GitHistory{Dir: dir}
	ctx := context.Background()
	b.Run("Log50", func(b *testing.B) {
		for b.Loop() {
			log, err := g.Log(ctx, "h0000", 50)
			if err != nil || len(log) != 20 {
				b.Fatalf("%d commits, %v", len(log), err)
			}
		}
	})
	b.Run("DiffLast", func(b *testing.B) {
		for b.Loop() {
			d, err := g.Diff(ctx, "h0001", "")
			if err != nil || d.Added != 1 {
				b.Fatalf("%+v, %v", d, err)
			}
		}
	})
	b.Run("Config", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := g.Config(ctx, "h1999", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIndexPage measures the host list page of 10,000 hosts.
func BenchmarkIndexPage(b *testing.B) {
	sts := make([]gitstore.HostStatus, 10000)
	now := time.Now()
	for i := range sts {
		sts[i] = gitstore.HostStatus{Host: fmt.Sprintf("dev-%05d", i), Platform: "cisco_iosxe", LastAttempt: now, LastSuccess: now, LastChange: now}
		if i%20 == 0 {
			sts[i].ConsecutiveFailures, sts[i].FailureClass, sts[i].FailureMessage = 1, "timeout", "task \"backup\" timed out after 10s"
		}
	}
	s, err := New(Config{
		Run:     func(context.Context, RunRequest) (RunSummary, error) { return RunSummary{}, nil },
		Status:  func(context.Context) ([]gitstore.HostStatus, error) { return sts, nil },
		History: &GitHistory{Dir: b.TempDir()},
	})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}
