package observe

import (
	"math"
	"testing"
)

// Hand values: Newcombe (1998), "Two-sided confidence intervals for the
// single proportion", Statistics in Medicine 17, table I (method 3, the
// score interval without continuity correction), and the textbook 0/10 and
// 10/10 cases, recomputed by hand from the formula in Wilson's doc comment.
func TestWilson(t *testing.T) {
	cases := []struct {
		x, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0.0000, 0.1611},
		{1, 29, 0.0061, 0.1718},
		{0, 10, 0.0000, 0.2775},
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1.0000},
	}
	for _, c := range cases {
		lo, hi := Wilson(c.x, c.n, Z95)
		if math.Abs(lo-c.lo) > 0.00005 || math.Abs(hi-c.hi) > 0.00005 {
			t.Errorf("Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", c.x, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if lo, hi := Wilson(0, 0, Z95); lo != 0 || hi != 1 {
		t.Errorf("Wilson(0, 0) = [%v, %v], want [0, 1]", lo, hi)
	}
	if Share(1, 0) != 0 || Share(1, 4) != 0.25 {
		t.Error("Share")
	}
}

// Four teams of five observations, 5, 0, 1 and 0 of them negative: p̂ =
// 0.3; residuals 3.5, −1.5, −0.5, −1.5 (Σ² = 17); V̂ = 4/3 · 17/400 =
// 0.05667 against the simple 0.21/20 = 0.0105: design effect 5.397,
// effective sample 3.706; Wilson on it with t(3) = 3.1824: [0.0279, 0.8650]
// where the simple Wilson interval on 20 gives [0.1455, 0.5190].
func TestClusterWilson(t *testing.T) {
	cs := ClusterWilson([]Cluster{{5, 5}, {5, 0}, {5, 1}, {5, 0}})
	if cs.Clusters != 4 || cs.Method != "cluster score" || math.Abs(cs.Share-0.3) > 1e-12 {
		t.Errorf("%+v", cs)
	}
	if math.Abs(cs.DesignEffect-5.3968) > 1e-4 {
		t.Errorf("design effect %.4f, want 5.3968", cs.DesignEffect)
	}
	if math.Abs(cs.CI95[0]-0.02787) > 1e-5 || math.Abs(cs.CI95[1]-0.86497) > 1e-5 {
		t.Errorf("interval %v, want [0.02787, 0.86497]", cs.CI95)
	}
	lo, hi := Wilson(6, 20, Z95)
	if math.Abs(lo-0.1455) > 1e-4 || math.Abs(hi-0.5190) > 1e-4 {
		t.Errorf("simple interval [%.4f, %.4f]", lo, hi)
	}
	// Every observation its own cluster: exactly the simple Wilson interval.
	one := make([]Cluster, 20)
	for i := range 6 {
		one[i] = Cluster{1, 1}
	}
	for i := 6; i < 20; i++ {
		one[i] = Cluster{1, 0}
	}
	if s := ClusterWilson(one); s.Method != "wilson" || s.CI95 != [2]float64{lo, hi} || s.DesignEffect != 1 {
		t.Errorf("singletons %+v", s)
	}
	// No negative observation: the clusters count once each (n* = 4),
	// upper bound 3.1824²/(4 + 3.1824²) = 0.7169, not the simple 0.1611.
	z := ClusterWilson([]Cluster{{5, 0}, {5, 0}, {5, 0}, {5, 0}})
	if z.CI95[0] > 1e-12 || math.Abs(z.CI95[1]-0.71687) > 1e-5 {
		t.Errorf("none negative: %v", z.CI95)
	}
	// A design effect below 1 is taken as 1: teams that differ less than
	// chance allows do not narrow the interval below the simple one.
	even := ClusterWilson([]Cluster{{4, 2}, {4, 2}, {4, 2}, {4, 2}})
	if even.DesignEffect != 1 {
		t.Errorf("even teams: design effect %g", even.DesignEffect)
	}
}
