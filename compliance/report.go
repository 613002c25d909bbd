package compliance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// HostError is a host whose configuration could not be checked.
type HostError struct {
	// Host is the host's name.
	Host string `json:"host"`
	// Err says why its configuration could not be read.
	Err string `json:"error"`
}

// Report holds the results of a rule set over hosts.
type Report struct {
	// Rules is the rule file.
	Rules string `json:"rules"`
	// Source says where the configurations came from (a repository and revision, or "live").
	Source string `json:"source"`
	// Results, by host then rule in the rule set's order.
	Results []Result `json:"results"`
	// Errors are the hosts that could not be checked.
	Errors []HostError `json:"errors,omitempty"`
	// Duration is how long the check took.
	Duration time.Duration `json:"duration_ns"`
}

// Summary counts a report's outcomes.
type Summary struct {
	// Hosts checked; Compliant have no failed rule; Errors could not be checked.
	Hosts, Compliant, NonCompliant, Errors int
	// Pass, Fail and Skip count host/rule results.
	Pass, Fail, Skip int
	// FailBySeverity counts failed host/rule results per severity.
	FailBySeverity map[Severity]int
}

// Sort orders the results by host, keeping each host's rules in rule-set order.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Results, func(a, b Result) int { return strings.Compare(a.Host, b.Host) })
	slices.SortFunc(r.Errors, func(a, b HostError) int { return strings.Compare(a.Host, b.Host) })
}

// Summary counts the report's outcomes.
func (r *Report) Summary() Summary {
	s := Summary{FailBySeverity: map[Severity]int{}, Errors: len(r.Errors)}
	failed := map[string]bool{}
	hosts := map[string]bool{}
	for _, res := range r.Results {
		hosts[res.Host] = true
		switch res.Status {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
			s.FailBySeverity[res.Severity]++
			failed[res.Host] = true
		case Skip:
			s.Skip++
		}
	}
	s.Hosts = len(hosts)
	s.NonCompliant = len(failed)
	s.Compliant = s.Hosts - s.NonCompliant
	return s
}

// Failed reports whether some rule failed or some host could not be checked, at or above
// severity min.
func (r *Report) Failed(min Severity) bool {
	if len(r.Errors) > 0 {
		return true
	}
	for _, res := range r.Results {
		if res.Status == Fail && res.Severity >= min {
			return true
		}
	}
	return false
}

// WriteText writes the failures (and with all, every result), then a summary.
func (r *Report) WriteText(w io.Writer, all bool) error {
	var b strings.Builder
	for _, res := range r.Results {
		switch {
		case res.Status == Fail:
			fmt.Fprintf(&b, "FAIL  %-8s %s  %s", res.Severity, res.Host, res.Rule)
			if res.Description != "" {
				fmt.Fprintf(&b, " (%s)", res.Description)
			}
			b.WriteByte('\n')
			for _, f := range res.Findings {
				fmt.Fprintf(&b, "        %s\n", f)
			}
		case all && res.Status == Pass:
			fmt.Fprintf(&b, "pass  %-8s %s  %s\n", res.Severity, res.Host, res.Rule)
		case all && res.Status == Skip:
			fmt.Fprintf(&b, "skip  %-8s %s  %s: %s\n", res.Severity, res.Host, res.Rule, res.Reason)
		}
		if b.Len() > 32<<10 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "ERROR %s: %s\n", e.Host, e.Err)
	}
	s := r.Summary()
	fmt.Fprintf(&b, "\ncompliance of %d hosts against %s (%s) in %s\n", s.Hosts+s.Errors, r.Rules, r.Source, r.Duration.Round(time.Millisecond))
	fmt.Fprintf(&b, "  compliant      %d\n  non-compliant  %d\n", s.Compliant, s.NonCompliant)
	if s.Errors > 0 {
		fmt.Fprintf(&b, "  not checked    %d\n", s.Errors)
	}
	fmt.Fprintf(&b, "  rule results   %d pass, %d fail, %d skipped (not applicable)\n", s.Pass, s.Fail, s.Skip)
	if s.Fail > 0 {
		var parts []string
		for sev := Critical; sev >= Info; sev-- {
			if n := s.FailBySeverity[sev]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", sev, n))
			}
		}
		fmt.Fprintf(&b, "  failures       %s\n", strings.Join(parts, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one test suite per host, one test case per rule
// that applies to it (failures typed by severity; a rule whose optional section is absent as
// skipped; rules for other platforms or groups are left out), and a host that could not be
// checked as an error.
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: "compliance " + r.Rules, Time: fmt.Sprintf("%.3f", r.Duration.Seconds())}
	idx := map[string]int{}
	suite := func(host string) *junitSuite {
		i, ok := idx[host]
		if !ok {
			i = len(out.Suites)
			idx[host] = i
			out.Suites = append(out.Suites, junitSuite{Name: host})
		}
		return &out.Suites[i]
	}
	for _, res := range r.Results {
		s := suite(res.Host)
		if res.NotApplicable {
			continue
		}
		c := junitCase{Name: res.Rule, Classname: "compliance." + res.Host}
		switch res.Status {
		case Fail:
			msg := res.Rule + " failed"
			if res.Description != "" {
				msg = res.Description
			}
			c.Failure = &junitMessage{Message: msg, Type: res.Severity.String(), Text: strings.Join(res.Findings, "\n")}
			s.Failures++
		case Skip:
			c.Skipped = &junitMessage{Message: res.Reason}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for _, e := range r.Errors {
		s := suite(e.Host)
		s.Cases = append(s.Cases, junitCase{Name: "configuration", Classname: "compliance." + e.Host,
			Error: &junitMessage{Message: e.Err}})
		s.Tests++
		s.Errors++
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
