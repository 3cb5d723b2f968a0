package store

import (
	"context"
	"database/sql"
	"strings"
)

// The aggregates write thousands of rows per group commit (a report
// counts in every node above its station, once per indicator). Built as
// multi-row VALUES statements of whatever length each commit had, SQLite
// parsed every one anew (its parser was a fifth of the writer's CPU) and
// pgx prepared every new text on the server and pushed older ones out of
// its statement cache. Here rows go in statements of a few fixed lengths
// (chunk rows, then powers of two): on PostgreSQL the texts repeat from
// commit to commit and pgx's cache serves them; on SQLite each length is
// prepared once per transaction and run for every chunk of that length.
// (One row per statement was tried on SQLite: slower, every statement
// copies the pages it changes to the statement journal.)

type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// stmt is the transaction's prepared statement for text (SQLite only).
func (t *obsTx) stmt(text string) (*sql.Stmt, error) {
	if s, ok := t.stmts[text]; ok {
		return s, nil
	}
	p, ok := t.q.(preparer)
	if !ok {
		return nil, nil
	}
	s, err := p.PrepareContext(t.ctx, text)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[text] = s
	return s, nil
}

// closeStmts closes the statements prepared for the transaction.
func (t *obsTx) closeStmts() {
	for _, s := range t.stmts {
		s.Close()
	}
	t.stmts = nil
}

// rowChunks splits n rows into statements of chunk rows and, for the
// rest, of powers of two: at most log2(chunk)+1 distinct lengths.
func rowChunks(n, chunk int) []int {
	var out []int
	for n >= chunk {
		out = append(out, chunk)
		n -= chunk
	}
	for p := 1 << 30; n > 0; p >>= 1 {
		if p <= n {
			out = append(out, p)
			n -= p
		}
	}
	return out
}

// writeRows runs head + VALUES + tail for n rows (row(i) gives row i's
// values, every row as wide), in statements of at most chunk rows.
func (t *obsTx) writeRows(head, tail string, n, chunk int, row func(i int) ([]any, error)) error {
	return t.writeRowsScan(head, tail, n, chunk, row, nil)
}

// writeRowsScan is writeRows whose statements return rows (a RETURNING
// tail): scan reads each.
func (t *obsTx) writeRowsScan(head, tail string, n, chunk int, row func(i int) ([]any, error), scan func(*sql.Rows) error) error {
	if n == 0 {
		return nil
	}
	lo := 0
	for _, size := range rowChunks(n, chunk) {
		var args []any
		ncols := 0
		for i := lo; i < lo+size; i++ {
			r, err := row(i)
			if err != nil {
				return err
			}
			if i == lo {
				ncols = len(r)
				args = make([]any, 0, ncols*size)
			}
			args = append(args, r...)
		}
		var b strings.Builder
		b.WriteString(head)
		valuesRows(&b, t.d, 0, size, ncols)
		b.WriteString(tail)
		var st *sql.Stmt
		if t.d == SQLite {
			var err error
			if st, err = t.stmt(b.String()); err != nil {
				return err
			}
		}
		if err := t.run(st, []string{b.String()}, args, scan); err != nil {
			return err
		}
		lo += size
	}
	return nil
}

// run executes s (or text[0] when s is nil) with args, reading its rows
// with scan when scan is not nil.
func (t *obsTx) run(s *sql.Stmt, text []string, args []any, scan func(*sql.Rows) error) error {
	if scan == nil {
		var err error
		if s != nil {
			_, err = s.ExecContext(t.ctx, args...)
		} else {
			_, err = t.q.ExecContext(t.ctx, text[0], args...)
		}
		return err
	}
	var rows *sql.Rows
	var err error
	if s != nil {
		rows, err = s.QueryContext(t.ctx, args...)
	} else {
		rows, err = t.q.QueryContext(t.ctx, text[0], args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
