package main

import (
	"flag"
	"fmt"

	"github.com/gonorn/norn/textfsm"
)

// textfsmFlags are 'norn run -parse' and '-templates': TextFSM parsing of each command's output
// with an ntc-templates index, as Netmiko's use_textfsm.
type textfsmFlags struct {
	on  bool
	dir string
}

// addParseFlags declares -parse and -templates on fs.
func addParseFlags(fs *flag.FlagSet) *textfsmFlags {
	p := &textfsmFlags{}
	fs.BoolVar(&p.on, "parse", false, "parse each output with TextFSM templates (ntc-templates index, picked by platform and command) and print tables, or rows with -json")
	fs.StringVar(&p.dir, "templates", "", "TextFSM templates `dir`ectory with its index file (default $NET_TEXTFSM, else $NTC_TEMPLATES_DIR)")
	return p
}

// index loads the templates index, or returns nil without -parse.
func (p *textfsmFlags) index() (*textfsm.Index, error) {
	if !p.on {
		return nil, nil
	}
	dir := p.dir
	if dir == "" {
		dir = textfsm.DefaultDir()
	}
	ix, err := textfsm.LoadIndex(dir)
	if err != nil {
		return nil, fmt.Errorf("-parse: %w", err)
	}
	return ix, nil
}

// parseOutputs parses each command output of a host with the template ix picks for its
// platform. A command without a template, or whose output the template rejects, keeps its raw
// output and gets a parse error.
func parseOutputs(ix *textfsm.Index, platform string, hr *hostResult) {
	if ix == nil {
		return
	}
	for i := range hr.Output {
		o := &hr.Output[i]
		t, err := ix.ParseTable(platform, o.Command, o.Output)
		if err != nil {
			o.ParseError = err.Error()
			continue
		}
		o.Parsed = t
	}
}
