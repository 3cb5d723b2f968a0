//go:build unix

package store_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU (user and system) this process has used: the
// benchmarks report it per operation, a cost the machine's load changes
// far less than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
