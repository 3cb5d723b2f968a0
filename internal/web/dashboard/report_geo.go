package dashboard

import (
	"context"
	"math"
	"strconv"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/geo"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// A report's geopoint answers on its staff page: where the observer was
// when they answered, beside the station's known location (vigil geo
// import's points) and the distance between the two — a report sent far
// from its station is worth a second look.

// reportPlace is one geopoint answer of a report, placed.
type reportPlace struct {
	ID, Label  string
	Lat, Lon   float64
	Station    bool // the station's location is known
	SLat, SLon float64
	Metres     float64
	Distance   string // Metres for reading: "350 m", "12.4 km"
	// The sketch: both points in a 200×200 box (north up, the
	// longitude scaled by the cosine of the latitude), the report's at
	// X, Y and the station's at SX, SY.
	X, Y, SX, SY float64
}

// reportPlaces returns the report's geopoint answers that parse, each
// with the station's location when the election's geography has it.
func (s *room) reportPlaces(ctx context.Context, e *election.Election, rep *store.Report, fm *form.Form, a form.Answers, lang string) ([]reportPlace, error) {
	if fm == nil {
		return nil, nil
	}
	var out []reportPlace
	for i := range fm.Questions {
		q := &fm.Questions[i]
		if q.Type != form.Geopoint {
			continue
		}
		v, ok := a[q.ID]
		if !ok {
			continue
		}
		t, _ := v.Text()
		lat, lon, ok := geo.ParseGeopoint(t)
		if !ok {
			continue
		}
		out = append(out, reportPlace{ID: q.ID, Label: q.Label.In(lang), Lat: lat, Lon: lon})
	}
	if len(out) == 0 {
		return nil, nil
	}
	lon, lat, known, err := s.StationPoint(ctx, e, rep.AreaID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		p := &out[i]
		if known {
			p.Station, p.SLon, p.SLat = true, lon, lat
			p.Metres = geo.Distance(p.Lat, p.Lon, p.SLat, p.SLon)
			p.Distance = readableDistance(p.Metres)
		}
		p.sketch()
	}
	return out, nil
}

// readableDistance writes metres as a person reads them.
func readableDistance(m float64) string {
	switch {
	case m < 1000:
		return strconv.FormatFloat(math.Round(m), 'f', 0, 64) + " m"
	case m < 100_000:
		return strconv.FormatFloat(m/1000, 'f', 1, 64) + " km"
	default:
		return strconv.FormatFloat(math.Round(m/1000), 'f', 0, 64) + " km"
	}
}

// sketch places the report's point (and the station's) in the 200×200
// box with a margin: one point alone sits in the middle.
func (p *reportPlace) sketch() {
	p.X, p.Y = 100, 100
	if !p.Station {
		return
	}
	k := math.Cos((p.Lat + p.SLat) / 2 * math.Pi / 180)
	dx, dy := (p.SLon-p.Lon)*k, p.SLat-p.Lat
	span := math.Max(math.Abs(dx), math.Abs(dy))
	if span == 0 {
		p.SX, p.SY = 100, 100
		return
	}
	// The two points 140 units apart along the longer axis, centred.
	f := 140 / span
	p.X, p.Y = 100-dx*f/2, 100+dy*f/2
	p.SX, p.SY = 100+dx*f/2, 100-dy*f/2
}
