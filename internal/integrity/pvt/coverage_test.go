package pvt

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// fullCount is a full count used as the truth of a coverage study.
type fullCount struct {
	file    string
	options []string
	main    []bool // options whose share is at least 5 %
	strat   []string
	strata  []Stratum
	per     [][]int // stations of each stratum
	cols    [][]float64
	total   []float64
	truth   []float64 // per option, per cent of all votes
}

func loadFullCount(t *testing.T, file string, options []string) *fullCount {
	tab := readReal(t, file)
	fc := &fullCount{file: file, options: options}
	fc.strat = tab.Strings(mustCol(t, tab, "estrato"))
	region := tab.Strings(mustCol(t, tab, "edo_id"))
	for _, o := range options {
		fc.cols = append(fc.cols, mustNumbers(t, tab, o))
	}
	fc.total = mustNumbers(t, tab, "total")
	var err error
	if fc.strata, err = StrataOf(fc.strat, region); err != nil {
		t.Fatal(err)
	}
	hIdx := map[string]int{}
	for h, s := range fc.strata {
		hIdx[s.Key] = h
	}
	fc.per = make([][]int, len(fc.strata))
	for i, s := range fc.strat {
		fc.per[hIdx[s]] = append(fc.per[hIdx[s]], i)
	}
	fc.truth = make([]float64, len(options))
	var sumT float64
	for i := range fc.total {
		for k := range options {
			fc.truth[k] += fc.cols[k][i]
		}
		sumT += fc.total[i]
	}
	for k := range options {
		fc.truth[k] = 100 * fc.truth[k] / sumT
		fc.main = append(fc.main, fc.truth[k] >= 5)
	}
	return fc
}

// coverageAt draws reps stratified samples of perStratum stations in every
// stratum (all of a smaller stratum's), estimates each with cfg and counts
// how often the 95 % interval of each option covers the truth, and how
// often the result carried a warning or a withheld verdict.
func (fc *fullCount) coverageAt(t *testing.T, perStratum, reps int, cfg Config, seed uint64) (cover []int, warned, withheld int) {
	rng := rand.New(rand.NewPCG(seed, uint64(perStratum)))
	cover = make([]int, len(fc.options))
	n := 0
	for _, list := range fc.per {
		n += min(perStratum, len(list))
	}
	reports := make([]Report, n)
	votes := make([]float64, n*len(fc.options)) // one backing array for every sample
	for range reps {
		at := 0
		for _, list := range fc.per {
			for j := range min(perStratum, len(list)) {
				r := j + rng.IntN(len(list)-j)
				list[j], list[r] = list[r], list[j]
				i := list[j]
				v := votes[at*len(fc.options) : (at+1)*len(fc.options)]
				for k := range fc.options {
					v[k] = fc.cols[k][i]
				}
				reports[at] = Report{Stratum: fc.strat[i], Votes: v, Total: fc.total[i]}
				at++
			}
		}
		res, err := Estimate(fc.strata, fc.options, reports, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for k, f := range res.Options {
			if f.CI95.Contains(fc.truth[k]) {
				cover[k]++
			}
		}
		if len(res.Warnings) > 0 {
			warned++
		}
		if res.Withheld != "" {
			withheld++
		}
	}
	return cover, warned, withheld
}

// TestCoverageByReportsPerStratum is the coverage study of docs/pvt.md and
// docs/validation.md: taking the full counts of Mexico 2012 and 2006 as the
// truth, it draws repeated stratified samples with 1, 2, 4 and 10 reports in
// every stratum (strata collapsed in pairs, within states, when they have
// fewer than 2) and counts how often the 95 % intervals cover the true
// shares. Bounds: 94–96 % for the main options (≥ 5 %) at ≥ 4 reports per
// stratum, and never below 90 % for any option at a setting that carries no
// warning. Repetitions: VIGIL_PVT_COVERAGE_REPS (default 2,000 each: a
// Monte-Carlo standard error of 0.49 points on a 95 % coverage, so the
// ±1-point band is ±2 SE and the 90 % floor 10 SE below nominal).
func TestCoverageByReportsPerStratum(t *testing.T) {
	reps := 2000
	if s := os.Getenv("VIGIL_PVT_COVERAGE_REPS"); s != "" {
		reps, _ = strconv.Atoi(s)
	}
	for _, el := range []struct {
		file    string
		options []string
	}{
		{"nal_2012.csv.gz", []string{"pri_pvem", "pan", "prd_pt_mc", "panal"}},
		{"nal_2006.csv.gz", []string{"pan", "prd_pt_conv", "pri_pvem", "panal", "psd"}},
	} {
		fc := loadFullCount(t, el.file, el.options)
		var b strings.Builder
		fmt.Fprintf(&b, "%s, %d strata, %d repetitions per setting; 95 %% coverage (%%) of the score/t intervals\n", el.file, len(fc.strata), reps)
		fmt.Fprintf(&b, "%-22s", "reports per stratum")
		for k, o := range fc.options {
			fmt.Fprintf(&b, " %12s", fmt.Sprintf("%s %.2f", o, fc.truth[k]))
		}
		fmt.Fprintf(&b, " %8s %8s\n", "warned", "withheld")
		for _, set := range []struct {
			name string
			per  int
			cfg  Config
		}{
			{"1 (min-reports 1)", 1, Config{MinReports: 1}},
			{"1", 1, Config{}},
			{"2", 2, Config{}},
			{"4", 4, Config{}},
			{"10", 10, Config{}},
		} {
			cover, warned, withheld := fc.coverageAt(t, set.per, reps, set.cfg, 2026)
			fmt.Fprintf(&b, "%-22s", set.name)
			for k := range fc.options {
				c := 100 * float64(cover[k]) / float64(reps)
				fmt.Fprintf(&b, " %12.1f", c)
				if fc.main[k] && set.per >= 4 && set.cfg.MinReports != 1 && (c < 94 || c > 96) {
					t.Errorf("%s, %s per stratum, %s: coverage %.1f %%, want 94–96 %%", el.file, set.name, fc.options[k], c)
				}
				if warned < reps && c < 90 {
					t.Errorf("%s, %s per stratum, %s: coverage %.1f %% below 90 %% in samples without a warning", el.file, set.name, fc.options[k], c)
				}
			}
			fmt.Fprintf(&b, " %7.0f%% %7.0f%%\n", 100*float64(warned)/float64(reps), 100*float64(withheld)/float64(reps))
		}
		t.Log("\n" + b.String())
	}
}
