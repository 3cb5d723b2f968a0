package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL a group commit was a chain of about twenty-two round
// trips, each paid in waiting: for the server's process and then for the
// writer's goroutine to get a turn of the busy machine's CPU (a bare BEGIN
// took 2.3–2.6 ms under load), and, where the database is on another
// machine, for the network. Statements whose results the transaction does
// not read are queued instead (pipeline.add): the aggregates' writes, the
// aggregates' locks and the check that the reports' elections still exist
// (addRow, which reads its one row when the queue is sent); so are the
// reads that depend only on the batch (obsTx.read, whose rows are read
// when the queue is sent). The queue goes in one round trip before the
// next statement of the transaction (pipeQ), when the reads are wanted
// (sendReads) and at the end of obsApply and of the group commit: eight
// round trips a commit where there were twenty-two. Order and
// all-or-nothing are unchanged: the queue runs first, in order, in the
// same transaction, and a failure in it fails the transaction as its
// statement would have. The locks are still taken before anything they
// guard is read: they go first in the queue that carries the reads.

// pipeline is a queue of statements whose results nobody reads, or
// reads only to check them (addRow).
type pipeline struct {
	conn  *sql.Conn
	batch pgx.Batch
	items []queued
	err   error // the first failure: the transaction is aborted after it
}

// queued is what becomes of a queued statement's answer.
type queued struct {
	what string               // what the statement does, for its failure ("": check says)
	row  func(pgx.Row) error  // a check of its one row, or nil
	rows func(pgx.Rows) error // a reader of its rows, or nil
}

// newPipeline returns a pipeline over the group commit's connection (its
// transaction open on it), or nil where there is none to have: on SQLite,
// or under a driver other than pgx (a wrapper, say), where the statements
// run one at a time, as before.
func newPipeline(conn *sql.Conn, d Dialect) *pipeline {
	if d != Postgres || conn == nil {
		return nil
	}
	pgxConn := conn.Raw(func(dc any) error {
		if _, ok := dc.(*stdlib.Conn); !ok {
			return errNotPgx
		}
		return nil
	}) == nil
	if !pgxConn {
		return nil
	}
	return &pipeline{conn: conn}
}

var errNotPgx = errors.New("not a pgx connection")

// pipelineSends counts the queues sent, for the test that the group
// commit uses one (nothing else would tell: without it the statements
// run one at a time, to the same effect).
var pipelineSends atomic.Int64

// add queues a statement; its failure is told with the statement's first
// words. pgx encodes args when the queue is sent: a slice given here must
// not change until then (none of the callers' does: each builds its own).
func (p *pipeline) add(query string, args []any) { p.addNamed("", query, args) }

// addNamed is add with what the statement does, for its failure.
func (p *pipeline) addNamed(what, query string, args []any) {
	if what == "" {
		what = statementHead(query)
	}
	p.batch.Queue(query, args...)
	p.items = append(p.items, queued{what: what})
}

// addRow queues a statement whose one row check reads when the queue is
// sent; check's error fails the transaction as the statement's would, and
// is returned as it is (check says what it checked, in the words a client
// may be shown).
func (p *pipeline) addRow(query string, args []any, check func(pgx.Row) error) {
	p.batch.Queue(query, args...)
	p.items = append(p.items, queued{row: check})
}

// addRows queues a read whose rows each reads when the queue is sent, in
// the order the statements were queued.
func (p *pipeline) addRows(query string, args []any, each func(pgx.Rows) error) {
	p.batch.Queue(query, args...)
	p.items = append(p.items, queued{what: statementHead(query), rows: each})
}

// statementHead is a statement's first words.
func statementHead(query string) string {
	h := strings.Join(strings.Fields(query), " ")
	if r := []rune(h); len(r) > 60 {
		h = string(r[:60]) + "…"
	}
	return h
}

// flush sends what is queued, in one round trip, and reads each
// statement's result; the first failure is kept and returned from then on.
func (p *pipeline) flush(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if p.err != nil || p.batch.Len() == 0 {
		return p.err
	}
	b, items := p.batch, p.items
	p.batch, p.items = pgx.Batch{}, nil
	pipelineSends.Add(1)
	p.err = p.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pipeline: a connection of %T, not pgx's", dc)
		}
		br := c.Conn().SendBatch(ctx, &b)
		for _, it := range items {
			var err error
			switch {
			case it.row != nil:
				if err := it.row(br.QueryRow()); err != nil {
					br.Close()
					return err
				}
				continue
			case it.rows != nil:
				var rows pgx.Rows
				if rows, err = br.Query(); err == nil {
					err = it.rows(rows)
					rows.Close()
					if err == nil {
						err = rows.Err()
					}
				}
			default:
				_, err = br.Exec()
			}
			if err != nil {
				br.Close()
				return fmt.Errorf("%s: %w", it.what, err)
			}
		}
		return br.Close()
	})
	return p.err
}

// pipeQ is a Querier whose every statement first sends the pipeline's
// queue, so that statements run in the order they were given.
type pipeQ struct {
	Querier
	p *pipeline
}

func (q pipeQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := q.p.flush(ctx); err != nil {
		return nil, err
	}
	return q.Querier.ExecContext(ctx, query, args...)
}

func (q pipeQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := q.p.flush(ctx); err != nil {
		return nil, err
	}
	return q.Querier.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot return the queue's failure in its row: the row
// then carries the aborted transaction's error, and obsApply and the
// group commit return the pipeline's own.
func (q pipeQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	q.p.flush(ctx)
	return q.Querier.QueryRowContext(ctx, query, args...)
}

// exec runs a statement whose result is not read: queued when the
// transaction has a pipeline, at once otherwise.
func (t *obsTx) exec(query string, args ...any) error {
	if t.pipe != nil {
		t.pipe.add(query, args)
		return nil
	}
	_, err := t.q.ExecContext(t.ctx, query, args...)
	return err
}

// piped returns q's pipeline when q sends one (pipeQ), nil otherwise.
func piped(q Querier) *pipeline {
	if pq, ok := q.(pipeQ); ok {
		return pq.p
	}
	return nil
}

// read runs a query and gives each of its rows to scan: when the
// transaction has a pipeline, with the queue when it is next sent
// (sendReads), so that reads that do not depend on each other share one
// round trip; at once otherwise. What scan fills is complete only then.
func (t *obsTx) read(query string, args []any, scan func(sc func(...any) error) error) error {
	if t.pipe != nil {
		// (flush reads the rows' error after closing them.)
		t.pipe.addRows(query, args, func(rows pgx.Rows) error { return eachRow(rows, scan) })
		return nil
	}
	rows, err := t.q.QueryContext(t.ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(rows, scan)
}

// sendReads sends the reads queued by read (nothing to do without a
// pipeline: they ran at once).
func (t *obsTx) sendReads() error { return t.pipe.flush(t.ctx) }
