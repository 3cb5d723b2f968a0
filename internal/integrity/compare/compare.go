// Package compare sets the protocols observers copied at polling stations
// against the official ones, station by station, and says what the
// differences do to the outcome. A copy signed by the station's commission
// and an official protocol that differ from it are the most direct evidence
// that figures changed above the station: this package counts it, names
// every station, and answers the question a statement has to answer — would
// the outcome be different without the altered protocols?
package compare

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/tally"
)

// StationDiff is one station whose two protocols differ.
type StationDiff struct {
	AreaID  int64  `json:"area_id"`
	Station string `json:"station"`
	// Differences lists each figure or option that differs (A is the
	// official protocol, B the copy).
	Differences []tally.Diff `json:"differences"`
	// LeaderChange is the leader's official votes minus the copy's.
	LeaderChange int64 `json:"leader_change"`
}

// Outcome is who wins (or who goes to a runoff) under one set of protocols.
type Outcome struct {
	Description string             `json:"description"`
	Winner      string             `json:"winner,omitempty"`
	Runoff      []string           `json:"runoff,omitempty"`
	Seats       map[string]int     `json:"seats,omitempty"`
	Shares      map[string]float64 `json:"shares"` // per cent of valid votes
	LeaderShare float64            `json:"leader_share"`
}

// Report is the comparison of an official source with observers' copies.
type Report struct {
	Official         election.Source `json:"official"`
	Copies           election.Source `json:"copies"`
	Leader           string          `json:"leader"`
	StationsCompared int             `json:"stations_compared"`
	StationsDiffer   int             `json:"stations_differ"`
	// LeaderChange is the leader's official total minus the copies' total,
	// over the stations compared.
	LeaderChange int64         `json:"leader_change"`
	Stations     []StationDiff `json:"stations"`
	// As published, without the stations whose protocols differ, and with
	// the copies in their place.
	OfficialOutcome  Outcome `json:"official_outcome"`
	WithoutAltered   Outcome `json:"without_altered"`
	CopiesSubstitute Outcome `json:"copies_substituted"`
	OutcomeChanges   bool    `json:"outcome_changes"`
	Sentence         string  `json:"sentence"`
	// Tree is the same comparison summed at every level.
	Tree *tally.DiffNode `json:"tree"`
}

// Rules decide the outcome: a majority with a runoff (presidential), or a
// seat allocation when Seats.Seats > 0.
type Rules struct {
	Seats tally.Rules
}

// Compare compares, at every station that has both, the protocol chosen by
// official with the one chosen by copies. leader is the option whose
// change is reported (the official winner when empty).
func Compare(e *election.Election, ix *tally.Index, protocols []*election.Protocol, official, copies election.Source, leader string, rules Rules) (*Report, error) {
	offSel := tally.Selector{Sources: []election.Source{official}}
	cpySel := tally.Selector{Sources: []election.Source{copies}}
	off, _ := tally.Choose(ix, protocols, offSel)
	cpy, _ := tally.Choose(ix, protocols, cpySel)

	nat := tally.TabulateChosen(e, ix, off, 0)
	root := 0
	if r := ix.Roots(); len(r) > 0 {
		root = int(r[0])
	}
	li := -1
	if leader != "" {
		if li = e.OptionIndex(leader); li < 0 {
			return nil, fmt.Errorf("%q is not an option of %s", leader, e.Name)
		}
	} else {
		votes := nat.Votes(root)
		for k, v := range votes {
			if li < 0 || v > votes[li] {
				li = k
			}
		}
		if li < 0 {
			return nil, fmt.Errorf("election %s has no options", e.Name)
		}
	}
	rep := &Report{Official: official, Copies: copies, Leader: e.Options[li].Name, Stations: []StationDiff{}}

	without := append([]*election.Protocol(nil), off...)
	substituted := append([]*election.Protocol(nil), off...)
	for i := range off {
		a, b := off[i], cpy[i]
		if a == nil || b == nil {
			continue
		}
		rep.StationsCompared++
		d := diff(e, a, b)
		if len(d) == 0 {
			continue
		}
		ch := vote(a, li) - vote(b, li)
		rep.StationsDiffer++
		rep.LeaderChange += ch
		rep.Stations = append(rep.Stations, StationDiff{AreaID: a.AreaID, Station: strings.Join(ix.Area(i).Path, " / "), Differences: d, LeaderChange: ch})
		without[i] = nil
		substituted[i] = b
	}
	sort.SliceStable(rep.Stations, func(i, j int) bool { return rep.Stations[i].LeaderChange > rep.Stations[j].LeaderChange })

	var err error
	if rep.OfficialOutcome, err = outcome(e, ix, off, root, li, rules, "as published"); err != nil {
		return nil, err
	}
	if rep.WithoutAltered, err = outcome(e, ix, without, root, li, rules, "without the stations whose protocols differ"); err != nil {
		return nil, err
	}
	if rep.CopiesSubstitute, err = outcome(e, ix, substituted, root, li, rules, "with the observers' copies in place of the official protocols that differ"); err != nil {
		return nil, err
	}
	rep.OutcomeChanges = !same(rep.OfficialOutcome, rep.WithoutAltered) || !same(rep.OfficialOutcome, rep.CopiesSubstitute)
	rep.Tree = tally.Compare(e, ix, protocols, offSel, cpySel).Node(root, root0Level(ix, root)+1)
	rep.Sentence = sentence(rep)
	return rep, nil
}

func root0Level(ix *tally.Index, root int) int { return ix.Area(root).Level }

func vote(p *election.Protocol, k int) int64 {
	if k < len(p.Votes) {
		return p.Votes[k]
	}
	return 0
}

// diff lists the figures and options that differ between a and b; figures
// absent from either are not compared.
func diff(e *election.Election, a, b *election.Protocol) []tally.Diff {
	var out []tally.Diff
	for f := election.Figure(0); f < election.NumFigures; f++ {
		x, ok1 := a.Figures.Get(f)
		y, ok2 := b.Figures.Get(f)
		if ok1 && ok2 && x != y {
			out = append(out, tally.Diff{Item: f.String(), A: x, B: y, Difference: x - y, Stations: 1})
		}
	}
	for _, o := range e.Options {
		x, y := vote(a, o.Position), vote(b, o.Position)
		if x != y {
			out = append(out, tally.Diff{Item: o.Name, A: x, B: y, Difference: x - y, Stations: 1})
		}
	}
	return out
}

func outcome(e *election.Election, ix *tally.Index, chosen []*election.Protocol, root, li int, rules Rules, desc string) (Outcome, error) {
	res := tally.TabulateChosen(e, ix, chosen, 0)
	votes := res.Votes(root)
	figs := res.Figures(root)
	o := Outcome{Description: desc, Shares: map[string]float64{}}
	var valid int64
	for _, v := range votes {
		valid += v
	}
	if valid > 0 {
		for _, opt := range e.Options {
			o.Shares[opt.Name] = 100 * float64(votes[opt.Position]) / float64(valid)
		}
		o.LeaderShare = o.Shares[e.Options[li].Name]
	}
	lists := make([]tally.List, len(e.Options))
	for _, opt := range e.Options {
		lists[opt.Position] = tally.List{Name: opt.Name, Votes: votes[opt.Position]}
	}
	participants, _ := figs.Get(election.BallotsIssued)
	if rules.Seats.Seats > 0 {
		a, err := tally.Allocate(tally.SeatInput{Lists: lists, Valid: valid, Participants: participants, Rules: rules.Seats})
		if err != nil {
			return o, err
		}
		o.Seats = a.Seats
		return o, nil
	}
	ballots, _ := figs.Ballots()
	d, err := tally.Decide(tally.MajorityInput{Candidates: lists, Valid: valid, Ballots: ballots, Base: tally.BaseValid, Runoff: true})
	if err != nil {
		return o, err
	}
	o.Winner, o.Runoff = d.Winner, d.RunoffPair
	return o, nil
}

func same(a, b Outcome) bool {
	if a.Winner != b.Winner || strings.Join(a.Runoff, "|") != strings.Join(b.Runoff, "|") || len(a.Seats) != len(b.Seats) {
		return false
	}
	for k, v := range a.Seats {
		if b.Seats[k] != v {
			return false
		}
	}
	return true
}

func describe(o Outcome) string {
	switch {
	case o.Seats != nil:
		var parts []string
		for k, v := range o.Seats {
			if v > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", k, v))
			}
		}
		sort.Strings(parts)
		return "seats " + strings.Join(parts, ", ")
	case o.Winner != "":
		return fmt.Sprintf("%s wins with %.2f %% of the valid votes", o.Winner, o.Shares[o.Winner])
	case len(o.Runoff) == 2:
		return fmt.Sprintf("a runoff between %s and %s", o.Runoff[0], o.Runoff[1])
	}
	return "no outcome"
}

func sentence(r *Report) string {
	if r.StationsCompared == 0 {
		return fmt.Sprintf("No station has both an %s protocol and an %s copy: nothing to compare.", r.Official, r.Copies)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The %s protocols differ from the %s copies at %d of %d stations compared", r.Official, r.Copies, r.StationsDiffer, r.StationsCompared)
	if r.StationsDiffer == 0 {
		b.WriteString(".")
		return b.String()
	}
	switch {
	case r.LeaderChange > 0:
		fmt.Fprintf(&b, "; there, %s has %d more votes in the official protocols than in the copies", r.Leader, r.LeaderChange)
	case r.LeaderChange < 0:
		fmt.Fprintf(&b, "; there, %s has %d fewer votes in the official protocols than in the copies", r.Leader, -r.LeaderChange)
	}
	fmt.Fprintf(&b, ". As published: %s. Without those stations: %s. With the copies in their place: %s. ",
		describe(r.OfficialOutcome), describe(r.WithoutAltered), describe(r.CopiesSubstitute))
	if r.OutcomeChanges {
		b.WriteString("The differences change the outcome.")
	} else {
		b.WriteString("The differences do not change the outcome on their own; they are evidence about the tabulation, not a different winner.")
	}
	return b.String()
}
