package recommend

import (
	"errors"
	"strings"
	"testing"
)

func TestEffectiveTopic(t *testing.T) {
	for text, want := range map[string]Topic{
		"The CEC should publish disaggregated results by polling station.":                  DisaggregatedResults,
		"Observers should have unimpeded access to the count and to tabulation.":            ObserverAccess,
		"A copy of the protocol should be given to every observer who asks after the count": NoTopic,
		"Defamation should be decriminalised.":                                              NoTopic,
	} {
		r := &Recommendation{Text: text}
		if got := r.EffectiveTopic(); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
}

func posErrs(err error) []*PosError {
	var out []*PosError
	var pe *PosError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if errors.As(e, &pe) {
				out = append(out, pe)
			}
		}
	} else if errors.As(err, &pe) {
		out = append(out, pe)
	}
	return out
}

func TestCSVErrorsArePrecise(t *testing.T) {
	head := strings.Join(csvColumns, ",") + "\n"
	row := func(vals map[string]string) string {
		rec := make([]string, len(csvColumns))
		for i, c := range csvColumns {
			rec[i] = vals[c]
		}
		return strings.Join(rec, ",") + "\n"
	}
	mission := row(map[string]string{"record": "mission", "key": "m1", "country": "KZ", "type": "full", "name": "M"})
	report := row(map[string]string{"record": "report", "key": "r1", "mission": "m1", "kind": "final", "date": "2021-03-18"})
	// column of a field, 1-based: the record column is 1, each field one
	// comma further (all earlier fields of these rows are short).
	colOf := func(line, field string) int {
		n := 1
		for j, c := range csvColumns {
			if c == field {
				break
			}
			n += len(strings.Split(line, ",")[j]) + 1
		}
		return n
	}
	badArea := row(map[string]string{"record": "recommendation", "report": "r1", "number": "1", "area": "weather", "text": "T"})
	ds, err := ReadCSV([]byte(head+mission+report+badArea), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	errs := posErrs(Check(&Dataset{}, ds))
	if len(errs) != 1 || errs[0].Line != 4 || errs[0].Col != colOf(badArea, "area") || errs[0].Field != "area" {
		t.Fatalf("bad area: %v", errs)
	}
	if !strings.HasPrefix(errs[0].Error(), "in.csv:4:") {
		t.Errorf("message %q", errs[0].Error())
	}
	misplaced := row(map[string]string{"record": "report", "key": "r2", "mission": "m1", "kind": "final", "date": "2021-03-18", "status": "fully"})
	_, err = ReadCSV([]byte(head+mission+misplaced), "in.csv")
	if pe := posErrs(err); len(pe) != 1 || pe[0].Line != 3 || pe[0].Field != "status" || pe[0].Col != colOf(misplaced, "status") {
		t.Fatalf("misplaced column: %v", err)
	}
	badRepeat := row(map[string]string{"record": "recommendation", "report": "r1", "number": "2", "area": "media", "text": "T", "repeats": "r0#1"})
	ds, _ = ReadCSV([]byte(head+mission+report+badRepeat), "in.csv")
	if pe := posErrs(Check(&Dataset{}, ds)); len(pe) != 1 || pe[0].Line != 4 || pe[0].Field != "repeats" || !strings.Contains(pe[0].Msg, "no recommendation r0#1") {
		t.Fatalf("bad repeat: %v", pe)
	}
	_, err = ReadCSV([]byte(head+"mission,\"unterminated\n"), "in.csv")
	if pe := posErrs(err); len(pe) != 1 || pe[0].Line != 2 {
		t.Fatalf("syntax: %v", err)
	}
}

func TestJSONErrorsArePrecise(t *testing.T) {
	in := `{
  "missions": [
    {"key": "m1", "country": "KZ", "type": "full", "name": "M"}
  ],
  "reports": [
    {"key": "r1", "mission": "m1", "kind": "final", "date": "2021-03-18"},
    {"key": "r2", "mission": "m9", "kind": "final", "date": "2022-03-18"}
  ]
}`
	ds, err := ReadJSON([]byte(in), "in.json")
	if err != nil {
		t.Fatal(err)
	}
	pe := posErrs(Check(&Dataset{}, ds))
	if len(pe) != 1 || pe[0].Line != 7 || pe[0].Col != 5 || pe[0].Field != "mission" {
		t.Fatalf("got %v", pe)
	}
	_, err = ReadJSON([]byte(strings.Replace(in, `"kind": "final", "date": "2022`, `"kind": 3, "date": "2022`, 1)), "in.json")
	if p := posErrs(err); len(p) != 1 || p[0].Line != 7 {
		t.Fatalf("type error: %v", err)
	}
	_, err = ReadJSON([]byte(strings.Replace(in, `"name": "M"`, `"name": "M", "colour": "red"`, 1)), "in.json")
	if p := posErrs(err); len(p) != 1 || p[0].Line != 3 || p[0].Field != "colour" {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestSentence(t *testing.T) {
	for c, want := range map[Counts]string{
		{}:                         "No prior recommendations.",
		{Partially: 1}:             "Of 1 prior recommendation, 1 was partially implemented.",
		{Not: 2, NotAssessed: 1}:   "Of 3 prior recommendations, 2 were not implemented and 1 not assessed.",
		{Fully: 1, Mostly: 2}:      "Of 3 prior recommendations, 1 was fully implemented and 2 mostly.",
		{Mostly: 1, Partially: 24}: "Of 25 prior recommendations, 1 was mostly implemented and 24 partially.",
	} {
		if got := c.Sentence(); got != want {
			t.Errorf("%+v: %q, want %q", c, got, want)
		}
	}
}
