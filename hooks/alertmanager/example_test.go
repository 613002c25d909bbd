package alertmanager_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/alertmanager"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func Example() {
	// A stand-in for Alertmanager that prints what it receives.
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var alerts []struct {
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
			EndsAt      string            `json:"endsAt"`
		}
		_ = json.NewDecoder(r.Body).Decode(&alerts)
		for _, a := range alerts {
			state := "firing"
			if a.EndsAt != "" {
				state = "resolved"
			}
			fmt.Println(r.URL.Path, state, a.Labels, a.Annotations["description"])
		}
	}))
	defer am.Close()

	hook, err := alertmanager.New(alertmanager.Config{
		URL:        am.URL,
		DataLabels: []string{"site"},
		Labels:     map[string]string{"team": "netops"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hook.Close(context.Background())

	r1 := &inventory.Host{Name: "r1", Attrs: inventory.Attrs{Platform: "cisco_iosxe", Password: "hunter2"},
		Data: map[string]any{"site": "ams1"}}
	inventory.New([]*inventory.Host{r1}, nil, nil)
	ctx := context.Background()

	// The runner calls these; here they are called by hand.
	hook.TaskFailed(ctx, &hooks.Event{Host: r1, Task: "backup", Time: time.Now(), Result: &tasks.Result{
		Status: tasks.StatusFailed, Attempts: 2, Err: errors.New("host r1 (10.0.0.1:22): login as admin/hunter2 refused"),
	}})
	_ = hook.Flush(ctx)
	hook.TaskOK(ctx, &hooks.Event{Host: r1, Task: "backup", Time: time.Now(), Result: &tasks.Result{Status: tasks.StatusOK}})
	_ = hook.Flush(ctx)
	fmt.Printf("%+v\n", hook.Stats())
	// Output:
	// /api/v2/alerts firing map[alertname:NornTaskFailed error_class:task host:r1 platform:cisco_iosxe severity:warning site:ams1 task:backup team:netops] login as admin/<redacted> refused
	// /api/v2/alerts resolved map[alertname:NornTaskFailed error_class:task host:r1 platform:cisco_iosxe severity:warning site:ams1 task:backup team:netops] login as admin/<redacted> refused
	// {Queued:0 Sent:2 Dropped:0 Failed:0 Retries:0 Firing:0}
}
