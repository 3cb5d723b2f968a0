package forensics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// ControlNote is carried by every control-group result.
const ControlNote = "Expected votes assume the control stations of a district vote like its other " +
	"stations. Where controls were assigned at random (e.g. observers deployed by lot), the " +
	"difference is a causal estimate of the effect of observation (or scanners) on the count; " +
	"where they were not (scanners placed in towns, observers sent where they were welcome), " +
	"it mixes that effect with the differences between the kinds of stations."

// ControlGroup is one district of the control-group comparison.
type ControlGroup struct {
	Area            string  `json:"area"`
	Stations        int     `json:"stations"`
	ControlStations int     `json:"control_stations"`
	Official        int64   `json:"official"` // ΣL over all the district's stations
	Expected        float64 `json:"expected"` // V_d · ΣL_c/ΣV_c
	Excess          float64 `json:"excess"`   // Official − Expected
	// ExcessCI95 is the bootstrap interval of Excess (nil without a
	// bootstrap).
	ExcessCI95 *CI `json:"excess_ci95"`
}

// ControlOptions configures ControlComparison.
type ControlOptions struct {
	// Bootstrap replicates (control stations resampled with replacement
	// within each district); 0 means 1000, negative none.
	Bootstrap int
	Seed      uint64
	Workers   int // 0 means GOMAXPROCS
}

// ControlResult is the outcome of ControlComparison. Excess is the total
// over the districts that have control stations, rounded to whole votes.
type ControlResult struct {
	Excess          int64          `json:"excess"`
	ExcessExact     float64        `json:"excess_exact"`
	Official        int64          `json:"official"`
	Expected        float64        `json:"expected"`
	Districts       int            `json:"districts"`
	DistrictsNoCtrl int            `json:"districts_without_control"`
	Groups          []ControlGroup `json:"groups"`
	Note            string         `json:"note"`
	// ExcessCI95 and ExcessSD: the bootstrap percentile interval and
	// standard deviation of ExcessExact, over Replicates resamplings of the
	// control stations within their districts (the official votes are a
	// count, not a sample, and stay fixed).
	ExcessCI95 *CI     `json:"excess_ci95"`
	ExcessSD   float64 `json:"excess_sd,omitempty"`
	Replicates int     `json:"replicates"`
	Seed       uint64  `json:"seed"`
	// Excluded counts the stations left out, by reason (districts without
	// control stations are counted in DistrictsNoCtrl, and their stations
	// here); Fallbacks the substituted figures among the stations used.
	Excluded  map[string]int `json:"excluded"`
	Fallbacks map[string]int `json:"fallbacks,omitempty"`
	Warnings  []string       `json:"warnings"`
	Notes     []Note         `json:"-"` // Warnings as keys and arguments, for translation
}

// MinControlStations: a district with fewer control stations than this
// carries a warning (one station gives its district no bootstrap variance;
// a handful gives a noisy one).
const MinControlStations = 5

// ControlComparison compares each district's official leader votes with
// what its control stations imply (Kobak & Pshenichnikov's comparison of
// scanner-counted stations in Russia; Enikolopov, Korovkin, Petrova,
// Sonin & Zakharov, "Field experiment estimate of electoral fraud in Russian
// parliamentary elections", PNAS 110(2):448–452, 2013, for randomly
// assigned observers), as METHODS.md defines it: within each district d
// (Station.Group) having control stations with ΣV > 0, expected leader votes
// = V_d × ΣL/ΣV over d's control stations, V_d the registered voters of all
// d's stations; excess = official ΣL − expected, per district and in total
// over those districts. Districts without control stations are counted in
// DistrictsNoCtrl and left out. Groups are sorted by Area. Error: no
// district has control stations with registered voters.
//
// The interval (opt.Bootstrap replicates, default 1000): in each replicate
// the control stations of every district are resampled with replacement,
// within the district, and the expected votes recomputed; the official
// votes stay fixed. Stations with impossible figures (impossible) are left
// out and counted in Excluded.
func ControlComparison(stations []Station, opt ControlOptions) (ControlResult, error) {
	type acc struct {
		n            int
		v, l, vc, lc int64
		ctl          []Station
		used         []Station
	}
	res := ControlResult{Note: ControlNote, Excluded: map[string]int{}, Warnings: []string{}}
	by := map[string]*acc{}
	for _, s := range stations {
		if why := impossible(s); why != "" {
			res.Excluded[why]++
			continue
		}
		a := by[s.Group]
		if a == nil {
			a = &acc{}
			by[s.Group] = a
		}
		a.n++
		a.v += s.V
		a.l += s.L
		a.used = append(a.used, s)
		if s.Control {
			a.vc += s.V
			a.lc += s.L
			a.ctl = append(a.ctl, s)
		}
	}
	var ctl [][]Station // per group, in Groups order
	for area, a := range by {
		if len(a.ctl) == 0 || a.vc == 0 {
			res.DistrictsNoCtrl++
			res.Excluded[ExclNoControlDist] += a.n
			continue
		}
		exp := float64(a.v) * float64(a.lc) / float64(a.vc)
		res.Groups = append(res.Groups, ControlGroup{
			Area: area, Stations: a.n, ControlStations: len(a.ctl),
			Official: a.l, Expected: exp, Excess: float64(a.l) - exp,
		})
		for _, s := range a.used {
			res.Fallbacks = countFallbacks(res.Fallbacks, s)
		}
	}
	if len(res.Groups) == 0 {
		return res, notEnoughData("forensics: no district has control stations with registered voters")
	}
	sort.Slice(res.Groups, func(i, j int) bool { return res.Groups[i].Area < res.Groups[j].Area })
	res.Districts = len(res.Groups)
	// Summed in area order, so the float total does not depend on map order.
	var few, one []string
	for _, g := range res.Groups {
		res.Official += g.Official
		res.Expected += g.Expected
		ctl = append(ctl, by[g.Area].ctl)
		if g.ControlStations < MinControlStations {
			few = append(few, g.Area)
		}
		if g.ControlStations == 1 {
			one = append(one, g.Area)
		}
	}
	res.ExcessExact = float64(res.Official) - res.Expected
	res.Excess = int64(math.Round(res.ExcessExact))
	if len(few) > 0 {
		warn(&res.Warnings, &res.Notes, "control.few", len(few), len(res.Groups), MinControlStations)
	}
	if len(one) > 0 {
		warn(&res.Warnings, &res.Notes, "control.single", len(one), listSome(one, 10))
	}

	nrep := opt.Bootstrap
	if nrep == 0 {
		nrep = 1000
	}
	if nrep < 2 {
		warn(&res.Warnings, &res.Notes, "no_bootstrap")
		return res, nil
	}
	res.Replicates, res.Seed = nrep, opt.Seed
	G := len(res.Groups)
	reps := make([]float64, nrep*(G+1)) // replicate-major: G districts' excess, then the total
	parallel(nrep, workers(opt.Workers), func(r int) {
		rng := rand.New(rand.NewPCG(streamSeeds(opt.Seed, uint64(r))))
		row := reps[r*(G+1) : (r+1)*(G+1)]
		var exp float64
		for g, cs := range ctl {
			var v, l int64
			for range cs {
				s := cs[rng.IntN(len(cs))]
				v += s.V
				l += s.L
			}
			e := res.Groups[g].Expected // a resample of stations with V = 0 only
			if v > 0 {
				e = float64(by[res.Groups[g].Area].v) * float64(l) / float64(v)
			}
			row[g] = float64(res.Groups[g].Official) - e
			exp += e
		}
		row[G] = float64(res.Official) - exp
	})
	col := make([]float64, nrep)
	for g := 0; g <= G; g++ {
		for r := range nrep {
			col[r] = reps[r*(G+1)+g]
		}
		ci, sd := percentileCI(col)
		if g < G {
			res.Groups[g].ExcessCI95 = ci
		} else {
			res.ExcessCI95, res.ExcessSD = ci, sd
		}
	}
	return res, nil
}

// listSome joins the first max names, saying how many more there are.
func listSome(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}
