package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gonorn/norn/hooks"
	"github.com/gonorn/norn/hooks/webhook"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

// verified reports whether a request carries a valid Standard Webhooks signature.
func verified(secret string, r *http.Request, body []byte) bool {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(r.Header.Get("webhook-signature")), []byte(want))
}

func Example() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // from webhook.NewSecret, shared with the receiver
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var e struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &e)
		fmt.Println(e.Type, "signed:", verified(secret, r, body), "host:", e.Data["host"], "failed:", e.Data["failed"])
	}))
	defer rcv.Close()

	hook, err := webhook.New(webhook.Config{URL: rcv.URL, Secret: secret, Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hook.Close(context.Background())

	r1 := &inventory.Host{Name: "r1"}
	inventory.New([]*inventory.Host{r1}, nil, nil)
	run := &hooks.Run{ID: "1", Task: "backup", Hosts: 2}
	ctx := context.Background()
	// The runner calls these; here they are called by hand.
	hook.TaskFailed(ctx, &hooks.Event{Run: run, Host: r1, Task: "backup", Time: time.Now(),
		Result: &tasks.Result{Status: tasks.StatusFailed, Err: errors.New("timed out")}})
	hook.RunEnd(ctx, &hooks.RunEvent{Run: run, Time: time.Now(), Summary: hooks.Summary{OK: 1, Failed: 1}})
	fmt.Printf("%+v\n", hook.Stats())
	// Output:
	// task.failed signed: true host: r1 failed: <nil>
	// run.completed signed: true host: <nil> failed: 1
	// {Queued:0 Sent:2 Dropped:0 Failed:0 Retries:0}
}

// A Slack incoming webhook gets one message per run: the counts and the failed hosts.
func Example_slack() {
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&msg)
		fmt.Println(msg.Text)
	}))
	defer slack.Close()

	hook, err := webhook.New(webhook.Config{URL: slack.URL + "/services/T000/B000/XXXX", Format: webhook.FormatSlack})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hook.Close(context.Background())
	run := &hooks.Run{ID: "2", Task: "backup", Hosts: 3}
	hook.RunEnd(context.Background(), &hooks.RunEvent{Run: run, Summary: hooks.Summary{OK: 3, Duration: 4 * time.Second}})
	// Output:
	// norn backup: all 3 hosts ok (3 ok, 0 failed, 0 not run, 0 changed in 4s)
}
