package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
)

// The scale generator (issue 9): an election of any size up to millions
// of stations, with an observation of any number of observers, for
// benchmarks and scale tests. Unlike the demo proper (Generate, which holds
// the whole election to inject and later find its irregularities), it
// streams: each station is computed from the seed and its number alone,
// straight into an import, so memory does not grow with the stations. The
// same seed and sizes give the same database content (times aside).

// Scale sizes a generated election.
type Scale struct {
	Seed      uint64
	Stations  int // polling stations
	Observers int // observers (two to a team, a team to a station)
}

// ScaleSummary says what WriteScale stored.
type ScaleSummary struct {
	Election    string              `json:"election"`
	ElectionID  int64               `json:"election_id"`
	Stations    int                 `json:"stations"`
	Regions     int                 `json:"regions"`
	Districts   int                 `json:"districts"`
	Observation *ObservationSummary `json:"observation,omitempty"`
}

// scaleShares are the candidates' expected shares of the valid votes.
var scaleShares = []float64{0.62, 0.12, 0.09, 0.07, 0.05, 0.05}

// stationsPerDistrict and districtsPerRegion shape the hierarchy: a
// national file of a million stations has 2,500 districts in 17 regions.
const stationsPerDistrict = 400

func scaleShape(n int) (regions, districts int) {
	districts = max(1, (n+stationsPerDistrict-1)/stationsPerDistrict)
	regions = min(17, districts)
	return regions, districts
}

// scaleStation is station i's path and count, from the seed and i alone.
func scaleStation(seed uint64, i, n int) (path []string, figs election.Figures, votes []int64) {
	regions, districts := scaleShape(n)
	d := i * districts / n
	r := d % regions
	path = []string{fmt.Sprintf("Region %02d", r+1), fmt.Sprintf("District %04d", d+1), fmt.Sprintf("%07d", i+1)}
	rng := rand.New(rand.NewPCG(seed, uint64(i)+1))
	registered := int64(300 + rng.IntN(2700))
	turnout := 0.45 + 0.35*rng.Float64()
	inBox := int64(float64(registered) * turnout)
	invalid := int64(float64(inBox) * 0.01 * rng.Float64())
	valid := inBox - invalid
	votes = make([]int64, len(Candidates))
	left := valid
	for k := range votes {
		if k == len(votes)-1 {
			votes[k] = left
			break
		}
		share := scaleShares[k%len(scaleShares)] * (0.8 + 0.4*rng.Float64())
		v := min(left, int64(float64(valid)*share))
		votes[k] = v
		left -= v
	}
	figs.Set(election.Registered, registered)
	received := registered + registered/50
	figs.Set(election.BallotsReceived, received)
	figs.Set(election.BallotsCancelled, received-inBox)
	figs.Set(election.BallotsIssued, inBox)
	figs.Set(election.BallotsInBox, inBox)
	figs.Set(election.Invalid, invalid)
	figs.Set(election.Valid, valid)
	return path, figs, votes
}

// observedStation is the station of team t of teams: spread evenly.
func observedStation(t, teams, n int) int { return int(int64(t) * int64(n) / int64(teams)) }

// WriteScale generates and stores an election of s.Stations stations
// (its official final protocols, imported as one file would be) and, with
// s.Observers, an observation: a mission whose teams cover stations spread
// evenly over the country, with their reports (SeedObservation's).
func WriteScale(ctx context.Context, db *store.DB, s Scale) (*ScaleSummary, error) {
	if s.Stations < 1 || s.Stations > 10_000_000 {
		return nil, fmt.Errorf("stations: %d, want 1 to 10,000,000", s.Stations)
	}
	teams := s.Observers / 2
	if s.Observers < 0 || teams > s.Stations {
		return nil, fmt.Errorf("observers: %d, want 0 to twice the stations (%d)", s.Observers, 2*s.Stations)
	}
	name := fmt.Sprintf("scale-%d-seed-%d", s.Stations, s.Seed)
	e := &election.Election{Name: name, Kind: election.Presidential, Country: "KZ", Date: "2022-11-20",
		Config: election.Config{AreaLevels: []string{"region", "district", "station"}, Title: fmt.Sprintf("Synthetic election of %d stations (seed %d)", s.Stations, s.Seed)}}
	for i, c := range Candidates {
		k := election.Candidate
		if c == "Against all" {
			k = election.AgainstAll
		}
		e.Options = append(e.Options, election.Option{Position: i, Name: c, Kind: k})
	}
	i := 0
	next := func() (store.Row, error) {
		if i == s.Stations {
			return store.Row{}, io.EOF
		}
		path, figs, votes := scaleStation(s.Seed, i, s.Stations)
		i++
		return store.Row{Line: i + 1, Path: path, Figures: figs, Votes: votes}, nil
	}
	if _, err := db.Import(ctx, store.ImportRequest{Create: e, Source: election.OfficialFinal, File: "scale:final",
		SHA256: fmt.Sprintf("scale-%d-seed-%d", s.Stations, s.Seed), Options: Candidates}, next); err != nil {
		return nil, err
	}
	regions, districts := scaleShape(s.Stations)
	sum := &ScaleSummary{Election: name, ElectionID: e.ID, Stations: s.Stations, Regions: regions, Districts: districts}
	if teams == 0 {
		return sum, nil
	}
	// The observation: each team's station, with its count as the
	// observers copy it (the same as the official one: nothing injected).
	facts := Observation{Organisation: "Scale Observation Mission", Protocols: true}
	for t := range teams {
		path, figs, votes := scaleStation(s.Seed, observedStation(t, teams, s.Stations), s.Stations)
		facts.Stations = append(facts.Stations, ObservedStation{Path: path, Figures: figs, Votes: votes})
	}
	obs, err := SeedObservation(ctx, db, e.ID, s.Seed, facts)
	if err != nil {
		return nil, fmt.Errorf("seeding the observation: %w", err)
	}
	sum.Observation = obs
	return sum, nil
}
