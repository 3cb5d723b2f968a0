package demo

import (
	"github.com/vigil-elections/vigil/internal/election"
)

// ObservationFacts gives the observation seeder what happened at each
// observed station: its path, whether ballots were stuffed, whether the
// official protocol was altered above it, and the station's own count,
// which the observers copy.
func ObservationFacts(el *Election) Observation {
	var f Observation
	for _, st := range el.Stations {
		if !st.Observed {
			continue
		}
		c := st.True
		var figs election.Figures
		figs.Set(election.Registered, st.Registered)
		figs.Set(election.BallotsReceived, c.Received)
		figs.Set(election.BallotsIssued, c.Issued())
		figs.Set(election.BallotsCancelled, c.Cancelled)
		figs.Set(election.BallotsInBox, c.InBox)
		figs.Set(election.Invalid, c.Invalid)
		figs.Set(election.Valid, c.Valid())
		f.Stations = append(f.Stations, ObservedStation{Path: []string{st.Region, st.District, st.Number},
			Stuffed: st.Stuffed > 0, Altered: st.Altered, Figures: figs, Votes: c.Votes})
	}
	return f
}
