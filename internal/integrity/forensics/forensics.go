// Package forensics holds the statistical tests of election forensics that
// vigil runs on polling-station results: the integer-percentage test, the
// election fingerprint and its fraud model, Shpilkin's excess-vote estimate,
// digit tests and the comparison with a control group of stations.
//
// Every function is pure: it takes plain slices, touches no database, file or
// network, and, where it draws random numbers, is deterministic given its
// seed whatever the number of goroutines. The definitions follow
// shared/METHODS.md; docs/forensics.md says how each result is read and how
// it must not be misread. None of these tests proves fraud: each finds
// patterns that honest counts rarely produce, and each has innocent
// explanations that the documentation lists.
package forensics

import (
	"math"
	"runtime"
)

// Station is one polling station's result, as the tests need it.
// Notation of METHODS.md: V registered voters, G ballots issued (in station,
// early and mobile), R ballots found in the boxes (valid + invalid), L votes
// for the leader (the candidate or party the analysis is about); O = R − L.
type Station struct {
	V, G, R, L int64
	// Group is the district (or any area) the station belongs to; only the
	// control-group comparison uses it.
	Group string
	// Control marks a station believed to be counted honestly (scanner,
	// randomly assigned observer, camera, recount); only the control-group
	// comparison uses it.
	Control bool
}

// Turnout is G/V (NaN when V = 0).
func (s Station) Turnout() float64 { return float64(s.G) / float64(s.V) }

// Share is the leader's share L/R (NaN when R = 0).
func (s Station) Share() float64 { return float64(s.L) / float64(s.R) }

func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// splitmix64 scrambles x; it derives independent-looking seeds for the
// per-replicate (or per-simulation) random streams from one user seed.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// streamSeeds returns the two PCG seeds of stream i under seed.
func streamSeeds(seed, i uint64) (uint64, uint64) {
	a := splitmix64(seed ^ splitmix64(i+1))
	return a, splitmix64(a ^ 0x5851f42d4c957f2d)
}

// quantile is NumPy's default ("linear") quantile of sorted x.
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * q
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// normalTwoSided is the two-sided p-value of a standard normal statistic.
func normalTwoSided(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}
