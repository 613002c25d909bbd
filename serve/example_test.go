package serve_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/gonorn/norn/serve"
	"github.com/gonorn/norn/tasks/backup/gitstore"
)

// A Server over a status source and a backup repository. Serve(ctx, listener) would also run
// the backup every Config.Every; here the handler answers one request.
func Example() {
	srv, err := serve.New(serve.Config{
		Run: func(ctx context.Context, req serve.RunRequest) (serve.RunSummary, error) {
			return serve.RunSummary{Hosts: 1, OK: 1}, nil // the backup job
		},
		Status: func(context.Context) ([]gitstore.HostStatus, error) {
			return []gitstore.HostStatus{{Host: "core-1", Platform: "cisco_iosxe", ConsecutiveFailures: 2,
				FailureClass: "authentication", FailureMessage: "authentication failed"}}, nil
		},
		History: &serve.GitHistory{Dir: "testdata/no-backup-yet"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, path := range []string{"/api/v1/hosts/core-1", "/api/v1/hosts/core-1/config", "/api/v1/hosts/core-9"} {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// 200 {
	//   "host": "core-1",
	//   "platform": "cisco_iosxe",
	//   "failure_class": "authentication",
	//   "failure_message": "authentication failed",
	//   "consecutive_failures": 2,
	//   "state": "never"
	// }
	// 404 {
	//   "error": "not found: no backup repository in testdata/no-backup-yet yet"
	// }
	// 404 {
	//   "error": "unknown host \"core-9\""
	// }
}
