// Command vigil is the election observation and results-integrity platform:
// it imports and checks election results at every level, runs the
// observation of an election day, tests the official result, follows up
// recommendations and serves a public portal.
//
// main only wires the process to run, so that tests can drive the whole
// program in-process with their own arguments, environment and streams.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if p := os.Getenv("VIGIL_HEAP_PROFILE"); p != "" {
		defer heapProfileAtPeak(p)()
	}
	if p := os.Getenv("VIGIL_CPU_PROFILE"); p != "" {
		defer cpuProfile(p)()
	}
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vigil:", err)
		os.Exit(exitCode(err))
	}
}

// env is what a subcommand may touch of the outside world.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}
