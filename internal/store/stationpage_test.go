package store_test

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestAreaAncestors: the one-statement walk up the parents gives what
// walking with Area gives, for every area, and refuses what Area refuses.
func TestAreaAncestors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, _ := aggElection(t, db, rand.New(rand.NewPCG(3, 4)), 2, 2, 2)
		areas, err := db.Areas(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range areas {
			var want []election.Area
			for p := a.ParentID; p != 0; {
				pa, err := db.Area(ctx, e.ID, p)
				if err != nil {
					t.Fatal(err)
				}
				want = append([]election.Area{pa}, want...)
				p = pa.ParentID
			}
			for range 3 { // the third goes through a kept statement on SQLite
				got, err := db.AreaAncestors(ctx, e.ID, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("area %d %v: ancestors %+v, want %+v", a.ID, a.Path, got, want)
				}
				self, up, err := db.AreaWithAncestors(ctx, e.ID, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(self, a) || !reflect.DeepEqual(up, want) {
					t.Fatalf("area %d %v: AreaWithAncestors %+v, %+v; want %+v, %+v", a.ID, a.Path, self, up, a, want)
				}
			}
		}
		if _, err := db.AreaAncestors(ctx, e.ID, areas[len(areas)-1].ID+1000); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown area: %v, want ErrNotFound", err)
		}
		if _, err := db.AreaAncestors(ctx, e.ID+1, areas[len(areas)-1].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another election's area: %v, want ErrNotFound", err)
		}
		if _, _, err := db.AreaWithAncestors(ctx, e.ID+1, areas[len(areas)-1].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AreaWithAncestors, another election's area: %v, want ErrNotFound", err)
		}
	})
}

// TestStationResults: a station's results and versions read in one
// statement are what ResultTree and AreaProtocols give, for every station
// and source, after random imports of every source, recounts, summaries,
// observers' copies and configuration changes.
func TestStationResults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(11, 12))
		e, paths := aggElection(t, db, rng, 2, 2, 4)
		for step := range 12 {
			randomStep(t, db, rng, e, paths, step)
		}
		areas, err := db.Areas(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var sawCurrent, sawDiffers, sawVersions, sawNone bool
		for _, a := range areas {
			if !a.Station {
				if _, _, err := db.StationResults(ctx, e.ID, election.OfficialFinal, a); err == nil {
					t.Errorf("area %d is not a station: no error", a.ID)
				}
				continue
			}
			wantPs, err := db.AreaProtocols(ctx, e.ID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			sawVersions = sawVersions || len(wantPs) > 2
			for _, src := range append(election.Sources, "nonesuch") {
				tree, err := db.ResultTree(ctx, e.ID, src, a.ID, 1)
				if err != nil {
					t.Fatal(err)
				}
				for range 2 { // the second through a kept statement on SQLite
					got, ps, err := db.StationResults(ctx, e.ID, src, a)
					if err != nil {
						t.Fatal(err)
					}
					if len(tree) != 1 || !reflect.DeepEqual(got, tree[0]) {
						t.Fatalf("station %v, %s: %+v, want %+v", a.Path, src, got, tree[0])
					}
					if !reflect.DeepEqual(ps, wantPs) {
						t.Fatalf("station %v, %s: protocols %+v, want %+v", a.Path, src, ps, wantPs)
					}
				}
				sawCurrent = sawCurrent || tree[0].Stations == 1
				sawNone = sawNone || tree[0].Stations == 0
				sawDiffers = sawDiffers || tree[0].Differs > 0
			}
		}
		if !sawCurrent || !sawNone || !sawDiffers || !sawVersions {
			t.Errorf("the steps did not give every case: current %v, none %v, differs %v, several versions %v", sawCurrent, sawNone, sawDiffers, sawVersions)
		}
	})
}

// TestKeptStatements: on SQLite a query asked twice is kept prepared, and
// a kept statement reads what was committed after it last ran (a statement
// left mid-rows would otherwise hold its connection's old snapshot). The
// same sequence must hold on PostgreSQL, where nothing is kept.
func TestKeptStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, _ := aggElection(t, db, rand.New(rand.NewPCG(5, 6)), 1, 1, 3)
		root, err := db.RootArea(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		before := store.KeptStatements(db)
		for range 4 {
			n, err := db.StationsUnder(ctx, e.ID, root)
			if err != nil || n != 3 {
				t.Fatalf("StationsUnder: %d, %v; want 3", n, err)
			}
			// Read one row of several and stop: the statement must be
			// reset, not left holding a read transaction.
			if _, err := db.Children(ctx, e.ID, root.ID); err != nil {
				t.Fatal(err)
			}
		}
		kept := store.KeptStatements(db)
		if db.Dialect == store.SQLite && kept <= before {
			t.Errorf("kept statements %d → %d: the repeated queries were not kept", before, kept)
		}
		if db.Dialect == store.Postgres && kept != 0 {
			t.Errorf("PostgreSQL keeps %d statements, want none (pgx caches its own)", kept)
		}
		// A station more, committed by an import: the kept statement sees it.
		f, v := randomFigures(rand.New(rand.NewPCG(7, 8)), 3)
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialPreliminary, File: "more.csv", Options: []string{"A", "B", "C"}},
			storetest.Rows([]store.Row{{Line: 2, Path: []string{"R0", "D0.0", "S-new"}, Figures: f, Votes: v}})); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if n, err := db.StationsUnder(ctx, e.ID, root); err != nil || n != 4 {
				t.Fatalf("StationsUnder after the import: %d, %v; want 4", n, err)
			}
		}
	})
}

// TestStationResultsEdges: what StationResults gives equals ResultTree and
// AreaProtocols for a newer version in a pending import
// batch, a station with no protocol at all, a station whose parent is in a
// pending batch.
func TestStationResultsEdges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, _ := aggElection(t, db, rand.New(rand.NewPCG(5, 6)), 1, 1, 3)
		areas, err := db.Areas(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var st []election.Area
		var district election.Area
		for _, a := range areas {
			if a.Station {
				st = append(st, a)
			} else if a.Level == 2 {
				district = a
			}
		}
		// 1. a pending batch with a newer official-preliminary version of st[0]
		var batch int64
		if err := db.QueryRowContext(ctx, `INSERT INTO batches (election_id, source, file, sha256, created, pending) VALUES ($1, 'official-preliminary', 'p.csv', 'x', '2026-01-01T00:00:00Z', 'lease') RETURNING id`, e.ID).Scan(&batch); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			p := &election.Protocol{AreaID: st[0].ID, Source: election.OfficialPreliminary}
			p.Figures.Set(election.Registered, 999)
			if err := store.InsertProtocol(ctx, tx, e.ID, p); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE protocols SET batch_id = $1 WHERE id = $2`, batch, p.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// 2. a station with no protocol
		var bare election.Area
		if err := db.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, $2, 3, 'bare', '["R0","D0.0","bare"]', 1) RETURNING id`, e.ID, district.ID).Scan(&bare.ID); err != nil {
			t.Fatal(err)
		}
		bare, err = db.Area(ctx, e.ID, bare.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range append(st, bare) {
			wantPs, err := db.AreaProtocols(ctx, e.ID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range election.Sources {
				tree, err := db.ResultTree(ctx, e.ID, src, a.ID, 1)
				if err != nil {
					t.Fatal(err)
				}
				got, ps, err := db.StationResults(ctx, e.ID, src, a)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tree[0]) {
					t.Errorf("station %v %s: %+v, want %+v", a.Path, src, got, tree[0])
				}
				if !reflect.DeepEqual(ps, wantPs) {
					t.Errorf("station %v %s: %d protocols, want %d", a.Path, src, len(ps), len(wantPs))
				}
			}
		}
		// 3. the district moved into the pending batch: its stations' pages 404
		if _, err := db.ExecContext(ctx, `UPDATE areas SET batch_id = $1 WHERE id = $2`, batch, district.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AreaWithAncestors(ctx, e.ID, st[1].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("parent pending: %v, want ErrNotFound", err)
		}
	})
}
