package gcpace

import (
	"runtime/debug"
	"testing"
)

// TestSet: the pace is set, and the previous one put back after; with
// GOGC set, the pace is left alone.
func TestSet(t *testing.T) {
	prev := debug.SetGCPercent(150)
	defer debug.SetGCPercent(prev)
	restore := Set(func(string) string { return "" }, Import)
	if got := debug.SetGCPercent(Import); got != Import {
		t.Errorf("the pace is %d, want %d", got, Import)
	}
	restore()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("after, the pace is %d, want the previous 150", got)
	}
	restore = Set(func(k string) string {
		if k == "GOGC" {
			return "75"
		}
		return ""
	}, Server)
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("with GOGC set, the pace was set to %d", got)
	}
	restore()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("with GOGC set, the restore set the pace to %d", got)
	}
}
