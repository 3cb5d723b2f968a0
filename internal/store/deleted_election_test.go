package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestReportsOfADeletedElection: a report that reaches the writer after
// its election was deleted (the intake checked the election before) is
// refused in words (it was refused before, by a foreign key of the
// aggregates, in the database's), and no report of no election is left; a
// batch with reports of a live election beside it fails whole, for the
// group commit to replay one by one.
func TestReportsOfADeletedElection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.EnsureOrganisation(ctx, "Mission", "international")
		if err != nil {
			t.Fatal(err)
		}
		sf, err := db.SaveForm(ctx, org.ID, form.CountingTemplate())
		if err != nil {
			t.Fatal(err)
		}
		var els []*election.Election
		for _, name := range []string{"gone", "live"} {
			e := &election.Election{Name: name, Kind: election.Presidential, Options: []election.Option{{Name: "A"}}}
			if err := db.CreateElection(ctx, e); err != nil {
				t.Fatal(err)
			}
			els = append(els, e)
		}
		report := func(e *election.Election, cid string) *store.Report {
			root, err := db.RootArea(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			return &store.Report{OrgID: org.ID, ElectionID: e.ID, FormID: sf.ID, Phase: "counting", AreaID: root.ID,
				Channel: "api", ClientID: cid, Answers: []byte(`{}`), Submitted: time.Now(), Received: time.Now()}
		}
		gone, live := report(els[0], "g1"), report(els[1], "l1")
		if err := db.DeleteElection(ctx, els[0].ID); err != nil {
			t.Fatal(err)
		}
		for _, rs := range [][]*store.Report{{gone}, {live, gone}} {
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := store.InsertReports(ctx, tx, db.Dialect, rs)
				return err
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%d reports, one of a deleted election: %v, want ErrNotFound", len(rs), err)
			}
			// The same in the group commit's transaction, where on
			// PostgreSQL the check waits for the next round trip.
			err = store.InPipeline(ctx, db, func(pt store.PipeTest) error {
				if _, err := store.InsertReports(ctx, pt.Q, db.Dialect, rs); err != nil {
					return err
				}
				return pt.Flush()
			})
			// In words a client may be shown (the API answers 404 with
			// them): not the statement that checked.
			if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "an election of these reports") || strings.Contains(err.Error(), "SELECT") {
				t.Errorf("%d reports, one of a deleted election, in a pipeline: %v, want ErrNotFound", len(rs), err)
			}
		}
		if n, err := db.CountReports(ctx, org.ID); err != nil || n != 0 {
			t.Errorf("%d reports stored (%v), want none", n, err)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := store.InsertReports(ctx, tx, db.Dialect, []*store.Report{report(els[1], "l2")})
			return err
		}); err != nil {
			t.Errorf("a report of the live election: %v", err)
		}
	})
}
