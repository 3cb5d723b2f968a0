package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/election"
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
	rf     *resultsFlags
	leader *string
	asJSON *bool
}

func addForensicFlags(e *env, name, usage string) (*forensicInput, *flag.FlagSet) {
	fs := newFlags(e, "forensics "+name, usage)
	fi := &forensicInput{rf: addResultsFlags(fs)}
	fi.leader = fs.String("leader", "", "the option the analysis is about (default: the one with the most votes)")
	fi.asJSON = fs.Bool("json", false, "print JSON")
	return fi, fs
}

// stations reads the results and turns each station's chosen protocol into
// the V, G, R, L the methods use.
func (fi *forensicInput) stations(ctx context.Context) (*results, []stored.Station, string, error) {
	r, err := fi.rf.load(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	chosen, ix, err := r.stationProtocols()
	if err != nil {
		r.Close()
		return nil, nil, "", err
	}
	li, err := stored.Leader(r.Election, chosen, *fi.leader)
	if err != nil {
		r.Close()
		if *fi.leader != "" {
			return nil, nil, "", usagef("--leader: %v", err)
		}
		return nil, nil, "", err
	}
	return r, stored.Stations(ix, chosen, li), r.Election.Options[li].Name, nil
}

func plain(rows []stored.Station) []forensics.Station { return stored.Plain(rows) }

func runIntegerTest(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "integer", "(--db D --election NAME [--source S] | --file F --mapping M) [--leader NAME] [--replicates 1000] [--seed S] [--json]")
	reps := fs.Int("replicates", 1000, "Monte Carlo replicates of the binomial null")
	seed := fs.Uint64("seed", 1, "seed of the Monte Carlo null")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	r, rows, leader, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	pr := newProgress(e, "integer test", *fi.asJSON)
	res, err := forensics.IntegerTest(plain(rows), forensics.IntegerOptions{Replicates: *reps, Seed: *seed,
		Progress: func(done, total int) { pr.update(done, total, "replicates") }})
	pr.done()
	if err != nil {
		return err
	}
	if *fi.asJSON {
		return printJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "integer percentages of %s's share (of the ballots counted, valid + invalid) and of turnout (ballots issued ÷ registered), %d stations, %d replicates\n", leader, res.StationsUsed, res.Replicates)
	for _, k := range []string{"result", "turnout", "either"} {
		s := res.Criteria[k]
		fmt.Fprintf(e.stdout, "  %-8s observed %.0f, expected %.1f, excess %.1f (z = %.1f; 99.9th percentile of the null %.0f)\n", k, s.Observed, s.Expected, s.Excess, s.Z, s.P999)
	}
	return nil
}

func runFingerprint(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "fingerprint", "(--db D --election NAME | --file F --mapping M) [--leader NAME] [--fit] [--seed S] [--json]")
	fit := fs.Bool("fit", false, "also fit the fraud model (f_i, f_e, α)")
	seed := fs.Uint64("seed", 1, "seed of the fit's simulations")
	byVoters := fs.Bool("weight-voters", false, "weight the histogram by registered voters instead of counting stations")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	r, rows, leader, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	opt := forensics.FingerprintOptions{WeightByVoters: *byVoters}
	if *fit {
		opt.Fit = &forensics.FitOptions{Seed: *seed}
	}
	res, err := forensics.Fingerprint(plain(rows), opt)
	if err != nil {
		return err
	}
	if *fi.asJSON {
		return printJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "fingerprint of %s (turnout: ballots issued ÷ registered; share: of the ballots counted, valid + invalid), %d stations: τ = %.3f, ν = %.3f, σ_τ = %.3f, σ_ν = %.3f, θ = %.3f\n", leader, res.StationsUsed, res.Tau, res.Nu, res.SigmaTau, res.SigmaNu, res.Theta)
	if res.Fit != nil {
		fmt.Fprintf(e.stdout, "fraud-model fit: f_i = %.3f, f_e = %.3f, α = %.2f\n", res.Fit.FI, res.Fit.FE, res.Fit.Alpha)
	}
	return nil
}

func runShpilkin(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "shpilkin", "(--db D --election NAME | --file F --mapping M) [--leader NAME] [--peak P] [--json]")
	peak := fs.Int("peak", -1, "force the clean peak bin (0–100) instead of the rule")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	r, rows, leader, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	opt := forensics.ShpilkinOptions{}
	if *peak >= 0 {
		opt = forensics.ShpilkinOptions{ForcePeak: true, Peak: *peak}
	}
	res, err := forensics.Shpilkin(plain(rows), opt)
	if err != nil {
		return err
	}
	if *fi.asJSON {
		return printJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "%s: %d excess votes; share of the ballots counted (valid + invalid) %.2f %% → %.2f %% corrected, turnout (ballots issued ÷ registered) %.2f %% → %.2f %%; clean peak at %.0f %% turnout\n",
		leader, res.Excess, res.LeaderShareOfficial, res.LeaderShareCorrected, res.TurnoutOfficial, res.TurnoutCorrected, res.PeakTurnout)
	return nil
}

func runDigits(ctx context.Context, e *env, args []string) error {
	fi, fs := addForensicFlags(e, "digits", "(--db D --election NAME | --file F --mapping M) [--json]")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	r, rows, _, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	var out []forensics.DigitResult
	for k, o := range r.Election.Options {
		s := forensics.DigitSeries{Name: o.Name}
		for _, row := range rows {
			if k < len(row.Votes) {
				s.Counts = append(s.Counts, row.Votes[k])
				s.Totals = append(s.Totals, row.Valid)
			}
		}
		d, err := forensics.Digits(s)
		if err != nil {
			continue // too few counts with two digits: nothing to test
		}
		out = append(out, d)
	}
	if *fi.asJSON {
		return printJSON(e.stdout, map[string]any{"series": out, "caveat": forensics.DigitCaveat})
	}
	printDigits(e.stdout, out)
	return nil
}

// digitTestNames are the digit tests as a reader names them.
var digitTestNames = map[string]string{
	"2BL_mean":        "second digit, mean (2BL)",
	"2BL_chi2":        "second digit, χ² (2BL)",
	"last_digit_mean": "last digit, mean",
	"last_digit_chi2": "last digit, χ²",
	"C05s":            "counts ending in 0 or 5 (C05s)",
	"P05s":            "% of valid votes ending in 0 or 5 (P05s)",
	"pairs_equal":     "last two digits equal",
	"pairs_adjacent":  "last two digits adjacent",
	"pairs_distant":   "last two digits distant",
}

// printDigits writes the digit tests as a table per option: what was
// observed, what the null expects, the statistic and its p-value.
func printDigits(w io.Writer, out []forensics.DigitResult) {
	if len(out) == 0 {
		fmt.Fprintln(w, "no option has counts of two digits or more: nothing to test")
	}
	for i, d := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s: %d station counts of two digits or more\n", d.Series, d.CountsUsed)
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
	control := fs.String("control", "", "CSV of the control stations, named by the area columns (same header names)")
	by := fs.String("by", "", "the area level to compare within (an area column name, or a level number)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *control == "" || *by == "" {
		return usagef("forensics control needs --control and --by")
	}
	r, rows, leader, err := fi.stations(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	levels := r.Election.Config.AreaLevels
	lvl := r.Election.Config.LevelOf(*by)
	if lvl == 0 {
		return usagef("--by %q is not an area level (levels: %s)", *by, strings.Join(levels, ", "))
	}
	match, err := readControlStations(*control, levels)
	if err != nil {
		return err
	}
	nctl := 0
	sts := stored.GroupByLevel(rows, lvl, func(a *election.Area) bool {
		if match(a.Path) {
			nctl++
			return true
		}
		return false
	})
	if nctl == 0 {
		return fmt.Errorf("%s: none of its stations was found in the results", *control)
	}
	res, err := forensics.ControlComparison(sts)
	if err != nil {
		return err
	}
	if *fi.asJSON {
		return printJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "%s: %d official votes over %d districts with control stations, %.0f expected from %d control stations: excess %d\n%s\n",
		leader, res.Official, res.Districts, res.Expected, nctl, res.Excess, res.Note)
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
