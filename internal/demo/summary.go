package demo

// Summary is what the demo injected, for the docs and for tests that check
// that vigil finds it.
type Summary struct {
	Stations               int     `json:"stations"`
	Registered             int64   `json:"registered"`
	OfficialTurnout        float64 `json:"official_turnout"`         // per cent, ballots issued / registered
	OfficialIncumbentShare float64 `json:"official_incumbent_share"` // per cent of valid votes
	TrueIncumbentShare     float64 `json:"true_incumbent_share"`     // per cent of valid votes in the stations' own counts
	StuffedStations        int     `json:"stuffed_stations"`
	StuffedBallots         int64   `json:"stuffed_ballots"`
	AlteredProtocols       int     `json:"altered_protocols"`
	AlteredVotes           int64   `json:"altered_votes"` // votes moved to the incumbent above the station
	InflatedDistricts      int     `json:"inflated_districts"`
	PaddedSummaries        int     `json:"padded_summaries"`
	ObservedStations       int     `json:"observed_stations"`
}

// Summarise counts what Generate injected.
func Summarise(el *Election) Summary {
	s := Summary{Stations: len(el.Stations), InflatedDistricts: len(el.InflatedDistricts), PaddedSummaries: len(el.SummaryAdditions)}
	var issued, offInc, offValid, trueInc, trueValid int64
	for _, st := range el.Stations {
		s.Registered += st.Registered
		issued += st.Official.Issued()
		offInc += st.Official.Votes[Incumbent]
		offValid += st.Official.Valid()
		trueInc += st.True.Votes[Incumbent]
		trueValid += st.True.Valid()
		if st.Stuffed > 0 {
			s.StuffedStations++
			s.StuffedBallots += st.Stuffed
		}
		if st.Altered {
			s.AlteredProtocols++
			s.AlteredVotes += st.Official.Votes[Incumbent] - st.True.Votes[Incumbent]
		}
		if st.Observed {
			s.ObservedStations++
		}
	}
	s.OfficialTurnout = pct(issued, s.Registered)
	s.OfficialIncumbentShare = pct(offInc, offValid)
	s.TrueIncumbentShare = pct(trueInc, trueValid)
	return s
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
