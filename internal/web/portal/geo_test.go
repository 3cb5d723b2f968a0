package portal_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestMapDrawsStoredGeography checks that the map draws what the database
// holds for an election (what vigil geo import stores), whatever the
// election is called: one region's imported outline, no other.
func TestMapDrawsStoredGeography(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv, _ := webtest.DemoServer(t, db)
		areas, err := db.Areas(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		var region int64
		for _, a := range areas {
			if a.Level == 1 {
				region = a.ID
				break
			}
		}
		square := json.RawMessage(`[[[[70,45],[71,45],[71,46],[70,46],[70,45]]]]`)
		if err := db.ReplaceShapes(ctx, 1, 1, []store.AreaShape{{AreaID: region, Level: 1, Shape: square, Source: "regions.geojson"}}); err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceShapes(ctx, 1, 2, nil); err != nil {
			t.Fatal(err)
		}
		_, body := webtest.GetWith(t, srv.URL+"/elections/1/map?lang=en", nil)
		if !strings.Contains(body, `<div id="map"`) || !strings.Contains(body, "Boundaries: regions.geojson") || strings.Contains(body, "geography is synthetic") {
			t.Fatalf("map page: %.2000s", body)
		}
		resp, gj := webtest.GetWith(t, srv.URL+"/api/v1/elections/1/geojson?level=1", nil)
		var fc struct {
			Features []struct {
				Geometry struct {
					Coordinates json.RawMessage `json:"coordinates"`
				} `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal([]byte(gj), &fc); err != nil || resp.StatusCode != 200 {
			t.Fatalf("geojson %d: %v", resp.StatusCode, err)
		}
		if len(fc.Features) != 1 || string(fc.Features[0].Geometry.Coordinates) != string(square) {
			t.Fatalf("geojson features: %s", gj)
		}
		// The districts have no outline now: the map of that level says so.
		_, body = webtest.GetWith(t, srv.URL+"/elections/1/map?level=2&lang=en", nil)
		if strings.Contains(body, `<div id="map"`) || !strings.Contains(body, "There is no map") {
			t.Fatal("the districts' map without outlines")
		}
	})
}

// TestMapStationPoints: the stations' coordinates (vigil geo import
// --stations) are drawn as points over the areas when asked for, each
// coloured and linked to its page; an election with points but no outline
// of the level still gets a map of its points; without either, the page
// says there is no map and shows no legend that colours nothing.
func TestMapStationPoints(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	srv, _ := webtest.DemoServer(t, db)
	areas, err := db.Areas(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var pts []store.StationPoint
	for _, a := range areas {
		if a.Station && len(pts) < 3 {
			pts = append(pts, store.StationPoint{AreaID: a.ID, Lat: 45 + float64(len(pts))/10, Lon: 70.5})
		}
	}
	if err := db.ReplaceStationPoints(ctx, 1, pts); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceShapes(ctx, 1, 2, nil); err != nil {
		t.Fatal(err)
	}
	_, body := webtest.GetWith(t, srv.URL+"/elections/1/map?level=2&lang=en", nil)
	if strings.Contains(body, `<div id="map"`) || !strings.Contains(body, "There is no map") || !strings.Contains(body, `name="points"`) || strings.Contains(body, `class="legend"`) {
		t.Fatalf("districts without outlines, points not asked for: %.3000s", body)
	}
	_, body = webtest.GetWith(t, srv.URL+"/elections/1/map?level=2&points=1&lang=en", nil)
	if !strings.Contains(body, `<div id="map"`) || !strings.Contains(body, `name="points" value="1" checked`) || !strings.Contains(body, `class="legend"`) {
		t.Fatalf("districts' points: %.3000s", body)
	}
	resp, gj := webtest.GetWith(t, srv.URL+"/api/v1/elections/1/geojson?level=2&points=1", nil)
	var fc struct {
		Features []struct {
			Properties struct {
				Station bool   `json:"station"`
				Fill    string `json:"fill"`
				URL     string `json:"url"`
			} `json:"properties"`
			Geometry struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(gj), &fc); err != nil || resp.StatusCode != 200 || len(fc.Features) != 3 {
		t.Fatalf("geojson %d: %v %.500s", resp.StatusCode, err, gj)
	}
	for i, f := range fc.Features {
		if !f.Properties.Station || f.Geometry.Type != "Point" || f.Properties.Fill == "" || !strings.HasPrefix(f.Properties.URL, "/elections/1/areas/") ||
			len(f.Geometry.Coordinates) != 2 || f.Geometry.Coordinates[0] != 70.5 {
			t.Errorf("point %d: %+v", i, f)
		}
	}
	// The regions keep their outlines; the points come over them.
	_, gj = webtest.GetWith(t, srv.URL+"/api/v1/elections/1/geojson?level=1&points=1", nil)
	if strings.Count(gj, `"type":"Point"`) != 3 || !strings.Contains(gj, `"type":"MultiPolygon"`) {
		t.Fatalf("regions with points: %.500s", gj)
	}
}
