package netbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/sourcegraph/conc/pool"

	"github.com/gonorn/norn/internal/retry"
	"github.com/gonorn/norn/redact"
)

// Error is a failed NetBox request: the URL (which never holds the token), the HTTP status (0
// when NetBox did not answer), NetBox's message and the number of attempts made.
type Error struct {
	// URL is the request's URL.
	URL string
	// StatusCode is the HTTP status NetBox answered, 0 when there was no answer.
	StatusCode int
	// Message is what NetBox said: its "detail" or "error", its filter errors ("site: Select a
	// valid choice. ..."), the start of a body that is not JSON, or the network error.
	Message string
	// Attempts is the number of attempts made (1 plus the retries).
	Attempts int
	// Err is the underlying error (a network or decoding error), if any.
	Err error

	retryAfter time.Duration // a 429's Retry-After, capped at Config.MaxRetryWait
}

// Error returns "netbox: GET <url>: <status>: <message> (after N attempts)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("netbox: GET ")
	b.WriteString(e.URL)
	b.WriteString(": ")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "%d %s: ", e.StatusCode, http.StatusText(e.StatusCode))
	}
	b.WriteString(e.Message)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// RetryAfter returns the wait NetBox asked for with a 429's Retry-After header (capped at
// Config.MaxRetryWait), 0 otherwise. The client waits at least that long before retrying.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }

// client does NetBox's HTTP: auth, timeouts, retries, bounded concurrency and paging.
type client struct {
	cfg   Config
	base  *url.URL
	http  *http.Client
	token string // for this load only
	sem   chan struct{}
	log   *zerolog.Logger
}

func newTransport(cfg Config) (*http.Transport, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // opt-in, documented
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("netbox: %s: %w", cfg.name("CAFile"), err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("netbox: %s %s: no PEM certificate in it", cfg.name("CAFile"), cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	tr.MaxIdleConnsPerHost = max(cfg.Concurrency, 2)
	tr.ResponseHeaderTimeout = 0 // bounded by the per-attempt context instead
	return tr, nil
}

// endpoint returns the URL of an API path ("dcim/devices/") with a query.
func (c *client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + "/api/" + path
	u.RawQuery = q.Encode()
	return u.String() // the base URL holds no credentials (parseBase refuses them)
}

// redact removes the token, and anything shaped like a secret, from a text NetBox (or a
// proxy) sent back (package redact).
func (c *client) redact(s string) string {
	return redact.New(c.token).String(s)
}

// redirectError is a redirect the client refused to follow; field names the URL setting.
type redirectError struct{ to, field string }

func (e *redirectError) Error() string {
	return "redirected to " + e.to + " (not followed: check " + e.field + ")"
}

// get fetches u and hands the body to decode, retrying through internal/retry per the config
// (Retries, RetryWait doubling with ±20% jitter up to MaxRetryWait, a 429's Retry-After
// honoured up to MaxRetryWait). decode runs inside the attempt so that a truncated body is
// retried like a dropped connection. The *Error returned counts the attempts made.
func (c *client) get(ctx context.Context, u string, decode func([]byte) error) error {
	policy := retry.Policy{
		MaxAttempts:     c.cfg.Retries + 1,
		InitialInterval: c.cfg.RetryWait,
		MaxInterval:     c.cfg.MaxRetryWait,
		Multiplier:      2,
		Jitter:          0.2,
	}
	onRetry := func(attempt int, err error, wait time.Duration) {
		c.log.Warn().Str("url", u).Int("attempt", attempt).Dur("wait", wait).Str("error", err.Error()).Msg("netbox: retrying")
	}
	attempts, err := retry.Do(ctx, policy, retry.Options{OnRetry: onRetry}, func(ctx context.Context, _ int) error {
		return c.attempt(ctx, u, decode)
	})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return &Error{URL: u, Message: ctx.Err().Error(), Attempts: attempts, Err: ctx.Err()}
	}
	var nbErr *Error
	if errors.As(err, &nbErr) {
		nbErr.Attempts = attempts
		return nbErr // without retry's Permanent marker
	}
	return err
}

// attempt makes one request. Its error is an *Error, marked retry.Permanent when the answer will
// not change on retry; a 429's *Error carries NetBox's Retry-After (capped at MaxRetryWait).
func (c *client) attempt(ctx context.Context, u string, decode func([]byte) error) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return &Error{URL: u, Message: ctx.Err().Error(), Err: ctx.Err()}
	}
	defer func() { <-c.sem }()

	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
	if err != nil {
		return retry.Permanent(&Error{URL: u, Message: err.Error(), Err: err})
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "norn-netbox")
	if c.token != "" {
		req.Header.Set("Authorization", authorization(c.token))
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, actx, u, err)
	}
	body, err := readBody(resp)
	c.log.Debug().Str("url", u).Int("status", resp.StatusCode).Dur("took", time.Since(start)).Int("bytes", len(body)).Msg("netbox: GET")
	if err != nil {
		return c.transportError(ctx, actx, u, fmt.Errorf("reading the answer: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{URL: u, StatusCode: resp.StatusCode, Message: c.redact(message(resp, body))}
		if c.token != "" && strings.HasPrefix(c.token, v2Prefix) && resp.StatusCode == http.StatusForbidden &&
			e.Message == "Authentication credentials were not provided." {
			e.Message += " (v2 tokens, nbt_..., need NetBox 4.5 or later)"
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			e.retryAfter = min(retryAfter(resp.Header.Get("Retry-After")), c.cfg.MaxRetryWait)
			return e
		case resp.StatusCode >= 500:
			return e
		default:
			return retry.Permanent(e)
		}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return retry.Permanent(&Error{URL: u, StatusCode: resp.StatusCode,
			Message: c.redact("the answer is not NetBox API JSON (Content-Type " + resp.Header.Get("Content-Type") + "): " + snippet(body))})
	}
	if err := decode(body); err != nil {
		return &Error{URL: u, StatusCode: resp.StatusCode, Message: "malformed JSON: " + err.Error(), Err: err}
	}
	return nil
}

// readBody reads a whole answer, in one allocation when its length is announced.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	if n := resp.ContentLength; n > 0 && n < 1<<30 {
		buf := bytes.NewBuffer(make([]byte, 0, n+1))
		_, err := buf.ReadFrom(resp.Body)
		return buf.Bytes(), err
	}
	return io.ReadAll(resp.Body)
}

// transportError describes a request that got no (complete) answer.
func (c *client) transportError(ctx, actx context.Context, u string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats the URL
	}
	msg := err.Error()
	if ctx.Err() == nil && actx.Err() == context.DeadlineExceeded {
		msg = fmt.Sprintf("no answer within %v (%s)", c.cfg.Timeout, c.cfg.name("Timeout"))
	}
	var redirect *redirectError
	if errors.As(err, &redirect) {
		return retry.Permanent(&Error{URL: u, Message: c.redact(msg), Err: err})
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) {
		// Retrying does not fix a certificate.
		return retry.Permanent(&Error{URL: u, Message: "TLS: " + c.redact(msg) + " (set " + c.cfg.name("CAFile") + " to trust NetBox's CA)", Err: err})
	}
	return &Error{URL: u, Message: c.redact(msg), Err: err}
}

// message extracts NetBox's message from an error answer.
func message(resp *http.Response, body []byte) string {
	var generic map[string]any
	if json.Unmarshal(body, &generic) == nil && len(generic) > 0 {
		if d, ok := generic["detail"].(string); ok {
			return d
		}
		if e, ok := generic["error"].(string); ok {
			if x, ok := generic["exception"].(string); ok {
				return x + ": " + strings.TrimSpace(e)
			}
			return strings.TrimSpace(e)
		}
		// django-filter / serializer errors: {"field": ["message", ...], ...}
		keys := make([]string, 0, len(generic))
		for k := range generic {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			switch v := generic[k].(type) {
			case []any:
				var msgs []string
				for _, m := range v {
					msgs = append(msgs, fmt.Sprint(m))
				}
				parts = append(parts, k+": "+strings.Join(msgs, " "))
			default:
				parts = append(parts, k+": "+fmt.Sprint(v))
			}
		}
		return strings.Join(parts, "; ")
	}
	var list []any
	if json.Unmarshal(body, &list) == nil && len(list) > 0 {
		msgs := make([]string, 0, len(list))
		for _, m := range list {
			msgs = append(msgs, fmt.Sprint(m))
		}
		return strings.Join(msgs, "; ")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return http.StatusText(resp.StatusCode)
	}
	return snippet(body)
}

// snippet returns the start of a non-JSON body on one line: the HTML title if there is one.
func snippet(body []byte) string {
	s := string(body)
	if i := strings.Index(strings.ToLower(s), "<title>"); i >= 0 {
		rest := s[i+len("<title>"):]
		if j := strings.Index(strings.ToLower(rest), "</title>"); j >= 0 {
			return "HTML page " + strconv.Quote(strings.TrimSpace(rest[:j]))
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strconv.Quote(s)
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// ErrInconsistent is returned when NetBox's data changed while it was read page by page
// (objects added or deleted between pages) on every try.
var ErrInconsistent = errors.New("netbox: objects changed while the list was read")

type listPage[T any] struct {
	Count   int     `json:"count"`
	Next    *string `json:"next"`
	Results []T     `json:"results"`
}

// listAll reads every object of an API list: the first page, then the remaining pages
// concurrently by offset from count (never following the host in "next"). If the list changes
// between pages (count differs, or an id is seen twice) it is read again, up to three times.
// track (nil for none) counts the pages for Config.Progress.
func listAll[T any](ctx context.Context, c *client, path string, q url.Values, id func(*T) int, track *tracker) ([]T, error) {
	var last error
	for try := 0; try < 3; try++ {
		out, err := listOnce(ctx, c, path, q, id, track)
		if !errors.Is(err, ErrInconsistent) {
			return out, err
		}
		last = err
		c.log.Warn().Str("path", path).Err(err).Msg("netbox: list changed while read; reading it again")
	}
	return nil, last
}

func listOnce[T any](ctx context.Context, c *client, path string, q url.Values, id func(*T) int, track *tracker) ([]T, error) {
	query := cloneValues(q)
	query.Set("limit", strconv.Itoa(c.cfg.PageSize))
	query.Set("offset", "0")
	first := c.endpoint(path, query)
	var p0 listPage[T]
	if err := c.get(ctx, first, func(b []byte) error { return json.Unmarshal(b, &p0) }); err != nil {
		return nil, err
	}
	count := p0.Count
	track.first(path, len(p0.Results), count)
	if p0.Next == nil || count <= len(p0.Results) {
		return checkList(first, p0.Results, count, id)
	}
	limit := effectiveLimit(*p0.Next, len(p0.Results))
	if limit <= 0 {
		return nil, &Error{URL: first, StatusCode: http.StatusOK, Message: fmt.Sprintf("NetBox returned %d of %d objects and a next link without a usable limit", len(p0.Results), count)}
	}
	offsets := []int{}
	for off := limit; off < count; off += limit {
		offsets = append(offsets, off)
	}
	pages := make([][]T, len(offsets))
	p := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(c.cfg.Concurrency)
	for i, off := range offsets {
		p.Go(func(ctx context.Context) error {
			pq := cloneValues(query)
			pq.Set("limit", strconv.Itoa(limit))
			pq.Set("offset", strconv.Itoa(off))
			u := c.endpoint(path, pq)
			var pg listPage[T]
			if err := c.get(ctx, u, func(b []byte) error { return json.Unmarshal(b, &pg) }); err != nil {
				return err
			}
			if pg.Count != count {
				return fmt.Errorf("%w: %s reported %d objects, the first page %d", ErrInconsistent, u, pg.Count, count)
			}
			pages[i] = pg.Results
			track.page(path, len(pg.Results))
			return nil
		})
	}
	if err := p.Wait(); err != nil {
		return nil, err
	}
	all := make([]T, 0, count)
	all = append(all, p0.Results...)
	for _, pg := range pages {
		all = append(all, pg...)
	}
	return checkList(first, all, count, id)
}

// checkList verifies a complete read: as many objects as count, each id once.
func checkList[T any](u string, all []T, count int, id func(*T) int) ([]T, error) {
	if len(all) != count {
		return nil, fmt.Errorf("%w: %s: count %d, read %d", ErrInconsistent, u, count, len(all))
	}
	seen := make(map[int]struct{}, len(all))
	for i := range all {
		k := id(&all[i])
		if _, dup := seen[k]; dup {
			return nil, fmt.Errorf("%w: %s: id %d read twice", ErrInconsistent, u, k)
		}
		seen[k] = struct{}{}
	}
	return all, nil
}

// effectiveLimit reads the page size NetBox used from its next link's query (the host and
// path of the link are ignored); fallback is used when the link has none.
func effectiveLimit(next string, fallback int) int {
	u, err := url.Parse(next)
	if err != nil {
		return fallback
	}
	if v := u.Query().Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return fallback
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q)+2)
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
