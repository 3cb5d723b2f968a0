package pvt

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// twoPass is the residual variance the way it was computed before the
// moments: the mean, then the squares.
func twoPass(rows [][]float64, r ratio, p float64) float64 {
	var sum, sum2 float64
	for _, row := range rows {
		sum += r.y(row) - p*row[r.den]
	}
	mean := sum / float64(len(rows))
	for _, row := range rows {
		e := r.y(row) - p*row[r.den] - mean
		sum2 += e * e
	}
	return sum2 / float64(len(rows)-1)
}

func TestMomentsResidualVariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const cols = 5
	for trial := range 200 {
		n := 2 + rng.IntN(300)
		rows := make([][]float64, n)
		for i := range rows {
			tot := math.Round(100 + 2000*rng.Float64())
			a := math.Round(tot * rng.Float64())
			b := math.Round((tot - a) * rng.Float64())
			rows[i] = []float64{tot, a, b, tot - a - b, tot / (0.3 + 0.6*rng.Float64())}
		}
		// Moments built in one piece and merged from up to four pieces
		// must both give the two-pass variance.
		whole, parts := newMoments(cols), newMoments(cols)
		scratch := make([]float64, cols)
		cut := []int{0, rng.IntN(n + 1), rng.IntN(n + 1), n}
		slices.Sort(cut)
		for _, row := range rows {
			whole.add(row, scratch)
		}
		for k := 0; k+1 < len(cut); k++ {
			piece := newMoments(cols)
			for _, row := range rows[cut[k]:cut[k+1]] {
				piece.add(row, scratch)
			}
			parts.merge(&piece)
		}
		for _, r := range []ratio{{1, -1, 0}, {3, -1, 0}, {1, 2, 0}, {0, -1, 4}} {
			p := rng.Float64()
			want := twoPass(rows, r, p)
			for name, m := range map[string]*moments{"whole": &whole, "merged": &parts} {
				if got := m.residVar(r, p); math.Abs(got-want) > 1e-9*want {
					t.Fatalf("trial %d, %s, ratio %v: %v, two passes %v", trial, name, r, got, want)
				}
			}
		}
	}
	// A residual that is the same at every station has no variance.
	same := newMoments(2)
	for i := range 50 {
		x := float64(100 + 37*i)
		same.add([]float64{x, 0.4 * x}, make([]float64, 2))
	}
	if v := same.residVar(ratio{1, -1, 0}, 0.4); v != 0 {
		t.Errorf("y = 0.4·x at every station: variance %v, want 0", v)
	}
}

// TestConvergeIsEstimateOnPrefixes: the incremental convergence gives at
// every checkpoint what Estimate gives on the reports that had arrived,
// through collapsed strata, singletons, empty strata, census strata and
// ties in arrival.
func TestConvergeIsEstimateOnPrefixes(t *testing.T) {
	opts := []string{"A", "B", "C"}
	t0 := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name               string
		H, per, mult       int
		minReports, every  int
		step               time.Duration
		census, cannotWinB bool
	}{
		{name: "many strata", H: 30, per: 12, mult: 6, every: 7},
		{name: "few reports per stratum", H: 40, per: 3, mult: 10, every: 5},
		{name: "singletons kept", H: 25, per: 2, mult: 4, minReports: 1, every: 3},
		{name: "a census stratum", H: 6, per: 10, mult: 1, every: 9, census: true},
		{name: "by time", H: 12, per: 8, mult: 5, step: 7 * time.Minute, cannotWinB: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			strata, reports := synthetic(tc.H, tc.per, tc.mult, 11)
			if tc.census {
				strata[0].N = tc.per
			}
			rng := rand.New(rand.NewPCG(5, 6))
			for i := range reports {
				reports[i].Arrival = t0.Add(time.Duration(rng.IntN(len(reports)/2)) * time.Minute) // ties
			}
			cfg := Config{MinReports: tc.minReports}
			if tc.cannotWinB {
				cfg.CannotWin = []string{"B"}
			}
			cps, err := Converge(strata, opts, reports, cfg, tc.every, tc.step)
			if err != nil {
				t.Fatal(err)
			}
			sorted := slices.Clone(reports)
			slices.SortStableFunc(sorted, func(a, b Report) int { return a.Arrival.Compare(b.Arrival) })
			if len(cps) < 3 {
				t.Fatalf("%d checkpoints", len(cps))
			}
			for _, cp := range cps {
				want, err := Estimate(strata, opts, sorted[:cp.Reports], cfg)
				if err != nil {
					t.Fatal(err)
				}
				if !cp.Time.Equal(sorted[cp.Reports-1].Arrival) {
					t.Errorf("%d reports: time %v, want %v", cp.Reports, cp.Time, sorted[cp.Reports-1].Arrival)
				}
				sameResult(t, cp.Reports, cp.Result, want)
			}
		})
	}
}

func sameResult(t *testing.T, k int, got, want *Result) {
	t.Helper()
	if !reflect.DeepEqual(got.Strata, want.Strata) || !reflect.DeepEqual(got.Warnings, want.Warnings) || got.Withheld != want.Withheld {
		t.Errorf("%d reports: design %+v %q %q, want %+v %q %q", k, got.Strata, got.Warnings, got.Withheld, want.Strata, want.Warnings, want.Withheld)
	}
	figs := func(r *Result) []Figure {
		out := slices.Clone(r.Options)
		if r.Turnout != nil {
			out = append(out, *r.Turnout)
		}
		if r.Lead != nil {
			out = append(out, r.Lead.Figure)
		}
		return out
	}
	g, w := figs(got), figs(want)
	if len(g) != len(w) {
		t.Fatalf("%d reports: %d figures, want %d", k, len(g), len(w))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }
	for i := range g {
		a, b := g[i], w[i]
		if a.Name != b.Name || a.Method != b.Method || !near(a.Estimate, b.Estimate) || !near(a.SE, b.SE) || !near(a.DF, b.DF) ||
			!near(a.CI95[0], b.CI95[0]) || !near(a.CI95[1], b.CI95[1]) || !near(a.CI99[0], b.CI99[0]) || !near(a.CI99[1], b.CI99[1]) {
			t.Errorf("%d reports: %+v, want %+v", k, a, b)
		}
	}
}

// TestConvergeRefusesWhatEstimateRefuses: Converge validates its input
// itself (not through a full Estimate) and gives Estimate's error for it.
func TestConvergeRefusesWhatEstimateRefuses(t *testing.T) {
	strata, reports := synthetic(4, 3, 2, 1)
	opts := []string{"A", "B", "C"}
	bad := func(f func(rs []Report, st []Stratum) ([]Report, []Stratum, []string)) {
		t.Helper()
		rs, st, o := f(slices.Clone(reports), slices.Clone(strata))
		_, want := Estimate(st, o, rs, Config{})
		_, got := Converge(st, o, rs, Config{}, 2, 0)
		if want == nil || got == nil || got.Error() != want.Error() {
			t.Errorf("Converge: %v; Estimate: %v", got, want)
		}
	}
	bad(func(rs []Report, st []Stratum) ([]Report, []Stratum, []string) { return rs, st, nil })
	bad(func(rs []Report, st []Stratum) ([]Report, []Stratum, []string) { return rs[:1], st, opts })
	bad(func(rs []Report, st []Stratum) ([]Report, []Stratum, []string) {
		rs[5].Stratum = "nowhere"
		return rs, st, opts
	})
	bad(func(rs []Report, st []Stratum) ([]Report, []Stratum, []string) {
		rs[2] = Report{Stratum: rs[2].Stratum, Votes: []float64{1, -1, 0}, Total: 0}
		return rs, st, opts
	})
	bad(func(rs []Report, st []Stratum) ([]Report, []Stratum, []string) {
		st[1].N = 1 // fewer stations than reports
		return rs, st, opts
	})
	bad(func(rs []Report, st []Stratum) ([]Report, []Stratum, []string) {
		for i := range rs {
			rs[i].Votes, rs[i].Total = []float64{0, 0, 0}, 0 // nothing to divide by
		}
		return rs, st, opts
	})
}
