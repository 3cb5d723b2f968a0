package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestDocsIndexListsEveryPageOnce: docs/README.md links every page of
// docs/ exactly once (a merge had listed security.md twice; issue 12).
func TestDocsIndexListsEveryPageOnce(t *testing.T) {
	index, err := os.ReadFile("../../docs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]int{}
	for _, m := range regexp.MustCompile(`\]\(([^)#]+\.md)\)`).FindAllSubmatch(index, -1) {
		links[string(m[1])]++
	}
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(pages) < 10 {
		t.Fatalf("docs pages: %v %v", pages, err)
	}
	for _, p := range pages {
		name := filepath.Base(p)
		if name == "README.md" {
			continue
		}
		if n := links[name]; n != 1 {
			t.Errorf("docs/README.md links %s %d times, want once", name, n)
		}
		delete(links, name)
	}
	for l := range links {
		t.Errorf("docs/README.md links %s, which is not a page of docs/", l)
	}
}
