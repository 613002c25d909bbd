package webhook

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gonorn/norn/hooks"
)

// envelope is the Standard Webhooks payload shape.
type envelope struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
}

// failedEvent is the data of a "task.failed" event.
type failedEvent struct {
	RunID      string            `json:"run_id,omitempty"`
	Task       string            `json:"task"`
	Host       string            `json:"host"`
	Platform   string            `json:"platform,omitempty"`
	ErrorClass string            `json:"error_class"`
	Error      string            `json:"error"`
	Attempts   int               `json:"attempts"`
	DurationMS float64           `json:"duration_ms"`
	Data       map[string]string `json:"data,omitempty"`
}

// runFailed is the data of a "run.failed" event: a run that could not start.
type runFailed struct {
	Task  string `json:"task"`
	Stage string `json:"stage,omitempty"`
	Error string `json:"error"`
}

// runSummary is the data of a "run.completed" event.
type runSummary struct {
	RunID         string         `json:"run_id,omitempty"`
	Task          string         `json:"task"`
	DryRun        bool           `json:"dry_run"`
	Started       string         `json:"started,omitempty"`
	Hosts         int            `json:"hosts"`
	OK            int            `json:"ok"`
	Failed        int            `json:"failed"`
	NotRun        int            `json:"not_run"`
	Changed       int            `json:"changed"`
	DurationMS    float64        `json:"duration_ms"`
	ErrorClasses  map[string]int `json:"error_classes"`
	FailedHosts   []failedHost   `json:"failed_hosts"`
	OmittedFailed int            `json:"failed_hosts_omitted"`
}

func encodeEvent(typ string, at time.Time, data any) ([]byte, error) {
	return json.Marshal(envelope{Type: typ, Timestamp: at.UTC().Format(time.RFC3339Nano), Data: data})
}

func summaryData(e *hooks.RunEvent, rf *runFailures) runSummary {
	s := runSummary{
		OK: e.Summary.OK, Failed: e.Summary.Failed, NotRun: e.Summary.NotRun, Changed: e.Summary.Changed,
		DurationMS:   float64(e.Summary.Duration) / float64(time.Millisecond),
		ErrorClasses: rf.classes,
		FailedHosts:  rf.hosts,
	}
	if s.FailedHosts == nil {
		s.FailedHosts = []failedHost{}
	}
	if r := e.Run; r != nil {
		s.RunID, s.Task, s.DryRun, s.Hosts = r.ID, r.Task, r.DryRun, r.Hosts
		if !r.Started.IsZero() {
			s.Started = r.Started.UTC().Format(time.RFC3339Nano)
		}
	}
	s.OmittedFailed = max(rf.total-len(rf.hosts), 0)
	return s
}

// Slack's limits: a section's text holds at most 3000 characters.
const slackSectionLimit = 3000

// slackEscape escapes the three characters Slack's mrkdwn treats as control characters.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackMessage renders a run summary as a Slack incoming-webhook message.
func slackMessage(e *hooks.RunEvent, rf *runFailures) ([]byte, error) {
	task, id, dry := "", "", ""
	hosts := e.Summary.OK + e.Summary.Failed + e.Summary.NotRun
	if r := e.Run; r != nil {
		task, id = r.Task, r.ID
		if r.Hosts > 0 {
			hosts = r.Hosts
		}
		if r.DryRun {
			dry = " (dry run)"
		}
	}
	sm := e.Summary
	failed := max(sm.Failed, rf.total)
	icon := ":white_check_mark:"
	headline := fmt.Sprintf("norn %s%s: all %d hosts ok", task, dry, hosts)
	if failed > 0 {
		icon = ":x:"
		headline = fmt.Sprintf("norn %s%s: %d of %d hosts failed", task, dry, failed, hosts)
	} else if sm.NotRun > 0 {
		icon = ":warning:"
		headline = fmt.Sprintf("norn %s%s: %d of %d hosts not run", task, dry, sm.NotRun, hosts)
	}
	counts := fmt.Sprintf("%d ok, %d failed, %d not run, %d changed in %s",
		sm.OK, failed, sm.NotRun, sm.Changed, sm.Duration.Round(time.Millisecond))
	p := slackPayload{Text: headline + " (" + counts + ")"}
	p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn",
		Text: fmt.Sprintf("%s *%s*\n%s", icon, slackEscape(headline), slackEscape(counts))}})
	if len(rf.hosts) > 0 {
		var b strings.Builder
		b.WriteString("*Failed hosts*")
		listed := 0
		for _, fh := range rf.hosts {
			line := fmt.Sprintf("\n• `%s` %s: %s", slackEscape(fh.Host), slackEscape(fh.ErrorClass),
				slackEscape(strings.ReplaceAll(fh.Error, "`", "'")))
			if b.Len()+len(line) > slackSectionLimit-100 {
				break
			}
			b.WriteString(line)
			listed++
		}
		if more := rf.total - listed; more > 0 {
			fmt.Fprintf(&b, "\n…and %d more", more)
		}
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: b.String()}})
	}
	var ctx []string
	if len(rf.classes) > 0 {
		var parts []string
		for _, c := range slices.Sorted(maps.Keys(rf.classes)) {
			parts = append(parts, fmt.Sprintf("%s %d", c, rf.classes[c]))
		}
		ctx = append(ctx, "errors: "+slackEscape(strings.Join(parts, ", ")))
	}
	if id != "" {
		ctx = append(ctx, "run "+slackEscape(id))
	}
	if len(ctx) > 0 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: strings.Join(ctx, " · ")}}})
	}
	return json.Marshal(p)
}
