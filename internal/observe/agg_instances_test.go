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

// TestAggregatesAcrossInstances: two instances (two handles on one
// PostgreSQL schema, each with its own group-commit writer) store reports
// of the same few stations and phases at the same moments, so that their
// transactions recompute the same groups at once. The aggregates must
// still be exactly what a rebuild computes: a group recomputed from a
// read that missed the other instance's uncommitted report would count
// reports twice or lose a conflict (issue 9, several servers on one
// PostgreSQL).
func TestAggregatesAcrossInstances(t *testing.T) {
	ctx := context.Background()
	w, svc2, forms, allKeys := newInstances(t)
	db1 := w.db
	const rounds, perInstance = 12, 8
	for round := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, 2*perInstance)
		for inst, svc := range []*Service{w.svc, svc2} {
			for i := range perInstance {
				rng := rand.New(rand.NewPCG(uint64(round), uint64(inst*100+i)))
				o := w.observers[rng.IntN(len(w.observers))]
				key := []string{"opening", "voting"}[rng.IntN(2)]
				// Two stations only: every round both instances write the
				// same groups.
				st := w.stations[rng.IntN(2)]
				sub := Submission{Principal: access.Principal{Role: access.Observer, OrgID: w.org, ObserverID: o.ID, Name: o.Name, Stations: allKeys},
					Channel: ChannelAPI, ClientID: fmt.Sprintf("inst%d-round%02d-%d", inst, round, i), ElectionID: w.eid, Form: key, AreaID: st,
					Answers: w.answers(rng, forms[key], st)}
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := svc.Submit(ctx, sub)
					var ve *ValidationError
					if errors.As(err, &ve) {
						for _, p := range ve.Problems {
							delete(sub.Answers, p.Question)
						}
						_, err = svc.Submit(ctx, sub)
					}
					if err != nil {
						errs <- fmt.Errorf("%s: %w", sub.ClientID, err)
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	sameAsRebuild(t, db1)
}

// newInstances is an aggregates world (newAggWorld) on a new PostgreSQL
// schema, its service the first instance, and a second instance's service
// on a second handle of the same schema: two group commits writing one
// database. It returns the forms observers report on and the stations
// they may report from.
func newInstances(t *testing.T) (w *aggWorld, svc2 *Service, forms map[string]*form.Form, stations map[string]bool) {
	t.Helper()
	addr := storetest.PostgresAddr(t)
	ctx := context.Background()
	db1, db2 := storetest.Open(t, addr), storetest.Open(t, addr)
	w = newAggWorld(t, db1, "inst1")
	svc2 = New(db2)
	t.Cleanup(svc2.Close)
	forms = map[string]*form.Form{}
	for _, k := range []string{"opening", "voting"} {
		sf, err := db1.FormByKey(ctx, w.org, k, "")
		if err != nil {
			t.Fatal(err)
		}
		forms[k] = sf.Form
	}
	stations = map[string]bool{}
	for _, id := range w.stations {
		stations[access.StationKey(w.eid, w.paths[id])] = true
	}
	return w, svc2, forms, stations
}

// sameAsRebuild fails the test unless the kept aggregates are exactly what
// a rebuild computes from the raw rows.
func sameAsRebuild(t *testing.T, db *store.DB) {
	t.Helper()
	before := aggSnapshot(t, db)
	if err := db.RebuildObservation(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := aggSnapshot(t, db)
	for tb := range after {
		if !reflect.DeepEqual(before[tb], after[tb]) {
			t.Errorf("table %s: incremental\n%v\nrebuilt\n%v", tb, before[tb], after[tb])
		}
	}
}
