package store_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/translog"
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
	storetest.EachAddr(t, func(t *testing.T, addr string) {
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
		// The writers live through every round: each keeps a guess at
		// the log's state (on PostgreSQL an append on a right guess is
		// one statement), which the other's appends, the rolled-back
		// one and the hand edits below make wrong.
		var ws [2]*store.GroupCommit
		for i, db := range dbs {
			ws[i] = store.NewGroupCommit(db)
			defer ws[i].Close()
		}
		round := func(name string) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make(chan error, 2*40)
			for i := range dbs {
				w := ws[i]
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
		if dbs[1].Dialect == store.Postgres {
			// The hand edits of log_state made at least one guess wrong.
			var hits, misses int64
			for _, w := range ws {
				h, m := w.LogHintStats()
				hits, misses = hits+h, misses+m
			}
			t.Logf("appends on a right guess: %d, on a wrong one: %d", hits, misses)
			if misses == 0 {
				t.Error("no append found the log's state other than its writer guessed")
			}
		}
	})
}

// On PostgreSQL a lone writer's appends after its first take one statement
// (its guess at the log's state is right), and what they store is what
// the slow path would: every receipt is the hash of the leaf at its index,
// and the audit recomputes every leaf and stored hash.
func TestTransparencyLogOneStatementAppend(t *testing.T) {
	ctx := context.Background()
	db := storetest.Postgres(t)
	fx := newWriterFixture(t, db)
	w := store.NewGroupCommit(db)
	defer w.Close()
	var rcs []store.CommitResult
	for k := range 12 {
		r, err := w.Submit(ctx, fx.job(fmt.Sprintf("lone-%02d", k)))
		if err != nil {
			t.Fatal(err)
		}
		rcs = append(rcs, r)
	}
	hits, misses := w.LogHintStats()
	if hits != 11 || misses != 0 {
		t.Errorf("%d appends on a right guess and %d on a wrong one, want 11 and 0", hits, misses)
	}
	for _, r := range rcs {
		ls, err := db.LogLeaves(ctx, r.Receipt.Index, r.Receipt.Index+1)
		if err != nil || len(ls) != 1 {
			t.Fatalf("leaf %d: %v", r.Receipt.Index, err)
		}
		if got := translog.LeafHash(ls[0].Data).String(); got != r.Receipt.Hash || ls[0].Ref != fmt.Sprintf("reports/%d", r.ID) {
			t.Errorf("receipt %+v of report %d; the leaf there is %s with hash %s", r.Receipt, r.ID, ls[0].Ref, got)
		}
	}
	// The audit entries went in with the leaves' statement: one per
	// report, naming it, with the organisation.
	for _, r := range rcs {
		if n := fx.count(t, fmt.Sprintf(`SELECT count(*) FROM audit WHERE org_id = $1 AND action = 'report.submit' AND actor = 'test' AND object = 'report:%d'`, r.ID)); n != 1 {
			t.Errorf("report %d: %d audit entries, want 1", r.ID, n)
		}
	}
	if probs := auditProblems(t, db); len(probs) != 0 {
		t.Fatalf("audit: %q", probs)
	}
}
