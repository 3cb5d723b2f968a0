package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
)

func init() {
	register(command{name: "check", summary: "run the arithmetic controls on every protocol", run: runCheck})
}

func runCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "check", "--db D --election NAME [--source S] [--json]")
	rf := addResultsFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 20, "flags to list in the text output (all are in --json)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	sourceSet := false
	fs.Visit(func(f *flag.Flag) { sourceSet = sourceSet || f.Name == "source" })
	sink, err := newFlagSink(*asJSON, *limit)
	if err != nil {
		return err
	}
	defer sink.close()
	if rep, ok, err := checkStreaming(ctx, rf, sourceSet, sink); err != nil {
		return err
	} else if ok {
		if *asJSON {
			return sink.writeJSON(e.stdout, rep)
		}
		sink.printText(e.stdout, rep)
		return nil
	}
	r, err := rf.load(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	// --source named: check those sources' protocols only; else every
	// source, summaries against their stations included.
	rep, err := checkResults(ctx, r, sourceSet)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, rep)
	}
	printCheck(e.stdout, rep, *limit)
	return nil
}

// printCheck writes a check report: the totals, per code the flags and the
// protocols they fall on (a protocol can carry several flags of one code,
// one per figure or option), then the first flags.
func printCheck(w io.Writer, rep *election.Report, limit int) {
	flags := map[string]int{}
	type key struct {
		area int64
		src  election.Source
	}
	flagged := map[key]bool{}
	for _, f := range rep.Flags {
		flags[f.Code]++
		flagged[key{f.AreaID, f.Source}] = true
	}
	printCheckCounts(w, rep, len(rep.Flags), len(flagged), flags)
	printCheckFlags(w, rep.Flags, len(rep.Flags), limit)
}

// printCheckCounts writes the totals and the lines per code: n flags on
// flagged protocols, flags per code.
func printCheckCounts(w io.Writer, rep *election.Report, n, flagged int, flags map[string]int) {
	fmt.Fprintf(w, "%s checked (%d summaries against their stations): %s on %s\n", counted(rep.Protocols, "protocol"), rep.Summaries, counted(n, "flag"), counted(flagged, "protocol"))
	codes := make([]string, 0, len(rep.Counts))
	for c, n := range rep.Counts {
		if n == 0 {
			continue
		}
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "  %-28s %s on %d of %s checked\n", c, counted(flags[c], "flag"), rep.Counts[c], counted(rep.Checked[c], "protocol"))
	}
}

// printCheckFlags writes the first limit of the n flags (first holds at
// least those).
func printCheckFlags(w io.Writer, first []election.Flag, n, limit int) {
	for i, f := range first {
		if i == limit {
			break
		}
		item := ""
		if f.Item != "" {
			item = " [" + f.Item + "]"
		}
		// The source names which protocol of the station is flagged: with
		// several sources checked, one station's line could repeat.
		src := ""
		if f.Source != "" {
			src = " (" + string(f.Source) + ")"
		}
		fmt.Fprintf(w, "%s%s: %s%s %s (difference %d)\n", f.Station, src, f.Code, item, f.Message, f.Difference)
	}
	if limit >= 0 && n > limit {
		fmt.Fprintf(w, "  … %d more (use --json)\n", n-limit)
	}
}

// checkResults runs the controls over the results the flags named: the
// file's, the named sources' (onlySelected: an observer's copies are not
// compared with the official summaries, which would flag every summary
// whose stations were not all observed), or every source's latest
// protocols from the database, summaries included.
func checkResults(ctx context.Context, r *results, onlySelected bool) (*election.Report, error) {
	ix, err := tally.NewIndex(r.Areas)
	if err != nil {
		return nil, err
	}
	ps := r.Protocols
	if r.db != nil && !onlySelected {
		ps = nil
		for _, src := range election.Sources {
			p, err := r.db.Protocols(ctx, r.Election.ID, src)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p...)
		}
	}
	return tally.CheckAll(r.Election, ix, ps, r.Selector), nil
}

// checkStreaming runs the controls from the database one protocol at a
// time (the current version of every (area, source), in the order
// tally.CheckAll takes them), each summary against its stations' sums from
// the maintained aggregates: memory for the flags, not for the election.
// ok is false when the flags ask for what only the in-memory check does
// (a file, a fallback list of sources).
func checkStreaming(ctx context.Context, rf *resultsFlags, onlySelected bool, sink *flagSink) (_ *election.Report, ok bool, err error) {
	sel, err := rf.selector()
	if err != nil || *rf.file != "" || len(sel.Sources) != 1 {
		return nil, false, err
	}
	if *rf.election == "" {
		return nil, false, usagef("name the election with --election (or give --file and --mapping)")
	}
	db, err := store.OpenExisting(ctx, *rf.db)
	if err != nil {
		return nil, false, err
	}
	defer db.Close()
	e, err := db.ElectionByName(ctx, *rf.election)
	if err != nil {
		return nil, false, err
	}
	var sources []election.Source
	if onlySelected {
		sources = sel.Sources
	}
	rep := election.NewReport()
	err = db.CurrentProtocols(ctx, e.ID, sources, func(a *election.Area, p *election.Protocol) error {
		from := len(rep.Flags)
		rep.Check(e, p)
		if p.Source == election.Summary && !a.Station {
			rows, err := db.ResultTree(ctx, e.ID, sel.Sources[0], a.ID, 0)
			if err != nil {
				return err
			}
			n, err := db.StationsUnder(ctx, e.ID, *a)
			if err != nil {
				return err
			}
			rep.CheckSummaryTotals(e, p, rows[0].SummaryTotals(n, len(e.Options)))
		}
		for k := from; k < len(rep.Flags); k++ {
			rep.Flags[k].Station = tally.AreaPath(a)
		}
		// The protocol's flags leave the report for the sink: memory
		// for one protocol's flags, not the election's.
		err := sink.add(rep.Flags)
		rep.Flags = rep.Flags[:0]
		return err
	})
	return rep, true, err
}

// counted writes a count with its noun, singular for one ("1 flag", "2
// flags"): "1 flags on 1 protocols" read as a machine's output.
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
