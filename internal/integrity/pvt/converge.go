package pvt

import (
	"errors"
	"slices"
	"time"
)

// Checkpoint is the estimate after the first Reports reports by arrival.
type Checkpoint struct {
	Reports int       `json:"reports"`
	Time    time.Time `json:"time"` // arrival of the last report included
	Result  *Result   `json:"result"`
}

// Converge re-estimates as reports arrive: it orders the reports by Arrival
// (ties in input order) and estimates after every `every` reports, or, when
// step > 0, at every step of time from the first arrival (the last
// checkpoint is always all the reports). Checkpoints with too few reports to
// estimate are left out. It is Estimate on growing prefixes, so each
// checkpoint is what an analyst would have seen at that moment; note that the
// early reports are not a random sample (nearby, urban, small stations
// report first), which is what the curve shows.
func Converge(strata []Stratum, options []string, reports []Report, cfg Config, every int, step time.Duration) ([]Checkpoint, error) {
	if every <= 0 && step <= 0 {
		return nil, errors.New("pvt: convergence needs a report step or a time step")
	}
	// Validate everything once, so that prefix failures can only be "too few".
	if _, err := Estimate(strata, options, reports, Config{MinReports: cfg.MinReports}); err != nil {
		return nil, err
	}
	sorted := slices.Clone(reports)
	slices.SortStableFunc(sorted, func(a, b Report) int { return a.Arrival.Compare(b.Arrival) })
	var cuts []int
	if step > 0 {
		t0 := sorted[0].Arrival
		next := t0.Add(step)
		for i, r := range sorted {
			if r.Arrival.Before(next) {
				continue
			}
			// Reports 0..i-1 arrived before the step boundary; jump to the
			// first boundary after this report (steps without reports add
			// no checkpoint).
			cuts = append(cuts, i)
			next = t0.Add(step * (r.Arrival.Sub(t0)/step + 1))
		}
	} else {
		for k := every; k < len(sorted); k += every {
			cuts = append(cuts, k)
		}
	}
	cuts = append(cuts, len(sorted))
	var out []Checkpoint
	for _, k := range cuts {
		res, err := Estimate(strata, options, sorted[:k], cfg)
		if errors.Is(err, ErrTooFewReports) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Checkpoint{Reports: k, Time: sorted[k-1].Arrival, Result: res})
	}
	return out, nil
}
