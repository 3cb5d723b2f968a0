package forensics

import (
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Four stations, worked by hand:
//
//	S1 V=1000 G=400  L=200 (40 %, share 50 %)
//	S2 V=2000 G=820  L=410 (41 %, share 50 %)
//	S3 V=1000 G=420  L=210 (42 %, share 50 %)
//	S4 V=1000 G=800  L=720 (80 %, share 90 %)
//
// (R = G throughout.) ΣV = 5000, ΣG = 2440: official turnout 48.8 %, so bins
// 0…47 are candidates. 5-bin sums of V: bin 39 = 3000, bins 40, 41, 42 =
// 4000, bin 43 = 3000; of the tied bins 41 holds the most voters itself, so
// b* = 41. Clean share s = (200 + 410)/(400 + 820) = 0.5. Excess: bin 42
// gives max(0, L − O) = 0, bin 80 gives 720 − 80 = 640. Corrected share (1540 − 640)/(2440 − 640) = 50 %,
// corrected turnout (2440 − 640)/5000 = 36 %.
func TestShpilkinHandComputed(t *testing.T) {
	st := []Station{
		{V: 1000, G: 400, R: 400, L: 200},
		{V: 2000, G: 820, R: 820, L: 410},
		{V: 1000, G: 420, R: 420, L: 210},
		{V: 1000, G: 800, R: 800, L: 720},
		{V: 0, G: 10, R: 10, L: 10}, // excluded: V = 0
	}
	res, err := Shpilkin(st, ShpilkinOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.PeakTurnout != 41 || res.Excess != 640 || res.StationsUsed != 4 {
		t.Errorf("peak %g excess %d stations %d, want 41, 640, 4", res.PeakTurnout, res.Excess, res.StationsUsed)
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %.6f, want %.6f", name, got, want)
		}
	}
	near("clean share", res.CleanShare, 50)
	near("corrected share", res.LeaderShareCorrected, 50)
	near("corrected turnout", res.TurnoutCorrected, 36)
	near("official share", res.LeaderShareOfficial, 100*1540.0/2440)
	near("official turnout", res.TurnoutOfficial, 48.8)
	if b := res.Bins[41]; b.V != 2000 || b.L != 410 || b.O != 410 || b.Smoothed != 4000 {
		t.Errorf("bin 41: %+v", b)
	}
}

// When the turnout distribution is strongly shifted and an integer value
// carries a spike, the peak rule can land on the spike instead of the clean
// mode. Construction:
//
//	clean: 21 stations V=1000 at turnouts 30 %, 31 %, …, 50 %, share 50 %;
//	spike: 8 stations V=1000 at exactly 55 % turnout, share 80 %;
//	stuffed: 10 stations V=1000 at 95 % turnout, share 95 % (L=902, O=48).
//
// ΣV = 39,000, ΣG = 8,400 + 4,400 + 9,500 = 22,300: official turnout
// 57.18 %, so bins ≤ 56 are candidates. The 5-bin sums are 5,000 at most in
// the clean range but 8,000 on 53…56 (the spike alone in each window); of
// those bins 55 holds the voters itself: the rule takes b* = 55, the spike. Clean share then includes the spike:
// s = (4,200 + 3,520)/(8,400 + 4,400) = 0.603125, and only bin 95 is
// "excess": 9,020 − 480·s/(1 − s) = 8,290.55 → 8,291.
// With the peak forced to the clean range (b* = 50, s = 0.5) the spike
// counts too: (3,520 − 880) + (9,020 − 480) = 11,180, the true amount above
// a 50 % share. The rule underestimates by a quarter, and this is why the
// result reports its peak and lets an analyst force it.
func TestShpilkinPeakOnIntegerSpike(t *testing.T) {
	var st []Station
	for b := int64(30); b <= 50; b++ {
		st = append(st, Station{V: 1000, G: 10 * b, R: 10 * b, L: 5 * b})
	}
	for range 8 {
		st = append(st, Station{V: 1000, G: 550, R: 550, L: 440})
	}
	for range 10 {
		st = append(st, Station{V: 1000, G: 950, R: 950, L: 902})
	}
	rule, err := Shpilkin(st, ShpilkinOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rule.PeakTurnout != 55 {
		t.Fatalf("rule peak %g, want the spike at 55", rule.PeakTurnout)
	}
	if rule.Excess != 8291 || math.Abs(rule.CleanShare-60.3125) > 1e-9 {
		t.Errorf("rule: excess %d clean share %.4f, want 8291 and 60.3125", rule.Excess, rule.CleanShare)
	}
	forced, err := Shpilkin(st, ShpilkinOptions{ForcePeak: true, Peak: 50})
	if err != nil {
		t.Fatal(err)
	}
	if forced.Excess != 11180 || !forced.PeakForced || forced.CleanShare != 50 {
		t.Errorf("forced peak 50: excess %d forced %v clean share %g, want 11180, true, 50", forced.Excess, forced.PeakForced, forced.CleanShare)
	}
}

func TestShpilkinCleanElectionHasLittleExcess(t *testing.T) {
	// Same share (50 %) at every turnout: nothing is excess whatever b*.
	var st []Station
	for b := int64(20); b <= 90; b++ {
		for range 1 + (b % 7) {
			st = append(st, Station{V: 1000, G: 10 * b, R: 10 * b, L: 5 * b})
		}
	}
	res, err := Shpilkin(st, ShpilkinOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Excess != 0 || math.Abs(res.LeaderShareCorrected-res.LeaderShareOfficial) > 1e-9 {
		t.Errorf("flat share: excess %d, corrected %.3f vs official %.3f", res.Excess, res.LeaderShareCorrected, res.LeaderShareOfficial)
	}
}

// Voters rise steadily with turnout up to 80 % (k stations of 1000 voters in
// bin 39 + k, k = 1…41), the share is flat. ΣV = 1000·Σk = 861,000;
// ΣG = 10·Σ k(k + 39) = 10·(23,821 + 33,579) = 574,000: official turnout
// 66.67 %. The rule can only take the last bin below it, 65, where the
// curve still rises — a cut-off, not a peak, which the result must say.
func TestShpilkinPeakAtTheCutOff(t *testing.T) {
	var st []Station
	for b := int64(40); b <= 80; b++ {
		for range b - 39 {
			st = append(st, Station{V: 1000, G: 10 * b, R: 10 * b, L: 5 * b})
		}
	}
	res, err := Shpilkin(st, ShpilkinOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.PeakTurnout != 65 || math.Abs(res.TurnoutOfficial-100*574.0/861) > 1e-9 {
		t.Errorf("peak %g, official turnout %.4f %%; want 65 and 66.6667 %%", res.PeakTurnout, res.TurnoutOfficial)
	}
	if len(res.Warnings) != 1 || res.Excess != 0 {
		t.Errorf("warnings %q excess %d, want one warning and no excess (flat share)", res.Warnings, res.Excess)
	}
	// A clean peak well below the official turnout raises no warning.
	hand, _ := Shpilkin([]Station{
		{V: 1000, G: 400, R: 400, L: 200}, {V: 2000, G: 820, R: 820, L: 410},
		{V: 1000, G: 420, R: 420, L: 210}, {V: 1000, G: 800, R: 800, L: 720},
	}, ShpilkinOptions{})
	if len(hand.Warnings) != 0 {
		t.Errorf("peak at 41 %% below 48.8 %%: warnings %q", hand.Warnings)
	}
}

func TestShpilkinErrors(t *testing.T) {
	if _, err := Shpilkin(nil, ShpilkinOptions{}); err == nil {
		t.Error("no stations: no error")
	}
	st := []Station{{V: 1000, G: 500, R: 500, L: 250}}
	if _, err := Shpilkin(st, ShpilkinOptions{ForcePeak: true, Peak: 101}); err == nil {
		t.Error("forced peak 101: no error")
	}
}

// Every station left out is counted under its reason, a turnout above 100 %
// included (it used to be clamped silently into the 100 % bin), and the
// fall-backs of the stations used are counted too. The excess of the hand
// case is unchanged by the excluded stations.
func TestShpilkinExclusionsAndFallbacks(t *testing.T) {
	st := []Station{
		{V: 1000, G: 400, R: 400, L: 200, Fallback: FallbackIssuedFromBox},
		{V: 2000, G: 820, R: 820, L: 410},
		{V: 1000, G: 420, R: 420, L: 210},
		{V: 1000, G: 800, R: 800, L: 720, Fallback: FallbackIssuedFromBox | FallbackRFromVotes},
		{V: 0, G: 10, R: 10, L: 10},         // V = 0
		{V: 1000, G: 344, R: 344, L: 454},   // Georgia 2016, precinct 21/10.58: L > R
		{V: 500, G: 600, R: 600, L: 590},    // turnout 120 %
		{V: 500, G: 300, R: -1, L: 0},       // negative
		{V: 1000, G: 1000, R: 1000, L: 990}, // exactly 100 %: kept, bin 100
	}
	res, err := Shpilkin(st, ShpilkinOptions{Bootstrap: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{ExclNoRegistered: 1, ExclLeaderAboveR: 1, ExclTurnoutAbove: 1, ExclNegative: 1}
	if !maps.Equal(res.Excluded, want) {
		t.Errorf("excluded %v, want %v", res.Excluded, want)
	}
	wantF := map[string]int{FallbackNames[FallbackIssuedFromBox]: 2, FallbackNames[FallbackRFromVotes]: 1}
	if !maps.Equal(res.Fallbacks, wantF) {
		t.Errorf("fallbacks %v, want %v", res.Fallbacks, wantF)
	}
	if res.StationsUsed != 5 || res.Bins[100].Stations != 1 {
		t.Errorf("used %d, bin 100 %d stations; want 5 and 1", res.StationsUsed, res.Bins[100].Stations)
	}
	if res.ExcessCI95 != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "no interval") {
		t.Errorf("bootstrap off: ci %v, warnings %q", res.ExcessCI95, res.Warnings)
	}
	// Official turnout 3440/6000 = 57.33 %: b* = 41 as before (bins up to
	// 56 are candidates); excess 640 at 80 % plus 990 − 10 = 980 at 100 %.
	if res.PeakTurnout != 41 || res.Excess != 1620 {
		t.Errorf("peak %g excess %d, want 41 and 1620", res.PeakTurnout, res.Excess)
	}
	// With nothing left out, the JSON object is empty, not absent.
	clean, err := Shpilkin(st[:4], ShpilkinOptions{Bootstrap: -1})
	if err != nil || clean.Excluded == nil || len(clean.Excluded) != 0 {
		t.Errorf("clean: excluded %v (%v)", clean.Excluded, err)
	}
}

// The two readings of "below the official turnout" differ when the official
// turnout falls inside the bin after the largest smoothed mass.
//
//	stations V=1000 at turnouts 40 %…50 %, share 50 %, except: V=2000 at
//	48 %, and a 60 % share at 47 % (L=282, O=188);
//	one station at 90 % turnout with share 90 % (L=810, O=90).
//
// ΣV = 13,000, ΣG = 6,330: T = 48.69 %. "Wholly below" admits bins
// b + 1 ≤ 48.69, so b ≤ 47; "start below" b < 48.69, so b ≤ 48. Smoothed V
// is 6,000 at 46, 47 and 48; the tie goes to the bin with the most V
// itself: 48 (2,000) when it is a candidate, else the lowest, 46.
//
//	wholly below, b* = 46: s = 0.5; excess 282 − 188 = 94 at 47, 0 at 48–50,
//	  810 − 90 = 720 at 90: 814.
//	start below, b* = 48: ΣL = 2,267 and ΣO = 2,173 over 40…48, so
//	  s/(1 − s) = 2267/2173; 0 at 49, 50; 810 − 90·2267/2173 = 716.1: 716.
func TestShpilkinPeakRuleRange(t *testing.T) {
	var st []Station
	for b := int64(40); b <= 50; b++ {
		v := int64(1000)
		if b == 48 {
			v = 2000
		}
		g := b * v / 100
		l := g / 2
		if b == 47 {
			l = 282
		}
		st = append(st, Station{V: v, G: g, R: g, L: l})
	}
	st = append(st, Station{V: 1000, G: 900, R: 900, L: 810})
	res, err := Shpilkin(st, ShpilkinOptions{Seed: 3, Bootstrap: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PeakRules) != 2 {
		t.Fatalf("peak rules %+v", res.PeakRules)
	}
	w, s := res.PeakRules[0], res.PeakRules[1]
	if w.Rule != "wholly below" || s.Rule != "start below" || w.PeakTurnout != 46 || s.PeakTurnout != 48 {
		t.Errorf("rules %+v", res.PeakRules)
	}
	if w.Excess != 814 || s.Excess != 716 || res.ExcessPeakRange != [2]int64{716, 814} || res.Excess != 814 {
		t.Errorf("excess %d / %d, range %v", w.Excess, s.Excess, res.ExcessPeakRange)
	}
	if res.PeakRule != "wholly below" || res.Replicates != 200 || res.Seed != 3 || res.ExcessCI95 == nil {
		t.Fatalf("rule %q replicates %d seed %d ci %v", res.PeakRule, res.Replicates, res.Seed, res.ExcessCI95)
	}
	if ci := *res.ExcessCI95; ci[0] > float64(res.Excess) || ci[1] < float64(res.Excess) || ci[0] < 0 {
		t.Errorf("excess %d outside its bootstrap interval %v", res.Excess, ci)
	}
}

// The bootstrap depends on the seed only, not on the number of workers.
func TestShpilkinBootstrapDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var st []Station
	for range 3000 {
		v := int64(500 + rng.IntN(1500))
		t := 0.4 + 0.2*rng.Float64()
		share := 0.5
		if rng.Float64() < 0.1 {
			t, share = 0.9, 0.9
		}
		g := int64(t * float64(v))
		st = append(st, Station{V: v, G: g, R: g, L: int64(share * float64(g))})
	}
	a, err := Shpilkin(st, ShpilkinOptions{Seed: 9, Bootstrap: 300, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Shpilkin(st, ShpilkinOptions{Seed: 9, Bootstrap: 300, Workers: 4})
	if *a.ExcessCI95 != *b.ExcessCI95 || *a.LeaderShareCorrectedCI95 != *b.LeaderShareCorrectedCI95 {
		t.Errorf("workers change the interval: %v vs %v", *a.ExcessCI95, *b.ExcessCI95)
	}
	if ci := *a.ExcessCI95; !(ci[0] < float64(a.Excess) && float64(a.Excess) < ci[1]) || a.ExcessSD <= 0 {
		t.Errorf("excess %d, interval %v, sd %g", a.Excess, ci, a.ExcessSD)
	}
}
