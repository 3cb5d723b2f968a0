package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
)

func init() {
	register(command{name: "tally", summary: "tabulate results at every level", run: runTally})
}

func runTally(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "tally", "--db D --election NAME [--source S] [--level N] [--json]")
	rf := addResultsFlags(fs)
	level := fs.Int("level", 1, "show areas down to this level (0: the total only)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	// From the database, one source: the maintained aggregates, read for
	// the levels shown only (a fallback list of sources is tabulated from
	// the protocols, below).
	if tree, ok, err := rf.aggregateTree(ctx, *level); err != nil {
		return err
	} else if ok {
		return printTally(e, tree, *asJSON)
	}
	r, err := rf.load(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	ix, err := tally.NewIndex(r.Areas)
	if err != nil {
		return err
	}
	res := tally.Tabulate(r.Election, ix, r.Protocols, r.Selector)
	return printTally(e, res.Tree(*level), *asJSON)
}

func printTally(e *env, tree *tally.Node, asJSON bool) error {
	if asJSON {
		return printJSON(e.stdout, tree)
	}
	fmt.Fprintln(e.stdout, "turnout: ballots issued ÷ registered voters; each option's share: of the valid votes")
	printTree(e.stdout, tree, 0)
	return nil
}

// aggregateTree reads the tally from the database's results aggregates
// when the flags name a database and one source; ok is false otherwise.
func (f *resultsFlags) aggregateTree(ctx context.Context, level int) (_ *tally.Node, ok bool, err error) {
	sel, err := f.selector()
	if err != nil || *f.file != "" || len(sel.Sources) != 1 {
		return nil, false, err
	}
	if *f.election == "" {
		return nil, false, usagef("name the election with --election (or give --file and --mapping)")
	}
	db, err := store.OpenExisting(ctx, *f.db)
	if err != nil {
		return nil, false, err
	}
	defer db.Close()
	e, err := db.ElectionByName(ctx, *f.election)
	if err != nil {
		return nil, false, err
	}
	root, err := db.RootArea(ctx, e.ID)
	if err != nil {
		return nil, false, err
	}
	rows, err := db.ResultTree(ctx, e.ID, sel.Sources[0], root.ID, level)
	if err != nil {
		return nil, false, err
	}
	return tally.TreeOf(e, areaSums(rows)), true, nil
}

// areaSums converts the store's aggregates for tally.TreeOf.
func areaSums(rows []*store.AreaResult) []tally.AreaSums {
	out := make([]tally.AreaSums, len(rows))
	for i, r := range rows {
		out[i] = tally.AreaSums{Area: r.Area, Stations: r.Stations, Figures: r.Figures, Votes: r.Votes}
	}
	return out
}

func printTree(w io.Writer, n *tally.Node, depth int) {
	t, _ := n.Turnout()
	name := n.Area.Name
	fmt.Fprintf(w, "%s%s: %s, turnout %.2f %%", strings.Repeat("  ", depth), name, counted(n.Stations, "station"), 100*t)
	shares := n.Shares()
	for _, o := range orderedOptions(n) {
		fmt.Fprintf(w, ", %s %.2f %%", o, 100*shares[o])
	}
	fmt.Fprintln(w)
	for _, c := range n.Children {
		printTree(w, c, depth+1)
	}
}

// orderedOptions lists a node's options by votes, most first, ties by
// name (the map's order would change from run to run).
func orderedOptions(n *tally.Node) []string {
	names := make([]string, 0, len(n.Options))
	for k := range n.Options {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := n.Options[names[i]], n.Options[names[j]]
		if a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	return names
}
