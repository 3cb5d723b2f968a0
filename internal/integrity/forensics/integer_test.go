package forensics

import (
	"math"
	"reflect"
	"testing"
)

func TestIsIntPct(t *testing.T) {
	for _, c := range []struct {
		x, d int64
		want bool
	}{
		{1005, 10000, true},  // 10.05: exactly 0.05 from 10, inside the bin
		{1006, 10000, false}, // 10.06
		{995, 10000, true},   // 9.95
		{994, 10000, false},  // 9.94
		{1, 20, true},        // 5
		{1, 3, false},        // 33.33
		{2, 3, false},        // 66.67
		{0, 150, true},       // 0
		{50, 101, false},     // 49.50
		{300, 590, false},    // 50.85
	} {
		if got := isIntPct(c.x, c.d, 1/float64(c.d)); got != c.want {
			t.Errorf("isIntPct(%d, %d) = %v, want %v", c.x, c.d, got, c.want)
		}
	}
}

func TestIntegerIncluded(t *testing.T) {
	for _, c := range []struct {
		s    Station
		want bool
	}{
		{Station{V: 100, G: 99, R: 99, L: 50}, true},     // G/V = 0.99 exactly: kept
		{Station{V: 99, G: 50, R: 50, L: 20}, false},     // V < 100
		{Station{V: 200, G: 199, R: 199, L: 20}, false},  // G/V = 0.995
		{Station{V: 200, G: 100, R: 200, L: 199}, false}, // L/R = 0.995
		{Station{V: 200, G: 0, R: 0, L: 0}, false},       // R = 0
		{Station{V: 200, G: 100, R: 100, L: -1}, false},
	} {
		if got := IntegerIncluded(c.s); got != c.want {
			t.Errorf("IntegerIncluded(%+v) = %v, want %v", c.s, got, c.want)
		}
	}
}

// exactIntProb is P(100·X/n is within 0.05 of an integer) for X ~ Bin(n, p),
// by summing the binomial probabilities: an independent check of the Monte
// Carlo null.
func exactIntProb(n, x int64) float64 {
	p := float64(x) / float64(n)
	if p == 0 {
		return 1 // X = 0: 0 % is an integer
	}
	lf := logFactorials(n)
	var s float64
	for k := int64(0); k <= n; k++ {
		if isIntPct(k, n, 1/float64(n)) {
			s += math.Exp(lf[n] - lf[k] - lf[n-k] + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
		}
	}
	return s
}

// Three included stations and one excluded, worked by hand:
//
//	A: V=200, G=100 (50 %), R=100, L=0 (0 %): result and turnout integer.
//	   In the null L* = 0 always, so A's result is integer in every
//	   replicate; 100·G*/200 = G*/2 is integer iff G* is even, P = 1/2.
//	B: V=300, G=101 (33.67 %), R=101, L=50 (49.50 %): neither.
//	   G*/3 is integer iff 3 | G*, P ≈ 1/3; 100·L*/101 = L* − L*/101 is
//	   integer only for L* ≤ 5 or ≥ 96, P ≈ 1e−22.
//	C: V=1000, G=600 (60 %), R=590, L=300 (50.85 %): turnout integer.
//	   G*/10 is integer iff 10 | G*, P ≈ 1/10. The result is integer iff
//	   10·L* mod 59 ∈ {0, 1, 2, 57, 58}: 5 of 59 residues, but these L* are
//	   clustered (283, 289, 295, 301, 307 around 50 %) and C's mean sits on
//	   the cluster, so P = 0.125, not 5/59 = 0.085 — the reason the test
//	   needs its binomial null rather than a flat "1 in 10".
//	D: V=99: excluded.
//
// Observed: result 1 (A), turnout 2 (A, C), either 2. Weighted by V: 200,
// 1200, 1200; by G: 100, 700, 700; by L: 0, 300, 300.
func TestIntegerHandComputed(t *testing.T) {
	st := []Station{
		{V: 200, G: 100, R: 100, L: 0},
		{V: 300, G: 101, R: 101, L: 50},
		{V: 1000, G: 600, R: 590, L: 300},
		{V: 99, G: 50, R: 50, L: 10},
	}
	res, err := IntegerTest(st, IntegerOptions{Replicates: 20000, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if res.StationsUsed != 3 {
		t.Errorf("stations used %d, want 3", res.StationsUsed)
	}
	if p := exactIntProb(200, 100); math.Abs(p-0.5) > 1e-12 {
		t.Fatalf("exact P(A turnout) = %g, want 1/2", p)
	}
	if p := exactIntProb(590, 300); math.Abs(p-0.12495) > 1e-4 {
		t.Fatalf("exact P(C result) = %g, want 0.12495", p)
	}
	var expR, expT, expE, expRL float64
	for _, s := range st[:3] {
		pr, pt := exactIntProb(s.R, s.L), exactIntProb(s.V, s.G)
		expR += pr
		expT += pt
		expE += 1 - (1-pr)*(1-pt)
		expRL += float64(s.L) * pr
	}
	obs := map[string]float64{"result": 1, "turnout": 2, "either": 2}
	exp := map[string]float64{"result": expR, "turnout": expT, "either": expE}
	for c, want := range obs {
		got := res.Criteria[c]
		if got.Observed != want {
			t.Errorf("%s observed %g, want %g", c, got.Observed, want)
		}
		// 20,000 replicates: the mean's standard error is below 0.005.
		if math.Abs(got.Expected-exp[c]) > 0.02 {
			t.Errorf("%s expected %.4f, want %.4f", c, got.Expected, exp[c])
		}
		if math.Abs(got.Excess-(got.Observed-got.Expected)) > 1e-12 {
			t.Errorf("%s excess %g ≠ observed − expected", c, got.Excess)
		}
		if got.SD <= 0 || math.Abs(got.Z-got.Excess/got.SD) > 1e-12 {
			t.Errorf("%s sd %g z %g inconsistent", c, got.SD, got.Z)
		}
	}
	// A replicate has at most 3 stations integer (either), at least 1 (A's
	// result); P(3) = P(B either)·P(C either) ≈ 1/3 · 0.21 ≫ 0.001, so the
	// 99.9th percentile is 3.
	if p := res.Criteria["either"].P999; p != 3 {
		t.Errorf("either p999 %g, want 3", p)
	}
	wobs := map[string]map[string]float64{
		"V": {"result": 200, "turnout": 1200, "either": 1200},
		"G": {"result": 100, "turnout": 700, "either": 700},
		"L": {"result": 0, "turnout": 300, "either": 300},
	}
	for w, m := range wobs {
		for c, want := range m {
			if got := res.Weighted[w][c].Observed; got != want {
				t.Errorf("weighted %s %s observed %g, want %g", w, c, got, want)
			}
		}
	}
	// Weighted by L, A's always-integer result weighs 0: expected ≈ 300 × 0.125.
	if got := res.Weighted["L"]["result"].Expected; math.Abs(got-expRL) > 2 {
		t.Errorf("L-weighted result expected %.2f, want %.2f", got, expRL)
	}
}

func TestIntegerDeterministicAcrossWorkers(t *testing.T) {
	st := synthStations(3000, 5)
	a, err := IntegerTest(st, IntegerOptions{Replicates: 50, Seed: 9, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := IntegerTest(st, IntegerOptions{Replicates: 50, Seed: 9, Workers: 3})
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different Workers: results differ")
	}
	c, _ := IntegerTest(st, IntegerOptions{Replicates: 50, Seed: 10, Workers: 3})
	if reflect.DeepEqual(a.Criteria, c.Criteria) {
		t.Error("different seeds gave identical replicates")
	}
}

// On honest synthetic counts (no rounding to integer percentages) the excess
// must be within noise; after forcing 10 % of stations' turnout to integer
// percentages it must be large.
func TestIntegerDetectsInjectedIntegers(t *testing.T) {
	st := synthStations(20000, 11)
	clean, err := IntegerTest(st, IntegerOptions{Replicates: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if z := clean.Criteria["either"].Z; math.Abs(z) > 4 {
		t.Errorf("clean synthetic data: either z = %.2f, want |z| ≤ 4", z)
	}
	for i := 0; i < len(st); i += 10 {
		st[i].G = st[i].V * 70 / 100
		if st[i].V%100 != 0 { // make 100·G/V exactly 70 where rounding allows
			st[i].V = st[i].V - st[i].V%100
			st[i].G = st[i].V * 70 / 100
		}
		st[i].R = st[i].G
		st[i].L = st[i].R / 2
	}
	dirty, _ := IntegerTest(st, IntegerOptions{Replicates: 200, Seed: 1})
	if z := dirty.Criteria["turnout"].Z; z < 20 {
		t.Errorf("10 %% of stations at 70 %% turnout: turnout z = %.2f, want > 20", z)
	}
}

func TestIntegerErrors(t *testing.T) {
	if _, err := IntegerTest([]Station{{V: 200, G: 100, R: 100, L: 50}}, IntegerOptions{Replicates: 1}); err == nil {
		t.Error("1 replicate: no error")
	}
	if _, err := IntegerTest([]Station{{V: 50, G: 10, R: 10, L: 5}}, IntegerOptions{}); err == nil {
		t.Error("no included station: no error")
	}
}

// TestIntegerProgress: the progress callback counts up to every replicate,
// never past, and changes nothing in the result.
func TestIntegerProgress(t *testing.T) {
	st := synthStations(500, 3)
	var calls, last int
	monotone := true
	a, err := IntegerTest(st, IntegerOptions{Replicates: 50, Seed: 2, Workers: 3, Progress: func(done, total int) {
		calls++
		if done <= last || total != 50 || done > total {
			monotone = false
		}
		last = done
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !monotone || last != 50 || calls < 2 {
		t.Errorf("progress: %d calls, last %d, monotone %v", calls, last, monotone)
	}
	b, _ := IntegerTest(st, IntegerOptions{Replicates: 50, Seed: 2, Workers: 3})
	if !reflect.DeepEqual(a, b) {
		t.Error("a progress callback changed the result")
	}
}
