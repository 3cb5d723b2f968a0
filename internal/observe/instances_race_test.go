package observe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/store"
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
	ctx := context.Background()
	w, svc2, forms, allKeys := newInstances(t)
	db1 := w.db
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
	sameAsRebuild(t, db1)
}
