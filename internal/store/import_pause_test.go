package store

import (
	"testing"
	"time"
)

// TestImportPause: with nobody else committing, the import pauses briefly
// but fully every importQuietEvery-th chunk (for writers sleeping in
// SQLite's busy handler); once another connection's commit shows in the
// data version, every pause is full for importBusyChunks chunks.
func TestImportPause(t *testing.T) {
	const d = 80 * time.Millisecond
	full := importYield(d)
	var p importPause
	var got []time.Duration
	version := int64(7)
	for range 2 * importQuietEvery {
		got = append(got, p.next(d, version))
	}
	fulls := 0
	for _, g := range got {
		switch g {
		case full:
			fulls++
		case importYieldQuiet:
		default:
			t.Fatalf("pause %v, want %v or %v", g, full, importYieldQuiet)
		}
	}
	if fulls != 2 || got[0] != importYieldQuiet {
		t.Fatalf("quiet: pauses %v, want two full ones in %d", got, len(got))
	}
	version++ // another connection committed
	for i := range importBusyChunks {
		if g := p.next(d, version); g != full {
			t.Fatalf("busy chunk %d: pause %v, want %v", i, g, full)
		}
	}
	quiet := 0
	for range importQuietEvery {
		if p.next(d, version) == importYieldQuiet {
			quiet++
		}
	}
	if quiet != importQuietEvery-1 {
		t.Fatalf("quiet again: %d short pauses in %d chunks, want %d", quiet, importQuietEvery, importQuietEvery-1)
	}
	// Writes that go on keep the pauses full.
	for i := range 3 * importBusyChunks {
		version++
		if g := p.next(d, version); g != full {
			t.Fatalf("writes going on, chunk %d: pause %v", i, g)
		}
	}
}
