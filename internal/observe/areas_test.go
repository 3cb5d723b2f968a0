package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// The index of an election's areas, by which a report naming its station
// by number is placed, is read whole once, not again while the election's
// areas do not change: at 1,000,000 stations a load read every area (about
// 4 s of PostgreSQL) and ran every minute, every submission waiting for it
// (issue 9), nor after an import that adds no area (a night's results
// imports). A station an import adds is found: the stale index is read
// afresh for a report naming it.
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
		// A results import of known stations: no area changes, no load,
		// once the feed has heard of the import.
		importRows := func(paths ...[]string) {
			t.Helper()
			before, err := db.Changes().Seq(ctx, w.eid, store.ChangeProtocols)
			if err != nil {
				t.Fatal(err)
			}
			var rows []store.Row
			for i, p := range paths {
				var f election.Figures
				f.Set(election.Registered, 1000)
				f.Set(election.BallotsIssuedStation, 310)
				f.Set(election.BallotsInBox, 310)
				f.Set(election.Invalid, 10)
				f.Set(election.Valid, 300)
				rows = append(rows, store.Row{Line: i + 2, Path: p, Figures: f, Votes: []int64{200, 100}})
			}
			if _, err := db.Import(ctx, store.ImportRequest{ElectionID: w.eid, Source: election.OfficialPreliminary, File: fmt.Sprintf("results-%d.csv", len(paths)),
				Options: []string{"A", "B"}, AreaLevels: []string{"region", "district", "station"}}, storetest.Rows(rows)); err != nil {
				t.Fatal(err)
			}
			for i := 0; ; i++ {
				seq, err := db.Changes().Seq(ctx, w.eid, store.ChangeProtocols)
				if err != nil {
					t.Fatal(err)
				}
				if seq > before {
					break
				}
				if i == 200 {
					t.Fatal("the import's change did not reach the feed in 5 s")
				}
				time.Sleep(25 * time.Millisecond)
			}
		}
		importRows(w.paths[w.stations[0]], w.paths[w.stations[1]])
		for _, st := range w.stations[:3] {
			if _, err := submit(numberOf(st)); err != nil {
				t.Fatal(err)
			}
		}
		if got := w.svc.areaLoads.Load(); got != 1 {
			t.Fatalf("after a results import of known stations, %d loads, want 1", got)
		}
		// A station added by an import: the next report naming it finds it.
		parent := w.paths[w.stations[0]]
		importRows([]string{parent[0], parent[1], "999"})
		var added int64
		sp, _ := json.Marshal([]string{parent[0], parent[1], "999"})
		if err := db.QueryRowContext(ctx, `SELECT id FROM areas WHERE election_id = $1 AND path = $2`, w.eid, string(sp)).Scan(&added); err != nil {
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

// A restarted instance loads, as it starts, the area index of the newest
// elections observed, so that its first reports do not wait for it (6.3 s
// at 1,000,000 stations), and not the index of an election nobody
// observes, nor of an older observed election beyond warmElections (a
// database keeps earlier years'); a report after the warm-up loads
// nothing. A closed service does not warm.
func TestWarmAreas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(5, 5))
		n := 0
		submit := func(svc *Service, w *aggWorld, number int64) *Receipt {
			t.Helper()
			sf, err := db.FormByKey(ctx, w.org, "voting", "")
			if err != nil {
				t.Fatal(err)
			}
			n++
			a := w.answers(rng, sf.Form, 0)
			a[form.StationID] = form.IntValue(number)
			rc, err := svc.Submit(ctx, Submission{Principal: w.admin, Channel: ChannelAPI, ClientID: fmt.Sprintf("warm-report-%d", n), ElectionID: w.eid, Form: "voting", Answers: a})
			if err != nil {
				t.Fatal(err)
			}
			return rc
		}
		// Observed elections, oldest first, one more than are warmed.
		var observed []*aggWorld
		for i := range warmElections + 1 {
			w := newAggWorld(t, db, fmt.Sprintf("warm%d", i))
			submit(w.svc, w, 101)
			observed = append(observed, w)
		}
		quiet := newAggWorld(t, db, "quiet") // the newest, but no report or deployment touches it

		svc := New(db) // the restarted instance
		t.Cleanup(svc.Close)
		ids, err := svc.AreasToWarm(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for i := len(observed) - 1; i >= 1; i-- {
			want = append(want, observed[i].eid)
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("elections to warm %v, want %v (the newest observed, not %d, the oldest, nor %d, unobserved)", ids, want, observed[0].eid, quiet.eid)
		}
		if err := svc.WarmAreas(ctx, ids); err != nil {
			t.Fatal(err)
		}
		if got := svc.areaLoads.Load(); got != int64(len(want)) {
			t.Fatalf("the warm-up loaded %d indexes, want %d", got, len(want))
		}
		svc.mu.Lock()
		for _, id := range want {
			if svc.areas[id] == nil {
				t.Errorf("election %d's index not loaded", id)
			}
		}
		svc.mu.Unlock()
		newest := observed[len(observed)-1]
		if rc := submit(svc, newest, 102); rc.AreaID != newest.stations[1] {
			t.Fatalf("station 102 placed at area %d, want %d", rc.AreaID, newest.stations[1])
		}
		if got := svc.areaLoads.Load(); got != int64(len(want)) {
			t.Fatalf("a report after the warm-up loaded an index again: %d loads", got)
		}

		closed := New(db)
		closed.Close()
		if err := closed.WarmAreas(ctx, ids); err == nil {
			t.Fatal("a closed service warmed its indexes")
		}
		if got := closed.areaLoads.Load(); got != 0 {
			t.Fatalf("a closed service loaded %d indexes", got)
		}
	})
}
