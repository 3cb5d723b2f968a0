package observeapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestWebFormExpressions: the offline web form evaluates a checklist's
// XPath — a calculation recomputed on change and sent, relevance of
// any expression, a constraint reading another answer and a conditional
// requirement, each refused with the form's message — and the server
// stores what the form sent (issue 13).
func TestWebFormExpressions(t *testing.T) {
	bin := webtest.Chromium(t)
	db := storetest.SQLite(t)
	fx := webtest.NewObsFixture(t, db)
	survey := [][]string{
		{"type", "name", "label", "constraint", "constraint_message", "relevant", "calculation", "required", "required_message"},
		{"integer", "voters", "Voters"},
		{"integer", "ballots", "Ballots", ". <= ${voters}", "No more ballots than voters"},
		{"calculate", "turnout", "", "", "", "", "round(${ballots} div ${voters} * 100, 1)"},
		{"select_multiple problems", "problems", "Problems"},
		{"text", "explain", "Explain", "", "", "count-selected(${problems}) >= 2 or ${turnout} > 90", "", "${turnout} > 95", "Explain the turnout"},
	}
	choices := [][]string{{"list_name", "name", "label"}, {"problems", "queues", "Queues"}, {"problems", "crowd", "Crowd"}}
	settings := [][]string{{"form_id", "form_title", "phase"}, {"turnout", "Turnout", "voting"}}
	f, err := form.FromXLSFormRows(survey, choices, settings)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observe.SaveForm(context.Background(), db, fx.OrgA.ID, f); err != nil {
		t.Fatal(err)
	}
	eval := webtest.ObserverBrowser(t, bin, fx, "obs1", fmt.Sprintf("%s/observe/%d/turnout", fx.Srv.URL, fx.El.ID))
	set := func(name, value string) {
		eval(`(() => { const i = document.querySelector('[name=` + name + `]'); i.value = "` + value + `"; i.dispatchEvent(new Event("change", {bubbles: true})); return "ok"; })()`)
	}
	check := func(value string, on bool) {
		eval(fmt.Sprintf(`(() => { const i = document.querySelector('input[name=problems][value=%s]'); i.checked = %v; i.dispatchEvent(new Event("change", {bubbles: true})); return "ok"; })()`, value, on))
	}
	send := `(() => { document.getElementById("report").requestSubmit(); return document.getElementById("send-status").textContent; })()`
	turnout := `Promise.resolve(document.querySelector('[name=turnout]').value)`
	explainHidden := `Promise.resolve(String(document.querySelector('[data-field=explain]').hidden))`

	set("voters", "100")
	set("ballots", "150")
	if got := eval(send); got != "No more ballots than voters" {
		t.Errorf("constraint ballots <= voters: %q", got)
	}
	set("ballots", "96")
	if got := eval(turnout); got != "96" {
		t.Errorf("turnout calculated as %q", got)
	}
	if got := eval(explainHidden); got != "false" {
		t.Errorf("explain hidden at a turnout of 96: %s", got)
	}
	if got := eval(send); got != "Explain the turnout" {
		t.Errorf("conditional requirement: %q", got)
	}
	set("ballots", "50")
	if got := eval(turnout); got != "50" {
		t.Errorf("turnout recalculated as %q", got)
	}
	if got := eval(explainHidden); got != "true" {
		t.Errorf("explain shown at a turnout of 50: %s", got)
	}
	check("queues", true)
	check("crowd", true)
	if got := eval(explainHidden); got != "false" {
		t.Errorf("explain hidden with two problems: %s", got)
	}
	set("explain", "two things")
	check("crowd", false)
	if got := eval(explainHidden); got != "true" {
		t.Errorf("explain shown with one problem: %s", got)
	}
	eval(`(() => { document.getElementById("area_id").value = "` + fmt.Sprint(fx.Stations["101"].ID) + `"; return "ok"; })()`)
	eval(send)
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
	if !a["turnout"].Equal(form.TextValue("50")) || !a["ballots"].Equal(form.IntValue(50)) {
		t.Errorf("stored %v", a)
	}
	if _, ok := a["explain"]; ok {
		t.Errorf("explain stored though not relevant: %v", a)
	}
}
