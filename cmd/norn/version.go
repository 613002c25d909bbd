package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/gonorn/norn/devsim/cli"
)

// versionInfo is what 'norn version' prints.
type versionInfo struct {
	Module    string `json:"module"`
	Version   string `json:"version"`
	Go        string `json:"go"`
	Platform  string `json:"platform"`
	Revision  string `json:"vcs_revision,omitempty"`
	Time      string `json:"vcs_time,omitempty"`
	Modified  bool   `json:"vcs_modified,omitempty"`
	BuildInfo bool   `json:"-"`
}

// readVersion reads the module version (a tag with 'go install ...@v1.2.3', "(devel)" in a
// checkout) and the VCS revision the binary was built from.
func readVersion(read func() (*debug.BuildInfo, bool)) versionInfo {
	v := versionInfo{Module: "github.com/gonorn/norn", Version: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := read()
	if !ok {
		return v
	}
	v.BuildInfo = true
	if bi.Main.Path != "" {
		v.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// versionCmd is 'norn version [-json]'.
func versionCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("version", "[-json]", "Prints norn's module version, the Go version it was built with and the VCS revision.", "norn version\nnorn version -json", stderr)
	asJSON := c.fs.Bool("json", false, "print JSON")
	if err := c.parse(args); err != nil {
		return exitCode(err)
	}
	if c.fs.NArg() > 0 {
		c.bad("unexpected argument %q", c.fs.Arg(0))
		return exitUsage
	}
	v := readVersion(debug.ReadBuildInfo)
	if *asJSON {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitOK
	}
	fmt.Fprintf(stdout, "norn %s (%s)\n%s %s\n", v.Version, v.Module, v.Go, v.Platform)
	if v.Revision != "" {
		mod := ""
		if v.Modified {
			mod = " (modified)"
		}
		fmt.Fprintf(stdout, "revision %s%s %s\n", v.Revision, mod, v.Time)
	}
	return exitOK
}

// devsimCmd is 'norn devsim [flags]': devsim's command line (package devsim/cli).
func devsimCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := cli.Run(ctx, "norn devsim", args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, cli.ErrUsage):
		return exitUsage // printed already
	}
	fmt.Fprintf(stderr, "norn devsim: %v\n", err)
	return exitUsage
}
