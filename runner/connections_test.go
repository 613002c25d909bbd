package runner

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/connection/conntest"
	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/tasks"
)

func iosInventory(n int, password string) *inventory.Inventory {
	hs := make([]*inventory.Host, n)
	for i := range hs {
		hs[i] = &inventory.Host{Name: fmt.Sprintf("r%d", i+1), Attrs: inventory.Attrs{Platform: "ios", Username: "admin", Password: password}}
	}
	return inventory.New(hs, nil, nil)
}

func showClock(ctx context.Context, t *tasks.Task) (tasks.Result, error) {
	p, err := t.Connection(ctx)
	if err != nil {
		return tasks.Result{}, err
	}
	cli, err := connection.Use[connection.CommandSender](p)
	if err != nil {
		return tasks.Result{}, err
	}
	r, err := cli.SendCommand(ctx, "show clock")
	return tasks.Result{Value: r.Output}, err
}

// Every host's sessions are closed when its task ends: normally, after a panic, and when the
// task is abandoned at its timeout.
func TestConnectionsClosedAfterEachHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := conntest.New().On("show clock", conntest.Reply{Output: "10:00"}).On("show tech", conntest.Reply{Delay: time.Hour})
		reg := connection.NewRegistry()
		reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "fake"}, fake.Opener())
		release := make(chan struct{})
		defer close(release)
		r := mustNew(t, Config{Inventory: iosInventory(3, "pw"), Connections: reg, Timeout: time.Minute})
		res, err := r.Run(context.Background(), "clock", func(ctx context.Context, tk *tasks.Task) (tasks.Result, error) {
			out, err := showClock(ctx, tk)
			switch tk.Host.Name {
			case "r2":
				panic("bug after opening")
			case "r3":
				<-release // ignores its context while holding the session
			}
			return out, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if x, _ := res.Get("r1"); !x.OK() || x.Value != "10:00" {
			t.Fatalf("r1 %+v", x)
		}
		if x, _ := res.Get("r2"); tasks.Classify(x.Err) != tasks.ClassPanic {
			t.Fatalf("r2 %+v", x)
		}
		if x, _ := res.Get("r3"); tasks.Classify(x.Err) != tasks.ClassTimeout {
			t.Fatalf("r3 %+v", x)
		}
		st := fake.Stats()
		if st.Opens != 3 || st.Closes != 3 || st.Open != 0 {
			t.Fatalf("sessions not all closed: %+v", st)
		}
	})
}

// Wrong credentials from a real plugin: never retried, and they trip the breaker.
func TestAuthenticationFailuresAreNotRetriedAndTripTheBreaker(t *testing.T) {
	fake := conntest.New().On("show clock", conntest.Reply{Output: "10:00"}).RequireCredentials("admin", "right")
	reg := connection.NewRegistry()
	reg.MustRegister(connection.Key{Platform: "cisco_iosxe", Type: "ssh", Library: "fake"}, fake.Opener())
	clock := newFakeClock()
	r := mustNew(t, Config{Inventory: iosInventory(10, "wrong"), Connections: reg, Workers: 1,
		Retry: &RetryConfig{Sleep: clock.Sleep, Now: clock.Now}, Breaker: &BreakerConfig{Key: ByRun(), Window: 3, MinLogins: 3, FailureRatio: 1, MaxHeld: -1}})
	res, _ := r.Run(context.Background(), "clock", showClock)
	st := fake.Stats()
	if st.FailedOpens != 3 || len(clock.Waits()) != 0 {
		t.Fatalf("opens %+v, retry waits %v: want 3 failed logins, no retry", st, clock.Waits())
	}
	x, _ := res.Get("r1")
	if !errors.Is(x.Err, connection.ErrAuthentication) || x.Attempts != 1 {
		t.Fatalf("r1 %+v", x)
	}
	if x, _ := res.Get("r4"); tasks.Classify(x.Err) != tasks.ClassBreakerOpen {
		t.Fatalf("r4 %v", x.Err)
	}
}
