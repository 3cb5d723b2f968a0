package store

import "context"

// rowIter is what database/sql's and pgx's result sets have in common.
type rowIter interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// eachRow calls fn with each row's Scan until the rows end or fn fails.
// The caller closes the rows.
func eachRow(rows rowIter, fn func(scan func(...any) error) error) error {
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// queryList runs a query (on the database or in a transaction) and scans
// every row into a T with scan.
func queryList[T any](ctx context.Context, db Querier, scan func(interface{ Scan(...any) error }) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanIDPair reads a row of two whole numbers (an id and what it maps to).
func scanIDPair(sc interface{ Scan(...any) error }) ([2]int64, error) {
	var p [2]int64
	err := sc.Scan(&p[0], &p[1])
	return p, err
}
