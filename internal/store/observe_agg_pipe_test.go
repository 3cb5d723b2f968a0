package store_test

import (
	"context"
	"errors"
	"slices"
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
		err := store.InPipeline(ctx, db, func(pt store.PipeTest) error {
			q, add, flush := pt.Q, pt.Add, pt.Flush
			if pt.Piped != (db.Dialect == store.Postgres) {
				t.Fatalf("pipelined on %s: %v", db.Dialect, pt.Piped)
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
			// A read among the queued statements sees those before it
			// and none after; what it fills is complete once sent.
			var seen []int64
			if err := pt.Read(`SELECT x FROM pipe_t ORDER BY k`, nil, func(scan func(...any) error) error {
				var x int64
				if err := scan(&x); err != nil {
					return err
				}
				seen = append(seen, x)
				return nil
			}); err != nil {
				return err
			}
			add(`UPDATE pipe_t SET x = x * 10`)
			if pt.Piped && len(seen) != 0 {
				t.Fatalf("a queued read ran before the queue was sent: %v", seen)
			}
			if err := flush(); err != nil {
				return err
			}
			if !slices.Equal(seen, []int64{20, 6}) {
				t.Fatalf("the read saw %v, want [20 6] (after the queue's earlier statements, before its later one)", seen)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var x int64
		if err := db.QueryRowContext(ctx, `SELECT x FROM pipe_t WHERE k = 2`).Scan(&x); err != nil || x != 60 {
			t.Fatalf("after commit x = %d, %v; want 60", x, err)
		}
		if db.Dialect != store.Postgres {
			return
		}
		err = store.InPipeline(ctx, db, func(pt store.PipeTest) error {
			q, add, flush := pt.Q, pt.Add, pt.Flush
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
		// A reader's own failure (the server would go on): it is the
		// queue's, returned as it is, and the reads queued after it are
		// not read.
		errReader := errors.New("the reader refused")
		err = store.InPipeline(ctx, db, func(pt store.PipeTest) error {
			if err := pt.Read(`SELECT x FROM pipe_t`, nil, func(func(...any) error) error { return errReader }); err != nil {
				return err
			}
			read := false
			if err := pt.Read(`SELECT x FROM pipe_t`, nil, func(func(...any) error) error { read = true; return nil }); err != nil {
				return err
			}
			err := pt.Flush()
			if read {
				t.Error("a read queued after a failed one was read")
			}
			return err
		})
		if !errors.Is(err, errReader) {
			t.Fatalf("a reader's failure: %v", err)
		}
		// A read the server fails among its rows (the second: x = 60): told with that read's
		// statement, not the next one's.
		err = store.InPipeline(ctx, db, func(pt store.PipeTest) error {
			if err := pt.Read(`SELECT 100 / (x - 60) FROM pipe_t ORDER BY k`, nil, func(scan func(...any) error) error {
				var v int64
				return scan(&v)
			}); err != nil {
				return err
			}
			pt.Add(`SELECT 1`)
			return pt.Flush()
		})
		if err == nil || !strings.Contains(err.Error(), "SELECT 100 / (x - 60)") || !strings.Contains(err.Error(), "22012") {
			t.Fatalf("a read failing among its rows: %v; want its statement and the division by zero", err)
		}
	})
}
