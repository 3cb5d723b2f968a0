package forensics

import "github.com/vigil-elections/vigil/internal/election"

// FromFigures reduces a station's protocol figures and option votes to the
// Station the tests need, filling the gaps that real data sets leave:
//
//   - V = registered, plus the supplementary list where there is one
//     (Georgia's special voters);
//   - G = ballots issued (as stated, or the sum of its early, in-station and
//     mobile parts); where the data has no ballots-issued figure (Uganda,
//     Albania 2013), the ballots found in the box; where neither, R;
//   - R = valid + invalid; where valid is not published (Georgia's files
//     leave it empty), invalid + the sum of the votes; where invalid is not
//     published either, the ballots in the box; else the sum of the votes;
//   - L = votes[leader].
//
// ok is false when the station has no ballots at all (it did not report, or
// its result was annulled: it would sit at 0 % turnout and distort every
// test) or leader is not an index of votes. Fallback records each
// substitution made, so that the tests can count them. Group and Control
// are left for the caller.
func FromFigures(f election.Figures, votes []int64, leader int) (s Station, ok bool) {
	if leader < 0 || leader >= len(votes) {
		return Station{}, false
	}
	var sum int64
	for _, n := range votes {
		sum += n
	}
	valid, okV := f.Get(election.Valid)
	inv, okI := f.Get(election.Invalid)
	box, okB := f.Get(election.BallotsInBox)
	switch {
	case okV && okI:
		s.R = valid + inv
	case okV:
		s.R = valid
	case okI:
		s.R = inv + sum
		s.Fallback |= FallbackRFromVotes
	case okB:
		s.R = box
		s.Fallback |= FallbackRFromBox
	default:
		s.R = sum
		s.Fallback |= FallbackRIsVotes
	}
	g, okG := f.Get(election.BallotsIssued)
	switch {
	case okG:
		s.G = g
	case okB:
		s.G = box
		s.Fallback |= FallbackIssuedFromBox
	default:
		s.G = s.R
		s.Fallback |= FallbackIssuedFromR
	}
	if s.G == 0 && s.R == 0 {
		return Station{}, false
	}
	s.V = f.Value(election.Registered) + f.Value(election.RegisteredSupplementary)
	s.L = votes[leader]
	return s, true
}
