package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

func init() {
	register(command{name: "check", summary: "run the arithmetic controls on every protocol", run: runCheck})
}

// checkReport is the output of vigil check.
type checkReport struct {
	Counts    map[string]int  `json:"counts"`
	Protocols int             `json:"protocols_checked"`
	Summaries int             `json:"summaries_checked"`
	Flags     []election.Flag `json:"flags"`
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
	fmt.Fprintf(e.stdout, "%d station protocols and %d summary protocols checked, %d flags\n", rep.Protocols, rep.Summaries, len(rep.Flags))
	codes := make([]string, 0, len(rep.Counts))
	for c := range rep.Counts {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(e.stdout, "  %-28s %d\n", c, rep.Counts[c])
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

// checkResults runs the controls on the chosen protocol of every station
// and compares every summary protocol of a higher area with the sum of its
// stations' chosen protocols.
func checkResults(ctx context.Context, r *results) (*checkReport, error) {
	chosen, ix, err := r.stationProtocols()
	if err != nil {
		return nil, err
	}
	rep := &checkReport{Counts: map[string]int{}, Flags: []election.Flag{}}
	add := func(i int, fl []election.Flag) {
		path := strings.Join(ix.Area(i).Path, " / ")
		for _, f := range fl {
			f.Station = path
			rep.Counts[f.Code]++
			rep.Flags = append(rep.Flags, f)
		}
	}
	for i, p := range chosen {
		if p == nil {
			continue
		}
		rep.Protocols++
		add(i, election.Check(r.Election, p))
	}
	if r.db != nil {
		sums, err := r.db.Protocols(ctx, r.Election.ID, election.Summary)
		if err != nil {
			return nil, err
		}
		for _, s := range sums {
			i, ok := ix.Lookup(s.AreaID)
			if !ok {
				continue
			}
			var children []*election.Protocol
			for _, st := range ix.Stations(i) {
				if p := chosen[st]; p != nil {
					children = append(children, p)
				}
			}
			rep.Summaries++
			add(i, election.CheckSummary(r.Election, s, children))
		}
	}
	return rep, nil
}
