package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-elections/vigil/internal/integrity/pvt"
)

// The PVT commands are file adapters around internal/integrity/pvt: they
// read the frame and the sample, build []pvt.Stratum and []pvt.Report, and
// print. A stored-deployment adapter (--db) builds the same slices.

func init() {
	register(command{name: "pvt", summary: "parallel vote tabulation: estimate shares and turnout from a sample", run: runPVT})
	register(command{name: "pvt converge", summary: "PVT estimates as the sample's reports arrive", run: runPVTConverge})
	register(command{name: "pvt size", summary: "PVT sample size (NDI formula)", run: runPVTSize})
	register(command{name: "pvt draw", summary: "draw a stratified PVT sample from a published seed", run: runPVTDraw})
}

// pvtFlags are the flags shared by pvt and pvt converge.
type pvtFlags struct {
	frame, sample, stratum, sampleStratum, region string
	id, drawn                                     string
	options, total, registered, official          string
	cannotWin                                     string
	bootstrap, minReports, workers, skipLines     int
	seed                                          uint64
	delimiter                                     string
	asJSON                                        bool
}

func (p *pvtFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&p.frame, "frame", "", "sampling frame `FILE` (.csv, .csv.gz, pipe-separated): one row per station")
	fs.StringVar(&p.sample, "sample", "", "reported sample `FILE`: one row per reported station")
	fs.StringVar(&p.stratum, "stratum", "", "stratum `COLUMN`, or several comma-separated (region,urban,size) for composite strata; in the frame, and in the sample unless --sample-stratum")
	fs.StringVar(&p.sampleStratum, "sample-stratum", "", "stratum `COLUMN` in the sample when it is named differently")
	fs.StringVar(&p.region, "region", "", "frame `COLUMN` grouping strata (e.g. state): short strata collapse within it first (default: a composite stratum's first column)")
	fs.StringVar(&p.options, "options", "", "comma-separated vote `COLUMNS` of the sample, one per option")
	fs.StringVar(&p.total, "total", "", "sample `COLUMN` of all votes counted, the shares' denominator (default: the sum of the options)")
	fs.StringVar(&p.registered, "registered", "", "`COLUMN` of registered voters, for turnout: from the sample, or from the frame through --id")
	fs.StringVar(&p.id, "id", "", "station id `COLUMN` in both files: checks each report's station and stratum against the frame, rejects duplicates, and takes --registered from the frame when the sample lacks it")
	fs.StringVar(&p.cannotWin, "cannot-win", "", "comma-separated `OPTIONS` that take votes but cannot win (against all): the lead is measured between the others")
	fs.StringVar(&p.official, "official", "", "official shares in per cent, `A=53.19,B=22.27,turnout=63.4`, for the verdict")
	fs.IntVar(&p.bootstrap, "bootstrap", 0, "stratified bootstrap replicates (0: linearised intervals only)")
	fs.Uint64Var(&p.seed, "seed", 1, "bootstrap seed")
	fs.IntVar(&p.minReports, "min-reports", 2, "reports a stratum needs before it is collapsed into its neighbour")
	fs.IntVar(&p.workers, "workers", 0, "bootstrap goroutines (0: all CPUs)")
	fs.IntVar(&p.skipLines, "skip-lines", -1, "lines before the sample's header (-1: skip a lone record count, as in INE's REMESAS files)")
	fs.StringVar(&p.delimiter, "delimiter", "", "the sample's field separator (default: detect , | ; or tab)")
	fs.StringVar(&p.drawn, "drawn", "", "the drawn sample `FILE` (the output of pvt draw, or the official sample list), to report non-response per stratum; its stratum column is --sample-stratum or --stratum")
	fs.BoolVar(&p.asJSON, "json", false, "print JSON")
}

func runPVT(ctx context.Context, e *env, args []string) error {
	var p pvtFlags
	var stored pvtDBFlags
	fs := newFlags(e, "pvt", "--frame FRAME --sample SAMPLE --stratum COLUMN --options A,B,... [flags]\n"+
		"       vigil pvt --db D --election NAME --stratum LEVEL [--options A,B,...] [flags]   (a stored election and its observers' protocols)\n"+
		"       vigil pvt converge|size|draw --help   (convergence, sample size, sample draw)")
	p.define(fs)
	stored.define(fs)
	if err := parsePVT(fs, args); err != nil {
		return err
	}
	if len(args) == 0 {
		fs.Usage()
		return usagef("pvt: --frame, --sample, --stratum and --options are required (see docs/pvt.md)")
	}
	var in *pvtInput
	var err error
	if stored.db != "" {
		in, err = loadStoredPVT(ctx, &p, &stored)
	} else {
		in, err = p.load(nil)
	}
	if err != nil {
		return err
	}
	res, err := pvt.Estimate(in.strata, in.options, in.reports, in.cfg)
	if err != nil {
		return err
	}
	var verdicts []pvt.Verdict
	if in.official != nil {
		if verdicts, err = pvt.Compare(res, in.official); err != nil {
			return usagef("--official: %v", err)
		}
	}
	if p.asJSON {
		out := pvtJSON(res, verdicts, in.denominator)
		out.Response = in.response
		if in.cfg.Bootstrap > 0 && len(res.Options) > 0 && res.Options[0].Boot != nil {
			out.Seed, out.Replicates = &in.cfg.Seed, in.cfg.Bootstrap
		}
		return printJSON(e.stdout, out)
	}
	printPVT(e.stdout, res, verdicts, in.denominator)
	if in.cfg.Bootstrap > 0 && len(res.Options) > 0 && res.Options[0].Boot != nil {
		fmt.Fprintf(e.stdout, "\nbootstrap: %d replicates, seed %d\n", in.cfg.Bootstrap, in.cfg.Seed)
	}
	if r := in.response; r != nil {
		fmt.Fprintf(e.stdout, "\nresponse: %d of %d drawn stations reported (%.1f %%); %d strata silent; lowest:", r.Reported, r.Drawn, 100*r.Rate, r.Silent)
		for _, l := range r.Lowest {
			fmt.Fprintf(e.stdout, " %s (%d/%d)", l.Stratum, l.Reported, l.Drawn)
		}
		fmt.Fprintln(e.stdout, "\n(the intervals assume the missing stations vote like the reported ones of their stratum)")
	}
	return nil
}

func runPVTConverge(ctx context.Context, e *env, args []string) error {
	var p pvtFlags
	var timeCols string
	var every int
	var step time.Duration
	fs := newFlags(e, "pvt converge", "--frame FRAME --sample SAMPLE --stratum COLUMN --options A,B,... --time COLUMN(S) (--every K | --step 15m) [flags]")
	p.define(fs)
	fs.StringVar(&timeCols, "time", "", "arrival time: one `COLUMN` (\"2018-07-01 20:19:47\" or RFC 3339) or six (year,month,day,hour,minute,second)")
	fs.IntVar(&every, "every", 0, "estimate after every K reports")
	fs.DurationVar(&step, "step", 0, "estimate at every step of time from the first arrival")
	if err := parsePVT(fs, args); err != nil {
		return err
	}
	if timeCols == "" {
		return usagef("pvt converge: --time is required")
	}
	if (every > 0) == (step > 0) {
		return usagef("pvt converge: give one of --every K or --step DURATION")
	}
	in, err := p.load(strings.Split(timeCols, ","))
	if err != nil {
		return err
	}
	cps, err := pvt.Converge(in.strata, in.options, in.reports, in.cfg, every, step)
	if err != nil {
		return err
	}
	if p.asJSON {
		type point struct {
			Reports int       `json:"reports"`
			Time    time.Time `json:"time"`
			pvtOut
		}
		out := make([]point, len(cps))
		for i, c := range cps {
			out[i] = point{c.Reports, c.Time, pvtJSON(c.Result, nil, in.denominator)}
		}
		return printJSON(e.stdout, map[string]any{"denominator": in.denominator, "checkpoints": out})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "time\treports\tstrata\t")
	for _, o := range in.options {
		fmt.Fprintf(tw, "%s\t±95%%\t", o)
	}
	if cps[0].Result.Turnout != nil {
		fmt.Fprint(tw, "votes ÷ registered\t±95%\t")
	}
	fmt.Fprintln(tw)
	for _, c := range cps {
		fmt.Fprintf(tw, "%s\t%d\t%d\t", c.Time.Format("2006-01-02 15:04:05"), c.Reports, c.Result.Strata.Reported)
		for _, f := range c.Result.Options {
			fmt.Fprintf(tw, "%.2f\t%.2f\t", f.Estimate, pvt.Z95*f.SE)
		}
		if t := c.Result.Turnout; t != nil {
			fmt.Fprintf(tw, "%.2f\t%.2f\t", t.Estimate, pvt.Z95*t.SE)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func parsePVT(fs *flag.FlagSet, args []string) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), pos[0])
	}
	return nil
}

// pvtInput is what load builds from the files.
type pvtInput struct {
	strata      []pvt.Stratum
	options     []string
	reports     []pvt.Report
	cfg         pvt.Config
	official    map[string]float64
	denominator string
	response    *pvt.ResponseInfo
}

func (p *pvtFlags) load(timeCols []string) (*pvtInput, error) {
	switch {
	case p.frame == "":
		return nil, usagef("pvt: --frame is required")
	case p.sample == "":
		return nil, usagef("pvt: --sample is required")
	case p.stratum == "":
		return nil, usagef("pvt: --stratum is required")
	case p.options == "":
		return nil, usagef("pvt: --options is required")
	case p.bootstrap < 0:
		return nil, usagef("pvt: --bootstrap %d, expected 0 or more replicates", p.bootstrap)
	case p.minReports < 1:
		return nil, usagef("pvt: --min-reports %d, expected at least 1", p.minReports)
	}
	in := &pvtInput{cfg: pvt.Config{Bootstrap: p.bootstrap, Seed: p.seed, Workers: p.workers, MinReports: p.minReports}}
	for _, o := range strings.Split(p.options, ",") {
		if o = strings.TrimSpace(o); o == "" {
			return nil, usagef("pvt: --options %q has an empty name", p.options)
		}
		if slices.Contains(in.options, o) {
			return nil, usagef("pvt: --options names %q twice", o)
		}
		in.options = append(in.options, o)
	}
	if p.cannotWin != "" {
		for _, o := range strings.Split(p.cannotWin, ",") {
			if o = strings.TrimSpace(o); !slices.Contains(in.options, o) {
				return nil, usagef("pvt: --cannot-win %q is not one of --options", o)
			}
			in.cfg.CannotWin = append(in.cfg.CannotWin, o)
		}
	}
	if p.official != "" {
		in.official = map[string]float64{}
		for _, kv := range strings.Split(p.official, ",") {
			k, v, ok := strings.Cut(kv, "=")
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if !ok || err != nil || f < 0 || f > 100 {
				return nil, usagef("pvt: --official item %q, expected NAME=PERCENT such as AMLO=53.19", kv)
			}
			in.official[strings.TrimSpace(k)] = f
		}
	}
	var delim rune
	if p.delimiter != "" {
		d := p.delimiter
		if d == `\t` || d == "tab" {
			d = "\t"
		}
		if len([]rune(d)) != 1 {
			return nil, usagef("pvt: --delimiter %q, expected one character", p.delimiter)
		}
		delim = []rune(d)[0]
	}

	frame, err := readTableFile(p.frame, pvt.TableOptions{SkipLines: -1})
	if err != nil {
		return nil, err
	}
	sample, err := readTableFile(p.sample, pvt.TableOptions{SkipLines: p.skipLines, Delimiter: delim})
	if err != nil {
		return nil, err
	}
	sStratum := p.sampleStratum
	if sStratum == "" {
		sStratum = p.stratum
	}
	// Joining frame and sample is the domain's (the dashboard can reuse it).
	joined, err := pvt.FromTables(frame, sample, pvt.Columns{Stratum: p.stratum, SampleStratum: sStratum, Region: p.region, ID: p.id,
		Options: in.options, Total: p.total, Registered: p.registered, Times: timeCols})
	if err != nil {
		return nil, err
	}
	in.strata, in.reports, in.denominator = joined.Strata, joined.Reports, joined.Denominator
	if p.drawn != "" {
		if err := in.loadResponse(p, sStratum); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// loadResponse reads the drawn sample and compares the reports with it.
func (in *pvtInput) loadResponse(p *pvtFlags, sampleStratum string) error {
	t, err := readTableFile(p.drawn, pvt.TableOptions{SkipLines: -1})
	if err != nil {
		return err
	}
	keys, _, _, err := pvt.StratumColumns(t, sampleStratum)
	if err != nil && sampleStratum != p.stratum {
		keys, _, _, err = pvt.StratumColumns(t, p.stratum)
	}
	if err != nil {
		return err
	}
	if rc, err := t.Col("pvt_role"); err == nil { // a pvt draw output: reserves were not drawn
		var kept []string
		for i, role := range t.Strings(rc) {
			if role != "reserve" {
				kept = append(kept, keys[i])
			}
		}
		keys = kept
	}
	info, err := pvt.Response(keys, in.reports, 10)
	if err != nil {
		return fmt.Errorf("%s against %s: %w", p.sample, p.drawn, err)
	}
	in.response = &info
	return nil
}

func readTableFile(name string, opt pvt.TableOptions) (*pvt.Table, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return pvt.ReadTable(f, name, opt)
}

// pvtOut is the JSON form of an estimate; the names are an interface.
type pvtOut struct {
	Denominator string                 `json:"denominator"`
	Options     map[string]*pvt.Figure `json:"options"`
	Order       []string               `json:"order"`
	Turnout     *pvt.Figure            `json:"turnout,omitempty"`
	Lead        *pvt.Lead              `json:"lead,omitempty"`
	Strata      pvt.StrataInfo         `json:"strata"`
	Verdict     []pvt.Verdict          `json:"verdict,omitempty"`
	Response    *pvt.ResponseInfo      `json:"response,omitempty"`
	// TurnoutDenominator names turnout's ratio (x_i over registered).
	TurnoutDenominator string `json:"turnout_denominator,omitempty"`
	// Warnings, the reason a verdict is withheld, and the reports left out
	// (none: a bad report stops the run, so the object is always empty).
	Warnings        []string       `json:"warnings"`
	VerdictWithheld string         `json:"verdict_withheld,omitempty"`
	Excluded        map[string]int `json:"excluded"`
	Seed            *uint64        `json:"seed,omitempty"`
	Replicates      int            `json:"replicates,omitempty"`
}

func pvtJSON(res *pvt.Result, vs []pvt.Verdict, denominator string) pvtOut {
	out := pvtOut{Denominator: denominator, Options: map[string]*pvt.Figure{}, Turnout: res.Turnout, Lead: res.Lead, Strata: res.Strata, Verdict: vs,
		Warnings: res.Warnings, VerdictWithheld: res.Withheld, Excluded: map[string]int{}}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if res.Turnout != nil {
		out.TurnoutDenominator = denominator + " over registered voters"
	}
	if out.Strata.Singletons == nil {
		out.Strata.Singletons = []string{}
	}
	for i := range res.Options {
		out.Options[res.Options[i].Name] = &res.Options[i]
		out.Order = append(out.Order, res.Options[i].Name)
	}
	if out.Strata.Collapsed == nil {
		out.Strata.Collapsed = []pvt.Collapse{}
	}
	return out
}

func printPVT(w io.Writer, res *pvt.Result, vs []pvt.Verdict, denominator string) {
	fmt.Fprintf(w, "PVT: %d reports in %d of %d strata (%d after collapsing), frame of %d stations; shares of the %s\n\n",
		res.Strata.Reports, res.Strata.Reported, res.Strata.Frame, res.Strata.Used, res.Strata.Stations, denominator)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	boot := len(res.Options) > 0 && res.Options[0].Boot != nil
	fmt.Fprint(tw, "\testimate %\tse\tdf\t95 % interval\t99 % interval")
	if boot {
		fmt.Fprint(tw, "\tbootstrap se\tbootstrap 95 %\tbootstrap 99 %")
	}
	fmt.Fprintln(tw)
	figs := res.Options
	if res.Turnout != nil {
		// Not "turnout": vigil's turnout is ballots issued ÷ registered,
		// and a PVT's reports divide the votes counted instead.
		t := *res.Turnout
		t.Name = "votes ÷ registered*"
		figs = append(figs[:len(figs):len(figs)], t)
	}
	for _, f := range figs {
		df := "∞"
		if f.DF > 0 {
			df = fmt.Sprintf("%.0f", f.DF)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.3f\t%s\t[%.2f, %.2f]\t[%.2f, %.2f]", f.Name, f.Estimate, f.SE, df, f.CI95[0], f.CI95[1], f.CI99[0], f.CI99[1])
		if f.Boot != nil {
			fmt.Fprintf(tw, "\t%.3f\t[%.2f, %.2f]\t[%.2f, %.2f]", f.Boot.SE, f.Boot.CI95[0], f.Boot.CI95[1], f.Boot.CI99[0], f.Boot.CI99[1])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if res.Turnout != nil {
		fmt.Fprintf(w, "* the %s over the registered voters (the JSON's \"turnout\"); not the portal's turnout, ballots issued ÷ registered\n", denominator)
	}
	if l := res.Lead; l != nil {
		decided := "the sample does not determine the winner at 95 %"
		switch {
		case l.Decided99:
			decided = "the sample determines the winner at 99 %"
		case l.Decided95:
			decided = "the sample determines the winner at 95 % but not at 99 %"
		}
		if res.Withheld != "" {
			decided = "no verdict on the winner (see below)"
		}
		fmt.Fprintf(w, "\nlead: %s over %s (the runner-up among the options that can win) by %.2f points, 95 %% [%.2f, %.2f], 99 %% [%.2f, %.2f]: %s\n",
			l.Leader, l.RunnerUp, l.Estimate, l.CI95[0], l.CI95[1], l.CI99[0], l.CI99[1], decided)
	}
	fmt.Fprintln(w, "\nintervals: shares and turnout by the Wilson score interval on the effective sample size, the lead by ± t·se; Student's t on df, the Satterthwaite degrees of freedom")
	for _, x := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
	if res.Withheld != "" {
		fmt.Fprintf(w, "no verdict: %s\n", res.Withheld)
	}
	if len(res.Strata.Collapsed) > 0 {
		fmt.Fprintf(w, "\ncollapsed strata (fewer reports than needed):")
		for _, c := range res.Strata.Collapsed {
			fmt.Fprintf(w, " [%s]", strings.Join(c.Strata, "+"))
		}
		fmt.Fprintln(w)
	}
	if len(vs) > 0 {
		fmt.Fprintln(w, "\nverdict:")
		for _, v := range vs {
			fmt.Fprintln(w, "  "+v.Sentence)
		}
	}
}

func runPVTSize(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "pvt size", "--margin 0.01 --electorate N --confidence 95|99 [flags]")
	var in pvt.SizeInput
	var frame, registered string
	var asJSON bool
	fs.Float64Var(&in.Margin, "margin", 0, "margin of error E as a proportion (0.01 for ±1 point)")
	fs.Float64Var(&in.Electorate, "electorate", 0, "registered voters N (or give --frame and --registered)")
	fs.IntVar(&in.Confidence, "confidence", 95, "95 or 99 (Z = 1.96 or 2.58)")
	fs.Float64Var(&in.P, "p", 0.5, "expected share P (0.5 is the most conservative)")
	fs.Float64Var(&in.VotersPerStation, "voters-per-station", 0, "average registered voters per station (or from --frame)")
	fs.Float64Var(&in.Turnout, "turnout", 0, "expected turnout as a proportion (0: count registered voters)")
	fs.Float64Var(&in.NonResponse, "nonresponse", 0, "expected share of sampled stations that never report")
	fs.Float64Var(&in.DesignEffect, "deff", 1, "design effect of sampling whole stations (1: the formula as published)")
	fs.StringVar(&frame, "frame", "", "frame `FILE` to take the electorate and voters per station from")
	fs.StringVar(&registered, "registered", "", "frame `COLUMN` of registered voters (with --frame)")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parsePVT(fs, args); err != nil {
		return err
	}
	if frame != "" {
		if registered == "" {
			return usagef("pvt size: --frame needs --registered COLUMN")
		}
		t, err := readTableFile(frame, pvt.TableOptions{SkipLines: -1})
		if err != nil {
			return err
		}
		c, err := t.Col(registered)
		if err != nil {
			return err
		}
		v, err := t.Numbers(c)
		if err != nil {
			return err
		}
		sum := 0.0
		for _, x := range v {
			sum += x
		}
		if in.Electorate == 0 {
			in.Electorate = sum
		}
		if in.VotersPerStation == 0 && len(v) > 0 {
			in.VotersPerStation = sum / float64(len(v))
		}
	}
	res, err := pvt.SampleSize(in)
	if err != nil {
		return usagef("pvt size: %v", err)
	}
	if asJSON {
		return printJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "n = P(1−P) / (E²/Z² + P(1−P)/N) with P %.2f, E %g, Z %.2f, N %.0f\n", orDefault(in.P, 0.5), in.Margin, res.Z, in.Electorate)
	fmt.Fprintf(e.stdout, "voters:            %.0f", math.Ceil(res.Voters))
	if in.DesignEffect > 1 {
		fmt.Fprintf(e.stdout, " (design effect %g included)", in.DesignEffect)
	}
	fmt.Fprintln(e.stdout)
	if res.Stations > 0 {
		fmt.Fprintf(e.stdout, "stations:          %d (%.0f voters per station, turnout %.0f %%)\n", res.Stations, res.VotersPerStation, 100*orDefault(in.Turnout, 1))
		fmt.Fprintf(e.stdout, "stations to draw:  %d (non-response %.0f %%)\n", res.StationsToDraw, 100*in.NonResponse)
	} else {
		fmt.Fprintln(e.stdout, "stations:          give --voters-per-station (or --frame and --registered)")
	}
	if in.DesignEffect <= 1 {
		fmt.Fprintln(e.stdout, "note: the formula treats voters as sampled one by one; whole stations are sampled, so the real margin is wider (see docs/pvt.md, design effect).")
	}
	return nil
}

func orDefault(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}

func runPVTDraw(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "pvt draw", "--frame FRAME --stratum COLUMN --size N --seed SEED --out SAMPLE.csv [flags]")
	var frameName, stratum, idCol, seed, out, alloc string
	var size, minPer, reserve int
	var asJSON bool
	fs.StringVar(&frameName, "frame", "", "sampling frame `FILE`: one row per station")
	fs.StringVar(&stratum, "stratum", "", "stratum `COLUMN` of the frame, or several comma-separated (region,urban,size)")
	fs.StringVar(&idCol, "id", "id", "station id `COLUMN` of the frame (unique)")
	fs.IntVar(&size, "size", 0, "stations to draw")
	fs.StringVar(&seed, "seed", "", "the published seed (any text; publish it before the draw)")
	fs.StringVar(&alloc, "allocation", "proportional", "proportional or fixed")
	fs.IntVar(&minPer, "min-per-stratum", 2, "at least this many per stratum (or all its stations)")
	fs.IntVar(&reserve, "reserve", 0, "also list the next `K` stations of each stratum by rank, as replacements (pvt_role reserve)")
	fs.StringVar(&out, "out", "", "output `FILE` (.csv; - for standard output)")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	if err := parsePVT(fs, args); err != nil {
		return err
	}
	switch {
	case frameName == "" || stratum == "" || out == "":
		return usagef("pvt draw: --frame, --stratum and --out are required")
	case seed == "":
		return usagef("pvt draw: --seed is required: publish it before the draw so that anyone can redraw the sample")
	case size < 1:
		return usagef("pvt draw: --size %d, expected at least 1 station", size)
	case reserve < 0:
		return usagef("pvt draw: --reserve %d, expected 0 or more", reserve)
	}
	var method pvt.Allocation
	switch alloc {
	case "proportional":
		method = pvt.Proportional
	case "fixed":
		method = pvt.Fixed
	default:
		return usagef("pvt draw: --allocation %q, expected proportional or fixed", alloc)
	}
	raw, err := os.ReadFile(frameName)
	if err != nil {
		return err
	}
	frameHash := fmt.Sprintf("%x", sha256.Sum256(raw))
	frame, err := pvt.ReadTable(bytes.NewReader(raw), frameName, pvt.TableOptions{SkipLines: -1})
	if err != nil {
		return err
	}
	strat, _, _, err := pvt.StratumColumns(frame, stratum)
	if err != nil {
		return err
	}
	ic, err := frame.Col(idCol)
	if err != nil {
		return err
	}
	ids := frame.Strings(ic)
	strata, err := pvt.StrataOf(strat, nil)
	if err != nil {
		return err
	}
	n, err := pvt.Allocate(strata, size, method, minPer)
	if err != nil {
		return usagef("pvt draw: %v", err)
	}
	stations := make([]pvt.FrameStation, len(ids))
	for i := range ids {
		stations[i] = pvt.FrameStation{ID: ids[i], Stratum: strat[i]}
	}
	sel, rank, err := pvt.Draw(stations, strata, n, seed)
	if err != nil {
		return fmt.Errorf("%s: %w", frameName, err)
	}
	var w io.Writer = e.stdout
	var f *os.File
	if out != "-" {
		if f, err = os.Create(out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	nOf := map[string]int{}
	weight := map[string]float64{}
	for h, s := range strata {
		nOf[s.Key] = n[h]
		weight[s.Key] = float64(s.N) / float64(n[h])
	}
	cw := csv.NewWriter(w)
	cw.Write(append(append([]string{}, frame.Header...), "pvt_role", "pvt_rank", "pvt_key", "pvt_weight"))
	write := func(i int, role string) {
		cw.Write(append(append([]string{}, frame.Rows[i]...), role,
			strconv.Itoa(rank[i]), fmt.Sprintf("%016x", pvt.DrawKey(seed, ids[i])), strconv.FormatFloat(weight[strat[i]], 'f', 4, 64)))
	}
	for _, i := range sel {
		write(i, "sample")
	}
	if reserve > 0 {
		// Reserves in stratum order of the sample, then by rank.
		var res []int
		for i := range ids {
			if r := rank[i] - nOf[strat[i]]; r >= 1 && r <= reserve {
				res = append(res, i)
			}
		}
		first := map[string]int{}
		for j, i := range sel {
			if _, ok := first[strat[i]]; !ok {
				first[strat[i]] = j
			}
		}
		slices.SortFunc(res, func(a, b int) int {
			if c := cmp.Compare(first[strat[a]], first[strat[b]]); c != 0 {
				return c
			}
			return cmp.Compare(rank[a], rank[b])
		})
		for _, i := range res {
			write(i, "reserve")
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
	}
	total := 0
	for _, x := range n {
		total += x
	}
	summary := map[string]any{"strata": len(strata), "frame": len(ids), "frame_sha256": frameHash, "drawn": total, "requested": size,
		"reserve_per_stratum": reserve, "seed": seed, "allocation": alloc, "out": out}
	if out == "-" {
		return nil
	}
	if asJSON {
		return printJSON(e.stdout, summary)
	}
	fmt.Fprintf(e.stdout, "drew %d stations (%d requested, %s allocation, at least %d per stratum) from %d in %d strata with seed %q into %s\n",
		total, size, alloc, minPer, len(ids), len(strata), seed, out)
	fmt.Fprintf(e.stdout, "frame %s SHA-256 %s: publish it with the seed\n", frameName, frameHash)
	return nil
}
