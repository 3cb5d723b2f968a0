package forensics_test

import (
	"fmt"

	"github.com/vigil-elections/vigil/internal/integrity/forensics"
)

func ExampleIntegerTest() {
	st := []forensics.Station{
		{V: 200, G: 100, R: 100, L: 0},    // 50 % turnout, 0 % result: both integer
		{V: 300, G: 101, R: 101, L: 50},   // 33.67 %, 49.50 %: neither
		{V: 1000, G: 600, R: 590, L: 300}, // 60 %, 50.85 %: turnout integer
	}
	res, err := forensics.IntegerTest(st, forensics.IntegerOptions{Replicates: 1000, Seed: 1})
	if err != nil {
		panic(err)
	}
	e := res.Criteria["either"]
	fmt.Printf("%d stations; either: observed %.0f, expected %.2f\n", res.StationsUsed, e.Observed, e.Expected)
	// The exact null mean is 1 + 1/3 + (1 − 0.9 × 0.875) = 1.546.
	// Output: 3 stations; either: observed 2, expected 1.55
}

func ExampleShpilkin() {
	st := []forensics.Station{
		{V: 1000, G: 400, R: 400, L: 200},
		{V: 2000, G: 820, R: 820, L: 410},
		{V: 1000, G: 420, R: 420, L: 210},
		{V: 1000, G: 800, R: 800, L: 720}, // high turnout, 90 % for the leader
	}
	res, err := forensics.Shpilkin(st, forensics.ShpilkinOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("peak %g %%, clean share %.1f %%, excess %d, corrected share %.1f %%\n",
		res.PeakTurnout, res.CleanShare, res.Excess, res.LeaderShareCorrected)
	// Output: peak 41 %, clean share 50.0 %, excess 640, corrected share 50.0 %
}

func ExampleControlComparison() {
	st := []forensics.Station{
		{Group: "A", V: 1000, G: 950, R: 950, L: 400, Control: true},
		{Group: "A", V: 2000, G: 1900, R: 1900, L: 1400},
		{Group: "B", V: 500, G: 475, R: 475, L: 250, Control: true},
		{Group: "B", V: 500, G: 475, R: 475, L: 250},
	}
	res, err := forensics.ControlComparison(st, forensics.ControlOptions{})
	if err != nil {
		panic(err)
	}
	for _, g := range res.Groups {
		fmt.Printf("%s: official %d, expected %.0f, excess %.0f\n", g.Area, g.Official, g.Expected, g.Excess)
	}
	fmt.Println("total excess", res.Excess)
	// Output:
	// A: official 1800, expected 1200, excess 600
	// B: official 500, expected 500, excess 0
	// total excess 600
}
