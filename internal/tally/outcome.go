package tally

import (
	"errors"
	"fmt"
	"sort"

	"github.com/vigil-elections/vigil/internal/election"
)

// MajorityInput is a single-winner contest (presidential, referendum):
// candidates in ballot order with their votes, and the totals a majority
// may be counted against.
type MajorityInput struct {
	Candidates []List
	// Valid is the valid votes; 0 means the sum of the candidates.
	Valid int64
	// Ballots is every ballot counted, valid or invalid (valid + invalid,
	// or ballots in the box); needed for BaseParticipants.
	Ballots int64
	// Base is what the majority is counted against: BaseValid (more than
	// half of the valid votes), BaseParticipants (more than half of all
	// ballots, blank and invalid included, where the law counts "the
	// voters who took part"), or BaseNumber with BaseVotes.
	Base      Base
	BaseVotes int64
	// Runoff: without a majority the two leading candidates go to a second
	// round (presidential contests). Without it, the contest has no winner.
	Runoff bool
	// Seed breaks ties for the lead or for second place; see Rules.Seed.
	Seed uint64
}

// Standing is one candidate's result.
type Standing struct {
	Name  string  `json:"name"`
	Votes int64   `json:"votes"`
	Share float64 `json:"share"` // of the base, in per cent
}

// Outcome is the result of a single-winner contest.
type Outcome struct {
	Base      Base       `json:"base"`
	BaseVotes int64      `json:"base_votes"`
	Standings []Standing `json:"standings"` // most votes first
	// Winner has more than half of the base; empty otherwise.
	Winner string `json:"winner,omitempty"`
	// RunoffPair are the two leading candidates when a runoff is needed.
	RunoffPair []string `json:"runoff,omitempty"`
	Ties       []string `json:"ties,omitempty"`
	Margins    []Margin `json:"margins"`
}

// ErrNoVotes is returned for a contest without candidates or base.
var ErrNoVotes = errors.New("tally: no votes to decide")

// Decide finds the majority winner or the runoff pair, and the margins:
//   - with a winner W of w votes over a base B: W keeps a majority while
//     2w > B. Votes moving from W to other candidates leave B unchanged,
//     so W falls to 50 % or below after w − ⌊B/2⌋; votes moving from W to
//     invalid ballots shrink B too when B is the valid votes, so it takes
//     2w − B (when B counts every ballot, invalid ones included, the
//     number is the same as for other candidates).
//   - without a winner: the leader needs ⌊B/2⌋ + 1 − w more votes (from
//     other candidates) to win in the first round; and the runoff pair's
//     second is d votes ahead of the third: moving ⌊d/2⌋ + 1 votes from
//     the second to the third swaps them (⌈d/2⌉ when the third would win
//     the tie).
func Decide(in MajorityInput) (*Outcome, error) {
	if in.Base == "" {
		in.Base = BaseValid
	}
	var sum int64
	for _, c := range in.Candidates {
		if c.Votes < 0 {
			return nil, fmt.Errorf("tally: candidate %q has negative votes", c.Name)
		}
		sum += c.Votes
	}
	base, err := in.Base.votes(in.Valid, sum, in.Ballots, in.BaseVotes)
	if err != nil {
		return nil, err
	}
	if len(in.Candidates) == 0 || base <= 0 {
		return nil, ErrNoVotes
	}
	tb := newTieBreak(in.Candidates, in.Seed)
	order := tb.byVotes(in.Candidates)
	o := &Outcome{Base: in.Base, BaseVotes: base, Margins: []Margin{}}
	for _, i := range order {
		c := in.Candidates[i]
		o.Standings = append(o.Standings, Standing{c.Name, c.Votes, 100 * float64(c.Votes) / float64(base)})
	}
	how := "ballot order"
	if in.Seed != 0 {
		how = fmt.Sprintf("lot (seed %d)", in.Seed)
	}
	st := o.Standings
	lead := st[0]
	if len(st) > 1 && st[1].Votes == lead.Votes {
		o.Ties = append(o.Ties, fmt.Sprintf("the lead: %s tied with %s; %s put %s first", lead.Name, st[1].Name, how, lead.Name))
	}
	half := base / 2
	if 2*lead.Votes > base {
		o.Winner = lead.Name
		x := lead.Votes - half
		o.Margins = append(o.Margins, Margin{Kind: "majority", List: lead.Name, Votes: x,
			Sentence: fmt.Sprintf("%s has %d of %d votes (%.2f %%); moving %d of them to other candidates would leave no majority.", lead.Name, lead.Votes, base, lead.Share, x)})
		y := x
		if in.Base == BaseValid {
			y = 2*lead.Votes - base
		}
		o.Margins = append(o.Margins, Margin{Kind: "majority-invalid", List: lead.Name, Votes: y,
			Sentence: fmt.Sprintf("%d of %s's ballots counted invalid instead would leave no majority.", y, lead.Name)})
		return o, nil
	}
	x := half + 1 - lead.Votes
	o.Margins = append(o.Margins, Margin{Kind: "first-round", List: lead.Name, Votes: x,
		Sentence: fmt.Sprintf("%s has %d of %d votes (%.2f %%) and would need %d more, from other candidates, for a majority in the first round.", lead.Name, lead.Votes, base, lead.Share, x)})
	if !in.Runoff || len(st) < 2 {
		return o, nil
	}
	o.RunoffPair = []string{st[0].Name, st[1].Name}
	if len(st) > 2 {
		second, third := st[1], st[2]
		if second.Votes == third.Votes {
			o.Ties = append(o.Ties, fmt.Sprintf("second place: %s tied with %s; %s put %s in the runoff", second.Name, third.Name, how, second.Name))
		}
		d := second.Votes - third.Votes
		// After moving m votes: second has s−m, third t+m. Third goes
		// through when t+m > s−m, or on equality if it wins the tie.
		m := d/2 + 1
		if d%2 == 0 && d > 0 && tb.rank[order[2]] < tb.rank[order[1]] {
			m = d / 2
		}
		if d == 0 {
			m = 1
		}
		o.Margins = append(o.Margins, Margin{Kind: "runoff", List: second.Name, Other: third.Name, Votes: m,
			Sentence: fmt.Sprintf("%s is %d votes ahead of %s for the second place in the runoff; moving %d votes from %s to %s would swap them.", second.Name, d, third.Name, m, second.Name, third.Name)})
	}
	return o, nil
}

// Lists returns an election's options with their votes (by option
// position), in ballot order, leaving out "against all" lines: they count
// among the valid votes but cannot win a seat or an office.
func Lists(e *election.Election, votes []int64) []List {
	opts := append([]election.Option(nil), e.Options...)
	sort.SliceStable(opts, func(i, j int) bool { return opts[i].Position < opts[j].Position })
	var out []List
	for _, o := range opts {
		if o.Kind == election.AgainstAll || o.Position < 0 || o.Position >= len(votes) {
			continue
		}
		out = append(out, List{Name: o.Name, Votes: votes[o.Position]})
	}
	return out
}

// Participants is the number of voters who took part according to a
// protocol's figures: ballots issued, else ballots in the box, else valid +
// invalid.
func Participants(f election.Figures) (int64, bool) {
	if n, ok := f.Get(election.BallotsIssued); ok {
		return n, true
	}
	if n, ok := f.Get(election.BallotsInBox); ok {
		return n, true
	}
	v, ok1 := f.Get(election.Valid)
	i, ok2 := f.Get(election.Invalid)
	return v + i, ok1 && ok2
}

// SeatInputFrom prepares an allocation from a tabulated area (usually the
// root): its lists, valid votes and participants.
func SeatInputFrom(n *Node, rules Rules) SeatInput {
	in := SeatInput{Lists: Lists(n.election, n.Votes), Rules: rules}
	in.Valid, _ = n.Figures.Get(election.Valid)
	in.Participants, _ = Participants(n.Figures)
	return in
}

// MajorityInputFrom prepares a single-winner decision from a tabulated
// area. Ballots (for BaseParticipants) are valid + invalid, else ballots in
// the box.
func MajorityInputFrom(n *Node, base Base, runoff bool) MajorityInput {
	in := MajorityInput{Candidates: Lists(n.election, n.Votes), Base: base, Runoff: runoff}
	in.Valid, _ = n.Figures.Get(election.Valid)
	in.Ballots, _ = n.Figures.Ballots()
	return in
}
