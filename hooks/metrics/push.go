package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"

	"github.com/gonorn/norn/hooks/internal/queue"
	"github.com/gonorn/norn/internal/retry"
	"github.com/gonorn/norn/redact"
)

// pusher pushes a registry to a Pushgateway through a one-worker delivery queue.
type pusher struct {
	p       *push.Pusher
	method  string
	shown   string
	q       *queue.Queue[string] // items: the method of each push (PUT or POST)
	waiting atomic.Bool          // a push with the configured method is queued and has not started
}

func newPusher(cfg Config, g prometheus.Gatherer) (*pusher, error) {
	u, ui, err := parsePushURL(cfg.PushURL)
	if err != nil {
		return nil, fmt.Errorf("metrics: Config.PushURL %s: %w", redact.URL(cfg.PushURL, true), err)
	}
	job := cfg.PushJob
	if job == "" {
		job = "norn"
	}
	client := cfg.PushClient
	if client == nil {
		client = &http.Client{}
	}
	base := strings.TrimSuffix(u.String(), "/")
	pp := push.New(base, job).Gatherer(g).Client(statusDoer{client}).Format(expfmt.NewFormat(expfmt.TypeTextPlain))
	for k, v := range cfg.PushGrouping {
		if !labelName.MatchString(k) || strings.HasPrefix(k, "__") {
			return nil, fmt.Errorf("metrics: Config.PushGrouping: %q is not a valid label name", k)
		}
		if slices.Contains(ownLabels, k) {
			return nil, fmt.Errorf("metrics: Config.PushGrouping: %q is a label of norn's metrics; the Pushgateway would refuse the push", k)
		}
		pp.Grouping(k, v)
	}
	if ui != nil {
		pw, _ := ui.Password()
		pp.BasicAuth(ui.Username(), pw)
	}
	if cfg.PushHeader != nil {
		pp.Header(cfg.PushHeader.Clone()) // the pusher sets Content-Type in it: our copy
	}
	if err := pp.Error(); err != nil {
		return nil, fmt.Errorf("metrics: Config.PushGrouping: %w", err)
	}
	p := &pusher{p: pp, method: http.MethodPut, shown: redact.URL(base+"/metrics/job/"+url.QueryEscape(job), true)}
	if cfg.PushAdd {
		p.method = http.MethodPost
	}
	retryFor := cfg.PushRetryFor
	if retryFor == 0 {
		retryFor = 30 * time.Second
	}
	p.q = queue.New(queue.Config{
		Name:     "pushgateway",
		Size:     2,
		Workers:  1,
		Timeout:  cfg.PushTimeout,
		RetryFor: retryFor,
		Logger:   cfg.Logger.With().Str("url", p.shown).Logger(),
		Sleep:    cfg.sleep,
		Now:      cfg.now,
	}, p.send, queue.Options[string]{})
	return p, nil
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ownLabels are the label names norn's metrics use, which a grouping key may not repeat.
var ownLabels = []string{"job", "task", "result", "error_class", "host", "breaker", "state", "hook", "le"}

type statusKey struct{}

// pushStatus carries what statusDoer saw of a push's answer back to send.
type pushStatus struct {
	called bool
	err    *queue.StatusError
}

// statusDoer records a push's non-2xx answer (status, Retry-After, body) for send to classify:
// push.Pusher reports it only as text.
type statusDoer struct{ c *http.Client }

func (d statusDoer) Do(req *http.Request) (*http.Response, error) {
	st, _ := req.Context().Value(statusKey{}).(*pushStatus)
	if st != nil {
		st.called = true
	}
	resp, err := d.c.Do(req)
	if err != nil || st == nil {
		return resp, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		st.err = queue.NewStatusError(req.Method, "", resp, time.Now())
		resp.Body.Close()
		resp.Body = io.NopCloser(strings.NewReader(st.err.Body))
	}
	return resp, nil
}

// send makes one push attempt; it gathers the registry afresh each time.
func (p *pusher) send(ctx context.Context, batch []string) error {
	method := batch[0]
	if method == p.method {
		p.waiting.Store(false)
	}
	st := &pushStatus{}
	ctx = context.WithValue(ctx, statusKey{}, st)
	var err error
	if method == http.MethodPost {
		err = p.p.AddContext(ctx)
	} else {
		err = p.p.PushContext(ctx)
	}
	switch {
	case err == nil:
		return nil
	case st.err != nil:
		st.err.URL = p.shown
		return st.err
	case st.called:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the full URL
		}
		return fmt.Errorf("%s %s: %w", method, p.shown, err)
	}
	// Gathering or encoding failed: retrying cannot help.
	return retry.Permanent(fmt.Errorf("pushing to %s: %w", p.shown, err))
}

// pushAndWait queues a push with method and waits for the queue to drain until ctx is done.
// Pushes with the configured method coalesce.
func (p *pusher) pushAndWait(ctx context.Context, method string) error {
	if method != p.method {
		p.q.Enqueue(method)
	} else if p.waiting.CompareAndSwap(false, true) && !p.q.Enqueue(method) {
		p.waiting.Store(false)
	}
	if err := p.q.Flush(ctx); err != nil {
		return fmt.Errorf("metrics: push to %s: %w", p.shown, err)
	}
	return nil
}

func (p *pusher) stats() HookStats {
	s := p.q.Stats()
	return HookStats{Queued: s.Queued, Sent: s.Sent, Dropped: s.Dropped, Failed: s.Failed}
}

func (p *pusher) close(ctx context.Context) error {
	err := p.q.Close(ctx)
	if err != nil && !errors.Is(err, queue.ErrClosed) {
		return fmt.Errorf("metrics: push to %s: %w", p.shown, err)
	}
	return nil
}
