// Package gcpace sets the garbage collector's pace (GOGC's percentage)
// for the commands whose heap the default pace suits badly, unless the
// operator's GOGC says otherwise.
package gcpace

import "runtime/debug"

const (
	// Import is an import's pace. An import's live heap is small and does
	// not grow with the file (a chunk of rows at a time): at the default
	// pace (100) the collector ran all the time. With four times the
	// headroom a 1,000,000-station import on SQLite took 44–47 s of CPU
	// against 49–53 s, its peak resident memory 108–131 MB against
	// 57–60 MB (issue 9: under 500 MB whatever the size).
	Import = 400
	// Server is a server's pace (vigil serve, and vigil-load self, which
	// runs a server's intake in its own process). Under a steady intake
	// the live heap is the kept states and caches, about 75 MB for the
	// load generator's 2,000 stations, and a report allocates some 66 KB:
	// at the default pace the collector ran four times a second and took
	// a fifth of the CPU. At 200 the process's CPU a report was 264–352 µs
	// against 291–383 µs (PostgreSQL, seven alternating pairs), for a
	// heap allowed to grow to three times the live one instead of twice
	// (docs/performance.md, issue 9).
	Server = 200
)

// Set sets the pace to percent unless getenv("GOGC") is set, and returns
// what puts the previous pace back (an import also runs inside long-lived
// commands: vigil watch's captures).
func Set(getenv func(string) string, percent int) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(prev) }
}
