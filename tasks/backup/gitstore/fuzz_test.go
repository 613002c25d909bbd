package gitstore

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeStatus: any bytes in the status file give statuses or an error naming the file,
// never a panic; what decodes encodes and decodes again to the same statuses.
func FuzzDecodeStatus(f *testing.F) {
	f.Add([]byte(`{"version":1,"hosts":{"r1":{"host":"r1","last_success":"2024-11-21T09:00:00Z","sha":"ab","bytes":12,"lines":2,"last_duration_ns":1500000000}}}`))
	f.Add([]byte(`{"version":1,"hosts":{"r2":{"consecutive_failures":3,"failure_class":"timeout","failure_message":"host r2: timed out"}}}`))
	f.Add([]byte(`{"version":2,"hosts":{}}`))
	f.Add([]byte(`{"version":1,"hosts":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		sts, err := decodeStatus("status", b)
		if err != nil {
			return
		}
		hosts := map[string]HostStatus{}
		for _, st := range sts {
			hosts[st.Host] = st
		}
		again, err := json.Marshal(statusFile{Version: statusVersion, Hosts: hosts})
		if err != nil {
			t.Fatal(err)
		}
		sts2, err := decodeStatus("status", again)
		if err != nil || len(sts2) != len(sts) {
			t.Fatalf("re-decoding: %d statuses, %v (want %d)", len(sts2), err, len(sts))
		}
		for i := range sts {
			if !sts[i].LastSuccess.Equal(sts2[i].LastSuccess) || sts[i].Host != sts2[i].Host || sts[i].ConsecutiveFailures != sts2[i].ConsecutiveFailures {
				t.Fatalf("round trip: %+v != %+v", sts[i], sts2[i])
			}
		}
	})
}
