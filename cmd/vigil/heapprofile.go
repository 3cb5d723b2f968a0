package main

import (
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// heapProfileAtPeak writes a heap profile to path whenever the live heap
// has grown by a tenth over the largest seen, so that the file left when
// the command ends shows what was held at (about) its peak, not at its
// end. VIGIL_HEAP_PROFILE names the file; it is for measuring the memory
// of imports, tallies and checks at millions of stations
// (docs/performance.md). The returned stop writes a last profile if the
// heap is then at its largest.
func heapProfileAtPeak(path string) (stop func()) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	check := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if v := sample[0].Value.Uint64(); v > peak+peak/10 {
			peak = v
			if err := writeHeapProfile(path); err != nil {
				fmt.Fprintln(os.Stderr, "vigil: heap profile:", err)
			}
		}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				check()
				return
			case <-t.C:
				check()
			}
		}
	}()
	return func() { close(done); <-finished }
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpuProfile profiles the command's CPU into path (VIGIL_CPU_PROFILE), for
// the same measurements; stop ends the profile.
func cpuProfile(path string) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vigil: cpu profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "vigil: cpu profile:", err)
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
