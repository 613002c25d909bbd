package devsim

import (
	"fmt"
	"strings"
)

// RunningConfig returns the running configuration as the device's CLI prints it with paging
// off ("show running-config" on the Cisco platforms and EOS, "show configuration" on Junos),
// with "\n" line ends and without the prompt. It includes the volatile lines (timestamps,
// "Current configuration : N bytes", ...) and applies the TruncateConfig fault.
func (d *Device) RunningConfig() string {
	s := d.headless(d.cfg.Username)
	s.dl.start(s)
	s.out = s.out[:0]
	s.mode = modePriv
	_, _, show := s.dl.scripts()
	s.dl.exec(s, show)
	return strings.ReplaceAll(string(s.out), "\r\n", "\n")
}

// Configure applies configuration lines as if typed in configuration mode by the device's user:
// lines that open a sub-mode ("interface GigabitEthernet2") apply to the lines after them until
// "exit" or a global command, as in the CLI. Changes take effect when Configure returns (on
// IOS-XR and Junos, Configure commits). The first line the device rejects stops Configure with
// an error quoting the device's message; the lines before it stay applied (and committed).
//
//	dev.Configure("hostname core1", "interface GigabitEthernet2", " description uplink")
//	dev.Configure("set system host-name core1")   // Junos
func (d *Device) Configure(lines ...string) error {
	s := d.headless(d.cfg.Username)
	s.dl.start(s)
	s.out = s.out[:0]
	s.mode = modePriv
	enter, finish, _ := s.dl.scripts()
	run := func(line string) error {
		s.failed = false
		s.out = s.out[:0]
		s.dl.exec(s, line)
		if s.pending != nil { // a question (IOS-XR "commit them before exiting?"): answer yes
			p := s.pending
			s.pending, s.hidden = nil, false
			p("yes")
		}
		if s.failed {
			msg := strings.ReplaceAll(s.lastErr, "\r", "")
			return fmt.Errorf("devsim: %s: configure %q: device says: %s", d.cfg.Name, line, strings.TrimSpace(msg))
		}
		return nil
	}
	if err := run(enter); err != nil {
		return err
	}
	var first error
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if err := run(l); err != nil {
			first = err
			break
		}
	}
	for _, l := range finish {
		if err := run(l); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// SetConfigLine sets one global configuration line, replacing the line that sets the same
// thing ("hostname X" replaces the hostname, "snmp-server location X" the location) or adding
// it. It is Configure with one line.
func (d *Device) SetConfigLine(line string) error { return d.Configure(line) }
