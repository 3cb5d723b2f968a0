package forensics

import (
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestBenford2BL(t *testing.T) {
	var sum, mean float64
	for d, p := range Benford2BL {
		sum += p
		mean += float64(d) * p
	}
	if math.Abs(sum-1) > 1e-12 || math.Abs(mean-4.187) > 0.0005 || math.Abs(Benford2BL[0]-0.11968) > 0.00001 {
		t.Errorf("Benford 2BL: sum %g mean %g P(0) %g", sum, mean, Benford2BL[0])
	}
}

func findTest(t *testing.T, r DigitResult, name string) DigitTest {
	t.Helper()
	for _, x := range r.Tests {
		if x.Test == name {
			return x
		}
	}
	t.Fatalf("no test %q", name)
	return DigitTest{}
}

// Counts 10, 11, 23, 345, 1000 (5 is skipped: one digit).
// Second digits 0, 1, 3, 4, 0: mean 1.6. Last digits 0, 1, 3, 5, 0: mean
// 1.8; χ² against 0.5 expected per digit: (1.5² + 3·0.5² + 6·0.5²)/0.5 = 9.
// C05s: 10, 345, 1000 → 3/5. Pairs (penultimate, last): (1,0) adjacent,
// (1,1) equal, (2,3) adjacent, (4,5) adjacent, (0,0) equal → 2/5, 3/5, 0.
// P05s with totals 20, 100, 100, 1000, 1000 (and 9 for the skipped 5):
// 50 %, 11 %, 23 %, 34.5 % → 35 %, 100 % → 3/5 end in 0 or 5.
func TestDigitsHandComputed(t *testing.T) {
	r, err := Digits(DigitSeries{
		Name:   "x",
		Counts: []int64{10, 11, 5, 23, 345, 1000},
		Totals: []int64{20, 100, 9, 100, 1000, 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.CountsUsed != 5 || r.Caveat != DigitCaveat || r.Series != "x" {
		t.Errorf("counts used %d, caveat %q", r.CountsUsed, r.Caveat)
	}
	check := func(name string, obs, exp float64) DigitTest {
		t.Helper()
		x := findTest(t, r, name)
		if math.Abs(x.Observed-obs) > 1e-12 || math.Abs(x.Expected-exp) > 1e-3 || x.N != 5 {
			t.Errorf("%s: observed %g expected %g n %d, want %g, %g, 5", name, x.Observed, x.Expected, x.N, obs, exp)
		}
		return x
	}
	m := check("2BL_mean", 1.6, 4.187)
	// Benford's second digit has variance 8.254: z = (1.6 − 4.1874)/√(8.254/5)
	// = −2.014, two-sided p = 0.044.
	if math.Abs(m.Value+2.014) > 0.002 || math.Abs(m.PValue-0.044) > 0.001 {
		t.Errorf("2BL mean 1.6 vs 4.187 on 5 counts: z %g p %g, want −2.014, 0.044", m.Value, m.PValue)
	}
	check("last_digit_mean", 1.8, 4.5)
	c := check("last_digit_chi2", 9, 9)
	if c.DF != 9 || math.Abs(c.PValue-0.4373) > 0.001 { // P(χ²₉ > 9) = 0.4373
		t.Errorf("last digit χ² p %g df %d, want 0.4373, 9", c.PValue, c.DF)
	}
	c05 := check("C05s", 0.6, 0.2)
	// z = (0.6 − 0.2)/√(0.16/5) = 2.2361, two-sided p = 0.02535.
	if math.Abs(c05.Value-2.2361) > 1e-4 || math.Abs(c05.PValue-0.02535) > 1e-4 {
		t.Errorf("C05s z %g p %g, want 2.2361, 0.02535", c05.Value, c05.PValue)
	}
	check("P05s", 0.6, 0.2)
	check("pairs_equal", 0.4, 0.1)
	check("pairs_adjacent", 0.6, 0.18)
	check("pairs_distant", 0, 0.72)
	if r.SecondDigits != [10]int{2, 1, 0, 1, 1, 0, 0, 0, 0, 0} {
		t.Errorf("second digits %v", r.SecondDigits)
	}
}

// Uniform random counts pass the last-digit and pair tests; the same counts
// rounded to multiples of 5 fail C05s.
func TestDigitsUniformAndRounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	c := make([]int64, 20000)
	for i := range c {
		c[i] = 100 + rng.Int64N(5000)
	}
	r, err := Digits(DigitSeries{Name: "uniform", Counts: c})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"last_digit_mean", "last_digit_chi2", "C05s", "pairs_equal", "pairs_adjacent", "pairs_distant"} {
		if p := findTest(t, r, name).PValue; p < 0.001 {
			t.Errorf("uniform counts fail %s: p = %g", name, p)
		}
	}
	for _, x := range r.Tests {
		if x.Test == "P05s" {
			t.Error("P05s reported without totals")
		}
	}
	for i := range c {
		if i%4 == 0 {
			c[i] -= c[i] % 5
		}
	}
	r, _ = Digits(DigitSeries{Name: "rounded", Counts: c})
	if x := findTest(t, r, "C05s"); x.PValue > 1e-6 || x.Observed < 0.35 {
		t.Errorf("a quarter of counts rounded to 5: C05s %g p %g", x.Observed, x.PValue)
	}
}

func TestDigitsErrors(t *testing.T) {
	if _, err := Digits(DigitSeries{Counts: []int64{1, 2, 9}}); err == nil {
		t.Error("only one-digit counts: no error")
	}
	if _, err := Digits(DigitSeries{Counts: []int64{10}, Totals: []int64{}}); err == nil {
		t.Error("totals of another length: no error")
	}
}

// P05s's denominator is the caller's (vigil passes R, the ballots in the
// box) and is named in the result; counts left out are counted by reason;
// fewer than DigitsMinCounts counts carry a warning.
func TestDigitsDenominatorExclusionsAndWarning(t *testing.T) {
	r, err := Digits(DigitSeries{
		Name:        "x",
		Counts:      []int64{10, 11, 5, 23, 345, -1, 40},
		Totals:      []int64{20, 0, 9, 100, 300, 50, 100},
		Denominator: "R",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{ExclSingleDigit: 1, ExclNegative: 1, "P05s: " + ExclNoTotal: 1, "P05s: count above its denominator": 1}
	if !maps.Equal(r.Excluded, want) || r.Denominator != "R" || r.CountsUsed != 5 {
		t.Errorf("excluded %v denominator %q used %d; want %v, R, 5", r.Excluded, r.Denominator, r.CountsUsed, want)
	}
	// P05s over 10/20 = 50 %, 23 %, 40 %: two of three end in 0 or 5.
	if p := findTest(t, r, "P05s"); p.N != 3 || math.Abs(p.Observed-2.0/3) > 1e-12 {
		t.Errorf("P05s n %d observed %g, want 3 and 2/3", p.N, p.Observed)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "fewer than 100") {
		t.Errorf("warnings %q", r.Warnings)
	}
}
