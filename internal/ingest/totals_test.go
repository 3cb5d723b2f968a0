package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

// totals is what a whole file sums to.
type totals struct {
	rows, empty int
	dupPaths    int // rows whose path an earlier row already had
	// validOff counts rows whose options do not add up to the valid-ballots
	// figure (where the file has it): a protocol inconsistency.
	validOff int
	rowErrs  []*RowError
	figures  [election.NumFigures]int64
	votes    []int64
	options  []string
}

// voteSum is the sum of all options' votes.
func (t *totals) voteSum() int64 {
	var n int64
	for _, v := range t.votes {
		n += v
	}
	return n
}

// share is an option's percentage of all votes cast for options.
func (t *totals) share(option string) float64 {
	for i, o := range t.options {
		if o == option {
			return 100 * float64(t.votes[i]) / float64(t.voteSum())
		}
	}
	return -1
}

// sumFile reads a whole file, collecting row errors (as --skip-invalid
// would) and summing figures and votes over the valid rows; each is also
// passed to each, when not nil.
func sumFile(tb testing.TB, path string, m *Mapping, each func(Row)) totals {
	tb.Helper()
	r, err := Open(path, m)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	t := totals{options: r.Options(), votes: make([]int64, len(m.Options))}
	seen := make(map[string]bool)
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
		key := strings.Join(row.Path, "\x00")
		if seen[key] {
			t.dupPaths++
		}
		seen[key] = true
		for f := election.Figure(0); f < election.NumFigures; f++ {
			if row.Figures.Has(f) {
				t.figures[f] += row.Figures.Value(f)
			}
		}
		var sum int64
		for i, v := range row.Votes {
			t.votes[i] += v
			sum += v
		}
		if valid, ok := row.Figures.Get(election.Valid); ok && valid != sum {
			t.validOff++
		}
		if each != nil {
			each(row)
		}
	}
	return t
}
