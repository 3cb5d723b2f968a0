package forensics

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestBinomialMatchesPMF draws from every branch of the sampler (constant,
// inversion, BTRS, each mirrored for p > 1/2) and compares the draws with the
// exact binomial probabilities by a χ² goodness-of-fit test. A wrong
// constant in BTRS or an off-by-one in the inversion shifts mass by far more
// than this test tolerates at 200,000 draws.
func TestBinomialMatchesPMF(t *testing.T) {
	cases := []struct {
		n    int64
		p    float64
		kind uint8
	}{
		{5, 0.3, binInv},
		{60, 0.1, binInv},
		{200, 0.97, binInv},
		{25, 0.5, binBTRS},
		{1000, 0.4, binBTRS},
		{2500, 0.93, binBTRS},
		{120, 0.2, binBTRS},
	}
	const draws = 200000
	for _, c := range cases {
		lf := logFactorials(c.n)
		d := newBinomial(c.n, c.p, lf)
		if d.kind != c.kind {
			t.Errorf("n=%d p=%g: kind %d, want %d", c.n, c.p, d.kind, c.kind)
		}
		rng := rand.NewPCG(1, 2)
		counts := make([]float64, c.n+1)
		var sum, sum2 float64
		for range draws {
			k := d.draw(rng, lf)
			if k < 0 || k > c.n {
				t.Fatalf("n=%d p=%g: draw %d out of range", c.n, c.p, k)
			}
			counts[k]++
			sum += float64(k)
			sum2 += float64(k) * float64(k)
		}
		mean := sum / draws
		sd := math.Sqrt(float64(c.n) * c.p * (1 - c.p))
		if math.Abs(mean-float64(c.n)*c.p) > 5*sd/math.Sqrt(draws) {
			t.Errorf("n=%d p=%g: mean %g, want %g", c.n, c.p, mean, float64(c.n)*c.p)
		}
		// χ² over cells pooled until each expects ≥ 20 draws.
		var chi2, obsAcc, expAcc float64
		df := -1
		for k := int64(0); k <= c.n; k++ {
			lp := lf[c.n] - lf[k] - lf[c.n-k] + float64(k)*math.Log(c.p) + float64(c.n-k)*math.Log1p(-c.p)
			expAcc += draws * math.Exp(lp)
			obsAcc += counts[k]
			if expAcc >= 20 || k == c.n {
				chi2 += (obsAcc - expAcc) * (obsAcc - expAcc) / expAcc
				df++
				obsAcc, expAcc = 0, 0
			}
		}
		p := distuv.ChiSquared{K: float64(df)}.Survival(chi2)
		if p < 1e-4 {
			t.Errorf("n=%d p=%g: χ²=%.1f on %d df, p=%.2g: draws do not follow the binomial", c.n, c.p, chi2, df, p)
		}
	}
}

func TestBinomialDegenerate(t *testing.T) {
	lf := logFactorials(10)
	rng := rand.NewPCG(3, 4)
	for _, c := range []struct {
		n    int64
		p    float64
		want int64
	}{{10, 0, 0}, {10, 1, 10}, {0, 0.5, 0}} {
		d := newBinomial(c.n, c.p, lf)
		if got := d.draw(rng, lf); got != c.want {
			t.Errorf("Bin(%d, %g) drew %d, want %d", c.n, c.p, got, c.want)
		}
	}
}
