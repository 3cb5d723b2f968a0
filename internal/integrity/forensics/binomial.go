package forensics

import (
	"math"
	"math/rand/v2"
)

// binomial is a Binomial(n, p) sampler whose set-up is done once, so that
// drawing from it many times (one draw per station per Monte Carlo
// replicate) costs no allocation and no logarithm in the common case.
//
// Two algorithms, as is usual:
//   - n·min(p,1−p) < 10: inversion by sequential search from 0 (Kachitvichyanukul
//     & Schmeiser 1988, "BINV"); on average n·p + 1 steps.
//   - otherwise: BTRS, the transformed rejection with squeeze of Hörmann
//     (1993), "The generation of binomial random variates", J. Statist.
//     Comput. Simul. 46:101–110. About 86 % of draws are accepted by the
//     squeeze with two uniforms and no logarithm; the rest use a table of
//     log k! (shared, built once per call of the test), and most of those
//     are decided by the bounds 1 − 1/x ≤ log x ≤ x − 1 without computing
//     the logarithm.
//
// p > 1/2 is handled by symmetry (draw n − X with 1 − p).
type binomial struct {
	n    int64
	kind uint8 // binConst, binInv or binBTRS
	flip bool
	// binConst: the value. binInv: unused.
	k int64
	// binInv: r0 = q^n, s = p/q, a = (n+1)·s.
	// binBTRS: the constants of Hörmann's algorithm.
	r0, s, a, b, c, vr, alpha, lpq, m, h float64
}

const (
	binConst uint8 = iota
	binInv
	binBTRS
)

// newBinomial prepares the sampler. lf must hold log k! for k = 0 … n
// whenever the BTRS branch is taken (n·p ≥ 10).
func newBinomial(n int64, p float64, lf []float64) binomial {
	if n <= 0 || p <= 0 {
		return binomial{n: n, kind: binConst, k: 0}
	}
	if p >= 1 {
		return binomial{n: n, kind: binConst, k: n}
	}
	d := binomial{n: n}
	if p > 0.5 {
		p = 1 - p
		d.flip = true
	}
	q := 1 - p
	np := float64(n) * p
	if np < 10 {
		d.kind = binInv
		d.r0 = math.Exp(float64(n) * math.Log1p(-p))
		d.s = p / q
		d.a = float64(n+1) * d.s
		return d
	}
	d.kind = binBTRS
	spq := math.Sqrt(np * q)
	d.b = 1.15 + 2.53*spq
	d.a = -0.0873 + 0.0248*d.b + 0.01*p
	d.c = np + 0.5
	d.vr = 0.92 - 4.2/d.b
	d.alpha = (2.83 + 5.1/d.b) * spq
	d.lpq = math.Log(p / q)
	d.m = math.Floor(float64(n+1) * p)
	mi := int64(d.m)
	d.h = lf[mi] + lf[n-mi]
	return d
}

// unit returns a uniform float64 in [0, 1) with 53 random bits.
func unit(r *rand.PCG) float64 {
	return float64(r.Uint64()>>11) * 0x1p-53
}

// draw returns one Binomial(n, p) variate using the stream r.
func (d *binomial) draw(r *rand.PCG, lf []float64) int64 {
	var k int64
	switch d.kind {
	case binConst:
		return d.k
	case binInv:
		k = d.inv(r)
	default:
		k = d.btrs(r, lf)
	}
	if d.flip {
		return d.n - k
	}
	return k
}

func (d *binomial) inv(r *rand.PCG) int64 {
	for {
		u := unit(r)
		pr := d.r0
		var x int64
		for u > pr {
			u -= pr
			x++
			if x > d.n {
				break // rounding left u unspent: start again
			}
			pr *= d.a/float64(x) - d.s
		}
		if x <= d.n {
			return x
		}
	}
}

func (d *binomial) btrs(r *rand.PCG, lf []float64) int64 {
	nf := float64(d.n)
	for {
		u := unit(r) - 0.5
		v := unit(r)
		us := 0.5 - math.Abs(u)
		kf := math.Floor((2*d.a/us+d.b)*u + d.c)
		if kf < 0 || kf > nf {
			continue
		}
		if us >= 0.07 && v <= d.vr {
			return int64(kf)
		}
		k := int64(kf)
		x := v * d.alpha / (d.a/(us*us) + d.b)
		rhs := d.h - lf[k] - lf[d.n-k] + (kf-d.m)*d.lpq
		// Accept iff log x ≤ rhs. Since 1 − 1/x ≤ log x ≤ x − 1, the
		// bounds decide most cases without the logarithm, exactly.
		if x-1 <= rhs {
			return k
		}
		if 1-1/x > rhs {
			continue
		}
		if math.Log(x) <= rhs {
			return k
		}
	}
}

// logFactorials returns log k! for k = 0 … n.
func logFactorials(n int64) []float64 {
	lf := make([]float64, n+1)
	for k := int64(2); k <= n; k++ {
		lf[k], _ = math.Lgamma(float64(k + 1))
	}
	return lf
}
