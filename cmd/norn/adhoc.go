package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gonorn/norn/connection"
	"github.com/gonorn/norn/tasks"
	"github.com/gonorn/norn/textfsm"
)

const runAbout = `Sends commands to the selected hosts, like an Ansible ad-hoc command or nornir_netmiko's
send_command, and prints each host's output as it finishes (or JSON with -json). Each argument is
one command, sent in order; a host stops at its first failing command. Workers, timeout, retries,
breaker and alerting work as for 'norn backup'.`

const runExamples = `
norn run -inventory ./inv -filter 'platform=cisco_iosxe' 'show version'
norn run -inventory ./inv -filter 'site=ams1' 'show clock' 'show ip interface brief'
norn run -netbox-url https://netbox.example.com -filter 'role=core' -json 'show version' > out.json`

// runCmd is 'norn run [flags] COMMAND...'.
func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	c := newCommand("run", "[flags] COMMAND...", runAbout, runExamples, stderr)
	c.configFlags()
	c.inventoryFlags()
	asJSON := c.fs.Bool("json", false, "print the results as JSON on stdout")
	parse := addParseFlags(c.fs)
	c.runnerFlags()
	c.alertFlags()
	if err := c.parse(args); err != nil {
		return exitCode(err)
	}
	var commands []string
	for _, a := range c.fs.Args() {
		if strings.TrimSpace(a) != "" {
			commands = append(commands, a)
		}
	}
	if len(commands) == 0 {
		c.bad("no COMMAND to send")
		return exitUsage
	}
	cfg, err := c.load()
	if err != nil {
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "norn run: "+format+"\n", a...)
		return exitUsage
	}
	filter, err := parseFilter(c.filter)
	if err != nil {
		return fail("%v", err)
	}
	ix, err := parse.index()
	if err != nil {
		return fail("%v", err)
	}
	hr, err := setupHostRun(ctx, "run", cfg, stdout, stderr, !*asJSON, nil)
	if err != nil {
		return fail("%v", err)
	}
	defer hr.close(ctx, "run", stderr)
	inv, label := hr.inv, hr.label
	sel := hr.runner.Filter(filter)
	hosts := sel.Hosts()
	if len(hosts) == 0 {
		return fail("-filter %q selects none of the %d hosts of %s", c.filter, inv.Len(), label)
	}
	what := fmt.Sprintf("%d commands", len(commands))
	if len(commands) == 1 {
		what = strconv.Quote(commands[0])
	}
	fmt.Fprintf(stderr, "running %s on %s of %s: %s\n", what, hostCount(len(hosts)), label, cfg.Runner.Describe())

	order := make(map[string]int, len(hosts))
	for i, h := range hosts {
		order[h.Name] = i
	}
	results := make([]hostResult, len(hosts))
	var ok, failed, notRun int
	for res := range sel.Stream(ctx, "run", tasks.SendCommands(commands...)) {
		hr := newHostResult(res)
		parseOutputs(ix, hosts[order[res.Host]].Platform(), &hr)
		switch res.Status {
		case tasks.StatusOK:
			ok++
		case tasks.StatusNotRun:
			notRun++
		default:
			failed++
		}
		if *asJSON {
			results[order[res.Host]] = hr
			continue
		}
		hr.writeText(stdout)
	}
	if *asJSON {
		if code := writeJSON(stdout, stderr, runReport{Commands: commands, Hosts: len(hosts), OK: ok, Failed: failed, NotRun: notRun, Results: results}); code != exitOK {
			return code
		}
	}
	fmt.Fprintf(stderr, "%s: %d ok, %d failed, %d not run\n", hostCount(len(hosts)), ok, failed, notRun)
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "norn run: interrupted\n")
	}
	if failed > 0 || notRun > 0 || ctx.Err() != nil {
		return exitFailed
	}
	return exitOK
}

// runReport is 'norn run -json”s document.
type runReport struct {
	Commands []string     `json:"commands"`
	Hosts    int          `json:"hosts"`
	OK       int          `json:"ok"`
	Failed   int          `json:"failed"`
	NotRun   int          `json:"not_run"`
	Results  []hostResult `json:"results"`
}

// hostResult is one host's outcome: the output of each command it ran.
type hostResult struct {
	Host     string          `json:"host"`
	Status   string          `json:"status"`
	Class    tasks.Class     `json:"class,omitempty"`
	Error    string          `json:"error,omitempty"`
	Attempts int             `json:"attempts,omitempty"`
	Duration float64         `json:"duration_seconds"`
	Output   []commandOutput `json:"output"`
}

type commandOutput struct {
	Command    string         `json:"command"`
	Output     string         `json:"output"`
	Parsed     *textfsm.Table `json:"parsed,omitempty"`      // with -parse
	ParseError string         `json:"parse_error,omitempty"` // with -parse
}

func newHostResult(res tasks.Result) hostResult {
	hr := hostResult{Host: res.Host, Attempts: res.Attempts, Duration: res.Duration.Seconds(), Output: []commandOutput{}}
	switch res.Status {
	case tasks.StatusOK:
		hr.Status = "ok"
	case tasks.StatusNotRun:
		hr.Status = "not_run"
	default:
		hr.Status = "failed"
	}
	if res.Err != nil {
		hr.Class, hr.Error = tasks.Classify(res.Err), oneLine(res.Err)
	}
	if rs, ok := res.Value.([]connection.Response); ok {
		for _, r := range rs {
			hr.Output = append(hr.Output, commandOutput{Command: r.Command, Output: r.Output})
		}
	}
	return hr
}

// writeText prints the host's block: a header line, then each command and its output.
func (hr hostResult) writeText(w io.Writer) {
	var b strings.Builder
	head := fmt.Sprintf("%s %s %.2fs", hr.Host, hr.Status, hr.Duration)
	if hr.Error != "" {
		head = fmt.Sprintf("%s %s (%s): %s", hr.Host, strings.ToUpper(hr.Status), hr.Class, hr.Error)
	}
	fmt.Fprintf(&b, "==== %s\n", head)
	for _, o := range hr.Output {
		if o.Parsed != nil {
			fmt.Fprintf(&b, "---- %s\n%s", o.Command, o.Parsed)
			continue
		}
		if o.ParseError != "" {
			fmt.Fprintf(&b, "---- %s (not parsed: %s)\n%s", o.Command, o.ParseError, o.Output)
		} else {
			fmt.Fprintf(&b, "---- %s\n%s", o.Command, o.Output)
		}
		if !strings.HasSuffix(o.Output, "\n") {
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(w, b.String()) // one write per host: blocks do not interleave
}
