package pvt

import (
	"cmp"
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
// report first), which is what the curve shows. Without a bootstrap it
// computes each prefix's estimate from running per-stratum sums and
// moments (moments.go), one pass over the reports for all checkpoints;
// TestConvergeIsEstimateOnPrefixes holds it to Estimate.
func Converge(strata []Stratum, options []string, reports []Report, cfg Config, every int, step time.Duration) ([]Checkpoint, error) {
	if every <= 0 && step <= 0 {
		return nil, errors.New("pvt: convergence needs a report step or a time step")
	}
	// Validate everything once, as Estimate would, so that a prefix can
	// only fail with "too few" (or a denominator that is zero there and so
	// in every later prefix). The strata of every report are kept.
	if len(options) == 0 {
		return nil, errNoOptions
	}
	if len(reports) < 2 {
		return nil, ErrTooFewReports
	}
	ix, err := index(strata, len(options), reports)
	if err != nil {
		return nil, err
	}
	if _, _, err := collapse(strata, len(options), ix.counts, cfg.MinReports); err != nil {
		return nil, err
	}
	// The reports' order by arrival, ties in input order: indices move,
	// not the reports.
	type key struct {
		sec  int64
		nsec int
		i    int
	}
	keys := make([]key, len(reports))
	for i := range reports {
		t := reports[i].Arrival
		keys[i] = key{t.Unix(), t.Nanosecond(), i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec), cmp.Compare(a.i, b.i))
	})
	order := make([]int, len(reports))
	for j, k := range keys {
		order[j] = k.i
	}
	var cuts []int
	if step > 0 {
		t0 := reports[order[0]].Arrival
		next := t0.Add(step)
		for i, o := range order {
			r := &reports[o]
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
		for k := every; k < len(order); k += every {
			cuts = append(cuts, k)
		}
	}
	cuts = append(cuts, len(order))
	if cfg.Bootstrap > 0 {
		// The bootstrap resamples the reports themselves: each prefix laid
		// out afresh.
		sorted := make([]Report, len(order))
		for i, o := range order {
			sorted[i] = reports[o]
		}
		return checkpoints(cuts, func(i int) time.Time { return sorted[i].Arrival },
			func(k int) (*Result, error) { return Estimate(strata, options, sorted[:k], cfg) })
	}
	// Otherwise each stratum's counts, sums and moments grow with the
	// reports, and each checkpoint collapses the strata as they stand and
	// merges them: one pass over the reports in all.
	K2 := len(options) + 2
	H := len(strata)
	counts := make([]int, H)
	sums := make([]float64, H*K2)
	ms := make([]moments, H)
	for h := range ms {
		ms[h] = newMoments(K2)
	}
	row, scratch := make([]float64, K2), make([]float64, K2)
	hasReg, in := false, 0
	return checkpoints(cuts, func(i int) time.Time { return reports[order[i]].Arrival }, func(k int) (*Result, error) {
		for ; in < k; in++ {
			r, h := &reports[order[in]], ix.stratum[order[in]]
			putRow(row, r)
			counts[h]++
			for c, v := range row {
				sums[h*K2+c] += v
			}
			ms[h].add(row, scratch)
			hasReg = hasReg || r.Registered > 0
		}
		d, gOf, err := collapse(strata, len(options), counts, cfg.MinReports)
		if err != nil {
			return nil, err
		}
		d.hasReg = hasReg
		for h := range H {
			if counts[h] == 0 {
				continue
			}
			g := &d.groups[gOf[h]]
			for c := range K2 {
				g.sums[c] += sums[h*K2+c]
			}
			g.m.merge(&ms[h])
		}
		return d.estimate(options, cfg)
	})
}

// checkpoints estimates at each cut (a number of reports by arrival),
// leaving out those with too few reports.
// arrival(i) is the arrival of the i-th report by arrival.
func checkpoints(cuts []int, arrival func(i int) time.Time, at func(k int) (*Result, error)) ([]Checkpoint, error) {
	var out []Checkpoint
	for _, k := range cuts {
		res, err := at(k)
		if errors.Is(err, ErrTooFewReports) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Checkpoint{Reports: k, Time: arrival(k - 1), Result: res})
	}
	return out, nil
}
