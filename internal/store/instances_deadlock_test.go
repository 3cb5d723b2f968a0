package store_test

// A deadlock between two instances' writers, found by a review (issue 9):
// the test failed before the fix.

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// waitFor polls pg_stat_activity until a backend waits on a lock while
// running a statement containing frag, or done reports true (what was
// to wait did not have to).
func waitFor(t *testing.T, db *store.DB, frag, waitEvent string, done func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if done() {
			return
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND ($2 = '' OR wait_event = $2) AND strpos(query, $1) > 0`, frag, waitEvent).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("no backend waiting on %q in %q", waitEvent, frag)
}

// An import's final transaction took the election's results lock, then
// SELECT config FROM elections … FOR UPDATE. A group commit holds FOR KEY
// SHARE on the same elections row (the foreign keys of the obs_* rows
// obsApply inserts for a new station) before it takes the results lock
// for an observer's protocol copy (writeBatch). FOR UPDATE conflicts with
// FOR KEY SHARE: each waited for the other. B only holds a KEY SHARE for a
// moment so that the two reach their waits in that order. The import now
// reads the configuration without locking its row (the results lock
// serialises its writers).
func TestInstancesImportFinishBesideGroupCommit(t *testing.T) {
	fx := newRaceFx(t, 0)
	ctx := context.Background()
	e := &election.Election{Name: "dl", Kind: election.Presidential, Options: []election.Option{{Name: "A"}, {Name: "B"}}}
	if err := fx.db1.CreateElection(ctx, e); err != nil {
		t.Fatal(err)
	}
	levels := []string{"region", "station"}
	if _, err := fx.db1.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialPreliminary, File: "a.csv",
		Options: []string{"A", "B"}, AreaLevels: levels},
		storetest.Rows([]store.Row{station(1, []int64{10, 20}, "R1", "S1"), station(2, []int64{5, 6}, "R1", "S2")})); err != nil {
		t.Fatal(err)
	}
	var st int64
	if err := fx.db1.QueryRow(`SELECT id FROM areas WHERE election_id = $1 AND station = 1 AND name = 'S1'`, e.ID).Scan(&st); err != nil {
		t.Fatal(err)
	}

	b, err := fx.db1.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback()
	if _, err := b.Exec(`SELECT 1 FROM elections WHERE id = $1 FOR KEY SHARE`, e.ID); err != nil {
		t.Fatal(err)
	}

	importErr := make(chan error, 1)
	var importDone atomic.Bool
	go func() {
		defer importDone.Store(true)
		_, err := fx.db1.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "b.csv",
			Options: []string{"A", "B"}, AreaLevels: levels},
			storetest.Rows([]store.Row{station(1, []int64{11, 20}, "R1", "S1"), station(2, []int64{5, 7}, "R1", "S2")}))
		importErr <- err
	}()
	waitFor(t, fx.db1, "SELECT config FROM elections", "", importDone.Load)

	w := store.NewGroupCommit(fx.db2)
	defer w.Close()
	now := time.Now().UTC()
	answers, _ := json.Marshal(map[string]any{"station": 1, "overall": "good"})
	p := &election.Protocol{AreaID: st, Source: election.Observer, Votes: []int64{3, 4}}
	p.Figures.Set(election.Valid, 7)
	job := &store.CommitJob{
		Report: &store.Report{OrgID: fx.org, ElectionID: e.ID, FormID: fx.formID, Phase: "voting", AreaID: st, Channel: "api",
			ClientID: "review2-dl-1", Answers: answers, Submitted: now, Received: now},
		Protocol: p,
		Audit:    store.AuditEntry{OrgID: fx.org, Actor: "test", Channel: "api", Action: "report.submit"},
	}
	submitErr := make(chan error, 1)
	var submitDone atomic.Bool
	go func() { _, err := w.Submit(ctx, job); submitDone.Store(true); submitErr <- err }()
	waitFor(t, fx.db1, "pg_advisory_xact_lock", "advisory", func() bool { return importDone.Load() || submitDone.Load() })

	b.Rollback() // B leaves: the import now waits for the writer, the writer for the import
	e1, e2 := <-importErr, <-submitErr
	for _, err := range []error{e1, e2} {
		if err != nil && strings.Contains(err.Error(), "deadlock") {
			t.Errorf("import's final transaction and a group commit deadlocked: %v", err)
		} else if err != nil {
			t.Errorf("unexpected: %v", err)
		}
	}
}

// Assign announced the change to the tokens' caches (election 0's row of
// the change feed) before the aggregates' advisory locks; a roster import
// that moves an observer holds its organisation's aggregates' lock and
// touches election 0 last. Each waited for the other, and PostgreSQL
// aborted one. X stands for the import: it holds the lock while Assign
// starts, then touches election 0 and commits. Found by a review; the
// touch now comes after the locks.
func TestInstancesAssignBesideRosterRebuild(t *testing.T) {
	fx := newRaceFx(t, 1)
	ctx := context.Background()
	obs := []store.Observer{{Code: "o1", Name: "O", Team: "T1"}}
	if _, _, err := fx.db1.ImportRoster(ctx, fx.org, obs); err != nil {
		t.Fatal(err)
	}
	teams, err := fx.db1.Teams(ctx, fx.org)
	if err != nil || len(teams) != 1 {
		t.Fatalf("teams %v, %v", teams, err)
	}
	x, err := fx.db1.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Rollback()
	if err := store.LockObsRebuild(ctx, x, fx.org); err != nil {
		t.Fatal(err)
	}
	assignErr := make(chan error, 1)
	var assigned atomic.Bool
	go func() {
		defer assigned.Store(true)
		assignErr <- fx.db2.Assign(ctx, fx.org, fx.eid, []store.Assignment{{TeamID: teams[0].ID, AreaID: fx.stations[0]}})
	}()
	waitFor(t, fx.db1, "pg_advisory", "advisory", assigned.Load)
	if err := store.Touch(ctx, x, fx.db1.Dialect, []int64{0}, store.ChangeObservation, store.ChangeAccess); err != nil {
		t.Fatalf("the import's touch of election 0 beside Assign: %v", err)
	}
	if err := x.Commit(); err != nil {
		t.Fatalf("the import's commit: %v", err)
	}
	if err := <-assignErr; err != nil {
		t.Fatalf("Assign beside the import: %v", err)
	}
}
