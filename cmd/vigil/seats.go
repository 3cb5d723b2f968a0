package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/tally"
)

func init() {
	register(command{name: "seats", summary: "allocate seats (Hare, D'Hondt, Sainte-Laguë) or decide a majority", run: runSeats})
}

func runSeats(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "seats", "--method hare|dhondt|sainte-lague --seats N [--threshold PERCENT] [--threshold-base NUMBER|valid|participants] (FILE.csv | --db D --election NAME) [--json]")
	rf := addResultsFlags(fs)
	method := fs.String("method", "dhondt", "hare, dhondt or sainte-lague; majority for a single-winner contest")
	seats := fs.Int("seats", 0, "seats to allocate")
	threshold := fs.Float64("threshold", 0, "legal threshold in per cent")
	base := fs.String("threshold-base", "valid", "what the threshold is a percentage of: valid, participants (every voter who took part), or a number")
	minLists := fs.Int("min-lists", 0, "fewest lists that enter: when fewer pass, the strongest below the threshold are admitted")
	seed := fs.Uint64("seed", 0, "break ties by lot from this seed (0: ballot order)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	b, num, err := parseBase(*base)
	if err != nil {
		return err
	}
	m := tally.Method(*method)
	if *method != "majority" {
		if m, err = tally.ParseMethod(*method); err != nil {
			return usageError{err.Error()}
		}
	}
	rules := tally.Rules{Method: m, Seats: *seats, Threshold: *threshold, Base: b, BaseVotes: num, MinLists: *minLists, Seed: *seed}
	var seatIn tally.SeatInput
	var majIn tally.MajorityInput
	switch {
	case len(pos) == 1:
		lists, err := readLists(pos[0])
		if err != nil {
			return err
		}
		seatIn = tally.SeatInput{Lists: lists, Rules: rules}
		majIn = tally.MajorityInput{Candidates: lists, Base: b, BaseVotes: num, Runoff: true, Seed: *seed}
	case len(pos) == 0:
		r, err := rf.load(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		ix, err := tally.NewIndex(r.Areas)
		if err != nil {
			return err
		}
		// "Against all" and such lines count in the base but win nothing:
		// the tally package's inputs leave them out of the lists.
		root := tally.Tabulate(r.Election, ix, r.Protocols, r.Selector).Tree(0)
		seatIn = tally.SeatInputFrom(root, rules)
		majIn = tally.MajorityInputFrom(root, b, true)
		majIn.BaseVotes, majIn.Seed = num, *seed
	default:
		return usagef("seats takes at most one file")
	}
	if *method == "majority" {
		out, err := tally.Decide(majIn)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e.stdout, out)
		}
		if out.Winner != "" {
			fmt.Fprintf(e.stdout, "winner: %s\n", out.Winner)
		} else {
			fmt.Fprintf(e.stdout, "no majority: runoff between %s\n", strings.Join(out.RunoffPair, " and "))
		}
		for _, m := range out.Margins {
			fmt.Fprintf(e.stdout, "  %s\n", m.Sentence)
		}
		return nil
	}
	alloc, err := tally.Allocate(seatIn)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, alloc)
	}
	for _, l := range alloc.Lists {
		fmt.Fprintf(e.stdout, "%-40s %12d votes %4d seats\n", l.Name, l.Votes, alloc.Seats[l.Name])
	}
	for _, mg := range alloc.Margins {
		fmt.Fprintf(e.stdout, "  %s\n", mg.Sentence)
	}
	return nil
}

func parseBase(s string) (tally.Base, int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return "", 0, usagef("--threshold-base: a number must be positive, got %d", n)
		}
		return tally.BaseNumber, n, nil
	}
	b, err := tally.ParseBase(s)
	if err != nil {
		return "", 0, usageError{err.Error()}
	}
	return b, 0, nil
}

// readLists reads a name,votes CSV (with that header).
func readLists(path string) ([]tally.List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", path, err)
	}
	ni, vi := -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "name":
			ni = i
		case "votes":
			vi = i
		}
	}
	if ni < 0 || vi < 0 {
		return nil, fmt.Errorf("%s:1: the header must have the columns name and votes (got %q)", path, head)
	}
	var lists []tally.List
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if len(rec) <= max(ni, vi) {
			return nil, fmt.Errorf("%s:%d: expected the columns name and votes", path, line)
		}
		v, err := strconv.ParseInt(strings.TrimSpace(rec[vi]), 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%s:%d: column \"votes\": value %q: expected a non-negative whole number", path, line, rec[vi])
		}
		lists = append(lists, tally.List{Name: strings.TrimSpace(rec[ni]), Votes: v})
	}
	if len(lists) == 0 {
		return nil, fmt.Errorf("%s: no lists", path)
	}
	return lists, nil
}
