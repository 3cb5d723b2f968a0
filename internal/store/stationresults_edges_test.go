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
