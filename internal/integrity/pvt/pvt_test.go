package pvt

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.10g, want %.10g (±%g)", what, got, want, tol)
	}
}

// handCase is worked by hand in the comments of TestEstimateByHand.
func handCase() ([]Stratum, []Report) {
	strata := []Stratum{{Key: "A", N: 10}, {Key: "B", N: 4}}
	reports := []Report{
		{Stratum: "A", Votes: []float64{3, 1}, Total: 4, Registered: 10},
		{Stratum: "B", Votes: []float64{5, 5}, Total: 10, Registered: 20},
		{Stratum: "A", Votes: []float64{1, 3}, Total: 4, Registered: 8},
		{Stratum: "A", Votes: []float64{2, 2}, Total: 4, Registered: 6},
		{Stratum: "B", Votes: []float64{1, 9}, Total: 10, Registered: 12},
	}
	return strata, reports
}

func TestEstimateByHand(t *testing.T) {
	strata, reports := handCase()
	res, err := Estimate(strata, []string{"X", "Y"}, reports, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// w_A = 10/3, w_B = 2. Ŷ_X = 10/3·6 + 2·6 = 32; X̂ = 10/3·12 + 2·20 = 80.
	// p̂_X = 0.4. e = y − 0.4x: A {1.4, −0.6, 0.4} → s² = 1; B {1, −3} → s² = 8.
	// V̂ = (100·0.7·1/3 + 16·0.5·8/2) / 80² = 55.333…/6400.
	x := res.Option("X")
	near(t, "X estimate", x.Estimate, 40, 1e-9)
	se := 100 * math.Sqrt((100*0.7/3+16*0.5*8/2)/6400)
	near(t, "X se", x.SE, se, 1e-9)
	near(t, "X ci95 lo", x.CI95[0], 40-Z95*se, 1e-9)
	near(t, "X ci99 hi", x.CI99[1], 40+Z99*se, 1e-9)
	// Y = 1 − X: same residuals negated, same SE.
	near(t, "Y estimate", res.Option("Y").Estimate, 60, 1e-9)
	near(t, "Y se", res.Option("Y").SE, se, 1e-9)
	// Turnout: Ŷ = 80, X̂_reg = 10/3·24 + 2·32 = 144.
	near(t, "turnout", res.Turnout.Estimate, 100*80.0/144, 1e-9)
	// e = total − (5/9)·reg: A {4−50/9, 4−40/9, 4−30/9}, s² = ((10/9)²·2)/2;
	// B {10−100/9, 10−60/9}, s² = (40/9)²/2.
	sA := (10.0 / 9) * (10.0 / 9)
	sB := (40.0 / 9) * (40.0 / 9) / 2
	near(t, "turnout se", res.Turnout.SE, 100*math.Sqrt((100*0.7*sA/3+16*0.5*sB/2)/(144*144)), 1e-9)
	// Lead of Y over X: y_i = Y − X, p̂ = 0.2; with two options Y − X = 2Y − 1,
	// so the SE is twice Y's.
	if l := res.Lead; l == nil || l.Leader != "Y" || l.RunnerUp != "X" || l.Decided95 || l.Decided99 {
		t.Fatalf("lead %+v", res.Lead)
	}
	near(t, "lead", res.Lead.Estimate, 20, 1e-9)
	near(t, "lead se", res.Lead.SE, 2*se, 1e-9)
	if res.Strata.Frame != 2 || res.Strata.Reported != 2 || res.Strata.Used != 2 || len(res.Strata.Collapsed) != 0 {
		t.Errorf("strata info %+v", res.Strata)
	}
}

func TestEstimateCensusStratumHasNoVariance(t *testing.T) {
	strata := []Stratum{{Key: "A", N: 2}}
	reports := []Report{
		{Stratum: "A", Votes: []float64{1}, Total: 4},
		{Stratum: "A", Votes: []float64{3}, Total: 4},
	}
	res, err := Estimate(strata, []string{"X"}, reports, Config{Bootstrap: 50})
	if err != nil {
		t.Fatal(err)
	}
	x := res.Options[0]
	if x.Estimate != 50 || x.SE != 0 || x.Boot.SE != 0 {
		t.Errorf("census: %+v %+v", x, x.Boot)
	}
	if res.Turnout != nil {
		t.Error("turnout without registered voters")
	}
}

func TestCollapse(t *testing.T) {
	mk := func(counts map[string]int) []Report {
		var r []Report
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for i := range counts[k] {
				r = append(r, Report{Stratum: k, Votes: []float64{float64(i)}, Total: 10})
			}
		}
		return r
	}
	cases := []struct {
		name   string
		strata []Stratum
		counts map[string]int
		want   [][]string
	}{
		{"forward, natural order",
			[]Stratum{{Key: "10", N: 9}, {Key: "2", N: 9}, {Key: "1", N: 9}, {Key: "3", N: 9}},
			map[string]int{"2": 3, "3": 1, "10": 2},
			[][]string{{"1", "2"}, {"3", "10"}}},
		{"group end joins the preceding, empty group carries to the end",
			[]Stratum{{Key: "1", Group: "a", N: 9}, {Key: "2", Group: "a", N: 9}, {Key: "3", Group: "a", N: 9},
				{Key: "10", Group: "b", N: 9}, {Key: "11", Group: "b", N: 9}},
			map[string]int{"1": 2, "2": 2, "3": 1},
			[][]string{{"2", "3", "10", "11"}}},
		{"short group carries into the next group",
			[]Stratum{{Key: "1", Group: "a", N: 9}, {Key: "2", Group: "b", N: 9}, {Key: "3", Group: "b", N: 9}},
			map[string]int{"1": 1, "2": 1, "3": 2},
			[][]string{{"1", "2"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Estimate(c.strata, []string{"X"}, mk(c.counts), Config{})
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, cl := range res.Strata.Collapsed {
				got = append(got, cl.Strata)
			}
			if !slices.EqualFunc(got, c.want, slices.Equal) {
				t.Errorf("collapsed %v, want %v", got, c.want)
			}
		})
	}
	// Collapsing changes the weights: strata A (N 10, 1 report) and B (N 30,
	// 3 reports) become one stratum of N 40, n 4, weight 10 for all.
	strata := []Stratum{{Key: "A", N: 10}, {Key: "B", N: 30}}
	reports := []Report{
		{Stratum: "A", Votes: []float64{10}, Total: 10},
		{Stratum: "B", Votes: []float64{0}, Total: 10},
		{Stratum: "B", Votes: []float64{0}, Total: 10},
		{Stratum: "B", Votes: []float64{2}, Total: 10},
	}
	res, err := Estimate(strata, []string{"X"}, reports, Config{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "collapsed estimate", res.Options[0].Estimate, 100*12.0/40, 1e-9)
	// With MinReports 1 stratum A keeps weight 10 and no variance.
	res1, err := Estimate(strata, []string{"X"}, reports, Config{MinReports: 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "uncollapsed estimate", res1.Options[0].Estimate, 100*(10*10+10*2.0)/(10*10+10*30), 1e-9)
}

func TestEstimateErrors(t *testing.T) {
	strata, reports := handCase()
	bad := func(mut func(s []Stratum, r []Report) ([]Stratum, []Report)) error {
		s, r := handCase()
		s, r = mut(s, r)
		_, err := Estimate(s, []string{"X", "Y"}, r, Config{})
		return err
	}
	for name, mut := range map[string]func(s []Stratum, r []Report) ([]Stratum, []Report){
		"unknown stratum": func(s []Stratum, r []Report) ([]Stratum, []Report) { r[0].Stratum = "Z"; return s, r },
		"duplicate":       func(s []Stratum, r []Report) ([]Stratum, []Report) { return append(s, s[0]), r },
		"too many":        func(s []Stratum, r []Report) ([]Stratum, []Report) { s[1].N = 1; return s, r },
		"short votes":     func(s []Stratum, r []Report) ([]Stratum, []Report) { r[0].Votes = r[0].Votes[:1]; return s, r },
		"negative":        func(s []Stratum, r []Report) ([]Stratum, []Report) { r[0].Votes[0] = -1; return s, r },
		"NaN total":       func(s []Stratum, r []Report) ([]Stratum, []Report) { r[0].Total = math.NaN(); return s, r },
	} {
		if err := bad(mut); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Estimate(strata, []string{"X", "Y"}, reports[:1], Config{}); !errors.Is(err, ErrTooFewReports) {
		t.Errorf("one report: %v", err)
	}
	zero := []Report{{Stratum: "A", Votes: []float64{0, 0}}, {Stratum: "A", Votes: []float64{0, 0}}}
	if _, err := Estimate(strata, []string{"X", "Y"}, zero, Config{}); err == nil {
		t.Error("zero denominator: no error")
	}
}

// synthetic makes a frame of H strata and a proportional sample with
// station-level heterogeneity, for the bootstrap tests and benchmarks.
func synthetic(H, perStratum, frameMult int, seed uint64) ([]Stratum, []Report) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var strata []Stratum
	var reports []Report
	for h := range H {
		key := strconv.Itoa(h + 1)
		strata = append(strata, Stratum{Key: key, Group: strconv.Itoa(h / 10), N: perStratum * frameMult})
		base := 0.3 + 0.4*rng.Float64()
		for range perStratum {
			reg := 200 + rng.Float64()*600
			tot := math.Round(reg * (0.5 + 0.2*rng.Float64()))
			a := math.Round(tot * math.Min(0.95, math.Max(0.05, base+0.1*rng.NormFloat64())))
			b := math.Round((tot - a) * 0.6)
			reports = append(reports, Report{Stratum: key, Votes: []float64{a, b, tot - a - b}, Total: tot, Registered: reg})
		}
	}
	return strata, reports
}

func TestBootstrapMatchesLinearised(t *testing.T) {
	strata, reports := synthetic(50, 20, 10, 7)
	res, err := Estimate(strata, []string{"A", "B", "C"}, reports, Config{Bootstrap: 2000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(res.Options, *res.Turnout) {
		// The rescaled bootstrap's variance equals the linearised one in
		// expectation; 2000 replicates estimate an SE to about ±1.6 % (1 sd).
		if r := f.Boot.SE / f.SE; r < 0.93 || r > 1.07 {
			t.Errorf("%s: bootstrap SE %.4f vs linearised %.4f (ratio %.3f)", f.Name, f.Boot.SE, f.SE, r)
		}
		if !f.Boot.CI95.Contains(f.Estimate) || f.Boot.CI99[0] > f.Boot.CI95[0] || f.Boot.CI99[1] < f.Boot.CI95[1] {
			t.Errorf("%s: bootstrap intervals %v %v around %.3f", f.Name, f.Boot.CI95, f.Boot.CI99, f.Estimate)
		}
	}
}

func TestBootstrapDeterministicAcrossWorkers(t *testing.T) {
	strata, reports := synthetic(20, 5, 4, 3)
	var prev *Result
	for _, w := range []int{1, 2, 3, 7} {
		res, err := Estimate(strata, []string{"A", "B", "C"}, reports, Config{Bootstrap: 101, Seed: 42, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil {
			for k := range res.Options {
				if *res.Options[k].Boot != *prev.Options[k].Boot {
					t.Fatalf("workers %d: %+v != %+v", w, *res.Options[k].Boot, *prev.Options[k].Boot)
				}
			}
		}
		prev = res
	}
	other, _ := Estimate(strata, []string{"A", "B", "C"}, reports, Config{Bootstrap: 101, Seed: 43})
	if *other.Options[0].Boot == *prev.Options[0].Boot {
		t.Error("another seed gave the same bootstrap")
	}
}

func TestQuantile7(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	near(t, "q0.5", quantile7(x, 0.5), 3, 0)
	near(t, "q0.1", quantile7(x, 0.1), 1.4, 1e-12)
	near(t, "q1", quantile7(x, 1), 5, 0)
}

func TestSampleSize(t *testing.T) {
	r, err := SampleSize(SizeInput{Margin: 0.01, Confidence: 95, Electorate: 1e6, VotersPerStation: 500, Turnout: 0.6, NonResponse: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	// 0.25 / (0.0001/1.96² + 0.25/10⁶) = 9512.64; /300 = 31.7 → 32; /0.8 → 40.
	near(t, "voters", r.Voters, 9512.6406, 1e-3)
	if r.Stations != 32 || r.StationsToDraw != 40 {
		t.Errorf("stations %d, to draw %d; want 32, 40", r.Stations, r.StationsToDraw)
	}
	r99, _ := SampleSize(SizeInput{Margin: 0.01, Confidence: 99, Electorate: 1e6})
	near(t, "voters 99", r99.Voters, 0.25/(0.0001/(2.58*2.58)+0.25/1e6), 1e-9)
	for _, in := range []SizeInput{
		{Margin: 0.01, Confidence: 90, Electorate: 1e6},
		{Margin: 0, Confidence: 95, Electorate: 1e6},
		{Margin: 0.01, Confidence: 95, Electorate: 0},
		{Margin: 0.01, Confidence: 95, Electorate: 1e6, NonResponse: 1},
	} {
		if _, err := SampleSize(in); err == nil {
			t.Errorf("%+v: no error", in)
		}
	}
}

func TestAllocate(t *testing.T) {
	strata := []Stratum{{Key: "1", N: 50}, {Key: "2", N: 30}, {Key: "3", N: 20}}
	check := func(name string, got []int, err error, want ...int) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	a, err := Allocate(strata, 10, Proportional, 0)
	check("proportional exact", a, err, 5, 3, 2)
	// Quotas 3.5, 2.1, 1.4: floors 3, 2, 1; the one left goes to the largest fraction.
	a, err = Allocate(strata, 7, Proportional, 0)
	check("proportional remainder", a, err, 4, 2, 1)
	a, err = Allocate(strata, 7, Proportional, 2)
	check("proportional floor", a, err, 4, 2, 2)
	small := []Stratum{{Key: "1", N: 2}, {Key: "2", N: 30}, {Key: "3", N: 20}}
	a, err = Allocate(small, 10, Fixed, 0)
	check("fixed capped", a, err, 2, 4, 4)
	a, err = Allocate(small, 11, Fixed, 0)
	check("fixed remainder", a, err, 2, 5, 4)
	if _, err := Allocate(small, 53, Fixed, 0); err == nil {
		t.Error("n > N: no error")
	}
}

func TestDraw(t *testing.T) {
	// Checked against: printf '%s|%s' vigil-2026 1-338-1-B-0 | sha256sum | cut -c1-16
	if k := DrawKey("vigil-2026", "1-338-1-B-0"); k != 0x2593e62a234a40c5 {
		t.Errorf("DrawKey = %016x", k)
	}
	var frame []FrameStation
	for i := range 300 {
		frame = append(frame, FrameStation{ID: "s" + strconv.Itoa(i), Stratum: strconv.Itoa(i % 3)})
	}
	strata, err := StrataOf(func() []string {
		var s []string
		for _, f := range frame {
			s = append(s, f.Stratum)
		}
		return s
	}(), nil)
	if err != nil {
		t.Fatal(err)
	}
	alloc := []int{10, 20, 5}
	sel, rank, err := Draw(frame, strata, alloc, "seed")
	if err != nil {
		t.Fatal(err)
	}
	if len(sel) != 35 {
		t.Fatalf("%d selected", len(sel))
	}
	per := map[string]int{}
	for _, i := range sel {
		per[frame[i].Stratum]++
		if rank[i] > alloc[map[string]int{"0": 0, "1": 1, "2": 2}[frame[i].Stratum]] {
			t.Errorf("selected station with rank %d", rank[i])
		}
	}
	if per["0"] != 10 || per["1"] != 20 || per["2"] != 5 {
		t.Errorf("per stratum %v", per)
	}
	// The frame's order does not matter.
	rev := slices.Clone(frame)
	slices.Reverse(rev)
	sel2, _, _ := Draw(rev, strata, alloc, "seed")
	ids := func(f []FrameStation, s []int) []string {
		var out []string
		for _, i := range s {
			out = append(out, f[i].ID)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(ids(frame, sel), ids(rev, sel2)) {
		t.Error("draw depends on frame order")
	}
	sel3, _, _ := Draw(frame, strata, alloc, "other seed")
	if slices.Equal(ids(frame, sel), ids(frame, sel3)) {
		t.Error("another seed drew the same sample")
	}
	if _, _, err := Draw(append(frame, frame[0]), strata, alloc, "x"); err == nil {
		t.Error("duplicate id: no error")
	}
}

func TestConvergeAndCompare(t *testing.T) {
	strata, reports := synthetic(10, 10, 5, 9)
	t0 := time.Date(2026, 1, 1, 20, 0, 0, 0, time.UTC)
	for i := range reports {
		reports[i].Arrival = t0.Add(time.Duration((i*37)%len(reports)) * time.Minute)
	}
	cps, err := Converge(strata, []string{"A", "B", "C"}, reports, Config{}, 25, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 4 || cps[3].Reports != 100 || cps[0].Reports != 25 {
		t.Fatalf("%d checkpoints", len(cps))
	}
	full, _ := Estimate(strata, []string{"A", "B", "C"}, reports, Config{})
	if cps[3].Result.Options[0].Estimate != full.Options[0].Estimate {
		t.Error("last checkpoint differs from the full estimate")
	}
	if !cps[0].Time.Before(cps[3].Time) {
		t.Error("checkpoint times not increasing")
	}
	byTime, err := Converge(strata, []string{"A", "B", "C"}, reports, Config{}, 0, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(byTime) != 4 || byTime[0].Reports != 30 {
		t.Errorf("time steps: %d checkpoints, first %d reports", len(byTime), byTime[0].Reports)
	}

	a := full.Options[0]
	off := map[string]float64{"A": a.Estimate, "B": full.Options[1].CI99[1] + 1, "C": (full.Options[2].CI95[1] + full.Options[2].CI99[1]) / 2}
	vs, err := Compare(full, off)
	if err != nil {
		t.Fatal(err)
	}
	if !vs[0].Inside95 || vs[1].Inside99 || vs[2].Inside95 || !vs[2].Inside99 {
		t.Errorf("verdicts %+v", vs)
	}
	for _, v := range vs[1:3] {
		if !contains(v.Sentence, "investigate tabulation above the polling station") {
			t.Errorf("sentence %q", v.Sentence)
		}
	}
	// The lead's verdict comes last, on the difference of the official shares.
	if l := vs[len(vs)-1]; len(vs) != 4 || l.Option != full.Lead.Name || l.Official != off[full.Lead.Leader]-off[full.Lead.RunnerUp] {
		t.Errorf("lead verdict %+v", l)
	}
	if _, err := Compare(full, map[string]float64{"Z": 1}); err == nil {
		t.Error("unknown option: no error")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestConvergeTinyStep(t *testing.T) {
	strata, reports := synthetic(2, 5, 2, 1)
	t0 := time.Date(2026, 1, 1, 20, 0, 0, 0, time.UTC)
	for i := range reports {
		reports[i].Arrival = t0.Add(time.Duration(i) * time.Hour)
	}
	cps, err := Converge(strata, []string{"A", "B", "C"}, reports, Config{}, 0, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	// One checkpoint per report from the second on.
	if len(cps) != len(reports)-1 {
		t.Errorf("%d checkpoints for %d reports", len(cps), len(reports))
	}
}

func TestNaturalCompare(t *testing.T) {
	sorted := []string{"1", "2", "2/R", "2/U", "2/U/1", "2/U/10", "10", "10/R/2", "a", "b/1"}
	for i := range sorted {
		for j := range sorted {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := naturalCompare(sorted[i], sorted[j]); got != want {
				t.Errorf("naturalCompare(%q, %q) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
	if JoinKey("12", "U", "2") != "12/U/2" {
		t.Error(JoinKey("12", "U", "2"))
	}
}

func TestResponse(t *testing.T) {
	drawn := []string{"1", "1", "1", "1", "2", "2", "3", "3", "3"}
	reports := []Report{{Stratum: "1"}, {Stratum: "1"}, {Stratum: "1"}, {Stratum: "2"}}
	info, err := Response(drawn, reports, 2)
	if err != nil {
		t.Fatal(err)
	}
	if info.Drawn != 9 || info.Reported != 4 || info.Silent != 1 || len(info.Lowest) != 2 ||
		info.Lowest[0].Stratum != "3" || info.Lowest[1].Stratum != "2" || info.Lowest[1].Rate != 0.5 {
		t.Errorf("%+v", info)
	}
	if _, err := Response(drawn[:1], reports, 2); err == nil {
		t.Error("more reports than drawn: no error")
	}
}

func TestSummariseDropsNaN(t *testing.T) {
	b := summarise([]float64{0.1, math.NaN(), 0.3, math.Inf(1), 0.2})
	if b.Replicates != 3 || math.Abs(b.SE-10) > 1e-9 {
		t.Errorf("%+v", b)
	}
	if b := summarise([]float64{math.NaN()}); b != nil {
		t.Errorf("%+v", b)
	}
}

// TestLeadLeavesOutOptionsThatCannotWin: "against all" second by votes is
// not the runner-up; the lead is between the two candidates.
func TestLeadLeavesOutOptionsThatCannotWin(t *testing.T) {
	strata := []Stratum{{Key: "A", N: 10}}
	reports := []Report{
		{Stratum: "A", Votes: []float64{6, 3, 1}, Total: 10},
		{Stratum: "A", Votes: []float64{5, 3, 2}, Total: 10},
		{Stratum: "A", Votes: []float64{7, 2, 1}, Total: 10},
	}
	opts := []string{"Leader", "Against all", "Other"}
	res, err := Estimate(strata, opts, reports, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lead.RunnerUp != "Against all" {
		t.Fatalf("without CannotWin the runner-up is %q", res.Lead.RunnerUp)
	}
	res, err = Estimate(strata, opts, reports, Config{CannotWin: []string{"Against all"}})
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Lead; l == nil || l.Leader != "Leader" || l.RunnerUp != "Other" {
		t.Fatalf("lead %+v", res.Lead)
	}
	near(t, "lead", res.Lead.Estimate, 100*(18.0-4)/30, 1e-9)
	// With one option left that can win there is no race to measure.
	res, err = Estimate(strata, opts, reports, Config{CannotWin: []string{"Against all", "Other"}})
	if err != nil || res.Lead != nil {
		t.Fatalf("lead %+v, err %v", res.Lead, err)
	}
}
