package form

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// condSurvey is a checklist whose conditions the server must enforce:
// relevance, a constraint with its message, a conditional requirement
// with its message, calculations, a repeat.
var (
	condSurvey = [][]string{
		{"type", "name", "label", "required", "required_message", "constraint", "constraint_message", "relevant", "calculation"},
		{"select_one yn", "seen", "Did you see it?", "yes"},
		{"integer", "count", "How many?", "yes", "", ". > 0 and . < 100", "Between 1 and 99", "${seen} = 'yes'"},
		{"text", "why", "Why so many?", "${count} > 10", "Say why"},
		{"calculate", "double", "", "", "", "", "", "", "${count} * 2"},
		{"begin repeat", "incident", "Incident"},
		{"select_one kinds", "kind", "Kind"},
		{"text", "detail", "Describe", "yes", "", "", "", "${kind} = 'other'"},
		{"calculate", "label", "", "", "", "", "", "", "concat('#', ${kind})"},
		{"end repeat"},
		{"calculate", "n_incidents", "", "", "", "", "", "", "count(${incident})"},
		{"integer", "stuffed", "Incidents of stuffing", "", "", ". <= count(${incident})", "No more than the incidents"},
		{"calculate", "stamp", "", "", "", "", "", "", "once(now())"},
	}
	condChoices = [][]string{
		{"list_name", "name", "label"},
		{"yn", "yes", "Yes"}, {"yn", "no", "No"},
		{"kinds", "stuffing", "Stuffing"}, {"kinds", "other", "Other"},
	}
)

func condForm(t *testing.T) *Form {
	t.Helper()
	f, err := FromXLSFormRows(condSurvey, condChoices, [][]string{{"form_id"}, {"cond"}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEvaluateClearsNonRelevant(t *testing.T) {
	f := condForm(t)
	in := Answers{"seen": BoolValue(false), "count": IntValue(50), "why": TextValue("x"), "double": TextValue("7")}
	out, errs := Evaluate(f, in, time.Now())
	if len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	if _, ok := out["count"]; ok {
		t.Error("count kept though seen is no")
	}
	if _, ok := in["count"]; !ok {
		t.Error("the answers given were changed")
	}
	// count cleared: "" * 2 is NaN, which ODK's engine stores as no
	// value; the client's 7 is gone.
	if v, ok := out["double"]; ok {
		t.Errorf("double %v", v)
	}
	if s, _ := out["why"].Text(); s != "x" {
		t.Errorf("why %v", out["why"])
	}
}

func TestEvaluateRequiredAndConstraints(t *testing.T) {
	f := condForm(t)
	now := time.Now()
	msgs := func(errs []FieldError) []string {
		var out []string
		for _, e := range errs {
			out = append(out, e.Question+": "+e.Message)
		}
		return out
	}
	out, errs := Evaluate(f, Answers{"seen": BoolValue(true), "count": IntValue(50), "double": IntValue(3)}, now)
	if got := msgs(errs); !slices.Equal(got, []string{"why: Say why"}) {
		t.Errorf("count 50 without why: %v", got)
	}
	if s, _ := out["double"].Text(); s != "100" {
		t.Errorf("double recomputed as %v", out["double"])
	}
	_, errs = Evaluate(f, Answers{"seen": BoolValue(true), "count": IntValue(500), "why": TextValue("a queue")}, now)
	if got := msgs(errs); !slices.Equal(got, []string{"count: Between 1 and 99"}) {
		t.Errorf("count 500: %v", got)
	}
	_, errs = Evaluate(f, Answers{"seen": BoolValue(true)}, now)
	if got := msgs(errs); !slices.Equal(got, []string{"count: required, no answer given"}) {
		t.Errorf("count missing: %v", got)
	}
	// Validate leaves the relevance-conditional requirement to Evaluate.
	if v := Validate(f, Answers{"seen": BoolValue(true)}); len(v) != 0 {
		t.Errorf("Validate: %v", v)
	}
	_, errs = Evaluate(f, Answers{"seen": BoolValue(true), "count": IntValue(5)}, now)
	if len(errs) != 0 {
		t.Errorf("count 5: %v", msgs(errs))
	}
}

func TestEvaluateRepeats(t *testing.T) {
	f := condForm(t)
	in := Answers{"seen": BoolValue(false), "stuffed": IntValue(3), "stamp": TextValue("2024-03-10T10:00:00.000+05:00"),
		"incident": RepeatValue(Answers{"kind": TextValue("other")}, Answers{"kind": TextValue("stuffing"), "detail": TextValue("x")})}
	out, errs := Evaluate(f, in, time.Now())
	var got []string
	for _, e := range errs {
		got = append(got, e.Question+": "+e.Message)
	}
	want := []string{"stuffed: No more than the incidents", "incident[1]/detail: required, no answer given"}
	if !slices.Equal(got, want) {
		t.Errorf("errors %v, want %v", got, want)
	}
	rows, _ := out["incident"].Repeat()
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	if _, ok := rows[1]["detail"]; ok {
		t.Error("detail kept in an instance whose kind is not other")
	}
	if s, _ := rows[0]["label"].Text(); s != "#other" {
		t.Errorf("label in instance 1: %v", rows[0]["label"])
	}
	if s, _ := out["n_incidents"].Text(); s != "2" {
		t.Errorf("n_incidents %v", out["n_incidents"])
	}
	// The clock's calculation is the client's.
	if s, _ := out["stamp"].Text(); !strings.HasPrefix(s, "2024-03-10T10") {
		t.Errorf("stamp %v", out["stamp"])
	}
}
