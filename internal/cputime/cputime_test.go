//go:build unix

package cputime

import "testing"

// Work done shows: the CPU used grows while the process computes.
func TestProcessGrows(t *testing.T) {
	before := Process()
	x := 0
	for n := 0; n < 1e5 && Process()-before < 5e6; n++ { // 5 ms, or a bound
		for i := range 1 << 16 {
			x += i
		}
	}
	if x == 0 || Process() <= before {
		t.Fatalf("CPU used did not grow: %v then %v", before, Process())
	}
}
