package forensics

import (
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The recurrence in kdeDensity must agree with summing one exponential per
// grid point and data point.
func TestKDEMatchesDirectSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 500)
	for i := range x {
		x[i] = min(1, max(0, 0.55+0.12*rng.NormFloat64()))
	}
	f := kdeDensity(x)
	n := float64(len(x))
	var mean, ss float64
	for _, v := range x {
		mean += v
	}
	mean /= n
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	h := math.Sqrt(ss/(n-1)) * math.Pow(n, -0.2)
	for j := 0; j < kdeGrid; j += 7 {
		g := float64(j) * kdeStep
		var want float64
		for _, v := range x {
			want += math.Exp(-(g - v) * (g - v) / (2 * h * h))
		}
		if math.Abs(f[j]-want) > 1e-9*max(1, want) {
			t.Fatalf("KDE at %.3f: %g, direct sum %g", g, f[j], want)
		}
	}
}

func TestKDEPeakRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	gen := func(n int, mu, sd float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = mu + sd*rng.NormFloat64()
		}
		return x
	}
	// One mode at 0.6.
	if p := kdePeak(gen(20000, 0.6, 0.05)); math.Abs(p-0.6) > 0.005 {
		t.Errorf("unimodal at 0.6: peak %.3f", p)
	}
	// A mode below 0.3 is skipped: the first maximum above 0.3 is 0.7.
	x := append(gen(20000, 0.15, 0.03), gen(5000, 0.7, 0.03)...)
	if p := kdePeak(x); math.Abs(p-0.7) > 0.005 {
		t.Errorf("modes 0.15 and 0.7: peak %.3f, want 0.7", p)
	}
	// The first maximum above 0.3 wins even when a later one is higher.
	x = append(gen(5000, 0.45, 0.03), gen(20000, 0.85, 0.03)...)
	if p := kdePeak(x); math.Abs(p-0.45) > 0.005 {
		t.Errorf("modes 0.45 and 0.85 (higher): peak %.3f, want 0.45", p)
	}
}

// A small bump in the left tail comes first: the rule takes it, warns, and
// HighestPeak takes the bulk instead.
func TestFingerprintFirstPeakIsATailBump(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	var st []Station
	add := func(n int, mu, sd float64) {
		for range n {
			v := min(0.99, max(0.01, mu+sd*rng.NormFloat64()))
			st = append(st, Station{V: 1000, G: 600 + rng.Int64N(100), R: 600, L: int64(v * 600)})
		}
	}
	add(300, 0.35, 0.01)
	add(20000, 0.75, 0.05)
	res, err := Fingerprint(st, FingerprintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Nu-0.35) > 0.01 || len(res.Warnings) != 1 || res.PeakRule != "first" {
		t.Errorf("first-peak rule: ν %.3f, warnings %q", res.Nu, res.Warnings)
	}
	res, _ = Fingerprint(st, FingerprintOptions{HighestPeak: true})
	if math.Abs(res.Nu-0.75) > 0.01 || len(res.Warnings) != 0 || res.PeakRule != "highest" {
		t.Errorf("highest-peak rule: ν %.3f, warnings %q", res.Nu, res.Warnings)
	}
}

// 1000 stations at t = 0.6, v = 0.5 fix τ = 0.6 and ν = 0.5 (their kernels
// are narrow: h ≈ 0.001). Station X at (0.3, 0.25) is the only one with
// t < τ and v < ν, so σ_τ = |0.3 − 0.6| = 0.3 and σ_ν = |0.25 − 0.5| = 0.25
// (X's turnout bump sits at 0.3, outside "above 0.3"; its share bump below).
// Station Y at (0.7, 0.7) is the only one with v > ν: θ = √0.2 = 0.4472.
func TestFingerprintParametersHandComputed(t *testing.T) {
	var st []Station
	for range 1000 {
		st = append(st, Station{V: 1000, G: 600, R: 600, L: 300})
	}
	st = append(st,
		Station{V: 1000, G: 300, R: 300, L: 75},  // X
		Station{V: 1000, G: 700, R: 700, L: 490}, // Y
		Station{V: 0, G: 0, R: 0, L: 0},          // excluded: V = 0
		Station{V: 100, G: 0, R: 0, L: 0},        // excluded: R = 0
	)
	res, err := Fingerprint(st, FingerprintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2]float64{
		"tau": {res.Tau, 0.6}, "nu": {res.Nu, 0.5},
		"sigma_tau": {res.SigmaTau, 0.3}, "sigma_nu": {res.SigmaNu, 0.25},
		"theta": {res.Theta, math.Sqrt(0.2)},
	} {
		if math.Abs(c[0]-c[1]) > 1e-9 {
			t.Errorf("%s = %.6f, want %.6f", name, c[0], c[1])
		}
	}
	if res.StationsUsed != 1002 {
		t.Errorf("stations used %d, want 1002", res.StationsUsed)
	}
	h := res.Histogram
	if h.TurnoutBins != 100 || h.ShareBins != 100 || h.Weight != "stations" {
		t.Errorf("histogram header %d×%d %q", h.TurnoutBins, h.ShareBins, h.Weight)
	}
	if h.Counts[60][50] != 1000 || h.Counts[30][25] != 1 || h.Counts[70][70] != 1 {
		t.Errorf("histogram cells: [60][50]=%g [30][25]=%g [70][70]=%g", h.Counts[60][50], h.Counts[30][25], h.Counts[70][70])
	}
}

func TestFingerprintHistogramEdgesAndWeights(t *testing.T) {
	st := []Station{
		{V: 500, G: 500, R: 500, L: 500}, // t = v = 1: last bins
		{V: 300, G: 0, R: 10, L: 0},      // t = v = 0: first bins
		{V: 200, G: 101, R: 100, L: 33},  // t = 0.505 → 5 of 10; v = 0.33 → 3 of 10
	}
	res, err := Fingerprint(st, FingerprintOptions{TurnoutBins: 10, ShareBins: 10, WeightByVoters: true})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Histogram.Counts
	if c[9][9] != 500 || c[0][0] != 300 || c[5][3] != 200 || res.Histogram.Weight != "voters" {
		t.Errorf("weighted cells [9][9]=%g [0][0]=%g [5][3]=%g (%s)", c[9][9], c[0][0], c[5][3], res.Histogram.Weight)
	}
}

// simulateElection draws n stations from the Klimek et al. model itself with
// the given fraud, so the fit has a known answer. Incremental fraud uses
// x ~ |N(0, 0.45)|, close to the θ ≈ 0.47 that the first stage then
// estimates from such data; with a spread far from the estimated θ the fit
// trades f_i against θ (with 0.3 it finds f_i = 0.10 for a true 0.30),
// which docs/forensics.md warns about.
func simulateElection(n int, fi, fe, alpha float64, seed uint64) []Station {
	r := rand.New(rand.NewPCG(seed, 3))
	st := make([]Station, n)
	for i := range st {
		v := float64(500 + r.IntN(2000))
		a := truncNormal(r, 0.55, 0.08, 0, 1)
		s := truncNormal(r, 0.45, 0.07, 0, 1)
		var x float64
		switch u := r.Float64(); {
		case u < fi:
			x = math.Abs(0.45 * r.NormFloat64())
			for x >= 1 {
				x = math.Abs(0.45 * r.NormFloat64())
			}
		case u < fi+fe:
			x = max(0, 1-math.Abs(0.075*r.NormFloat64()))
		}
		b := math.Round(v * (a + x*(1-a)))
		w := min(b, math.Round(v*(a*s+x*(1-a)+math.Pow(x, alpha)*(1-s)*a)))
		st[i] = Station{V: int64(v), G: int64(b), R: int64(b), L: int64(w)}
	}
	return st
}

func TestFraudFitRecoversSimulatedFraud(t *testing.T) {
	fit := &FitOptions{
		FI:    gridRange(0, 0.6, 0.05),
		FE:    gridRange(0, 0.12, 0.01),
		Alpha: []float64{1, 2, 3},
		Sims:  3, Seed: 1,
	}
	dirty := simulateElection(20000, 0.3, 0.05, 2, 7)
	res, err := Fingerprint(dirty, FingerprintOptions{Fit: fit})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Fit
	t.Logf("simulated f_i=0.30 f_e=0.05 α=2: fitted %+v (τ %.3f ν %.3f σ_τ %.3f σ_ν %.3f θ %.3f)", *f, res.Tau, res.Nu, res.SigmaTau, res.SigmaNu, res.Theta)
	if math.Abs(f.FE-0.05) > 0.015 {
		t.Errorf("fitted f_e %.3f, simulated 0.05", f.FE)
	}
	if math.Abs(f.FI-0.3) > 0.1 {
		t.Errorf("fitted f_i %.3f, simulated 0.30", f.FI)
	}
	if f.Loss >= f.LossNoFraud {
		t.Errorf("fit loss %.1f not below the no-fraud loss %.1f", f.Loss, f.LossNoFraud)
	}

	clean := simulateElection(20000, 0, 0, 1, 8)
	res, err = Fingerprint(clean, FingerprintOptions{Fit: fit})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("clean simulation: fitted %+v", *res.Fit)
	if res.Fit.FE > 0.005 || res.Fit.FI > 0.1 {
		t.Errorf("clean simulation: fitted f_i %.3f f_e %.3f, want ≈ 0", res.Fit.FI, res.Fit.FE)
	}
}

func TestFraudFitDeterministicAcrossWorkers(t *testing.T) {
	st := simulateElection(3000, 0.2, 0.03, 2, 9)
	fit := func(w int) *FitOptions {
		return &FitOptions{FI: gridRange(0, 0.4, 0.1), FE: gridRange(0, 0.06, 0.02), Alpha: []float64{1, 2}, Sims: 2, Seed: 5, Workers: w}
	}
	a, err := Fingerprint(st, FingerprintOptions{Fit: fit(1)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Fingerprint(st, FingerprintOptions{Fit: fit(3)})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("different Workers: %+v vs %+v", *a.Fit, *b.Fit)
	}
}

// The bootstrap's binned density finds the same peaks as the exact one.
func TestKDEBinnedMatchesExact(t *testing.T) {
	for seed := range uint64(3) {
		st := synthStations(5000, seed+1)
		x := make([]float64, len(st))
		counts := make([]float64, fineBins)
		var m, q float64
		for i, s := range st {
			x[i] = s.Turnout()
			counts[fineBin(x[i])]++
			m += x[i]
			q += x[i] * x[i]
		}
		n := float64(len(x))
		sd := math.Sqrt((q - m*m/n) / (n - 1))
		if a, b := kdePeak(x), peakOf(kdeBinned(counts, sd, n, m/n), false); math.Abs(a-b) > 0.0015 {
			t.Errorf("seed %d: exact peak %.3f, binned %.3f", seed, a, b)
		}
	}
}

// A fingerprint of small stations, and of few: warnings that name their
// thresholds, a σ over no station said to be unestimated, and exclusions
// counted.
func TestFingerprintSmallSamplesAndExclusions(t *testing.T) {
	st := []Station{
		{V: 50, G: 30, R: 30, L: 15},
		{V: 60, G: 40, R: 40, L: 30},
		{V: 40, G: 20, R: 20, L: 10},
		{V: 500, G: 600, R: 600, L: 300}, // turnout above 100 %
		{V: 500, G: 300, R: 0, L: 0},     // no ballots in the box
	}
	res, err := Fingerprint(st, FingerprintOptions{Seed: 1, Bootstrap: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(res.Excluded, map[string]int{ExclTurnoutAbove: 1, ExclNoBallots: 1}) || res.StationsUsed != 3 {
		t.Errorf("excluded %v used %d", res.Excluded, res.StationsUsed)
	}
	joined := strings.Join(res.Warnings, "\n")
	for _, w := range []string{"fewer than 100): the density", "fewer than 100 registered voters", "rests on"} {
		if !strings.Contains(joined, w) {
			t.Errorf("no warning %q in %q", w, res.Warnings)
		}
	}
	if res.TauCI95 == nil || res.Replicates != 50 || res.Seed != 1 {
		t.Errorf("bootstrap: tau ci %v replicates %d", res.TauCI95, res.Replicates)
	}
}

// The first-stage parameters' bootstrap intervals contain the estimates
// and do not depend on the number of workers.
func TestFingerprintBootstrap(t *testing.T) {
	st := synthStations(3000, 4)
	a, err := Fingerprint(st, FingerprintOptions{Seed: 2, Bootstrap: 60, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Fingerprint(st, FingerprintOptions{Seed: 2, Bootstrap: 60, Workers: 3})
	if *a.TauCI95 != *b.TauCI95 || *a.ThetaCI95 != *b.ThetaCI95 {
		t.Errorf("workers change the intervals: %v %v", *a.TauCI95, *b.TauCI95)
	}
	for name, x := range map[string]struct {
		v  float64
		ci *CI
	}{"tau": {a.Tau, a.TauCI95}, "nu": {a.Nu, a.NuCI95}, "sigma_tau": {a.SigmaTau, a.SigmaTauCI95},
		"sigma_nu": {a.SigmaNu, a.SigmaNuCI95}, "theta": {a.Theta, a.ThetaCI95}} {
		if x.ci[0] > x.v+0.002 || x.ci[1] < x.v-0.002 || x.ci[1]-x.ci[0] > 0.1 {
			t.Errorf("%s %.4f, interval %v", name, x.v, *x.ci)
		}
	}
	if len(a.Warnings) != 0 {
		t.Errorf("warnings %q", a.Warnings)
	}
}
