//go:build unix

package main

import (
	"syscall"
	"time"
)

// cpuTime is the CPU (user and system) this process has used: self prints
// it per report, a cost the VM's neighbours change far less than the
// throughput and the latencies.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
