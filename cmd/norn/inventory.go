package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rs/zerolog"

	"github.com/gonorn/norn/inventory"
	"github.com/gonorn/norn/redact"
)

const inventoryAbout = `Lists the hosts of the inventory (SimpleInventory or NetBox) that -filter selects, or shows one
host fully resolved: its attributes, its groups in resolution order, its data and its connection
options, as a run would see them, with secrets masked. Use it to check a filter or a NetBox
mapping before a run.`

const inventoryExamples = `
norn inventory -inventory ./inv                              # every host: name, hostname, platform, groups
norn inventory -inventory ./inv -filter 'site=ams1 and role=core'
norn inventory -inventory ./inv ams-rtr-0001                 # one host, resolved
norn inventory -netbox-url https://netbox.example.com -json  # NetBox's hosts as norn maps them`

// inventoryCmd is 'norn inventory [flags] [HOST]'.
func inventoryCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("inventory", "[flags] [HOST]", inventoryAbout, inventoryExamples, stderr)
	c.configFlags()
	c.inventoryFlags()
	asJSON := c.fs.Bool("json", false, "print JSON on stdout")
	if err := c.parse(args); err != nil {
		return exitCode(err)
	}
	if c.fs.NArg() > 1 {
		c.bad("want at most one HOST, got %q", c.fs.Args())
		return exitUsage
	}
	cfg, err := c.load()
	if err != nil {
		return exitUsage
	}
	filter, err := parseFilter(c.filter)
	if err != nil {
		c.bad("%v", err)
		return exitUsage
	}
	log := zerolog.Nop()
	if c.verbose {
		log, _, _ = newLogger(stderr, stderr, cfg.Logging)
	}
	inv, label, err := loadInventory(ctx, cfg, "", log, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "norn inventory: %v\n", err)
		return exitUsage
	}
	if c.fs.NArg() == 1 {
		name := c.fs.Arg(0)
		h, ok := inv.Host(name)
		if !ok {
			fmt.Fprintf(stderr, "norn inventory: no host %q in %s (%d hosts)\n", name, label, inv.Len())
			return exitUsage
		}
		if filter != nil && !filter(h) {
			fmt.Fprintf(stderr, "norn inventory: host %q is not selected by -filter %q\n", name, c.filter)
			return exitUsage
		}
		v := resolveHost(h)
		if *asJSON {
			return writeJSON(stdout, stderr, v)
		}
		v.writeText(stdout)
		return exitOK
	}
	hosts := inv.Filter(filter)
	if filter != nil && len(hosts) == 0 {
		fmt.Fprintf(stderr, "norn inventory: -filter %q selects none of the %d hosts of %s\n", c.filter, inv.Len(), label)
		return exitUsage
	}
	if *asJSON {
		list := make([]hostLine, len(hosts))
		for i, h := range hosts {
			list[i] = newHostLine(h)
		}
		return writeJSON(stdout, stderr, list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHOSTNAME\tPORT\tPLATFORM\tGROUPS")
	for _, h := range hosts {
		l := newHostLine(h)
		port := "-"
		if l.Port > 0 {
			port = strconv.Itoa(l.Port)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Name, l.Hostname, port, orDash(l.Platform), orDash(strings.Join(l.Groups, ",")))
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d of %d hosts (%s)\n", len(hosts), inv.Len(), label)
	return exitOK
}

// exitCode maps parse's result to an exit status: 0 for -h, 2 otherwise.
func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "norn: writing JSON: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// hostLine is a host in the list: resolved attributes and direct groups.
type hostLine struct {
	Name     string   `json:"name"`
	Hostname string   `json:"hostname"`
	Port     int      `json:"port,omitempty"`
	Platform string   `json:"platform,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

func newHostLine(h *inventory.Host) hostLine {
	l := hostLine{Name: h.Name, Hostname: h.Hostname(), Port: h.Port(), Platform: h.Platform()}
	for _, g := range h.Groups {
		l.Groups = append(l.Groups, g.Name)
	}
	return l
}

// resolvedHost is one host as a run sees it, secrets masked.
type resolvedHost struct {
	Name     string `json:"name"`
	Hostname string `json:"hostname"`
	Port     int    `json:"port,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Platform string `json:"platform,omitempty"`
	// Groups are the direct groups; Resolution all of them in the order values are looked up.
	Groups      []string                  `json:"groups,omitempty"`
	Resolution  []string                  `json:"resolution_order,omitempty"`
	Data        map[string]any            `json:"data,omitempty"`
	Connections map[string]resolvedParams `json:"connection_options,omitempty"`
}

type resolvedParams struct {
	Hostname string         `json:"hostname"`
	Port     int            `json:"port,omitempty"`
	Username string         `json:"username,omitempty"`
	Password string         `json:"password,omitempty"`
	Platform string         `json:"platform,omitempty"`
	Extras   map[string]any `json:"extras,omitempty"`
}

// masked is what stands for a secret that is set.
const masked = redact.Mask

func maskSet(s string) string {
	if s == "" {
		return ""
	}
	return masked
}

// resolveHost resolves h: attributes through its groups and the defaults, the data (its own,
// its groups' and the defaults'), and each connection's parameters. Secrets are masked: the
// password fields, every value under a secret-sounding key (password, secret, token, ...) and
// the host's own secrets anywhere else.
func resolveHost(h *inventory.Host) resolvedHost {
	r := redact.Host(h)
	v := resolvedHost{Name: h.Name, Hostname: h.Hostname(), Port: h.Port(), Username: h.Username(),
		Password: maskSet(h.Password()), Platform: h.Platform()}
	for _, g := range h.Groups {
		v.Groups = append(v.Groups, g.Name)
	}
	for _, g := range h.AllGroups() {
		v.Resolution = append(v.Resolution, g.Name)
	}
	if d := h.ExtendedData(); len(d) > 0 {
		v.Data = maskValue(d, r).(map[string]any)
	}
	for _, name := range h.ConnectionNames() {
		p := h.ConnectionParams(name)
		rp := resolvedParams{Hostname: p.Hostname, Port: p.Port, Username: p.Username, Password: maskSet(p.Password), Platform: p.Platform}
		if len(p.Extras) > 0 {
			rp.Extras = maskValue(p.Extras, r).(map[string]any)
		}
		if v.Connections == nil {
			v.Connections = map[string]resolvedParams{}
		}
		v.Connections[name] = rp
	}
	return v
}

// maskValue copies v with secrets masked: values under secret-sounding keys, and the host's
// secrets and secret-shaped strings in any string.
func maskValue(v any, r *redact.Redactor) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if redact.IsSecretName(k) && e != nil && e != "" {
				out[k] = masked
				continue
			}
			out[k] = maskValue(e, r)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskValue(e, r)
		}
		return out
	case string:
		return r.String(x)
	}
	return v
}

func (v resolvedHost) writeText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "host\t%s\n", v.Name)
	fmt.Fprintf(tw, "hostname\t%s\n", v.Hostname)
	if v.Port > 0 {
		fmt.Fprintf(tw, "port\t%d\n", v.Port)
	}
	fmt.Fprintf(tw, "username\t%s\n", orDash(v.Username))
	fmt.Fprintf(tw, "password\t%s\n", orDash(v.Password))
	fmt.Fprintf(tw, "platform\t%s\n", orDash(v.Platform))
	fmt.Fprintf(tw, "groups\t%s\n", orDash(strings.Join(v.Groups, ", ")))
	fmt.Fprintf(tw, "resolution order\t%s\n", strings.Join(append([]string{v.Name}, append(v.Resolution, "defaults")...), " > "))
	tw.Flush()
	if len(v.Data) > 0 {
		fmt.Fprintln(w, "data:")
		writeTree(w, v.Data, "  ")
	}
	names := make([]string, 0, len(v.Connections))
	for n := range v.Connections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := v.Connections[n]
		fmt.Fprintf(w, "connection %s:\n", n)
		fmt.Fprintf(w, "  hostname: %s\n  port: %d\n  username: %s\n  password: %s\n  platform: %s\n",
			p.Hostname, p.Port, orDash(p.Username), orDash(p.Password), orDash(p.Platform))
		if len(p.Extras) > 0 {
			fmt.Fprintln(w, "  extras:")
			writeTree(w, p.Extras, "    ")
		}
	}
}

// writeTree writes a map as indented "key: value" lines, keys sorted.
func writeTree(w io.Writer, m map[string]any, indent string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch x := m[k].(type) {
		case map[string]any:
			fmt.Fprintf(w, "%s%s:\n", indent, k)
			writeTree(w, x, indent+"  ")
		default:
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			text := fmt.Sprint(x)
			if err := enc.Encode(x); err == nil {
				text = strings.TrimSuffix(b.String(), "\n")
			}
			fmt.Fprintf(w, "%s%s: %s\n", indent, k, text)
		}
	}
}
