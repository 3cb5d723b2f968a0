package observe

import "math"

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
