package forensics

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// FingerprintOptions configures Fingerprint.
type FingerprintOptions struct {
	// TurnoutBins and ShareBins size the 2-D histogram; 0 means 100.
	TurnoutBins, ShareBins int
	// WeightByVoters weights each station by its registered voters V in the
	// histogram instead of counting stations (the paper's figures count
	// stations — "units"; weighting by voters shows where the votes are).
	WeightByVoters bool
	// HighestPeak takes τ and ν at the highest maximum of the density above
	// 0.3 instead of the first local maximum (METHODS.md's rule, the
	// default). The first-maximum rule is there so that a cluster of stuffed
	// stations near 100 % cannot become τ or ν (Russia 2020: turnout's first
	// maximum 0.428, the highest 0.853); but it can also pick a small bump in
	// the left tail when the leader's share is far above 0.3 (Russia 2018
	// and 2024: ν = 0.362 and 0.314 for official shares of 77 % and 87 %).
	// When the first maximum has less than a tenth of the highest's density
	// the result carries a warning.
	HighestPeak bool
	// Fit, when not nil, also fits the fraud model (expensive).
	Fit *FitOptions
	// Bootstrap replicates of the first-stage parameters' intervals
	// (stations resampled with replacement, τ, ν, σ_τ, σ_ν, θ recomputed);
	// 0 means 100, negative none. Seed and Workers as for the fit.
	Bootstrap int
	Seed      uint64
	Workers   int
}

// FitOptions configures the grid-search fit of the Klimek et al. fraud model.
type FitOptions struct {
	// Grids of f_i, f_e and α; nil means DefaultFIGrid, DefaultFEGrid,
	// DefaultAlphaGrid.
	FI, FE, Alpha []float64
	// Sims is the number of simulations averaged per grid point; 0 means 5.
	Sims int
	// Seed of the simulations; the fit depends only on it and the data.
	Seed uint64
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// Bootstrap, when > 0, refits the model on that many resamples of the
	// stations (first stage re-estimated in each) for intervals of f_i,
	// f_e and α: it costs Bootstrap times the fit. Without it the fit has
	// no interval and the result says so.
	Bootstrap int
}

// The default grids of the fit: f_i 0…0.9 by 0.025, f_e 0…0.15 by 0.005,
// α ∈ {0.5, 1, 1.5, 2, 3, 5}: 6,882 points.
var (
	DefaultFIGrid    = gridRange(0, 0.9, 0.025)
	DefaultFEGrid    = gridRange(0, 0.15, 0.005)
	DefaultAlphaGrid = []float64{0.5, 1, 1.5, 2, 3, 5}
)

func gridRange(lo, hi, step float64) []float64 {
	var g []float64
	for i := 0; ; i++ {
		x := lo + float64(i)*step
		if x > hi+step/2 {
			return g
		}
		g = append(g, math.Round(x*1e9)/1e9)
	}
}

// Histogram is the election fingerprint: Counts[i][j] is the number of
// stations (or of registered voters, Weight "voters") whose turnout lies in
// bin i = ⌊t·TurnoutBins⌋ and leader share in bin j = ⌊v·ShareBins⌋ (a value
// of exactly 1 falls in the last bin).
type Histogram struct {
	TurnoutBins int         `json:"turnout_bins"`
	ShareBins   int         `json:"share_bins"`
	Weight      string      `json:"weight"` // "stations" or "voters"
	Counts      [][]float64 `json:"counts"`
}

// FraudFit is the best grid point of the fraud-model fit.
type FraudFit struct {
	FI    float64 `json:"f_i"`   // share of stations with incremental fraud
	FE    float64 `json:"f_e"`   // share of stations with extreme fraud
	Alpha float64 `json:"alpha"` // α, how fast stolen votes grow with stuffed ones
	Loss  float64 `json:"loss"`  // the minimised Σ((H_sim − H_obs)/(H_obs + 1))²
	// LossNoFraud is the loss at f_i = f_e = 0, for comparison.
	LossNoFraud float64 `json:"loss_no_fraud"`
	Sims        int     `json:"sims"`
	Seed        uint64  `json:"seed"`
	// Bootstrap percentile intervals of the fitted parameters over
	// Replicates refits (FitOptions.Bootstrap); nil without.
	FICI95     *CI `json:"f_i_ci95"`
	FECI95     *CI `json:"f_e_ci95"`
	AlphaCI95  *CI `json:"alpha_ci95"`
	Replicates int `json:"replicates"`
}

// FingerprintResult is the outcome of Fingerprint.
type FingerprintResult struct {
	StationsUsed int       `json:"stations_used"`
	Tau          float64   `json:"tau"`
	Nu           float64   `json:"nu"`
	SigmaTau     float64   `json:"sigma_tau"`
	SigmaNu      float64   `json:"sigma_nu"`
	Theta        float64   `json:"theta"`
	Fit          *FraudFit `json:"fit,omitempty"`
	Histogram    Histogram `json:"histogram"`
	// PeakRule is "first" (METHODS.md) or "highest" (HighestPeak).
	PeakRule string `json:"peak_rule"`
	// Bootstrap percentile intervals (2.5–97.5 %) of the first-stage
	// parameters over Replicates resamplings of the stations (Seed); nil
	// when the bootstrap was not run.
	TauCI95      *CI    `json:"tau_ci95"`
	NuCI95       *CI    `json:"nu_ci95"`
	SigmaTauCI95 *CI    `json:"sigma_tau_ci95"`
	SigmaNuCI95  *CI    `json:"sigma_nu_ci95"`
	ThetaCI95    *CI    `json:"theta_ci95"`
	Replicates   int    `json:"replicates"`
	Seed         uint64 `json:"seed"`
	// Excluded counts the stations left out, by reason; Fallbacks the
	// substituted figures among the stations used.
	Excluded  map[string]int `json:"excluded"`
	Fallbacks map[string]int `json:"fallbacks,omitempty"`
	// Warnings flag results that should not be read as they stand.
	Warnings []string `json:"warnings"`
	Notes    []Note   `json:"-"` // Warnings as keys and arguments, for translation
}

// FingerprintMinStations: with fewer stations the kernel density's peaks
// and the σ's rest on too few points to be read; the result carries a
// warning. FingerprintSmallStation: when more than half of the stations
// have fewer registered voters, their turnouts and shares take few
// distinct values and the histogram and density are lumpy (warning).
const (
	FingerprintMinStations  = 100
	FingerprintSmallStation = 100
)

// fingerprintExclusion is why s does not enter the fingerprint, "" if it
// does (FingerprintIncluded).
func fingerprintExclusion(s Station) string {
	if why := impossible(s); why != "" {
		return why
	}
	if s.R == 0 {
		return ExclNoBallots
	}
	return ""
}

// FingerprintIncluded reports whether a station enters the fingerprint:
// V > 0, R > 0, 0 ≤ G ≤ V and 0 ≤ L ≤ R.
func FingerprintIncluded(s Station) bool {
	return s.V > 0 && s.R > 0 && s.G >= 0 && s.G <= s.V && s.L >= 0 && s.L <= s.R
}

// Fingerprint computes the election fingerprint of Klimek, Yegorov, Hanel &
// Thurner, "Statistical detection of systematic election irregularities",
// PNAS 109(41):16469–16473, 2012, as METHODS.md restates it: the 2-D
// histogram of turnout t = G/V against the leader's share v = L/R; the
// first-stage parameters τ and ν, the first local maximum above 0.3 of a
// Gaussian kernel density estimate (Scott's bandwidth sd·n^(−1/5), sd with
// n − 1) of t and of v on the grid 0, 0.001, …, 0.999; σ_τ = RMS(t − τ) over
// stations with t < τ and v < ν; σ_ν = RMS(v − ν) over v < ν; and
// θ = [RMS(v − ν) over v > ν]^(1/2). With opt.Fit it also fits the fraud
// model (see fitFraud). The result's Warnings say when the first-maximum rule
// picked a tail bump (see FingerprintOptions.HighestPeak); read them before
// the parameters. Errors: bins not positive, fewer than 2 usable stations,
// empty or invalid fit grids.
func Fingerprint(stations []Station, opt FingerprintOptions) (FingerprintResult, error) {
	tb, sb := opt.TurnoutBins, opt.ShareBins
	if tb == 0 {
		tb = 100
	}
	if sb == 0 {
		sb = 100
	}
	if tb < 1 || sb < 1 {
		return FingerprintResult{}, errors.New("forensics: fingerprint bins must be positive")
	}
	var t, v []float64
	var used []Station
	h := Histogram{TurnoutBins: tb, ShareBins: sb, Weight: "stations", Counts: make([][]float64, tb)}
	if opt.WeightByVoters {
		h.Weight = "voters"
	}
	for i := range h.Counts {
		h.Counts[i] = make([]float64, sb)
	}
	excluded := map[string]int{}
	var fallbacks map[string]int
	small := 0
	for _, s := range stations {
		if why := fingerprintExclusion(s); why != "" {
			excluded[why]++
			continue
		}
		fallbacks = countFallbacks(fallbacks, s)
		if s.V < FingerprintSmallStation {
			small++
		}
		ti, vi := s.Turnout(), s.Share()
		t = append(t, ti)
		v = append(v, vi)
		used = append(used, s)
		w := 1.0
		if opt.WeightByVoters {
			w = float64(s.V)
		}
		h.Counts[bin(ti, tb)][bin(vi, sb)] += w
	}
	if len(t) < 2 {
		return FingerprintResult{}, notEnoughData("forensics: fingerprint needs at least 2 stations with V > 0 and R > 0")
	}
	res := FingerprintResult{StationsUsed: len(t), Histogram: h, PeakRule: "first",
		Excluded: excluded, Fallbacks: fallbacks, Warnings: []string{}}
	if opt.HighestPeak {
		res.PeakRule = "highest"
	}
	if len(t) < FingerprintMinStations {
		warn(&res.Warnings, &res.Notes, "finger.few", len(t), FingerprintMinStations)
	}
	if 2*small > len(t) {
		warn(&res.Warnings, &res.Notes, "finger.small", small, len(t), FingerprintSmallStation)
	}
	for _, q := range []struct {
		name string
		x    []float64
		dst  *float64
	}{{"tau", t, &res.Tau}, {"nu", v, &res.Nu}} {
		first, highest, ratio := kdePeaks(q.x)
		*q.dst = first
		if opt.HighestPeak {
			*q.dst = highest
		} else if ratio < 0.1 {
			warn(&res.Warnings, &res.Notes, "finger.tail_peak", q.name, first, 100*ratio, highest)
		}
	}
	var nt, nn, na int
	res.SigmaTau, res.SigmaNu, res.Theta, nt, nn, na = spreads(t, v, res.Tau, res.Nu)
	for _, z := range []struct {
		name string
		n    int
		set  string
	}{{"σ_τ", nt, "t < τ and v < ν"}, {"σ_ν", nn, "v < ν"}, {"θ", na, "v > ν"}} {
		if z.n < 2 {
			warn(&res.Warnings, &res.Notes, "finger.zero_spread", z.name, z.n, z.set)
		}
	}
	res.Seed = opt.Seed
	if nrep := cmp.Or(opt.Bootstrap, 100); nrep >= 2 {
		res.Replicates = nrep
		reps := make([][5]float64, nrep)
		// Each station's fine bin (width 10⁻⁴) of t and v, for the binned
		// density of the replicates (see kdeBinned).
		ft, fv := make([]int32, len(t)), make([]int32, len(t))
		for i := range t {
			ft[i], fv[i] = fineBin(t[i]), fineBin(v[i])
		}
		parallel(nrep, workers(opt.Workers), func(r int) {
			rng := rand.New(rand.NewPCG(streamSeeds(opt.Seed, uint64(r))))
			idx := make([]int32, len(t))
			ct, cv := make([]float64, fineBins), make([]float64, fineBins)
			var mt, mv, qt, qv float64
			for i := range idx {
				j := int32(rng.IntN(len(t)))
				idx[i] = j
				ct[ft[j]]++
				cv[fv[j]]++
				mt += t[j]
				mv += v[j]
				qt += t[j] * t[j]
				qv += v[j] * v[j]
			}
			n := float64(len(idx))
			sdT := math.Sqrt(max(0, (qt-mt*mt/n)/(n-1)))
			sdV := math.Sqrt(max(0, (qv-mv*mv/n)/(n-1)))
			tau := peakOf(kdeBinned(ct, sdT, n, mt/n), opt.HighestPeak)
			nu := peakOf(kdeBinned(cv, sdV, n, mv/n), opt.HighestPeak)
			bt, bv := make([]float64, len(idx)), make([]float64, len(idx))
			for i, j := range idx {
				bt[i], bv[i] = t[j], v[j]
			}
			st, sn, th, _, _, _ := spreads(bt, bv, tau, nu)
			reps[r] = [5]float64{tau, nu, st, sn, th}
		})
		col := make([]float64, nrep)
		for k, dst := range []**CI{&res.TauCI95, &res.NuCI95, &res.SigmaTauCI95, &res.SigmaNuCI95, &res.ThetaCI95} {
			for r := range reps {
				col[r] = reps[r][k]
			}
			*dst, _ = percentileCI(col)
		}
	} else {
		warn(&res.Warnings, &res.Notes, "finger.no_bootstrap")
	}
	if opt.Fit != nil {
		fit, err := fitFraud(used, v, sb, res, *opt.Fit)
		if err != nil {
			return res, err
		}
		if nb := opt.Fit.Bootstrap; nb >= 2 {
			fit.Replicates = nb
			reps := make([][3]float64, nb)
			fo := *opt.Fit
			fo.Bootstrap = 0
			for r := range nb {
				rng := rand.New(rand.NewPCG(streamSeeds(opt.Fit.Seed^0xf17, uint64(r))))
				bs := make([]Station, len(used))
				for i := range bs {
					bs[i] = used[rng.IntN(len(used))]
				}
				bo := opt
				bo.Fit, bo.Bootstrap = nil, -1
				p, err := Fingerprint(bs, bo)
				if err != nil {
					return res, err
				}
				bv := make([]float64, len(bs))
				for i, s := range bs {
					bv[i] = s.Share()
				}
				f, err := fitFraud(bs, bv, sb, p, fo)
				if err != nil {
					return res, err
				}
				reps[r] = [3]float64{f.FI, f.FE, f.Alpha}
			}
			col := make([]float64, nb)
			for k, dst := range []**CI{&fit.FICI95, &fit.FECI95, &fit.AlphaCI95} {
				for r := range reps {
					col[r] = reps[r][k]
				}
				*dst, _ = percentileCI(col)
			}
		} else {
			warn(&res.Warnings, &res.Notes, "finger.no_fit_bootstrap")
		}
		res.Fit = &fit
	}
	return res, nil
}

// spreads are σ_τ = RMS(t − τ) over t < τ and v < ν, σ_ν = RMS(v − ν) over
// v < ν and θ = [RMS(v − ν) over v > ν]^½, with the number of stations
// behind each (a spread over no station is 0).
func spreads(t, v []float64, tau, nu float64) (sigmaTau, sigmaNu, theta float64, nt, nn, na int) {
	var st, sn, sa float64
	for i := range t {
		if t[i] < tau && v[i] < nu {
			st += (t[i] - tau) * (t[i] - tau)
			nt++
		}
		if v[i] < nu {
			sn += (v[i] - nu) * (v[i] - nu)
			nn++
		}
		if v[i] > nu {
			sa += (v[i] - nu) * (v[i] - nu)
			na++
		}
	}
	return rms(st, float64(nt)), rms(sn, float64(nn)), math.Sqrt(rms(sa, float64(na))), nt, nn, na
}

func rms(ss, n float64) float64 {
	if n == 0 {
		return 0
	}
	return math.Sqrt(ss / n)
}

// bin maps x in [0, 1] to one of n bins; 1 goes to the last.
func bin(x float64, n int) int {
	i := int(x * float64(n))
	if i >= n {
		i = n - 1
	}
	if i < 0 {
		i = 0
	}
	return i
}

const (
	kdeGrid = 1000 // points 0, 0.001, …, 0.999
	kdeStep = 0.001
)

// kdeDensity evaluates the (unnormalised) Gaussian KDE of x with Scott's
// bandwidth on the grid 0 … 0.999. Kernels are cut at 10 bandwidths
// (e^−50 of the peak) and evaluated by the exact recurrence
// exp(−(d+δ)²/2h²) = exp(−d²/2h²)·exp(−(2dδ+δ²)/2h²), which needs two
// exponentials per point instead of one per grid point.
func kdeDensity(x []float64) []float64 {
	n := float64(len(x))
	var mean float64
	for _, xi := range x {
		mean += xi
	}
	mean /= n
	var ss float64
	for _, xi := range x {
		ss += (xi - mean) * (xi - mean)
	}
	h := math.Sqrt(ss/(n-1)) * math.Pow(n, -0.2)
	f := make([]float64, kdeGrid)
	if h == 0 || math.IsNaN(h) {
		// All values equal: the density is a spike at that value.
		f[min(kdeGrid-1, max(0, int(math.Round(mean/kdeStep))))] = n
		return f
	}
	inv2h2 := 1 / (2 * h * h)
	step := math.Exp(-kdeStep * kdeStep / (h * h))
	for _, xi := range x {
		j0 := max(0, int(math.Ceil((xi-10*h)/kdeStep)))
		j1 := min(kdeGrid-1, int(math.Floor((xi+10*h)/kdeStep)))
		if j0 > j1 {
			continue
		}
		if h < kdeStep {
			for j := j0; j <= j1; j++ {
				d := float64(j)*kdeStep - xi
				f[j] += math.Exp(-d * d * inv2h2)
			}
			continue
		}
		d := float64(j0)*kdeStep - xi
		term := math.Exp(-d * d * inv2h2)
		ratio := math.Exp(-(2*d*kdeStep + kdeStep*kdeStep) * inv2h2)
		for j := j0; j <= j1; j++ {
			f[j] += term
			term *= ratio
			ratio *= step
		}
	}
	return f
}

// The replicates of the bootstrap evaluate the density on binned data:
// each value is moved to the nearest multiple of 10⁻⁴ (a tenth of the grid
// step, a hundredth of a typical bandwidth), which makes a replicate's
// density a convolution with kernel weights that depend only on the offset.
const (
	fineStep = 1e-4
	fineBins = 10001 // 0, 10⁻⁴, …, 1
	fineRate = 10    // fine bins per grid step
)

func fineBin(x float64) int32 {
	return int32(min(fineBins-1, max(0, int(math.Round(x/fineStep)))))
}

// kdeBinned is kdeDensity on binned counts (n values, sd their standard
// deviation, mean their mean).
func kdeBinned(counts []float64, sd, n, mean float64) []float64 {
	h := sd * math.Pow(n, -0.2)
	f := make([]float64, kdeGrid)
	if h == 0 || math.IsNaN(h) {
		f[min(kdeGrid-1, max(0, int(math.Round(mean/kdeStep))))] = n
		return f
	}
	m := int(math.Floor(10 * h / fineStep))
	k := make([]float64, 2*m+1)
	for i := -m; i <= m; i++ {
		d := float64(i) * fineStep
		k[i+m] = math.Exp(-d * d / (2 * h * h))
	}
	for b, c := range counts {
		if c == 0 {
			continue
		}
		// Grid points j with |j·10 − b| ≤ m.
		j0 := max(0, (b-m+fineRate-1)/fineRate)
		if b-m < 0 {
			j0 = 0
		}
		j1 := min(kdeGrid-1, (b+m)/fineRate)
		for j := j0; j <= j1; j++ {
			f[j] += c * k[j*fineRate-b+m]
		}
	}
	return f
}

// peakOf is the first (or highest) maximum above 0.3 of a density on the
// grid, by kdePeaks's rule.
func peakOf(f []float64, highest bool) float64 {
	first, hi, _ := peaksOf(f)
	if highest {
		return hi
	}
	return first
}

// kdePeaks returns the first local maximum of the KDE above 0.3 — the
// smallest grid point g > 0.3 with f(g − δ) < f(g) ≥ f(g + δ); if the
// density only rises to the end of the grid, 0.999; if it has no maximum
// above 0.3 at all, the grid point of its largest value there — and the
// highest grid point above 0.3, with the ratio of the first's density to
// the highest's.
func kdePeaks(x []float64) (first, highest, ratio float64) {
	return peaksOf(kdeDensity(x))
}

// peaksOf is kdePeaks on a density already evaluated on the grid.
func peaksOf(f []float64) (first, highest, ratio float64) {
	const lo = 301 // 0.301
	best := lo
	for j := lo; j < kdeGrid; j++ {
		if f[j] > f[best] {
			best = j
		}
	}
	fj := -1
	for j := lo; j < kdeGrid-1; j++ {
		if f[j] > f[j-1] && f[j] >= f[j+1] {
			fj = j
			break
		}
	}
	if fj < 0 {
		fj = best
		if f[kdeGrid-1] > f[kdeGrid-2] {
			fj = kdeGrid - 1
		}
	}
	ratio = 1
	if f[best] > 0 {
		ratio = f[fj] / f[best]
	}
	return float64(fj) * kdeStep, float64(best) * kdeStep, ratio
}

// kdePeak is the first local maximum above 0.3 (see kdePeaks).
func kdePeak(x []float64) float64 {
	p, _, _ := kdePeaks(x)
	return p
}

// fraudSim holds one simulation's random draws for every station, reduced
// to what the loss needs. The same draws serve every grid point (common
// random numbers), which makes the loss a smooth function of the parameters
// and the search reproducible. Stations are ordered by u, the uniform that
// decides the kind of fraud, so the fraudulent stations at f = f_i + f_e are
// a prefix; for each α of the grid the share bin a station would take under
// incremental and under extreme fraud is computed once, so that evaluating a
// grid point is a pass of histogram updates.
type fraudSim struct {
	u      []float64 // sorted ascending
	clean  []int16   // share bin without fraud (−1: no ballots)
	inc    [][]int16 // [α][station] bin under incremental fraud
	ext    [][]int16 // [α][station] bin under extreme fraud
	hClean []float64 // histogram of the simulation without fraud
}

// truncNormal draws N(mu, sd) truncated to [lo, hi] by rejection (falling
// back to clamping after 1000 rejections, for degenerate parameters).
func truncNormal(r *rand.Rand, mu, sd, lo, hi float64) float64 {
	for range 1000 {
		x := mu + sd*r.NormFloat64()
		if x >= lo && x <= hi {
			return x
		}
	}
	return min(hi, max(lo, mu))
}

// modelBin is the share bin of a simulated station with N voters, clean
// turnout a and share s, fraud intensity x and its power xa = x^α:
// W = N[a·s + x(1 − a) + x^α(1 − s)a], ballots = N[a + x(1 − a)], each
// rounded to whole votes. It returns −1 when the station has no ballots.
func modelBin(n, a, s, x, xa float64, bins int) int16 {
	b := math.Round(n * (a + x*(1-a)))
	if b <= 0 {
		return -1
	}
	w := min(b, math.Round(n*(a*s+x*(1-a)+xa*(1-s)*a)))
	return int16(bin(w/b, bins))
}

// fitFraud fits f_i, f_e and α of the Klimek et al. fraud model by grid
// search: for each grid point it simulates every station (with its own N
// voters) Sims times — clean turnout a ~ N(τ, σ_τ) and share s ~ N(ν, σ_ν)
// truncated to [0, 1]; with probability f_i, x ~ |N(0, θ)| truncated to
// (0, 1); with probability f_e, x = 1 − |N(0, 0.075)|; else x = 0 — and
// minimises Σ_bins ((H̄_sim − H_obs)/(H_obs + 1))² between the averaged
// simulated and the observed leader-share histograms (ShareBins bins,
// counting stations).
func fitFraud(st []Station, v []float64, bins int, p FingerprintResult, opt FitOptions) (FraudFit, error) {
	fis, fes, alphas := opt.FI, opt.FE, opt.Alpha
	if fis == nil {
		fis = DefaultFIGrid
	}
	if fes == nil {
		fes = DefaultFEGrid
	}
	if alphas == nil {
		alphas = DefaultAlphaGrid
	}
	if len(fis) == 0 || len(fes) == 0 || len(alphas) == 0 {
		return FraudFit{}, errors.New("forensics: fraud fit needs non-empty grids")
	}
	nsim := opt.Sims
	if nsim == 0 {
		nsim = 5
	}
	if nsim < 1 {
		return FraudFit{}, errors.New("forensics: fraud fit needs at least 1 simulation")
	}
	if bins > math.MaxInt16 {
		return FraudFit{}, errors.New("forensics: fraud fit supports at most 32767 share bins")
	}
	obs := make([]float64, bins)
	for _, x := range v {
		obs[bin(x, bins)]++
	}
	nw := workers(opt.Workers)

	sims := make([]fraudSim, nsim)
	parallel(nsim, nw, func(k int) {
		sims[k] = newFraudSim(st, p, bins, alphas, opt.Seed, uint64(k))
	})

	type point struct {
		fi, fe float64
		ai     int // index into alphas
	}
	var grid []point
	for _, fi := range fis {
		for _, fe := range fes {
			if fi < 0 || fe < 0 || fi+fe > 1 {
				continue
			}
			for ai := range alphas {
				grid = append(grid, point{fi, fe, ai})
			}
		}
	}
	if len(grid) == 0 {
		return FraudFit{}, errors.New("forensics: fraud fit grid has no point with f_i + f_e ≤ 1")
	}
	loss := make([]float64, len(grid))
	hists := make(chan []float64, nw)
	for range nw {
		hists <- make([]float64, bins)
	}
	parallel(len(grid), nw, func(g int) {
		h := <-hists
		loss[g] = simLoss(sims, obs, h, grid[g].fi, grid[g].fe, grid[g].ai)
		hists <- h
	})
	best := 0
	for g := range grid {
		if loss[g] < loss[best] {
			best = g
		}
	}
	h := make([]float64, bins)
	return FraudFit{
		FI: grid[best].fi, FE: grid[best].fe, Alpha: alphas[grid[best].ai],
		Loss:        loss[best],
		LossNoFraud: simLoss(sims, obs, h, 0, 0, 0),
		Sims:        nsim,
		Seed:        opt.Seed,
	}, nil
}

func newFraudSim(st []Station, p FingerprintResult, bins int, alphas []float64, seed, k uint64) fraudSim {
	r := rand.New(rand.NewPCG(streamSeeds(seed, k)))
	n := len(st)
	type draw struct{ n, a, s, u, xi, xe float64 }
	d := make([]draw, n)
	for i, s := range st {
		x := math.Abs(p.Theta * r.NormFloat64())
		for tries := 0; (x <= 0 || x >= 1) && tries < 1000; tries++ {
			x = math.Abs(p.Theta * r.NormFloat64())
		}
		d[i] = draw{
			n:  float64(s.V),
			a:  truncNormal(r, p.Tau, p.SigmaTau, 0, 1),
			s:  truncNormal(r, p.Nu, p.SigmaNu, 0, 1),
			u:  r.Float64(),
			xi: min(max(x, 0), 1),
			xe: max(0, 1-math.Abs(0.075*r.NormFloat64())),
		}
	}
	// Stable sort: ties (practically impossible) keep station order, so the
	// order depends on the draws only.
	sort.SliceStable(d, func(i, j int) bool { return d[i].u < d[j].u })
	fs := fraudSim{
		u: make([]float64, n), clean: make([]int16, n), hClean: make([]float64, bins),
		inc: make([][]int16, len(alphas)), ext: make([][]int16, len(alphas)),
	}
	for ai := range alphas {
		fs.inc[ai] = make([]int16, n)
		fs.ext[ai] = make([]int16, n)
	}
	for i, x := range d {
		fs.u[i] = x.u
		fs.clean[i] = modelBin(x.n, x.a, x.s, 0, 0, bins)
		if fs.clean[i] >= 0 {
			fs.hClean[fs.clean[i]]++
		}
		for ai, alpha := range alphas {
			fs.inc[ai][i] = modelBin(x.n, x.a, x.s, x.xi, math.Pow(x.xi, alpha), bins)
			fs.ext[ai][i] = modelBin(x.n, x.a, x.s, x.xe, math.Pow(x.xe, alpha), bins)
		}
	}
	return fs
}

// simLoss is the fit's loss at one grid point (α given by its index), h a
// scratch histogram.
func simLoss(sims []fraudSim, obs, h []float64, fi, fe float64, ai int) float64 {
	clear(h)
	for k := range sims {
		sm := &sims[k]
		for b, c := range sm.hClean {
			h[b] += c
		}
		// Stations with u < f_i + f_e are fraudulent: u < f_i incremental.
		end, _ := slices.BinarySearch(sm.u, fi+fe)
		nInc, _ := slices.BinarySearch(sm.u[:end], fi)
		inc, ext := sm.inc[ai], sm.ext[ai]
		for i := range end {
			if c := sm.clean[i]; c >= 0 {
				h[c]--
			}
			b := ext[i]
			if i < nInc {
				b = inc[i]
			}
			if b >= 0 {
				h[b]++
			}
		}
	}
	var loss float64
	ns := float64(len(sims))
	for b := range h {
		d := (h[b]/ns - obs[b]) / (obs[b] + 1)
		loss += d * d
	}
	return loss
}

// parallel runs f(0) … f(n−1) on nw goroutines.
func parallel(n, nw int, f func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(nw, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
