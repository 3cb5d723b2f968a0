package store

import (
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/agg"
)

// groupStates gives a state back only for its own text, once, and keeps
// its texts within its bound.
func TestGroupStatesTakeAndBound(t *testing.T) {
	c := &groupStates{m: map[obsGroup]keptState{}, max: 1000}
	g := obsGroup{1, 2, 3, "voting"}
	s := agg.NewState()
	c.put(g, "a", s)
	if got := c.take(g, "b"); got != nil {
		t.Fatal("taken for another text")
	}
	if got := c.take(g, "a"); got != nil {
		t.Fatal("still kept after a take of another text")
	}
	c.put(g, "a", s)
	if got := c.take(g, "a"); got != s {
		t.Fatal("not taken for its text")
	}
	if got := c.take(g, "a"); got != nil {
		t.Fatal("taken twice")
	}
	for i := range 100 {
		c.put(obsGroup{1, 2, int64(i), "voting"}, strings.Repeat("x", 50), agg.NewState())
		if c.bytes > c.max {
			t.Fatalf("%d bytes kept, bound %d", c.bytes, c.max)
		}
	}
	if n := c.len(); n != 20 {
		t.Errorf("%d states kept of 50 bytes each within 1000 bytes, want 20", n)
	}
	c.put(obsGroup{9, 9, 9, "voting"}, strings.Repeat("y", 63), agg.NewState())
	if got := c.take(obsGroup{9, 9, 9, "voting"}, strings.Repeat("y", 63)); got != nil {
		t.Error("kept a state larger than a sixteenth of the bound")
	}
	sum := 0
	for _, k := range c.m {
		sum += len(k.text)
	}
	if sum != c.bytes {
		t.Errorf("bytes %d, texts kept %d", c.bytes, sum)
	}
}
