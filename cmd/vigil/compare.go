package main

import (
	"context"
	"fmt"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/compare"
	"github.com/vigil-elections/vigil/internal/tally"
)

func init() {
	register(command{name: "compare", summary: "observers' protocol copies against the official protocols, and the impact on the outcome", run: runCompare})
}

func runCompare(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "compare", "--db D --election NAME [--official official-final] [--copies observer] [--leader NAME] [--seats N --method M --threshold P] [--json]")
	rf := addResultsFlags(fs)
	official := fs.String("official", "official-final", "the official source")
	copies := fs.String("copies", "observer", "the source of the copies: observer or recount")
	leader := fs.String("leader", "", "the option whose change is reported (default: the official winner)")
	seats := fs.Int("seats", 0, "for a party-list election: seats to allocate (the outcome is then the seats)")
	method := fs.String("method", "dhondt", "seat allocation method with --seats")
	threshold := fs.Float64("threshold", 0, "legal threshold in per cent with --seats")
	limit := fs.Int("limit", 20, "stations to list in the text output")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	off, err := election.ParseSource(*official)
	if err != nil {
		return usageError{err.Error()}
	}
	cpy, err := election.ParseSource(*copies)
	if err != nil {
		return usageError{err.Error()}
	}
	*rf.source = string(off) + "," + string(cpy)
	r, err := rf.load(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	if r.db == nil {
		return usagef("compare needs two sources of one election: use --db and --election")
	}
	ix, err := tally.NewIndex(r.Areas)
	if err != nil {
		return err
	}
	var rules compare.Rules
	if *seats > 0 {
		m, err := tally.ParseMethod(*method)
		if err != nil {
			return usageError{err.Error()}
		}
		rules.Seats = tally.Rules{Method: m, Seats: *seats, Threshold: *threshold, Base: tally.BaseValid}
	}
	rep, err := compare.Compare(r.Election, ix, r.Protocols, off, cpy, *leader, rules)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, rep)
	}
	fmt.Fprintln(e.stdout, rep.Sentence)
	for i, s := range rep.Stations {
		if i == *limit {
			fmt.Fprintf(e.stdout, "  … %d more stations (use --json)\n", len(rep.Stations)-i)
			break
		}
		fmt.Fprintf(e.stdout, "  %s: %s %+d", s.Station, rep.Leader, s.LeaderChange)
		for _, d := range s.Differences {
			fmt.Fprintf(e.stdout, "; %s %d (copy %d)", d.Item, d.A, d.B)
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}
