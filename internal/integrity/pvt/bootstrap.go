package pvt

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// bootstrap runs B rescaled-bootstrap replicates (see the package comment)
// and returns the replicate ratios, ratio-major: out[j*B+b] is ratio j in
// replicate b, as a proportion. It allocates the output and one accumulator
// per worker, nothing per replicate.
func (d *design) bootstrap(rs []ratio, B int, seed uint64, workers int) []float64 {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, B)
	out := make([]float64, len(rs)*B)
	// Per-group constants, computed once.
	type gc struct{ base, scale float64 }
	consts := make([]gc, len(d.groups))
	for g, gr := range d.groups {
		w := float64(gr.N) / float64(gr.n)
		if gr.n < 2 {
			consts[g] = gc{base: w}
			continue
		}
		lam := math.Sqrt(1 - float64(gr.n)/float64(gr.N))
		consts[g] = gc{base: w * (1 - lam), scale: w * lam * float64(gr.n) / float64(gr.n-1)}
	}
	s1 := splitmix64(seed)
	var wg sync.WaitGroup
	for wk := range workers {
		lo, hi := wk*B/workers, (wk+1)*B/workers
		wg.Go(func() {
			acc := make([]float64, 2*d.cols)
			tot, draw := acc[:d.cols], acc[d.cols:]
			var rng rand.PCG
			for b := lo; b < hi; b++ {
				rng.Seed(s1, splitmix64(seed^(uint64(b)+1)*0x9e3779b97f4a7c15))
				clear(tot)
				for g := range d.groups {
					gr := &d.groups[g]
					c := consts[g]
					for k, s := range gr.sums {
						tot[k] += c.base * s
					}
					if gr.n < 2 || c.scale == 0 {
						continue
					}
					clear(draw)
					n := uint64(gr.n)
					for range gr.n - 1 {
						i := gr.off + int(uintn(&rng, n))
						row := d.vals[i*d.cols : (i+1)*d.cols]
						for k, v := range row {
							draw[k] += v
						}
					}
					for k, v := range draw {
						tot[k] += c.scale * v
					}
				}
				for j, r := range rs {
					out[j*B+b] = r.y(tot) / tot[r.den]
				}
			}
		})
	}
	wg.Wait()
	return out
}

// uintn returns a uniform integer in [0, n) by Lemire's multiply-and-reject
// method, without the allocation a rand.Rand would cost per replicate.
func uintn(r *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// splitmix64 is Steele, Lea & Flood's SplitMix64 finaliser, used to turn the
// seed and the replicate number into well-mixed PCG seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// summarise turns replicate proportions into a Bootstrap in per cent. It
// sorts reps in place. A replicate whose denominator came out zero (NaN; only
// possible with a handful of reports) is left out, and Replicates says how
// many were used; with none left the result is nil.
func summarise(reps []float64) *Bootstrap {
	reps = slices.DeleteFunc(reps, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
	if len(reps) == 0 {
		return nil
	}
	B := len(reps)
	var sum float64
	for _, v := range reps {
		sum += v
	}
	mean := sum / float64(B)
	var ss float64
	for _, v := range reps {
		ss += (v - mean) * (v - mean)
	}
	se := 0.0
	if B > 1 {
		se = math.Sqrt(ss / float64(B-1))
	}
	slices.Sort(reps)
	q := func(p float64) float64 { return 100 * quantile7(reps, p) }
	return &Bootstrap{
		Replicates: B,
		SE:         100 * se,
		CI95:       Interval{q(0.025), q(0.975)},
		CI99:       Interval{q(0.005), q(0.995)},
	}
}

// quantile7 is the sample quantile of sorted x by linear interpolation
// between order statistics (Hyndman & Fan type 7, R's default).
func quantile7(x []float64, p float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	h := float64(len(x)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}
