package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// ObsChildren below the country lists the deployed stations at level 1
// (found from the root's children since the dashboard's cut) and no
// deployed station deeper; below a region, its deployed stations.
func TestObsChildrenStations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var rows []store.Row
		for i, p := range [][]string{{"S top"}, {"S top 2"}, {"R1", "S r1"}, {"R1", "D1", "S d1"}, {"R2", "D2", "S d2"}} {
			var f election.Figures
			f.Set(election.Registered, 10)
			rows = append(rows, store.Row{Line: i + 2, Path: p, Figures: f, Votes: []int64{1}})
		}
		e := &election.Election{Name: "obs-children", Kind: election.Presidential}
		if _, err := db.Import(ctx, store.ImportRequest{Create: e, AreaLevels: []string{"region", "district", "station"}, Source: election.OfficialPreliminary,
			File: "a.csv", Options: []string{"A"}}, storetest.Rows(rows)); err != nil {
			t.Fatal(err)
		}
		org, err := db.EnsureOrganisation(ctx, "Children Mission", "domestic")
		if err != nil {
			t.Fatal(err)
		}
		areas, err := db.Areas(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]election.Area{}
		for _, a := range areas {
			byName[a.Name] = a
		}
		// Every station deployed but "S top 2"; "S top" reported.
		for _, name := range []string{"S top", "S top 2", "S r1", "S d1", "S d2"} {
			dep, usable := 1, 0
			if name == "S top 2" {
				dep = 0
			}
			if name == "S top" {
				usable = 1
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO obs_stations (org_id, election_id, area_id, deployed, usable, open_conflicts) VALUES ($1, $2, $3, $4, $5, 0)`,
				org.ID, e.ID, byName[name].ID, dep, usable); err != nil {
				t.Fatal(err)
			}
		}
		names := func(node int64) []string {
			t.Helper()
			ns, err := db.ObsChildren(ctx, org.ID, e.ID, node)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, n := range ns {
				if !n.Station || n.Deployed != 1 {
					t.Errorf("node %d: child %+v, want a deployed station", node, n)
				}
				if n.Name == "S top" && n.Reported != 1 {
					t.Errorf("S top: %+v, want reported", n)
				}
				out = append(out, n.Name)
			}
			slices.Sort(out)
			return out
		}
		if got, want := names(0), []string{"S top"}; !slices.Equal(got, want) {
			t.Errorf("ObsChildren(country) stations = %q, want %q", got, want)
		}
		if got, want := names(byName["R1"].ID), []string{"S r1"}; !slices.Equal(got, want) {
			t.Errorf("ObsChildren(R1) stations = %q, want %q", got, want)
		}
		if got, want := names(byName["D2"].ID), []string{"S d2"}; !slices.Equal(got, want) {
			t.Errorf("ObsChildren(D2) stations = %q, want %q", got, want)
		}
	})
}
