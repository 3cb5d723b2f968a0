package store

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

// TestFlagMaskerSameAsSQL: the flags an SQLite import computes in Go
// (flagMasker) are the bits maskExpr computes in SQL, which a rebuild and
// every other writer use, under random settings (absolute and relative
// tolerances together, any relative, essential figures unset, empty or a
// subset, 0–3 options) and random protocols (figures absent or negative,
// negative votes, ballots issued given or derived from its parts).
func TestFlagMaskerSameAsSQL(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	cols := strings.Split(figureCols, ", ")
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, ` + strings.Join(cols, " INTEGER, ") + ` INTEGER, votes TEXT)`); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rels := []float64{0, 0.1, 0.05, 0.3, 1.0 / 3, 0.07, 0.2, 1e-17, 0.6, 0.15}
	codes := FlagCodes()
	figNames := []string{"registered", "valid", "invalid", "ballots_issued", "ballots_in_box", "votes", "ballots_received"}
	mism := 0 // mismatches
	for round := range 200 {
		fc := flagConfig{V: flagLayout, Options: rng.IntN(4), Tolerances: map[string]election.Tolerance{}}
		for _, c := range codes {
			if rng.IntN(2) == 0 {
				tol := election.Tolerance{}
				if rng.IntN(2) == 0 {
					tol.Absolute = rng.Int64N(4)
				}
				if rng.IntN(2) == 0 {
					if rng.IntN(3) == 0 {
						tol.Relative = rng.Float64() * 0.5
					} else {
						tol.Relative = rels[rng.IntN(len(rels))]
					}
				}
				fc.Tolerances[c] = tol
			}
		}
		if rng.IntN(2) == 0 {
			fc.EssentialSet = true
			fc.Essential = []string{}
			for _, n := range figNames {
				if rng.IntN(3) == 0 {
					fc.Essential = append(fc.Essential, n)
				}
			}
		}
		m := newFlagMasker(fc)
		if _, err := db.ExecContext(ctx, `DELETE FROM t`); err != nil {
			t.Fatal(err)
		}
		var gos []int64
		for i := range 150 {
			var f election.Figures
			args := []any{int64(i)}
			for k := election.Figure(0); k < election.NumFigures; k++ {
				if rng.IntN(3) > 0 {
					v := rng.Int64N(80)
					if rng.IntN(20) == 0 {
						v = -v
					}
					f.Set(k, v)
					args = append(args, v)
				} else {
					args = append(args, nil)
				}
			}
			votes := make([]int64, fc.Options)
			for k := range votes {
				votes[k] = rng.Int64N(30)
				if rng.IntN(30) == 0 {
					votes[k] = -votes[k]
				}
			}
			args = append(args, string(appendVotesJSON(nil, votes)))
			if _, err := db.ExecContext(ctx, `INSERT INTO t VALUES (?`+strings.Repeat(",?", len(args)-1)+`)`, args...); err != nil {
				t.Fatal(err)
			}
			gos = append(gos, m.mask(f, votes))
		}
		rows, err := db.QueryContext(ctx, `SELECT p.id, `+maskExpr(SQLite, fc)+` FROM t p ORDER BY p.id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, want int64
			if err := rows.Scan(&id, &want); err != nil {
				t.Fatal(err)
			}
			if got := gos[id]; got != want {
				mism++
				if mism < 10 {
					t.Errorf("round %d: settings %s, protocol %d: Go %x, SQL %x (differing bits %x)", round, fc.key(), id, got, want, got^want)
				}
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if mism > 0 {
		t.Fatalf("%d mismatches", mism)
	}
}
