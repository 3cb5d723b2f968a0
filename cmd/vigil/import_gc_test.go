package main

import (
	"runtime/debug"
	"testing"
)

// TestImportGC: an import sets the collector's pace to 400 and puts the
// previous one back after (vigil watch runs its captures' imports in its
// own process); with GOGC set, it leaves the pace alone.
func TestImportGC(t *testing.T) {
	prev := debug.SetGCPercent(150)
	defer debug.SetGCPercent(prev)
	restore := importGC(func(string) string { return "" })
	if got := debug.SetGCPercent(400); got != 400 {
		t.Errorf("during an import the pace is %d, want 400", got)
	}
	restore()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("after an import the pace is %d, want the previous 150", got)
	}
	restore = importGC(func(k string) string {
		if k == "GOGC" {
			return "75"
		}
		return ""
	})
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("with GOGC set, the import set the pace to %d", got)
	}
	restore()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("with GOGC set, the restore set the pace to %d", got)
	}
}
