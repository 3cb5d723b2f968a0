package geo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// Normalise is how names are compared: case, surrounding and repeated
// spaces, "ё" and typographic quotes do not matter.
func Normalise(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("ё", "е", "«", "\"", "»", "\"", "“", "\"", "”", "\"", "’", "'").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// keysOf lists what may name an area: its name, its path joined by "/",
// and the values of its attributes that are codes (an attribute named
// code, id or number, or ending in _code or _id), not the descriptive ones
// ("urban": "1") that would name half the country.
func keysOf(a election.Area) []string {
	ks := []string{Normalise(a.Name), Normalise(strings.Join(a.Path, "/"))}
	for k, v := range a.Attrs {
		k = strings.ToLower(k)
		if v != "" && (k == "code" || k == "id" || k == "number" || strings.HasSuffix(k, "_code") || strings.HasSuffix(k, "_id")) {
			ks = append(ks, Normalise(v))
		}
	}
	return ks
}

// Match is an area matched to a feature.
type Match struct {
	AreaID int64
	Path   string
	Key    string
	Shape  Shape
}

// Report says how the features met the areas: which level they matched,
// what matched, and what did not, either way.
type Report struct {
	Level      int      `json:"level"`
	Matched    int      `json:"matched"`
	Unmatched  []string `json:"unmatched_features,omitempty"` // features no area of the level is named by
	Ambiguous  []string `json:"ambiguous_features,omitempty"` // features that name two areas or more
	Duplicates []string `json:"duplicate_features,omitempty"` // a second feature for an area already matched
	Without    []string `json:"areas_without_shape,omitempty"`
	Points     int      `json:"points_before"`
	Kept       int      `json:"points_after"`
	matches    []Match
}

// Matches returns the areas matched, in the file's order.
func (r *Report) Matches() []Match { return r.matches }

// MatchFeatures matches features to the areas of one level of an election
// (level 0: the level where most features match), by name, path or any
// attribute (a code). Areas abroad or without a shape are listed, not an
// error: the map shows them as "no shape".
func MatchFeatures(fs []Feature, areas []election.Area, level int) (*Report, error) {
	levels := map[int]bool{}
	for _, a := range areas {
		if a.Level > 0 && !a.Station {
			levels[a.Level] = true
		}
	}
	if level > 0 && !levels[level] {
		return nil, fmt.Errorf("the election has no areas at level %d above the stations", level)
	}
	if level == 0 {
		best := -1
		for l := range levels {
			r := matchLevel(fs, areas, l)
			if r.Matched > best || r.Matched == best && l < level {
				best, level = r.Matched, l
			}
		}
		if level == 0 {
			return nil, errors.New("the election has no areas above its stations to match")
		}
	}
	return matchLevel(fs, areas, level), nil
}

func matchLevel(fs []Feature, areas []election.Area, level int) *Report {
	r := &Report{Level: level}
	byKey := map[string][]int{}
	var idx []int
	for i, a := range areas {
		if a.Level != level || a.Station {
			continue
		}
		idx = append(idx, i)
		seen := map[string]bool{}
		for _, k := range keysOf(a) {
			if !seen[k] {
				seen[k] = true
				byKey[k] = append(byKey[k], i)
			}
		}
	}
	done := map[int]bool{}
	for _, f := range fs {
		cands := byKey[Normalise(f.Key)]
		switch {
		case len(cands) == 0:
			r.Unmatched = append(r.Unmatched, f.Key)
		case len(cands) > 1:
			r.Ambiguous = append(r.Ambiguous, f.Key)
		case done[cands[0]]:
			r.Duplicates = append(r.Duplicates, f.Key)
		default:
			a := areas[cands[0]]
			done[cands[0]] = true
			r.Matched++
			r.matches = append(r.matches, Match{AreaID: a.ID, Path: strings.Join(a.Path, " / "), Key: f.Key, Shape: f.Shape})
		}
	}
	for _, i := range idx {
		if !done[i] {
			r.Without = append(r.Without, strings.Join(areas[i].Path, " / "))
		}
	}
	sort.Strings(r.Without)
	return r
}

// SimplifyAll simplifies and rounds every matched shape, counting points
// before and after.
func (r *Report) SimplifyAll(tol float64) {
	for i := range r.matches {
		m := &r.matches[i]
		r.Points += m.Shape.Points()
		m.Shape = Round(Simplify(m.Shape, tol), 5)
		r.Kept += m.Shape.Points()
	}
}

// Point is a station's coordinates.
type Point struct {
	AreaID   int64
	Lat, Lon float64
}

// PointReport says how the rows of a coordinates file met the stations.
type PointReport struct {
	Rows      int      `json:"rows"`
	Matched   int      `json:"matched"`
	Unmatched []string `json:"unmatched_rows,omitempty"` // "line N: key"
	Ambiguous []string `json:"ambiguous_rows,omitempty"`
	Without   int      `json:"stations_without_point"`
	points    []Point
}

// Points returns the stations' coordinates.
func (r *PointReport) Points() []Point { return r.points }

// MaxPointRows bounds a coordinates file.
const MaxPointRows = 1_000_000

// ReadPoints reads a CSV of station coordinates — a header with a key
// column (keyCol, or the first of station, code, id, name), lat/latitude
// and lon/lng/longitude — and matches each row to a station by name, path
// or attribute. A malformed row is an error naming its line; a row that
// names no station is reported.
func ReadPoints(rd io.Reader, areas []election.Area, keyCol string) (*PointReport, error) {
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	col := func(names ...string) int {
		for _, n := range names {
			for i, h := range head {
				if Normalise(strings.TrimPrefix(h, "\ufeff")) == n {
					return i
				}
			}
		}
		return -1
	}
	kc := col("station", "code", "id", "name")
	if keyCol != "" {
		kc = col(Normalise(keyCol))
	}
	lat, lon := col("lat", "latitude"), col("lon", "lng", "long", "longitude")
	if kc < 0 || lat < 0 || lon < 0 {
		return nil, fmt.Errorf("line 1: want a key column (%s), lat and lon; the header is %q", orDefault(keyCol, "station, code, id or name"), strings.Join(head, ","))
	}
	byKey := map[string][]int64{}
	stations := 0
	for _, a := range areas {
		if !a.Station {
			continue
		}
		stations++
		seen := map[string]bool{}
		for _, k := range keysOf(a) {
			if !seen[k] {
				seen[k] = true
				byKey[k] = append(byKey[k], a.ID)
			}
		}
	}
	r := &PointReport{}
	done := map[int64]bool{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if r.Rows++; r.Rows > MaxPointRows {
			return nil, fmt.Errorf("line %d: more than %d rows", line, MaxPointRows)
		}
		if max(kc, lat, lon) >= len(rec) {
			return nil, fmt.Errorf("line %d: %d fields, fewer than the header's", line, len(rec))
		}
		la, err1 := strconv.ParseFloat(strings.TrimSpace(rec[lat]), 64)
		lo, err2 := strconv.ParseFloat(strings.TrimSpace(rec[lon]), 64)
		if err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			return nil, fmt.Errorf("line %d: lat %q, lon %q: want decimal degrees", line, rec[lat], rec[lon])
		}
		key := strings.TrimSpace(rec[kc])
		ids := byKey[Normalise(key)]
		switch {
		case len(ids) == 0:
			r.Unmatched = append(r.Unmatched, fmt.Sprintf("line %d: %s", line, key))
		case len(ids) > 1:
			r.Ambiguous = append(r.Ambiguous, fmt.Sprintf("line %d: %s", line, key))
		case !done[ids[0]]:
			done[ids[0]] = true
			r.Matched++
			r.points = append(r.points, Point{AreaID: ids[0], Lat: la, Lon: lo})
		}
	}
	r.Without = stations - r.Matched
	return r, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sortStrings(s []string) { sort.Strings(s) }
