package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

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
	tree := res.Tree(*level)
	if *asJSON {
		return printJSON(e.stdout, tree)
	}
	fmt.Fprintln(e.stdout, "turnout: ballots issued ÷ registered voters; each option's share: of the valid votes")
	printTree(e.stdout, tree, 0)
	return nil
}

func printTree(w io.Writer, n *tally.Node, depth int) {
	t, _ := n.Turnout()
	name := n.Area.Name
	fmt.Fprintf(w, "%s%s: %d stations, turnout %.2f %%", strings.Repeat("  ", depth), name, n.Stations, 100*t)
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
