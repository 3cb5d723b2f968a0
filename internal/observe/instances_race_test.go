package observe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestInstancesRosterRebuildBesideReports: a roster import that moves an
// observer to another team rebuilds the organisation's aggregates
// (rebuildObservation: DELETE FROM obs_* WHERE org_id, then obsApply
// scope by scope, which only then takes lockObs's locks). Meanwhile
// another instance commits reports of the organisation. Rows that
// instance inserted (uncommitted when the DELETE ran) survive the DELETE;
// the rebuild then counts its reports again on top of them, or waits
// for its locks in a cycle with the writer.
func TestInstancesRosterRebuildBesideReports(t *testing.T) {
	addr := storetest.PostgresAddr(t)
	ctx := context.Background()
	open := func() *store.DB {
		db, err := store.Open(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1, db2 := open(), open()
	w := newAggWorld(t, db1, "inst1")
	svc2 := New(db2)
	t.Cleanup(svc2.Close)
	forms := map[string]*form.Form{}
	for _, k := range []string{"opening", "voting"} {
		sf, err := db1.FormByKey(ctx, w.org, k, "")
		if err != nil {
			t.Fatal(err)
		}
		forms[k] = sf.Form
	}
	allKeys := map[string]bool{}
	for _, id := range w.stations {
		allKeys[access.AreaKey(w.paths[id])] = true
	}
	var rosterErrs, submitErrs []error
	var mu sync.Mutex
	const rounds = 10
	for round := range rounds {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			// O8 (no team) and O9 move between teams: every import moves one.
			var roster []store.Observer
			for _, o := range w.observers {
				c := store.Observer{Code: o.Code, Name: o.Name, Phone: o.Phone, Team: o.Team}
				if c.Code == "O8" || c.Code == "O9" {
					c.Team = fmt.Sprintf("T%d", round%4)
				}
				roster = append(roster, c)
			}
			if _, _, err := db1.ImportRoster(ctx, w.org, roster); err != nil {
				mu.Lock()
				rosterErrs = append(rosterErrs, err)
				mu.Unlock()
			}
		}()
		for i := range 12 {
			rng := rand.New(rand.NewPCG(uint64(round), uint64(i)))
			o := w.observers[rng.IntN(len(w.observers))]
			key := []string{"opening", "voting"}[rng.IntN(2)]
			st := w.stations[rng.IntN(len(w.stations))]
			sub := Submission{Principal: access.Principal{Role: access.Observer, OrgID: w.org, ObserverID: o.ID, Name: o.Name, Stations: allKeys},
				Channel: ChannelAPI, ClientID: fmt.Sprintf("review-roster-%02d-%02d", round, i), ElectionID: w.eid, Form: key, AreaID: st,
				Answers: w.answers(rng, forms[key], st)}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svc2.Submit(ctx, sub)
				var ve *ValidationError
				if errors.As(err, &ve) {
					for _, p := range ve.Problems {
						delete(sub.Answers, p.Question)
					}
					_, err = svc2.Submit(ctx, sub)
				}
				if err != nil {
					mu.Lock()
					submitErrs = append(submitErrs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	for _, err := range rosterErrs {
		t.Errorf("roster import: %v", err)
	}
	for _, err := range submitErrs {
		t.Errorf("submission: %v", err)
	}
	before := aggSnapshot(t, db1)
	if err := db1.RebuildObservation(ctx); err != nil {
		t.Fatal(err)
	}
	after := aggSnapshot(t, db1)
	for tb := range after {
		if !reflect.DeepEqual(before[tb], after[tb]) {
			t.Errorf("table %s: incremental\n%v\nrebuilt\n%v", tb, before[tb], after[tb])
		}
	}
}
