package geo

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

// circle is a closed ring of n points around (lon, lat), a little noisy so
// that simplification has something to drop.
func circle(lon, lat, r float64, n int) [][2]float64 {
	var ring [][2]float64
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		rr := r * (1 + 0.001*math.Sin(17*a))
		ring = append(ring, [2]float64{lon + rr*math.Cos(a), lat + rr*math.Sin(a)})
	}
	return append(ring, ring[0])
}

func ringJSON(ring [][2]float64) string {
	var b strings.Builder
	b.WriteString("[")
	for i, p := range ring {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "[%g,%g]", p[0], p[1])
	}
	b.WriteString("]")
	return b.String()
}

func TestReadGeoJSON(t *testing.T) {
	doc := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","properties":{"NAME":" North "},"geometry":{"type":"Polygon","coordinates":[` + ringJSON(circle(70, 50, 1, 200)) + `]}},
	 {"type":"Feature","properties":{"NAME":"South","code":7},"geometry":{"type":"MultiPolygon","coordinates":[[` + ringJSON(circle(70, 45, 1, 50)) + `],[` + ringJSON(circle(72, 45, 0.5, 50)) + `]]}}]}`
	fs, err := ReadGeoJSON(strings.NewReader(doc), "NAME")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Key != "North" || len(fs[0].Shape) != 1 || len(fs[1].Shape) != 2 || fs[0].Shape.Points() != 201 {
		t.Fatalf("features %+v", fs)
	}
	if fs, err := ReadGeoJSON(strings.NewReader(doc), "code"); err == nil {
		t.Fatalf("a feature without the key property was accepted: %+v", fs)
	} else if !strings.Contains(err.Error(), `feature 1: no property "code" (properties: NAME)`) {
		t.Fatalf("error does not name the feature and its properties: %v", err)
	}
	for name, bad := range map[string]string{
		"not JSON":   `{"type":`,
		"wrong type": `{"type":"Topology"}`,
		"point":      `{"type":"Feature","properties":{"NAME":"x"},"geometry":{"type":"Point","coordinates":[1,2]}}`,
		"open ring":  `{"type":"Feature","properties":{"NAME":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}`,
		"bad lat":    `{"type":"Feature","properties":{"NAME":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,95],[0,0]]]}}`,
	} {
		if _, err := ReadGeoJSON(strings.NewReader(bad), "NAME"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSimplify(t *testing.T) {
	ring := circle(70, 50, 1, 2000)
	s := Simplify(Shape{{ring}}, 0.01)
	got := len(s[0][0])
	if got >= 200 || got < 8 {
		t.Fatalf("2001 points simplified to %d at 0.01°", got)
	}
	if s[0][0][0] != s[0][0][got-1] {
		t.Fatal("the simplified ring is not closed")
	}
	// Every dropped point lies within the tolerance of the simplified ring.
	out := s[0][0]
	for _, p := range ring {
		best := math.Inf(1)
		for i := 0; i+1 < len(out); i++ {
			best = math.Min(best, segDist2(p, out[i], out[i+1]))
		}
		if math.Sqrt(best) > 0.01+1e-12 {
			t.Fatalf("point %v is %.4f° from the simplified ring", p, math.Sqrt(best))
		}
	}
	// A tiny island never vanishes; a tiny hole does.
	tiny := circle(0, 0, 0.001, 20)
	s = Simplify(Shape{{circle(10, 10, 1, 100), tiny}, {tiny}}, 0.01)
	if len(s) != 2 || len(s[0]) != 1 || len(s[1]) != 1 || len(s[1][0]) != 21 {
		t.Fatalf("tiny parts: %d polygons, first has %d rings", len(s), len(s[0]))
	}
	r := Round(Shape{{circle(70, 50, 1, 100)}}, 1)
	if rr := r[0][0]; rr[0] != rr[len(rr)-1] || len(rr) < 4 {
		t.Fatalf("rounded ring: %v", rr)
	}
}

func areasFixture() []election.Area {
	return []election.Area{
		{ID: 1, Level: 0, Name: "e"},
		{ID: 2, Level: 1, Name: "North", Path: []string{"North"}, Attrs: map[string]string{"code": "N1", "urban": "1"}},
		{ID: 3, Level: 1, Name: "South", Path: []string{"South"}},
		{ID: 4, Level: 1, Name: "Abroad", Path: []string{"Abroad"}},
		{ID: 5, Level: 2, Name: "D1", Path: []string{"North", "D1"}},
		{ID: 6, Level: 2, Name: "D1", Path: []string{"South", "D1"}},
		{ID: 7, Level: 3, Name: "101", Path: []string{"North", "D1", "101"}, Station: true},
		{ID: 8, Level: 3, Name: "301", Path: []string{"South", "D1", "301"}, Station: true},
		{ID: 9, Level: 3, Name: "101", Path: []string{"South", "D1", "101"}, Station: true},
	}
}

func TestMatchFeatures(t *testing.T) {
	sq := Shape{{circle(0, 0, 1, 10)}}
	fs := []Feature{{Key: "n1", Shape: sq}, {Key: "SOUTH ", Shape: sq}, {Key: "Atlantis", Shape: sq}, {Key: "North", Shape: sq}, {Key: "1", Shape: sq}}
	r, err := MatchFeatures(fs, areasFixture(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Level != 1 || r.Matched != 2 {
		t.Fatalf("level %d, %d matched", r.Level, r.Matched)
	}
	if strings.Join(r.Unmatched, ",") != "Atlantis,1" || strings.Join(r.Duplicates, ",") != "North" || strings.Join(r.Without, ",") != "Abroad" {
		t.Fatalf("report %+v", r)
	}
	// The same district name in two regions: by name it is ambiguous, by
	// path it is not.
	r, _ = MatchFeatures([]Feature{{Key: "D1", Shape: sq}, {Key: "South/D1", Shape: sq}}, areasFixture(), 2)
	if r.Matched != 1 || strings.Join(r.Ambiguous, ",") != "D1" || r.Matches()[0].AreaID != 6 {
		t.Fatalf("districts %+v", r)
	}
	if _, err := MatchFeatures(fs, areasFixture(), 3); err == nil {
		t.Fatal("stations' level accepted for boundaries")
	}
}

func TestReadPoints(t *testing.T) {
	csv := "\ufeffStation,Lat,Lon\nNorth/D1/101,51.1,71.4\n301,42.3,69.6\n101,43.2,76.9\nnope,1,1\n"
	r, err := ReadPoints(strings.NewReader(csv), areasFixture(), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Rows != 4 || r.Matched != 2 || r.Without != 1 || strings.Join(r.Ambiguous, ";") != "line 4: 101" || strings.Join(r.Unmatched, ";") != "line 5: nope" {
		t.Fatalf("report %+v", r)
	}
	if _, err := ReadPoints(strings.NewReader("station,lat,lon\n301,north,69\n"), areasFixture(), ""); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a bad latitude: %v", err)
	}
	if _, err := ReadPoints(strings.NewReader("where,x,y\n"), areasFixture(), ""); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("a header without the columns: %v", err)
	}
}

func FuzzReadGeoJSON(f *testing.F) {
	f.Add(`{"type":"Feature","properties":{"NAME":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`)
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"NAME":1},"geometry":{"type":"GeometryCollection","geometries":[]}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ReadGeoJSON(strings.NewReader(s), "NAME")
		if err != nil {
			return
		}
		for _, ft := range fs {
			_ = Round(Simplify(ft.Shape, 0.1), 4)
		}
	})
}
