package stored

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
	"github.com/vigil-elections/vigil/internal/store"
)

// ErrStratumNotLevel says that BuildPVTStore cannot read a stratum from
// the store's counts: it is not a single area level (attributes, or several
// keys, need every station: use BuildPVT).
var ErrStratumNotLevel = errors.New("the stratum is not one area level")

// ErrRead marks BuildPVTStore's failures to read the database, which say
// nothing of the election (the caller fails the request rather than show
// them as the PVT's answer).
var ErrRead = errors.New("reading the database")

func readErr(err error) error { return fmt.Errorf("%w: %w", ErrRead, err) }

// BuildPVTStore is BuildPVT read from the database in rows proportional
// to the sample, not to the election (issue 9: the dashboard's PVT panel
// read every area and protocol of a 1,000,000-station election): the
// strata from the areas at the stratum's level and their stations' counts,
// the official shares from the results aggregate of the root, the sample
// from the current protocols of spec.Sample. Its result is BuildPVT's for
// a stratum that is one area level; for another it returns
// ErrStratumNotLevel.
func BuildPVTStore(ctx context.Context, db *store.DB, e *election.Election, spec PVTSpec) (*PVTInput, error) {
	if spec.Stratum == "" {
		return nil, errors.New("a stratum is required: an area level (e.g. region) or a station attribute, or several joined by commas")
	}
	part := strings.TrimSpace(spec.Stratum)
	lvl := e.Config.LevelOf(part)
	if strings.Contains(spec.Stratum, ",") || lvl <= 0 {
		return nil, ErrStratumNotLevel
	}
	in, pos, err := pvtOptions(e, spec)
	if err != nil {
		return nil, err
	}
	// A station at the stratum's level or above has no area at that level:
	// BuildPVT would look for an attribute of that name, which stations
	// almost never have. Leave those elections to it.
	above, err := db.StationsAbove(ctx, e.ID, lvl, 1)
	if err != nil {
		return nil, readErr(err)
	}
	if len(above) > 0 {
		if _, ok := above[0].Attrs[part]; ok {
			return nil, ErrStratumNotLevel
		}
		return nil, fmt.Errorf("stratum %q is neither an area level above the stations (%s) nor an attribute of station %s",
			part, strings.Join(e.Config.AreaLevels, ", "), strings.Join(above[0].Path, " / "))
	}
	// The strata in the order in which BuildPVT meets their first station;
	// areas of one name at the level make one stratum, as there.
	las, err := db.LevelAreas(ctx, e.ID, lvl)
	if err != nil {
		return nil, readErr(err)
	}
	type stratum struct {
		key   string
		n     int
		first int64
	}
	byKey := map[string]*stratum{}
	var strata []*stratum
	for _, la := range las {
		if la.Stations == 0 {
			continue
		}
		st := byKey[la.Name]
		if st == nil {
			st = &stratum{key: la.Name, first: la.First}
			byKey[la.Name] = st
			strata = append(strata, st)
		}
		st.n += la.Stations
		st.first = min(st.first, la.First)
	}
	sort.Slice(strata, func(i, j int) bool { return strata[i].first < strata[j].first })
	for _, st := range strata {
		in.Strata = append(in.Strata, pvt.Stratum{Key: pvt.JoinKey(st.key), Group: st.key, N: st.n})
	}
	// The sample: each station's current protocol of the sample's source,
	// in the order of the areas.
	err = db.SampleProtocols(ctx, e.ID, spec.Sample, lvl, func(s *store.SampleProtocol) error {
		r := pvt.Report{Stratum: pvt.JoinKey(s.Stratum), Votes: make([]float64, len(pos)), Registered: float64(s.Registered), Arrival: s.Received}
		for k, p := range pos {
			if p < len(s.Votes) {
				r.Votes[k] = float64(s.Votes[p])
				r.Total += r.Votes[k]
			}
		}
		in.Reports = append(in.Reports, r)
		return nil
	})
	if err != nil {
		return nil, readErr(err)
	}
	if len(in.Reports) == 0 {
		return nil, fmt.Errorf("election %s has no %s protocols: no sample to estimate from", e.Name, spec.Sample)
	}
	// The official shares: the sums over the stations of their current
	// official protocols, which the root's aggregate keeps.
	root, err := db.RootArea(ctx, e.ID)
	if err != nil {
		return nil, readErr(err)
	}
	rows, err := db.ResultTree(ctx, e.ID, spec.Official, root.ID, 0)
	if err != nil {
		return nil, readErr(err)
	}
	var sum int64
	offVotes := make([]int64, len(pos))
	for k, p := range pos {
		if p < len(rows[0].Votes) {
			offVotes[k] = rows[0].Votes[p]
			sum += offVotes[k]
		}
	}
	if sum > 0 {
		in.Official = map[string]float64{}
		for k, o := range in.Options {
			in.Official[o] = 100 * float64(offVotes[k]) / float64(sum)
		}
	}
	return in, nil
}
