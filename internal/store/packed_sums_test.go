package store

import (
	"github.com/vigil-elections/vigil/internal/observe/agg"
	"maps"
	"slices"
	"strings"
	"testing"
)

// A cluster's counts go through obs_clusters.sums as text: formatted in
// byte order (the text migration 0029 writes from the old rows), read
// back the same, and damaged text is an error, never counts.
func TestClusterSums(t *testing.T) {
	counts := map[string][2]int64{"overall": {3, 1}, "ballot_box_stuffing": {12, 0}, "Zeta": {1, 1}}
	text, err := formatClusterSums(counts)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Zeta 1 1|ballot_box_stuffing 12 0|overall 3 1"; text != want {
		t.Fatalf("formatted %q, want %q", text, want)
	}
	back, err := parseClusterSums(text)
	if err != nil || !maps.Equal(back, counts) {
		t.Fatalf("read back %v, %v; want %v", back, err, counts)
	}
	if back, err := parseClusterSums(""); err != nil || len(back) != 0 {
		t.Fatalf("an empty row: %v, %v", back, err)
	}
	for _, bad := range []string{"overall 3", "overall 3 1|", "overall x 1", "overall 3 1|overall 2 0", " 3 1", "overall 3 1 2", "a 1 1||b 1 1"} {
		if got, err := parseClusterSums(bad); err == nil {
			t.Errorf("%q read as %v, want an error", bad, got)
		}
	}
	for _, item := range []string{"", "two words", "a|b"} {
		if _, err := formatClusterSums(map[string][2]int64{item: {1, 0}}); err == nil {
			t.Errorf("item %q formatted, want an error", item)
		}
	}
}

func FuzzClusterSums(f *testing.F) {
	f.Add("overall 3 1|stuffing 12 0")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		counts, err := parseClusterSums(s)
		if err != nil {
			return
		}
		text, err := formatClusterSums(counts)
		if err != nil {
			t.Fatalf("%q read as %v, which does not format: %v", s, counts, err)
		}
		again, err := parseClusterSums(text)
		if err != nil || !maps.Equal(again, counts) {
			t.Fatalf("%q → %v → %q → %v, %v", s, counts, text, again, err)
		}
	})
}

// A node's statistics go through obs_stats.sums as text: the items
// escaped (an incident's category is what an observer sent: spaces, bars,
// percent signs, nothing), in byte order of the escaped items (the text
// migration 0030 writes from the old rows), read back the same; damaged
// text, and text formatStatSums would not write, is an error, never
// statistics: the writer finds an item by its escaped name in sorted
// entries.
func TestStatSums(t *testing.T) {
	stats := map[string]agg.Stats{
		"overall":                 {N: 5, X: 2, C: 2, Sxx: 2, Sxn: 5, Snn: 13},
		"*":                       {N: 5, X: 5, C: 2, Sxx: 13, Sxn: 13, Snn: 13},
		"ballot box|stuffed 100%": {N: 3, X: 1},
		"%25":                     {N: 1},
		"":                        {N: 2, X: 2},
	}
	text := formatStatSums(stats)
	if want := " 2 2 0 0 0 0|%2525 1 0 0 0 0 0|* 5 5 2 13 13 13|ballot%20box%7Cstuffed%20100%25 3 1 0 0 0 0|overall 5 2 2 2 5 13"; text != want {
		t.Fatalf("formatted %q, want %q", text, want)
	}
	back, err := parseStatSums(text)
	if err != nil || !maps.Equal(back, stats) {
		t.Fatalf("read back %v, %v; want %v", back, err, stats)
	}
	if text := formatStatSums(nil); text != "" {
		t.Fatalf("no items formatted as %q", text)
	}
	if back, err := parseStatSums(""); err != nil || len(back) != 0 {
		t.Fatalf("an empty row: %v, %v", back, err)
	}
	for _, bad := range []string{"overall 5 2 2 2 5", "overall 5 2 2 2 5 13|", "overall x 2 2 2 5 13", "overall 1 0 0 0 0 0|overall 1 0 0 0 0 0",
		"a%20b 1 0 0 0 0 0|a%20b 1 0 0 0 0 0", "overall 5 2 2 2 5 13 1", "a 1 0 0 0 0 0||b 1 0 0 0 0 0", "overall 99999999999999999999 0 0 0 0 0",
		"overall 1 0 0 0 0 0|* 1 0 0 0 0 0", "overall 0 0 0 0 0 0", "%41 1 0 0 0 0 0", "a b 1 0 0 0 0 0", "a  1 0 0 0 0 0", "a 01 0 0 0 0 0", "a +1 0 0 0 0 0", "a 1 0 0 -0 0 0"} {
		if got, err := parseStatSums(bad); err == nil {
			t.Errorf("%q read as %v, want an error", bad, got)
		}
	}
}

func FuzzStatSums(f *testing.F) {
	f.Add("* 5 5 2 13 13 13|overall 5 2 2 2 5 13")
	f.Add("ballot%20box%7Cstuffed%20100%25 3 1 0 0 0 0")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		stats, err := parseStatSums(s)
		if err != nil {
			return
		}
		// What is read is only what formatStatSums writes: one text for
		// a row's statistics.
		if text := formatStatSums(stats); text != s {
			t.Fatalf("%q read as %v, which formats as %q", s, stats, text)
		}
	})
}

// formatStatSums is formatStatEntries of a map of items' statistics, in
// byte order of the escaped items: parseStatSums' inverse.
func formatStatSums(stats map[string]agg.Stats) string {
	entries := make([]statEntry, 0, len(stats))
	for item, s := range stats {
		entries = append(entries, statEntry{escapeStatItem(item), s})
	}
	slices.SortFunc(entries, func(a, b statEntry) int { return strings.Compare(a.esc, b.esc) })
	return formatStatEntries(entries)
}
