package store_test

// Conflicts read from the groups' states (ObsConflicts), at scale and
// against damage; the cases of a review by a helper.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/observe/agg"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// commitReports commits reports of many stations in batches (the group
// commit's path).
func commitReports(t *testing.T, fx *raceFx, rs []*store.Report) {
	t.Helper()
	ctx := context.Background()
	for lo := 0; lo < len(rs); lo += 200 {
		batch := rs[lo:min(lo+200, len(rs))]
		if err := fx.db1.InTx(ctx, func(tx *sql.Tx) error { _, err := store.InsertReports(ctx, tx, fx.db1.Dialect, batch); return err }); err != nil {
			t.Fatal(err)
		}
	}
}

func conflictReport(fx *raceFx, n *int, area int64, overall, status string) *store.Report {
	*n++
	now := time.Now().UTC()
	answers, _ := json.Marshal(map[string]any{"station": 1, "overall": overall})
	return &store.Report{OrgID: fx.org, ElectionID: fx.eid, FormID: fx.formID, Phase: "voting", AreaID: area,
		Channel: "api", ClientID: fmt.Sprintf("rv-%05d", *n), Answers: answers, Status: status, Submitted: now, Received: now}
}

func conflictValues(c agg.Conflict) string {
	var b strings.Builder
	for _, v := range c.Values {
		fmt.Fprintf(&b, "%s%v ", v.Value, v.Reports)
	}
	return strings.TrimSpace(b.String())
}

// More listed stations than one chunk of conflictStates (500), a third with
// a state left behind (an older writer's report not in it), a third with
// an unreadable state, a third trusted; each with a quarantined report
// that gives a fourth answer. Every conflict is listed once, with the
// values of its reports (the quarantined one left out), whichever way
// its group's state was found. Both engines.
func TestConflictsAcrossChunks(t *testing.T) {
	storetest.EachAddr(t, func(t *testing.T, addr string) {
		const nStations = 520
		fx := newRaceFxAt(t, addr, nStations)
		ctx := context.Background()
		n := 0
		var round1 []*store.Report
		for _, a := range fx.stations {
			round1 = append(round1, conflictReport(fx, &n, a, "good", "new"), conflictReport(fx, &n, a, "bad", "new"))
		}
		commitReports(t, fx, round1)
		type saved struct {
			state  string
			usable int64
		}
		old := map[int64]saved{}
		rows, err := fx.db1.QueryContext(ctx, `SELECT area_id, state, usable FROM obs_groups`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a int64
			var s saved
			if err := rows.Scan(&a, &s.state, &s.usable); err != nil {
				t.Fatal(err)
			}
			old[a] = s
		}
		rows.Close()
		var round2 []*store.Report
		for _, a := range fx.stations {
			round2 = append(round2, conflictReport(fx, &n, a, "worse", "new"), conflictReport(fx, &n, a, "hidden", store.StatusQuarantined))
		}
		commitReports(t, fx, round2)
		for i, a := range fx.stations {
			switch i % 3 {
			case 0: // left behind
				if _, err := fx.db1.ExecContext(ctx, `UPDATE obs_groups SET state = $1, usable = $2 WHERE area_id = $3`, old[a].state, old[a].usable, a); err != nil {
					t.Fatal(err)
				}
			case 1: // unreadable
				if _, err := fx.db1.ExecContext(ctx, `UPDATE obs_groups SET state = 'R 1 x' WHERE area_id = $1`, a); err != nil {
					t.Fatal(err)
				}
			}
		}
		want := map[int64]string{}
		for i, a := range fx.stations {
			r1, r2, r3 := round1[2*i], round1[2*i+1], round2[2*i]
			want[a] = fmt.Sprintf(`"good"[%d] "bad"[%d] "worse"[%d]`, r1.ID, r2.ID, r3.ID)
		}
		cs, err := fx.db1.ObsConflicts(ctx, fx.org, fx.eid, 0, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]int{}
		for _, c := range cs {
			if c.Question != "overall" {
				t.Errorf("area %d: a conflict on %s", c.AreaID, c.Question)
				continue
			}
			seen[c.AreaID]++
			if got := conflictValues(c); got != want[c.AreaID] {
				t.Errorf("area %d: %s, want %s", c.AreaID, got, want[c.AreaID])
			}
		}
		for _, a := range fx.stations {
			if seen[a] != 1 {
				t.Errorf("area %d listed %d times", a, seen[a])
			}
		}
	})
}

// A conflict's row that its group's trusted state does not bear out is
// damage, not a race (the rows and the states are read in one
// snapshot): ObsConflicts says so, rather than list fewer conflicts than
// obs_nodes counts without a word. Both engines.
func TestConflictNotBorneOutIsAnError(t *testing.T) {
	storetest.EachAddr(t, func(t *testing.T, addr string) {
		fx := newRaceFxAt(t, addr, 1)
		ctx := context.Background()
		n := 0
		commitReports(t, fx, []*store.Report{conflictReport(fx, &n, fx.stations[0], "good", "new"), conflictReport(fx, &n, fx.stations[0], "bad", "new")})
		// Damage: the conflict's row names a question its state (trusted:
		// it reads, counts its row's reports, adds up to the station's)
		// has no conflict on. No writer runs from here on.
		if _, err := fx.db1.ExecContext(ctx, `UPDATE obs_conflicts SET question = 'station'`); err != nil {
			t.Fatal(err)
		}
		counts, err := fx.db1.ObsNodeCounts(ctx, fx.org, fx.eid, 0)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := fx.db1.ObsConflicts(ctx, fx.org, fx.eid, 0, false, 0)
		if err == nil && int64(len(cs)) != counts.Conflicts {
			t.Errorf("obs_nodes counts %d conflicts, ObsConflicts lists %d and reports nothing: a damaged row hidden", counts.Conflicts, len(cs))
		}
		if err == nil || !strings.Contains(err.Error(), "vigil rebuild") {
			t.Errorf("a damaged row: %v, want an error that names the remedy", err)
		}
	})
}
