package forensics

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// ShpilkinBins is the number of 1 % turnout bins: bin b holds turnouts in
// [b %, b+1 %); bin 100 holds exactly 100 %. Stations above 100 % are
// excluded (and counted), not clamped.
const ShpilkinBins = 101

// ShpilkinOptions configures Shpilkin.
type ShpilkinOptions struct {
	// ForcePeak makes Peak (0…100) the clean peak bin b* instead of the
	// rule: for an analyst who has looked at the histogram and disagrees
	// with the rule, e.g. when it lands on an integer spike. The result
	// then says PeakForced.
	ForcePeak bool
	Peak      int
	// StartBelow reads "below the official turnout" as "the bin starts
	// below it" (b < 100·T) instead of the default "the bin lies wholly
	// below it" (b + 1 ≤ 100·T). Both are always reported in PeakRules.
	StartBelow bool
	// Bootstrap is the number of bootstrap replicates of the interval
	// (stations resampled with replacement, the peak rule re-applied in
	// each); 0 means 1000, a negative number none.
	Bootstrap int
	// Seed of the bootstrap; the result depends only on it and the data.
	Seed uint64
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
}

// CI is a two-sided interval [lo, hi] (JSON: a two-element array).
type CI [2]float64

// ShpilkinBin is one 1 % turnout bin.
type ShpilkinBin struct {
	Turnout  int     `json:"turnout"` // lower edge, per cent
	Stations int     `json:"stations"`
	V        int64   `json:"v"`
	L        int64   `json:"l"`
	O        int64   `json:"o"`
	Smoothed float64 `json:"v_smoothed"` // 5-bin box sum of V (the peak rule's curve)
}

// ShpilkinRule is the estimate under one reading of the peak rule.
type ShpilkinRule struct {
	Rule                 string  `json:"rule"` // "wholly below" or "start below"
	PeakTurnout          float64 `json:"peak_turnout"`
	Excess               int64   `json:"excess"`
	LeaderShareCorrected float64 `json:"leader_share_corrected"`
}

// ShpilkinResult is the outcome of Shpilkin. Shares and turnouts are in
// per cent. PeakTurnout is the lower edge of the clean peak bin b*: the bin
// holds turnouts in [PeakTurnout, PeakTurnout + 1) %.
type ShpilkinResult struct {
	Excess               int64         `json:"excess"`
	LeaderShareCorrected float64       `json:"leader_share_corrected"`
	TurnoutCorrected     float64       `json:"turnout_corrected"`
	PeakTurnout          float64       `json:"peak_turnout"`
	PeakForced           bool          `json:"peak_forced,omitempty"`
	CleanShare           float64       `json:"clean_share"`
	LeaderShareOfficial  float64       `json:"leader_share_official"`
	TurnoutOfficial      float64       `json:"turnout_official"`
	StationsUsed         int           `json:"stations_used"`
	Bins                 []ShpilkinBin `json:"bins"`
	// PeakRule is the rule that found b*: "wholly below" (the default),
	// "start below" or "forced".
	PeakRule string `json:"peak_rule"`
	// PeakRules holds the estimate under both readings of "below the
	// official turnout", and ExcessPeakRange their smallest and largest
	// excess: how much the number moves with the rule alone.
	PeakRules       []ShpilkinRule `json:"peak_rules"`
	ExcessPeakRange [2]int64       `json:"excess_peak_range"`
	// Bootstrap percentile intervals (2.5 and 97.5 %) over Replicates
	// resamplings of the stations, the peak rule re-applied in each; nil
	// when the bootstrap was not run. ExcessSD is the replicates' standard
	// deviation.
	ExcessCI95               *CI     `json:"excess_ci95"`
	ExcessSD                 float64 `json:"excess_sd,omitempty"`
	LeaderShareCorrectedCI95 *CI     `json:"leader_share_corrected_ci95"`
	TurnoutCorrectedCI95     *CI     `json:"turnout_corrected_ci95"`
	Replicates               int     `json:"replicates"`
	Seed                     uint64  `json:"seed"`
	// Excluded counts the stations left out, by reason; Fallbacks the
	// used stations whose figures were substituted (FromFigures).
	Excluded  map[string]int `json:"excluded"`
	Fallbacks map[string]int `json:"fallbacks,omitempty"`
	// Warnings flag a peak the rule found but that is not a peak, and the
	// absence of an interval.
	Warnings []string `json:"warnings"`
	Notes    []Note   `json:"-"` // Warnings as keys and arguments, for translation
}

// Shpilkin estimates the leader's excess votes from the relation between
// turnout and the leader's share, after Sergey Shpilkin's analyses of
// Russian elections (2011 onwards; the method is described in Kobak,
// Shpilkin & Pshenichnikov, "Statistical anomalies in 2011–2012 Russian
// elections revealed by 2D correlation analysis", arXiv:1205.0741, 2012, and
// in Shpilkin's publications), as METHODS.md defines it:
//
//  1. Bin stations with V > 0 by turnout 100·G/V in 1 % bins; sum L and
//     O = R − L per bin.
//  2. The clean peak b*: smooth the registered voters per bin with a 5-bin
//     box (the sum over b−2 … b+2, bins outside 0…100 counting 0) and take
//     the bin of the largest smoothed value among the bins lying wholly
//     below the official turnout T = ΣG/ΣV, i.e. b + 1 ≤ 100·T. Ties (a
//     lone spike makes a flat 5-bin plateau) go to the bin with more
//     registered voters itself, then to the lowest. The rule sees only the
//     histogram's mass: when integer spikes or a shifted distribution put
//     most voters above the clean mode, b* lands on them (see
//     TestShpilkinPeakOnIntegerSpike); when b* is the last candidate bin
//     and the smoothed curve still rises after it, the rule has found the
//     cut-off, not a peak, and the result carries a warning.
//  3. Clean share s = ΣL / Σ(L + O) over the bins b ≤ b*.
//  4. Excess E = Σ over bins b > b* of max(0, L_b − O_b·s/(1 − s)): the
//     leader's votes beyond what the other votes of the bin imply at the
//     clean share.
//  5. Corrected share (ΣL − E)/(ΣR − E); corrected turnout (ΣG − E)/ΣV.
//
// Errors: no station with V > 0 and ballots, a forced peak outside 0…100,
// an official turnout below 1 %, or no ballots at or below the peak.
func Shpilkin(stations []Station, opt ShpilkinOptions) (ShpilkinResult, error) {
	if opt.ForcePeak && (opt.Peak < 0 || opt.Peak >= ShpilkinBins) {
		return ShpilkinResult{}, errors.New("forensics: forced Shpilkin peak outside 0…100")
	}
	res := ShpilkinResult{Excluded: map[string]int{}, Warnings: []string{}}
	var acc shpAcc
	used := make([]Station, 0, len(stations))
	for _, s := range stations {
		if why := impossible(s); why != "" {
			res.Excluded[why]++
			continue
		}
		acc.add(s)
		used = append(used, s)
		res.Fallbacks = countFallbacks(res.Fallbacks, s)
	}
	if len(used) == 0 || acc.sr == 0 {
		return ShpilkinResult{}, notEnoughData("forensics: Shpilkin needs stations with V > 0 and ballots")
	}
	bins := make([]ShpilkinBin, ShpilkinBins)
	for b := range bins {
		bins[b] = ShpilkinBin{Turnout: b, Stations: acc.n[b], V: acc.v[b], L: acc.l[b], O: acc.o[b], Smoothed: float64(acc.smoothed(b))}
	}
	res.LeaderShareOfficial = 100 * float64(acc.sl) / float64(acc.sr)
	res.TurnoutOfficial = 100 * float64(acc.sg) / float64(acc.sv)
	res.StationsUsed = len(used)
	res.Bins = bins
	res.PeakForced = opt.ForcePeak
	res.PeakRule = "wholly below"
	if opt.StartBelow {
		res.PeakRule = "start below"
	}
	if opt.ForcePeak {
		res.PeakRule = "forced"
	}
	for _, start := range []bool{false, true} {
		r := ShpilkinRule{Rule: "wholly below"}
		if start {
			r.Rule = "start below"
		}
		peak := acc.peak(start)
		if peak < 0 {
			continue
		}
		e, _, _, ok := acc.excess(peak)
		if !ok {
			continue
		}
		r.PeakTurnout = float64(peak)
		r.Excess = int64(math.Round(e))
		r.LeaderShareCorrected = 100 * (float64(acc.sl) - e) / (float64(acc.sr) - e)
		res.PeakRules = append(res.PeakRules, r)
	}
	for i, r := range res.PeakRules {
		if i == 0 || r.Excess < res.ExcessPeakRange[0] {
			res.ExcessPeakRange[0] = r.Excess
		}
		if i == 0 || r.Excess > res.ExcessPeakRange[1] {
			res.ExcessPeakRange[1] = r.Excess
		}
	}
	peak := opt.Peak
	if !opt.ForcePeak {
		if peak = acc.peak(opt.StartBelow); peak < 0 {
			return ShpilkinResult{}, notEnoughData("forensics: official turnout below 1 %: no bin lies below it")
		}
		// The rule found the cut-off, not a peak, when b* is the last
		// candidate bin and the smoothed curve still rises after it.
		if peak+1 < ShpilkinBins && !acc.peak1(peak+1, opt.StartBelow) &&
			bins[peak+1].Smoothed > bins[peak].Smoothed {
			warn(&res.Warnings, &res.Notes, "shpilkin.cutoff", peak, peak)
		}
	}
	res.PeakTurnout = float64(peak)
	e, share, _, ok := acc.excess(peak)
	if !ok {
		return res, notEnoughData("forensics: no ballots in the bins at or below the clean peak")
	}
	res.CleanShare = 100 * share
	res.Excess = int64(math.Round(e))
	res.LeaderShareCorrected = 100 * (float64(acc.sl) - e) / (float64(acc.sr) - e)
	res.TurnoutCorrected = 100 * (float64(acc.sg) - e) / float64(acc.sv)

	nrep := opt.Bootstrap
	if nrep == 0 {
		nrep = 1000
	}
	if nrep < 2 {
		warn(&res.Warnings, &res.Notes, "no_bootstrap")
		return res, nil
	}
	res.Replicates, res.Seed = nrep, opt.Seed
	ex, sh, tu := make([]float64, nrep), make([]float64, nrep), make([]float64, nrep)
	// Each station reduced to its bin and sums once; a replicate only adds.
	type bst struct {
		b          int32
		v, g, r, l int64
	}
	bs := make([]bst, len(used))
	for i, s := range used {
		bs[i] = bst{int32(100 * s.G / s.V), s.V, s.G, s.R, s.L}
	}
	parallel(nrep, workers(opt.Workers), func(r int) {
		rng := rand.New(rand.NewPCG(streamSeeds(opt.Seed, uint64(r))))
		var a shpAcc
		for range bs {
			s := &bs[rng.IntN(len(bs))]
			a.v[s.b] += s.v
			a.l[s.b] += s.l
			a.o[s.b] += s.r - s.l
			a.sv += s.v
			a.sg += s.g
			a.sr += s.r
			a.sl += s.l
		}
		p := opt.Peak
		if !opt.ForcePeak {
			p = a.peak(opt.StartBelow)
		}
		e, _, _, ok := a.excess(max(p, 0))
		if p < 0 || !ok || a.sr == 0 {
			ex[r], sh[r], tu[r] = math.NaN(), math.NaN(), math.NaN()
			return
		}
		ex[r] = e
		sh[r] = 100 * (float64(a.sl) - e) / (float64(a.sr) - e)
		tu[r] = 100 * (float64(a.sg) - e) / float64(a.sv)
	})
	res.ExcessCI95, res.ExcessSD = percentileCI(ex)
	res.LeaderShareCorrectedCI95, _ = percentileCI(sh)
	res.TurnoutCorrectedCI95, _ = percentileCI(tu)
	return res, nil
}

// percentileCI is the 2.5–97.5 % percentile interval of the replicates
// (NaNs, replicates where the estimate failed, left out) and their
// standard deviation; nil with fewer than 2.
func percentileCI(reps []float64) (*CI, float64) {
	x := slices.DeleteFunc(slices.Clone(reps), math.IsNaN)
	if len(x) < 2 {
		return nil, 0
	}
	slices.Sort(x)
	var mean, ss float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return &CI{quantile(x, 0.025), quantile(x, 0.975)}, math.Sqrt(ss / float64(len(x)-1))
}

// shpAcc holds the per-bin sums of Shpilkin's method.
type shpAcc struct {
	n              [ShpilkinBins]int
	v, l, o        [ShpilkinBins]int64
	sv, sg, sr, sl int64
}

// add puts a station (V > 0, 0 ≤ G ≤ V, 0 ≤ L ≤ R) in its bin ⌊100·G/V⌋,
// computed exactly in integers.
func (a *shpAcc) add(s Station) {
	b := int(100 * s.G / s.V)
	a.n[b]++
	a.v[b] += s.V
	a.l[b] += s.L
	a.o[b] += s.R - s.L
	a.sv += s.V
	a.sg += s.G
	a.sr += s.R
	a.sl += s.L
}

// smoothed is the 5-bin box sum of V around b (bins outside 0…100 count 0).
func (a *shpAcc) smoothed(b int) int64 {
	var x int64
	for k := max(0, b-2); k <= min(ShpilkinBins-1, b+2); k++ {
		x += a.v[k]
	}
	return x
}

// peak1 reports whether bin b is a candidate for the peak: it lies wholly
// below the official turnout T = ΣG/ΣV, (b + 1)·ΣV ≤ 100·ΣG, or with
// startBelow it starts below it, b·ΣV < 100·ΣG (compared in integers).
func (a *shpAcc) peak1(b int, startBelow bool) bool {
	if startBelow {
		return int64(b)*a.sv < 100*a.sg
	}
	return int64(b+1)*a.sv <= 100*a.sg
}

// peak is the clean peak b*: the candidate bin of largest smoothed V, ties
// to the bin with more V itself, then to the lowest; −1 when no bin is a
// candidate.
func (a *shpAcc) peak(startBelow bool) int {
	peak := -1
	var best int64
	for b := range ShpilkinBins {
		if !a.peak1(b, startBelow) {
			break
		}
		sm := a.smoothed(b)
		if peak < 0 || sm > best || sm == best && a.v[b] > a.v[peak] {
			peak, best = b, sm
		}
	}
	return peak
}

// excess is E over the bins above peak, with the clean share s of the bins
// at or below it; ok is false when those bins hold no ballots.
func (a *shpAcc) excess(peak int) (e, s float64, cl int64, ok bool) {
	var co int64
	for b := 0; b <= peak; b++ {
		cl += a.l[b]
		co += a.o[b]
	}
	if cl+co == 0 {
		return 0, 0, 0, false
	}
	s = float64(cl) / float64(cl+co)
	if s < 1 {
		for b := peak + 1; b < ShpilkinBins; b++ {
			e += max(0, float64(a.l[b])-float64(a.o[b])*s/(1-s))
		}
	}
	return e, s, cl, true
}
