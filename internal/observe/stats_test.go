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
