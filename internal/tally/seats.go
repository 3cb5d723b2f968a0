package tally

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Method is a seat allocation method.
type Method string

// The seat allocation methods.
const (
	// Hare is the Hare quota (valid votes of the lists in the allocation
	// over the seats) with largest remainders, as Kazakhstan's election law
	// uses for the Mazhilis.
	Hare Method = "hare"
	// DHondt is the highest-averages method with divisors 1, 2, 3, …
	DHondt Method = "dhondt"
	// SainteLague is the highest-averages method with divisors 1, 3, 5, …
	SainteLague Method = "sainte-lague"
)

// Methods lists the methods in a stable order.
var Methods = []Method{Hare, DHondt, SainteLague}

// ParseMethod checks a method name; it also accepts "d'hondt",
// "largest-remainder" and "webster".
func ParseMethod(s string) (Method, error) {
	switch s {
	case "hare", "largest-remainder", "hare-niemeyer":
		return Hare, nil
	case "dhondt", "d'hondt", "jefferson":
		return DHondt, nil
	case "sainte-lague", "saint-lague", "webster":
		return SainteLague, nil
	}
	return "", fmt.Errorf("unknown seat allocation method %q (want hare, dhondt or sainte-lague)", s)
}

// Base is what a threshold or a majority is a percentage of.
type Base string

// The bases of thresholds and majorities.
const (
	// BaseValid: the valid votes (the sum of all lists' votes when the
	// valid figure is not given).
	BaseValid Base = "valid"
	// BaseParticipants: every voter who took part, valid or not (ballots
	// issued, or ballots in the box), as Kazakhstan's law counts the 7 %
	// threshold: "votes of the voters who took part in the voting".
	BaseParticipants Base = "participants"
	// BaseNumber: a number given (Rules.BaseVotes).
	BaseNumber Base = "number"
)

// votes is the number of votes base b stands for: the valid votes (their
// sum over the lists or candidates, sum, when valid is not given), the
// participants, or the number given. Allocate and Decide both count their
// base here.
func (b Base) votes(valid, sum, participants, given int64) (int64, error) {
	switch b {
	case BaseValid:
		if valid == 0 {
			return sum, nil
		}
		return valid, nil
	case BaseParticipants:
		return participants, nil
	case BaseNumber:
		return given, nil
	}
	return 0, fmt.Errorf("unknown base %q", b)
}

// ParseBase checks a base name.
func ParseBase(s string) (Base, error) {
	switch Base(s) {
	case BaseValid, BaseParticipants, BaseNumber:
		return Base(s), nil
	}
	return "", fmt.Errorf("unknown base %q (want valid, participants or number)", s)
}

// List is a party list, or a candidate, with its votes. Order matters: the
// order of a []List is the ballot order, which decides ties when no lot
// seed is given.
type List struct {
	Name  string `json:"name"`
	Votes int64  `json:"votes"`
}

// Rules are the rules of a seat allocation.
type Rules struct {
	Method Method `json:"method"`
	Seats  int    `json:"total_seats"`
	// Threshold is the legal threshold in per cent (7 for 7 %); 0 for none.
	// A list passes with at least Threshold % of the base.
	Threshold float64 `json:"threshold"`
	Base      Base    `json:"base"`
	// BaseVotes is the base when Base is BaseNumber.
	BaseVotes int64 `json:"-"`
	// MinLists is the fewest lists that take part in the allocation. When
	// fewer pass the threshold, the lists with the most votes below it are
	// admitted, one by one, until MinLists have (Kazakhstan's law: at
	// least two parties enter the Mazhilis). 0 or 1 means no such rule.
	MinLists int `json:"min_lists,omitempty"`
	// Seed, when not zero, breaks ties by lot: a random order of the lists
	// drawn from a PCG generator seeded with it, the same for the same
	// seed. When zero, ties go to the list earlier on the ballot (in
	// Kazakhstan the party registered first). Either way, more votes win a
	// tie first.
	Seed uint64 `json:"seed,omitempty"`
}

// SeatInput is what an allocation needs: the lists and the totals that a
// threshold's base may be.
type SeatInput struct {
	Lists []List
	// Valid is the valid votes; 0 means the sum of the lists.
	Valid int64
	// Participants is the number of voters who took part (ballots issued,
	// or in the box); needed for BaseParticipants.
	Participants int64
	Rules
}

// ListSeats is one list's part in an allocation.
type ListSeats struct {
	Name  string  `json:"name"`
	Votes int64   `json:"votes"`
	Share float64 `json:"share"` // of the base, in per cent
	// Passed: above the threshold. Admitted: below it, but admitted by the
	// MinLists rule.
	Passed   bool `json:"passed"`
	Admitted bool `json:"admitted,omitempty"`
	Seats    int  `json:"seats"`
}

// Allocation is the result of a seat allocation; its JSON is what
// `vigil seats --json` prints.
type Allocation struct {
	Seats map[string]int `json:"seats"`
	Rules
	BaseVotes int64 `json:"base_votes"`
	// ThresholdVotes is the fewest votes that pass the threshold.
	ThresholdVotes int64       `json:"threshold_votes"`
	Passed         []string    `json:"passed"`
	Admitted       []string    `json:"admitted,omitempty"`
	Lists          []ListSeats `json:"lists"`
	// Ties describes every seat that a tie decided, and how.
	Ties    []string `json:"ties,omitempty"`
	Margins []Margin `json:"margins"`
}

// Margin is how many votes would change one part of an outcome.
type Margin struct {
	// Kind is "threshold", "seat", "majority", "majority-invalid",
	// "first-round" or "runoff".
	Kind  string `json:"kind"`
	List  string `json:"list"`
	Other string `json:"other,omitempty"`
	// Votes is the fewest votes that change the outcome in the way the
	// sentence says.
	Votes    int64  `json:"votes"`
	Sentence string `json:"sentence"`
}

// Errors of Allocate.
var (
	ErrNoSeats = errors.New("tally: no seats to allocate")
	ErrNoBase  = errors.New("tally: the threshold's base is zero or unknown")
)

// Allocate applies the threshold, the minimum-lists rule and the method,
// and computes the margins. It returns ErrNoSeats or ErrNoBase, or an error
// for an unknown method or base, or negative votes.
func Allocate(in SeatInput) (*Allocation, error) {
	if in.Seats <= 0 {
		return nil, ErrNoSeats
	}
	if in.Method == "" {
		in.Method = Hare
	}
	if _, err := ParseMethod(string(in.Method)); err != nil {
		return nil, err
	}
	if in.Base == "" {
		in.Base = BaseValid
	}
	var sum int64
	for _, l := range in.Lists {
		if l.Votes < 0 {
			return nil, fmt.Errorf("tally: list %q has negative votes", l.Name)
		}
		sum += l.Votes
	}
	base, err := in.Base.votes(in.Valid, sum, in.Participants, in.BaseVotes)
	if err != nil {
		return nil, err
	}
	if base <= 0 && in.Threshold > 0 {
		return nil, ErrNoBase
	}
	a := &Allocation{Seats: map[string]int{}, Rules: in.Rules, BaseVotes: base, Passed: []string{}}
	a.ThresholdVotes = thresholdVotes(in.Threshold, base)
	tb := newTieBreak(in.Lists, in.Seed)

	a.Lists = make([]ListSeats, len(in.Lists))
	eligible := make([]bool, len(in.Lists))
	n := 0
	for i, l := range in.Lists {
		a.Lists[i] = ListSeats{Name: l.Name, Votes: l.Votes}
		if base > 0 {
			a.Lists[i].Share = 100 * float64(l.Votes) / float64(base)
		}
		if l.Votes > 0 && l.Votes >= a.ThresholdVotes {
			a.Lists[i].Passed, eligible[i] = true, true
			a.Passed = append(a.Passed, l.Name)
			n++
		}
	}
	if n < in.MinLists {
		for _, i := range tb.byVotes(in.Lists) {
			if n >= in.MinLists {
				break
			}
			if eligible[i] || in.Lists[i].Votes == 0 {
				continue
			}
			eligible[i] = true
			a.Lists[i].Admitted = true
			a.Admitted = append(a.Admitted, in.Lists[i].Name)
			n++
		}
	}
	votes := make([]int64, len(in.Lists))
	for i, l := range in.Lists {
		if eligible[i] {
			votes[i] = l.Votes
		}
	}
	seats, ties := allocate(in.Method, votes, in.Seats, tb)
	for i := range a.Lists {
		a.Lists[i].Seats = seats[i]
		if eligible[i] {
			a.Seats[a.Lists[i].Name] = seats[i]
		}
	}
	for _, t := range ties {
		a.Ties = append(a.Ties, t.describe(in.Lists, in.Seed))
	}
	a.Margins = append(thresholdMargins(a, in.Threshold), seatMargins(in.Method, in.Lists, votes, in.Seats, seats, tb)...)
	return a, nil
}

// thresholdVotes is the fewest votes v with v ≥ t % of base.
func thresholdVotes(t float64, base int64) int64 {
	if t <= 0 {
		return 0
	}
	v := int64(math.Ceil(t * float64(base) / 100))
	// Guard against rounding in the float product.
	for v > 0 && float64(v-1)*100 >= t*float64(base) {
		v--
	}
	for float64(v)*100 < t*float64(base) {
		v++
	}
	return v
}

func thresholdMargins(a *Allocation, t float64) []Margin {
	if t <= 0 {
		return nil
	}
	var out []Margin
	need := a.ThresholdVotes
	for _, l := range a.Lists {
		if l.Passed {
			x := l.Votes - need + 1
			out = append(out, Margin{Kind: "threshold", List: l.Name, Votes: x,
				Sentence: fmt.Sprintf("%s has %d votes, %d above the %g %% threshold of %d; losing %d would put it under.", l.Name, l.Votes, l.Votes-need, t, need, x)})
		} else {
			x := need - l.Votes
			out = append(out, Margin{Kind: "threshold", List: l.Name, Votes: x,
				Sentence: fmt.Sprintf("%s has %d votes; %d more would take it over the %g %% threshold of %d.", l.Name, l.Votes, x, t, need)})
		}
	}
	return out
}

// tieBreak orders lists for ties: rank[i] lower wins.
type tieBreak struct{ rank []int }

func newTieBreak(lists []List, seed uint64) tieBreak {
	rank := make([]int, len(lists))
	if seed == 0 {
		for i := range rank {
			rank[i] = i
		}
		return tieBreak{rank}
	}
	perm := rand.New(rand.NewPCG(seed, 0x76696769)).Perm(len(lists))
	for k, i := range perm {
		rank[i] = k
	}
	return tieBreak{rank}
}

// byVotes returns list indexes by votes, most first, ties by the rule.
func (tb tieBreak) byVotes(lists []List) []int {
	idx := make([]int, len(lists))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(x, y int) bool {
		i, j := idx[x], idx[y]
		if lists[i].Votes != lists[j].Votes {
			return lists[i].Votes > lists[j].Votes
		}
		return tb.rank[i] < tb.rank[j]
	})
	return idx
}

// tie records a seat decided between lists equal on the method's measure.
type tie struct {
	seat   int   // 1-based seat number in the order awarded (0 for Hare's remainder seats: see remainder)
	winner int   // list index
	losers []int // list indexes
	byVote bool  // decided by votes, not by ballot order or lot
}

func (t tie) describe(lists []List, seed uint64) string {
	names := ""
	for k, i := range t.losers {
		if k > 0 {
			names += ", "
		}
		names += lists[i].Name
	}
	how := "ballot order"
	if seed != 0 {
		how = fmt.Sprintf("lot (seed %d)", seed)
	}
	if t.byVote {
		how = "more votes"
	}
	return fmt.Sprintf("seat %d: %s tied with %s; %s gave it to %s", t.seat, lists[t.winner].Name, names, how, lists[t.winner].Name)
}

// allocate distributes seats among lists with votes > 0 (a zero means the
// list takes no part). It returns the seats per list and the ties decided.
func allocate(m Method, votes []int64, seats int, tb tieBreak) ([]int, []tie) {
	if m == Hare {
		return largestRemainder(votes, seats, tb)
	}
	return highestAverages(m, votes, seats, tb)
}

// divisor of the method for a list that holds s seats.
func divisor(m Method, s int) int64 {
	if m == SainteLague {
		return int64(2*s + 1)
	}
	return int64(s + 1)
}

// cmpQuot compares v1/d1 with v2/d2 exactly.
func cmpQuot(v1, d1, v2, d2 int64) int {
	l, r := v1*d2, v2*d1
	switch {
	case l > r:
		return 1
	case l < r:
		return -1
	}
	return 0
}

func highestAverages(m Method, votes []int64, seats int, tb tieBreak) ([]int, []tie) {
	got := make([]int, len(votes))
	var ties []tie
	prefer := func(i, j int) bool { // i wins a tie against j
		if votes[i] != votes[j] {
			return votes[i] > votes[j]
		}
		return tb.rank[i] < tb.rank[j]
	}
	for s := 1; s <= seats; s++ {
		best := -1
		for i, v := range votes {
			if v > 0 && (best < 0 || cmpQuot(v, divisor(m, got[i]), votes[best], divisor(m, got[best])) > 0) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		var tied []int
		for i, v := range votes {
			if v > 0 && cmpQuot(v, divisor(m, got[i]), votes[best], divisor(m, got[best])) == 0 {
				tied = append(tied, i)
			}
		}
		if len(tied) > 1 {
			winner := tied[0]
			for _, j := range tied[1:] {
				if prefer(j, winner) {
					winner = j
				}
			}
			t := tie{seat: s, winner: winner, byVote: true}
			for _, j := range tied {
				if j != winner {
					t.losers = append(t.losers, j)
					if votes[j] == votes[winner] {
						t.byVote = false
					}
				}
			}
			ties = append(ties, t)
			best = winner
		}
		got[best]++
	}
	return got, ties
}

func largestRemainder(votes []int64, seats int, tb tieBreak) ([]int, []tie) {
	got := make([]int, len(votes))
	var total int64
	for _, v := range votes {
		if v > 0 {
			total += v
		}
	}
	if total == 0 {
		return got, nil
	}
	// seats·v = q·total + rem: q whole quotas, rem/total the remainder,
	// all in integers so that equal remainders compare equal.
	rem := make([]int64, len(votes))
	var idx []int
	left := seats
	for i, v := range votes {
		if v <= 0 {
			continue
		}
		q := v * int64(seats) / total
		rem[i] = v*int64(seats) - q*total
		got[i] = int(q)
		left -= int(q)
		idx = append(idx, i)
	}
	sort.SliceStable(idx, func(x, y int) bool {
		i, j := idx[x], idx[y]
		if rem[i] != rem[j] {
			return rem[i] > rem[j]
		}
		if votes[i] != votes[j] {
			return votes[i] > votes[j]
		}
		return tb.rank[i] < tb.rank[j]
	})
	var ties []tie
	awarded := seats - left
	for k := 0; k < left && len(idx) > 0; k++ {
		i := idx[k%len(idx)]
		got[i]++
		awarded++
		// A tie matters when the first list left out has the same remainder.
		if k == left-1 && left < len(idx) {
			var losers []int
			for _, j := range idx[left:] {
				if rem[j] == rem[i] {
					losers = append(losers, j)
				}
			}
			if len(losers) > 0 {
				t := tie{seat: awarded, winner: i, losers: losers, byVote: true}
				for _, j := range losers {
					if votes[j] == votes[i] {
						t.byVote = false
					}
				}
				ties = append(ties, t)
			}
		}
	}
	return got, ties
}

// seatMargins finds the fewest votes that, moved from one list in the
// allocation to another, move a seat between them: for every ordered pair
// (a list holding a seat, another list in the allocation) a binary search
// on the number of votes moved, reallocating each time. Moving votes
// between lists keeps the total, so under Hare only the two remainders
// change, and under the divisor methods only the two lists' quotients: the
// search finds exactly the point where the losing list's next quotient (or
// remainder) overtakes the winning list's last one. Both methods are
// monotone under such a transfer, which makes the search valid.
func seatMargins(m Method, lists []List, votes []int64, seats int, base []int, tb tieBreak) []Margin {
	best := Margin{Votes: -1}
	var bestA, bestB int
	w := make([]int64, len(votes))
	for a := range votes {
		if base[a] == 0 {
			continue
		}
		for b := range votes {
			if b == a || votes[b] <= 0 {
				continue
			}
			changed := func(x int64) bool {
				copy(w, votes)
				w[a] -= x
				w[b] += x
				got, _ := allocate(m, w, seats, tb)
				return got[b] > base[b]
			}
			if !changed(votes[a]) {
				continue
			}
			lo, hi := int64(0), votes[a] // changed(hi) true, changed(lo) false
			for hi-lo > 1 {
				mid := lo + (hi-lo)/2
				if changed(mid) {
					hi = mid
				} else {
					lo = mid
				}
			}
			if best.Votes < 0 || hi < best.Votes {
				best = Margin{Kind: "seat", List: lists[a].Name, Other: lists[b].Name, Votes: hi}
				bestA, bestB = a, b
			}
		}
	}
	if best.Votes < 0 {
		return nil
	}
	// Who gives up the seat: usually the list the votes come from, but
	// not always.
	copy(w, votes)
	w[bestA] -= best.Votes
	w[bestB] += best.Votes
	got, _ := allocate(m, w, seats, tb)
	loser := best.List
	for i := range got {
		if got[i] < base[i] {
			loser = lists[i].Name
			break
		}
	}
	best.Sentence = fmt.Sprintf("Moving %d votes from %s to %s would give %s one more seat, taken from %s: the closest seat under %s.",
		best.Votes, best.List, best.Other, best.Other, loser, m)
	return []Margin{best}
}
