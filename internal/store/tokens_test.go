package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe/load"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TokenGrant reads in one query what a token grants: the observer and the
// areas their team is assigned, or the user's token alone. The tokens are
// the load generator's (load.AddTeams, CreateTokens), so this is its test
// too.
func TestTokenGrant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		electionID, coordinator, err := load.Setup(ctx, db, 7)
		if err != nil {
			t.Fatal(err)
		}
		teams, err := load.AddTeams(ctx, db, electionID, 7, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(teams) != 3 || len(teams[0]) != 2 {
			t.Fatalf("tokens %v: want 3 teams of 2", teams)
		}
		// Team 0 is at stations 1, 4 and 7; both its members' tokens grant them.
		for k, tok := range teams[0] {
			g, err := db.TokenGrant(ctx, access.HashToken(tok))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range g.ObserverAreas {
				if a.Election != electionID {
					t.Errorf("area %v assigned in election %d, want %d", a.Path, a.Election, electionID)
				}
				got = append(got, strings.Join(a.Path, "/"))
			}
			slices.Sort(got)
			want := []string{"Region 1/District 1/1", "Region 4/District 4/4", "Region 7/District 7/7"}
			if !slices.Equal(got, want) {
				t.Errorf("member %d of team 0 grants %v, want %v", k, got, want)
			}
			if g.Token.ObserverID == 0 || g.ObserverOrg != g.Token.OrgID || g.ObserverCode != []string{"L0000000-0", "L0000000-1"}[k] {
				t.Errorf("member %d: %+v", k, g)
			}
		}
		// A user's token: no observer, no areas.
		g, err := db.TokenGrant(ctx, access.HashToken(coordinator))
		if err != nil {
			t.Fatal(err)
		}
		if g.Token.UserID == 0 || g.Token.ObserverID != 0 || g.ObserverOrg != 0 || len(g.ObserverAreas) != 0 {
			t.Errorf("the coordinator's token: %+v", g)
		}
		// Revoked, or never issued: not found.
		if err := db.RevokeToken(ctx, g.Token.OrgID, g.Token.ID); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{coordinator, access.NewToken()} {
			if _, err := db.TokenGrant(ctx, access.HashToken(tok)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a revoked or unknown token: %v, want ErrNotFound", err)
			}
		}

		// Deleting the election deletes its assignments: every instance's
		// cache of tokens hears of it (on SQLite the next election may
		// take the same id, and its stations the same paths).
		before, err := db.Changes().Sync(ctx, 0, store.ChangeAccess)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteElection(ctx, electionID); err != nil {
			t.Fatal(err)
		}
		if after, err := db.Changes().Sync(ctx, 0, store.ChangeAccess); err != nil || after <= before {
			t.Errorf("the access sequence %d before deleting the election, %d (%v) after: no change announced", before, after, err)
		}

		// CreateTokens is all or nothing: a hash given twice fails the
		// batch, and the first token is not stored either.
		first, second := access.NewToken(), access.NewToken()
		obs := g.Token // the organisation
		o, err := db.ObserverByCode(ctx, obs.OrgID, "L0000001-0")
		if err != nil {
			t.Fatal(err)
		}
		ts := []*store.Token{{OrgID: obs.OrgID, ObserverID: o.ID}, {OrgID: obs.OrgID, ObserverID: o.ID}, {OrgID: obs.OrgID, ObserverID: o.ID}}
		if err := db.CreateTokens(ctx, ts, []string{access.HashToken(first), access.HashToken(second), access.HashToken(second)}, store.AuditEntry{}); err == nil {
			t.Fatal("a hash given twice was stored")
		}
		if _, err := db.TokenGrant(ctx, access.HashToken(first)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the batch's first token after its failure: %v, want ErrNotFound", err)
		}
	})
}
