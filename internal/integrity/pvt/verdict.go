package pvt

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Verdict compares one official share with the PVT's intervals.
type Verdict struct {
	Option   string   `json:"option"`
	Official float64  `json:"official"` // per cent
	Estimate float64  `json:"estimate"`
	CI95     Interval `json:"ci95"`
	CI99     Interval `json:"ci99"`
	Inside95 bool     `json:"inside95"`
	Inside99 bool     `json:"inside99"`
	// Bootstrap intervals, when the estimate has them.
	BootInside95 *bool  `json:"bootstrap_inside95,omitempty"`
	BootInside99 *bool  `json:"bootstrap_inside99,omitempty"`
	Sentence     string `json:"sentence"`
	// Withheld is set when the result's Withheld says the intervals'
	// coverage cannot be trusted: the sentence then gives the reason
	// instead of a verdict (the inside flags are kept as data).
	Withheld bool `json:"withheld,omitempty"`
}

// Compare gives the verdict on each official share (per cent, on the same
// denominator as the estimate) against the linearised intervals, in the
// order of the result's options, then turnout under the name "turnout", then
// the lead (named "leader − runner-up", official figure the difference of the
// two official shares) when both its options have official shares. An
// official figure for an option the result lacks is an error. When the
// result's Withheld is set, every verdict is withheld with that reason.
//
// The reading (METHODS.md): each official share should lie inside the PVT
// interval; where it does not, investigate tabulation above the polling
// station. A miss is a reason to look, not proof: 1 in 20 honest counts falls
// outside a 95 % interval by chance (1 in 100 outside the 99 %), and a PVT
// whose sample is incomplete or whose denominators differ from the official
// ones misses for its own reasons.
func Compare(res *Result, official map[string]float64) ([]Verdict, error) {
	ests := slices.Clone(res.Options)
	if res.Turnout != nil {
		ests = append(ests, *res.Turnout)
	}
	known := map[string]bool{}
	for _, e := range ests {
		known[e.Name] = true
	}
	for name := range official {
		if !known[name] {
			return nil, fmt.Errorf("pvt: official result for %q, which the PVT did not estimate", name)
		}
	}
	// The lead, when both its options have an official share.
	if l := res.Lead; l != nil {
		a, okA := official[l.Leader]
		b, okB := official[l.RunnerUp]
		if okA && okB {
			official = maps.Clone(official)
			official[l.Name] = a - b
			ests = append(ests, l.Figure)
		}
	}
	var out []Verdict
	for _, e := range ests {
		off, ok := official[e.Name]
		if !ok {
			continue
		}
		v := Verdict{Option: e.Name, Official: off, Estimate: e.Estimate, CI95: e.CI95, CI99: e.CI99,
			Inside95: e.CI95.Contains(off), Inside99: e.CI99.Contains(off)}
		if e.Boot != nil {
			b95, b99 := e.Boot.CI95.Contains(off), e.Boot.CI99.Contains(off)
			v.BootInside95, v.BootInside99 = &b95, &b99
		}
		// Enough decimals that the official figure never prints equal to a
		// bound it lies outside of.
		prec := 2
		for ; prec < 6; prec++ {
			f := func(x float64) string { return strconv.FormatFloat(x, 'f', prec, 64) }
			if (f(off) != f(e.CI95[0]) || off == e.CI95[0]) && (f(off) != f(e.CI95[1]) || off == e.CI95[1]) &&
				(f(off) != f(e.CI99[0]) || off == e.CI99[0]) && (f(off) != f(e.CI99[1]) || off == e.CI99[1]) {
				break
			}
		}
		f := func(x float64) string { return strconv.FormatFloat(x, 'f', prec, 64) }
		offStr := f(off) + " %"
		if res.Lead != nil && e.Name == res.Lead.Name {
			offStr = "margin, " + f(off) + " points,"
		}
		switch {
		case res.Withheld != "":
			v.Withheld = true
			v.Sentence = fmt.Sprintf("%s: no verdict: the coverage of the PVT's intervals cannot be trusted (%s).", e.Name, res.Withheld)
		case v.Inside95:
			v.Sentence = fmt.Sprintf("%s: the official %s lies inside the PVT's 95 %% interval [%s, %s]: consistent with the sample of polling stations.",
				e.Name, offStr, f(e.CI95[0]), f(e.CI95[1]))
		case v.Inside99:
			v.Sentence = fmt.Sprintf("%s: the official %s lies outside the PVT's 95 %% interval [%s, %s] but inside the 99 %% interval [%s, %s]: a weak signal; check the sample's completeness, then investigate tabulation above the polling station.",
				e.Name, offStr, f(e.CI95[0]), f(e.CI95[1]), f(e.CI99[0]), f(e.CI99[1]))
		default:
			v.Sentence = fmt.Sprintf("%s: the official %s lies outside the PVT's 99 %% interval [%s, %s]: investigate tabulation above the polling station (after ruling out the PVT's own non-response and a denominator that differs from the official one).",
				e.Name, offStr, f(e.CI99[0]), f(e.CI99[1]))
		}
		out = append(out, v)
	}
	return out, nil
}
