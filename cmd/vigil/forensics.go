package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
)

func init() {
	register(command{name: "forensics integer", summary: "integer-percentage test (Kobak, Shpilkin & Pshenichnikov 2016)", run: runIntegerTest})
	register(command{name: "forensics fingerprint", summary: "election fingerprint and fraud-model fit (Klimek et al. 2012)", run: runFingerprint})
	register(command{name: "forensics shpilkin", summary: "Shpilkin's excess-vote estimate from turnout and leader share", run: runShpilkin})
	register(command{name: "forensics digits", summary: "digit tests: 2BL, last digit, C05s, P05s, Beber–Scacco pairs", run: runDigits})
	register(command{name: "forensics control", summary: "control-group comparison: leader votes against honestly counted stations", run: runControl})
}

// forensicInput is what every forensic command reads: the results and the
// leader the analysis is about.
type forensicInput struct {
	rf      *resultsFlags
	leader  *string
	asJSON  *bool
	refused map[string]int
	// listed names the stations every test leaves out, by reason (refused
	// before the tests, or with impossible figures): the JSON gives them
	// all as "excluded_stations", the text the first ten of each reason.
	listed stored.Exclusions
	// needVotes and needPaths keep the option votes (digits) and the area
	// paths (control) after stations; the other commands drop them.
	needVotes, needPaths bool
}

// printJSON prints a result as JSON with its excluded stations.
func (fi *forensicInput) printJSON(w io.Writer, v any, x stored.Exclusions) error {
	b, err := stored.WithExclusions(v, x)
	if err != nil {
		return err
	}
	return printJSON(w, b)
}

func addForensicFlags(e *env, name, usage string) (*forensicInput, *flag.FlagSet) {
	fs := newFlags(e, "forensics "+name, usage)
	fi := &forensicInput{rf: addResultsFlags(fs)}
	fi.leader = fs.String("leader", "", "the option the analysis is about (default: the one with the most votes)")
	fi.asJSON = fs.Bool("json", false, "print JSON")
	return fi, fs
}

// printCaveats prints a result's exclusions, fall-backs and warnings, the
// same three lines under every forensic command.
// names lists the stations every test leaves out, by reason.
func printCaveats(w io.Writer, excluded, fallbacks map[string]int, warnings []string, names stored.Exclusions) {
	fmt.Fprintf(w, "  excluded: %s\n", countsText(excluded))
	for _, why := range slices.Sorted(maps.Keys(names)) {
		var list []string
		for _, st := range names[why][:min(10, len(names[why]))] {
			list = append(list, st.Name)
		}
		more := ""
		if n := len(names[why]); n > 10 {
			more = fmt.Sprintf(" and %d more (--json lists them all)", n-10)
		}
		fmt.Fprintf(w, "    %s: %s%s\n", why, strings.Join(list, ", "), more)
	}
	if len(fallbacks) > 0 {
		fmt.Fprintf(w, "  fall-backs among the stations used: %s\n", countsText(fallbacks))
	}
	for _, x := range warnings {
		fmt.Fprintf(w, "  warning: %s\n", x)
	}
}

// countsText is "none" or "3 reason; 1 other reason", reasons sorted.
func countsText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, "; ")
}

// ciText prints an interval, or why there is none.
func ciText(ci *forensics.CI, format string) string {
	if ci == nil {
		return "no interval"
	}
	return "95 % CI [" + fmt.Sprintf(format, ci[0]) + ", " + fmt.Sprintf(format, ci[1]) + "]"
}

// bootOrNone maps a --bootstrap flag to the options' convention: 0 asks
// for no bootstrap (−1), anything else is the number of replicates.
func bootOrNone(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

func runIntegerTest(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "integer", "(--db D --election NAME [--source S] | --file F --mapping M) [--leader NAME] [--replicates 1000] [--seed S] [--json]")
	reps := fs.Int("replicates", 1000, "Monte Carlo replicates of the binomial null")
	seed := fs.Uint64("seed", 1, "seed of the Monte Carlo null")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, leader, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	pr := newProgress(e, "integer test", *fi.asJSON)
	res, err := forensics.IntegerTest(d.st, forensics.IntegerOptions{Replicates: *reps, Seed: *seed,
		Progress: func(done, total int) { pr.update(done, total, "replicates") }})
	pr.done()
	if err != nil {
		return err
	}
	res.Excluded = forensics.MergeExcluded(res.Excluded, fi.refused)
	if *fi.asJSON {
		return fi.printJSON(e.stdout, res, fi.listed)
	}
	fmt.Fprintf(e.stdout, "integer percentages of %s's share (of the ballots counted, valid + invalid) and of turnout (ballots issued ÷ registered), %d stations, %d replicates, seed %d\n",
		leader, res.StationsUsed, res.Replicates, res.Seed)
	for _, k := range []string{"result", "turnout", "either"} {
		s := res.Criteria[k]
		fmt.Fprintf(e.stdout, "  %-8s observed %.0f, expected %.1f, excess %.1f (z = %.1f; 99.9th percentile of the null %.0f)\n", k, s.Observed, s.Expected, s.Excess, s.Z, s.P999)
	}
	printCaveats(e.stdout, res.Excluded, res.Fallbacks, res.Warnings, fi.listed)
	return nil
}

func runFingerprint(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "fingerprint", "(--db D --election NAME | --file F --mapping M) [--leader NAME] [--fit] [--seed S] [--json]")
	fit := fs.Bool("fit", false, "also fit the fraud model (f_i, f_e, α)")
	seed := fs.Uint64("seed", 1, "seed of the bootstrap and of the fit's simulations")
	boot := fs.Int("bootstrap", 100, "bootstrap replicates of the first-stage parameters' intervals (0: none)")
	fitBoot := fs.Int("fit-bootstrap", 0, "refit the model on this many resamples for intervals of f_i, f_e, α (costs that many fits)")
	byVoters := fs.Bool("weight-voters", false, "weight the histogram by registered voters instead of counting stations")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, leader, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	opt := forensics.FingerprintOptions{WeightByVoters: *byVoters, Bootstrap: bootOrNone(*boot), Seed: *seed}
	if *fit {
		opt.Fit = &forensics.FitOptions{Seed: *seed, Bootstrap: *fitBoot}
	}
	res, err := forensics.Fingerprint(d.st, opt)
	if err != nil {
		return err
	}
	res.Excluded = forensics.MergeExcluded(res.Excluded, fi.refused)
	if *fi.asJSON {
		return fi.printJSON(e.stdout, res, fi.listed)
	}
	fmt.Fprintf(e.stdout, "fingerprint of %s (turnout: ballots issued ÷ registered; share: of the ballots counted, valid + invalid), %d stations; bootstrap %d replicates, seed %d\n",
		leader, res.StationsUsed, res.Replicates, res.Seed)
	for _, p := range []struct {
		name string
		v    float64
		ci   *forensics.CI
	}{{"τ", res.Tau, res.TauCI95}, {"ν", res.Nu, res.NuCI95}, {"σ_τ", res.SigmaTau, res.SigmaTauCI95},
		{"σ_ν", res.SigmaNu, res.SigmaNuCI95}, {"θ", res.Theta, res.ThetaCI95}} {
		fmt.Fprintf(e.stdout, "  %-4s %.3f  %s\n", p.name, p.v, ciText(p.ci, "%.3f"))
	}
	if f := res.Fit; f != nil {
		fmt.Fprintf(e.stdout, "fraud-model fit (%d simulations, seed %d): f_i = %.3f (%s), f_e = %.3f (%s), α = %.2f (%s)\n",
			f.Sims, f.Seed, f.FI, ciText(f.FICI95, "%.3f"), f.FE, ciText(f.FECI95, "%.3f"), f.Alpha, ciText(f.AlphaCI95, "%.2f"))
	}
	printCaveats(e.stdout, res.Excluded, res.Fallbacks, res.Warnings, fi.listed)
	return nil
}

func runShpilkin(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "shpilkin", "(--db D --election NAME | --file F --mapping M) [--leader NAME] [--peak P] [--json]")
	peak := fs.Int("peak", -1, "force the clean peak bin (0–100) instead of the rule")
	startBelow := fs.Bool("peak-start-below", false, "peak rule: bins that start below the official turnout (default: bins wholly below it)")
	boot := fs.Int("bootstrap", 1000, "bootstrap replicates of the intervals (0: none)")
	seed := fs.Uint64("seed", 1, "seed of the bootstrap")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, leader, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	opt := forensics.ShpilkinOptions{StartBelow: *startBelow, Bootstrap: bootOrNone(*boot), Seed: *seed}
	if *peak >= 0 {
		opt.ForcePeak, opt.Peak = true, *peak
	}
	res, err := forensics.Shpilkin(d.st, opt)
	if err != nil {
		return err
	}
	res.Excluded = forensics.MergeExcluded(res.Excluded, fi.refused)
	if *fi.asJSON {
		return fi.printJSON(e.stdout, res, fi.listed)
	}
	fmt.Fprintf(e.stdout, "%s: %d excess votes (%s; %d to %d by the peak rule's two readings); bootstrap %d replicates, seed %d\n",
		leader, res.Excess, ciText(res.ExcessCI95, "%.0f"), res.ExcessPeakRange[0], res.ExcessPeakRange[1], res.Replicates, res.Seed)
	fmt.Fprintf(e.stdout, "  share of the ballots counted (valid + invalid) %.2f %% → %.2f %% corrected (%s)\n",
		res.LeaderShareOfficial, res.LeaderShareCorrected, ciText(res.LeaderShareCorrectedCI95, "%.2f"))
	fmt.Fprintf(e.stdout, "  turnout (ballots issued ÷ registered) %.2f %% → %.2f %% corrected (%s)\n",
		res.TurnoutOfficial, res.TurnoutCorrected, ciText(res.TurnoutCorrectedCI95, "%.2f"))
	fmt.Fprintf(e.stdout, "  clean peak at %.0f %% turnout (rule: %s)", res.PeakTurnout, res.PeakRule)
	for _, r := range res.PeakRules {
		fmt.Fprintf(e.stdout, "; %s: peak %.0f %%, excess %d", r.Rule, r.PeakTurnout, r.Excess)
	}
	fmt.Fprintln(e.stdout)
	printCaveats(e.stdout, res.Excluded, res.Fallbacks, res.Warnings, fi.listed)
	return nil
}

func runDigits(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "digits", "(--db D --election NAME | --file F --mapping M) [--json]")
	fi.needVotes = true
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, _, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	var out []forensics.DigitResult
	totals := make([]int64, len(d.st))
	for i, st := range d.st {
		totals[i] = st.R
	}
	for k, o := range d.election.Options {
		s := forensics.DigitSeries{Name: o.Name, Denominator: forensics.DigitDenominator, Counts: d.optionVotes(k), Totals: totals}
		d, err := forensics.Digits(s)
		if err != nil {
			continue // too few counts with two digits: nothing to test
		}
		d.Excluded = forensics.MergeExcluded(d.Excluded, fi.refused)
		out = append(out, d)
	}
	if *fi.asJSON {
		return fi.printJSON(e.stdout, map[string]any{"series": out, "caveat": forensics.DigitCaveat}, fi.listed.Refused())
	}
	printDigits(e.stdout, out, fi.listed.Refused())
	return nil
}

// digitTestNames are the digit tests as a reader names them.
var digitTestNames = map[string]string{
	"2BL_mean":        "second digit, mean (2BL)",
	"2BL_chi2":        "second digit, χ² (2BL)",
	"last_digit_mean": "last digit, mean",
	"last_digit_chi2": "last digit, χ²",
	"C05s":            "counts ending in 0 or 5 (C05s)",
	"P05s":            "% of the ballots counted ending in 0 or 5 (P05s)",
	"pairs_equal":     "last two digits equal",
	"pairs_adjacent":  "last two digits adjacent",
	"pairs_distant":   "last two digits distant",
}

// printDigits writes the digit tests as a table per option: what was
// observed, what the null expects, the statistic and its p-value.
func printDigits(w io.Writer, out []forensics.DigitResult, names stored.Exclusions) {
	if len(out) == 0 {
		fmt.Fprintln(w, "no option has counts of two digits or more: nothing to test")
	}
	for i, d := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s: %d station counts of two digits or more; P05s on the percentage of %s\n", d.Series, d.CountsUsed, d.Denominator)
		rows := [][5]string{{"test", "observed", "expected", "statistic", "p-value"}}
		for _, t := range d.Tests {
			name := digitTestNames[t.Test]
			if name == "" {
				name = t.Test
			}
			var obs, exp, stat string
			switch {
			case t.Statistic == "chi2":
				obs, exp, stat = fmt.Sprintf("%.1f", t.Observed), fmt.Sprintf("%d d.f.", t.DF), fmt.Sprintf("χ² = %.1f", t.Value)
			case strings.HasSuffix(t.Test, "_mean"):
				obs, exp, stat = fmt.Sprintf("%.3f", t.Observed), fmt.Sprintf("%.3f", t.Expected), fmt.Sprintf("z = %.2f", t.Value)
			default: // a share
				obs, exp, stat = fmt.Sprintf("%.1f %%", 100*t.Observed), fmt.Sprintf("%.1f %%", 100*t.Expected), fmt.Sprintf("z = %.2f", t.Value)
			}
			rows = append(rows, [5]string{name, obs, exp, stat, pValue(t.PValue)})
		}
		printAligned(w, "  ", rows)
		printCaveats(w, d.Excluded, nil, d.Warnings, names)
	}
	fmt.Fprintf(w, "\n%s\n", forensics.DigitCaveat)
}

// pValue prints a p-value with the precision it deserves: tiny ones as a
// bound, not as 1.05e-259.
func pValue(p float64) string {
	switch {
	case math.IsNaN(p):
		return "–"
	case p < 0.0001:
		return "< 0.0001"
	case p < 0.01:
		return fmt.Sprintf("%.4f", p)
	default:
		return fmt.Sprintf("%.2f", p)
	}
}

func runControl(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "control", "(--db D --election NAME | --file F --mapping M) --leader NAME --control STATIONS.csv --by LEVEL [--json]")
	fi.needPaths = true
	control := fs.String("control", "", "CSV of the control stations, named by the area columns (same header names)")
	by := fs.String("by", "", "the area level to compare within (an area column name, or a level number)")
	boot := fs.Int("bootstrap", 1000, "bootstrap replicates (control stations resampled within districts; 0: none)")
	seed := fs.Uint64("seed", 1, "seed of the bootstrap")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *control == "" || *by == "" {
		return usagef("forensics control needs --control and --by")
	}
	d, leader, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	levels := d.election.Config.AreaLevels
	lvl := d.election.Config.LevelOf(*by)
	if lvl == 0 {
		return usagef("--by %q is not an area level (levels: %s)", *by, strings.Join(levels, ", "))
	}
	match, err := readControlStations(*control, levels)
	if err != nil {
		return err
	}
	nctl := 0
	sts := slices.Clone(d.st)
	for i := range sts {
		p := d.path(i)
		if lvl <= len(p) {
			sts[i].Group = strings.Join(p[:lvl], " / ")
		}
		if match(p) {
			sts[i].Control = true
			nctl++
		}
	}
	if nctl == 0 {
		return fmt.Errorf("%s: none of its stations was found in the results", *control)
	}
	res, err := forensics.ControlComparison(sts, forensics.ControlOptions{Bootstrap: bootOrNone(*boot), Seed: *seed})
	if err != nil {
		return err
	}
	res.Excluded = forensics.MergeExcluded(res.Excluded, fi.refused)
	if *fi.asJSON {
		return fi.printJSON(e.stdout, res, fi.listed)
	}
	fmt.Fprintf(e.stdout, "%s: %d official votes over %d districts with control stations, %.0f expected from %d control stations (leader votes per registered voter, L/V): excess %d (%s, sd %.0f; bootstrap %d replicates, seed %d)\n",
		leader, res.Official, res.Districts, res.Expected, nctl, res.Excess, ciText(res.ExcessCI95, "%.0f"), res.ExcessSD, res.Replicates, res.Seed)
	printCaveats(e.stdout, res.Excluded, res.Fallbacks, res.Warnings, fi.listed)
	fmt.Fprintln(e.stdout, res.Note)
	return nil
}

// readControlStations reads a CSV whose header names some of the area
// levels; a station matches when its path agrees on every named level.
func readControlStations(path string, levels []string) (func([]string) bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", path, err)
	}
	var cols, lvls []int
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		for l, name := range levels {
			if h == name {
				cols = append(cols, i)
				lvls = append(lvls, l)
			}
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("%s:1: no column is an area level (want some of: %s; got %s)", path, strings.Join(levels, ", "), strings.Join(head, ", "))
	}
	set := map[string]bool{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		var key []string
		for _, c := range cols {
			if c >= len(rec) {
				return nil, fmt.Errorf("%s:%d: column %q missing", path, line, head[c])
			}
			key = append(key, strings.TrimSpace(rec[c]))
		}
		set[strings.Join(key, "\x1f")] = true
	}
	return func(p []string) bool {
		key := make([]string, len(lvls))
		for i, l := range lvls {
			if l >= len(p) {
				return false
			}
			key[i] = p[l]
		}
		return set[strings.Join(key, "\x1f")]
	}, nil
}

// printAligned writes a table whose first column is text (left-aligned)
// and the others figures (right-aligned), widths counted in characters so
// that χ² and – line up.
func printAligned(w io.Writer, indent string, rows [][5]string) {
	var width [5]int
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}
