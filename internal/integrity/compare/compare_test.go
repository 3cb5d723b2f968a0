package compare

import (
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/tally"
)

// three stations under one district; A leads B narrowly in the copies.
func fixture(t *testing.T, officialA []int64) (*election.Election, *tally.Index, []*election.Protocol) {
	t.Helper()
	e := &election.Election{Name: "t", Kind: election.Presidential, Options: []election.Option{{Position: 0, Name: "A"}, {Position: 1, Name: "B"}}}
	areas := []election.Area{
		{ID: 1, Level: 0, Name: "t"},
		{ID: 2, ParentID: 1, Level: 1, Name: "D", Path: []string{"D"}},
		{ID: 3, ParentID: 2, Level: 2, Name: "1", Path: []string{"D", "1"}, Station: true},
		{ID: 4, ParentID: 2, Level: 2, Name: "2", Path: []string{"D", "2"}, Station: true},
		{ID: 5, ParentID: 2, Level: 2, Name: "3", Path: []string{"D", "3"}, Station: true},
	}
	ix, err := tally.NewIndex(areas)
	if err != nil {
		t.Fatal(err)
	}
	copies := [][]int64{{300, 290}, {200, 210}, {100, 95}} // A 600, B 595
	var ps []*election.Protocol
	id := int64(0)
	mk := func(area int64, src election.Source, v []int64) *election.Protocol {
		id++
		var f election.Figures
		f.Set(election.Registered, 1000)
		f.Set(election.Valid, v[0]+v[1])
		f.Set(election.Invalid, 0)
		f.Set(election.BallotsIssued, v[0]+v[1])
		return &election.Protocol{ID: id, AreaID: area, Source: src, Version: 1, Figures: f, Votes: v}
	}
	for i, v := range copies {
		ps = append(ps, mk(int64(3+i), election.Observer, v))
		o := v
		if i == 1 {
			o = officialA
		}
		ps = append(ps, mk(int64(3+i), election.OfficialFinal, o))
	}
	return e, ix, ps
}

func TestCompareFindsTheAlteredStationAndItsImpact(t *testing.T) {
	// Station 2's official protocol gives A 40 votes taken from B: A 240,
	// B 170 instead of 200, 210. Official totals: A 640, B 555 — A wins
	// with 53.56 %; without station 2: A 400, B 385 (50.96 %), A still wins;
	// with the copy: A 600, B 595 (50.21 %), A still wins.
	e, ix, ps := fixture(t, []int64{240, 170})
	r, err := Compare(e, ix, ps, election.OfficialFinal, election.Observer, "", Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if r.StationsCompared != 3 || r.StationsDiffer != 1 || r.Leader != "A" || r.LeaderChange != 40 {
		t.Fatalf("report %+v", r)
	}
	if len(r.Stations) != 1 || r.Stations[0].Station != "D / 2" {
		t.Fatalf("stations %+v", r.Stations)
	}
	// valid differs too (410 vs 410: no) — only the two options differ.
	if len(r.Stations[0].Differences) != 2 || r.Stations[0].Differences[0].Item != "A" || r.Stations[0].Differences[0].Difference != 40 {
		t.Fatalf("differences %+v", r.Stations[0].Differences)
	}
	if r.OfficialOutcome.Winner != "A" || r.WithoutAltered.Winner != "A" || r.CopiesSubstitute.Winner != "A" || r.OutcomeChanges {
		t.Fatalf("outcomes %+v %+v %+v", r.OfficialOutcome, r.WithoutAltered, r.CopiesSubstitute)
	}
	if got := r.OfficialOutcome.Shares["A"]; got < 53.55 || got > 53.57 {
		t.Fatalf("official share of A %.3f, want 53.56", got)
	}
	if !strings.Contains(r.Sentence, "1 of 3 stations") || !strings.Contains(r.Sentence, "40 more votes") {
		t.Fatalf("sentence: %s", r.Sentence)
	}
}

func TestCompareWhenTheAlterationDecides(t *testing.T) {
	// Station 2 official: A 260, B 150. Official: A 660, B 535 → A wins.
	// In the copies B leads at station 2 and overall A 600 vs B 595 stays
	// A — so make the copy race go the other way: official moves 60 votes
	// and the copies have B ahead.
	e, ix, ps := fixture(t, []int64{300, 110})
	// Give B the lead in the copies: station 3's copy and official B 120.
	for _, p := range ps {
		if p.AreaID == 5 {
			p.Votes = []int64{100, 120}
		}
	}
	// Copies: A 600, B 620 → B leads with 50.8 %; official: A 700, B 520 → A.
	r, err := Compare(e, ix, ps, election.OfficialFinal, election.Observer, "A", Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if r.OfficialOutcome.Winner != "A" || r.CopiesSubstitute.Winner != "B" || !r.OutcomeChanges {
		t.Fatalf("official %+v, copies %+v", r.OfficialOutcome, r.CopiesSubstitute)
	}
	if !strings.Contains(r.Sentence, "change the outcome") {
		t.Fatalf("sentence: %s", r.Sentence)
	}
}

func TestCompareNothingToCompare(t *testing.T) {
	e, ix, ps := fixture(t, []int64{200, 210})
	r, err := Compare(e, ix, ps, election.OfficialFinal, election.Recount, "", Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if r.StationsCompared != 0 || !strings.Contains(r.Sentence, "nothing to compare") {
		t.Fatalf("%+v", r)
	}
	if _, err := Compare(e, ix, ps, election.OfficialFinal, election.Observer, "Z", Rules{}); err == nil {
		t.Fatal("an unknown leader was accepted")
	}
}
