package evidence_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/recommend/evidence"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// seedObserved writes a demo election of n stations, a fifth of them
// observed, and its observation (observers' reports and protocol copies).
func seedObserved(t *testing.T, db *store.DB, n int) *demo.ObservationSummary {
	t.Helper()
	ctx := context.Background()
	el := demo.Generate(5, demo.Params{Stations: n, ObservedShare: 0.2})
	stored, err := demo.Write(ctx, db, el)
	if err != nil {
		t.Fatal(err)
	}
	var facts demo.Observation
	for _, s := range el.Stations {
		if !s.Observed {
			continue
		}
		var f election.Figures
		f.Set(election.Registered, s.Registered)
		f.Set(election.BallotsReceived, s.True.Received)
		f.Set(election.BallotsIssuedEarly, s.True.IssuedEarly)
		f.Set(election.BallotsIssuedStation, s.True.IssuedStation)
		f.Set(election.BallotsIssuedMobile, s.True.IssuedMobile)
		f.Set(election.BallotsCancelled, s.True.Cancelled)
		f.Set(election.BallotsInBox, s.True.InBox)
		f.Set(election.Invalid, s.True.Invalid)
		f.Set(election.Valid, s.True.Valid())
		facts.Stations = append(facts.Stations, demo.ObservedStation{Path: []string{s.Region, s.District, s.Number},
			Stuffed: s.Stuffed > 0, Altered: s.Altered, Figures: f, Votes: s.True.Votes})
	}
	sum, err := demo.SeedObservation(ctx, db, stored.ID, 5, facts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// The observation demo reports at its sample of stations; the findings
// adapter gives them to the follow-up as the organisation's indicators,
// and the observer-access proposal reads them.
func TestFindingsFromObservation(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	sum := seedObserved(t, db, 300)
	src := evidence.Sources(db)
	ind, err := src.Findings.Indicators(ctx, demo.Name, sum.Organisation)
	if err != nil {
		t.Fatal(err)
	}
	var counting, restricted bool
	for _, i := range ind {
		if i.Phase == "counting" && i.Code == "assessed_negatively" && i.Of > 0 {
			counting = true
		}
		if i.Code == recommend.IndicatorObserversRestricted && i.Of > 0 {
			restricted = true
		}
	}
	if !counting || !restricted {
		t.Fatalf("indicators %+v", ind)
	}
	if none, err := src.Findings.Indicators(ctx, demo.Name, "Nobody"); err != nil || len(none) != 0 {
		t.Errorf("an unknown organisation has findings: %v %v", none, err)
	}

	// A mission of that organisation to that election: the proposal on
	// observers' access quotes the findings.
	ds := demo.RecommendationsDataset(demo.RecommendationOptions{Organisation: sum.Organisation, Elections: map[int]string{2022: demo.Name}})
	x := recommend.NewIndex(ds)
	ps, err := recommend.ProposeAll(ctx, x, "kz-2022-presidential-final", src.Results, src.Findings)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range ps {
		if p.Topic == recommend.ObserverAccess {
			found = p.OK && strings.Contains(p.Reasoning, "observers were restricted in")
			t.Log(p.Reasoning)
		}
	}
	if !found {
		t.Fatalf("no observer-access proposal from the findings: %+v", ps)
	}
}
