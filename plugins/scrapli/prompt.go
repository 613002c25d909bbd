package scrapli

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/scrapli/scrapligo/driver/network"
)

// Prompt matching.
//
// scrapligo ends a read when its channel's PromptPattern (every privilege level's pattern
// joined with "|", each "(?im)^...$") matches anywhere in the last 1,000 bytes read, and strips
// every match of it from the whole output. Two things go wrong with a configuration as output:
//
//   - "(?m)$" matches at the end of any line, so a line of the configuration that looks like a
//     prompt ends the read early; and a read that happens to end inside a line can look like
//     a prompt: Junos's shell level "^.*[%$]\s?$" matches the partial line
//     `authentication-key "$9$` when a read ends right after it, and the configuration is cut.
//   - stripping runs the joined pattern over the whole output (a third of the CPU time of a
//     fleet backup) and deletes prompt-shaped lines from the middle of a configuration.
//
// The plugin therefore matches prompts only at the very end of what was read (a device prints
// nothing after its prompt), excludes from the commands' pattern the levels the plugin never
// enters whose prompts look like configuration text (Junos shells, IOS-XR "run", tclsh), and
// strips only the trailing prompt itself.

// promptTail is how far from the end of an output the trailing prompt is looked for (scrapligo's
// default prompt search depth).
const promptTail = 1000

// prompts are the compiled prompt patterns of a platform.
type prompts struct {
	// all matches the prompt of every privilege level, at the end of the text only. It is the
	// channel's PromptPattern (used by scrapligo to open, acquire privilege levels and close).
	all *regexp.Regexp
	// cli matches the prompts of the levels the plugin sends commands and configuration at, at
	// the end of the text only. It finds the prompt to strip from an output.
	cli *regexp.Regexp
	// read is cli with the prompt's line start written as a newline: it is the channel's
	// PromptPattern while the output of a command is read (which always starts with the
	// newline the device prints after the command's echo). scrapligo matches the last
	// PromptSearchDepth bytes read from their first newline on, or whole when a line is longer
	// than that; there "^" would match at the cut, in the middle of a line, and the end of a
	// long line could pass for a prompt.
	read *regexp.Regexp
}

// compilePrompts builds a platform's prompt patterns from its privilege levels; exclude names
// the levels left out of prompts.cli.
func compilePrompts(levels network.PrivilegeLevels, exclude []string) (prompts, error) {
	names := make([]string, 0, len(levels))
	for name := range levels {
		names = append(names, name)
	}
	slices.Sort(names)
	var all, cli, read []string
	for _, name := range names {
		p := anchorEnd(levels[name].Pattern)
		if !slices.Contains(all, p) { // Junos's three configuration levels share one pattern
			all = append(all, p)
		}
		if !slices.Contains(exclude, name) && !slices.Contains(cli, p) {
			cli = append(cli, p)
			read = append(read, lineStartAsNewline(p))
		}
	}
	var out prompts
	var err error
	if out.all, err = regexp.Compile(strings.Join(all, "|")); err != nil {
		return out, fmt.Errorf("prompt pattern: %w", err)
	}
	if len(cli) == 0 {
		return out, fmt.Errorf("prompt pattern: every privilege level is excluded")
	}
	if out.cli, err = regexp.Compile(strings.Join(cli, "|")); err != nil {
		return out, fmt.Errorf("prompt pattern: %w", err)
	}
	if out.read, err = regexp.Compile(strings.Join(read, "|")); err != nil {
		return out, fmt.Errorf("prompt pattern: %w", err)
	}
	return out, nil
}

// anchorEnd turns a privilege level's pattern, written "(?im)^...$" for scrapligo's multi-line
// search, into one that matches only at the end of the text, in a group of its own (so that
// its flags stay inside it). A trailing "\s?$" or "\s*$" allows spaces and tabs only, not a
// line break: a prompt is never followed by a newline, while a line of output is.
func anchorEnd(p string) string {
	switch {
	case strings.HasSuffix(p, `\s?$`):
		p = strings.TrimSuffix(p, `\s?$`) + `[ \t]?\z`
	case strings.HasSuffix(p, `\s*$`):
		p = strings.TrimSuffix(p, `\s*$`) + `[ \t]*\z`
	case strings.HasSuffix(p, `$`) && !strings.HasSuffix(p, `\$`):
		p = strings.TrimSuffix(p, `$`) + `\z`
	default:
		p = "(?:" + p + `)\z`
	}
	return "(?:" + p + ")"
}

// lineStartAsNewline turns the leading "^" of an anchored level pattern ("(?:(?im)^...") into
// "\n"; a pattern of another form is returned as it is.
func lineStartAsNewline(p string) string {
	for _, flags := range []string{"(?:(?im)^", "(?:(?mi)^", "(?:(?m)^"} {
		if rest, ok := strings.CutPrefix(p, flags); ok {
			return flags[:len(flags)-1] + `\n` + rest
		}
	}
	return p
}

// stripTrailingPrompt removes the prompt that ends b (an output as scrapligo's channel returns
// it with prompt stripping off: lines right-trimmed, no leading or trailing newline) and the
// newlines before it. b is returned unchanged when it does not end with a prompt.
func stripTrailingPrompt(b []byte, re *regexp.Regexp) []byte {
	tail := b
	if len(tail) > promptTail {
		tail = tail[len(tail)-promptTail:]
		if i := bytes.IndexByte(tail, '\n'); i >= 0 {
			tail = tail[i:]
		}
	}
	loc := re.FindIndex(tail)
	if loc == nil {
		return b
	}
	return bytes.TrimRight(b[:len(b)-len(tail)+loc[0]], "\n")
}
