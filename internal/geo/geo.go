// Package geo reads the geography of an election's areas: boundaries as
// GeoJSON, station coordinates as CSV; it matches them to the areas by
// name or code and reports what did not match, and simplifies the shapes
// for the web. Pure functions over plain values: no database, no HTTP.
package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Shape is an area's outline: polygons of rings of [longitude, latitude]
// points, each ring closed (last point = first), the first ring of a
// polygon its outer boundary, any further ones holes: a GeoJSON
// MultiPolygon's coordinates.
type Shape [][][][2]float64

// Feature is one boundary of a GeoJSON file with the value of its key
// property.
type Feature struct {
	Key   string // the key property's value, trimmed
	Index int    // the feature's position in the file, from 1
	Shape Shape
}

// Limits bound what a file may hold, so that an untrusted upload cannot
// exhaust memory.
const (
	MaxFileBytes = 256 << 20
	MaxFeatures  = 200_000
	MaxPoints    = 50_000_000
)

type rawGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	Geometries  []rawGeometry   `json:"geometries"`
}

type rawFeature struct {
	Type       string          `json:"type"`
	Properties map[string]any  `json:"properties"`
	Geometry   *rawGeometry    `json:"geometry"`
	Features   json.RawMessage `json:"features"`
}

// ReadGeoJSON reads a GeoJSON FeatureCollection (or a single Feature) and
// returns its Polygon and MultiPolygon features keyed by the property
// keyProp. A feature without the property, with another geometry or with
// a broken ring is an error naming the feature: a map with a silently
// missing area is worse than none.
func ReadGeoJSON(r io.Reader, keyProp string) ([]Feature, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("larger than %d MB", MaxFileBytes>>20)
	}
	var top rawFeature
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("not GeoJSON: %w", err)
	}
	var raws []rawFeature
	switch top.Type {
	case "FeatureCollection":
		if err := json.Unmarshal(top.Features, &raws); err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
	case "Feature":
		raws = []rawFeature{top}
	default:
		return nil, fmt.Errorf("type %q: want a FeatureCollection or a Feature", top.Type)
	}
	if len(raws) > MaxFeatures {
		return nil, fmt.Errorf("%d features: at most %d", len(raws), MaxFeatures)
	}
	var out []Feature
	points := 0
	for i, rf := range raws {
		n := i + 1
		key, ok := propString(rf.Properties[keyProp])
		if !ok {
			return nil, fmt.Errorf("feature %d: no property %q (properties: %s)", n, keyProp, propNames(rf.Properties))
		}
		if rf.Geometry == nil {
			return nil, fmt.Errorf("feature %d (%s): no geometry", n, key)
		}
		sh, err := shapeOf(*rf.Geometry)
		if err != nil {
			return nil, fmt.Errorf("feature %d (%s): %w", n, key, err)
		}
		for _, p := range sh {
			for _, ring := range p {
				points += len(ring)
			}
		}
		if points > MaxPoints {
			return nil, fmt.Errorf("more than %d points", MaxPoints)
		}
		out = append(out, Feature{Key: key, Index: n, Shape: sh})
	}
	return out, nil
}

func propString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		return s, s != ""
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10), true
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return "", false
}

func propNames(m map[string]any) string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	if len(names) == 0 {
		return "none"
	}
	sortStrings(names)
	if len(names) > 12 {
		names = append(names[:12], "…")
	}
	return strings.Join(names, ", ")
}

func shapeOf(g rawGeometry) (Shape, error) {
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, fmt.Errorf("coordinates of the Polygon: %w", err)
		}
		if err := checkPolygon(p); err != nil {
			return nil, err
		}
		return Shape{p}, nil
	case "MultiPolygon":
		var mp Shape
		if err := json.Unmarshal(g.Coordinates, &mp); err != nil {
			return nil, fmt.Errorf("coordinates of the MultiPolygon: %w", err)
		}
		for i, p := range mp {
			if err := checkPolygon(p); err != nil {
				return nil, fmt.Errorf("polygon %d: %w", i+1, err)
			}
		}
		return mp, nil
	case "GeometryCollection":
		var all Shape
		for _, sub := range g.Geometries {
			if sub.Type != "Polygon" && sub.Type != "MultiPolygon" {
				continue
			}
			s, err := shapeOf(sub)
			if err != nil {
				return nil, err
			}
			all = append(all, s...)
		}
		if len(all) == 0 {
			return nil, errors.New("a GeometryCollection without polygons")
		}
		return all, nil
	}
	return nil, fmt.Errorf("geometry %q: want Polygon or MultiPolygon", g.Type)
}

func checkPolygon(p [][][2]float64) error {
	if len(p) == 0 {
		return errors.New("a polygon without rings")
	}
	for i, ring := range p {
		if len(ring) < 4 {
			return fmt.Errorf("ring %d has %d points: a closed ring needs at least 4", i+1, len(ring))
		}
		if ring[0] != ring[len(ring)-1] {
			return fmt.Errorf("ring %d is not closed (its last point differs from its first)", i+1)
		}
		for _, pt := range ring {
			if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 || pt[0] != pt[0] || pt[1] != pt[1] {
				return fmt.Errorf("ring %d: point [%g, %g] is not a longitude and latitude", i+1, pt[0], pt[1])
			}
		}
	}
	return nil
}

// Bounds returns the shape's bounding box: west, south, east, north.
func (s Shape) Bounds() (w, so, e, n float64) {
	w, so, e, n = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range s {
		for _, ring := range p {
			for _, pt := range ring {
				w, e = math.Min(w, pt[0]), math.Max(e, pt[0])
				so, n = math.Min(so, pt[1]), math.Max(n, pt[1])
			}
		}
	}
	return
}

// Points counts the shape's points.
func (s Shape) Points() int {
	n := 0
	for _, p := range s {
		for _, ring := range p {
			n += len(ring)
		}
	}
	return n
}
