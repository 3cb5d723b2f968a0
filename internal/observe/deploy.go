package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
	"github.com/vigil-elections/vigil/internal/store"
)

// DrawOptions describes a deployment's sample.
type DrawOptions struct {
	Seed string // published before the draw; anyone can redraw with it
	Size int    // stations to draw
	// Strata: any of "region" (the level-1 area), "urban" (the station's
	// "urban" attribute: urban or rural), "size" (registered voters in the
	// latest official protocol: small < 500, medium < 1500, large).
	Strata []string
	// MinPerStratum stations at least in every stratum (all of a smaller
	// one); default 1.
	MinPerStratum int
}

// Design is what a deployment stores of how it was drawn.
type Design struct {
	Seed          string         `json:"seed"`
	Size          int            `json:"size"`
	Strata        []string       `json:"strata"`
	Allocation    string         `json:"allocation"`
	MinPerStratum int            `json:"min_per_stratum"`
	Frame         int            `json:"frame"`
	PerStratum    map[string]int `json:"per_stratum"`
	StationIDs    string         `json:"station_ids"`
}

// StationID is a station's identifier in the sampling frame: its path
// joined with " / ". With the seed it fixes the station's random key
// (pvt.DrawKey), so the draw can be checked by anyone holding the list.
func StationID(a *election.Area) string { return strings.Join(a.Path, " / ") }

// Stratum returns a station's stratum key under the given variables.
func Stratum(a *election.Area, registered int64, hasReg bool, by []string) string {
	var parts []string
	for _, v := range by {
		switch v {
		case "region":
			r := ""
			if len(a.Path) > 0 {
				r = a.Path[0]
			}
			parts = append(parts, r)
		case "urban":
			u := strings.ToLower(a.Attrs["urban"])
			switch u {
			case "1", "true", "yes", "urban":
				u = "urban"
			case "":
				u = "unknown"
			default:
				u = "rural"
			}
			parts = append(parts, u)
		case "size":
			s := "unknown"
			if hasReg {
				switch {
				case registered < 500:
					s = "small"
				case registered < 1500:
					s = "medium"
				default:
					s = "large"
				}
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "|")
}

// DrawSample draws a stratified random sample of an election's stations
// with pvt's draw (the same sample serves the PVT) and returns the
// deployment, not yet stored.
func DrawSample(ctx context.Context, db *store.DB, orgID, electionID int64, opt DrawOptions) (*store.Deployment, error) {
	if opt.Seed == "" {
		return nil, fmt.Errorf("a draw needs a seed (publish it before the draw)")
	}
	for _, s := range opt.Strata {
		if s != "region" && s != "urban" && s != "size" {
			return nil, fmt.Errorf("stratum variable %q: want region, urban or size", s)
		}
	}
	if opt.MinPerStratum == 0 {
		opt.MinPerStratum = 1
	}
	areas, err := db.Areas(ctx, electionID)
	if err != nil {
		return nil, err
	}
	reg := map[int64]int64{}
	if slices.Contains(opt.Strata, "size") {
		for _, src := range []election.Source{election.OfficialPreliminary, election.OfficialFinal} {
			ps, err := db.Protocols(ctx, electionID, src)
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				if n, ok := p.Figures.Get(election.Registered); ok {
					reg[p.AreaID] = n
				}
			}
		}
	}
	var frame []pvt.FrameStation
	var stations []*election.Area
	var keys []string
	for i := range areas {
		a := &areas[i]
		if !a.Station {
			continue
		}
		n, ok := reg[a.ID]
		st := Stratum(a, n, ok, opt.Strata)
		frame = append(frame, pvt.FrameStation{ID: StationID(a), Stratum: st})
		stations = append(stations, a)
		keys = append(keys, st)
	}
	if len(frame) == 0 {
		return nil, fmt.Errorf("election %d has no polling stations", electionID)
	}
	if opt.Size < 1 || opt.Size > len(frame) {
		return nil, fmt.Errorf("sample size %d: want 1 to the %d stations of the election", opt.Size, len(frame))
	}
	strata, err := pvt.StrataOf(keys, nil)
	if err != nil {
		return nil, err
	}
	alloc, err := pvt.Allocate(strata, opt.Size, pvt.Proportional, opt.MinPerStratum)
	if err != nil {
		return nil, err
	}
	sel, rank, err := pvt.Draw(frame, strata, alloc, opt.Seed)
	if err != nil {
		return nil, err
	}
	d := &store.Deployment{OrgID: orgID, ElectionID: electionID, Seed: opt.Seed}
	per := map[string]int{}
	for h, s := range strata {
		per[s.Key] = alloc[h]
	}
	for _, i := range sel {
		d.Stations = append(d.Stations, store.DeployedStation{AreaID: stations[i].ID, Stratum: frame[i].Stratum, Rank: rank[i]})
	}
	d.Design, _ = json.Marshal(Design{Seed: opt.Seed, Size: opt.Size, Strata: opt.Strata, Allocation: "proportional", MinPerStratum: opt.MinPerStratum,
		Frame: len(frame), PerStratum: per, StationIDs: "area path joined with \" / \"; key = first 8 bytes of SHA-256(seed | id)"})
	return d, nil
}

// AssignTeams shares a deployment's stations among an organisation's
// teams: teams whose area is a region take that region's stations first,
// the rest go round the remaining teams; each team is also assigned the
// commissions directly above its stations (for tabulation). It returns
// the assignments, not yet stored.
func AssignTeams(d *store.Deployment, areas map[int64]*election.Area, teams []store.Team) ([]store.Assignment, error) {
	if len(teams) == 0 {
		return nil, fmt.Errorf("the organisation has no teams: import a roster first")
	}
	byRegion := map[string][]int{}
	for i, t := range teams {
		r := ""
		if len(t.Area) > 0 {
			r = t.Area[0]
		}
		byRegion[r] = append(byRegion[r], i)
	}
	next := map[string]int{}
	var out []store.Assignment
	seen := map[[2]int64]bool{}
	add := func(team, area int64) {
		k := [2]int64{team, area}
		if !seen[k] {
			seen[k] = true
			out = append(out, store.Assignment{TeamID: team, AreaID: area})
		}
	}
	rr := 0
	for _, s := range d.Stations {
		a := areas[s.AreaID]
		if a == nil {
			return nil, fmt.Errorf("station %d is not an area of the election", s.AreaID)
		}
		region := ""
		if len(a.Path) > 0 {
			region = a.Path[0]
		}
		var ti int
		if list := byRegion[region]; len(list) > 0 {
			ti = list[next[region]%len(list)]
			next[region]++
		} else {
			ti = rr % len(teams)
			rr++
		}
		add(teams[ti].ID, a.ID)
		if a.ParentID != 0 {
			if parent := areas[a.ParentID]; parent != nil && parent.Level > 0 {
				add(teams[ti].ID, parent.ID)
			}
		}
	}
	return out, nil
}
