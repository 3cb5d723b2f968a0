package pvt

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Normal quantiles for the two-sided 95 % and 99 % intervals.
const (
	Z95 = 1.959963984540054
	Z99 = 2.5758293035489004
)

// ErrTooFewReports is returned when fewer than two stations reported in all:
// no variance can be estimated. Convergence skips such early checkpoints.
var ErrTooFewReports = errors.New("pvt: fewer than 2 reports in all")

var errNoOptions = errors.New("pvt: no options to estimate")

// Stratum is one stratum of the sampling frame.
type Stratum struct {
	Key   string // the stratum's label, as in the frame and the reports
	Group string // optional region: collapsing looks for a neighbour in the same group first
	N     int    // stations in the frame
}

// Report is one reported sample station.
type Report struct {
	Stratum    string
	Votes      []float64 // votes per option, in the order of the options
	Total      float64   // x_i, the shares' denominator and turnout's numerator
	Registered float64   // registered voters; turnout is estimated when any is > 0
	Arrival    time.Time // when the report came in (Converge only)
}

// Config tunes Estimate. The zero value gives linearised intervals only.
type Config struct {
	Bootstrap  int    // bootstrap replicates; 0 for none
	Seed       uint64 // bootstrap seed
	Workers    int    // bootstrap goroutines; 0 for GOMAXPROCS
	MinReports int    // reports a (collapsed) stratum needs; 0 means 2
	// CannotWin names options that take votes but cannot win the
	// election ("against all", a blank vote): the lead is measured between
	// the first two of the other options, so that it says who wins.
	CannotWin []string
}

// Interval is a closed interval [lo, hi], in per cent.
type Interval [2]float64

// Contains reports whether v lies in the interval.
func (iv Interval) Contains(v float64) bool { return v >= iv[0] && v <= iv[1] }

// Figure is the estimate of one share or of turnout, in per cent.
type Figure struct {
	Name     string  `json:"-"`
	Estimate float64 `json:"estimate"`
	SE       float64 `json:"se"` // linearised standard error, percentage points
	// DF is the Satterthwaite effective degrees of freedom of SE, 0 when
	// SE is 0 (the intervals then use n − H, see intervals).
	DF float64 `json:"df"`
	// Method is how CI95 and CI99 were made: "score" (the Wilson score
	// interval on the effective sample size p(1−p)/V̂, Student-t quantile:
	// shares and turnout) or "t" (estimate ± t·SE: the lead).
	Method string   `json:"interval"`
	CI95   Interval `json:"ci95"`
	CI99   Interval `json:"ci99"`
	// EstimateCI95 repeats CI95 under the name every estimate's interval
	// has in vigil's JSON (X_ci95 beside X, as the forensics commands
	// write excess_ci95): a reader can take any result the same way.
	EstimateCI95 Interval   `json:"estimate_ci95"`
	Boot         *Bootstrap `json:"bootstrap,omitempty"`
}

// Bootstrap holds the stratified-bootstrap standard error and percentile
// intervals of an estimate, in per cent.
type Bootstrap struct {
	Replicates int      `json:"replicates"`
	SE         float64  `json:"se"`
	CI95       Interval `json:"ci95"`
	CI99       Interval `json:"ci99"`
}

// Collapse records strata merged into one for estimation.
type Collapse struct {
	Strata  []string `json:"strata"` // the original strata, in collapse order
	N       int      `json:"n_frame"`
	Reports int      `json:"reports"`
	// AcrossRegions is set when the merged strata belong to more than one
	// region (Group): only a region without any report is merged across.
	AcrossRegions bool `json:"across_regions,omitempty"`
}

// StrataInfo summarises the design the estimate used.
type StrataInfo struct {
	Frame     int        `json:"frame"`     // strata in the frame
	Reported  int        `json:"reported"`  // strata with at least one report
	Used      int        `json:"used"`      // strata after collapsing
	Stations  int        `json:"stations"`  // stations in the frame
	Reports   int        `json:"reports"`   // reports used
	Collapsed []Collapse `json:"collapsed"` // only the merged ones
	// Empty is the number of frame strata with no report, EmptyStations
	// their stations in the frame.
	Empty         int `json:"empty"`
	EmptyStations int `json:"empty_stations"`
	// Singletons lists the (collapsed) strata left with one report, whose
	// variance is imputed (see the package comment).
	Singletons []string `json:"singletons"`
}

// Result is the output of Estimate.
type Result struct {
	Options []Figure // in the order of the options
	Turnout *Figure  // nil when no report has registered voters
	Lead    *Lead    // nil with fewer than two options that can win
	Strata  StrataInfo
	// Warnings say where the intervals' coverage rests on weaker ground
	// than the design promises; each names its threshold.
	Warnings []string
	// Withheld, when not empty, is why no verdict should be given: the
	// coverage of the intervals cannot be trusted (Compare says so in
	// every sentence).
	Withheld string
	// Notes and WithheldNotes are the warnings and the reasons to withhold
	// as keys and arguments, for translation (WarningFormats).
	Notes, WithheldNotes []Note
}

// Lead is the estimated leader's margin over the runner-up (both among the
// options that can win: Config.CannotWin are left out), in percentage
// points of the same denominator: the ratio estimator with
// y_i = votes(leader) − votes(runner-up), whose linearised variance accounts
// for the two shares moving together. Decided95/99 say whether the interval
// lies entirely above zero, i.e. whether the sample determines the winner at
// that level.
type Lead struct {
	Leader    string `json:"leader"`
	RunnerUp  string `json:"runner_up"`
	Figure           // Name is "leader − runner-up"
	Decided95 bool   `json:"decided95"`
	Decided99 bool   `json:"decided99"`
}

// Option returns the estimate of the named option, or nil.
func (r *Result) Option(name string) *Figure {
	for i := range r.Options {
		if r.Options[i].Name == name {
			return &r.Options[i]
		}
	}
	return nil
}

// group is a collapsed stratum.
type group struct {
	members []string
	N, n    int
	off     int       // first station in design.vals, in stations
	sums    []float64 // Σ over the group's stations, per column
	m       moments   // their means and centred products, per column
}

// design is the reports laid out for estimation: columns 0 = Total,
// 1..K = votes, K+1 = Registered, station-major and grouped by collapsed
// stratum so that the bootstrap reads memory in order.
type design struct {
	cols   int
	groups []group
	vals   []float64
	info   StrataInfo
	hasReg bool
	census bool // every stratum reported in full: no sampling variance
	// warnings of the design (collapses across regions), filled by
	// prepare
	warnings notes
	all      *moments // every report's, for imputed variances (allMoments)
}

// allMoments are the moments of every report of the design, merged from
// the groups' once.
func (d *design) allMoments() *moments {
	if d.all == nil {
		m := newMoments(d.cols)
		for g := range d.groups {
			m.merge(&d.groups[g].m)
		}
		d.all = &m
	}
	return d.all
}

// ratio is (column num − column sub) / column den; sub < 0 for none.
type ratio struct{ num, sub, den int }

func (r ratio) y(row []float64) float64 {
	if r.sub < 0 {
		return row[r.num]
	}
	return row[r.num] - row[r.sub]
}

// Estimate computes the stratified ratio estimates of the options' shares
// and of turnout, their linearised standard errors and intervals, and, when
// cfg.Bootstrap > 0, the stratified bootstrap. See the package comment for the
// formulas and the collapsing rule. Errors describe invalid input: unknown or
// duplicate strata, more reports than frame stations, vote vectors of the
// wrong length, negative or non-finite counts, a zero denominator, or
// ErrTooFewReports.
func Estimate(strata []Stratum, options []string, reports []Report, cfg Config) (*Result, error) {
	if len(options) == 0 {
		return nil, errNoOptions
	}
	d, err := prepare(strata, len(options), reports, cfg.MinReports)
	if err != nil {
		return nil, err
	}
	return d.estimate(options, cfg)
}

// estimate is Estimate on a prepared design; the bootstrap needs its values
// laid out (prepare's), the rest only its groups' sums and moments.
func (d *design) estimate(options []string, cfg Config) (*Result, error) {
	var err error
	K := len(options)
	rs := make([]ratio, 0, K+1)
	for k := range K {
		rs = append(rs, ratio{1 + k, -1, 0})
	}
	if d.hasReg {
		rs = append(rs, ratio{0, -1, K + 1})
	}
	tot := make([]float64, d.cols)
	for _, g := range d.groups {
		w := float64(g.N) / float64(g.n)
		for c := range d.cols {
			tot[c] += w * g.sums[c]
		}
	}
	figure := func(r ratio, prop bool) (Figure, error) {
		if tot[r.den] <= 0 {
			what := "total votes (x_i)"
			if r.den != 0 {
				what = "registered voters"
			}
			return Figure{}, fmt.Errorf("pvt: the estimated %s is zero: nothing to divide by", what)
		}
		p := r.y(tot) / tot[r.den]
		v, df := d.linVar(r, p, tot[r.den])
		f := Figure{Estimate: 100 * p, SE: 100 * math.Sqrt(v), DF: df}
		f.CI95, f.CI99, f.Method = d.intervals(p, v, df, prop)
		f.EstimateCI95 = f.CI95
		return f, nil
	}
	ests := make([]Figure, len(rs), len(rs)+1)
	for j, r := range rs {
		if ests[j], err = figure(r, true); err != nil {
			return nil, err
		}
	}
	// The lead: the first option that can win over the second, by
	// estimate (ties in option order).
	var lead *Lead
	order := make([]int, 0, K)
	for k := range K {
		if !slices.Contains(cfg.CannotWin, options[k]) {
			order = append(order, k)
		}
	}
	if len(order) >= 2 {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ests[b].Estimate, ests[a].Estimate) })
		r := ratio{1 + order[0], 1 + order[1], 0}
		f, err := figure(r, false)
		if err != nil {
			return nil, err
		}
		lead = &Lead{Leader: options[order[0]], RunnerUp: options[order[1]]}
		rs = append(rs, r)
		ests = append(ests, f)
	}
	// A singleton stratum cannot be resampled: the bootstrap would hold it
	// fixed and give it no variance (three singletons: an interval of zero
	// width). No bootstrap then; warn says why.
	if cfg.Bootstrap > 0 && len(d.info.Singletons) == 0 {
		reps := d.bootstrap(rs, cfg.Bootstrap, cfg.Seed, cfg.Workers)
		for j := range rs {
			ests[j].Boot = summarise(reps[j*cfg.Bootstrap : (j+1)*cfg.Bootstrap])
		}
	}
	res := &Result{Strata: d.info}
	for k, name := range options {
		ests[k].Name = name
		res.Options = append(res.Options, ests[k])
	}
	if d.hasReg {
		ests[K].Name = "turnout"
		res.Turnout = &ests[K]
	}
	if lead != nil {
		lead.Figure = ests[len(ests)-1]
		lead.Name = lead.Leader + " − " + lead.RunnerUp
		lead.Decided95 = lead.CI95[0] > 0
		lead.Decided99 = lead.CI99[0] > 0
		res.Lead = lead
	}
	d.warn(res, ests, cfg.Bootstrap > 0)
	return res, nil
}

// linVar is the linearised variance of the ratio p = Ŷ/X̂ (as a proportion)
// and its Satterthwaite effective degrees of freedom (0 when the variance
// is 0). A stratum with a single report (MinReports 1, or a region with one
// report) has no within-stratum variance of its own: it is given the
// variance of the residuals over all the reports, around their common mean,
// which adds the differences between strata and so errs on the large side;
// those imputed terms count as one component with (reports − 1) degrees of
// freedom.
func (d *design) linVar(r ratio, p, X float64) (v, df float64) {
	var den, single float64
	for gi := range d.groups {
		g := &d.groups[gi]
		if g.n == g.N {
			continue // a census of the stratum: no sampling variance
		}
		N, n := float64(g.N), float64(g.n)
		if g.n < 2 {
			single += N * N * (1 - 1/N)
			continue
		}
		c := N * N * (1 - n/N) * g.m.residVar(r, p) / n
		v += c
		den += c * c / (n - 1)
	}
	if single > 0 {
		c := single * d.allMoments().residVar(r, p)
		v += c
		den += c * c / float64(d.info.Reports-1)
	}
	if den > 0 {
		df = v * v / den
	}
	return v / (X * X), df
}

// tQuantile is Student's t quantile (the normal one beyond 10⁶ d.f.).
func tQuantile(q, df float64) float64 {
	if df > 1e6 {
		return distuv.UnitNormal.Quantile(q)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(q)
}

// intervals makes the 95 % and 99 % intervals of p (a proportion) with
// variance v and df degrees of freedom, returned in per cent.
//
// The quantile is Student's t on the Satterthwaite degrees of freedom (on
// n − H, reports less strata, when the variance is 0), so that a design
// whose variance rests on few reports gets wider intervals. A share (prop)
// gets the Wilson score interval on the effective sample size
// n* = p(1 − p)/v (the design-based score interval of Korn & Graubard,
// Survey Methodology 1998, with the t quantile): for shares near 0 it is
// asymmetric and never reaches below 0, where p ± t·SE undercovers. When
// the variance is 0 although the sample is not a census (no votes for the
// option in the sample, or every station alike), n* is the number of
// reports: the interval then runs from 0 to about t²/(n + t²), not [0, 0].
// The lead (not a proportion) gets p ± t·SE.
func (d *design) intervals(p, v, df float64, prop bool) (Interval, Interval, string) {
	if df == 0 {
		df = max(1, float64(d.info.Reports-len(d.groups)))
	}
	q95, q99 := tQuantile(0.975, df), tQuantile(0.995, df)
	if !prop || p < 0 || p > 1 {
		se := math.Sqrt(v)
		return Interval{100 * (p - q95*se), 100 * (p + q95*se)}, Interval{100 * (p - q99*se), 100 * (p + q99*se)}, "t"
	}
	var n float64
	switch {
	case v > 0 && p > 0 && p < 1:
		n = p * (1 - p) / v
	case d.census:
		return Interval{100 * p, 100 * p}, Interval{100 * p, 100 * p}, "score"
	default:
		n = float64(d.info.Reports)
	}
	return wilson(p, n, q95), wilson(p, n, q99), "score"
}

// wilson is the Wilson score interval for a proportion p on n, with
// quantile q, in per cent.
func wilson(p, n, q float64) Interval {
	q2n := q * q / n
	c := (p + q2n/2) / (1 + q2n)
	h := q / (1 + q2n) * math.Sqrt(p*(1-p)/n+q2n/(4*n))
	return Interval{100 * max(0, c-h), 100 * min(1, c+h)}
}

// prepare validates the input, collapses the strata and lays out the values.
func prepare(strata []Stratum, K int, reports []Report, minReports int) (*design, error) {
	if len(reports) < 2 {
		return nil, ErrTooFewReports
	}
	ix, err := index(strata, K, reports)
	if err != nil {
		return nil, err
	}
	d, gOf, err := collapse(strata, K, ix.counts, minReports)
	if err != nil {
		return nil, err
	}
	d.hasReg = ix.hasReg
	// Lay the reports out by group, in input order within a group (a
	// counting sort: offsets from the group sizes, then one pass).
	K2 := d.cols
	G := len(d.groups)
	d.vals = make([]float64, len(reports)*K2)
	next := make([]int, G)
	for g := 1; g < G; g++ {
		d.groups[g].off = d.groups[g-1].off + d.groups[g-1].n
	}
	for g := range next {
		next[g] = d.groups[g].off
	}
	for i := range reports {
		r := &reports[i]
		g := gOf[ix.stratum[i]]
		row := d.vals[next[g]*K2 : (next[g]+1)*K2]
		next[g]++
		putRow(row, r)
		for c, v := range row {
			d.groups[g].sums[c] += v
		}
	}
	scratch := make([]float64, K2)
	for g := range d.groups {
		gr := &d.groups[g]
		for i := gr.off; i < gr.off+gr.n; i++ {
			gr.m.add(d.vals[i*K2:(i+1)*K2], scratch)
		}
	}
	return d, nil
}

// putRow writes a report's columns: 0 = Total, 1..K = votes, K+1 =
// Registered.
func putRow(row []float64, r *Report) {
	row[0] = r.Total
	copy(row[1:], r.Votes)
	row[len(row)-1] = r.Registered
}

// indexed is the reports checked against the frame: each report's stratum
// (its index in the frame) and the reports per stratum.
type indexed struct {
	stratum []int
	counts  []int
	hasReg  bool
}

// index validates the frame and the reports and finds each report's
// stratum.
func index(strata []Stratum, K int, reports []Report) (*indexed, error) {
	idx := make(map[string]int, len(strata))
	for i, s := range strata {
		if _, dup := idx[s.Key]; dup {
			return nil, fmt.Errorf("pvt: stratum %q appears twice in the frame", s.Key)
		}
		if s.N < 1 {
			return nil, fmt.Errorf("pvt: stratum %q has %d stations in the frame, expected at least 1", s.Key, s.N)
		}
		idx[s.Key] = i
	}
	ix := &indexed{stratum: make([]int, len(reports)), counts: make([]int, len(strata))}
	for i, r := range reports {
		h, ok := idx[r.Stratum]
		if !ok {
			return nil, fmt.Errorf("pvt: report %d: stratum %q is not in the frame", i+1, r.Stratum)
		}
		if len(r.Votes) != K {
			return nil, fmt.Errorf("pvt: report %d: %d vote counts, expected %d (one per option)", i+1, len(r.Votes), K)
		}
		for k, v := range r.Votes {
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("pvt: report %d: option %d has %v votes, expected a non-negative number", i+1, k+1, v)
			}
		}
		if !(r.Total >= 0) || math.IsInf(r.Total, 0) {
			return nil, fmt.Errorf("pvt: report %d: total %v, expected a non-negative number", i+1, r.Total)
		}
		if !(r.Registered >= 0) || math.IsInf(r.Registered, 0) {
			return nil, fmt.Errorf("pvt: report %d: registered %v, expected a non-negative number", i+1, r.Registered)
		}
		if r.Registered > 0 {
			ix.hasReg = true
		}
		ix.stratum[i] = h
		ix.counts[h]++
	}
	for h, s := range strata {
		if ix.counts[h] > s.N {
			return nil, fmt.Errorf("pvt: stratum %q has %d reports but only %d stations in the frame", s.Key, ix.counts[h], s.N)
		}
	}
	return ix, nil
}

// collapse forms the collapsed strata of a design from the reports per
// stratum (counts), with each group's N, n and members and the design's
// summary, its sums zero and no values laid out. gOf maps a stratum to its
// group.
func collapse(strata []Stratum, K int, counts []int, minReports int) (_ *design, gOf []int, _ error) {
	if minReports <= 0 {
		minReports = 2
	}
	reports, reported, stations := 0, 0, 0
	for h, s := range strata {
		reports += counts[h]
		stations += s.N
		if counts[h] > 0 {
			reported++
		}
	}
	if reports < 2 {
		return nil, nil, ErrTooFewReports
	}

	// Collapse, in (Group, Key) order.
	order := make([]int, len(strata))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := naturalCompare(strata[a].Group, strata[b].Group); c != 0 {
			return c
		}
		return naturalCompare(strata[a].Key, strata[b].Key)
	})
	// Collapsed strata are consecutive runs of order (a pending run joins
	// either the strata after it or the run just before it), so they are
	// kept as the end index in order of each run.
	var ends []int
	pendingN, pending := 0, false
	groupStart := 0 // index in ends of the current region's first collapsed stratum
	for j, h := range order {
		pendingN += counts[h]
		pending = true
		if pendingN >= minReports {
			ends = append(ends, j+1)
			pendingN, pending = 0, false
		}
		last := j == len(order)-1
		groupEnd := last || strata[order[j+1]].Group != strata[h].Group
		if groupEnd && pending {
			switch {
			case len(ends) > groupStart:
				// The region formed a stratum: the remainder joins it.
				ends[len(ends)-1] = j + 1
				pendingN, pending = 0, false
			case pendingN > 0:
				// The whole region has fewer reports than MinReports: it
				// stays a stratum of its own, within its region, and a
				// single report gets the imputed variance (linVar).
				ends = append(ends, j+1)
				pendingN, pending = 0, false
			case last && len(ends) > 0:
				// A last region without any report joins the preceding
				// region's last stratum: across the boundary (warned).
				ends[len(ends)-1] = j + 1
				pendingN, pending = 0, false
			}
			// Otherwise a region without any report carries into the next
			// region (across the boundary, warned).
		}
		if groupEnd {
			groupStart = len(ends)
		}
	}
	if pending || len(ends) == 0 { // fewer than minReports reports in all
		return nil, nil, ErrTooFewReports
	}

	K2 := K + 2
	G := len(ends)
	d := &design{cols: K2, groups: make([]group, G)}
	keys := make([]string, len(order))
	gOf = make([]int, len(strata))
	sums := make([]float64, G*K2)
	start := 0
	for g, end := range ends {
		gr := &d.groups[g]
		for j := start; j < end; j++ {
			h := order[j]
			keys[j] = strata[h].Key
			gOf[h] = g
			gr.N += strata[h].N
			gr.n += counts[h]
		}
		gr.members = keys[start:end:end]
		gr.sums = sums[g*K2 : (g+1)*K2 : (g+1)*K2]
		gr.m = newMoments(K2)
		if end-start > 1 {
			across := false
			for j := start + 1; j < end; j++ {
				across = across || strata[order[j]].Group != strata[order[start]].Group
			}
			d.info.Collapsed = append(d.info.Collapsed, Collapse{Strata: gr.members, N: gr.N, Reports: gr.n, AcrossRegions: across})
			if across {
				d.warnings.add("pvt.across_regions", strings.Join(gr.members, "+"))
			}
		}
		if gr.n == 1 && gr.N > 1 {
			d.info.Singletons = append(d.info.Singletons, strings.Join(gr.members, "+"))
		}
		start = end
	}
	d.census = true
	for _, g := range d.groups {
		d.census = d.census && g.n == g.N
	}
	for h, s := range strata {
		if counts[h] == 0 {
			d.info.Empty++
			d.info.EmptyStations += s.N
		}
	}
	d.info.Frame = len(strata)
	d.info.Reported = reported
	d.info.Used = G
	d.info.Stations = stations
	d.info.Reports = reports
	return d, gOf, nil
}

// KeySep joins the parts of a composite stratum key (region / urban-rural /
// size class): see JoinKey.
const KeySep = "/"

// JoinKey makes a composite stratum key from its parts, in order. Keys are
// ordered part by part (see the package comment), so "2/U" sorts before
// "10/R".
func JoinKey(parts ...string) string { return strings.Join(parts, KeySep) }

// naturalCompare orders keys part by part (parts separated by KeySep), each
// part as an integer when both parse as integers (integers before other
// strings), else bytewise; a key that is a prefix of another sorts first.
func naturalCompare(a, b string) int {
	for {
		pa, ra, moreA := strings.Cut(a, KeySep)
		pb, rb, moreB := strings.Cut(b, KeySep)
		if c := atomCompare(pa, pb); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = ra, rb
	}
}

func atomCompare(a, b string) int {
	ia, ea := strconv.ParseInt(a, 10, 64)
	ib, eb := strconv.ParseInt(b, 10, 64)
	switch {
	case ea == nil && eb == nil:
		return cmp.Compare(ia, ib)
	case ea == nil:
		return -1
	case eb == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// Thresholds of the warnings and of the withheld verdict (docs/pvt.md,
// "When the intervals cannot be trusted"); the coverage study in
// realdata_test.go (TestCoverageByReportsPerStratum) measured them.
const (
	// WithholdEmptyShare: when the strata without any report hold more than
	// this share of the frame's stations, their stations are estimated
	// from other strata's and no verdict is given.
	WithholdEmptyShare = 0.05
	// SmallDF: intervals whose effective degrees of freedom fall below this
	// carry a warning (the t quantile then matters and rests on
	// Satterthwaite's approximation).
	SmallDF = 30
	// WithholdDF: below this many effective degrees of freedom no verdict
	// is given.
	WithholdDF = 5
)

// warn fills the result's warnings and the reason to withhold the
// verdict, each with its threshold.
func (d *design) warn(res *Result, ests []Figure, boot bool) {
	w := notes{text: slices.Clone(d.warnings.text), keys: slices.Clone(d.warnings.keys)}
	var withheld notes
	for _, c := range d.info.Collapsed {
		if c.AcrossRegions {
			withheld.add("withhold.across_regions")
			break
		}
	}
	if d.info.Empty > 0 {
		share := float64(d.info.EmptyStations) / float64(d.info.Stations)
		w.add("pvt.empty", d.info.Empty, d.info.Frame, d.info.EmptyStations, 100*share)
		if share > WithholdEmptyShare {
			withheld.add("withhold.empty", 100*share, 100*WithholdEmptyShare)
		}
	}
	if n := len(d.info.Singletons); n > 0 {
		key := "pvt.singletons"
		if boot {
			key = "pvt.singletons_boot"
		}
		w.add(key, n, strings.Join(d.info.Singletons, ", "))
	}
	minDF := math.Inf(1)
	for _, f := range ests {
		if f.DF > 0 {
			minDF = min(minDF, f.DF)
		}
	}
	if minDF < SmallDF {
		w.add("pvt.small_df", minDF, SmallDF)
	}
	if minDF < WithholdDF {
		withheld.add("withhold.df", minDF, WithholdDF)
	}
	for _, f := range res.Options {
		switch {
		case d.census || f.SE > 0:
		case f.Estimate == 0:
			w.add("pvt.no_votes", f.Name, d.info.Reports)
		default:
			w.add("pvt.no_variance", f.Name, d.info.Reports)
		}
	}
	res.Warnings, res.Notes = w.text, w.keys
	res.Withheld, res.WithheldNotes = withheld.join(), withheld.keys
}
