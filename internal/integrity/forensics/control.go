package forensics

import (
	"errors"
	"math"
	"sort"
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
}

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
func ControlComparison(stations []Station) (ControlResult, error) {
	type acc struct {
		n, nc        int
		v, l, vc, lc int64
	}
	by := map[string]*acc{}
	for _, s := range stations {
		if s.V < 0 || s.L < 0 {
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
		if s.Control {
			a.nc++
			a.vc += s.V
			a.lc += s.L
		}
	}
	res := ControlResult{Note: ControlNote}
	for area, a := range by {
		if a.nc == 0 || a.vc == 0 {
			res.DistrictsNoCtrl++
			continue
		}
		exp := float64(a.v) * float64(a.lc) / float64(a.vc)
		res.Groups = append(res.Groups, ControlGroup{
			Area: area, Stations: a.n, ControlStations: a.nc,
			Official: a.l, Expected: exp, Excess: float64(a.l) - exp,
		})
		res.Official += a.l
		res.Expected += exp
	}
	if len(res.Groups) == 0 {
		return res, errors.New("forensics: no district has control stations with registered voters")
	}
	sort.Slice(res.Groups, func(i, j int) bool { return res.Groups[i].Area < res.Groups[j].Area })
	res.Districts = len(res.Groups)
	// Summed in area order, so the float total does not depend on map order.
	res.Expected = 0
	for _, g := range res.Groups {
		res.Expected += g.Expected
	}
	res.ExcessExact = float64(res.Official) - res.Expected
	res.Excess = int64(math.Round(res.ExcessExact))
	return res, nil
}
