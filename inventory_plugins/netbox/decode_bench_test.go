package netbox

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

func BenchmarkDecodePage(b *testing.B) {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true})
	defer srv.Close()
	srv.AddFleet(netboxtest.Generate(1000, 0, 1))
	resp, err := http.Get(srv.URL + "/api/dcim/devices/?limit=1000&exclude=config_context")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var p listPage[object]
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
	}
}
