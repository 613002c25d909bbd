package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/redact"
	"github.com/gonorn/norn/runner"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// failure is one host that did not get backed up, and why.
type failure struct {
	idx      int
	Host     string      `json:"host"`
	Class    tasks.Class `json:"class"`
	Message  string      `json:"message"`
	Attempts int         `json:"attempts"`
}

// tally counts a run's results as they stream in, keeping only what the report needs (not the
// configurations), so memory stays flat over tens of thousands of hosts.
type tally struct {
	order map[string]int // host -> inventory position
	total int

	ok, changed, failed, notRun, canceled int
	byClass                               map[tasks.Class]int
	failures                              []failure // failed hosts
	notRunHosts                           []failure // not run, and stopped in flight by Ctrl-C

	durations []float32 // seconds, of the hosts that ran
	slowest   string
	slowestD  time.Duration

	keepJSON bool
	results  []indexedJSON

	elapsed time.Duration
}

type indexedJSON struct {
	idx int
	raw json.RawMessage
}

func newTally(hosts []*inventory.Host, keepJSON bool) *tally {
	t := &tally{order: make(map[string]int, len(hosts)), total: len(hosts), byClass: map[tasks.Class]int{}, keepJSON: keepJSON}
	for i, h := range hosts {
		t.order[h.Name] = i
	}
	return t
}

func (t *tally) add(r tasks.Result) {
	idx := t.order[r.Host]
	if r.Status != tasks.StatusNotRun {
		t.durations = append(t.durations, float32(r.Duration.Seconds()))
		if r.Duration > t.slowestD {
			t.slowest, t.slowestD = r.Host, r.Duration
		}
	}
	switch r.Status {
	case tasks.StatusOK:
		t.ok++
		if r.Changed {
			t.changed++
		}
	case tasks.StatusNotRun:
		t.notRun++
		t.notRunHosts = append(t.notRunHosts, failure{idx: idx, Host: r.Host, Class: tasks.ClassNotRun, Message: oneLine(r.Err)})
	default:
		class := tasks.Classify(r.Err)
		f := failure{idx: idx, Host: r.Host, Class: class, Message: oneLine(r.Err), Attempts: r.Attempts}
		if class == tasks.ClassCanceled {
			// Stopped in flight by Ctrl-C: not a device failure, reported with the not-run hosts.
			t.canceled++
			t.notRunHosts = append(t.notRunHosts, f)
		} else {
			t.failed++
			t.byClass[class]++
			t.failures = append(t.failures, f)
		}
	}
	if t.keepJSON {
		raw, err := json.Marshal(r)
		if err != nil {
			raw, _ = json.Marshal(map[string]string{"host": r.Host, "error": "encoding the result: " + err.Error()})
		}
		t.results = append(t.results, indexedJSON{idx, raw})
	}
}

// durationLine describes how long hosts took: the median, the 95th percentile and the slowest
// host, which explains a run's wall time (one device that never answers holds it for -timeout).
func (t *tally) durationLine() string {
	if len(t.durations) == 0 {
		return ""
	}
	d := slices.Clone(t.durations)
	slices.Sort(d)
	q := func(p float64) time.Duration {
		return time.Duration(float64(d[int(p*float64(len(d)-1))]) * float64(time.Second))
	}
	return fmt.Sprintf("median %s, 95th percentile %s, slowest %s (%s)",
		roundDur(q(0.5)), roundDur(q(0.95)), roundDur(t.slowestD), t.slowest)
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

// oneLine returns err's message on one line. A long message keeps its beginning (what failed)
// and its end (the root cause) and elides the middle.
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	s := strings.Join(strings.Fields(redact.String(err.Error())), " ") // secret-shaped values masked
	const head, tail = 70, 110
	if r := []rune(s); len(r) > head+tail+5 {
		s = string(r[:head]) + " ... " + string(r[len(r)-tail:])
	}
	return s
}

// report is the end of a run: the tally, the commit and the store's view.
type report struct {
	o           *options
	inventory   string
	tally       *tally
	commit      gitstore.CommitInfo
	commitErr   error
	interrupted bool
	stale       int
	statusPath  string
	peakRSS     uint64
	peakHeap    uint64
	cpu         time.Duration
	delivery    delivery               // alerts and events lost (alerting.go)
	breakers    []runner.BreakerReport // what the circuit breakers decided (runner.Breaker.Report)
}

// classCounts returns the failure classes, most frequent first.
func (rp *report) classCounts() []string {
	type kv struct {
		c tasks.Class
		n int
	}
	var kvs []kv
	for c, n := range rp.tally.byClass {
		kvs = append(kvs, kv{c, n})
	}
	slices.SortFunc(kvs, func(a, b kv) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.c, b.c))
	})
	out := make([]string, len(kvs))
	for i, e := range kvs {
		out[i] = fmt.Sprintf("%s %d", e.c, e.n)
	}
	return out
}

func (rp *report) rate() float64 {
	done := rp.tally.ok + rp.tally.failed + rp.tally.canceled
	if rp.tally.elapsed <= 0 {
		return 0
	}
	return float64(done) / rp.tally.elapsed.Seconds()
}

func (rp *report) writeText(w io.Writer) {
	t, o := rp.tally, rp.o
	fmt.Fprintln(w)
	title := "backup"
	if o.dryRun {
		title = "dry run"
	}
	if rp.interrupted {
		title += " (interrupted)"
	}
	fmt.Fprintf(w, "%s of %d hosts (%s) in %s: %.1f hosts/s\n", title, t.total, rp.inventory, t.elapsed.Round(time.Millisecond), rp.rate())
	changedWord, unchangedWord := "changed", "unchanged"
	if o.dryRun {
		changedWord, unchangedWord = "would change", "unchanged"
	}
	fmt.Fprintf(w, "  ok        %6d   %s %d, %s %d\n", t.ok, changedWord, t.changed, unchangedWord, t.ok-t.changed)
	if t.failed > 0 {
		fmt.Fprintf(w, "  failed    %6d   %s\n", t.failed, strings.Join(rp.classCounts(), ", "))
	} else {
		fmt.Fprintf(w, "  failed    %6d\n", 0)
	}
	if t.canceled > 0 {
		fmt.Fprintf(w, "  stopped   %6d   in flight when the run was interrupted\n", t.canceled)
	}
	fmt.Fprintf(w, "  not run   %6d\n", t.notRun)
	for _, b := range rp.breakers {
		fmt.Fprintf(w, "  breaker            %s\n", b)
	}
	fmt.Fprintf(w, "  stale     %6d   hosts without a good backup for %s (status in %s)\n", rp.stale, shortDur(o.stale), rp.statusPath)
	switch {
	case o.dryRun:
		fmt.Fprintf(w, "  commit             none (dry run: nothing written)\n")
	case rp.commitErr != nil:
		fmt.Fprintf(w, "  commit             FAILED: %v\n", oneLine(rp.commitErr))
	case rp.commit.Committed():
		msg, _, _ := strings.Cut(rp.commit.Message, "\n")
		fmt.Fprintf(w, "  commit             %s %q (%d files) in %s\n", shortHash(rp.commit.Hash), msg, rp.commit.Files, o.out)
	default:
		fmt.Fprintf(w, "  commit             no changes\n")
	}
	mem := "Go heap peak " + mib(rp.peakHeap)
	if rp.peakRSS > 0 {
		who := ""
		if o.simulated() {
			who = " (simulated fleet included)"
		}
		mem = "peak RSS " + mib(rp.peakRSS) + who + ", " + mem
	}
	if line := t.durationLine(); line != "" {
		fmt.Fprintf(w, "  per host           %s\n", line)
	}
	fmt.Fprintf(w, "  memory             %s\n", mem)
	if rp.cpu > 0 {
		fmt.Fprintf(w, "  cpu                %s (user+system, whole process)\n", rp.cpu.Round(10*time.Millisecond))
	}
	rp.delivery.writeText(w)

	rp.writeHosts(w, "failed hosts", t.failures)
	notRunTitle := "hosts not run"
	if t.canceled > 0 {
		notRunTitle = "hosts not run or stopped"
	}
	rp.writeHosts(w, notRunTitle, t.notRunHosts)
}

func (rp *report) writeHosts(w io.Writer, title string, list []failure) {
	if len(list) == 0 {
		return
	}
	slices.SortFunc(list, func(a, b failure) int { return cmp.Compare(a.idx, b.idx) })
	n := min(len(list), rp.o.showFail)
	if n < len(list) {
		fmt.Fprintf(w, "%s (first %d of %d; all in %s):\n", title, n, len(list), rp.statusPath)
	} else {
		fmt.Fprintf(w, "%s (%d):\n", title, len(list))
	}
	width := 0
	for _, f := range list[:n] {
		width = max(width, len(f.Host))
	}
	for _, f := range list[:n] {
		attempts := ""
		if f.Attempts > 1 {
			attempts = fmt.Sprintf(" (%d attempts)", f.Attempts)
		}
		fmt.Fprintf(w, "  %-*s  %-14s %s%s\n", width, f.Host, f.Class, f.Message, attempts)
	}
}

// jsonReport is the -json document.
type jsonReport struct {
	Inventory   string               `json:"inventory"`
	Out         string               `json:"out"`
	DryRun      bool                 `json:"dry_run"`
	Interrupted bool                 `json:"interrupted"`
	Summary     jsonSummary          `json:"summary"`
	Commit      *gitstore.CommitInfo `json:"commit"`
	CommitError string               `json:"commit_error,omitempty"`
	Failed      []failure            `json:"failed"`
	NotRun      []failure            `json:"not_run"`
	Results     []json.RawMessage    `json:"results"`
	Undelivered map[string][]string  `json:"alerts_undelivered,omitempty"` // by channel (alerting.go)
}

type jsonSummary struct {
	Hosts          int                 `json:"hosts"`
	OK             int                 `json:"ok"`
	Changed        int                 `json:"changed"`
	Unchanged      int                 `json:"unchanged"`
	Failed         int                 `json:"failed"`
	FailedByClass  map[tasks.Class]int `json:"failed_by_class"`
	Canceled       int                 `json:"canceled"`
	NotRun         int                 `json:"not_run"`
	Stale          int                 `json:"stale"`
	ElapsedSeconds float64             `json:"elapsed_seconds"`
	HostsPerSecond float64             `json:"hosts_per_second"`
	PeakRSSBytes   uint64              `json:"peak_rss_bytes"`
	PeakHeapBytes  uint64              `json:"peak_heap_bytes"`
	CPUSeconds     float64             `json:"cpu_seconds"`
	HostSeconds    *hostSeconds        `json:"host_seconds,omitempty"`
}

// hostSeconds are the distribution of the hosts' durations.
type hostSeconds struct {
	Median      float64 `json:"median"`
	P95         float64 `json:"p95"`
	Max         float64 `json:"max"`
	SlowestHost string  `json:"slowest_host"`
}

func (rp *report) writeJSON(w io.Writer) error {
	t := rp.tally
	slices.SortFunc(t.results, func(a, b indexedJSON) int { return cmp.Compare(a.idx, b.idx) })
	slices.SortFunc(t.failures, func(a, b failure) int { return cmp.Compare(a.idx, b.idx) })
	slices.SortFunc(t.notRunHosts, func(a, b failure) int { return cmp.Compare(a.idx, b.idx) })
	doc := jsonReport{
		Inventory: rp.inventory, Out: rp.o.out, DryRun: rp.o.dryRun, Interrupted: rp.interrupted,
		Summary: jsonSummary{
			Hosts: t.total, OK: t.ok, Changed: t.changed, Unchanged: t.ok - t.changed, Failed: t.failed,
			FailedByClass: t.byClass, Canceled: t.canceled, NotRun: t.notRun, Stale: rp.stale,
			ElapsedSeconds: t.elapsed.Seconds(), HostsPerSecond: rp.rate(),
			PeakRSSBytes: rp.peakRSS, PeakHeapBytes: rp.peakHeap, CPUSeconds: rp.cpu.Seconds(),
		},
		Failed:      append([]failure{}, t.failures...),
		NotRun:      append([]failure{}, t.notRunHosts...),
		Results:     make([]json.RawMessage, len(t.results)),
		Undelivered: rp.delivery.undeliveredJSON(),
	}
	for i, r := range t.results {
		doc.Results[i] = r.raw
	}
	if len(t.durations) > 0 {
		d := slices.Clone(t.durations)
		slices.Sort(d)
		doc.Summary.HostSeconds = &hostSeconds{Median: float64(d[(len(d)-1)/2]), P95: float64(d[int(0.95*float64(len(d)-1))]),
			Max: t.slowestD.Seconds(), SlowestHost: t.slowest}
	}
	if !rp.o.dryRun && rp.commitErr == nil {
		c := rp.commit
		doc.Commit = &c
	}
	if rp.commitErr != nil {
		doc.CommitError = rp.commitErr.Error()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func shortHash(h string) string {
	if len(h) > 10 {
		return h[:10]
	}
	return h
}

// shortDur prints 24h0m0s as 24h.
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
