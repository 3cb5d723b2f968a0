package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/vigil-elections/vigil/internal/chromium"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/pdf"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/recommend/draft"
	"github.com/vigil-elections/vigil/internal/recommend/evidence"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "recommendations summary", summary: "follow-up of a country's recommendations: counts per assessment, area, election", run: runRecSummary})
	register(command{name: "recommendations import", summary: "import missions, reports, recommendations, assessments (.json or .csv), all or nothing", run: runRecImport})
	register(command{name: "recommendations export", summary: "export missions, reports, recommendations, assessments (.json or .csv)", run: runRecExport})
	register(command{name: "recommendations history", summary: "a recommendation's history across electoral cycles", run: runRecHistory})
	register(command{name: "recommendations propose", summary: "assessments vigil proposes from its evidence for a report's follow-up", run: runRecPropose})
	register(command{name: "recommendations assess", summary: "record a report's assessment of an earlier recommendation", run: runRecAssess})
	register(command{name: "recommendations draft", summary: "draft a statement or a final report from the data (.html or .pdf)", run: runRecDraft})
	register(command{name: "recommendations seed", summary: "write the demo's history of recommendations", run: runRecSeed})
}

// recSources are the evidence the command line has.
func recSources(d *store.DB) recommend.Sources { return evidence.Sources(d) }

func runRecSummary(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "recommendations summary", "--db D [--country CODE] [--json]")
	db := dbFlag(fs)
	country := fs.String("country", "", "ISO country code; without it, the countries compared")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	ds, err := d.Recommendations(ctx, *country)
	if err != nil {
		return err
	}
	if *country == "" {
		rows := recommend.Compare(ds)
		if *asJSON {
			return printJSON(e.stdout, map[string]any{"countries": rows})
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "country\tlatest assessment\tdate\tfully\tmostly\tpartially\tnot\tnot assessed\timplemented\tchange")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.0f %%\t%+.0f pp\n", r.Country, r.Report, r.Date, r.Counts.Fully, r.Counts.Mostly,
				r.Counts.Partially, r.Counts.Not, r.Counts.NotAssessed, 100*r.Implemented, 100*r.Change)
		}
		return tw.Flush()
	}
	s := recommend.Summarise(ds, *country)
	if *asJSON {
		return printJSON(e.stdout, s)
	}
	if len(s.Assessments) == 0 {
		fmt.Fprintf(e.stdout, "%s: %d recommendations, no assessment of their implementation yet\n", s.Country, s.Recommendations)
		return nil
	}
	for _, a := range s.Assessments {
		fmt.Fprintf(e.stdout, "%s (%s, %s)\n  %s\n", a.Report, a.MissionName, a.Date, a.Text)
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  area\tfully\tmostly\tpartially\tnot\tnot assessed")
		for _, ar := range recommend.Areas {
			if c, ok := a.ByArea[ar]; ok {
				fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\n", ar.Title(), c.Fully, c.Mostly, c.Partially, c.Not, c.NotAssessed)
			}
		}
		tw.Flush()
	}
	fmt.Fprintln(e.stdout, "trend (fully or mostly implemented, of those assessed):")
	for i, p := range s.Trend {
		change := ""
		if i > 0 {
			change = fmt.Sprintf(" (%+.0f pp)", 100*p.Change)
		}
		fmt.Fprintf(e.stdout, "  %s  %s  %.0f %%%s\n", p.Date, p.Report, 100*p.Implemented, change)
	}
	return nil
}

func runRecImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "recommendations import", "--db D FILE.json|FILE.csv [--json]")
	db := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print what was added as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("recommendations import: want one FILE (.json or .csv)")
	}
	f, err := recommend.FormatOf(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	file, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer file.Close()
	ds, err := recommend.Read(file, filepath.Base(pos[0]), f)
	if err != nil {
		return err
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := recommend.Import(ctx, d, ds)
	if err != nil {
		return fmt.Errorf("nothing imported:\n%w", err)
	}
	if *asJSON {
		return printJSON(e.stdout, st)
	}
	fmt.Fprintf(e.stdout, "imported %d missions, %d reports, %d recommendations, %d assessments from %s\n",
		st.Missions, st.Reports, st.Recommendations, st.Assessments, pos[0])
	return nil
}

func runRecExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "recommendations export", "--db D [--country CODE] FILE.json|FILE.csv")
	db := dbFlag(fs)
	country := fs.String("country", "", "only this country (ISO code)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("recommendations export: want one FILE (.json or .csv)")
	}
	f, err := recommend.FormatOf(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	ds, err := d.Recommendations(ctx, *country)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := recommend.Write(&buf, ds, f); err != nil {
		return err
	}
	if err := writeFileAtomic(pos[0], buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "exported %d missions, %d reports, %d recommendations, %d assessments to %s\n",
		len(ds.Missions), len(ds.Reports), len(ds.Recommendations), len(ds.Assessments), pos[0])
	return nil
}

// writeFileAtomic writes through a temporary file and a rename, so that a
// failed export never leaves half a file under the name asked for.
func writeFileAtomic(name string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// resolveRef takes a recommendation by id or by REPORT#NUMBER and returns
// its reference and its country's records.
func resolveRef(ctx context.Context, d *store.DB, arg string) (string, *recommend.Dataset, error) {
	ref, country := arg, ""
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		r, c, err := d.RecommendationRef(ctx, id)
		if err != nil {
			return "", nil, err
		}
		ref, country = r, c
	} else {
		rk, _, ok := recommend.SplitRef(arg)
		if !ok {
			return "", nil, usagef("%q: want a recommendation id or REPORT#NUMBER", arg)
		}
		c, err := d.ReportCountry(ctx, rk)
		if err != nil {
			return "", nil, err
		}
		country = c
	}
	ds, err := d.Recommendations(ctx, country)
	if err != nil {
		return "", nil, err
	}
	if recommend.NewIndex(ds).Recs[ref] == nil {
		return "", nil, fmt.Errorf("recommendation %s: %w", ref, store.ErrNotFound)
	}
	return ref, ds, nil
}

func runRecHistory(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "recommendations history", "--db D ID|REPORT#NUMBER [--json]")
	db := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("recommendations history: want one recommendation (id or REPORT#NUMBER)")
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	ref, ds, err := resolveRef(ctx, d, pos[0])
	if err != nil {
		return err
	}
	h := recommend.NewIndex(ds).History(ref)
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"recommendation": ref, "history": h})
	}
	for _, st := range h {
		prio := ""
		if st.Recommendation.Priority {
			prio = " (priority)"
		}
		fmt.Fprintf(e.stdout, "%s  %s%s  [%s]\n  %s\n", st.Report.Date, st.Ref, prio, st.Recommendation.Area.Title(), st.Recommendation.Text)
		for _, a := range st.Assessments {
			fmt.Fprintf(e.stdout, "    assessed by %s: %s. %s\n", a.ReportKey, a.Status.Title(), a.Reasoning)
		}
	}
	return nil
}

func runRecPropose(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "recommendations propose", "--db D --report KEY [--json]")
	db := dbFlag(fs)
	report := fs.String("report", "", "the assessing report (its key)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *report == "" {
		return usagef("recommendations propose: --report is required")
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	country, err := d.ReportCountry(ctx, *report)
	if err != nil {
		return err
	}
	ds, err := d.Recommendations(ctx, country)
	if err != nil {
		return err
	}
	src := recSources(d)
	ps, err := recommend.ProposeAll(ctx, recommend.NewIndex(ds), *report, src.Results, src.Findings)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"report": *report, "proposals": ps})
	}
	if len(ps) == 0 {
		fmt.Fprintf(e.stdout, "%s: no prior recommendation that vigil holds evidence for\n", *report)
	}
	for _, p := range ps {
		st := "no proposal"
		if p.OK {
			st = string(p.Status)
		}
		fmt.Fprintf(e.stdout, "%s  %s: %s\n", p.Recommendation, st, p.Reasoning)
	}
	return nil
}

func runRecAssess(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "recommendations assess", "--db D --report KEY --status S [--reasoning T] [--evidence T] [--accept-proposal] ID|REPORT#NUMBER")
	db := dbFlag(fs)
	report := fs.String("report", "", "the assessing report (its key)")
	status := fs.String("status", "", "fully, mostly, partially, not or not_assessed")
	reasoning := fs.String("reasoning", "", "why")
	evidence := fs.String("evidence", "", "what shows it")
	accept := fs.Bool("accept-proposal", false, "take status, reasoning and evidence from vigil's proposal")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *report == "" {
		return usagef("recommendations assess: want --report and one recommendation")
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	ref, ds, err := resolveRef(ctx, d, pos[0])
	if err != nil {
		return err
	}
	a := &recommend.Assessment{Recommendation: ref, ReportKey: *report, Status: recommend.Status(*status), Reasoning: *reasoning, Evidence: *evidence}
	if *accept {
		src := recSources(d)
		p, err := recommend.Propose(ctx, recommend.NewIndex(ds), ref, *report, src.Results, src.Findings)
		if err != nil {
			return err
		}
		if !p.OK {
			return fmt.Errorf("no proposal for %s: %s", ref, p.Reasoning)
		}
		a.Status, a.Proposed = p.Status, true
		a.Reasoning = strings.TrimSpace(p.Reasoning + " " + *reasoning)
		a.Evidence = strings.TrimSpace(p.Evidence + " " + *evidence)
	}
	if err := recommend.Assess(ctx, d, a); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s assessed by %s: %s\n", ref, *report, a.Status.Title())
	return nil
}

func runRecDraft(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "recommendations draft", "--db D --mission KEY [--kind statement|final] [--lang en|ru|kk] FILE.html|FILE.pdf")
	db := dbFlag(fs)
	mission := fs.String("mission", "", "the mission (its key)")
	kind := fs.String("kind", "statement", "statement (quantitative part of the preliminary statement) or final (final report skeleton)")
	lang := fs.String("lang", "en", "the draft's language: "+strings.Join(recommend.DraftLangs, ", "))
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *mission == "" {
		return usagef("recommendations draft: want --mission and one output FILE (.html or .pdf)")
	}
	k, err := recommend.ParseDraftKind(*kind)
	if err != nil {
		return usagef("%v", err)
	}
	if !slices.Contains(recommend.DraftLangs, *lang) {
		return usagef("--lang %s: want one of %s", *lang, strings.Join(recommend.DraftLangs, ", "))
	}
	ext := strings.ToLower(filepath.Ext(pos[0]))
	if ext != ".html" && ext != ".pdf" {
		return usagef("%s: want a .html or .pdf file", pos[0])
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	country, _, err := d.MissionCountry(ctx, *mission)
	if err != nil {
		return err
	}
	ds, err := d.Recommendations(ctx, country)
	if err != nil {
		return err
	}
	dr, err := recommend.BuildDraftIn(ctx, ds, *mission, k, recSources(d), *lang)
	if err != nil {
		return err
	}
	var html bytes.Buffer
	if err := draft.WriteHTML(&html, dr); err != nil {
		return err
	}
	if ext == ".html" {
		if err := writeFileAtomic(pos[0], html.Bytes()); err != nil {
			return err
		}
	} else if err := pdf.Print(ctx, chromium.Find(e.getenv), html.Bytes(), pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", pos[0])
	return nil
}

func runRecSeed(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "recommendations seed", "--db D [--country CODE] [--election-2021 NAME] [--election-2022 NAME] [--election-2023 NAME]")
	db := dbFlag(fs)
	country := fs.String("country", "KZ", "ISO code of the demo country")
	names := map[int]*string{}
	for _, y := range []int{2021, 2022, 2023} {
		names[y] = fs.String("election-"+strconv.Itoa(y), "", "the results core's election that the "+strconv.Itoa(y)+" mission observed")
	}
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	opt := demo.RecommendationOptions{Country: *country, Elections: map[int]string{}}
	for y, n := range names {
		if *n != "" {
			opt.Elections[y] = *n
		}
	}
	st, err := demo.SeedRecommendations(ctx, d, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "seeded %d missions, %d reports, %d recommendations, %d assessments\n", st.Missions, st.Reports, st.Recommendations, st.Assessments)
	return nil
}
