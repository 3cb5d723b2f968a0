package store

import (
	"context"
	"database/sql"
	"sync"
)

// SQLite's driver parses every query it is given afresh: without a
// prepared statement, a cold station page spent a third of its CPU in
// SQLite's parser (issue 9). The reads of a *DB therefore go through
// statements prepared once and kept, on SQLite. PostgreSQL needs none of
// this: pgx caches its statements per connection itself (and behind
// PgBouncer in transaction mode it must not, which its query mode says).
//
// Only a query seen twice is kept, so that the statements built with
// literal ids (a page of ids) do not take the room. The cache is bounded
// and never evicts: a statement is closed only with the database, so that
// no lock is held while one runs (a request holding a connection in a
// transaction may read through the *DB meanwhile). Once full, further
// queries run unprepared, as all did before.

const (
	stmtCacheMax = 256  // statements kept
	stmtSeenMax  = 4096 // queries remembered as seen once
)

type stmtCache struct {
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	seen   map[string]struct{}
	closed bool
}

// cache returns the statement cache of a SQLite database, nil otherwise.
func (db *DB) cache() *stmtCache {
	if db.Dialect != SQLite {
		return nil
	}
	db.stmtsOnce.Do(func() {
		db.stmts = &stmtCache{stmts: map[string]*sql.Stmt{}, seen: map[string]struct{}{}}
	})
	return db.stmts
}

// QueryContext is sql.DB's, through a kept prepared statement on SQLite.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c := db.cache()
	if c == nil {
		return db.DB.QueryContext(ctx, query, args...)
	}
	if st := c.stmt(ctx, db.DB, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext is sql.DB's, through a kept prepared statement on SQLite.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c := db.cache()
	if c == nil {
		return db.DB.QueryRowContext(ctx, query, args...)
	}
	if st := c.stmt(ctx, db.DB, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.DB.QueryRowContext(ctx, query, args...)
}

// stmt returns the kept statement of query, preparing and keeping it if
// the query was seen before; nil when the query is not kept (yet) or
// failed to prepare (the caller then runs it unprepared, and so reports
// the error as before).
func (c *stmtCache) stmt(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	st := c.stmts[query]
	if st != nil || c.closed || len(c.stmts) >= stmtCacheMax {
		c.mu.Unlock()
		return st
	}
	if _, ok := c.seen[query]; !ok {
		if len(c.seen) >= stmtSeenMax {
			clear(c.seen)
		}
		c.seen[query] = struct{}{}
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.stmts[query]; old != nil || c.closed {
		st.Close() // prepared meanwhile by another request, or closing
		return old
	}
	c.stmts[query] = st
	delete(c.seen, query)
	return st
}

// close closes the kept statements, before the database closes; queries
// still running on one then fail, as they would on the closed database.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
