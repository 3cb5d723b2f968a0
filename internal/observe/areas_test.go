package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// The index of an election's areas, by which a report naming its station
// by number is placed, is read whole once, not again while the election's
// areas do not change: at 1,000,000 stations a load read every area (about
// 4 s of PostgreSQL) and ran every minute, every submission waiting for it
// (issue 9). A station added afterwards (an import, announced on the feed)
// is found: the stale index is read afresh.
func TestAreaIndexFollowsTheElectionsAreas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAggWorld(t, db, "areas1")
		sf, err := db.FormByKey(ctx, w.org, "voting", "")
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(9, 9))
		n := 0
		submit := func(number int64) (*Receipt, error) {
			n++
			a := w.answers(rng, sf.Form, 0)
			a[form.StationID] = form.IntValue(number)
			return w.svc.Submit(ctx, Submission{Principal: w.admin, Channel: ChannelAPI, ClientID: fmt.Sprintf("area-index-%04d", n), ElectionID: w.eid, Form: "voting", Answers: a})
		}
		numberOf := func(station int64) int64 {
			var v int64
			fmt.Sscan(w.paths[station][2], &v)
			return v
		}
		for _, st := range w.stations[:6] {
			rc, err := submit(numberOf(st))
			if err != nil {
				t.Fatal(err)
			}
			if rc.AreaID != st {
				t.Fatalf("station number %d placed at area %d, want %d", numberOf(st), rc.AreaID, st)
			}
		}
		if got := w.svc.areaLoads.Load(); got != 1 {
			t.Fatalf("six reports read the election's areas %d times, want once", got)
		}
		// A station the index does not know: refused, and the index, as new
		// as the feed, is not read again for it.
		if _, err := submit(999); err == nil {
			t.Fatal("a report at station 999, not in the election, was stored")
		}
		if got := w.svc.areaLoads.Load(); got != 1 {
			t.Fatalf("after a report at an unknown station, %d loads, want 1", got)
		}
		// The station added (as an import adds it) and the change announced.
		parent := w.paths[w.stations[0]]
		var did int64
		dp, _ := json.Marshal(parent[:2])
		if err := db.QueryRowContext(ctx, `SELECT id FROM areas WHERE election_id = $1 AND path = $2`, w.eid, string(dp)).Scan(&did); err != nil {
			t.Fatal(err)
		}
		sp, _ := json.Marshal([]string{parent[0], parent[1], "999"})
		var added int64
		if err := db.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, $2, 3, '999', $3, 1) RETURNING id`,
			w.eid, did, string(sp)).Scan(&added); err != nil {
			t.Fatal(err)
		}
		if err := store.Touch(ctx, db, db.Dialect, []int64{w.eid}, store.ChangeElection); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Changes().Sync(ctx, w.eid); err != nil {
			t.Fatal(err)
		}
		rc, err := submit(999)
		if err != nil {
			t.Fatalf("a report at the station added: %v", err)
		}
		if rc.AreaID != added {
			t.Fatalf("station 999 placed at area %d, want %d", rc.AreaID, added)
		}
		loads := w.svc.areaLoads.Load()
		if loads != 2 {
			t.Fatalf("after the station was added, %d loads, want 2", loads)
		}
		for _, st := range w.stations[6:] {
			if _, err := submit(numberOf(st)); err != nil {
				t.Fatal(err)
			}
		}
		if got := w.svc.areaLoads.Load(); got != loads {
			t.Fatalf("reports after the reload read the areas %d more times", got-loads)
		}
	})
}
