package pvt

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func hasWarning(res *Result, part string) bool {
	return slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, part) })
}

// Three singleton strata kept with --min-reports 1 used to give SE 0, the
// interval [p, p] and "decided at 95 %". Now each gets the variance of all
// the reports around their mean, with a warning, and the verdict is
// withheld (2 degrees of freedom, fewer than WithholdDF).
//
// Strata A, B, C of 100 stations, one report each of x = 100 votes, the
// option X with 50, 55, 60: p̂ = 0.55, residuals −5, 0, 5 (s² = 25);
// V̂ = 3 · 100² · 0.99 · 25 / 30,000² = 0.000825, SE 2.872 points, df 2.
func TestSingletonStrata(t *testing.T) {
	strata := []Stratum{{Key: "A", N: 100}, {Key: "B", N: 100}, {Key: "C", N: 100}}
	var reports []Report
	for i, k := range []string{"A", "B", "C"} {
		y := 50 + 5*float64(i)
		reports = append(reports, Report{Stratum: k, Votes: []float64{y, 100 - y}, Total: 100})
	}
	res, err := Estimate(strata, []string{"X", "Y"}, reports, Config{MinReports: 1, Bootstrap: 100})
	if err != nil {
		t.Fatal(err)
	}
	x := res.Option("X")
	if x.Boot != nil || !hasWarning(res, "no bootstrap interval") {
		t.Errorf("bootstrap %+v with singleton strata (it would have zero width); warnings %q", x.Boot, res.Warnings)
	}
	near(t, "X", x.Estimate, 55, 1e-9)
	near(t, "X se", x.SE, 100*math.Sqrt(0.000825), 1e-9)
	near(t, "X se (literal)", x.SE, 2.8723, 1e-4)
	near(t, "X df", x.DF, 2, 1e-9)
	if x.CI95[1]-x.CI95[0] < 10 {
		t.Errorf("95 %% interval %v: too narrow for 3 reports", x.CI95)
	}
	if !slices.Equal(res.Strata.Singletons, []string{"A", "B", "C"}) || !hasWarning(res, "3 strata have a single report") {
		t.Errorf("singletons %v, warnings %q", res.Strata.Singletons, res.Warnings)
	}
	if !strings.Contains(res.Withheld, "fewer than 5") {
		t.Errorf("withheld %q, want the degrees of freedom named", res.Withheld)
	}
	vs, err := Compare(res, map[string]float64{"X": 55, "Y": 45})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if !v.Withheld || !strings.Contains(v.Sentence, "no verdict") {
			t.Errorf("verdict %+v", v)
		}
	}
	// With the default MinReports the three are collapsed into one stratum
	// of 300 stations and 3 reports: the same residuals, N² (1 − 3/300)·25/3.
	res2, err := Estimate(strata, []string{"X", "Y"}, reports, Config{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "collapsed X se", res2.Option("X").SE, 100*math.Sqrt(300*300*0.99*25/3/(30000*30000)), 1e-9)
}

// An option with no vote in the sample gets the score interval on the
// number of reports, from 0 to t²/(n + t²), not [0, 0], and a warning.
// Four reports in two strata: df = n − H = 2, t = 4.303, upper bound
// 4.303²/(4 + 4.303²) = 82.2 %.
func TestOptionWithNoVotes(t *testing.T) {
	strata := []Stratum{{Key: "A", N: 50}, {Key: "B", N: 50}}
	reports := []Report{
		{Stratum: "A", Votes: []float64{60, 40, 0}, Total: 100},
		{Stratum: "A", Votes: []float64{55, 45, 0}, Total: 100},
		{Stratum: "B", Votes: []float64{40, 60, 0}, Total: 100},
		{Stratum: "B", Votes: []float64{45, 55, 0}, Total: 100},
	}
	res, err := Estimate(strata, []string{"X", "Y", "Z"}, reports, Config{})
	if err != nil {
		t.Fatal(err)
	}
	z := res.Option("Z")
	q := tQuantile(0.975, 2)
	if z.Estimate != 0 || z.SE != 0 || z.CI95[0] != 0 {
		t.Errorf("Z %+v", z)
	}
	near(t, "Z upper 95", z.CI95[1], 100*q*q/(4+q*q), 1e-9)
	near(t, "Z upper 95 (literal)", z.CI95[1], 82.232, 1e-3)
	if !hasWarning(res, "Z has no vote in the sample") {
		t.Errorf("warnings %q", res.Warnings)
	}
}

// Two of three strata without any report: everything is collapsed into the
// one that reported, which cannot stand for the other two: the verdict is
// withheld, with the share of the frame they hold.
func TestTwoOfThreeStrataEmpty(t *testing.T) {
	strata := []Stratum{{Key: "A", N: 100}, {Key: "B", N: 100}, {Key: "C", N: 100}}
	reports := []Report{
		{Stratum: "A", Votes: []float64{50}, Total: 100},
		{Stratum: "A", Votes: []float64{60}, Total: 100},
		{Stratum: "A", Votes: []float64{55}, Total: 100},
	}
	res, err := Estimate(strata, []string{"X"}, reports, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Strata.Empty != 2 || res.Strata.EmptyStations != 200 || res.Strata.Used != 1 {
		t.Errorf("strata %+v", res.Strata)
	}
	if !strings.Contains(res.Withheld, "66.7 % of the frame's stations (more than 5 %)") || !hasWarning(res, "2 of 3 strata") {
		t.Errorf("withheld %q warnings %q", res.Withheld, res.Warnings)
	}
	vs, _ := Compare(res, map[string]float64{"X": 55})
	if len(vs) != 1 || !vs[0].Withheld {
		t.Errorf("verdict %+v", vs)
	}
	// One empty stratum of 2 % of the frame: a warning, but a verdict (with
	// enough reports for 5 degrees of freedom).
	strata = append(strata[:1], Stratum{Key: "B", N: 2})
	for _, y := range []float64{52, 58, 54} {
		reports = append(reports, Report{Stratum: "A", Votes: []float64{y}, Total: 100})
	}
	res, err = Estimate(strata, []string{"X"}, reports, Config{})
	if err != nil || res.Withheld != "" || !hasWarning(res, "1 of 2 strata (2 stations, 2.0 % of the frame)") {
		t.Errorf("withheld %q warnings %q (%v)", res.Withheld, res.Warnings, err)
	}
}

// Collapsing stays within regions, as docs/pvt.md says: a region whose
// only stratum has one report keeps it (with the imputed variance and a
// warning), and only a region without any report is merged across the
// boundary — flagged, warned and the verdict withheld.
func TestCollapseWithinRegions(t *testing.T) {
	strata := []Stratum{
		{Key: "1", Group: "north", N: 40}, {Key: "2", Group: "north", N: 40},
		{Key: "3", Group: "south", N: 40},
	}
	reports := []Report{
		{Stratum: "1", Votes: []float64{40}, Total: 100},
		{Stratum: "1", Votes: []float64{50}, Total: 100},
		{Stratum: "2", Votes: []float64{45}, Total: 100},
		{Stratum: "2", Votes: []float64{55}, Total: 100},
		{Stratum: "3", Votes: []float64{70}, Total: 100},
	}
	res, err := Estimate(strata, []string{"X"}, reports, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Strata.Collapsed) != 0 || !slices.Equal(res.Strata.Singletons, []string{"3"}) || res.Strata.Used != 3 {
		t.Errorf("strata %+v", res.Strata)
	}
	// p̂ = (40·(95/2 + 100/2) + 40·70)/(40·100·3)… the south stratum keeps
	// its own weight: (40·45 + 40·50 + 40·70)/(3·40·100) = 55 %.
	near(t, "X", res.Options[0].Estimate, 55, 1e-9)
	// South without any report: merged into the north's last stratum.
	res, err = Estimate(strata, []string{"X"}, reports[:4], Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Strata.Collapsed) != 1 || !res.Strata.Collapsed[0].AcrossRegions ||
		!slices.Equal(res.Strata.Collapsed[0].Strata, []string{"2", "3"}) {
		t.Errorf("collapsed %+v", res.Strata.Collapsed)
	}
	if !strings.Contains(res.Withheld, "across regions") || !hasWarning(res, "collapsed across regions") {
		t.Errorf("withheld %q warnings %q", res.Withheld, res.Warnings)
	}
}
