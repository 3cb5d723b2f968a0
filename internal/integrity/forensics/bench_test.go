package forensics

import (
	"math/rand/v2"
	"testing"
)

// synthStations makes n plausible stations (V 100…3000, turnout and share
// spread around 0.6), for benchmarks that must run without the real data.
func synthStations(n int, seed uint64) []Station {
	rng := rand.New(rand.NewPCG(seed, 7))
	st := make([]Station, n)
	for i := range st {
		v := 100 + rng.Int64N(2900)
		t := min(0.98, max(0.05, 0.6+0.15*rng.NormFloat64()))
		g := int64(t * float64(v))
		r := g - rng.Int64N(g/50+1)
		s := min(0.98, max(0.01, 0.6+0.15*rng.NormFloat64()))
		st[i] = Station{V: v, G: g, R: r, L: int64(s * float64(r))}
	}
	return st
}

// BenchmarkIntegerSynthetic95k: 95,000 synthetic stations, 1000 replicates.
func BenchmarkIntegerSynthetic95k(b *testing.B) {
	st := synthStations(95000, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := IntegerTest(st, IntegerOptions{Replicates: 1000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIntegerRussia2012: the 2012 presidential election (87,623
// included stations of 95,415), 1000 replicates — the performance target —
// on one goroutine and on GOMAXPROCS.
func BenchmarkIntegerRussia2012(b *testing.B) {
	st := stations(russia(b, "2012"))
	for _, w := range []int{1, 0} {
		name := "workers=GOMAXPROCS"
		if w == 1 {
			name = "workers=1"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := IntegerTest(st, IntegerOptions{Replicates: 1000, Seed: 1, Workers: w}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFingerprintFitRussia2011: first stage and the fraud-model fit on
// the default grid (37 × 31 × 6 points, 5 simulations each).
func BenchmarkFingerprintFitRussia2011(b *testing.B) {
	st := stations(russia(b, "2011"))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fingerprint(st, FingerprintOptions{Fit: &FitOptions{Seed: 1}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFingerprintRussia2011: histogram and first-stage parameters only.
func BenchmarkFingerprintRussia2011(b *testing.B) {
	st := stations(russia(b, "2011"))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fingerprint(st, FingerprintOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
