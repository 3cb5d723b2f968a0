package observe

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// A report over the JSON API holds what the form allows: an answer to a
// question that is not relevant is cleared, a calculation is recomputed,
// a broken constraint and an unmet conditional requirement are refused
// with the form's messages (issue 13).
func TestSubmitEnforcesFormConditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAggWorld(t, db, "cond1")
		f, err := form.FromXLSFormRows([][]string{
			{"type", "name", "label", "required", "required_message", "constraint", "constraint_message", "relevant", "calculation"},
			{"select_one yn", "seen", "Did you see it?", "yes"},
			{"integer", "count", "How many?", "yes", "", ". > 0 and . < 100", "Between 1 and 99", "${seen} = 'yes'"},
			{"text", "why", "Why so many?", "${count} > 10", "Say why"},
			{"calculate", "double", "", "", "", "", "", "", "${count} * 2"},
		}, [][]string{{"list_name", "name", "label"}, {"yn", "yes", "Yes"}, {"yn", "no", "No"}}, [][]string{{"form_id"}, {"cond"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveForm(ctx, w.org, f); err != nil {
			t.Fatal(err)
		}
		n := 0
		submit := func(a form.Answers) (*Receipt, error) {
			n++
			return w.svc.Submit(ctx, Submission{Principal: w.admin, Channel: ChannelAPI, ClientID: "cond-client-" + string(rune('a'+n)),
				ElectionID: w.eid, Form: "cond", AreaID: w.stations[0], Answers: a})
		}
		rc, err := submit(form.Answers{"seen": form.BoolValue(false), "count": form.IntValue(50), "double": form.TextValue("1")})
		if err != nil {
			t.Fatal(err)
		}
		r, err := db.Report(ctx, w.org, rc.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		var stored map[string]any
		if err := json.Unmarshal(r.Answers, &stored); err != nil {
			t.Fatal(err)
		}
		if _, ok := stored["count"]; ok || stored["double"] != nil || stored["seen"] != false {
			t.Errorf("stored %v: want count cleared, double recomputed (as no value)", stored)
		}
		rc, err = submit(form.Answers{"seen": form.BoolValue(true), "count": form.IntValue(20), "why": form.TextValue("queue")})
		if err != nil {
			t.Fatal(err)
		}
		r, _ = db.Report(ctx, w.org, rc.ReportID)
		if err := json.Unmarshal(r.Answers, &stored); err != nil || stored["double"] != "40" {
			t.Errorf("stored %s: want double 40", r.Answers)
		}
		for _, c := range []struct {
			a    form.Answers
			want string
		}{
			{form.Answers{"seen": form.BoolValue(true), "count": form.IntValue(500), "why": form.TextValue("x")}, "Between 1 and 99"},
			{form.Answers{"seen": form.BoolValue(true), "count": form.IntValue(50)}, "Say why"},
			{form.Answers{"seen": form.BoolValue(true)}, "required, no answer given"},
		} {
			_, err := submit(c.a)
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Message != c.want {
				t.Errorf("%v: got %v, want %q", c.a, err, c.want)
			}
		}
	})
}

// A QC rule reads a repeat: count(incident), count(incident.kind, "…")
// and sum(incident.people) (issue 13).
func TestQCRuleReadsRepeat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAggWorld(t, db, "rep1")
		f, err := form.FromXLSFormRows([][]string{
			{"type", "name", "label"},
			{"begin repeat", "incident", "Incident"},
			{"select_one kinds", "kind", "Kind"},
			{"integer", "people", "People involved"},
			{"end repeat"},
		}, [][]string{{"list_name", "name", "label"}, {"kinds", "stuffing", "Stuffing"}, {"kinds", "other", "Other"}}, [][]string{{"form_id"}, {"incidents"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveForm(ctx, w.org, f); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SaveRule(ctx, w.admin, "api", store.QCRule{FormKey: "incidents", Name: "much_stuffing",
			Expr: `count(incident.kind, "stuffing") >= 2 or sum(incident.people) > 10`, Action: "flag"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SaveRule(ctx, w.admin, "api", store.QCRule{FormKey: "incidents", Name: "bad_name", Expr: `count(incident.nosuch) > 0`, Action: "flag"}); err == nil {
			t.Error("a rule over a question the repeat lacks was saved")
		}
		row := func(kind string, people int64) form.Answers {
			return form.Answers{"kind": form.TextValue(kind), "people": form.IntValue(people)}
		}
		for i, c := range []struct {
			rows []form.Answers
			flag bool
		}{
			{[]form.Answers{row("stuffing", 1), row("other", 1)}, false},
			{[]form.Answers{row("stuffing", 1), row("other", 1), row("stuffing", 2)}, true},
			{[]form.Answers{row("other", 6), row("other", 5)}, true},
			{nil, false},
		} {
			a := form.Answers{}
			if c.rows != nil {
				a["incident"] = form.RepeatValue(c.rows...)
			}
			rc, err := w.svc.Submit(ctx, Submission{Principal: w.admin, Channel: ChannelAPI, ClientID: "rep-client-" + string(rune('a'+i)),
				ElectionID: w.eid, Form: "incidents", AreaID: w.stations[0], Answers: a})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(rc.QC, "much_stuffing"); got != c.flag {
				t.Errorf("case %d: QC %v, want flagged %v", i, rc.QC, c.flag)
			}
		}
	})
}

// TestQCRuleDistance: distance(location) measures a geopoint answer
// against the report's station where its location is stored; a rule
// flags a report sent far from its station, and says nothing when either
// point is unknown (issue 13).
func TestQCRuleDistance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAggWorld(t, db, "dist1")
		f, err := form.FromXLSFormRows([][]string{
			{"type", "name", "label"},
			{"geopoint", "location", "Where are you?"},
		}, nil, [][]string{{"form_id"}, {"whereabouts"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveForm(ctx, w.org, f); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SaveRule(ctx, w.admin, "api", store.QCRule{FormKey: "whereabouts", Name: "far_from_station",
			Expr: `distance(location) > 1000`, Action: "flag"}); err != nil {
			t.Fatal(err)
		}
		// Station 0 is in Astana; station 1 has no stored location.
		if err := db.ReplaceStationPoints(ctx, w.eid, []store.StationPoint{{AreaID: w.stations[0], Lat: 51.1694, Lon: 71.4491}}); err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			station int64
			at      string // the geopoint answer; "" for none
			flag    bool
		}{
			{w.stations[0], "51.1700 71.4500 350 5", false}, // ~90 m away
			{w.stations[0], "51.2100 71.4491 350 5", true},  // ~4.5 km north
			{w.stations[0], "", false},                      // no answer: missing
			{w.stations[1], "43.2389 76.8897 0 5", false},   // station not located
		} {
			a := form.Answers{}
			if c.at != "" {
				a["location"] = form.TextValue(c.at)
			}
			rc, err := w.svc.Submit(ctx, Submission{Principal: w.admin, Channel: ChannelAPI, ClientID: "dist-client-" + string(rune('a'+i)),
				ElectionID: w.eid, Form: "whereabouts", AreaID: c.station, Answers: a})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(rc.QC, "far_from_station"); got != c.flag {
				t.Errorf("case %d: QC %v, want flagged %v", i, rc.QC, c.flag)
			}
		}
	})
}
