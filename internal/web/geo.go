package web

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
)

// An election's stored geography (outlines from vigil geo import, or the
// demo's synthetic ones, and the stations' points), loaded once per change
// of the election: the portal's map (internal/web/portal) and a report's
// staff page (staff_report_geo.go) read it.

// geoTTL bounds how long a loaded geography is served before it is read
// again; a new import shows at once, through the change sequence.
const geoTTL = 5 * time.Minute

// elGeo is an election's stored geography.
type elGeo struct {
	shapes    map[int64]json.RawMessage // by area id
	levels    map[int]bool              // the levels that have outlines
	points    map[int64][2]float64      // stations' [lon, lat], by area id
	synthetic bool
	sources   []string
	at        time.Time
	seq       int64 // the election's sequence of election changes when loaded
}

// geography returns the election's stored outlines (possibly none).
func (s *Server) geography(ctx context.Context, e *election.Election) (*elGeo, error) {
	// Keyed on the election's sequence of election-wide changes (a `vigil
	// geo import` through any process moves it), with geoTTL as a bound.
	seq, err := s.rdb().Changes().Seq(ctx, e.ID, store.ChangeElection)
	if err != nil {
		return nil, err
	}
	s.geo.Lock()
	g, ok := s.geo.m[e.ID]
	s.geo.Unlock()
	if ok && g.seq == seq && time.Since(g.at) < geoTTL {
		return g, nil
	}
	shapes, err := s.rdb().Shapes(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	pts, err := s.rdb().StationPoints(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	g = &elGeo{shapes: map[int64]json.RawMessage{}, levels: map[int]bool{}, points: map[int64][2]float64{}, at: time.Now(), seq: seq}
	for _, p := range pts {
		g.points[p.AreaID] = [2]float64{p.Lon, p.Lat}
	}
	seen := map[string]bool{}
	for _, sh := range shapes {
		g.shapes[sh.AreaID] = sh.Shape
		g.levels[sh.Level] = true
		if sh.Source == "synthetic" {
			g.synthetic = true
		} else if sh.Source != "" && !seen[sh.Source] {
			seen[sh.Source] = true
			g.sources = append(g.sources, sh.Source)
		}
	}
	s.geo.Lock()
	if s.geo.m == nil || len(s.geo.m) > 256 {
		s.geo.m = map[int64]*elGeo{}
	}
	s.geo.m[e.ID] = g
	s.geo.Unlock()
	return g, nil
}
