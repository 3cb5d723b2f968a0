package ingest

import (
	"errors"
	"io"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

// totals is what a whole file sums to.
type totals struct {
	rows, empty int
	rowErrs     []*RowError
	figures     [election.NumFigures]int64
	votes       []int64
	options     []string
}

// sumFile reads a whole file, collecting row errors (as --skip-invalid
// would) and summing figures and votes over the valid rows.
func sumFile(tb testing.TB, path string, m *Mapping) totals {
	tb.Helper()
	r, err := Open(path, m)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	t := totals{options: r.Options(), votes: make([]int64, len(m.Options))}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			t.rowErrs = append(t.rowErrs, re)
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		t.rows++
		if row.Empty() {
			t.empty++
		}
		for f := election.Figure(0); f < election.NumFigures; f++ {
			t.figures[f] += row.Figures.Value(f)
		}
		for i, v := range row.Votes {
			t.votes[i] += v
		}
	}
	return t
}
