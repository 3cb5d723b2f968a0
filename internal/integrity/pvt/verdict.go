package pvt

import (
	"fmt"
	"slices"
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
}

// Compare gives the verdict on each official share (per cent, on the same
// denominator as the estimate) against the linearised intervals, in the
// order of the result's options, then turnout under the name "turnout". An
// official figure for an option the result lacks is an error.
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
		what := e.Name
		switch {
		case v.Inside95:
			v.Sentence = fmt.Sprintf("%s: the official %.2f %% lies inside the PVT's 95 %% interval [%.2f, %.2f]: consistent with the sample of polling stations.",
				what, off, e.CI95[0], e.CI95[1])
		case v.Inside99:
			v.Sentence = fmt.Sprintf("%s: the official %.2f %% lies outside the PVT's 95 %% interval [%.2f, %.2f] but inside the 99 %% interval [%.2f, %.2f]: a weak signal; check the sample's completeness, then investigate tabulation above the polling station.",
				what, off, e.CI95[0], e.CI95[1], e.CI99[0], e.CI99[1])
		default:
			v.Sentence = fmt.Sprintf("%s: the official %.2f %% lies outside the PVT's 99 %% interval [%.2f, %.2f]: investigate tabulation above the polling station (after ruling out the PVT's own non-response and a denominator that differs from the official one).",
				what, off, e.CI99[0], e.CI99[1])
		}
		out = append(out, v)
	}
	return out, nil
}
