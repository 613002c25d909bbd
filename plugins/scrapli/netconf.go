package scrapli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/response"

	"github.com/gonorn/norn/connection"
)

// NetconfSession is a NETCONF session to one device through scrapligo's netconf driver, on the
// "netconf" SSH subsystem. It implements connection.ConfigGetter (get-config, XML) and
// RawAccess.
type NetconfSession struct {
	base
	d        *netconf.Driver
	platform string
}

// Interface guards.
var (
	_ connection.Session      = (*NetconfSession)(nil)
	_ connection.ConfigGetter = (*NetconfSession)(nil)
	_ connection.RawAccess    = (*NetconfSession)(nil)
	_ connection.Liveness     = (*NetconfSession)(nil)
)

// Raw returns the scrapligo *netconf.Driver. Use it only while the task holds the connection,
// and not concurrently with the session's own methods.
func (s *NetconfSession) Raw() any { return s.d }

// Version returns the NETCONF base version in use, "1.0" or "1.1".
func (s *NetconfSession) Version() string { return s.d.SelectedVersion }

// Capabilities returns the capabilities the server announced in its hello.
func (s *NetconfSession) Capabilities() []string { return s.d.ServerCapabilities() }

// GetConfig runs get-config on the datastore source ("running", "startup" or "candidate") and
// returns the reply's XML (<rpc-reply>...</rpc-reply>). An <rpc-error> in the reply returns a
// *connection.CommandError carrying the error.
func (s *NetconfSession) GetConfig(ctx context.Context, source string) (string, error) {
	switch source {
	case "":
		source = "running"
	case "running", "startup", "candidate":
	default:
		return "", fmt.Errorf("scrapli: host %s (%s): unknown NETCONF datastore %q (want running, startup or candidate): %w",
			s.ep.host, s.ep.addr, source, errors.ErrUnsupported)
	}
	var r *response.NetconfResponse
	op := "netconf get-config " + source
	err := s.do(ctx, op, func() (err error) {
		defer func() {
			// scrapligo's base:1.1 chunk parser indexes past the end of malformed replies.
			if p := recover(); p != nil {
				err = fmt.Errorf("malformed NETCONF reply: %v", p)
			}
		}()
		r, err = s.d.GetConfig(source)
		return err
	})
	if err != nil {
		return "", err
	}
	if r.Failed != nil {
		msg := strings.Join(r.ErrorMessages, "\n")
		if msg == "" {
			msg = r.Failed.Error()
		}
		return r.Result, &connection.CommandError{Host: s.ep.host, Command: op, Output: msg}
	}
	return r.Result, nil
}

// Close ends the NETCONF session and always closes the SSH client. It is safe to call more
// than once.
func (s *NetconfSession) Close() error {
	if !s.mu.TryLock() {
		s.abort()
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.setClosed()
	err := s.closeDriver()
	s.abort()
	if s.sessionLog != nil {
		if lerr := s.sessionLog.Close(); lerr != nil {
			s.log.Warn().Err(lerr).Msg("scrapli: session log")
		}
	}
	if err != nil && classify(err) == classOther {
		return wrapErr(s.ep.host, s.ep.addr, "close", false, err)
	}
	return nil
}

// closeDriver ends the session politely (<close-session/>) and stops the driver, working
// around two faults of scrapligo's netconf driver:
//
//   - its RPC leaks a goroutine when the reader reports an error while the reply arrives (the
//     reply's poller is left sending on a channel no one reads). A server closes the connection
//     right after answering <close-session/>, so close-session is written here directly and
//     its reply (or the server's hang-up) awaited on the transport, not through RPC.
//   - its Close hands a value to the reader goroutine on an unbuffered channel, and that
//     goroutine is stuck handing a read error to RPCs once the connection is gone, so Close
//     would block forever. Here the transport is closed first, and while Close waits a bare
//     RPC (its write is discarded, see sshTransport.Write; no reply can come) takes the pending
//     error off the reader, which then sees Close's signal. With the system transport, whose
//     writes fail after close, the reader may stay stuck: Close then gives up (see
//     settings.closeWait) and reports it.
func (s *NetconfSession) closeDriver() error {
	if s.broken == nil {
		var before int64
		if s.tr != nil {
			before = s.tr.bytesRead()
		}
		err := s.d.Channel.WriteAndReturn(closeSessionRPC(s.d.SelectedVersion, s.d.ExcludeHeader), false)
		if err == nil && s.tr != nil {
			s.tr.waitRead(before, min(s.closeWait, 5*time.Second))
		}
	}
	s.abort()
	done := make(chan error, 1)
	go func() { done <- s.d.Close() }()
	wait := time.NewTimer(s.closeWait)
	defer wait.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			_, _ = s.d.RPC(opoptions.WithTimeoutOps(5 * time.Millisecond))
		case <-wait.C:
			return errors.New("scrapligo's netconf driver did not stop (its reader goroutine is left behind)")
		}
	}
}

// closeSessionMessageID is the message-id of the plugin's <close-session/> (scrapligo numbers
// its own RPCs from 101: no clash within a session).
const closeSessionMessageID = "2147483647"

// closeSessionRPC is a framed <close-session/> RPC for NETCONF base version (scrapligo's
// "1.0" or "1.1"), as scrapligo frames its own RPCs (WriteAndReturn adds the final newline).
func closeSessionRPC(version string, excludeHeader bool) []byte {
	msg := `<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="` + closeSessionMessageID + `"><close-session/></rpc>`
	if !excludeHeader {
		msg = `<?xml version="1.0" encoding="utf-8"?>` + msg
	}
	if version == netconf.V1Dot1 {
		return []byte(fmt.Sprintf("\n#%d\n%s\n##", len(msg), msg))
	}
	return []byte(msg + "]]>]]>")
}
