package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// Every action that writes an audit entry writes it in its own
// transaction: after the action the entry is there (with the new record's
// id when the caller could not know it), and when the entry cannot be
// written (the audit table gone) the action is not stored either.
func TestAuditEntriesInTheActionsTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, root, org := missionElection(t, db)
		partner, err := db.EnsureOrganisation(ctx, "Partner", "domestic")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ImportRoster(ctx, org.ID, []store.Observer{{Code: "1", Name: "A", Team: "T1"}, {Code: "2", Name: "B", Team: "T2"}}); err != nil {
			t.Fatal(err)
		}
		obs, err := db.Observers(ctx, org.ID)
		if err != nil || len(obs) != 2 {
			t.Fatalf("observers %d: %v", len(obs), err)
		}
		entry := func(action, object string) store.AuditEntry {
			return store.AuditEntry{OrgID: org.ID, Actor: "t", Channel: "test", Action: action, Object: object}
		}
		count := func(q string) int {
			t.Helper()
			var n int
			if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		cases := []struct {
			action string
			// run does the action with its entry; i tells the two runs
			// apart (names that must differ). It returns the object the
			// entry must name ("" to accept any).
			run   func(i int, a store.AuditEntry) (object string, err error)
			count string // the action's rows
		}{
			{"user.create", func(i int, a store.AuditEntry) (string, error) {
				u := &store.User{OrgID: org.ID, Username: fmt.Sprintf("u%d", i), Role: "analyst"}
				return "user:" + u.Username, db.CreateUser(ctx, u, "hash", a)
			}, `SELECT count(*) FROM users`},
			{"token.create", func(i int, a store.AuditEntry) (string, error) {
				tk := &store.Token{OrgID: org.ID, ObserverID: obs[0].ID}
				err := db.CreateToken(ctx, tk, fmt.Sprintf("hash%d", i), a)
				return fmt.Sprintf("token:%d", tk.ID), err
			}, `SELECT count(*) FROM api_tokens`},
			{"deployment.assign", func(i int, a store.AuditEntry) (string, error) {
				a.Object = fmt.Sprintf("election:%d", e.ID)
				return a.Object, db.Assign(ctx, org.ID, e.ID, []store.Assignment{{TeamID: obs[i].TeamID, AreaID: root.ID}}, a)
			}, `SELECT count(*) FROM assignments`},
			{"deployment.draw", func(i int, a store.AuditEntry) (string, error) {
				d := &store.Deployment{OrgID: org.ID, ElectionID: e.ID, Seed: fmt.Sprint(i), Stations: []store.DeployedStation{{AreaID: root.ID, Stratum: "all", Rank: 1}}}
				err := db.Deploy(ctx, d, []store.Assignment{{TeamID: obs[1-i].TeamID, AreaID: root.ID}}, a)
				return fmt.Sprintf("deployment:%d", d.ID), err
			}, `SELECT count(*) FROM deployments`},
			{"photo.add", func(i int, a store.AuditEntry) (string, error) {
				a.Object = "report:1"
				_, err := db.SavePhotoWithin(ctx, &store.Photo{OrgID: org.ID, ElectionID: e.ID, ReportID: 1, Question: "q", FileName: fmt.Sprintf("p%d.jpg", i),
					ContentType: "image/jpeg", SHA256: "00", Size: 1, Data: []byte{1}}, store.PhotoLimits{}, a)
				return a.Object, err
			}, `SELECT count(*) FROM photos`},
			{"phone.share", func(i int, a store.AuditEntry) (string, error) {
				a.Object = fmt.Sprintf("+7700000000%d", i)
				return a.Object, db.SharePhone(ctx, org.ID, partner.ID, a.Object, a)
			}, `SELECT count(*) FROM phone_shares`},
			{"form.defaults", func(i int, a store.AuditEntry) (string, error) {
				if i == 1 {
					// The defaults are installed; a new version of one
					// form stands for them in the failing run.
					f := form.CountingTemplate()
					f.Version = "again"
					_, err := db.SaveForms(ctx, org.ID, []*form.Form{f}, a)
					return "", err
				}
				ids, err := observe.InstallDefaultForms(ctx, db, org.ID, a)
				if err == nil && len(ids) == 0 {
					err = fmt.Errorf("no default form installed")
				}
				return "", err
			}, `SELECT count(*) FROM forms`},
		}
		for _, c := range cases {
			t.Run(c.action, func(t *testing.T) {
				before := count(c.count)
				object, err := c.run(0, entry(c.action, ""))
				if err != nil {
					t.Fatal(err)
				}
				if count(c.count) == before {
					t.Fatalf("%s stored nothing", c.action)
				}
				var n int
				q := `SELECT count(*) FROM audit WHERE action = $1 AND object = $2`
				args := []any{c.action, object}
				if object == "" {
					q, args = `SELECT count(*) FROM audit WHERE action = $1`, args[:1]
				}
				if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil || n != 1 {
					t.Fatalf("%d audit entries %s %q (%v), want 1", n, c.action, object, err)
				}
				before = count(c.count)
				exec(t, db, `ALTER TABLE audit RENAME TO audit_gone`)
				_, err = c.run(1, entry(c.action, ""))
				exec(t, db, `ALTER TABLE audit_gone RENAME TO audit`)
				if err == nil {
					t.Fatalf("%s succeeded without its audit entry", c.action)
				}
				if got := count(c.count); got != before {
					t.Errorf("%s whose audit entry failed stored %d row(s)", c.action, got-before)
				}
			})
		}
		// The draw's assignments went with it.
		if n := count(`SELECT count(*) FROM assignments`); n != 2 {
			t.Errorf("%d assignments, want 2 (one assigned, one drawn)", n)
		}
	})
}

// A resolution's value is an answer: one that does not decode is refused
// when written and fails the read when found stored, rather than leave
// the conflict it resolves quietly unresolved.
func TestResolutionValueDecodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, root, org := missionElection(t, db)
		a := store.AuditEntry{OrgID: org.ID, Actor: "t", Channel: "test", Action: "conflict.resolve"}
		r := store.Resolution{AreaID: root.ID, Phase: "counting", Question: "overall", Value: []byte(`"good"`)}
		if err := db.Resolve(ctx, org.ID, e.ID, r, a); err != nil {
			t.Fatal(err)
		}
		r.Value = []byte(`{"good"`)
		if err := db.Resolve(ctx, org.ID, e.ID, r, a); err == nil {
			t.Fatal("a resolution whose value is not JSON was stored")
		}
		if rs, err := db.Resolutions(ctx, org.ID, e.ID); err != nil || len(rs) != 1 || string(rs[0].Value) != `"good"` {
			t.Fatalf("resolutions %+v (%v), want the first one", rs, err)
		}
		exec(t, db, `UPDATE resolutions SET value = 'not json'`)
		if _, err := db.Resolutions(ctx, org.ID, e.ID); err == nil || !strings.Contains(err.Error(), "resolution value") {
			t.Fatalf("a stored value that does not decode read as %v", err)
		}
	})
}

// missionElection is a new election, its root area and an organisation.
func missionElection(t *testing.T, db *store.DB) (*election.Election, election.Area, *store.Organisation) {
	t.Helper()
	ctx := context.Background()
	e := newElection(t, db)
	root, err := db.AreaByPath(ctx, e.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	org, err := db.EnsureOrganisation(ctx, "Mission", "domestic")
	if err != nil {
		t.Fatal(err)
	}
	return e, root, org
}
