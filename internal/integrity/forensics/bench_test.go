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
