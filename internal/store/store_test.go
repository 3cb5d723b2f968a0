package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

func station(line int, votes []int64, path ...string) store.Row {
	var f election.Figures
	var valid int64
	for _, v := range votes {
		valid += v
	}
	f.Set(election.Registered, 1000)
	f.Set(election.BallotsIssuedStation, valid+10)
	f.Set(election.BallotsInBox, valid+10)
	f.Set(election.Invalid, 10)
	f.Set(election.Valid, valid)
	return store.Row{Line: line, Path: path, Figures: f, Votes: votes}
}

func newElection(t *testing.T, db *store.DB) *election.Election {
	t.Helper()
	e := &election.Election{Name: "test-2022", Kind: election.Presidential, Country: "KZ", Date: "2022-11-20",
		Options: []election.Option{{Name: "A"}, {Name: "B"}}}
	if err := db.CreateElection(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestElectionRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		e.Config.Tolerances = map[string]election.Tolerance{"X": {Absolute: 2}}
		if err := db.UpdateConfig(ctx, e.ID, e.Config); err != nil {
			t.Fatal(err)
		}
		got, err := db.ElectionByName(ctx, "test-2022")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != e.Name || got.Kind != e.Kind || got.Country != "KZ" || len(got.Options) != 2 || got.Options[1].Name != "B" {
			t.Fatalf("got %+v", got)
		}
		if got.Config.Tolerances["X"].Absolute != 2 {
			t.Fatalf("config not kept: %+v", got.Config)
		}
		if err := db.CreateElection(ctx, &election.Election{Name: "test-2022", Kind: election.Presidential}); err == nil {
			t.Fatal("a second election with the same name was accepted")
		}
		if _, err := db.ElectionByName(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("want ErrNotFound, got %v", err)
		}
	})
}

func TestImportVersionsAndAreas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		rows := []store.Row{
			station(2, []int64{100, 50}, "North", "D1", "1"),
			station(3, []int64{80, 70}, "North", "D1", "2"),
			station(4, []int64{10, 5}, "South", "D9", "7"),
		}
		rows[0].Attrs = map[string]string{"urban": "1"}
		b, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "a.csv", SHA256: "abc", Options: []string{"A", "B"}}, storetest.Rows(rows))
		if err != nil {
			t.Fatal(err)
		}
		if b.Rows != 3 {
			t.Fatalf("batch rows %d", b.Rows)
		}
		areas, err := db.Areas(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		// root + North, South + D1, D9 + three stations
		if len(areas) != 8 {
			t.Fatalf("want 8 areas, got %d: %+v", len(areas), areas)
		}
		st, err := db.AreaByPath(ctx, e.ID, []string{"North", "D1", "1"})
		if err != nil {
			t.Fatal(err)
		}
		if !st.Station || st.Level != 3 || st.Attrs["urban"] != "1" {
			t.Fatalf("station %+v", st)
		}
		// A second import of the same source adds version 2 for one
		// station, with an option the election did not have.
		r := station(2, []int64{90, 60, 5}, "North", "D1", "1")
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "b.csv", Options: []string{"B", "A", "C"}}, storetest.Rows([]store.Row{r})); err != nil {
			t.Fatal(err)
		}
		ps, err := db.AreaProtocols(ctx, e.ID, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].Version != 1 || ps[1].Version != 2 {
			t.Fatalf("versions: %+v", ps)
		}
		// B,A,C in the file map to positions 1,0,2 of the election.
		if !reflect.DeepEqual(ps[1].Votes, []int64{60, 90, 5}) {
			t.Fatalf("votes of version 2 = %v", ps[1].Votes)
		}
		if !reflect.DeepEqual(ps[0].Votes, []int64{100, 50}) {
			t.Fatalf("version 1 changed: %v", ps[0].Votes)
		}
		if n, ok := ps[0].Figures.Get(election.BallotsIssued); !ok || n != 160 {
			t.Fatalf("derived ballots issued = %d %v", n, ok)
		}
		if ps[0].Figures.Has(election.BallotsReceived) {
			t.Fatal("an absent figure came back as present")
		}
		latest, err := db.Protocols(ctx, e.ID, election.OfficialFinal)
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) != 3 {
			t.Fatalf("latest protocols: %d", len(latest))
		}
		e2, _ := db.Election(ctx, e.ID)
		if len(e2.Options) != 3 || e2.Options[2].Name != "C" {
			t.Fatalf("options %+v", e2.Options)
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		// Enough rows to cross several flushes before the failure.
		n := 0
		bad := errors.New("x.csv:9001: column \"valid\": value \"12a\": expected a whole number")
		next := func() (store.Row, error) {
			n++
			if n == 9001 {
				return store.Row{}, bad
			}
			return station(n, []int64{1, 2}, "R", fmt.Sprint(n%7), fmt.Sprint(n)), nil
		}
		_, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "x.csv", Options: []string{"A", "B"}}, next)
		if !errors.Is(err, bad) {
			t.Fatalf("want the row error back, got %v", err)
		}
		assertEmpty(t, db, e.ID)

		// A station twice in one file is refused, naming both lines.
		_, err = db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "y.csv", Options: []string{"A", "B"}},
			storetest.Rows([]store.Row{station(2, []int64{1, 1}, "R", "1"), station(3, []int64{1, 1}, "R", "1")}))
		if err == nil || !strings.Contains(err.Error(), "y.csv:3") || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("duplicate station: %v", err)
		}
		assertEmpty(t, db, e.ID)
	})
}

func assertEmpty(t *testing.T, db *store.DB, electionID int64) {
	t.Helper()
	for _, q := range []string{`SELECT count(*) FROM protocols`, `SELECT count(*) FROM batches`, `SELECT count(*) FROM areas WHERE level > 0`} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%s = %d after a failed import", q, n)
		}
	}
}

func TestMigrateTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Opening an up-to-date database again applies nothing and fails nothing.
		db2, err := store.Open(context.Background(), addrOf(t, db))
		if err != nil {
			t.Fatal(err)
		}
		db2.Close()
	})
}

func addrOf(t *testing.T, db *store.DB) string {
	t.Helper()
	if db.Dialect == store.SQLite {
		return db.Addr
	}
	var sp string
	if err := db.QueryRow(`SHOW search_path`).Scan(&sp); err != nil {
		t.Fatal(err)
	}
	return "" + strings.Split(db.Addr, "?")[0] + "?sslmode=disable&search_path=" + sp
}

func TestProtocolsReferToAreasOfTheirElection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		other := &election.Election{Name: "other", Kind: election.Presidential}
		if err := db.CreateElection(ctx, other); err != nil {
			t.Fatal(err)
		}
		root, err := db.AreaByPath(ctx, other.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		// An area of another election is refused, and so is one that does not exist.
		for _, area := range []int64{root.ID, 987654} {
			p := &election.Protocol{AreaID: area, Source: election.Observer, Votes: []int64{1, 2}}
			err := db.InTx(ctx, func(tx *sql.Tx) error { return store.InsertProtocol(ctx, tx, e.ID, p) })
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("protocol for area %d of another election: %v", area, err)
			}
		}
	})
}

// TestSecondSummaryFile: a second file of district summaries (a corrected
// one) gives the districts a second version; the import looked versions up
// only for stations and failed on the (area, source, version) key.
func TestSecondSummaryFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "stations.csv", Options: []string{"A", "B"}},
			storetest.Rows([]store.Row{station(2, []int64{1, 2}, "R", "D1", "S1"), station(3, []int64{3, 4}, "R", "D2", "S2")})); err != nil {
			t.Fatal(err)
		}
		for i, votes := range [][]int64{{5, 6}, {7, 8}} {
			rows := []store.Row{station(2, votes, "R", "D1"), station(3, votes, "R", "D2")}
			if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.Summary, File: fmt.Sprintf("summaries%d.csv", i+1), Options: []string{"A", "B"}}, storetest.Rows(rows)); err != nil {
				t.Fatalf("summary file %d: %v", i+1, err)
			}
		}
		d1, err := db.AreaByPath(ctx, e.ID, []string{"R", "D1"})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := db.Protocols(ctx, e.ID, election.Summary)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range ps {
			if p.AreaID == d1.ID {
				found = true
				if p.Version != 2 || p.Votes[0] != 7 {
					t.Fatalf("D1's current summary: version %d, votes %v; want version 2, votes [7 8]", p.Version, p.Votes)
				}
			}
		}
		if !found {
			t.Fatal("no summary of D1")
		}
	})
}
