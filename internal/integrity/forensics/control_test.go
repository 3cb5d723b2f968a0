package forensics

import (
	"encoding/json"
	"maps"
	"math"
	"strings"
	"testing"
)

// District A: a control station with 400 of 1000 registered voting for the
// leader (40 %) and others with 1400 of 2000: expected 3000 × 0.4 = 1200,
// official 1800, excess 600. District B: control 250/500, other 250/500:
// expected 500, excess 0. District C has no control station: left out.
// Total: official 2300, expected 1700, excess 600.
func TestControlHandComputed(t *testing.T) {
	st := []Station{
		{Group: "A", V: 1000, G: 950, R: 950, L: 400, Control: true},
		{Group: "A", V: 1200, G: 1140, R: 1140, L: 900},
		{Group: "A", V: 800, G: 760, R: 760, L: 500},
		{Group: "B", V: 500, G: 475, R: 475, L: 250, Control: true},
		{Group: "B", V: 500, G: 475, R: 475, L: 250},
		{Group: "C", V: 1000, G: 950, R: 950, L: 900},
	}
	res, err := ControlComparison(st, ControlOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Excess != 600 || res.Official != 2300 || math.Abs(res.Expected-1700) > 1e-9 {
		t.Errorf("total excess %d official %d expected %g, want 600, 2300, 1700", res.Excess, res.Official, res.Expected)
	}
	if res.Districts != 2 || res.DistrictsNoCtrl != 1 || len(res.Groups) != 2 || res.Note != ControlNote {
		t.Errorf("districts %d without control %d groups %d", res.Districts, res.DistrictsNoCtrl, len(res.Groups))
	}
	a := res.Groups[0]
	if a.Area != "A" || a.Official != 1800 || a.Expected != 1200 || a.Excess != 600 || a.Stations != 3 || a.ControlStations != 1 {
		t.Errorf("district A: %+v", a)
	}
	if b := res.Groups[1]; b.Area != "B" || b.Excess != 0 {
		t.Errorf("district B: %+v", b)
	}
	if _, err := ControlComparison(st[5:], ControlOptions{}); err == nil {
		t.Error("no control station: no error")
	}
}

// The JSON shapes the issue fixes.
func TestJSONShapes(t *testing.T) {
	keys := func(v any, path ...string) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, p := range path {
			cur := m
			for _, k := range splitPath(p) {
				switch c := cur.(type) {
				case map[string]any:
					cur = c[k]
				case []any:
					cur = c[0]
					cur = cur.(map[string]any)[k]
				}
				if cur == nil {
					t.Errorf("%T: no %s in %s", v, p, b[:min(len(b), 300)])
					break
				}
			}
		}
	}
	st := synthStations(500, 3)
	for i := range st {
		st[i].Group = string(rune('a' + i%3))
		st[i].Control = i%5 == 0
	}
	ir, _ := IntegerTest(st, IntegerOptions{Replicates: 10})
	keys(ir, "stations_used", "criteria.either.observed", "criteria.result.expected", "criteria.turnout.excess",
		"criteria.either.sd", "criteria.either.z", "criteria.either.p999", "weighted.V.either.observed", "weighted.L.result.z")
	fr, _ := Fingerprint(st, FingerprintOptions{Fit: &FitOptions{FI: []float64{0, 0.1}, FE: []float64{0}, Alpha: []float64{1}, Sims: 1}})
	keys(fr, "tau", "nu", "sigma_tau", "sigma_nu", "theta", "fit.f_i", "fit.f_e", "fit.alpha", "histogram.counts")
	sr, _ := Shpilkin(st, ShpilkinOptions{})
	keys(sr, "excess", "leader_share_corrected", "turnout_corrected", "peak_turnout")
	cr, _ := ControlComparison(st, ControlOptions{})
	keys(cr, "excess", "groups.area", "groups.official", "groups.expected", "groups.excess", "note")
	dr, _ := Digits(DigitSeries{Name: "L", Counts: []int64{12, 345}})
	keys(dr, "series", "tests.test", "tests.p_value", "caveat")
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := range len(p) {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

// The bootstrap resamples control stations within their district; a
// district with one control station adds no bootstrap variance and is
// named in a warning; stations with impossible figures are counted.
//
// District A: controls (V 1000, L 400) and (V 1000, L 600): each resample
// draws two with replacement, so the control ratio is 0.4 (¼), 0.5 (½) or
// 0.6 (¼); V_A = 4000, official 2600: excess 1000, 600 or 200 with those
// probabilities. District B has one control station: excess fixed at 0.
// The 2.5 % and 97.5 % percentiles of the total are therefore 200 and 1000.
func TestControlBootstrap(t *testing.T) {
	st := []Station{
		{Group: "A", V: 1000, G: 900, R: 900, L: 400, Control: true},
		{Group: "A", V: 1000, G: 900, R: 900, L: 600, Control: true},
		{Group: "A", V: 2000, G: 1900, R: 1900, L: 1600},
		{Group: "B", V: 500, G: 475, R: 475, L: 250, Control: true},
		{Group: "B", V: 500, G: 475, R: 475, L: 250},
		{Group: "B", V: 500, G: 475, R: 300, L: 454}, // L > R: excluded
		{Group: "C", V: 500, G: 600, R: 600, L: 300}, // turnout > 100 %: excluded
		{Group: "D", V: 500, G: 400, R: 400, L: 300}, // no control station
	}
	res, err := ControlComparison(st, ControlOptions{Seed: 5, Bootstrap: 400, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Excess != 600 || res.Replicates != 400 || res.Seed != 5 {
		t.Errorf("excess %d replicates %d seed %d", res.Excess, res.Replicates, res.Seed)
	}
	want := map[string]int{ExclLeaderAboveR: 1, ExclTurnoutAbove: 1, ExclNoControlDist: 1}
	if !maps.Equal(res.Excluded, want) {
		t.Errorf("excluded %v, want %v", res.Excluded, want)
	}
	if ci := res.ExcessCI95; ci == nil || *ci != (CI{200, 1000}) {
		t.Errorf("excess interval %v, want [200, 1000]", ci)
	}
	// sd of {1000, 600, 200} with probabilities ¼ ½ ¼: √80000 ≈ 283.
	if math.Abs(res.ExcessSD-282.8) > 25 {
		t.Errorf("sd %.1f, want ≈ 283", res.ExcessSD)
	}
	if b := res.Groups[1]; b.Area != "B" || b.ExcessCI95 == nil || *b.ExcessCI95 != (CI{0, 0}) {
		t.Errorf("district B: %+v", b)
	}
	if len(res.Warnings) != 2 || !strings.Contains(res.Warnings[1], "single control station") || !strings.Contains(res.Warnings[1], "B") {
		t.Errorf("warnings %q", res.Warnings)
	}
	same, _ := ControlComparison(st, ControlOptions{Seed: 5, Bootstrap: 400, Workers: 1})
	if *same.ExcessCI95 != *res.ExcessCI95 || same.ExcessSD != res.ExcessSD {
		t.Error("the bootstrap depends on the number of workers")
	}
}
