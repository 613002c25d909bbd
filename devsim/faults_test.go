package devsim

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestFaultRejectAuth(t *testing.T) {
	d := startDevice(t, DeviceConfig{Faults: Faults{RejectAuth: true}})
	_, err := ssh.Dial("tcp", d.Addr(), clientConfig("admin", ssh.Password("admin")))
	if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("want an authentication failure, got %v", err)
	}
	d.SetFaults(Faults{})
	dial(t, d, "admin", "admin")
}

func TestFaultHangOnConnect(t *testing.T) {
	d := startDevice(t, DeviceConfig{Faults: Faults{HangOnConnect: true}})
	// ssh.Dial's timeout only covers TCP: a client needs a deadline for the handshake
	nc, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(300 * time.Millisecond))
	_, _, _, err = ssh.NewClientConn(nc, d.Addr(), clientConfig("admin", ssh.Password("admin")))
	nc.Close()
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("want a timeout, got %v", err)
	}
	// an open connection that never sees a banner ends when the device closes
	c, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the device said something: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	d.Close()
	if err := <-done; err != io.EOF {
		t.Fatalf("after Close: %v", err)
	}
	if d.Stats().Connections != 2 {
		t.Fatalf("stats: %+v", d.Stats())
	}
}

func TestFaultSilentShell(t *testing.T) {
	d := startDevice(t, DeviceConfig{Faults: Faults{SilentShell: true}})
	c := dial(t, d, "admin", "admin") // SSH and login work
	c.send("\n")
	time.Sleep(200 * time.Millisecond)
	c.mu.Lock()
	n := c.buf.Len()
	c.mu.Unlock()
	if n != 0 {
		t.Fatalf("a silent shell printed %d bytes", n)
	}
	if d.Stats().Sessions != 1 {
		t.Fatalf("stats: %+v", d.Stats())
	}
}

func TestFaultLatencyAndDelays(t *testing.T) {
	const lat = 150 * time.Millisecond
	d := startDevice(t, DeviceConfig{Name: "slow", Faults: Faults{ReadLatency: lat, BannerDelay: lat, PromptDelay: lat}})
	start := time.Now()
	client, err := ssh.Dial("tcp", d.Addr(), clientConfig("admin", ssh.Password("admin")))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < lat {
		t.Fatalf("the SSH banner came after %s, before the %s banner delay", took, lat)
	}
	c, err := shellOn(client)
	if err != nil {
		t.Fatal(err)
	}
	c.t = t
	defer c.close()
	start = time.Now()
	if _, err := c.readUntil("slow#"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < lat {
		t.Fatalf("the first prompt came after %s, before the %s prompt delay", took, lat)
	}
	start = time.Now()
	c.cmd("terminal length 0", "slow#")
	if took := time.Since(start); took < 2*lat {
		t.Fatalf("a command (two reads: the line, the return) took %s with %s read latency", took, lat)
	}
}

func TestFaultDropMidOutput(t *testing.T) {
	d := startDevice(t, DeviceConfig{Name: "drop", Seed: 4, ConfigSize: 20000, Faults: Faults{DropMidOutput: true}})
	c := dial(t, d, "admin", "admin")
	c.readUntil("drop#")
	c.cmd("terminal length 0", "drop#")
	out, err := c.cmdErr("show running-config", "drop#")
	if err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("want the connection dropped, got %v", err)
	}
	if !strings.Contains(out, "Current configuration") || strings.Contains(out, "\nend\n") || len(out) < 5000 {
		t.Fatalf("output before the drop: %d bytes: %q", len(out), tail(out, 100))
	}
}

func TestFaultTruncateConfig(t *testing.T) {
	for _, p := range Platforms() {
		d := startDevice(t, DeviceConfig{Platform: p, Seed: 4, ConfigSize: 20000, Faults: Faults{TruncateConfig: true}})
		cut := d.RunningConfig()
		d.SetFaults(Faults{})
		whole := d.RunningConfig()
		lines := strings.Split(strings.TrimRight(whole, "\n"), "\n")
		last := lines[len(lines)-1]
		if len(cut) > len(whole)*7/10 || len(cut) < len(whole)/3 || strings.Contains(cut, "\n"+last+"\n") && last != "}" {
			t.Errorf("%s: truncated to %d bytes of %d; the last line %q is there: %v", p, len(cut), len(whole), last, strings.Contains(cut, last))
		}
		if p == JuniperJunos && strings.Count(cut, "{") == strings.Count(cut, "}") {
			t.Errorf("junos: the truncated configuration's braces balance")
		}
	}
	// and over SSH the prompt still comes back
	d := startDevice(t, DeviceConfig{Name: "trunc", Seed: 4, ConfigSize: 20000, Faults: Faults{TruncateConfig: true}})
	c := dial(t, d, "admin", "admin")
	c.readUntil("trunc#")
	c.cmd("terminal length 0", "trunc#")
	out := c.cmd("show running-config", "trunc#")
	if strings.Contains(out, "\nend\n") {
		t.Fatal("truncated configuration has its end marker")
	}
}

func TestFaultsParse(t *testing.T) {
	f, err := ParseFaults("slow, truncate-config")
	if err != nil || f.ReadLatency == 0 || !f.TruncateConfig || f.RejectAuth {
		t.Fatalf("%+v %v", f, err)
	}
	if _, err := ParseFaults("slow,bogus"); err == nil {
		t.Fatal("unknown fault kind accepted")
	}
	for _, k := range FaultKinds() {
		f, err := k.Faults()
		if err != nil || !f.Any() || !strings.Contains(f.String(), string(k)) {
			t.Errorf("%s: %+v %v %q", k, f, err, f.String())
		}
	}
}
