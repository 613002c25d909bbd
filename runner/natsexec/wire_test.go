package natsexec

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gonorn/norn/tasks"
)

func TestResultRoundTrip(t *testing.T) {
	w := workMsg{Run: "r-0", Task: "t", Batch: 0, Index: 3, Host: "h3", Queue: "emea"}
	in := tasks.Result{Host: "h3", Task: "t", Status: tasks.StatusFailed, Value: map[string]int{"a": 1}, Changed: true,
		Diff: "+x", Err: tasks.WithClass(tasks.ClassTimeout, errors.New("host h3: slow")), Attempts: 2,
		Started: time.Unix(100, 0).UTC(), Duration: time.Second,
		Sub: []tasks.Result{{Host: "h3", Task: "sub", Status: tasks.StatusOK}}}
	b, err := json.Marshal(encodeResult(w, "w1", in))
	if err != nil {
		t.Fatal(err)
	}
	var m resultMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := decodeResult(m, "t", nil)
	if out.Status != tasks.StatusFailed || tasks.Classify(out.Err) != tasks.ClassTimeout || out.Err.Error() != "host h3: slow (on worker w1)" ||
		!out.Changed || out.Diff != "+x" || out.Attempts != 2 || !out.Started.Equal(in.Started) || out.Duration != time.Second ||
		len(out.Sub) != 1 || out.Sub[0].Status != tasks.StatusOK || string(out.Value.(json.RawMessage)) != `{"a":1}` {
		t.Fatalf("round trip: %+v", out)
	}
	notRun := decodeResult(resultMsg{Host: "h", Status: "not_run", Error: "x", ErrorClass: tasks.ClassNotRun}, "t", nil)
	if !errors.Is(notRun.Err, tasks.ErrNotRun) || notRun.Status != tasks.StatusNotRun {
		t.Fatalf("not run: %+v", notRun)
	}
}

// FuzzDecodeResult: whatever arrives on a result subject, decoding never panics and yields a
// result with a known status, failed whenever it carries an error.
func FuzzDecodeResult(f *testing.F) {
	f.Add([]byte(`{"run":"r-0","index":1,"host":"h1","status":"ok","value":{"a":1}}`))
	f.Add([]byte(`{"run":"r-0","index":2,"host":"h2","status":"failed","error":"boom","error_class":"timeout","sub":[{"status":"ok"}]}`))
	f.Add([]byte(`{"status":"weird","error":"x"}`))
	f.Add([]byte(`{"object":"r-0.0.1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m resultMsg
		if json.Unmarshal(b, &m) != nil {
			return
		}
		r := decodeResult(m, "t", func(string, json.RawMessage) (any, error) { return nil, errors.New("no") })
		switch r.Status {
		case tasks.StatusOK, tasks.StatusFailed, tasks.StatusNotRun:
		default:
			t.Fatalf("status %v from %s", r.Status, b)
		}
		if r.Err != nil && r.Status == tasks.StatusOK {
			t.Fatalf("ok with an error from %s", b)
		}
	})
}
