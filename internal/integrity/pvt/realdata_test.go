package pvt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/realdata"
)

const mx = "mexico-ine-quickcount/"

func readReal(tb testing.TB, rel string) *Table {
	tb.Helper()
	p := realdata.Path(tb, mx+rel)
	f, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	t, err := ReadTable(f, rel, TableOptions{SkipLines: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func mustCol(tb testing.TB, t *Table, name string) int {
	tb.Helper()
	c, err := t.Col(name)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func mustNumbers(tb testing.TB, t *Table, name string) []float64 {
	tb.Helper()
	v, err := t.Numbers(mustCol(tb, t, name))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// frame2018 is INE's 2018 sampling frame: strata (estrato) grouped by state.
func frame2018(tb testing.TB) []Stratum {
	tb.Helper()
	m := readReal(tb, "marco_nal_2018.csv.gz")
	s, err := StrataOf(m.Strings(mustCol(tb, m, "estrato")), m.Strings(mustCol(tb, m, "id_estado")))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

var mx2018Options = []string{"AMLO", "RAC", "JAMK", "JHRC"}

// Official 2018 computation (cómputos distritales), per cent of all votes.
var mx2018Official = map[string]float64{"AMLO": 53.19, "RAC": 22.27, "JAMK": 16.40, "JHRC": 5.23}

// COTECORA's published 2018 quick-count intervals (per cent of all votes).
var cotecora2018 = map[string]Interval{
	"AMLO": {53.0, 53.8}, "RAC": {22.1, 22.8}, "JAMK": {15.7, 16.3}, "JHRC": {5.3, 5.5}, "turnout": {62.9, 63.6},
}

// remesas2018 reads the 23:09 batch; allVotes chooses x_i = TOTAL (every
// vote, null and unregistered candidates included, COTECORA's denominator)
// or the sum of the four candidates.
func remesas2018(tb testing.TB, allVotes bool) []Report {
	tb.Helper()
	r := readReal(tb, "2018_REMESAS0100020000.txt")
	strat := r.Strings(mustCol(tb, r, "ID_ESTRATO_F"))
	cols := make([][]float64, len(mx2018Options))
	for k, o := range mx2018Options {
		cols[k] = mustNumbers(tb, r, o)
	}
	total := mustNumbers(tb, r, "TOTAL")
	ln := mustNumbers(tb, r, "LISTA_NOMINAL")
	reps := make([]Report, len(strat))
	for i := range reps {
		v := make([]float64, len(cols))
		sum := 0.0
		for k := range cols {
			v[k] = cols[k][i]
			sum += v[k]
		}
		x := sum
		if allVotes {
			x = total[i]
		}
		reps[i] = Report{Stratum: strat[i], Votes: v, Total: x, Registered: ln[i]}
	}
	return reps
}

func TestMexico2018Remesas(t *testing.T) {
	strata := frame2018(t)
	reports := remesas2018(t, true)
	if len(strata) != 350 || len(reports) != 6307 {
		t.Fatalf("%d strata, %d reports; SOURCE.txt says 350 and 6307", len(strata), len(reports))
	}
	res, err := Estimate(strata, mx2018Options, reports, Config{Bootstrap: 1000, Seed: 2018})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("strata: frame %d, reported %d, used %d; collapsed %v", res.Strata.Frame, res.Strata.Reported, res.Strata.Used, res.Strata.Collapsed)
	for _, f := range append(res.Options, *res.Turnout) {
		t.Logf("%-7s %6.2f se %.3f ci95 [%.2f, %.2f] ci99 [%.2f, %.2f] | boot se %.3f ci95 [%.2f, %.2f] | COTECORA %v",
			f.Name, f.Estimate, f.SE, f.CI95[0], f.CI95[1], f.CI99[0], f.CI99[1], f.Boot.SE, f.Boot.CI95[0], f.Boot.CI95[1], cotecora2018[f.Name])
		// Same data, same denominator: our point estimate must land within
		// half a point of COTECORA's interval, and our 95 % interval must be
		// about as wide (theirs are the union of three models' 95 % intervals).
		c := cotecora2018[f.Name]
		if f.Estimate < c[0]-0.5 || f.Estimate > c[1]+0.5 {
			t.Errorf("%s: estimate %.2f far from COTECORA's %v", f.Name, f.Estimate, c)
		}
		if w := f.CI95[1] - f.CI95[0]; w > 1.5 || w < 0.05 {
			t.Errorf("%s: 95 %% interval %.2f points wide", f.Name, w)
		}
		if r := f.Boot.SE / f.SE; r < 0.85 || r > 1.15 {
			t.Errorf("%s: bootstrap SE %.3f vs linearised %.3f", f.Name, f.Boot.SE, f.SE)
		}
	}
	l := res.Lead
	t.Logf("lead %s: %.2f se %.3f ci95 [%.2f, %.2f] ci99 [%.2f, %.2f] | boot se %.3f ci95 [%.2f, %.2f] | decided %v %v",
		l.Name, l.Estimate, l.SE, l.CI95[0], l.CI95[1], l.CI99[0], l.CI99[1], l.Boot.SE, l.Boot.CI95[0], l.Boot.CI95[1], l.Decided95, l.Decided99)
	if l.Leader != "AMLO" || l.RunnerUp != "RAC" || !l.Decided99 {
		t.Errorf("lead %+v", l)
	}
	vs, err := Compare(res, mx2018Official)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Log(v.Sentence)
	}
	if !vs[0].Inside99 {
		t.Errorf("AMLO's official share outside the 99 %% interval: %s", vs[0].Sentence)
	}

	// The four candidates as the denominator (the default of vigil pvt).
	res4, err := Estimate(strata, mx2018Options, remesas2018(t, false), Config{})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range res4.Options {
		sum += f.Estimate
		t.Logf("of 4 candidates: %-5s %6.2f ci95 [%.2f, %.2f]", f.Name, f.Estimate, f.CI95[0], f.CI95[1])
	}
	if math.Abs(sum-100) > 1e-9 {
		t.Errorf("shares of the four sum to %v", sum)
	}
}

// arrivals2018 joins INE's arrival table with the sample file (for the
// stratum) and returns the reports that arrived, with their arrival time.
func arrivals2018(tb testing.TB) []Report {
	tb.Helper()
	m := readReal(tb, "2018_conteo_rapido_muestra_presidencial.csv")
	ids, est := m.Strings(mustCol(tb, m, "ID")), m.Strings(mustCol(tb, m, "ID_ESTRATO_F"))
	stratumOf := map[string]string{}
	for i, id := range ids {
		// "A01010344C0300": A, state 01, district 01, section 0344, C0300;
		// the arrivals' CLAVE_CASILLA drops the "A" and the district.
		if len(id) < 6 {
			tb.Fatalf("sample ID %q", id)
		}
		stratumOf[id[1:3]+id[5:]] = est[i]
	}
	a := readReal(tb, "arrivals_tbl.csv.gz")
	keys := a.Strings(mustCol(tb, a, "CLAVE_CASILLA"))
	arrived := a.Strings(mustCol(tb, a, "llegada"))
	var sub Table = *a
	sub.Rows, sub.Lines = nil, nil
	var strat []string
	for i, k := range keys {
		if arrived[i] != "1" {
			continue
		}
		s, ok := stratumOf[k]
		if !ok {
			tb.Fatalf("arrival %s not in the sample file", k)
		}
		sub.Rows = append(sub.Rows, a.Rows[i])
		sub.Lines = append(sub.Lines, a.Lines[i])
		strat = append(strat, s)
	}
	var cols [][]float64
	for _, o := range []string{"AMLO", "RAC", "JAMK"} {
		cols = append(cols, mustNumbers(tb, &sub, o))
	}
	total, ln := mustNumbers(tb, &sub, "TOTAL"), mustNumbers(tb, &sub, "LISTA_NOMINAL")
	times, err := sub.Times([]int{mustCol(tb, &sub, "timestamp")})
	if err != nil {
		tb.Fatal(err)
	}
	reps := make([]Report, len(strat))
	for i := range reps {
		reps[i] = Report{Stratum: strat[i], Votes: []float64{cols[0][i], cols[1][i], cols[2][i]},
			Total: total[i], Registered: ln[i], Arrival: times[i]}
	}
	return reps
}

func TestMexico2018Arrivals(t *testing.T) {
	strata := frame2018(t)
	reports := arrivals2018(t)
	if len(reports) != 6286 {
		t.Errorf("%d arrived, want 6286 (llegada = 1)", len(reports))
	}
	cps, err := Converge(strata, []string{"AMLO", "RAC", "JAMK"}, reports, Config{}, 0, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cps {
		f := c.Result.Options
		t.Logf("%s %5d reports, %3d strata | AMLO %.2f ±%.2f | RAC %.2f ±%.2f | JAMK %.2f ±%.2f | turnout %.2f ±%.2f",
			c.Time.Format("15:04"), c.Reports, c.Result.Strata.Reported,
			f[0].Estimate, Z95*f[0].SE, f[1].Estimate, Z95*f[1].SE, f[2].Estimate, Z95*f[2].SE,
			c.Result.Turnout.Estimate, Z95*c.Result.Turnout.SE)
	}
	last := cps[len(cps)-1].Result
	// The interval narrows as reports arrive.
	if cps[0].Result.Options[0].SE <= last.Options[0].SE {
		t.Errorf("first checkpoint's SE %.3f not above the last's %.3f", cps[0].Result.Options[0].SE, last.Options[0].SE)
	}
	vs, err := Compare(last, map[string]float64{"AMLO": 53.19, "RAC": 22.27, "JAMK": 16.40})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Log(v.Sentence)
	}
}

// TestMexico2018FullSample estimates from every sampled station of 2018,
// the 1,468 that never reported included with the votes the arrival table
// gives them (TOTAL_VOTOS_CALCULADOS as the denominator): what the quick
// count would have said with no non-response.
func TestMexico2018FullSample(t *testing.T) {
	strata := frame2018(t)
	m := readReal(t, "2018_conteo_rapido_muestra_presidencial.csv")
	ids, est := m.Strings(mustCol(t, m, "ID")), m.Strings(mustCol(t, m, "ID_ESTRATO_F"))
	stratumOf := map[string]string{}
	for i, id := range ids {
		stratumOf[id[1:3]+id[5:]] = est[i]
	}
	a := readReal(t, "arrivals_tbl.csv.gz")
	keys := a.Strings(mustCol(t, a, "CLAVE_CASILLA"))
	arrived := a.Strings(mustCol(t, a, "llegada"))
	var cols [][]float64
	for _, o := range []string{"AMLO", "RAC", "JAMK", "TOTAL_VOTOS_CALCULADOS", "LISTA_NOMINAL"} {
		cols = append(cols, mustNumbers(t, a, o))
	}
	var all, late []Report
	for i, k := range keys {
		r := Report{Stratum: stratumOf[k], Votes: []float64{cols[0][i], cols[1][i], cols[2][i]}, Total: cols[3][i], Registered: cols[4][i]}
		all = append(all, r)
		if arrived[i] != "1" {
			late = append(late, r)
		}
	}
	official := map[string]float64{"AMLO": 53.19, "RAC": 22.27, "JAMK": 16.40}
	for _, c := range []struct {
		name string
		reps []Report
	}{{"all 7,754 sampled", all}, {"the 1,468 never reported", late}} {
		res, err := Estimate(strata, []string{"AMLO", "RAC", "JAMK"}, c.reps, Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d strata reported, %d used", c.name, res.Strata.Reported, res.Strata.Used)
		for _, f := range res.Options {
			t.Logf("  %-5s %6.2f ci95 [%.2f, %.2f] ci99 [%.2f, %.2f] official %.2f", f.Name, f.Estimate, f.CI95[0], f.CI95[1], f.CI99[0], f.CI99[1], official[f.Name])
		}
		t.Logf("  lead %s %.2f ci95 [%.2f, %.2f]", res.Lead.Name, res.Lead.Estimate, res.Lead.CI95[0], res.Lead.CI95[1])
		if len(c.reps) == len(all) {
			vs, _ := Compare(res, official)
			for _, v := range vs {
				t.Log(v.Sentence)
				if !v.Inside99 {
					t.Errorf("with no non-response, %s's official share should be inside the 99 %% interval", v.Option)
				}
			}
		}
	}
}

// TestMexico2012Coverage treats the full 2012 count as the truth, draws
// repeated stratified samples of about 7,500 stations and counts how often
// the 95 % intervals cover the true shares. VIGIL_PVT_COVERAGE=N runs N
// samples instead of 200 (the documentation run), VIGIL_PVT_BOOT=B sets the
// bootstrap replicates per sample (default 200).
func TestMexico2012Coverage(t *testing.T) {
	coverage(t, "nal_2012.csv.gz", []string{"pri_pvem", "pan", "prd_pt_mc", "panal"}, 200, 200, 2012)
}

// TestMexico2006Coverage is the same on the full 2006 count (300 strata, the
// federal districts; PAN and PRD-PT-Convergencia 0.6 points apart), with
// fewer samples by default.
func TestMexico2006Coverage(t *testing.T) {
	coverage(t, "nal_2006.csv.gz", []string{"pan", "prd_pt_conv", "pri_pvem", "panal", "psd"}, 100, 100, 2006)
}

func coverage(t *testing.T, file string, options []string, samples, boot int, seed uint64) {
	if s := os.Getenv("VIGIL_PVT_COVERAGE"); s != "" {
		samples, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("VIGIL_PVT_BOOT"); s != "" {
		boot, _ = strconv.Atoi(s)
	}
	tab := readReal(t, file)
	strat := tab.Strings(mustCol(t, tab, "estrato"))
	region := tab.Strings(mustCol(t, tab, "edo_id"))
	var cols [][]float64
	for _, o := range options {
		cols = append(cols, mustNumbers(t, tab, o))
	}
	total, ln := mustNumbers(t, tab, "total"), mustNumbers(t, tab, "ln")
	strata, err := StrataOf(strat, region)
	if err != nil {
		t.Fatal(err)
	}
	// The truth: the full count, shares of all votes; turnout over registered.
	truth := make([]float64, len(options)+1)
	var sumT, sumL float64
	for i := range total {
		for k := range options {
			truth[k] += cols[k][i]
		}
		sumT += total[i]
		sumL += ln[i]
	}
	for k := range options {
		truth[k] = 100 * truth[k] / sumT
	}
	truth[len(options)] = 100 * sumT / sumL

	alloc, err := Allocate(strata, 7500, Proportional, 2)
	if err != nil {
		t.Fatal(err)
	}
	hIdx := map[string]int{}
	for h, s := range strata {
		hIdx[s.Key] = h
	}
	per := make([][]int, len(strata))
	for i, s := range strat {
		per[hIdx[s]] = append(per[hIdx[s]], i)
	}
	n := 0
	for _, a := range alloc {
		n += a
	}
	names := append(append([]string{}, options...), "turnout", "lead")
	cover := make([][4]int, len(names)) // lin95, lin99, boot95, boot99
	var width, se2, deff []float64 = make([]float64, len(names)), make([]float64, len(names)), make([]float64, len(names))
	errSq, bias := make([]float64, len(names)), make([]float64, len(names))
	rng := rand.New(rand.NewPCG(seed, 7500))
	reports := make([]Report, 0, n)
	for s := range samples {
		reports = reports[:0]
		// Stratified simple random sampling without replacement (a partial
		// Fisher–Yates shuffle per stratum; the same design Draw makes, faster
		// than hashing 143,132 ids 200 times).
		for h, list := range per {
			for j := range alloc[h] {
				r := j + rng.IntN(len(list)-j)
				list[j], list[r] = list[r], list[j]
				i := list[j]
				v := make([]float64, len(options))
				for k := range options {
					v[k] = cols[k][i]
				}
				reports = append(reports, Report{Stratum: strat[i], Votes: v, Total: total[i], Registered: ln[i]})
			}
		}
		res, err := Estimate(strata, options, reports, Config{Bootstrap: boot, Seed: uint64(s)})
		if err != nil {
			t.Fatal(err)
		}
		var sampleVotes float64
		for _, r := range reports {
			sampleVotes += r.Total
		}
		optIdx := func(name string) int { return slices.Index(options, name) }
		for k, f := range append(res.Options, *res.Turnout, res.Lead.Figure) {
			var tv float64
			if k < len(truth) {
				tv = truth[k]
			} else { // the lead: the truth of the difference this sample chose
				tv = truth[optIdx(res.Lead.Leader)] - truth[optIdx(res.Lead.RunnerUp)]
			}
			cnt := []bool{f.CI95.Contains(tv), f.CI99.Contains(tv), boot > 0 && f.Boot.CI95.Contains(tv), boot > 0 && f.Boot.CI99.Contains(tv)}
			for j, c := range cnt {
				if c {
					cover[k][j]++
				}
			}
			width[k] += f.CI95[1] - f.CI95[0]
			se2[k] += f.SE * f.SE
			errSq[k] += (f.Estimate - tv) * (f.Estimate - tv)
			bias[k] += f.Estimate - tv
			// Design effect: the variance against that of a simple random
			// sample of the same number of voters (what NDI's formula assumes).
			if k < len(options) {
				p := tv / 100
				deff[k] += (f.SE / 100) * (f.SE / 100) / (p * (1 - p) / sampleVotes)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d samples of %d stations (proportional, min 2 per stratum) from %d in %d strata, bootstrap %d replicates\n",
		file, samples, n, len(strat), len(strata), boot)
	fmt.Fprintf(&b, "%-9s %7s %9s %9s %9s %9s %8s %8s %8s %6s\n", "option", "truth", "lin95", "lin99", "boot95", "boot99", "mean se", "rmse", "bias", "deff")
	S := float64(samples)
	for k, name := range names {
		c := cover[k]
		d := "-"
		if k < len(options) {
			d = fmt.Sprintf("%.1f", deff[k]/S)
		}
		tr := "  (per sample)"
		if k < len(truth) {
			tr = fmt.Sprintf("%7.3f", truth[k])
		}
		fmt.Fprintf(&b, "%-9s %7s %8.1f%% %8.1f%% %8.1f%% %8.1f%% %8.4f %8.4f %+8.4f %6s\n", name, tr,
			100*float64(c[0])/S, 100*float64(c[1])/S, 100*float64(c[2])/S, 100*float64(c[3])/S,
			math.Sqrt(se2[k]/S), math.Sqrt(errSq[k]/S), bias[k]/S, d)
		// Binomial sd of a 95 % coverage over 200 samples is 1.5 points;
		// a variance formula off by a factor of 2 would give ≈ 83 % or 99.5 %.
		if cov := float64(c[0]) / S; cov < 0.89 || cov > 0.995 {
			t.Errorf("%s: linearised 95 %% coverage %.1f %%", name, 100*cov)
		}
		if boot > 0 {
			if cov := float64(c[2]) / S; cov < 0.88 || cov > 0.995 {
				t.Errorf("%s: bootstrap 95 %% coverage %.1f %%", name, 100*cov)
			}
		}
	}
	t.Log("\n" + b.String())
}
