package observeapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// The server keeps what a token grants for half an hour (an observer sends
// a report every half hour or so: a cache of seconds seldom held it, issue
// 9). Every change to what a token grants must therefore reach the cache
// through the change feed, within its second or two: an assignment, a
// roster import that moves an observer to another team, a user disabled.
func TestTokenCacheFollowsAccessChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := webtest.NewObsFixture(t, db)
		n := 0
		submit := func(as string, station int) int {
			n++
			code, _ := fx.Do(t, as, "POST", fx.ReportsPath(), webtest.VotingReport(fmt.Sprintf("c0ffee00-0000-4000-8000-%012d", n), station, "good", false))
			return code
		}
		// eventually waits for the feed (the 2 s, with a margin for
		// a loaded CI machine) until f holds.
		eventually := func(what string, f func() bool) {
			t.Helper()
			for deadline := time.Now().Add(5 * time.Second); !f(); {
				if time.Now().After(deadline) {
					t.Fatalf("%s: not within 5 s", what)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		// obs3's team T2 is assigned 201 only; both answers are cached.
		if c := submit("token:obs3", 201); c != 201 {
			t.Fatalf("obs3 at its station 201: %d", c)
		}
		if c := submit("token:obs3", 101); c != 403 {
			t.Fatalf("obs3 at 101, not T2's: %d, want 403", c)
		}

		// An assignment.
		teams, err := db.Teams(ctx, fx.OrgA.ID)
		if err != nil {
			t.Fatal(err)
		}
		tid := map[string]int64{}
		for _, tm := range teams {
			tid[tm.Name] = tm.ID
		}
		if err := db.Assign(ctx, fx.OrgA.ID, fx.El.ID, []store.Assignment{{TeamID: tid["T2"], AreaID: fx.Stations["101"].ID}}); err != nil {
			t.Fatal(err)
		}
		eventually("T2 assigned 101: obs3 reports there", func() bool { return submit("token:obs3", 101) == 201 })

		// A roster import moving obs3 to T1 (assigned 101, 102): 102 now,
		// 201 (T2's alone) no longer.
		if c := submit("token:obs3", 102); c != 403 {
			t.Fatalf("obs3 at 102 before the move: %d, want 403", c)
		}
		obs, err := observe.ParseRoster(strings.NewReader("id,name,phone,organisation,team,area\nobs3,Dana,+77000000003,Mission A,T1,South\n"), "move.csv", "Mission A")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ImportRoster(ctx, fx.OrgA.ID, obs); err != nil {
			t.Fatal(err)
		}
		eventually("obs3 moved to T1: reports at 102", func() bool { return submit("token:obs3", 102) == 201 })
		if c := submit("token:obs3", 201); c != 403 {
			t.Fatalf("obs3 at T2's 201 after moving to T1: %d, want 403", c)
		}

		// A runoff at the same stations: obs3's assignments are the first
		// round's, and the same paths in the runoff are not theirs (the
		// key of a station names its election).
		runoff := &election.Election{Name: "test-2026-runoff", Kind: election.Presidential, Date: "2026-12-06",
			Options: []election.Option{{Name: "Alpha"}, {Name: "Beta"}}}
		if err := db.CreateElection(ctx, runoff); err != nil {
			t.Fatal(err)
		}
		first := fx.Stations["101"]
		rows := []store.Row{{Line: 2, Path: first.Path, Figures: func() (f election.Figures) { f.Set(election.Registered, 1000); return }(), Votes: []int64{500, 400}}}
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: runoff.ID, Source: election.OfficialPreliminary, File: "runoff.csv", Options: []string{"Alpha", "Beta"}},
			storetest.Rows(rows)); err != nil {
			t.Fatal(err)
		}
		n++
		rep := webtest.VotingReport(fmt.Sprintf("c0ffee00-0000-4000-8000-%012d", n), 101, "good", false)
		if c, out := fx.Do(t, "token:obs3", "POST", fmt.Sprintf("/api/v1/elections/%d/reports", runoff.ID), rep); c != 403 {
			t.Fatalf("obs3 at 101 of the runoff, assigned only in the first round: %d %v, want 403", c, out)
		}

		// A user's token, the user disabled.
		u, err := db.UserByName(ctx, "analyst")
		if err != nil {
			t.Fatal(err)
		}
		tok := access.NewToken()
		if err := db.CreateToken(ctx, &store.Token{OrgID: u.OrgID, UserID: u.ID, Label: "script"}, access.HashToken(tok)); err != nil {
			t.Fatal(err)
		}
		fx.Tokens["analyst-script"] = tok
		if c, out := fx.Do(t, "token:analyst-script", "GET", fx.ReportsPath(), nil); c != 200 {
			t.Fatalf("the analyst's token: %d %v", c, out)
		}
		if _, err := db.SetDisabled(ctx, u.ID, true, store.AuditEntry{OrgID: u.OrgID, Actor: "cli", Channel: "cli", Action: "user.disable"}); err != nil {
			t.Fatal(err)
		}
		eventually("the analyst disabled: the token refused", func() bool {
			c, _ := fx.Do(t, "token:analyst-script", "GET", fx.ReportsPath(), nil)
			return c == 401
		})
	})
}
