package portal_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

func TestResultsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, el := webtest.DemoServer(t, db)
		sum := demo.Summarise(el)

		code, body := webtest.Get(t, srv.URL+"/healthz", "")
		if code != 200 || !strings.Contains(body, `"ok"`) {
			t.Fatalf("healthz %d %s", code, body)
		}
		code, body = webtest.Get(t, srv.URL+"/api/v1/elections/"+demo.Name+"/tally?level=0", "")
		if code != 200 {
			t.Fatalf("tally %d %s", code, body)
		}
		var node struct {
			Stations int              `json:"stations"`
			Figures  map[string]int64 `json:"figures"`
			Options  map[string]int64 `json:"options"`
		}
		if err := json.Unmarshal([]byte(body), &node); err != nil {
			t.Fatal(err)
		}
		if node.Stations != sum.Stations || node.Figures["registered"] != sum.Registered {
			t.Fatalf("tally: %d stations, %d registered; the demo has %d, %d", node.Stations, node.Figures["registered"], sum.Stations, sum.Registered)
		}
		var inc int64
		for _, st := range el.Stations {
			inc += st.Official.Votes[demo.Incumbent]
		}
		if node.Options[demo.Candidates[demo.Incumbent]] != inc {
			t.Fatalf("incumbent %d, want %d", node.Options[demo.Candidates[demo.Incumbent]], inc)
		}
		// The observers' copies tabulate to the true count where observed.
		code, body = webtest.Get(t, srv.URL+"/api/v1/elections/"+demo.Name+"/tally?level=0&source=observer", "")
		if code != 200 || !strings.Contains(body, `"stations": `+itoa(sum.ObservedStations)) && !strings.Contains(body, `"stations":`+itoa(sum.ObservedStations)) {
			t.Fatalf("observer tally %d %s", code, body)
		}
		code, body = webtest.Get(t, srv.URL+"/api/v1/elections/"+demo.Name+"/flags", "")
		if code != 200 {
			t.Fatalf("flags %d %s", code, body)
		}
		if len(el.SummaryAdditions) > 0 && !strings.Contains(body, "SUMMARY_VOTES") {
			t.Fatalf("the padded district summaries are not flagged: %s", body[:min(len(body), 500)])
		}
		// A made-up parameter and the default source named get the default
		// answer (served from the stored report, one cache key).
		for _, q := range []string{"?x=1", "?source=official-final"} {
			if code, again := webtest.Get(t, srv.URL+"/api/v1/elections/"+demo.Name+"/flags"+q, ""); code != 200 || again != body {
				t.Fatalf("flags%s: %d, a different answer from /flags", q, code)
			}
		}
		code, body = webtest.Get(t, srv.URL+"/api/v1/elections/nope", "")
		if code != 404 || !strings.Contains(body, `"not_found"`) {
			t.Fatalf("unknown election: %d %s", code, body)
		}
		code, _ = webtest.Get(t, srv.URL+"/api/v1/elections/"+demo.Name+"/tally?source=bogus", "")
		if code != 400 {
			t.Fatalf("bad source: %d", code)
		}
	})
}

func TestStationPageShowsVersionsSideBySide(t *testing.T) {
	db := storetest.SQLite(t)
	srv, el := webtest.DemoServer(t, db)
	var altered *demo.Station
	for i := range el.Stations {
		if el.Stations[i].Altered && el.Stations[i].Observed {
			altered = &el.Stations[i]
			break
		}
	}
	if altered == nil {
		// The demo's seed is fixed: a change that stops it altering an
		// observed station must fail here, not hide this test.
		t.Fatal("the fixed-seed demo altered no observed station")
	}
	a, err := db.AreaByPath(context.Background(), 1, []string{altered.Region, altered.District, altered.Number})
	if err != nil {
		t.Fatal(err)
	}
	code, body := webtest.Get(t, srv.URL+"/elections/1/areas/"+itoa(int(a.ID)), "text/html")
	if code != 200 {
		t.Fatalf("station page %d", code)
	}
	for _, want := range []string{`data-source="official-preliminary">Official preliminary v1`, `data-source="official-final">Official final v1`, `data-source="observer">Observer copy v1`, `class="n diff"`} {
		if !strings.Contains(body, want) {
			t.Errorf("station page lacks %q", want)
		}
	}
	code, body = webtest.Get(t, srv.URL+"/elections/1/areas/999999", "text/html")
	if code != 404 || !strings.Contains(body, "Page not found") {
		t.Fatalf("missing area: %d", code)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
