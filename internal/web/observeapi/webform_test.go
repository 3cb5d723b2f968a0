package observeapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestWebFormXLSFeatures: the offline web form runs an imported
// checklist's cascading selects, relevance (or_other's text), constraint
// messages and repeats, and the report it sends stores the repeat.
func TestWebFormXLSFeatures(t *testing.T) {
	bin := webtest.Chromium(t)
	db := storetest.SQLite(t)
	fx := webtest.NewObsFixture(t, db)
	survey := [][]string{
		{"type", "name", "label", "choice_filter", "constraint", "constraint_message"},
		{"select_one regions", "region", "Region"},
		{"select_one districts", "district", "District", "region = ${region}"},
		{"integer", "voters", "Voters", "", ". >= 0 and . <= 5000", "From 0 to 5000"},
		{"select_multiple problems or_other", "problems", "Problems"},
		{"begin repeat", "incident", "Incident"},
		{"text", "what", "What happened"},
		{"end repeat"},
	}
	choices := [][]string{
		{"list_name", "name", "label", "region"},
		{"regions", "north", "North"}, {"regions", "south", "South"},
		{"districts", "n1", "North 1", "north"}, {"districts", "s1", "South 1", "south"},
		{"problems", "queues", "Queues"},
	}
	settings := [][]string{{"form_id", "form_title", "phase"}, {"checklist", "Checklist", "voting"}}
	f, err := form.FromXLSFormRows(survey, choices, settings)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observe.SaveForm(context.Background(), db, fx.OrgA.ID, f); err != nil {
		t.Fatal(err)
	}

	eval := webtest.ObserverBrowser(t, bin, fx, "obs1", fmt.Sprintf("%s/observe/%d/checklist", fx.Srv.URL, fx.El.ID))
	shown := `Promise.resolve([...document.querySelectorAll('[data-q=district] label')].filter(l => !l.hidden).map(l => l.textContent.trim()).join(","))`
	if got := eval(shown); got != "" {
		t.Errorf("districts before a region: %q", got)
	}
	eval(`(() => { const i = document.querySelector('input[name=region][value=south]'); i.checked = true; i.dispatchEvent(new Event("change", {bubbles: true})); return "ok"; })()`)
	if got := eval(shown); got != "South 1" {
		t.Errorf("districts of the south: %q", got)
	}
	other := `Promise.resolve(String(document.querySelector('[data-field=problems_other]').hidden))`
	if got := eval(other); got != "true" {
		t.Errorf("or_other text shown before other is chosen: %s", got)
	}
	eval(`(() => { const i = document.querySelector('input[name=problems][value=other]'); i.checked = true; i.dispatchEvent(new Event("change", {bubbles: true})); return "ok"; })()`)
	if got := eval(other); got != "false" {
		t.Errorf("or_other text hidden after other is chosen: %s", got)
	}
	// A constraint message stops the send.
	got := eval(`(() => { const f = document.getElementById("report");
		document.querySelector('input[name=district][value=s1]').checked = true;
		f.querySelector('[name=voters]').value = "9000";
		f.requestSubmit();
		return document.getElementById("send-status").textContent; })()`)
	if got != "From 0 to 5000" {
		t.Errorf("constraint message: %q", got)
	}
	eval(`(() => { const f = document.getElementById("report");
		f.querySelector('[name=voters]').value = "1200";
		f.querySelector('[name=problems_other]').value = "no ramp";
		f.querySelector('[data-repeat=incident] textarea').value = "leaflets";
		f.querySelector('[data-add-repeat]').click();
		const ts = f.querySelectorAll('[data-repeat=incident] textarea');
		ts[1].value = "crowd";
		document.getElementById("area_id").value = "` + fmt.Sprint(fx.Stations["101"].ID) + `";
		f.requestSubmit();
		return "sent"; })()`)
	deadline := time.Now().Add(20 * time.Second)
	var reports []*store.Report
	for time.Now().Before(deadline) {
		reports, err = db.Reports(context.Background(), store.ReportFilter{OrgID: fx.OrgA.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(reports) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(reports) != 1 {
		t.Fatalf("stored %d reports; rejected: %s", len(reports), eval(`Promise.resolve(localStorage.getItem("vigil.rejected.v1") || "")`))
	}
	var a form.Answers
	if err := json.Unmarshal(reports[0].Answers, &a); err != nil {
		t.Fatal(err)
	}
	rows, _ := a["incident"].Repeat()
	if len(rows) != 2 || !rows[1]["what"].Equal(form.TextValue("crowd")) || !a["district"].Equal(form.TextValue("s1")) ||
		!a["problems_other"].Equal(form.TextValue("no ramp")) {
		t.Errorf("stored answers %v", a)
	}
	if l, _ := a["problems"].List(); strings.Join(l, ",") != "other" {
		t.Errorf("problems %v", l)
	}
}

// TestWebFormStationCascade: the built-in voting form, bound to the
// election's areas, asks the station as region → district → station; the
// choice fills in the station's number, which is what the report stores
// (and places the report by), the region and district being left out.
func TestWebFormStationCascade(t *testing.T) {
	bin := webtest.Chromium(t)
	db := storetest.SQLite(t)
	fx := webtest.NewObsFixture(t, db)
	eval := webtest.ObserverBrowser(t, bin, fx, "obs1", fmt.Sprintf("%s/observe/%d/voting", fx.Srv.URL, fx.El.ID))
	shown := func(q string) string {
		return eval(`Promise.resolve([...document.querySelectorAll('[data-q=` + q + `] label')].filter(l => !l.hidden).map(l => l.textContent.trim()).join(","))`)
	}
	pick := func(q, label string) {
		t.Helper()
		got := eval(`(() => { const l = [...document.querySelectorAll('[data-q=` + q + `] label')].find(l => !l.hidden && l.textContent.trim() === "` + label + `");
			if (!l) return "none"; const i = l.querySelector("input"); i.checked = true; i.dispatchEvent(new Event("change", {bubbles: true})); return "ok"; })()`)
		if got != "ok" {
			t.Fatalf("%s: no choice %q among %q", q, label, shown(q))
		}
	}
	if got := shown("station_area_1"); got != "North,South" {
		t.Errorf("regions %q", got)
	}
	if got := shown("station_area_2"); got != "" {
		t.Errorf("districts before a region: %q", got)
	}
	pick("station_area_1", "South")
	if got := shown("station_area_2"); got != "S1,S2" {
		t.Errorf("districts of the south: %q", got)
	}
	pick("station_area_1", "North")
	pick("station_area_2", "N1")
	if got := shown("station_area_3"); got != "PS 101,PS 102,PS 103" {
		t.Errorf("stations of N1: %q", got)
	}
	pick("station_area_3", "PS 102")
	if got := eval(`Promise.resolve(document.querySelector('[name=station]').value)`); got != "102" {
		t.Errorf("station number filled in: %q", got)
	}
	eval(`(() => {
		const f = document.getElementById("report");
		f.querySelector('[name=arrival_time]').value = "10:20";
		for (const fs of f.querySelectorAll('fieldset[data-type=yes_no]')) fs.querySelector('input[value=no]').checked = true;
		f.querySelector('input[name=overall][value=good]').checked = true;
		f.requestSubmit();
		return "sent"; })()`)
	deadline := time.Now().Add(20 * time.Second)
	var reports []*store.Report
	var err error
	for time.Now().Before(deadline) {
		reports, err = db.Reports(context.Background(), store.ReportFilter{OrgID: fx.OrgA.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(reports) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(reports) != 1 {
		t.Fatalf("stored %d reports; rejected: %s", len(reports), eval(`Promise.resolve(localStorage.getItem("vigil.rejected.v1") || "")`))
	}
	if reports[0].AreaID != fx.Stations["102"].ID {
		t.Errorf("report placed at area %d, want station 102 (%d)", reports[0].AreaID, fx.Stations["102"].ID)
	}
	var a form.Answers
	if err := json.Unmarshal(reports[0].Answers, &a); err != nil {
		t.Fatal(err)
	}
	if !a[form.StationID].Equal(form.IntValue(102)) {
		t.Errorf("station answer %v", a[form.StationID])
	}
	for id := range a {
		if form.IsStationHelper(id) {
			t.Errorf("helper %s stored", id)
		}
	}
}
