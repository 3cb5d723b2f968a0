package portal

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/web"
)

// The map: a choropleth of the areas of one level (turnout, or one
// option's share) drawn by Leaflet from GeoJSON, without tiles. The
// outlines are what the database holds for the election (vigil geo import
// loads a real country's; the demo stores its synthetic one the same way);
// an election without them gets the table that is also the map's fallback
// without JavaScript.

// palette is a sequential, colour-blind-safe scale (ColorBrewer YlGnBu).
var palette = []string{"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"}

const noDataFill = "#cccccc"

// mapArea is one area of the map with its value.
type mapArea struct {
	ID       int64
	Name     string
	Path     string
	Stations int
	Value    float64 // NaN when unknown
	Label    string
	Fill     string
	shape    json.RawMessage
}

// mapClass is one class of the legend.
type mapClass struct {
	Fill     string
	From, To float64
}

type mapData struct {
	Level    int
	Measure  string
	Areas    []mapArea
	Classes  []mapClass
	HasShape bool
	// HasPoints: the election has station coordinates; Points are the
	// stations drawn (with ?points=1), coloured on the areas' classes.
	HasPoints bool
	Points    []mapArea
	Synthetic bool     // the demo's invented outlines
	Sources   []string // the files the outlines came from
}

// Drawn says whether there is a map to draw: the level's outlines, or
// the stations' points when asked for.
func (d *mapData) Drawn() bool { return d.HasShape || len(d.Points) > 0 }

// mapMeasure checks ?measure=: "turnout" or "option<k>".
func mapMeasure(e *election.Election, m string) (string, int, error) {
	if m == "" || m == "turnout" {
		return "turnout", -1, nil
	}
	if k, err := strconv.Atoi(strings.TrimPrefix(m, "option")); err == nil && strings.HasPrefix(m, "option") && k >= 0 && k < len(e.Options) {
		return m, k, nil
	}
	return "", 0, &web.Error{Code: web.Invalid, Message: "measure: want turnout or option0…option" + strconv.Itoa(len(e.Options)-1), Field: "measure"}
}

func (s *room) mapValues(r *http.Request, e *election.Election, stamp string) (*mapData, error) {
	sel, err := selectorParam(r)
	if err != nil {
		return nil, err
	}
	g, err := s.Geography(r.Context(), e)
	if err != nil {
		return nil, err
	}
	// Without ?level=, the first level that has outlines.
	level := 1
	if !g.HasLevel(1) && g.HasLevel(2) {
		level = 2
	}
	if l := r.URL.Query().Get("level"); l != "" {
		if level, err = strconv.Atoi(l); err != nil || level < 1 || level > 2 {
			return nil, &web.Error{Code: web.Invalid, Message: "level: want 1 (regions) or 2 (districts)", Field: "level"}
		}
	}
	measure, opt, err := mapMeasure(e, r.URL.Query().Get("measure"))
	if err != nil {
		return nil, err
	}
	ent, err := s.PortalTally(r.Context(), e, sel, stamp)
	if err != nil {
		return nil, err
	}
	res := ent.Result
	ix := res.Index
	d := &mapData{Level: level, Measure: measure, HasShape: g.HasLevel(level), HasPoints: g.HasPoints(), Synthetic: g.Synthetic(), Sources: g.Sources()}
	points := d.HasPoints && r.URL.Query().Get("points") == "1"
	// value is an area's turnout (ballots issued ÷ registered) or the
	// option's share of the valid votes: the denominators the portal
	// names everywhere.
	value := func(i int) float64 {
		f := res.Figures(i)
		if opt < 0 {
			if t := turnoutOf(f); t >= 0 {
				return t
			}
		} else if valid := f.Value(election.Valid); valid > 0 {
			return float64(res.Votes(i)[opt]) / float64(valid)
		}
		return math.NaN()
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range ix.Len() {
		a := ix.Area(i)
		if points && a.Station {
			if p, ok := g.Point(a.ID); ok {
				v := value(i)
				d.Points = append(d.Points, mapArea{ID: a.ID, Name: a.Name, Path: strings.Join(a.Path, " / "), Stations: 1, Value: v, Label: web.PctString(v),
					shape: json.RawMessage(`[` + strconv.FormatFloat(p[0], 'f', -1, 64) + `,` + strconv.FormatFloat(p[1], 'f', -1, 64) + `]`)})
			}
		}
		if a.Level != level || a.Station {
			continue
		}
		ma := mapArea{ID: a.ID, Name: a.Name, Path: strings.Join(a.Path, " / "), Stations: res.Stations(i), Value: value(i)}
		ma.shape = g.Shape(a.ID)
		if !math.IsNaN(ma.Value) {
			lo, hi = math.Min(lo, ma.Value), math.Max(hi, ma.Value)
		}
		ma.Label = web.PctString(ma.Value)
		d.Areas = append(d.Areas, ma)
	}
	// Equal-interval classes over the observed range, on whole per cents.
	if !math.IsInf(lo, 0) {
		lo, hi = math.Floor(lo*100)/100, math.Ceil(hi*100)/100
		if hi <= lo {
			hi = lo + 0.01
		}
		step := (hi - lo) / float64(len(palette))
		for k, c := range palette {
			d.Classes = append(d.Classes, mapClass{Fill: c, From: lo + float64(k)*step, To: lo + float64(k+1)*step})
		}
		// Stations spread wider than their areas: the end classes take
		// what lies beyond them.
		for _, list := range [][]mapArea{d.Areas, d.Points} {
			for i := range list {
				a := &list[i]
				if math.IsNaN(a.Value) {
					a.Fill = noDataFill
					continue
				}
				k := min(len(palette)-1, int((a.Value-lo)/step))
				a.Fill = palette[max(0, k)]
			}
		}
	} else {
		for i := range d.Points {
			d.Points[i].Fill = noDataFill
		}
	}
	sort.SliceStable(d.Areas, func(i, j int) bool {
		vi, vj := d.Areas[i].Value, d.Areas[j].Value
		if math.IsNaN(vi) != math.IsNaN(vj) {
			return !math.IsNaN(vi)
		}
		return vi > vj
	})
	return d, nil
}

// apiGeoJSON serves the areas of ?level= (1 regions, 2 districts) as a
// GeoJSON FeatureCollection with each area's value under ?measure= and its
// fill colour.
func (s *room) apiGeoJSON(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	stamp, err := s.PortalStamp(r, e.ID)
	if err != nil {
		return err
	}
	key := r.URL.Path + "?" + r.URL.RawQuery + "|geojson"
	return s.ServePage(w, r, key, stamp, "application/geo+json", func(r *http.Request) ([]byte, error) {
		d, err := s.mapValues(r, e, stamp)
		if err != nil {
			return nil, err
		}
		if !d.Drawn() {
			return nil, web.Errorf(web.NotFound, "election %q has no geography", e.Name)
		}
		var buf bytes.Buffer
		buf.WriteString(`{"type":"FeatureCollection","features":[`)
		n := 0
		for _, a := range d.Areas {
			if len(a.shape) == 0 {
				continue
			}
			if n > 0 {
				buf.WriteByte(',')
			}
			n++
			props := map[string]any{"id": a.ID, "name": a.Name, "path": a.Path, "stations": a.Stations, "label": a.Label, "fill": a.Fill,
				"url": "/elections/" + strconv.FormatInt(e.ID, 10) + "/areas/" + strconv.FormatInt(a.ID, 10)}
			if !math.IsNaN(a.Value) {
				props["value"] = math.Round(a.Value*1e6) / 1e6
			}
			buf.WriteString(`{"type":"Feature","id":`)
			buf.WriteString(strconv.FormatInt(a.ID, 10))
			buf.WriteString(`,"properties":`)
			web.WriteJSONTo(&buf, props)
			buf.WriteString(`,"geometry":{"type":"MultiPolygon","coordinates":`)
			buf.Write(a.shape)
			buf.WriteString("}}")
		}
		// The stations, as points over the areas.
		for _, p := range d.Points {
			if n > 0 {
				buf.WriteByte(',')
			}
			n++
			props := map[string]any{"id": p.ID, "name": p.Name, "path": p.Path, "label": p.Label, "fill": p.Fill, "station": true,
				"url": "/elections/" + strconv.FormatInt(e.ID, 10) + "/areas/" + strconv.FormatInt(p.ID, 10)}
			if !math.IsNaN(p.Value) {
				props["value"] = math.Round(p.Value*1e6) / 1e6
			}
			buf.WriteString(`{"type":"Feature","id":`)
			buf.WriteString(strconv.FormatInt(p.ID, 10))
			buf.WriteString(`,"properties":`)
			web.WriteJSONTo(&buf, props)
			buf.WriteString(`,"geometry":{"type":"Point","coordinates":`)
			buf.Write(p.shape)
			buf.WriteString("}}")
		}
		buf.WriteString("]}\n")
		return buf.Bytes(), nil
	})
}

type mapPage struct {
	C        web.PageCommon
	Map      *mapData
	Options  []election.Option
	Levels   []int
	Source   string
	GeoURL   string
	Measures []string
}

func (s *room) pageMap(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	stamp, err := s.PortalStamp(r, e.ID)
	if err != nil {
		return err
	}
	return s.ServePage(w, r, s.PageKey(r), stamp, "text/html; charset=utf-8", func(r *http.Request) ([]byte, error) {
		d, err := s.mapValues(r, e, stamp)
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		q.Del("lang")
		q.Set("level", strconv.Itoa(d.Level))
		q.Set("measure", d.Measure)
		p := &mapPage{C: s.Common(r, e, e.Title(), "nav.map"), Map: d, Options: e.Options, Levels: []int{1, 2}, Source: q.Get("source"),
			GeoURL: "/api/v1/elections/" + strconv.FormatInt(e.ID, 10) + "/geojson?" + q.Encode()}
		return s.RenderBytes(r, "map.html", p)
	})
}
