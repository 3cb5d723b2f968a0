package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set at link time by a release build:
//
//	go build -ldflags "-X main.version=1.2.0 -X main.commit=$(git rev-parse HEAD) -X main.date=$(date -u +%FT%TZ)" ./cmd/vigil
//
// A plain "go build" or "go install" leaves them empty, and buildInfo fills
// what it can from what the Go toolchain stamped into the binary (the module
// version, the VCS revision and time), so every binary can say what it is.
var (
	version string
	commit  string
	date    string
)

// build is what a binary knows of itself.
type build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go"`
	Modified  bool   `json:"modified,omitempty"` // built from a work tree with uncommitted changes
}

func buildInfo() build {
	b := build{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

func init() {
	register(command{name: "version", summary: "print the version, commit and build date (also vigil --version)", run: runVersion})
}

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "[--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, buildInfo())
	}
	printVersion(e.stdout)
	return nil
}

func printVersion(w io.Writer) {
	b := buildInfo()
	mod := ""
	if b.Modified {
		mod = " (modified)"
	}
	fmt.Fprintf(w, "vigil %s\ncommit %s%s\nbuilt  %s\n%s\n", b.Version, b.Commit, mod, b.Date, b.GoVersion)
}
