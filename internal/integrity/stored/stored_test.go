package stored

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/tally"
)

// two regions, two stations each; observer copies at one station per region.
func fixture(t *testing.T) (*election.Election, *tally.Index, []*election.Protocol) {
	t.Helper()
	e := &election.Election{Name: "t", Options: []election.Option{{Position: 0, Name: "A"}, {Position: 1, Name: "B"}},
		Config: election.Config{AreaLevels: []string{"region", "station"}}}
	areas := []election.Area{{ID: 1, Name: "t"}}
	var ps []*election.Protocol
	id := int64(1)
	for r, region := range []string{"North", "South"} {
		id++
		rid := id
		areas = append(areas, election.Area{ID: rid, ParentID: 1, Level: 1, Name: region, Path: []string{region}})
		for s := 0; s < 2; s++ {
			id++
			name := region[:1] + string(rune('1'+s))
			areas = append(areas, election.Area{ID: id, ParentID: rid, Level: 2, Name: name, Path: []string{region, name}, Station: true,
				Attrs: map[string]string{"urban": string(rune('0' + s))}})
			var f election.Figures
			f.Set(election.Registered, 1000)
			f.Set(election.BallotsIssued, 600)
			f.Set(election.Valid, 590)
			f.Set(election.Invalid, 10)
			votes := []int64{int64(300 + 100*r), int64(290 - 100*r)}
			ps = append(ps, &election.Protocol{ID: id * 10, AreaID: id, Source: election.OfficialFinal, Version: 1, Figures: f, Votes: votes})
			if s == 0 {
				ps = append(ps, &election.Protocol{ID: id*10 + 1, AreaID: id, Source: election.Observer, Version: 1, Figures: f, Votes: []int64{250, 340}})
			}
		}
	}
	ix, err := tally.NewIndex(areas)
	if err != nil {
		t.Fatal(err)
	}
	return e, ix, ps
}

func TestLeaderAndStations(t *testing.T) {
	e, ix, ps := fixture(t)
	chosen, _ := tally.Choose(ix, ps, tally.Selector{})
	li, err := Leader(e, chosen, "")
	if err != nil || li != 0 { // A: 300+300+400+400 against B: 290+290+190+190
		t.Fatalf("leader %d %v", li, err)
	}
	if _, err := Leader(e, chosen, "Z"); err == nil || !strings.Contains(err.Error(), "A, B") {
		t.Fatalf("unknown leader: %v", err)
	}
	rows := Stations(ix, chosen, li)
	if len(rows) != 4 || rows[0].Station.V != 1000 || rows[0].Station.G != 600 || rows[0].Station.R != 600 || rows[0].Station.L != 300 {
		t.Fatalf("stations %+v", rows)
	}
	marked := GroupByLevel(rows, 1, func(a *election.Area) bool { return a.Name == "N1" })
	if marked[0].Group != "North" || !marked[0].Control || marked[1].Control || marked[2].Group != "South" {
		t.Fatalf("grouped %+v", marked)
	}
}

func TestBuildPVT(t *testing.T) {
	e, ix, ps := fixture(t)
	in, err := BuildPVT(e, ix, ps, PVTSpec{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "region"})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Strata) != 2 || in.Strata[0].N != 2 || len(in.Reports) != 2 || in.Reports[0].Total != 590 {
		t.Fatalf("frame and sample: %+v", in)
	}
	// Official A: 1400 of 2360 valid = 59.32 %.
	if a := in.Official["A"]; a < 59.32 || a > 59.33 {
		t.Fatalf("official share of A %.3f", a)
	}
	if len(in.CannotWin) != 0 {
		t.Fatalf("no option is against all, yet CannotWin %v", in.CannotWin)
	}
	// An option of kind against-all cannot win: the PVT's lead leaves it out.
	e.Options[1].Kind = election.AgainstAll
	if in, err = BuildPVT(e, ix, ps, PVTSpec{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "region"}); err != nil || len(in.CannotWin) != 1 || in.CannotWin[0] != e.Options[1].Name {
		t.Fatalf("CannotWin %v, err %v", in.CannotWin, err)
	}
	if in, _ = BuildPVT(e, ix, ps, PVTSpec{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "region", Options: []string{"A"}}); len(in.CannotWin) != 0 {
		t.Fatalf("an option not estimated is listed as unable to win: %v", in.CannotWin)
	}
	e.Options[1].Kind = election.Candidate
	// An attribute as a second stratum key.
	in, err = BuildPVT(e, ix, ps, PVTSpec{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "region,urban", Options: []string{"B"}})
	if err != nil || len(in.Strata) != 4 || len(in.Options) != 1 {
		t.Fatalf("composite strata: %+v %v", in, err)
	}
	for _, bad := range []PVTSpec{
		{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "planet"},
		{Sample: election.Observer, Official: election.OfficialFinal},
		{Sample: election.Recount, Official: election.OfficialFinal, Stratum: "region"},
		{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "region", Options: []string{"A", "A"}},
	} {
		if _, err := BuildPVT(e, ix, ps, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// The stations refused before any test are counted by reason: one station
// with no protocol of the source, one whose protocol has no ballot at all.
func TestStationsRefused(t *testing.T) {
	_, ix, ps := fixture(t)
	var kept []*election.Protocol
	for _, p := range ps {
		switch {
		case p.Source != election.OfficialFinal:
		case p.AreaID == ps[0].AreaID: // the first station: no official protocol
		default:
			kept = append(kept, p)
		}
	}
	var empty election.Figures
	empty.Set(election.Registered, 1000)
	last := kept[len(kept)-1]
	kept[len(kept)-1] = &election.Protocol{ID: last.ID, AreaID: last.AreaID, Source: last.Source, Version: 1, Figures: empty, Votes: []int64{0, 0}}
	chosen, _ := tally.Choose(ix, kept, tally.Selector{})
	rows, refused := StationsRefused(ix, chosen, 0)
	want := map[string]int{forensics.ExclNoProtocol: 1, forensics.ExclNotReported: 1}
	if len(rows) != 2 || !maps.Equal(refused, want) {
		t.Errorf("%d rows, refused %v; want 2 and %v", len(rows), refused, want)
	}
}

// StationsListed names the stations behind the counts: the refused ones
// and those with impossible figures, by reason.
func TestStationsListed(t *testing.T) {
	_, ix, ps := fixture(t)
	var kept []*election.Protocol
	for _, p := range ps {
		if p.Source == election.OfficialFinal && p.AreaID != ps[0].AreaID {
			kept = append(kept, p)
		}
	}
	// The second kept station (S1): 700 votes for A against 600 ballots.
	bad := *kept[1]
	bad.Votes = []int64{700, 0}
	kept[1] = &bad
	chosen, _ := tally.Choose(ix, kept, tally.Selector{})
	rows, list, refused := StationsListed(ix, chosen, 0)
	if len(rows) != 3 || refused[forensics.ExclNoProtocol] != 1 || len(refused) != 1 {
		t.Fatalf("%d rows, refused %v", len(rows), refused)
	}
	want := Exclusions{
		forensics.ExclNoProtocol:   {{ID: 3, Name: "North / N1"}},
		forensics.ExclLeaderAboveR: {{ID: 6, Name: "South / S1"}},
	}
	if len(list) != len(want) {
		t.Fatalf("listed %v, want %v", list, want)
	}
	for why, l := range want {
		if !slices.Equal(list[why], l) {
			t.Errorf("%s: %v, want %v", why, list[why], l)
		}
	}
}

func TestWithExclusions(t *testing.T) {
	b, err := WithExclusions(map[string]int{"a": 1}, Exclusions{"why": {{ID: 7, Name: "X / 7"}}})
	if err != nil || string(b) != `{"a":1,"excluded_stations":{"why":[{"id":7,"name":"X / 7"}]}}` {
		t.Fatalf("%s %v", b, err)
	}
	if b, err := WithExclusions(struct{}{}, nil); err != nil || string(b) != `{"excluded_stations":{}}` {
		t.Fatalf("%s %v", b, err)
	}
	if _, err := WithExclusions([]int{1}, nil); err == nil {
		t.Fatal("an array took a field")
	}
}
