package netboxtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gonorn/norn/inventory_plugins/netbox/netboxtest"
)

// A fake NetBox answering like NetBox: paginated lists with next links, NetBox's 403 texts.
func ExampleNewServer() {
	srv := netboxtest.NewServer(netboxtest.Config{Version: "4.2.9", Tokens: []string{"0123456789abcdef0123456789abcdef01234567"}})
	defer srv.Close()
	srv.AddFleet(netboxtest.Generate(120, 0, 1))

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/dcim/devices/?site=ams1&limit=2", nil)
	req.Header.Set("Authorization", "Token 0123456789abcdef0123456789abcdef01234567")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var page struct {
		Count   int
		Next    string
		Results []struct{ Name string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&page)
	fmt.Println(page.Count, strings.TrimPrefix(page.Next, srv.URL), page.Results[0].Name)

	resp2, err := http.Get(srv.URL + "/api/dcim/devices/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp2.Body.Close()
	var denied struct{ Detail string }
	_ = json.NewDecoder(resp2.Body).Decode(&denied)
	fmt.Println(resp2.StatusCode, denied.Detail)
	http.DefaultClient.CloseIdleConnections()
	// Output:
	// 40 /api/dcim/devices/?limit=2&offset=2&site=ams1 ams1-access-003
	// 403 Authentication credentials were not provided.
}

// Injecting a failure: the page at offset 1000 of the device list answers 502 twice.
func ExampleServer_InjectFault() {
	srv := netboxtest.NewServer(netboxtest.Config{AllowAnonymous: true})
	defer srv.Close()
	srv.InjectFault(netboxtest.Fault{Match: netboxtest.MatchOffset("/api/dcim/devices/", 1000), Times: 2, Status: http.StatusBadGateway})
	for i := 0; i < 3; i++ {
		resp, err := http.Get(srv.URL + "/api/dcim/devices/?limit=1000&offset=1000")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	http.DefaultClient.CloseIdleConnections()
	// Output:
	// 502
	// 502
	// 200
}
