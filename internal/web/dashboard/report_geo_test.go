package dashboard_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestStaffReportLocation: a report's geopoint answer is shown on its
// staff page beside the station's known location, with the distance
// between them; a station without a known location says so.
func TestStaffReportLocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		f := &form.Form{ID: "where", Version: "1", Phase: form.VotingTemplate().Phase, Name: form.Label{EN: "Where"}, Questions: []form.Question{
			{ID: "station", Type: form.Integer, Label: form.Label{EN: "Station"}, Required: true},
			{ID: "here", Type: form.Geopoint, Label: form.Label{EN: "Your location"}},
		}}
		if code, out := fx.Do(t, "admin", "POST", "/api/v1/observe/forms", f); code != 201 {
			t.Fatalf("form: %d %v", code, out)
		}
		// PS 101 stands at 51.1694 N 71.4491 E; the report is sent 0.0045°
		// north of it: 0.0045 × 111,195 m = 500 m.
		if err := db.ReplaceStationPoints(context.Background(), fx.El.ID, []store.StationPoint{{AreaID: fx.Stations["101"].ID, Lat: 51.1694, Lon: 71.4491}}); err != nil {
			t.Fatal(err)
		}
		send := func(client string, station int, here string) int64 {
			t.Helper()
			code, out := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), map[string]any{"client_id": client, "form": "where",
				"answers": map[string]any{"station": station, "here": here}})
			if code != 201 {
				t.Fatalf("report: %d %v", code, out)
			}
			return int64(out["report_id"].(float64))
		}
		near := send("11111111-0000-4000-8000-000000000001", 101, "51.1739 71.4491 300 5")
		code, page, _ := fx.Page(t, "admin", fmt.Sprintf("/dashboard/%d/reports/%d", fx.El.ID, near))
		for _, want := range []string{`data-place="here"`, "Your location", "51.173900, 71.449100", "51.169400, 71.449100",
			`<dd class="distance">500 m</dd>`, `class="report-marker"`, `class="station-marker"`} {
			if code != 200 || !strings.Contains(page, want) {
				t.Errorf("report at PS 101: %d, no %s", code, want)
			}
		}
		// North up: the report (north of the station) is drawn above it.
		if !strings.Contains(page, `class="station-marker" cx="100.0" cy="170.0"`) || !strings.Contains(page, `class="report-marker" cx="100.0" cy="30.0"`) {
			t.Errorf("sketch: %s", between(page, "<svg", "</svg>"))
		}
		unknown := send("11111111-0000-4000-8000-000000000002", 102, "51.2 71.5")
		code, page, _ = fx.Page(t, "admin", fmt.Sprintf("/dashboard/%d/reports/%d", fx.El.ID, unknown))
		if code != 200 || !strings.Contains(page, "51.200000, 71.500000") || !strings.Contains(page, "not known") || strings.Contains(page, `class="distance"`) || strings.Contains(page, "station-marker") {
			t.Errorf("report at PS 102 (no location): %d %s", code, between(page, `data-place`, "</section>"))
		}
	})
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return "(no " + from + ")"
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j+len(to)]
}
