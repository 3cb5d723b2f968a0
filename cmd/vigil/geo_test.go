package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
)

// square is a closed GeoJSON ring around (lon, lat) with n points a side,
// collinear points that simplification removes.
func square(lon, lat, r float64, n int) string {
	var pts []string
	corners := [][2]float64{{lon - r, lat - r}, {lon + r, lat - r}, {lon + r, lat + r}, {lon - r, lat + r}}
	for c := range 4 {
		a, b := corners[c], corners[(c+1)%4]
		for i := range n {
			t := float64(i) / float64(n)
			pts = append(pts, fmt.Sprintf("[%.6f,%.6f]", a[0]+t*(b[0]-a[0]), a[1]+t*(b[1]-a[1])))
		}
	}
	pts = append(pts, pts[0])
	return "[" + strings.Join(pts, ",") + "]"
}

func TestGeoImport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	gj := filepath.Join(dir, "regions.geojson")
	feature := func(name string, lon float64) string {
		return `{"type":"Feature","properties":{"NAME_1":"` + name + `"},"geometry":{"type":"Polygon","coordinates":[` + square(lon, 48, 1, 50) + `]}}`
	}
	doc := `{"type":"FeatureCollection","features":[` + feature("north", 70) + `,` + feature("South", 72) + `,` + feature("Atlantis", 74) + `]}`
	if err := os.WriteFile(gj, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	coords := filepath.Join(dir, "stations.csv")
	if err := os.WriteFile(coords, []byte("code,lat,lon\n101,48.1,70.1\nNorth/D1/102,48.2,70.2\n999,1,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out := mustVigil(t, "geo", "import", "--db", db, "--election", "e1", "--boundaries", gj, "--key-property", "NAME_1", "--stations", coords)
	for _, want := range []string{
		"boundaries: 2 areas of level 1 stored; 402 points simplified to 10 (tolerance 0.01°)",
		"1 features that name no area:\n    Atlantis",
		"stations: 2 of 3 rows stored; 2 stations have no coordinates",
		"1 rows that name no station:\n    line 4: 999",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	el, _ := d.ElectionByName(context.Background(), "e1")
	shapes, err := d.Shapes(context.Background(), el.ID)
	if err != nil || len(shapes) != 2 {
		t.Fatalf("%d shapes stored: %v", len(shapes), err)
	}
	var sh [][][][2]float64
	if err := json.Unmarshal(shapes[0].Shape, &sh); err != nil || len(sh[0][0]) != 5 || shapes[0].Source != "regions.geojson" {
		t.Fatalf("stored shape %s (%s): %v", shapes[0].Shape, shapes[0].Source, err)
	}
	if math.Abs(sh[0][0][0][0]-69) > 1e-9 {
		t.Fatalf("the square's corner moved: %v", sh[0][0][0])
	}
	pts, _ := d.StationPoints(context.Background(), el.ID)
	if len(pts) != 2 {
		t.Fatalf("%d points stored", len(pts))
	}

	// A bad file changes nothing, and says where it is bad.
	bad := filepath.Join(dir, "bad.geojson")
	os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[`+feature("North", 70)+`,{"type":"Feature","properties":{"NAME_1":"South"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`), 0o600)
	if _, err := vigil(t, "geo", "import", "--db", db, "--election", "e1", "--boundaries", bad, "--key-property", "NAME_1"); err == nil || !strings.Contains(err.Error(), `feature 2 (South): geometry "Point"`) {
		t.Fatalf("a Point feature: %v", err)
	}
	if _, err := vigil(t, "geo", "import", "--db", db, "--election", "e1", "--boundaries", gj); err == nil || !strings.Contains(err.Error(), "--key-property") {
		t.Fatalf("no key property: %v", err)
	}
	if shapes, _ := d.Shapes(context.Background(), el.ID); len(shapes) != 2 {
		t.Fatalf("a failed import left %d shapes", len(shapes))
	}
}
