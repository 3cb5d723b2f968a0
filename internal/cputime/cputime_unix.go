//go:build unix

// Package cputime reads the CPU this process has used, which benchmarks
// and the load generator report per operation: a cost that a loaded or
// noisy machine changes far less than the wall clock.
package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU (user and system) this process has used so far.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
