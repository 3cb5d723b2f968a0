package store

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/agg"
	"github.com/vigil-elections/vigil/internal/observe/form"
)

// groupStates gives a state back only for its own text, once, and keeps
// its states within its bound.
func TestGroupStatesTakeAndBound(t *testing.T) {
	c := &groupStates{m: map[obsGroup]keptState{}, max: 20 * keptCost(strings.Repeat("x", 50))}
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
		t.Errorf("%d states kept of 50 bytes of text each, room for 20: want 20", n)
	}
	big := strings.Repeat("y", c.max/16/17)
	if keptCost(big) <= c.max/16 {
		t.Fatalf("a text of %d bytes is not over a sixteenth of the bound", len(big))
	}
	c.put(obsGroup{9, 9, 9, "voting"}, big, agg.NewState())
	if got := c.take(obsGroup{9, 9, 9, "voting"}, big); got != nil {
		t.Error("kept a state larger than a sixteenth of the bound")
	}
	sum := 0
	for _, k := range c.m {
		sum += keptCost(k.text)
	}
	if sum != c.bytes {
		t.Errorf("bytes %d, texts kept %d", c.bytes, sum)
	}
}

// keptCost is not below what a decoded state takes: states of 1 to 60
// reports of a dozen answers each, decoded a hundred times, measured by
// the heap's allocation.
func TestKeptCostCoversDecodedState(t *testing.T) {
	for _, n := range []int{1, 3, 10, 60} {
		s := agg.NewState()
		for i := range n {
			a := form.Answers{"overall": form.TextValue([]string{"good", "bad"}[i%2]), "voters": form.IntValue(int64(i % 9))}
			for q := range 10 {
				a[fmt.Sprintf("q%02d", q)] = form.BoolValue(i%7 != q)
			}
			s.Add(agg.Report{ID: int64(1000 + 2000*i), Visit: []string{"user:1", "team:2", ""}[i%3], Answers: a, FormID: 1})
		}
		text := s.Encode()
		const copies = 100
		kept := make([]*agg.State, copies)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range kept {
			kept[i] = &agg.State{}
			if err := kept[i].Decode(text); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		per := int(after.TotalAlloc-before.TotalAlloc) / copies
		if cost := keptCost(string(text)); per > cost {
			t.Errorf("%d reports: a decoded state allocates %d bytes, keptCost says %d (%d bytes of text)", n, per, cost, len(text))
		}
		// A kept state has been folded into: its visits hold their
		// observations (agg's memo), which it keeps, as the heap after a
		// collection says.
		voting := form.VotingTemplate()
		for _, k := range kept {
			if _, err := k.Result(1, "voting", nil, func(int64) (*form.Form, error) { return voting, nil }); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if held, cost := (int(after.HeapAlloc)-int(before.HeapAlloc))/copies, keptCost(string(text)); held > cost {
			t.Errorf("%d reports: a decoded state, its observations derived, holds %d bytes, keptCost says %d (%d bytes of text)", n, held, cost, len(text))
		}
		runtime.KeepAlive(kept)
	}
}
