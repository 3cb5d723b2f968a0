package forensics

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// IntegerOptions configures IntegerTest.
type IntegerOptions struct {
	// Replicates of the Monte Carlo null; 0 means 1000.
	Replicates int
	// Seed of the random streams. The result depends only on the seed and
	// the stations, not on Workers.
	Seed uint64
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is told how many replicates are done out of
	// how many, as blocks of them finish; it is called from the worker
	// goroutines (one at a time), and must be quick.
	Progress func(done, total int)
}

// IntegerStat is one statistic of the integer-percentage test against its
// Monte Carlo null.
type IntegerStat struct {
	Observed float64 `json:"observed"` // in the reported results
	Expected float64 `json:"expected"` // mean over the replicates
	Excess   float64 `json:"excess"`   // Observed − Expected
	SD       float64 `json:"sd"`       // standard deviation of the replicates (n − 1)
	Z        float64 `json:"z"`        // Excess / SD (0 when SD = 0)
	P999     float64 `json:"p999"`     // 99.9th percentile of the replicates
}

// IntegerResult is the outcome of IntegerTest.
//
// Criteria are keyed "result" (100·L/R integer), "turnout" (100·G/V integer)
// and "either"; each counts stations. Weighted holds the same statistics
// with each station weighted by its reported registered voters ("V"),
// ballots issued ("G") or leader votes ("L"), keyed by weight then
// criterion.
type IntegerResult struct {
	StationsUsed int                               `json:"stations_used"`
	Replicates   int                               `json:"replicates"`
	Seed         uint64                            `json:"seed"`
	Criteria     map[string]IntegerStat            `json:"criteria"`
	Weighted     map[string]map[string]IntegerStat `json:"weighted"`
	// Excluded counts the stations left out, by reason (the impossible
	// figures first, then the inclusion rule's criteria); Fallbacks the
	// substituted figures among the stations used.
	Excluded  map[string]int `json:"excluded"`
	Fallbacks map[string]int `json:"fallbacks,omitempty"`
	// Warnings: too few stations for z to be read as a normal deviate.
	Warnings []string `json:"warnings"`
	Notes    []Note   `json:"-"` // Warnings as keys and arguments, for translation
}

// IntegerMinStations: with fewer included stations the replicates'
// distribution is far from normal and z cannot be read as a normal
// deviate; the result carries a warning (read p999 instead).
const IntegerMinStations = 100

// integerExclusion is why s does not enter the integer test, "" if it does.
func integerExclusion(s Station) string {
	if why := impossible(s); why != "" {
		return why
	}
	switch {
	case s.R == 0:
		return ExclNoBallots
	case s.V < 100:
		return ExclSmall
	case 100*s.G > 99*s.V:
		return ExclTurnout99
	case 100*s.L > 99*s.R:
		return ExclShare99
	}
	return ""
}

// The statistics: criterion c (result, turnout, either) × weight w (count,
// V, G, L), stored at index 4c + w.
const nIntStats = 12

var (
	integerCriteria = [3]string{"result", "turnout", "either"}
	integerWeights  = [4]string{"", "V", "G", "L"}
)

// intStation holds what the null needs of one included station.
type intStation struct {
	bl, bg     binomial // L* ~ Bin(R, L/R), G* ~ Bin(V, G/V)
	r, v       int64
	invR, invV float64
	w          [4]int64 // 1, V, G, L
}

// isIntPct reports whether 100·x/d is within 0.05 of an integer, exactly:
// with k the nearest integer, |100x − k·d| ≤ d/20. inv is 1/d; the float
// only picks k, the comparison is done in integers.
func isIntPct(x, d int64, inv float64) bool {
	k := int64(float64(100*x)*inv + 0.5)
	e := 100*x - k*d
	if e < 0 {
		e = -e
	}
	return 20*e <= d
}

// IntegerIncluded reports whether a station enters the integer-percentage
// test: R > 0, V ≥ 100, G/V ≤ 0.99 and L/R ≤ 0.99 (and no negative count).
func IntegerIncluded(s Station) bool {
	return s.R > 0 && s.V >= 100 && s.G >= 0 && s.L >= 0 &&
		100*s.G <= 99*s.V && 100*s.L <= 99*s.R
}

// IntegerTest runs the integer-percentage test of Kobak, Shpilkin &
// Pshenichnikov, "Integer percentages as electoral falsification
// fingerprints", Annals of Applied Statistics 10(1):54–73, 2016, as defined
// in METHODS.md: over the included stations (see IntegerIncluded), count
// those whose leader's result 100·L/R, turnout 100·G/V, or either, lies
// within 0.05 of an integer (a 0.1-point bin); the same sums weighted by V,
// G and L. The null draws, independently per station and replicate,
// L* ~ Binomial(R, L/R) and G* ~ Binomial(V, G/V) and recomputes the
// statistics; weights stay the reported V, G, L.
//
// Randomness: replicate i uses its own PCG stream seeded from (Seed, i), so
// the result is the same for any Workers. It allocates once per call; the
// sampling itself allocates nothing. Errors: fewer than 2 replicates, or no
// station passing the inclusion rule.
func IntegerTest(stations []Station, opt IntegerOptions) (IntegerResult, error) {
	nrep := opt.Replicates
	if nrep == 0 {
		nrep = 1000
	}
	if nrep < 2 {
		return IntegerResult{}, errors.New("forensics: integer test needs at least 2 replicates")
	}
	var maxN int64
	for _, s := range stations {
		if IntegerIncluded(s) {
			maxN = max(maxN, s.R, s.V)
		}
	}
	lf := logFactorials(maxN)
	st := make([]intStation, 0, len(stations))
	var obs [nIntStats]int64
	excluded := map[string]int{}
	var fallbacks map[string]int
	for _, s := range stations {
		if why := integerExclusion(s); why != "" {
			excluded[why]++
			continue
		}
		fallbacks = countFallbacks(fallbacks, s)
		x := intStation{
			bl:   newBinomial(s.R, float64(s.L)/float64(s.R), lf),
			bg:   newBinomial(s.V, float64(s.G)/float64(s.V), lf),
			r:    s.R,
			v:    s.V,
			invR: 1 / float64(s.R),
			invV: 1 / float64(s.V),
			w:    [4]int64{1, s.V, s.G, s.L},
		}
		x.accumulate(&obs, s.L, s.G)
		st = append(st, x)
	}
	if len(st) == 0 {
		return IntegerResult{}, notEnoughData("forensics: no station passes the integer test's inclusion rule")
	}

	reps := make([][nIntStats]int64, nrep)
	simulateInteger(st, reps, lf, opt.Seed, workers(opt.Workers), opt.Progress)

	res := IntegerResult{
		StationsUsed: len(st),
		Replicates:   nrep,
		Seed:         opt.Seed,
		Criteria:     map[string]IntegerStat{},
		Weighted:     map[string]map[string]IntegerStat{},
		Excluded:     excluded,
		Fallbacks:    fallbacks,
		Warnings:     []string{},
	}
	if len(st) < IntegerMinStations {
		warn(&res.Warnings, &res.Notes, "integer.few", len(st), IntegerMinStations)
	}
	vals := make([]float64, nrep)
	for c, cname := range integerCriteria {
		for w, wname := range integerWeights {
			i := 4*c + w
			for r := range reps {
				vals[r] = float64(reps[r][i])
			}
			stat := summarise(float64(obs[i]), vals)
			if w == 0 {
				res.Criteria[cname] = stat
				continue
			}
			if res.Weighted[wname] == nil {
				res.Weighted[wname] = map[string]IntegerStat{}
			}
			res.Weighted[wname][cname] = stat
		}
	}
	return res, nil
}

func (x *intStation) accumulate(acc *[nIntStats]int64, l, g int64) {
	ir := isIntPct(l, x.r, x.invR)
	it := isIntPct(g, x.v, x.invV)
	if ir {
		acc[0] += x.w[0]
		acc[1] += x.w[1]
		acc[2] += x.w[2]
		acc[3] += x.w[3]
	}
	if it {
		acc[4] += x.w[0]
		acc[5] += x.w[1]
		acc[6] += x.w[2]
		acc[7] += x.w[3]
	}
	if ir || it {
		acc[8] += x.w[0]
		acc[9] += x.w[1]
		acc[10] += x.w[2]
		acc[11] += x.w[3]
	}
}

// Replicates are handed to workers in blocks; within a block the stations
// are walked in chunks small enough to stay in cache while every replicate
// of the block passes over them. Each replicate still consumes its own
// stream in station order, so blocking changes nothing in the result.
const (
	intRepBlock   = 8
	intStationBlk = 256
)

func simulateInteger(st []intStation, reps [][nIntStats]int64, lf []float64, seed uint64, nw int, progress func(done, total int)) {
	nblocks := (len(reps) + intRepBlock - 1) / intRepBlock
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	report := func(n int) {
		if progress == nil {
			return
		}
		mu.Lock()
		done += n
		progress(done, len(reps))
		mu.Unlock()
	}
	for range min(nw, nblocks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rngs [intRepBlock]rand.PCG
			for {
				b := int(next.Add(1) - 1)
				if b >= nblocks {
					return
				}
				lo, hi := b*intRepBlock, min((b+1)*intRepBlock, len(reps))
				for r := lo; r < hi; r++ {
					rngs[r-lo].Seed(streamSeeds(seed, uint64(r)))
				}
				for c0 := 0; c0 < len(st); c0 += intStationBlk {
					chunk := st[c0:min(c0+intStationBlk, len(st))]
					for r := lo; r < hi; r++ {
						rng := &rngs[r-lo]
						acc := &reps[r]
						for i := range chunk {
							x := &chunk[i]
							l := x.bl.draw(rng, lf)
							g := x.bg.draw(rng, lf)
							x.accumulate(acc, l, g)
						}
					}
				}
				report(hi - lo)
			}
		}()
	}
	wg.Wait()
}

func summarise(observed float64, vals []float64) IntegerStat {
	n := float64(len(vals))
	var mean float64
	for _, v := range vals {
		mean += v
	}
	mean /= n
	var ss float64
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / (n - 1))
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	s := IntegerStat{
		Observed: observed,
		Expected: mean,
		Excess:   observed - mean,
		SD:       sd,
		P999:     quantile(sorted, 0.999),
	}
	if sd > 0 {
		s.Z = s.Excess / sd
	}
	return s
}
