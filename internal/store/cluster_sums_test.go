package store

import (
	"maps"
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
