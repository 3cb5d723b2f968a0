package pvt

import (
	"testing"
	"time"
)

// BenchmarkBootstrap8000 is the speed target: 1,000 bootstrap replicates on
// 8,000 reported stations (400 strata of 20, four options and turnout),
// under 1 s on 2 cores. Run with -cpu 1,2 to see the scaling.
func BenchmarkBootstrap8000(b *testing.B) {
	strata, reports := synthetic(400, 20, 20, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Estimate(strata, []string{"A", "B", "C"}, reports, Config{Bootstrap: 1000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLinearised8000 is the same estimate without the bootstrap.
func BenchmarkLinearised8000(b *testing.B) {
	strata, reports := synthetic(400, 20, 20, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Estimate(strata, []string{"A", "B", "C"}, reports, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMexico2018Bootstrap: INE's 23:09 batch (6,307 stations, 350
// strata, four candidates and turnout), 1,000 replicates.
func BenchmarkMexico2018Bootstrap(b *testing.B) {
	strata := frame2018(b)
	reports := remesas2018(b, true)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Estimate(strata, mx2018Options, reports, Config{Bootstrap: 1000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConverge80000 is the dashboard's convergence curve (40
// checkpoints) over 80,000 reports in 17 strata: what a cold dashboard
// computed at 1,000,000 stations with 160,000 observers (issue 9).
func BenchmarkConverge80000(b *testing.B) {
	strata, reports := synthetic(17, 4700, 12, 1)
	for i := range reports {
		reports[i].Arrival = time.Unix(int64(i*7919%len(reports)), 0)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Converge(strata, []string{"A", "B", "C"}, reports, Config{MinReports: 2}, len(reports)/40, 0); err != nil {
			b.Fatal(err)
		}
	}
}
