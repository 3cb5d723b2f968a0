package stored_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/tally"
)

// inMemory is BuildPVT as the dashboard called it: over every area and
// protocol of the election.
func inMemory(t *testing.T, db *store.DB, e *election.Election, spec stored.PVTSpec) (*stored.PVTInput, error) {
	t.Helper()
	ctx := context.Background()
	areas, err := db.Areas(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := tally.NewIndex(areas)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*election.Protocol
	for _, src := range election.Sources {
		p, err := db.Protocols(ctx, e.ID, src)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p...)
	}
	return stored.BuildPVT(e, ix, ps, spec)
}

// TestBuildPVTStoreSameAsInMemory: the PVT input read from the store's
// counts and aggregates is BuildPVT's over every station, on both engines,
// for level strata by name and by number, all options or some; a station
// above the stratum's level gives BuildPVT's error; an attribute stratum
// is left to BuildPVT.
func TestBuildPVTStoreSameAsInMemory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, err := demo.Write(ctx, db, demo.Generate(5, demo.Params{Stations: 400, ObservedShare: 0.2}))
		if err != nil {
			t.Fatal(err)
		}
		specs := []stored.PVTSpec{
			{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "1"},
			{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "region"},
			{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "district"},
			{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "1", Options: []string{e.Options[1].Name, e.Options[0].Name}},
			{Sample: election.OfficialFinal, Official: election.OfficialPreliminary, Stratum: "2"},
		}
		for _, spec := range specs {
			want, werr := inMemory(t, db, e, spec)
			got, gerr := stored.BuildPVTStore(ctx, db, e, spec)
			if werr != nil || gerr != nil {
				t.Fatalf("%+v: in memory %v, from the store %v", spec, werr, gerr)
			}
			if len(want.Reports) == 0 || len(want.Strata) < 2 {
				t.Fatalf("%+v: %d reports, %d strata: the fixture tests nothing", spec, len(want.Reports), len(want.Strata))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%+v: from the store\n%+v\nin memory\n%+v", spec, got, want)
			}
		}
		attr := stored.PVTSpec{Sample: election.Observer, Official: election.OfficialFinal, Stratum: "urban"}
		if _, err := stored.BuildPVTStore(ctx, db, e, attr); !errors.Is(err, stored.ErrStratumNotLevel) {
			t.Errorf("attribute stratum: %v, want ErrStratumNotLevel", err)
		}
		// A station right under the root: no area at level 1 above it.
		var f election.Figures
		f.Set(election.Registered, 100)
		row := store.Row{Line: 2, Path: []string{"Lone station"}, Figures: f, Votes: make([]int64, len(e.Options))}
		var names []string
		for _, o := range e.Options {
			names = append(names, o.Name)
		}
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "lone.csv", Options: names}, storetest.Rows([]store.Row{row})); err != nil {
			t.Fatal(err)
		}
		spec := specs[0]
		_, werr := inMemory(t, db, e, spec)
		_, gerr := stored.BuildPVTStore(ctx, db, e, spec)
		if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
			t.Errorf("a station above the stratum: in memory %v, from the store %v; want the same error", werr, gerr)
		}
	})
}
