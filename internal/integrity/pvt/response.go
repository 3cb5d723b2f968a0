package pvt

import (
	"cmp"
	"fmt"
	"slices"
)

// StratumResponse is one stratum's response: reports received of stations drawn.
type StratumResponse struct {
	Stratum  string  `json:"stratum"`
	Drawn    int     `json:"drawn"`
	Reported int     `json:"reported"`
	Rate     float64 `json:"rate"`
}

// ResponseInfo summarises non-response, the first thing to check when an
// official figure falls outside the PVT's interval: the estimator assumes
// the missing stations vote like the reported ones of their stratum.
type ResponseInfo struct {
	Drawn    int               `json:"drawn"`
	Reported int               `json:"reported"`
	Rate     float64           `json:"rate"`
	Silent   int               `json:"strata_without_reports"` // strata drawn in with no report
	Lowest   []StratumResponse `json:"lowest"`                 // the strata of lowest response, worst first
}

// Response compares the reports with the drawn sample: drawn holds the
// stratum of each drawn station. It lists the `lowest` strata of lowest
// response rate (ties: more missing stations first, then stratum order). A
// stratum with more reports than drawn stations is an error: reports from
// outside the sample.
func Response(drawn []string, reports []Report, lowest int) (ResponseInfo, error) {
	d := map[string]int{}
	for _, s := range drawn {
		d[s]++
	}
	r := map[string]int{}
	for _, rep := range reports {
		r[rep.Stratum]++
	}
	var all []StratumResponse
	info := ResponseInfo{Drawn: len(drawn), Reported: len(reports)}
	for s, n := range r {
		if n > d[s] {
			return ResponseInfo{}, fmt.Errorf("pvt: stratum %q has %d reports but only %d drawn stations: reports from outside the sample?", s, n, d[s])
		}
	}
	for s, n := range d {
		sr := StratumResponse{Stratum: s, Drawn: n, Reported: r[s], Rate: float64(r[s]) / float64(n)}
		if sr.Reported == 0 {
			info.Silent++
		}
		all = append(all, sr)
	}
	if info.Drawn > 0 {
		info.Rate = float64(info.Reported) / float64(info.Drawn)
	}
	slices.SortFunc(all, func(a, b StratumResponse) int {
		if c := cmp.Compare(a.Rate, b.Rate); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Drawn-b.Reported, a.Drawn-a.Reported); c != 0 {
			return c
		}
		return naturalCompare(a.Stratum, b.Stratum)
	})
	info.Lowest = all[:min(lowest, len(all))]
	return info, nil
}
