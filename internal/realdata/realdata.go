// Package realdata finds the real polling-station data of real elections that
// tests and benchmarks use. The data is never committed into the project: it
// lives in ../shared/election-data beside the repository (or where
// VIGIL_DATA points), and tests that need it skip when it is absent.
package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the election-data directory, or "" when it cannot be found.
// VIGIL_DATA overrides the search; otherwise it walks up from the working
// directory to the module root (the folder holding go.mod) and looks for
// ../shared/election-data beside it.
func Dir() string {
	if d := os.Getenv("VIGIL_DATA"); d != "" {
		if isDir(d) {
			return d
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			cand := filepath.Join(filepath.Dir(d), "shared", "election-data")
			if isDir(cand) {
				return cand
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Path returns the path of a file inside the election-data directory, or
// skips the test (loudly, with the reason) when the data or the file is
// absent. In CI (CI=true) the data must be there, so absence fails instead.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	d := Dir()
	if d == "" {
		missing(tb, "election data directory not found (../shared/election-data or $VIGIL_DATA)")
		return ""
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(tb, "real data file missing: "+p)
		return ""
	}
	return p
}

func missing(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: real-data tests must run)", why)
	}
	tb.Skip(why)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
