package forensics

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// DigitCaveat is carried by every digit-test result: these tests are weak
// evidence and must never be quoted alone.
const DigitCaveat = "Digit tests have poor specificity: clean elections often fail them " +
	"(2BL in particular, because the second digit of a count depends on station sizes and " +
	"vote shares), and frauds that move whole stations' totals may pass them. A deviation " +
	"is a reason to look closer, not evidence of fraud; agreement is not evidence of a clean count."

// DigitSeries is one series of counts to test, e.g. the leader's votes at
// every station. Totals, when not nil, has the same length and gives the
// denominator of each count (e.g. the station's valid votes) for P05s.
type DigitSeries struct {
	Name   string
	Counts []int64
	Totals []int64
	// Denominator names what Totals are, for the result (vigil passes R,
	// the ballots in the box: the leader's share v = L/R of METHODS.md).
	Denominator string
}

// DigitTest is one digit test of a series against its expectation.
type DigitTest struct {
	Test      string  `json:"test"`
	N         int     `json:"n"`
	Observed  float64 `json:"observed"`  // mean digit or share
	Expected  float64 `json:"expected"`  // under the null
	Statistic string  `json:"statistic"` // "z" or "chi2"
	Value     float64 `json:"value"`     // the statistic
	DF        int     `json:"df,omitempty"`
	PValue    float64 `json:"p_value"`
}

// DigitResult holds the digit tests of one series.
type DigitResult struct {
	Series string `json:"series"`
	// CountsUsed is the number of counts with at least two digits (≥ 10).
	CountsUsed   int         `json:"counts_used"`
	SecondDigits [10]int     `json:"second_digits"` // frequencies
	LastDigits   [10]int     `json:"last_digits"`
	Tests        []DigitTest `json:"tests"`
	Caveat       string      `json:"caveat"`
	// Denominator of P05s's percentages (DigitSeries.Denominator).
	Denominator string `json:"denominator,omitempty"`
	// Excluded counts the counts left out, by reason; reasons that only
	// P05s applies start with "P05s: ".
	Excluded map[string]int `json:"excluded"`
	// Warnings: too few counts for the tests' approximations.
	Warnings []string `json:"warnings"`
	Notes    []Note   `json:"-"` // Warnings as keys and arguments, for translation
}

// DigitDenominator is the denominator vigil gives P05s: the ballots in the
// box R, so that the percentage is the leader's share v = L/R of
// METHODS.md, the share every other test uses (docs/forensics.md,
// "Definitions").
const DigitDenominator = "R, the ballots in the box (valid + invalid)"

// DigitsMinCounts: with fewer counts the χ² tests' expected frequencies
// fall below 5 in some digit (2BL's rarest, 9, has probability 0.085) and
// the pairs' z tests below 10 expected: the result carries a warning.
const DigitsMinCounts = 100

// Benford2BL is Benford's law for the second significant digit,
// P(d) = Σ_{k=1..9} log10(1 + 1/(10k + d)).
var Benford2BL = func() [10]float64 {
	var p [10]float64
	for d := range 10 {
		for k := 1; k <= 9; k++ {
			p[d] += math.Log10(1 + 1/float64(10*k+d))
		}
	}
	return p
}()

// Digits runs the digit tests of Mebane (2BL, last digit, C05s, P05s; see
// Mebane, "Election forensics", and the Election Forensics Toolkit of
// Kalinin & Mebane) and of Beber & Scacco, "What the numbers say: a digit-
// based test for election fraud", Political Analysis 20(2):211–234, 2012, on
// the counts of a series that have at least two digits (≥ 10; negative
// counts are skipped):
//
//   - 2BL: the second significant digit against Benford's second-digit law:
//     its mean against 4.187 (z test with the law's variance) and Pearson's
//     χ² on 9 degrees of freedom.
//   - Last digit against the uniform law: mean against 4.5 (variance 8.25)
//     and χ² on 9 d.f.
//   - C05s: the share of counts ending in 0 or 5, against 0.2 (binomial z).
//   - P05s (only when Totals is given): the share of rounded percentages
//     round(100·count/total) ending in 0 or 5, against 0.2, over the same
//     counts with total > 0.
//   - Beber–Scacco pairs: last digit equal to the penultimate (10 %),
//     adjacent to it (|difference| = 1, 18 %), distant (72 %), each by a
//     binomial z test.
//
// p-values are two-sided for z, upper-tail for χ². Every result carries
// DigitCaveat. Errors: Totals of another length than Counts, or no count
// with two digits.
func Digits(series DigitSeries) (DigitResult, error) {
	if series.Totals != nil && len(series.Totals) != len(series.Counts) {
		return DigitResult{}, errors.New("forensics: digit series Totals and Counts differ in length")
	}
	res := DigitResult{Series: series.Name, Caveat: DigitCaveat, Denominator: series.Denominator,
		Excluded: map[string]int{}, Warnings: []string{}}
	var n, c05, p05n, p05, pe, pa, pd int
	for i, c := range series.Counts {
		if c < 0 {
			res.Excluded[ExclNegative]++
			continue
		}
		if c < 10 {
			res.Excluded[ExclSingleDigit]++
			continue
		}
		n++
		last := int(c % 10)
		pen := int(c / 10 % 10)
		res.LastDigits[last]++
		x := c
		for x >= 100 {
			x /= 10
		}
		res.SecondDigits[x%10]++
		if last == 0 || last == 5 {
			c05++
		}
		switch d := last - pen; {
		case d == 0:
			pe++
		case d == 1 || d == -1:
			pa++
		default:
			pd++
		}
		switch {
		case series.Totals == nil:
		case series.Totals[i] <= 0:
			res.Excluded["P05s: "+ExclNoTotal]++
		case c > series.Totals[i]:
			res.Excluded["P05s: count above its denominator"]++
		default:
			pct := int64(math.Round(100 * float64(c) / float64(series.Totals[i])))
			p05n++
			if pct%5 == 0 {
				p05++
			}
		}
	}
	res.CountsUsed = n
	if n == 0 {
		return res, notEnoughData("forensics: no count with two digits or more")
	}
	if n < DigitsMinCounts {
		warn(&res.Warnings, &res.Notes, "digits.few", n, DigitsMinCounts)
	}
	res.Tests = append(res.Tests,
		meanTest("2BL_mean", res.SecondDigits, Benford2BL),
		chi2Test("2BL_chi2", res.SecondDigits, Benford2BL),
		meanTest("last_digit_mean", res.LastDigits, uniform10),
		chi2Test("last_digit_chi2", res.LastDigits, uniform10),
		shareTest("C05s", c05, n, 0.2),
	)
	if series.Totals != nil && p05n > 0 {
		res.Tests = append(res.Tests, shareTest("P05s", p05, p05n, 0.2))
	}
	res.Tests = append(res.Tests,
		shareTest("pairs_equal", pe, n, 0.10),
		shareTest("pairs_adjacent", pa, n, 0.18),
		shareTest("pairs_distant", pd, n, 0.72),
	)
	return res, nil
}

var uniform10 = [10]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}

func meanTest(name string, freq [10]int, p [10]float64) DigitTest {
	var n, sum, mu, m2 float64
	for d := range 10 {
		n += float64(freq[d])
		sum += float64(d * freq[d])
		mu += float64(d) * p[d]
		m2 += float64(d*d) * p[d]
	}
	mean := sum / n
	z := (mean - mu) / math.Sqrt((m2-mu*mu)/n)
	return DigitTest{Test: name, N: int(n), Observed: mean, Expected: mu, Statistic: "z", Value: z, PValue: normalTwoSided(z)}
}

func chi2Test(name string, freq [10]int, p [10]float64) DigitTest {
	var n float64
	for _, f := range freq {
		n += float64(f)
	}
	var x2 float64
	for d := range 10 {
		e := n * p[d]
		x2 += (float64(freq[d]) - e) * (float64(freq[d]) - e) / e
	}
	// Observed and Expected are the statistic and its mean under the null.
	return DigitTest{Test: name, N: int(n), Observed: x2, Expected: 9, Statistic: "chi2", Value: x2, DF: 9,
		PValue: distuv.ChiSquared{K: 9}.Survival(x2)}
}

func shareTest(name string, k, n int, p float64) DigitTest {
	share := float64(k) / float64(n)
	z := (share - p) / math.Sqrt(p*(1-p)/float64(n))
	return DigitTest{Test: name, N: n, Observed: share, Expected: p, Statistic: "z", Value: z, PValue: normalTwoSided(z)}
}
