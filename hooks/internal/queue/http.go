package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gonorn/norn/internal/retry"
)

// StatusError is a receiver's non-2xx answer.
type StatusError struct {
	// Method and URL are the request's; URL is the redacted form fit for logs.
	Method, URL string
	// Code is the HTTP status code.
	Code int
	// Body is the start of the answer's body (at most 512 bytes, valid UTF-8).
	Body string
	// RetryAfter is the answer's Retry-After, when it had a valid one.
	RetryAfter time.Duration
	// HasRetryAfter reports whether RetryAfter was set.
	HasRetryAfter bool
}

// Error returns the error message.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether the status is worth retrying: 429 and every 5xx.
func (e *StatusError) Retryable() bool {
	return e.Code == http.StatusTooManyRequests || e.Code >= 500
}

// Retryable reports whether a delivery that failed with err may succeed if tried again:
// network errors and timeouts, 429 and 5xx answers; not errors marked retry.Permanent (a
// payload that cannot be encoded, a bad URL), nor 4xx answers other than 429.
func Retryable(err error) bool {
	if err == nil || retry.IsPermanent(err) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Retryable()
	}
	return true
}

// RetryAfter returns the wait a 429 or 503 answer asked for with Retry-After.
func RetryAfter(err error) (time.Duration, bool) {
	var se *StatusError
	if !errors.As(err, &se) || !se.HasRetryAfter {
		return 0, false
	}
	if se.Code != http.StatusTooManyRequests && se.Code != http.StatusServiceUnavailable {
		return 0, false
	}
	return se.RetryAfter, true
}

// ParseRetryAfter parses a Retry-After header value: delay-seconds or an HTTP-date (RFC 9110
// section 10.2.3), relative to now. A date in the past gives 0. It reports false for anything
// else, including negative or absurd (over a day) delays.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	const limit = 24 * time.Hour
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || time.Duration(n)*time.Second > limit {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		return 0, true
	}
	if d > limit {
		return 0, false
	}
	return d.Round(time.Second), true
}

// Do sends req with client and turns the outcome into nil (2xx) or an error naming shownURL
// (the redacted URL, never req.URL, which may hold a token): a *StatusError for other answers,
// the transport error otherwise. The answer's body is read (up to 64 KiB) and closed.
func Do(client *http.Client, req *http.Request, shownURL string) error {
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the full URL
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s %s: no answer in time: %w", req.Method, shownURL, err)
		}
		return fmt.Errorf("%s %s: %w", req.Method, shownURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	return NewStatusError(req.Method, shownURL, resp, time.Now())
}

// NewStatusError builds the error of a non-2xx answer, reading the start of its body.
func NewStatusError(method, shownURL string, resp *http.Response, now time.Time) *StatusError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	se := &StatusError{
		Method: method, URL: shownURL, Code: resp.StatusCode,
		Body: strings.TrimSpace(strings.ToValidUTF8(string(body), string(utf8.RuneError))),
	}
	se.RetryAfter, se.HasRetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	return se
}
