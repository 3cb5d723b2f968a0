package forensics

import (
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

func TestFromFigures(t *testing.T) {
	fig := func(kv map[election.Figure]int64) election.Figures {
		var f election.Figures
		for k, v := range kv {
			f.Set(k, v)
		}
		return f
	}
	votes := []int64{300, 150, 50} // sum 500
	cases := []struct {
		name string
		f    election.Figures
		want Station
		ok   bool
	}{
		{"Russia: issued parts, valid, invalid", fig(map[election.Figure]int64{
			election.Registered: 1000, election.BallotsIssuedEarly: 10, election.BallotsIssuedStation: 480,
			election.BallotsIssuedMobile: 20, election.Valid: 500, election.Invalid: 8, election.BallotsInBox: 508,
		}), Station{V: 1000, G: 510, R: 508, L: 300}, true},
		{"Georgia: supplementary list, no valid", fig(map[election.Figure]int64{
			election.Registered: 1000, election.RegisteredSupplementary: 20, election.BallotsIssued: 515, election.Invalid: 7,
		}), Station{V: 1020, G: 515, R: 507, L: 300, Fallback: FallbackRFromVotes}, true},
		{"Uganda: no issued, ballots in box", fig(map[election.Figure]int64{
			election.Registered: 900, election.BallotsInBox: 512, election.Valid: 500, election.Invalid: 12,
		}), Station{V: 900, G: 512, R: 512, L: 300, Fallback: FallbackIssuedFromBox}, true},
		{"Uganda 2011: valid and invalid only", fig(map[election.Figure]int64{
			election.Registered: 900, election.Valid: 500, election.Invalid: 12,
		}), Station{V: 900, G: 512, R: 512, L: 300, Fallback: FallbackIssuedFromR}, true},
		{"Albania 2013: registered and box only", fig(map[election.Figure]int64{
			election.Registered: 800, election.BallotsInBox: 505,
		}), Station{V: 800, G: 505, R: 505, L: 300, Fallback: FallbackRFromBox | FallbackIssuedFromBox}, true},
		{"did not report", fig(map[election.Figure]int64{election.Registered: 800}), Station{}, false},
	}
	for _, c := range cases {
		v := votes
		if !c.ok {
			v = []int64{0, 0, 0}
		}
		got, ok := FromFigures(c.f, v, 0)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
	if _, ok := FromFigures(fig(map[election.Figure]int64{election.Registered: 10, election.Valid: 5}), votes, 3); ok {
		t.Error("leader index out of range accepted")
	}
}
