package form

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form/formtest"
)

// An ODIHR-style checklist using the XLSForm features observers' forms
// use (formtest.FeatSurvey); form/xlsform's pyxform test exports it too.
var (
	featSurvey   = formtest.FeatSurvey()
	featChoices  = formtest.FeatChoices()
	featSettings = formtest.FeatSettings()
)

func TestXLSFormFeatures(t *testing.T) {
	f, err := FromXLSFormRows(featSurvey, featChoices, featSettings)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version == "" {
		t.Error("a form without a version got none")
	}
	if f.InstanceName == "" || len(f.Languages) != 0 {
		t.Errorf("instance name %q, languages %q (English, Russian, Kazakh are the default set)", f.InstanceName, f.Languages)
	}
	q := func(id string) *Question {
		t.Helper()
		q := f.Question(id)
		if q == nil {
			t.Fatalf("no question %s", id)
		}
		return q
	}
	if q("ready").Type != Acknowledge || q("ready").Label.KK != "Дайынсыз ба?" {
		t.Errorf("ready %+v", q("ready"))
	}
	if r := q("region"); r.Type != SingleChoice || len(r.Choices) != 2 || !r.Required {
		t.Errorf("region %+v", r)
	}
	if s := q("station"); s.ChoiceFilter != "district=${district}" || s.Appearance != "minimal" || s.Choices[0].Extra["district"] != "n1" {
		t.Errorf("station %+v", s)
	}
	if q("where").Type != Geopoint {
		t.Error("where is no geopoint")
	}
	if v := q("voters"); v.Min != nil || v.Constraint == "" || v.ConstraintMsg.EN != "0 to 5000" || v.RequiredMsg.EN != "Give the number" {
		// Bounds with a message stay a constraint, so the message shows.
		t.Errorf("voters %+v", v)
	}
	if b := q("ballots"); b.Required || b.RequiredIf != "${voters} > 0" {
		t.Errorf("ballots %+v", b)
	}
	if c := q("turnout"); c.Type != Calculate || c.Calculation != "${ballots} div ${voters}" {
		t.Errorf("turnout %+v", c)
	}
	if r := q("queue"); r.Type != Range || r.Default != "0" {
		t.Errorf("queue %+v", r)
	} else if lo, hi, step, err := r.RangeParams(); err != nil || lo != 0 || hi != 100 || step != 10 {
		t.Errorf("range %v %v %v %v", lo, hi, step, err)
	}
	p := q("problems")
	if p.Type != MultipleChoice || !p.OrOther || p.Choices[len(p.Choices)-1].Value != "other" || p.Image.EN != "problems.png" || p.Guidance.EN != "Ask the chair first" {
		t.Errorf("problems %+v", p)
	}
	if o := q("problems_other"); o.Type != Text || o.OtherOf != "problems" || o.Relevant != "selected(${problems}, 'other')" {
		t.Errorf("problems_other %+v", o)
	}
	if w := q("what"); w.Group != "incident" || f.RepeatOf(w) != "incident" {
		t.Errorf("what %+v in repeat %q", w, f.RepeatOf(w))
	}
	if g := f.Group("closing"); g == nil || g.Repeat || g.Appearance != "field-list" || g.Relevant == "" {
		t.Errorf("closing %+v", g)
	}
	// Same workbook, same version; a change, another.
	g, _ := FromXLSFormRows(featSurvey, featChoices, featSettings)
	if g.Version != f.Version {
		t.Errorf("version %s then %s", f.Version, g.Version)
	}
	// Round trip through the rows vigil exports.
	s, c, st := XLSFormRows(f)
	h, err := FromXLSFormRows(s, c, st)
	if err != nil {
		t.Fatalf("%v\n%q", err, s)
	}
	a, _ := json.Marshal(f)
	b, _ := json.Marshal(h)
	if string(a) != string(b) {
		t.Errorf("round trip differs:\n%s\n%s", a, b)
	}
	for _, head := range st[0] {
		if strings.HasPrefix(head, "form_title:") {
			t.Errorf("settings column %q (pyxform refuses a translated form_title)", head)
		}
	}
}

// TestXLSFormAllProblems: a workbook's problems come all at once, each with
// its sheet, row and column.
func TestXLSFormAllProblems(t *testing.T) {
	survey := [][]string{
		{"type", "name", "label"},
		{"colour", "c", "C"},
		{"text", "1a", "A"},
		{"geotrace", "g", "G"},
		{"select_one nolist", "s", "S"},
		{"text", "ok", "Fine ${missing}"},
	}
	choices := [][]string{{"list_name", "name"}, {"l", "x y"}}
	settings := [][]string{{"form_id", "phase", "public_key"}, {"f", "lunch", "MIIB"}}
	_, err := FromXLSFormRows(survey, choices, settings)
	var es XLSFormErrors
	if !errors.As(err, &es) {
		t.Fatalf("err %v", err)
	}
	want := []string{
		`sheet settings, row 2, column "public_key": encrypted forms are not supported`,
		`sheet settings, row 2, column "phase": unknown phase "lunch"`,
		`sheet choices, row 2, column "name": choice name "x y"`,
		`sheet survey, row 2, column "type": unknown type "colour"`,
		`sheet survey, row 3, column "name": question name "1a"`,
		`sheet survey, row 4, column "type": type "geotrace"`,
		`sheet survey, row 5, column "type": choice list "nolist"`,
		`sheet survey, row 6, column "label": ${missing} names no question`,
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
	if len(es) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(es), len(want), msg)
	}
	var one *XLSFormError
	if !errors.As(err, &one) || one.Sheet != "settings" {
		t.Errorf("errors.As finds %+v", one)
	}
}

// TestFeatureAnswers: a report on the checklist carries its repeats,
// calculated value, location and or_other text through JSON and through
// an OpenRosa instance, and is validated.
func TestFeatureAnswers(t *testing.T) {
	f, err := FromXLSFormRows(featSurvey, featChoices, featSettings)
	if err != nil {
		t.Fatal(err)
	}
	a := Answers{
		"ready": TextValue("OK"), "region": TextValue("north"), "district": TextValue("n1"), "station": TextValue("st101"),
		"where": TextValue("43.238 76.945 800 5"), "voters": IntValue(1200), "ballots": IntValue(600),
		"turnout": DecimalValue(0.5), "queue": IntValue(20), "problems": ListValue("queue", "other"),
		"problems_other": TextValue("no ramp"),
		"incident": RepeatValue(Answers{"what": TextValue("stuffing"), "when": TextValue("10:15")},
			Answers{"what": TextValue("campaigning")}),
	}
	if errs := Validate(f, a); len(errs) > 0 {
		t.Fatalf("valid answers refused: %v", errs)
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Answers
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back["incident"].Equal(a["incident"]) {
		t.Errorf("repeat through JSON: %s", b)
	}
	doc := EncodeInstance(f, "uuid:1", a)
	sub, err := ParseSubmission(f, doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.Problems) > 0 {
		t.Fatalf("problems %v\n%s", sub.Problems, doc)
	}
	rows, _ := sub.Answers["incident"].Repeat()
	if len(rows) != 2 || !rows[1]["what"].Equal(TextValue("campaigning")) || !rows[0]["when"].Equal(TextValue("10:15")) {
		t.Errorf("repeat through XML: %v\n%s", rows, doc)
	}
	for _, id := range []string{"where", "problems_other", "station"} {
		if !sub.Answers[id].Equal(a[id]) {
			t.Errorf("%s: %v, want %v", id, sub.Answers[id], a[id])
		}
	}
	bad := Answers{"where": TextValue("95 10"), "queue": IntValue(500), "ready": TextValue("yes"),
		"incident": RepeatValue(Answers{"when": TextValue("25:00"), "nope": TextValue("x")})}
	msgs := []string{}
	for _, e := range Validate(f, bad) {
		msgs = append(msgs, e.Question+": "+e.Message)
	}
	got := strings.Join(msgs, "\n")
	for _, w := range []string{"where: expected a location", "queue: expected a number from 0 to 100", "ready: expected OK",
		"incident[1]/when: expected a time", "incident[1]/nope: no such question in the repeat incident", "region: required"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
}
