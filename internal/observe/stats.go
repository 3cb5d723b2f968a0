package observe

import (
	"math"
	"math/big"

	"github.com/vigil-elections/vigil/internal/observe/agg"

	"gonum.org/v1/gonum/stat/distuv"
)

// Z95 is the standard normal quantile for a two-sided 95 % interval.
const Z95 = 1.959963984540054

// Wilson returns the Wilson score interval for x successes in n trials at
// the normal quantile z (Z95 for 95 %):
//
//	centre = (p̂ + z²/2n) / (1 + z²/n)
//	half   = z / (1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²)
//
// It stays inside [0, 1] and behaves at p̂ = 0 and 1, where the textbook
// (Wald) interval collapses to a point: "0 of 12" still leaves an upper
// bound of 24 %. With n = 0 it returns [0, 1] (nothing is known).
func Wilson(x, n int, z float64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	p := float64(x) / float64(n)
	nn := float64(n)
	z2 := z * z
	den := 1 + z2/nn
	centre := (p + z2/(2*nn)) / den
	half := z / den * math.Sqrt(p*(1-p)/nn+z2/(4*nn*nn))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// Share returns x/n, or 0 when n is 0.
func Share(x, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(x) / float64(n)
}

// Cluster is one cluster's part of a share: Units observations, Hits of
// them with the property (e.g. a team's counts observed and assessed
// negatively).
type Cluster struct{ Units, Hits int }

// ClusterShare is a share with its cluster-robust interval.
type ClusterShare struct {
	Share float64
	CI95  [2]float64
	// Clusters is the number of clusters with at least one unit;
	// DesignEffect the ratio of the cluster-robust variance to the simple
	// binomial one (at least 1, see ClusterWilson), 1 when every unit is
	// its own cluster; Method "wilson" (every unit its own cluster) or
	// "cluster score" (Wilson on the effective sample size, t quantile).
	Clusters     int
	DesignEffect float64
	Method       string
}

// ClusterWilson is the interval of a share x/n whose units come in
// clusters (a team observes several stations on one day, in one area: its
// observations are not independent). The share's variance is the
// cluster-robust (linearised, "sandwich") estimate
//
//	V̂ = C/(C − 1) · Σ_c (x_c − p̂·n_c)² / n²
//
// over C clusters; the design effect d = V̂ / (p̂(1 − p̂)/n), taken as 1
// when below 1 (an interval narrower than the simple one would rest on a
// negative within-cluster correlation estimated from few clusters); and
// the interval is Wilson's on the effective sample size n/d with Student's
// t quantile on C − 1 degrees of freedom (the score interval for complex
// samples of Korn & Graubard, Survey Methodology 1998). When p̂ is 0 or 1
// the variance says nothing of the clustering, and n/d is taken as C: each
// cluster counts once. When every cluster holds one unit this is the
// simple Wilson interval (Wilson, z quantile) and Method says "wilson".
func ClusterWilson(cs []Cluster) ClusterShare {
	var st agg.Stats
	for _, c := range cs {
		st.Add(agg.Move(0, 0, int64(c.Units), int64(c.Hits)))
	}
	return ClusterStats(st)
}

// ClusterStats is ClusterWilson from the clusters' sufficient statistics
// (agg.Stats), which the store keeps as running sums: the interval of a
// national share is computed from one row, not from every cluster. The
// sum of squares Σ_c (x_c − p̂·n_c)² is Sxx − 2p̂·Sxn + p̂²·Snn, taken
// exactly in integers (times n²) before the one division, so that the
// running sums and a computation from the clusters give the same bits.
func ClusterStats(st agg.Stats) ClusterShare {
	n, x, C := int(st.N), int(st.X), int(st.C)
	// Every cluster holds one unit exactly when Σn_c² = Σn_c.
	simple := st.Snn == st.N
	out := ClusterShare{Share: Share(x, n), Clusters: C, DesignEffect: 1, Method: "wilson"}
	if n == 0 {
		out.CI95 = [2]float64{0, 1}
		return out
	}
	if simple || C < 2 {
		// One cluster alone cannot estimate between-cluster variance: the
		// simple interval is all that can be said (a warning is the
		// caller's: Clusters says 1).
		out.CI95[0], out.CI95[1] = Wilson(x, n, Z95)
		return out
	}
	out.Method = "cluster score"
	p := out.Share
	// n²·Σ(x_c − p̂n_c)² = n²·Sxx − 2xn·Sxn + x²·Snn, in big integers.
	bn, bx := big.NewInt(st.N), big.NewInt(st.X)
	t1 := new(big.Int).Mul(new(big.Int).Mul(bn, bn), big.NewInt(st.Sxx))
	t2 := new(big.Int).Mul(new(big.Int).Mul(bx, bn), big.NewInt(2*st.Sxn))
	t3 := new(big.Int).Mul(new(big.Int).Mul(bx, bx), big.NewInt(st.Snn))
	num := t1.Sub(t1, t2)
	num.Add(num, t3)
	fn := float64(n)
	ssn2, _ := new(big.Float).SetInt(num).Float64()
	ss := ssn2 / (fn * fn)
	v := float64(C) / float64(C-1) * ss / (fn * fn)
	neff := float64(C)
	if p > 0 && p < 1 {
		out.DesignEffect = max(1, v/(p*(1-p)/fn))
		neff = fn / out.DesignEffect
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(C - 1)}.Quantile(0.975)
	q2n := q * q / neff
	centre := (p + q2n/2) / (1 + q2n)
	half := q / (1 + q2n) * math.Sqrt(p*(1-p)/neff+q2n/(4*neff))
	out.CI95 = [2]float64{math.Max(0, centre-half), math.Min(1, centre+half)}
	return out
}
