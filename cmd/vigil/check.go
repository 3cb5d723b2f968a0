package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/vigil-elections/vigil/internal/election"
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
	r, err := rf.load(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	rep, err := checkResults(ctx, r)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, rep)
	}
	fmt.Fprintf(e.stdout, "%d protocols checked (%d summaries against their stations), %d flags\n", rep.Protocols, rep.Summaries, len(rep.Flags))
	codes := make([]string, 0, len(rep.Counts))
	for c, n := range rep.Counts {
		if n == 0 {
			continue
		}
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(e.stdout, "  %-28s %d of %d checked\n", c, rep.Counts[c], rep.Checked[c])
	}
	for i, f := range rep.Flags {
		if i == *limit {
			fmt.Fprintf(e.stdout, "  … %d more (use --json)\n", len(rep.Flags)-i)
			break
		}
		item := ""
		if f.Item != "" {
			item = " [" + f.Item + "]"
		}
		fmt.Fprintf(e.stdout, "%s: %s%s %s (difference %d)\n", f.Station, f.Code, item, f.Message, f.Difference)
	}
	return nil
}

// checkResults runs the controls over the results the flags named: every
// source's latest protocols from the database (summaries included), or the
// file's.
func checkResults(ctx context.Context, r *results) (*election.Report, error) {
	ix, err := tally.NewIndex(r.Areas)
	if err != nil {
		return nil, err
	}
	ps := r.Protocols
	if r.db != nil {
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
