package election

import (
	"encoding/json"
	"fmt"
)

// Figure names one number of a results protocol other than the votes.
type Figure int

// The standard protocol figures. Ballots issued is kept both as its parts
// (early, in the station, outside it by the mobile box) and as the total the
// protocol states, because some countries publish only the total and a
// protocol whose parts do not add up to its total is itself a finding.
const (
	Registered              Figure = iota // voters on the list
	RegisteredSupplementary               // added on election day (supplementary lists)
	BallotsReceived                       // by the commission
	BallotsIssuedEarly
	BallotsIssuedStation
	BallotsIssuedMobile
	BallotsIssued // the total; derived from the parts when absent
	BallotsCancelled
	BallotsLost
	BallotsInBox // ballots found in the boxes (stationary + mobile)
	Invalid
	Valid
	NumFigures
)

var figureNames = [NumFigures]string{
	"registered", "registered_supplementary", "ballots_received",
	"ballots_issued_early", "ballots_issued_station", "ballots_issued_mobile",
	"ballots_issued", "ballots_cancelled", "ballots_lost", "ballots_in_box",
	"invalid", "valid",
}

// String is the figure's name in mappings, JSON and the database.
func (f Figure) String() string {
	if f < 0 || f >= NumFigures {
		return fmt.Sprintf("figure(%d)", int(f))
	}
	return figureNames[f]
}

// ParseFigure finds a figure by name.
func ParseFigure(name string) (Figure, bool) {
	for i, n := range figureNames {
		if n == name {
			return Figure(i), true
		}
	}
	return 0, false
}

// MaxCount bounds every figure and every option's votes on one protocol, as
// read from a file or reported by an observer: no count of voters, ballots
// or votes can exceed the world's population, and 10^10 is above it. With
// every cell at most MaxCount, the sum of any 922 million of them (stations
// × options, far beyond any election) fits in an int64, so tallies cannot
// overflow; a larger cell is refused where it enters, with its place.
const MaxCount int64 = 10_000_000_000

// Figures are a protocol's figures. A figure can be absent (the country or
// the data set does not publish it), which is not the same as zero.
type Figures struct {
	v     [NumFigures]int64
	known uint32
}

// Set records a figure.
func (f *Figures) Set(fig Figure, n int64) {
	f.v[fig] = n
	f.known |= 1 << fig
}

// Add adds n to a figure, making it known.
func (f *Figures) Add(fig Figure, n int64) {
	f.v[fig] += n
	f.known |= 1 << fig
}

// Unset forgets a figure.
func (f *Figures) Unset(fig Figure) {
	f.v[fig] = 0
	f.known &^= 1 << fig
}

// Get returns a figure and whether it is known. Ballots issued, when the
// protocol does not state it, is the sum of its known parts.
func (f Figures) Get(fig Figure) (int64, bool) {
	if f.known&(1<<fig) != 0 {
		return f.v[fig], true
	}
	if fig == BallotsIssued {
		var sum int64
		any := false
		for _, p := range []Figure{BallotsIssuedEarly, BallotsIssuedStation, BallotsIssuedMobile} {
			if n, ok := f.Get(p); ok {
				sum += n
				any = true
			}
		}
		return sum, any
	}
	return 0, false
}

// Value returns a figure, zero when absent.
func (f Figures) Value(fig Figure) int64 {
	n, _ := f.Get(fig)
	return n
}

// Has reports whether a figure is stated (not derived).
func (f Figures) Has(fig Figure) bool { return f.known&(1<<fig) != 0 }

// AddFigures adds every known figure of g into f (for tabulation). A figure
// known in any summand is known in the sum.
func (f *Figures) AddFigures(g Figures) {
	for i := Figure(0); i < NumFigures; i++ {
		if g.Has(i) {
			f.Add(i, g.v[i])
		}
	}
}

// Ballots returns R = valid + invalid, the ballots counted, when both are
// known; otherwise ballots in box.
func (f Figures) Ballots() (int64, bool) {
	v, ok1 := f.Get(Valid)
	i, ok2 := f.Get(Invalid)
	if ok1 && ok2 {
		return v + i, true
	}
	return f.Get(BallotsInBox)
}

// Map returns the known figures by name, with ballots issued derived.
func (f Figures) Map() map[string]int64 {
	m := make(map[string]int64, NumFigures)
	for i := Figure(0); i < NumFigures; i++ {
		if n, ok := f.Get(i); ok {
			m[i.String()] = n
		}
	}
	return m
}

// MarshalJSON writes the known figures as an object by name (ballots issued
// included, derived where not stated).
func (f Figures) MarshalJSON() ([]byte, error) { return json.Marshal(f.Map()) }

// UnmarshalJSON reads an object by figure name.
func (f *Figures) UnmarshalJSON(b []byte) error {
	var m map[string]int64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*f = Figures{}
	for k, n := range m {
		fig, ok := ParseFigure(k)
		if !ok {
			return fmt.Errorf("unknown protocol figure %q", k)
		}
		f.Set(fig, n)
	}
	return nil
}
