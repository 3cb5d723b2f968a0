package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
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

// unnestChunk bounds the rows of one unnest statement (PostgreSQL).
const unnestChunk = 10000

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
	if t.d == Postgres {
		// Arrays of at most unnestChunk rows: a rebuild's millions of rows
		// are not held twice over in one statement.
		done := false
		for lo := 0; lo < n; lo += unnestChunk {
			ok, err := t.unnestRows(head, tail, min(unnestChunk, n-lo), func(i int) ([]any, error) { return row(lo + i) }, scan)
			if err != nil {
				return err
			}
			if !ok {
				if lo > 0 {
					return fmt.Errorf("rows of %q: a column changed type at row %d", head, lo)
				}
				break
			}
			done = true
		}
		if done {
			return nil
		}
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
			err = t.exec(text[0], args...)
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

// idsIn is the condition "column is one of ids" to follow a column name,
// as parameter n: on PostgreSQL "= ANY($n)" with the ids as one array
// (one statement text whatever the ids, so pgx prepares it once), on
// SQLite an inlined list (integers only, so inlining is safe; SQLite
// parses every statement anyway) and no parameter.
func (t *obsTx) idsIn(ids []int64, n int) (string, []any) {
	if t.d == Postgres {
		return ` = ANY($` + strconv.Itoa(n) + `)`, []any{ids}
	}
	return ` IN (` + obsIDs(ids) + `)`, nil
}

// unnestRows writes head + tail for rows as one statement over arrays,
// on PostgreSQL: "INSERT INTO t (cols) SELECT * FROM unnest($1::bigint[],
// …)" has one text whatever the number of rows. It reports false (and
// writes nothing) when a column is not of a type it maps.
func (t *obsTx) unnestRows(head, tail string, n int, row func(i int) ([]any, error), scan func(*sql.Rows) error) (bool, error) {
	const values = `VALUES `
	if t.d != Postgres || !strings.HasSuffix(head, values) {
		return false, nil
	}
	first, err := row(0)
	if err != nil {
		return false, err
	}
	cols := make([]any, len(first))
	casts := make([]string, len(first))
	for c, v := range first {
		switch v.(type) {
		case int64:
			cols[c], casts[c] = make([]int64, 0, n), "bigint[]"
		case string:
			cols[c], casts[c] = make([]string, 0, n), "text[]"
		default:
			return false, nil
		}
	}
	for i := range n {
		r := first
		if i > 0 {
			if r, err = row(i); err != nil {
				return false, err
			}
		}
		for c, v := range r {
			switch col := cols[c].(type) {
			case []int64:
				x, ok := v.(int64)
				if !ok {
					return false, nil
				}
				cols[c] = append(col, x)
			case []string:
				x, ok := v.(string)
				if !ok {
					return false, nil
				}
				cols[c] = append(col, x)
			}
		}
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(head, values))
	b.WriteString(`SELECT * FROM unnest(`)
	for c := range cols {
		if c > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s", c+1, casts[c])
	}
	b.WriteString(`)`)
	b.WriteString(tail)
	return true, t.run(nil, []string{b.String()}, cols, scan)
}
