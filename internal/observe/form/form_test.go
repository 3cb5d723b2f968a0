package form

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form/formtest"
)

func testElection() *election.Election { return formtest.Election() }

func TestTemplatesCheck(t *testing.T) {
	seenPrefix := map[string]bool{}
	for _, f := range Templates() {
		if err := f.Check(); err != nil {
			t.Errorf("%s: %v", f.ID, err)
		}
		if err := BindElection(f, testElection()).Check(); err != nil {
			t.Errorf("%s bound: %v", f.ID, err)
		}
		if seenPrefix[f.Prefix] {
			t.Errorf("%s: SMS prefix %s reused", f.ID, f.Prefix)
		}
		seenPrefix[f.Prefix] = true
		for _, q := range f.Questions {
			if q.Label.RU == "" {
				t.Errorf("%s/%s: no Russian label", f.ID, q.ID)
			}
		}
	}
}

func TestTemplatesIndicators(t *testing.T) {
	want := []string{
		IndBallotSecrecyNotEnsured, IndGroupVoting, IndBallotBoxStuffing, IndIdenticalSignatures,
		IndUnauthorisedPresent, IndUnauthorisedDirecting, IndObserversRestricted, IndBallotBoxesNotSealed,
		IndBallotsNotShown, IndReconciliationSkipped, IndProtocolNotPosted, IndNoProtocolCopy,
		IndFiguresChangedAtTabulation,
	}
	have := map[string]bool{}
	overall := map[Phase]bool{}
	for _, f := range Templates() {
		for _, q := range f.Questions {
			have[q.Indicator] = true
			if q.Type == Assessment {
				overall[f.Phase] = true
			}
		}
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("no template measures %s", w)
		}
	}
	for _, p := range []Phase{Opening, Voting, Counting, Tabulation} {
		if !overall[p] {
			t.Errorf("no overall assessment for %s", p)
		}
	}
	if CountingTemplate().Question(ProtocolID) == nil {
		t.Error("counting template has no protocol block")
	}
}

func TestCheckFindsProblems(t *testing.T) {
	f := &Form{ID: "x y", Phase: "closing", Prefix: "op1", Questions: []Question{
		{ID: "a", Type: YesNo, Label: Label{EN: "A"}, SMS: "AA"},
		{ID: "a", Type: "scale", Label: Label{EN: "B"}, SMS: "AA"},
		{ID: "c", Type: SingleChoice, Label: Label{EN: "C"}},
		{ID: "d", Type: Text, Label: Label{EN: "D"}, SMS: "AD"},
		{ID: "e", Type: YesNo, Label: Label{EN: "E"}, Indicator: "x", Flag: "maybe"},
		{ID: "p", Type: Protocol, Label: Label{EN: "P"}, Items: []ProtocolItem{
			{ID: "t", Figure: "turnout"}, {ID: "v", Figure: "valid"}, {ID: "v2", Figure: "valid"},
			{ID: "o1", Option: 1}, {ID: "o1b", Option: 1}, {ID: "neg", Option: -1}}},
	}}
	err := f.Check()
	if err == nil {
		t.Fatal("Check passed a broken form")
	}
	for _, want := range []string{`form id "x y"`, "has no name", `unknown phase "closing"`, `prefix "op1"`,
		"duplicate id", `unknown type "scale"`, "SMS tag AA already used by a", "(c): no choices",
		"text question cannot carry an SMS tag", `flag "maybe" is not one of its answers`,
		`p/t: unknown protocol figure "turnout"`, "p/v2: figure valid has two lines", "p/o1b: option 2 has two lines",
		"p/neg: negative option position"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error lacks %q:\n%v", want, err)
		}
	}
}

func ptr(n int64) *int64 { return &n }

func validateForm() *Form {
	return &Form{ID: "t", Name: Label{EN: "T"}, Phase: Voting, Version: "3", Questions: []Question{
		{ID: "yn", Type: YesNo, Label: Label{EN: "yn"}, Required: true},
		{ID: "n", Type: Integer, Label: Label{EN: "n"}, Min: ptr(0), Max: ptr(10)},
		{ID: "lo", Type: Integer, Label: Label{EN: "lo"}, Min: ptr(5)},
		{ID: "dec", Type: Decimal, Label: Label{EN: "dec"}},
		{ID: "one", Type: SingleChoice, Label: Label{EN: "one"}, Choices: []Choice{{Value: "a"}, {Value: "b"}}},
		{ID: "many", Type: MultipleChoice, Label: Label{EN: "many"}, Choices: []Choice{{Value: "a"}, {Value: "b"}}},
		{ID: "tm", Type: Time, Label: Label{EN: "tm"}},
		{ID: "dt", Type: Date, Label: Label{EN: "dt"}},
		{ID: "grade", Type: Assessment, Label: Label{EN: "grade"}},
		{ID: "rel", Type: Text, Label: Label{EN: "rel"}, Required: true, Relevant: "${yn} = 'yes'"},
		{ID: "note", Type: Note, Label: Label{EN: "note"}},
		ProtocolQuestion(testElection().Options),
	}}
}

func TestValidateAccepts(t *testing.T) {
	f := validateForm()
	a := Answers{
		"yn": BoolValue(true), "n": IntValue(10), "lo": IntValue(5), "dec": DecimalValue(1.5),
		"one": TextValue("b"), "many": ListValue("a", "b"), "tm": TextValue("07:30"), "dt": TextValue("2022-11-20"),
		"grade": TextValue(VeryBad),
		"protocol": ProtocolValue(map[string]int64{"registered": 1200, "ballots_received": 1200, "ballots_issued": 800,
			"ballots_cancelled": 400, "ballots_in_box": 800, "invalid": 10, "valid": 790, "votes_1": 600, "votes_2": 150, "votes_3": 40}),
	}
	if errs := Validate(f, a); len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	if errs := Validate(f, Answers{"yn": BoolValue(false), "dec": IntValue(3), "tm": TextValue("23:59:59.000+06:00")}); len(errs) != 1 || errs[0].Question != "protocol" {
		t.Fatalf("want only the missing protocol, got %v", errs)
	}
}

func TestValidateErrors(t *testing.T) {
	f := validateForm()
	a := Answers{
		"n": IntValue(11), "lo": IntValue(4), "dec": TextValue("x"), "one": TextValue("c"),
		"many": ListValue("a", "z", "a"), "tm": TextValue("24:00"), "dt": TextValue("2022-02-30"),
		"grade": TextValue("fair"), "note": TextValue("x"), "ghost": IntValue(1),
		"protocol": ProtocolValue(map[string]int64{"registered": -1, "extra": 3}),
	}
	errs := Validate(f, a)
	got := map[string]string{}
	for _, e := range errs {
		got[e.Question+"/"+e.Item+"/"+e.Value] = e.Message
	}
	want := map[string]string{
		"yn//":                   "required, no answer given",
		"n//11":                  "expected a whole number from 0 to 10",
		"lo//4":                  "expected a whole number of at least 5",
		"dec//x":                 "expected a number, got a text answer",
		"one//c":                 "expected one of: a, b",
		"many//z":                "not a choice of this question; expected any of: a, b",
		"many//a":                "choice given twice",
		"tm//24:00":              "expected a time of day HH:MM (00:00 to 23:59)",
		"dt//2022-02-30":         "expected a date YYYY-MM-DD",
		"grade//fair":            "expected one of: very_good, good, bad, very_bad",
		"note//x":                "a note takes no answer",
		"ghost//1":               "no such question in form t version 3",
		"protocol/registered/-1": "expected a count of zero or more",
		"protocol/valid/":        "protocol line missing",
		"protocol/extra/3":       "no such line in this protocol block",
	}
	for k, msg := range want {
		if got[k] != msg {
			t.Errorf("%s: got %q, want %q", k, got[k], msg)
		}
	}
	if errs[len(errs)-1].Question != "ghost" {
		t.Errorf("unknown questions should come last: %v", errs)
	}
	if s := (FieldError{Question: "n", Value: "11", Message: "too big"}).Error(); s != `n: "11": too big` {
		t.Errorf("Error() = %s", s)
	}
}

func TestValidateKindMismatch(t *testing.T) {
	f := validateForm()
	errs := Validate(f, Answers{"yn": TextValue("yes"), "n": DecimalValue(2.5), "many": TextValue("a")})
	if len(errs) != 4 { // three mismatches and the missing protocol
		t.Fatalf("got %v", errs)
	}
	if errs[0].Message != "expected true or false, got a text answer" || errs[1].Message != "expected a whole number, got a decimal answer" {
		t.Errorf("got %v", errs)
	}
}

func TestAnswersJSON(t *testing.T) {
	in := `{"a":true,"b":12,"c":1.5,"d":"x","e":["p","q"],"f":{"registered":5},"g":null,"h":1e3}`
	var a Answers
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]Kind{"a": KindBool, "b": KindInt, "c": KindDecimal, "d": KindText, "e": KindList, "f": KindProtocol, "g": KindNone, "h": KindDecimal}
	for k, want := range kinds {
		if a[k].Kind() != want {
			t.Errorf("%s: kind %v, want %v", k, a[k].Kind(), want)
		}
	}
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var b Answers
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	for k := range a {
		if !a[k].Equal(b[k]) {
			t.Errorf("%s: %v != %v after round trip (%s)", k, a[k], b[k], out)
		}
	}
	for _, bad := range []string{`{"a":[1]}`, `{"a":{"x":"y"}}`, `{"a":1e999}`} {
		if err := json.Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestFormJSONRoundTrip(t *testing.T) {
	f := BindElection(CountingTemplate(), testElection())
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var g Form
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(&g)
	if string(b) != string(b2) {
		t.Errorf("round trip differs:\n%s\n%s", b, b2)
	}
}

func TestProtocolFigures(t *testing.T) {
	f := BindElection(CountingTemplate(), testElection())
	q := f.Question(ProtocolID)
	v := ProtocolValue(map[string]int64{"registered": 1000, "ballots_in_box": 700, "valid": 690, "invalid": 10, "votes_1": 500, "votes_3": 190})
	figs, votes, err := ProtocolFigures(q, v, 3)
	if err != nil {
		t.Fatal(err)
	}
	if figs.Value(election.Registered) != 1000 || figs.Value(election.Valid) != 690 || figs.Has(election.BallotsReceived) {
		t.Errorf("figures %v", figs.Map())
	}
	if votes[0] != 500 || votes[1] != 0 || votes[2] != 190 {
		t.Errorf("votes %v", votes)
	}
	if _, _, err := ProtocolFigures(q, v, 2); err == nil {
		t.Error("option beyond the election accepted")
	}
	if _, _, err := ProtocolFigures(q, IntValue(3), 3); err == nil {
		t.Error("non-protocol value accepted")
	}
}

func TestIndicators(t *testing.T) {
	f := VotingTemplate()
	got := f.Indicators(Answers{
		"ballot_box_stuffing": BoolValue(true),
		"secrecy_ensured":     BoolValue(true),
		"boxes_sealed":        BoolValue(false),
		"group_voting":        BoolValue(false),
	})
	want := map[string]bool{IndBallotBoxStuffing: true, IndBallotSecrecyNotEnsured: false, IndBallotBoxesNotSealed: true, IndGroupVoting: false}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestMerge(t *testing.T) {
	base := Answers{"a": IntValue(1), "b": BoolValue(true), "p": ProtocolValue(map[string]int64{"valid": 10, "invalid": 1})}
	upd := Answers{"b": BoolValue(false), "c": TextValue("x"), "p": ProtocolValue(map[string]int64{"valid": 12, "votes_1": 7})}
	got := Merge(base, upd)
	want := Answers{"a": IntValue(1), "b": BoolValue(false), "c": TextValue("x"), "p": ProtocolValue(map[string]int64{"valid": 12, "invalid": 1, "votes_1": 7})}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if !got[k].Equal(v) {
			t.Errorf("%s: %v, want %v", k, got[k], v)
		}
	}
	if p, _ := base["p"].Protocol(); p["valid"] != 10 || len(p) != 2 {
		t.Errorf("base changed: %v", p)
	}
}

func TestNegativeAndIndicatorsOfChoices(t *testing.T) {
	if !Negative(Bad) || !Negative(VeryBad) || Negative(Good) || Negative(VeryGood) || Negative("") {
		t.Error("Negative")
	}
	f := &Form{ID: "i", Name: Label{EN: "I"}, Phase: Incident, Questions: []Question{
		{ID: "m", Type: MultipleChoice, Label: Label{EN: "m"}, Indicator: "crowding", Flag: "crowd",
			Choices: []Choice{{Value: "queue"}, {Value: "crowd"}}},
		{ID: "s", Type: SingleChoice, Label: Label{EN: "s"}, Indicator: "violence", Flag: "yes_violence",
			Choices: []Choice{{Value: "none"}, {Value: "yes_violence"}}},
		{ID: "g", Type: Assessment, Label: Label{EN: "g"}, Indicator: "overall_incident"},
	}}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	got := f.Indicators(Answers{"m": ListValue("queue", "crowd"), "s": TextValue("none"), "g": TextValue(Bad)})
	if !got["crowding"] || got["violence"] || len(got) != 2 {
		t.Errorf("indicators %v", got)
	}
}

func TestValueString(t *testing.T) {
	for v, want := range map[*Value]string{
		ptrV(BoolValue(true)): "yes", ptrV(BoolValue(false)): "no", ptrV(IntValue(-3)): "-3",
		ptrV(DecimalValue(0.25)): "0.25", ptrV(TextValue("x")): "x", ptrV(ListValue("a", "b")): "a,b",
		ptrV(ProtocolValue(map[string]int64{"valid": 2, "invalid": 1})): "invalid=1,valid=2", ptrV(Value{}): "",
	} {
		if got := v.String(); got != want {
			t.Errorf("%v: %q, want %q", v.Kind(), got, want)
		}
	}
	if KindProtocol.String() != "protocol" || Kind(99).String() != "kind(99)" {
		t.Error("Kind.String")
	}
	if _, err := json.Marshal(DecimalValue(math.Inf(1))); err == nil {
		t.Error("infinity marshalled")
	}
}

func ptrV(v Value) *Value { return &v }

func TestReadValue(t *testing.T) {
	q := func(typ Type) *Question { return &Question{ID: "q", Type: typ} }
	cases := []struct {
		typ  Type
		raw  string
		want Value
		err  string
	}{
		{YesNo, "yes", BoolValue(true), ""}, {YesNo, "TRUE", BoolValue(true), ""}, {YesNo, "0", BoolValue(false), ""},
		{YesNo, "ja", Value{}, "expected yes or no"},
		{Integer, "-12", IntValue(-12), ""}, {Integer, "1.5", Value{}, "expected a whole number"},
		{Decimal, "7", IntValue(7), ""}, {Decimal, "7.25", DecimalValue(7.25), ""}, {Decimal, "NaN", Value{}, "expected a number"},
		{Decimal, "Inf", Value{}, "expected a number"}, {Decimal, "1e999", Value{}, "expected a number"},
		{MultipleChoice, " a  b ", ListValue("a", "b"), ""}, {Time, "07:30:00.000+06:00", TextValue("07:30:00.000+06:00"), ""},
		{Protocol, "1", Value{}, "a protocol block has no value of its own"},
	}
	for _, c := range cases {
		v, err := ReadValue(q(c.typ), c.raw)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s %q: err %v, want %s", c.typ, c.raw, err, c.err)
			}
			continue
		}
		if err != nil || !v.Equal(c.want) {
			t.Errorf("%s %q: %v %v, want %v", c.typ, c.raw, v, err, c.want)
		}
	}
}

func TestXFormSurvivesControlCharacters(t *testing.T) {
	f := &Form{ID: "c", Name: Label{EN: "Bell\a and \x00 nul"}, Phase: Incident, Version: "1\x1b", Questions: []Question{
		{ID: "q", Type: Text, Label: Label{EN: "tab\tnewline\ncr\r\xff", RU: "ок"}},
	}}
	doc := XForm(f)
	var n xmlNode
	if err := xml.Unmarshal(doc, &n); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if !bytes.Contains(doc, []byte("<h:title>Bell and  nul</h:title>")) {
		t.Errorf("title not cleaned:\n%s", doc)
	}
}

// TestValidateBounds: an observer's protocol count above election.MaxCount
// and a text above MaxTextBytes are refused, whatever the channel.
func TestValidateBounds(t *testing.T) {
	f := CountingTemplate()
	probs := Validate(f, Answers{"protocol": ProtocolValue(map[string]int64{"registered": election.MaxCount + 1}),
		ProtocolPhotoID: TextValue(strings.Repeat("я", MaxTextBytes/2+1))})
	var got []string
	for _, p := range probs {
		if p.Question == "protocol" && p.Item == "registered" || p.Question == ProtocolPhotoID {
			got = append(got, p.Error())
		}
	}
	if len(got) != 2 || !strings.Contains(got[0]+got[1], "expected a count of at most 10000000000") || !strings.Contains(got[0]+got[1], "a text of at most 10000 bytes (it has 10002)") {
		t.Fatalf("%v", got)
	}
}
