package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestCreateAtOnce: several callers creating one name at the same moment
// (two instances, two administrators) get one row between them; the others
// are told the name is taken, in vigil's words, not the database's
// duplicate-key error; and ensuring an organisation gives everyone the
// same one.
func TestCreateAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 8
		at := func(f func(i int) error) []error {
			errs := make([]error, n)
			var start, done sync.WaitGroup
			start.Add(1)
			for i := range n {
				done.Add(1)
				go func() {
					defer done.Done()
					start.Wait()
					errs[i] = f(i)
				}()
			}
			start.Done()
			done.Wait()
			return errs
		}
		check := func(what string, errs []error, taken string) {
			t.Helper()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !strings.Contains(err.Error(), taken):
					t.Errorf("%s: %v, want %q", what, err, taken)
				}
			}
			if ok != 1 {
				t.Errorf("%s: %d created, want 1", what, ok)
			}
		}
		orgs := make([]*store.Organisation, n)
		for i, err := range at(func(i int) (err error) {
			orgs[i], err = db.EnsureOrganisation(ctx, "At Once Mission", "domestic")
			return err
		}) {
			if err != nil {
				t.Fatalf("EnsureOrganisation %d: %v", i, err)
			}
			if orgs[i].ID != orgs[0].ID || orgs[i].Name != "At Once Mission" || orgs[i].Created.IsZero() {
				t.Errorf("EnsureOrganisation %d: %+v, the first %+v", i, orgs[i], orgs[0])
			}
		}
		check("CreateUser", at(func(i int) error {
			return db.CreateUser(ctx, &store.User{OrgID: orgs[0].ID, Username: "same", Name: fmt.Sprint(i), Role: "analyst"}, "x")
		}), `a user named "same" already exists`)
		check("CreateElection", at(func(i int) error {
			return db.CreateElection(ctx, &election.Election{Name: "same-election", Kind: election.Presidential, Options: []election.Option{{Name: "A"}}})
		}), `an election named "same-election" already exists`)
	})
}
