package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/observe/agg"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// The observation groups' folding (agg.State, obs_groups) on PostgreSQL,
// with two handles as two instances: what the store folds into, and what
// it refuses to, always ends as a rebuild would have it.

// sameAsRebuild fails t unless the aggregates are what a rebuild makes.
func sameAsRebuild(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	before, err := store.DumpObservationAggregates(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RebuildObservation(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := store.DumpObservationAggregates(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if diff := dumpDiff(before, after); diff != "" {
		t.Errorf("incremental and rebuilt observation aggregates differ:\n%s", diff)
	}
}

// unitsOf lists the units of the aggregates.
func unitsOf(t *testing.T, db *store.DB) string {
	t.Helper()
	rows, err := store.DumpObservationAggregates(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var units []string
	for _, r := range rows {
		if strings.HasPrefix(r, "units ") {
			units = append(units, r)
		}
	}
	return strings.Join(units, "\n")
}

// foldFx is a race fixture with two observers, one in a team, and a way
// to commit a report of the first station.
type foldFx struct {
	*raceFx
	observers map[string]int64
	n         int
}

func newFoldFx(t *testing.T) *foldFx {
	t.Helper()
	return newFoldFxAt(t, storetest.PostgresAddr(t))
}

// newFoldFxAt is newFoldFx on the database at addr (either engine).
func newFoldFxAt(t *testing.T, addr string) *foldFx {
	t.Helper()
	fx := &foldFx{raceFx: newRaceFxAt(t, addr, 1), observers: map[string]int64{}}
	ctx := context.Background()
	if _, _, err := fx.db1.ImportRoster(ctx, fx.org, []store.Observer{{Code: "P", Name: "P", Phone: "+77000000001"}, {Code: "O", Name: "O", Phone: "+77000000002", Team: "T1"}}); err != nil {
		t.Fatal(err)
	}
	obs, err := fx.db1.Observers(ctx, fx.org)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		fx.observers[o.Code] = o.ID
	}
	return fx
}

func (fx *foldFx) report(observer, overall string) *store.Report {
	fx.n++
	now := time.Now().UTC()
	answers, _ := json.Marshal(map[string]any{"station": 1, "overall": overall})
	return &store.Report{OrgID: fx.org, ElectionID: fx.eid, FormID: fx.formID, Phase: "voting", AreaID: fx.stations[0], ObserverID: fx.observers[observer],
		Channel: "api", ClientID: fmt.Sprintf("fold-%04d", fx.n), Answers: answers, Status: "new", Submitted: now, Received: now}
}

func (fx *foldFx) commit(t *testing.T, r *store.Report) {
	t.Helper()
	ctx := context.Background()
	if err := fx.db1.InTx(ctx, func(tx *sql.Tx) error { _, _, err := store.InsertReport(ctx, tx, fx.db1.Dialect, r); return err }); err != nil {
		t.Fatal(err)
	}
}

// A report whose id is lower than one committed before it (two
// instances: the first took its id, the second committed first) joins
// its visit as its first report: the unit keyed by the old first report
// goes, the new one comes.
func TestFoldLowerIDCommittedLater(t *testing.T) {
	fx := newFoldFx(t)
	ctx := context.Background()
	fx.commit(t, fx.report("P", "good")) // the group has a state
	tx1, err := fx.db2.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback()
	r1 := fx.report("O", "bad")
	if err := tx1.QueryRowContext(ctx, `INSERT INTO reports (org_id, election_id, form_id, phase, area_id, observer_id, channel, client_id, answers, status, qc, triage, submitted, received)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '[]', '', $11, $12) RETURNING id`, r1.OrgID, r1.ElectionID, r1.FormID, r1.Phase, r1.AreaID, r1.ObserverID, r1.Channel, r1.ClientID,
		string(r1.Answers), r1.Status, r1.Submitted.Format(store.TimeLayout), r1.Received.Format(store.TimeLayout)).Scan(&r1.ID); err != nil {
		t.Fatal(err)
	}
	r2 := fx.report("O", "very_bad")
	fx.commit(t, r2)
	if r1.ID >= r2.ID {
		t.Fatalf("report ids %d, %d: the first should be lower", r1.ID, r2.ID)
	}
	folded0, _ := store.ObservationGroupCounts()
	if err := store.ObsReportsAdded(ctx, tx1, fx.db2.Dialect, []*store.Report{r1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if folded, _ := store.ObservationGroupCounts(); folded != folded0+1 {
		t.Fatalf("the lower report was not folded (%d folds)", folded-folded0)
	}
	if units := unitsOf(t, fx.db1); !strings.Contains(units, fmt.Sprintf("[%d,%d]", r1.ID, r2.ID)) {
		t.Fatalf("the team's unit does not start with report %d:\n%s", r1.ID, units)
	}
	sameAsRebuild(t, fx.db1)
}

// A state the store cannot trust is not folded into: the group is
// computed from its reports, the report is stored, and the aggregates are
// a rebuild's. Damaged rows (an answer that is not JSON, a form that does
// not exist or is no id, a count that is not the state's), and a state
// left behind by a writer that kept the units but not the states (a vigil
// from before obs_groups, still running beside a newer one).
func TestFoldUntrustedStates(t *testing.T) {
	for _, tc := range []struct{ name, state, set string }{
		{"answer not JSON", "R %[1]d\nQ \"overall\"\nA \"x\" 0\nV 1 \"observer:%[2]d\" 0\n", ""},
		{"form missing", "R %[1]d\nV 999999 \"observer:%[2]d\" 0\n", ""},
		{"form zero", "R %[1]d\nV 0 \"observer:%[2]d\" 0\nG \"overall\" \"\\\"very_bad\\\"\"\n", ""},
		{"count not the state's", "", "usable = 2"},
		{"an old writer", "", "stale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFoldFx(t)
			first := fx.report("P", "good")
			fx.commit(t, first)
			switch {
			case tc.state != "":
				if _, err := fx.db1.Exec(`UPDATE obs_groups SET state = $1`, fmt.Sprintf(tc.state, first.ID, fx.observers["P"])); err != nil {
					t.Fatal(err)
				}
			case tc.set == "stale":
				var old string
				if err := fx.db1.QueryRow(`SELECT state FROM obs_groups`).Scan(&old); err != nil {
					t.Fatal(err)
				}
				fx.commit(t, fx.report("P", "good"))
				// As a vigil that keeps no states: the units moved, the
				// state did not.
				if _, err := fx.db1.Exec(`UPDATE obs_groups SET state = $1, usable = 1`, old); err != nil {
					t.Fatal(err)
				}
			default:
				if _, err := fx.db1.Exec(`UPDATE obs_groups SET ` + tc.set); err != nil {
					t.Fatal(err)
				}
			}
			_, computed0 := store.ObservationGroupCounts()
			fx.commit(t, fx.report("P", "bad"))
			if _, computed := store.ObservationGroupCounts(); computed != computed0+1 {
				t.Errorf("the group was not computed from its reports (%d)", computed-computed0)
			}
			sameAsRebuild(t, fx.db1)
		})
	}
}

// A report that joins its visit and agrees with it changes the visit's
// reports, not what it counts: its observation is written again but not
// taken away and counted again. One that disagrees changes what it
// counts (the question answered differently counts for nothing), and is
// counted again; one that agrees with that is again only written. After
// each, the aggregates are a rebuild's, on both engines.
func TestFoldRecountsWhatChanged(t *testing.T) {
	storetest.EachAddr(t, func(t *testing.T, addr string) {
		fx := newFoldFxAt(t, addr)
		units := ""
		for i, overall := range []string{"good", "good", "bad", "bad", "good"} {
			fx.commit(t, fx.report("P", overall))
			sameAsRebuild(t, fx.db1)
			now := unitsOf(t, fx.db1)
			if now == units {
				t.Fatalf("report %d (%s): the observation's row did not change:\n%s", i+1, overall, now)
			}
			units = now
		}
	})
}

// The forms of a batch's reports, and their observers' teams, are read
// with the batch's other reads (on PostgreSQL's group commit, in their
// round trip), whether the group is computed from its reports or folded:
// none in a statement of its own.
func TestFoldReadsFormsAndTeamsWithTheBatch(t *testing.T) {
	storetest.EachAddr(t, func(t *testing.T, addr string) {
		fx := newFoldFxAt(t, addr)
		before, teams := store.FormQueries(), store.TeamQueries()
		for _, overall := range []string{"good", "bad", "good"} {
			fx.commit(t, fx.report("P", overall))
		}
		if n := store.FormQueries() - before; n != 0 {
			t.Errorf("%d forms read in a statement of their own", n)
		}
		// So are the observers' teams (a visit is its observer's team's).
		if n := store.TeamQueries() - teams; n != 0 {
			t.Errorf("%d observers' teams read in a round trip of their own", n)
		}
		// The same through the group commit, whose reads wait on
		// PostgreSQL for the batch's round trip (a read queued after it
		// went would make loadTeams read again).
		teams = store.TeamQueries()
		for _, who := range []string{"P", "O", "P"} {
			j := store.NewTestJob(&store.CommitJob{Report: fx.report(who, "good"),
				Audit: store.AuditEntry{OrgID: fx.org, Actor: "test", Channel: "api", Action: "report.submit"}})
			w := store.QueuedGroupCommit(fx.db1, []*store.CommitJob{j}, nil)
			_, err := store.JobResult(j)
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := store.TeamQueries() - teams; n != 0 {
			t.Errorf("%d observers' teams read in a round trip of their own by the group commit", n)
		}
		sameAsRebuild(t, fx.db1)
	})
}

// A commit takes a group's state from the ones this process kept
// (groupStates) instead of decoding its row, but only when the row's text
// is the kept state's: a state kept for another text (the row rewritten
// since by another instance, a rebuild, a rolled-back commit) is not
// folded into.
func TestFoldKeptStates(t *testing.T) {
	fx := newFoldFx(t)
	ctx := context.Background()
	// taken commits a report that agrees and says whether its commit
	// took a kept state.
	taken := func() bool {
		hits := store.KeptStateHits()
		fx.commit(t, fx.report("P", "good"))
		return store.KeptStateHits() != hits
	}
	fx.commit(t, fx.report("P", "good"))
	if !taken() {
		t.Fatal("the second report's commit decoded the state the first one wrote")
	}
	sameAsRebuild(t, fx.db1)
	// The rebuild rewrote the row with the same text: the kept state is
	// the rebuild's.
	if !taken() {
		t.Fatal("the state kept before the rebuild, of the same text, was not taken")
	}
	var text string
	if err := fx.db1.QueryRowContext(ctx, `SELECT state FROM obs_groups`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	// As if every report had said "bad": a state of as many reports,
	// kept under its own text, which is not the row's.
	stale := strings.ReplaceAll(text, "good", "bad")
	if stale == text {
		t.Fatalf("no answer to change in the state:\n%s", text)
	}
	if err := store.KeepState(fx.org, fx.eid, fx.stations[0], "voting", stale); err != nil {
		t.Fatal(err)
	}
	if taken() {
		t.Error("a kept state of another text was taken")
	}
	sameAsRebuild(t, fx.db1)
	// A commit that rolls back after writing the state: the state kept
	// is of a text no row has.
	tx, err := fx.db1.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.InsertReport(ctx, tx, fx.db1.Dialect, fx.report("P", "bad")); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if taken() {
		t.Error("the state of a rolled-back commit was taken")
	}
	sameAsRebuild(t, fx.db1)
}

// A report's Decoded answers, when its submitter gives them, are what the
// fold reads: its Answers are not decoded again. (They must be Answers
// decoded, which observe.Service.Submit sees to; here they differ on
// purpose, so that which of the two was folded shows.)
func TestFoldTakesDecodedAnswers(t *testing.T) {
	fx := newFoldFx(t)
	fx.commit(t, fx.report("P", "good")) // the group has a state
	r := fx.report("P", "good")
	r.Decoded = form.Answers{"station": form.IntValue(1), "overall": form.TextValue("bad")}
	folded0, _ := store.ObservationGroupCounts()
	fx.commit(t, r)
	if folded, _ := store.ObservationGroupCounts(); folded != folded0+1 {
		t.Fatalf("the report was not folded (%d folds)", folded-folded0)
	}
	cs, err := fx.db1.ObsConflicts(context.Background(), fx.org, fx.eid, 0, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, c := range cs {
		if c.Question == "overall" {
			for _, v := range c.Values {
				values = append(values, string(v.Value))
			}
		}
	}
	if !slices.Contains(values, `"bad"`) {
		t.Fatalf("the fold did not read the decoded answers: no conflict on overall with \"bad\" in %+v", cs)
	}
}

// A conflict's values come from its group's state when it is read: a
// report that joins a conflict does not rewrite the conflict's row, its
// resolution comes from resolutions, and a group whose state the group
// commit would not fold into (left behind by a writer that keeps none,
// unreadable, missing) has its conflicts from its reports. Both engines.
func TestConflictsDerivedFromStates(t *testing.T) {
	storetest.EachAddr(t, func(t *testing.T, addr string) {
		fx := newFoldFxAt(t, addr)
		ctx := context.Background()
		list := func(open bool) map[string]agg.Conflict {
			t.Helper()
			cs, err := fx.db1.ObsConflicts(ctx, fx.org, fx.eid, 0, open, 0)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]agg.Conflict{}
			for _, c := range cs {
				out[c.Question] = c
			}
			return out
		}
		values := func(c agg.Conflict) string {
			var b strings.Builder
			for _, v := range c.Values {
				fmt.Fprintf(&b, "%s%v ", v.Value, v.Reports)
			}
			return strings.TrimSpace(b.String())
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := fx.db1.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		good := fx.report("P", "good")
		fx.commit(t, good)
		bad := fx.report("P", "bad")
		fx.commit(t, bad)
		want := fmt.Sprintf(`"good"[%d] "bad"[%d]`, good.ID, bad.ID)
		if c := list(false)["overall"]; values(c) != want || c.Resolved != nil {
			t.Fatalf("after good and bad: %+v, want %s", c, want)
		}
		// A report joining the conflict leaves its row as it was (a
		// rewrite would set unresolved back to 1).
		exec(`UPDATE obs_conflicts SET unresolved = 7`)
		bad2 := fx.report("P", "bad")
		fx.commit(t, bad2)
		var unresolved int
		if err := fx.db1.QueryRowContext(ctx, `SELECT unresolved FROM obs_conflicts WHERE question = 'overall'`).Scan(&unresolved); err != nil {
			t.Fatal(err)
		}
		if unresolved != 7 {
			t.Errorf("the conflict's row was rewritten when a report joined it")
		}
		exec(`UPDATE obs_conflicts SET unresolved = 1`)
		want = fmt.Sprintf(`"good"[%d] "bad"[%d %d]`, good.ID, bad.ID, bad2.ID)
		if c := list(false)["overall"]; values(c) != want {
			t.Fatalf("after a second bad: %+v, want %s", c, want)
		}
		sameAsRebuild(t, fx.db1)
		// A resolution: read from resolutions; the conflict is no longer open.
		if err := fx.db1.Resolve(ctx, fx.org, fx.eid, store.Resolution{AreaID: fx.stations[0], Phase: "voting", Question: "overall", Value: json.RawMessage(`"good"`)},
			store.AuditEntry{OrgID: fx.org, Actor: "test", Action: "conflict.resolve"}); err != nil {
			t.Fatal(err)
		}
		if c := list(false)["overall"]; string(c.Resolved) != `"good"` || values(c) != want {
			t.Fatalf("after the resolution: %+v", c)
		}
		if c, ok := list(true)["overall"]; ok {
			t.Fatalf("a resolved conflict listed as open: %+v", c)
		}
		sameAsRebuild(t, fx.db1)
		// A state left behind: a writer that keeps none (a vigil from
		// before obs_groups, beside this one) stored two more reports, one
		// starting a conflict on the station's number, and moved
		// obs_stations but not the state.
		var old string
		var usable int64
		if err := fx.db1.QueryRowContext(ctx, `SELECT state, usable FROM obs_groups`).Scan(&old, &usable); err != nil {
			t.Fatal(err)
		}
		bad3 := fx.report("P", "bad")
		fx.commit(t, bad3)
		other := fx.report("P", "bad")
		other.Answers = json.RawMessage(`{"station": 2, "overall": "bad"}`)
		fx.commit(t, other)
		exec(`UPDATE obs_groups SET state = $1, usable = $2`, old, usable)
		want = fmt.Sprintf(`"good"[%d] "bad"[%d %d %d %d]`, good.ID, bad.ID, bad2.ID, bad3.ID, other.ID)
		got := list(false)
		if values(got["overall"]) != want || values(got["station"]) != fmt.Sprintf(`1[%d %d %d %d] 2[%d]`, good.ID, bad.ID, bad2.ID, bad3.ID, other.ID) {
			t.Fatalf("beside a state left behind: %+v, want overall %s", got, want)
		}
		// An unreadable state, and none.
		exec(`UPDATE obs_groups SET state = 'R 1 x'`)
		if values(list(false)["overall"]) != want {
			t.Fatalf("beside an unreadable state: %+v", list(false))
		}
		exec(`DELETE FROM obs_groups`)
		if values(list(false)["overall"]) != want {
			t.Fatalf("without a state: %+v", list(false))
		}
	})
}
