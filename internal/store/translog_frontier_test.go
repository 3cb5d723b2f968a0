package store_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// Appends keep the tree's frontier in log_state and read no stored hash.
// Two handles on one database (two `vigil serve` on one PostgreSQL, or two
// processes on one SQLite file) append concurrently through their group
// commits; one append is rolled back in between (its frontier must not
// survive it), and the frontier is once lost (a database from before it
// was kept) and once left with a size it does not belong to (a hand edit):
// every leaf's stored hashes must still be those the audit recomputes.
func TestTransparencyLogFrontierAcrossInstances(t *testing.T) {
	ctx := context.Background()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			addr := filepath.Join(t.TempDir(), "f.db")
			if engine == "postgres" {
				addr = storetest.PostgresAddr(t)
			}
			var dbs [2]*store.DB
			for i := range dbs {
				db, err := store.Open(ctx, addr)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				dbs[i] = db
			}
			fx := newWriterFixture(t, dbs[0])
			round := func(name string) {
				t.Helper()
				var wg sync.WaitGroup
				errs := make(chan error, 2*40)
				for i, db := range dbs {
					w := store.NewGroupCommit(db)
					for k := range 40 {
						wg.Add(1)
						go func() {
							defer wg.Done()
							j := fx.job(fmt.Sprintf("%s-%d-%02d", name, i, k))
							if _, err := w.Submit(ctx, j); err != nil {
								errs <- err
							}
						}()
					}
					defer w.Close()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatalf("%s: %v", name, err)
				}
			}
			round("first")
			// An append rolled back: the size and frontier it wrote go with it.
			rollback := errors.New("rolled back on purpose")
			err := dbs[0].InTx(ctx, func(tx *sql.Tx) error {
				var id int64
				if err := tx.QueryRowContext(ctx, `SELECT min(id) FROM reports`).Scan(&id); err != nil {
					return err
				}
				if _, err := store.LogRows(ctx, tx, dbs[0].Dialect, store.RowSet{Table: "reports", IDs: []int64{id, id, id}}); err != nil {
					return err
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Fatalf("the append meant to roll back: %v", err)
			}
			round("second")
			exec(t, dbs[1], `UPDATE log_state SET frontier = NULL`)
			round("third")
			exec(t, dbs[0], `UPDATE log_state SET size = size - 1`)
			exec(t, dbs[0], `UPDATE log_state SET size = size + 1`)
			var f []byte
			if err := dbs[0].QueryRow(`SELECT frontier FROM log_state`).Scan(&f); err != nil || len(f) < 8 {
				t.Fatalf("frontier %x: %v", f, err)
			}
			// The frontier of another size with as many subtrees (so the
			// same length): bit i set and i+1 clear, moved up by one.
			tag := binary.BigEndian.Uint64(f)
			i := 0
			for tag>>i&3 != 1 {
				i++
			}
			binary.BigEndian.PutUint64(f, tag+1<<i)
			for k := 8; k < len(f); k++ {
				f[k] = 0 // and hashes that are not this tree's
			}
			if _, err := dbs[0].Exec(`UPDATE log_state SET frontier = $1`, f); err != nil {
				t.Fatal(err)
			}
			round("fourth")
			n, err := dbs[1].LogSize(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var reports int64
			if err := dbs[1].QueryRow(`SELECT count(*) FROM reports`).Scan(&reports); err != nil {
				t.Fatal(err)
			}
			if reports != 4*80 || n < reports {
				t.Fatalf("%d reports and %d leaves, want 320 reports each with its leaf", reports, n)
			}
			if probs := auditProblems(t, dbs[1]); len(probs) != 0 {
				t.Fatalf("audit after concurrent appends: %q", probs)
			}
		})
	}
}
