package store

import (
	"context"
	"strings"
)

// valuesRows writes the VALUES list of a multi-row statement: nrows rows
// of ncols parameters each, "(p, p), (p, p)", numbered after the first
// parameters the statement already has (param's placeholders).
func valuesRows(b *strings.Builder, d Dialect, first, nrows, ncols int) {
	n := first
	for i := range nrows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range ncols {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(param(d, n))
		}
		b.WriteByte(')')
	}
}

// execRows runs head + VALUES list + tail for n rows in statements of at
// most chunk rows; row(i) gives the values of row i, every row as many
// (the upserts of the aggregates, the audit log's batches). A row whose
// values cannot be made stops it with row's error.
func execRows(ctx context.Context, q Querier, d Dialect, head, tail string, n, chunk int, row func(i int) ([]any, error)) error {
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		var args []any
		ncols := 0
		for i := lo; i < hi; i++ {
			r, err := row(i)
			if err != nil {
				return err
			}
			if i == lo {
				ncols = len(r)
				args = make([]any, 0, ncols*(hi-lo))
			}
			args = append(args, r...)
		}
		var b strings.Builder
		b.WriteString(head)
		valuesRows(&b, d, 0, hi-lo, ncols)
		b.WriteString(tail)
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
