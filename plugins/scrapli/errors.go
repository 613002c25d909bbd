package scrapli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/scrapli/scrapligo/util"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/gonorn/norn/connection"
)

// ErrHostKey is wrapped (with connection.ErrOpen) when the device's host key is not the one in
// the known_hosts file, or the host is not in it while auth_strict_key is on.
var ErrHostKey = errors.New("scrapli: host key verification failed")

// ErrEnableSecret is wrapped (with connection.ErrAuthentication) when the platform needs
// "enable" to reach its default privilege level and no auth_secondary is set, or the device
// rejected it.
var ErrEnableSecret = errors.New("scrapli: enable secret missing or rejected")

// errClass is how a failure is reported.
type errClass int

const (
	classOther errClass = iota
	classAuth
	classHostKey
	classTimeout
	classLost
	classCanceled
)

// classify puts err (from scrapligo, crypto/ssh or the network) in a class.
func classify(err error) errClass {
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return classOther
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return classCanceled
	case errors.Is(err, ErrHostKey), errors.As(err, &ke):
		return classHostKey
	case errors.Is(err, util.ErrAuthError), errors.Is(err, ErrEnableSecret),
		strings.Contains(err.Error(), "unable to authenticate"),
		strings.Contains(err.Error(), "permission denied"),
		strings.Contains(err.Error(), "Permission denied"):
		return classAuth
	case errors.Is(err, util.ErrTimeoutError), errors.Is(err, os.ErrDeadlineExceeded), isNetTimeout(err):
		return classTimeout
	case errors.Is(err, util.ErrConnectionError), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return classLost
	}
	return classOther
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// describe turns scrapligo's terse sentinels into a readable cause.
func describe(err error) string {
	switch {
	case errors.Is(err, util.ErrConnectionError) && err.Error() == util.ErrConnectionError.Error():
		return "the device closed the connection"
	case errors.Is(err, util.ErrTimeoutError):
		return strings.Replace(err.Error(), util.ErrTimeoutError.Error()+": ", "", 1)
	}
	return err.Error()
}

// classified is an error with a message naming the host and address, unwrapping to its classes
// (connection.ErrOpen, connection.ErrAuthentication, ...) and its cause.
type classified struct {
	msg     string
	classes []error
	cause   error
}

func (e *classified) Error() string { return e.msg }

func (e *classified) Unwrap() []error {
	out := append([]error(nil), e.classes...)
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

// wrapErr builds the error of an operation op on host (addr) that failed with cause; opening
// tells whether the session was being opened (then connection.ErrOpen is always wrapped).
func wrapErr(host, addr, op string, opening bool, cause error) error {
	var classes []error
	if opening {
		classes = append(classes, connection.ErrOpen)
	}
	what := describe(cause)
	switch classify(cause) {
	case classAuth:
		classes = append(classes, connection.ErrAuthentication)
	case classHostKey:
		if !errors.Is(cause, ErrHostKey) {
			classes = append(classes, ErrHostKey)
		}
	case classTimeout:
		if !errors.Is(cause, os.ErrDeadlineExceeded) {
			classes = append(classes, os.ErrDeadlineExceeded)
		}
		what = "timed out: " + what
	case classLost:
		classes = append(classes, connection.ErrConnectionLost)
		if !opening {
			what = "connection lost: " + what
		}
	}
	return &classified{
		msg:     fmt.Sprintf("scrapli: host %s (%s): %s: %s", host, addr, op, what),
		classes: classes,
		cause:   cause,
	}
}

// validationErr is a bad connection option: never retried.
func validationErr(host, addr string, cause error) error {
	return &classified{
		msg:     fmt.Sprintf("scrapli: host %s (%s): %v", host, addr, cause),
		classes: []error{connection.ErrOpen, connection.ErrValidation},
		cause:   cause,
	}
}
