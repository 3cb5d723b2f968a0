package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestPipeline: statements queued for one round trip run in the order
// they were given, before the next statement of the transaction; a
// failure among them names its statement, sticks (what follows says the
// transaction is aborted) and leaves nothing written. On SQLite there is
// no pipeline: the statements run at once.
func TestPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE pipe_t (k INTEGER PRIMARY KEY, x INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		err := store.InPipeline(ctx, db, func(q store.Querier, add func(string, ...any), flush func() error, piped bool) error {
			if piped != (db.Dialect == store.Postgres) {
				t.Fatalf("pipelined on %s: %v", db.Dialect, piped)
			}
			add(`INSERT INTO pipe_t (k, x) VALUES ($1, $2)`, int64(1), int64(10))
			add(`UPDATE pipe_t SET x = x * 2 WHERE k = $1`, int64(1))
			add(`INSERT INTO pipe_t (k, x) VALUES ($1, $2)`, int64(2), int64(5))
			// A read through the transaction sees the queue run, in order.
			var x, n int64
			if err := q.QueryRowContext(ctx, `SELECT x, (SELECT count(*) FROM pipe_t) FROM pipe_t WHERE k = 1`).Scan(&x, &n); err != nil {
				return err
			}
			if x != 20 || n != 2 {
				t.Fatalf("read x = %d, %d rows; want 20 (insert, then update), 2 rows", x, n)
			}
			add(`UPDATE pipe_t SET x = x + 1 WHERE k = $1`, int64(2))
			return flush()
		})
		if err != nil {
			t.Fatal(err)
		}
		var x int64
		if err := db.QueryRowContext(ctx, `SELECT x FROM pipe_t WHERE k = 2`).Scan(&x); err != nil || x != 6 {
			t.Fatalf("after commit x = %d, %v; want 6", x, err)
		}
		if db.Dialect != store.Postgres {
			return
		}
		err = store.InPipeline(ctx, db, func(q store.Querier, add func(string, ...any), flush func() error, _ bool) error {
			add(`INSERT INTO pipe_t (k, x) VALUES ($1, $2)`, int64(3), int64(1))
			add(`INSERT INTO pipe_t (k, x) VALUES ($1, $2)`, int64(1), int64(1)) // k = 1 is taken
			add(`INSERT INTO pipe_t (k, x) VALUES ($1, $2)`, int64(4), int64(1))
			var n int64
			rowErr := q.QueryRowContext(ctx, `SELECT count(*) FROM pipe_t`).Scan(&n)
			if rowErr == nil {
				t.Fatal("a read after a failed queue succeeded")
			}
			if _, err := q.ExecContext(ctx, `SELECT 1`); err == nil || !strings.Contains(err.Error(), "INSERT INTO pipe_t") {
				t.Fatalf("the queue's failure after it: %v", err)
			}
			return flush()
		})
		if err == nil || !strings.Contains(err.Error(), "INSERT INTO pipe_t (k, x) VALUES ($1, $2)") || !strings.Contains(err.Error(), "23505") {
			t.Fatalf("a failed queue: %v; want the statement and the unique violation", err)
		}
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pipe_t`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("after the failure %d rows, %v; want the 2 committed before", n, err)
		}
	})
}
