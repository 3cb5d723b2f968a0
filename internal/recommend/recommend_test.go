package recommend

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func demo(t *testing.T) *Dataset {
	t.Helper()
	ds := DemoDataset(SeedOptions{Elections: map[int]string{2023: "kz-2023"}})
	if err := Check(&Dataset{}, ds); err != nil {
		t.Fatalf("the demo dataset does not check: %v", err)
	}
	return ds
}

func TestDemoFollowUpCounts(t *testing.T) {
	ds := demo(t)
	if n := len(ds.Recommendations); n != 30+36+32 {
		t.Fatalf("recommendations: %d, want 98", n)
	}
	s := Summarise(ds, "kz")
	if len(s.Assessments) != 2 {
		t.Fatalf("assessments: %+v", s.Assessments)
	}
	a22, a23 := s.Assessments[0], s.Assessments[1]
	if a22.Report != "kz-2022-presidential-final" || a23.Report != "kz-2023-parliamentary-final" {
		t.Fatalf("reports %q, %q", a22.Report, a23.Report)
	}
	if want := (Counts{Fully: 2, Mostly: 2, Partially: 16, Not: 10}); a22.Counts != want {
		t.Errorf("2022: %+v, want %+v", a22.Counts, want)
	}
	if want := (Counts{Fully: 3, Mostly: 3, Partially: 24, Not: 6}); a23.Counts != want {
		t.Errorf("2023: %+v, want %+v", a23.Counts, want)
	}
	if want := "Of 36 prior recommendations, 3 were fully implemented, 3 mostly, 24 partially and 6 not implemented."; a23.Text != want {
		t.Errorf("text %q\nwant %q", a23.Text, want)
	}
	// By area adds up to the whole, and a hand-checked area: observation
	// in 2022's report has themes 21 (partially), 22 (not), 35 (fully).
	var sum Counts
	for _, c := range a23.ByArea {
		sum.Fully += c.Fully
		sum.Mostly += c.Mostly
		sum.Partially += c.Partially
		sum.Not += c.Not
		sum.NotAssessed += c.NotAssessed
	}
	if sum != a23.Counts {
		t.Errorf("by area sums to %+v, not %+v", sum, a23.Counts)
	}
	if got, want := a23.ByArea[Observation], (Counts{Fully: 1, Partially: 1, Not: 1}); got != want {
		t.Errorf("observation: %+v, want %+v", got, want)
	}
	if len(s.Trend) != 2 || s.Trend[1].Change != a23.Implemented-a22.Implemented {
		t.Errorf("trend %+v", s.Trend)
	}
	if got := 6.0 / 36; a23.Implemented != got {
		t.Errorf("implemented share %v, want %v", a23.Implemented, got)
	}
}

func TestUnassessedPriorRecommendationsCount(t *testing.T) {
	ds := demo(t)
	// Drop the 2023 assessment of one recommendation: it must show as not
	// assessed, not vanish from the follow-up.
	var kept []*Assessment
	dropped := ""
	for _, a := range ds.Assessments {
		if dropped == "" && a.ReportKey == "kz-2023-parliamentary-final" && a.Status == Partially {
			dropped = a.Recommendation
			continue
		}
		kept = append(kept, a)
	}
	ds.Assessments = kept
	a23 := Summarise(ds, "KZ").Assessments[1]
	if want := (Counts{Fully: 3, Mostly: 3, Partially: 23, Not: 6, NotAssessed: 1}); a23.Counts != want {
		t.Fatalf("2023: %+v, want %+v", a23.Counts, want)
	}
	if got := a23.Refs[NotAssessed]; len(got) != 1 || got[0] != dropped {
		t.Fatalf("not assessed %v, want [%s]", got, dropped)
	}
	// A recommendation found fully implemented is closed: the 2022 report
	// found two so, and 2023 does not count them as left out.
	x := NewIndex(ds)
	for ref, st := range x.Prior("kz-2023-parliamentary-final") {
		if strings.HasPrefix(ref, "kz-2021") {
			t.Errorf("2023 counts %s (%s), which 2022 repeated or closed", ref, st)
		}
	}
}

func TestHistoryAcrossCycles(t *testing.T) {
	ds := demo(t)
	x := NewIndex(ds)
	// The observers' access recommendation, by its 2023 number.
	var ref23 string
	for _, r := range ds.Recommendations {
		if r.ReportKey == "kz-2023-parliamentary-final" && r.Topic == ObserverAccess {
			ref23 = r.Ref()
		}
	}
	h := x.History(ref23)
	if len(h) != 3 {
		t.Fatalf("history of %s: %d steps, want 3", ref23, len(h))
	}
	wantReports := []string{"kz-2021-parliamentary-final", "kz-2022-presidential-final", "kz-2023-parliamentary-final"}
	wantStatus := [][]Status{{Partially}, {Partially}, {}}
	for i, st := range h {
		if st.Report.Key != wantReports[i] {
			t.Errorf("step %d: report %s, want %s", i, st.Report.Key, wantReports[i])
		}
		var got []Status
		for _, a := range st.Assessments {
			got = append(got, a.Status)
		}
		if len(got) != len(wantStatus[i]) || (len(got) > 0 && got[0] != wantStatus[i][0]) {
			t.Errorf("step %d: assessments %v, want %v", i, got, wantStatus[i])
		}
	}
	// The same history from its first step.
	if h2 := x.History(h[0].Ref); len(h2) != 3 || h2[2].Ref != ref23 {
		t.Errorf("history from the start differs: %d steps", len(h2))
	}
	// A theme found fully implemented in 2022 ends there.
	for _, a := range ds.Assessments {
		if a.Status == Fully && a.ReportKey == "kz-2022-presidential-final" {
			if h := x.History(a.Recommendation); len(h) != 1 {
				t.Errorf("%s was fully implemented but has %d steps", a.Recommendation, len(h))
			}
		}
	}
}

type fakeResults map[string]StationCoverage

func (f fakeResults) StationCoverage(_ context.Context, e string) (StationCoverage, error) {
	c, ok := f[e]
	if !ok {
		return StationCoverage{Election: e}, nil
	}
	c.Election, c.Found = e, true
	return c, nil
}

type fakeFindings map[string][]Indicator

func (f fakeFindings) Indicators(_ context.Context, e, org string) ([]Indicator, error) {
	if org != "OSCE/ODIHR" {
		return nil, nil
	}
	return f[e], nil
}

func TestProposals(t *testing.T) {
	ds := demo(t)
	x := NewIndex(ds)
	ctx := context.Background()
	var disagg, access, other string
	for _, r := range ds.Recommendations {
		if r.ReportKey != "kz-2022-presidential-final" {
			continue
		}
		switch r.EffectiveTopic() {
		case DisaggregatedResults:
			disagg = r.Ref()
		case ObserverAccess:
			access = r.Ref()
		default:
			other = r.Ref()
		}
	}
	const by = "kz-2023-parliamentary-final" // its mission names election kz-2023
	cases := []struct {
		name     string
		ref      string
		results  ResultsSource
		findings FindingsSource
		ok       bool
		status   Status
		reason   string
	}{
		{"all stations official", disagg, fakeResults{"kz-2023": {Stations: 200, WithOfficial: 200, WithFinal: 200}}, nil, true, Fully, "200 of 200"},
		{"most stations", disagg, fakeResults{"kz-2023": {Stations: 200, WithOfficial: 185, WithFinal: 185}}, nil, true, Mostly, "185 of 200 polling stations of kz-2023 (92.5 %"},
		{"few stations", disagg, fakeResults{"kz-2023": {Stations: 200, WithOfficial: 12, WithPreliminary: 12}}, nil, true, Partially, "12 of 200"},
		{"no official protocol", disagg, fakeResults{"kz-2023": {Stations: 200}}, nil, true, NotImpl, "0 of 200"},
		{"election absent", disagg, fakeResults{}, nil, false, "", "not in the results core"},
		{"no results source", disagg, nil, nil, false, "", "not available"},
		{"no restriction", access, nil, fakeFindings{"kz-2023": {{Code: IndicatorObserversRestricted, Count: 0, Of: 150}, {Code: IndicatorNoProtocolCopy, Count: 0, Of: 150}}}, true, Fully, "restricted in 0 of 150"},
		{"rare restriction", access, nil, fakeFindings{"kz-2023": {{Code: IndicatorObserversRestricted, Count: 3, Of: 150}}}, true, Mostly, "3 of 150 observed counts and tabulations (2.0 %)"},
		{"copies refused", access, nil, fakeFindings{"kz-2023": {{Code: IndicatorObserversRestricted, Count: 3, Of: 150}, {Code: IndicatorNoProtocolCopy, Count: 30, Of: 150}}}, true, Partially, "no copy of the protocol in 30 of 150"},
		{"widespread", access, nil, fakeFindings{"kz-2023": {{Code: IndicatorObserversRestricted, Count: 60, Of: 150}}}, true, NotImpl, "60 of 150"},
		{"phases summed", access, nil, fakeFindings{"kz-2023": {
			{Code: IndicatorObserversRestricted, Phase: "voting", Count: 50, Of: 100},
			{Code: IndicatorObserversRestricted, Phase: "counting", Count: 1, Of: 100},
			{Code: IndicatorObserversRestricted, Phase: "tabulation", Count: 1, Of: 50}}}, true, Mostly, "restricted in 2 of 150"},
		{"not observed", access, nil, fakeFindings{}, false, "", "recorded nothing"},
		{"no findings source", access, nil, nil, false, "", "not available"},
		{"no topic", other, fakeResults{}, fakeFindings{}, false, "", "no data"},
	}
	for _, c := range cases {
		p, err := Propose(ctx, x, c.ref, by, c.results, c.findings)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.OK != c.ok || p.Status != c.status || !strings.Contains(p.Reasoning, c.reason) {
			t.Errorf("%s: got ok=%v %q %q; want ok=%v %q, reasoning containing %q", c.name, p.OK, p.Status, p.Reasoning, c.ok, c.status, c.reason)
		}
	}
	// A mission without an election in the results core has no evidence.
	p, err := Propose(ctx, x, disagg, "kz-2022-presidential-final", fakeResults{}, nil)
	if err != nil || p.OK || !strings.Contains(p.Reasoning, "names no election") {
		t.Errorf("no election: %+v %v", p, err)
	}
	all, err := ProposeAll(ctx, x, by, fakeResults{"kz-2023": {Stations: 10, WithOfficial: 10}}, nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("ProposeAll: %d proposals, %v", len(all), err)
	}
}

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

func TestRoundTrip(t *testing.T) {
	for _, f := range []Format{JSON, CSV} {
		ds := demo(t)
		var a bytes.Buffer
		if err := Write(&a, ds, f); err != nil {
			t.Fatal(err)
		}
		back, err := Read(bytes.NewReader(a.Bytes()), "demo."+string(f), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := Check(&Dataset{}, back); err != nil {
			t.Fatalf("%s: read back does not check: %v", f, err)
		}
		var b bytes.Buffer
		if err := Write(&b, back, f); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: the round trip changed the file", f)
		}
		if Summarise(back, "KZ").Assessments[1].Counts != Summarise(ds, "KZ").Assessments[1].Counts {
			t.Errorf("%s: counts changed", f)
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

func TestCheckRules(t *testing.T) {
	base := demo(t)
	cases := map[string]struct {
		in   *Dataset
		want string
	}{
		"duplicate mission": {&Dataset{Missions: []*Mission{{Key: "kz-2021-parliamentary-eom", Country: "KZ", Type: FullMission, Name: "x"}}}, "already exists"},
		"repeat later":      {&Dataset{Recommendations: []*Recommendation{{ReportKey: "kz-2021-parliamentary-final", Number: "99", Text: "x", Area: Media, Repeats: []string{"kz-2022-presidential-final#1"}}}}, "not earlier"},
		"assess earlier":    {&Dataset{Assessments: []*Assessment{{Recommendation: "kz-2022-presidential-final#1", ReportKey: "kz-2021-parliamentary-final", Status: Fully}}}, "not later"},
		"assess twice":      {&Dataset{Assessments: []*Assessment{{Recommendation: "kz-2022-presidential-final#1", ReportKey: "kz-2023-parliamentary-final", Status: Fully}}}, "already assesses"},
		"bad status":        {&Dataset{Assessments: []*Assessment{{Recommendation: "kz-2023-parliamentary-final#1", ReportKey: "kz-2023-parliamentary-final", Status: "done"}}}, "unknown status"},
		"other country": {&Dataset{
			Missions:    []*Mission{{Key: "am", Country: "AM", Type: FullMission, Name: "x"}},
			Reports:     []*Report{{Key: "am-final", MissionKey: "am", Kind: Final, Date: "2025-01-01"}},
			Assessments: []*Assessment{{Recommendation: "kz-2023-parliamentary-final#1", ReportKey: "am-final", Status: Fully}}}, "is a report on AM"},
	}
	for name, c := range cases {
		err := Check(base, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestCompareCountries(t *testing.T) {
	ds := demo(t)
	other := DemoDataset(SeedOptions{Country: "AM"})
	for _, a := range other.Assessments {
		a.Status = Fully
	}
	rows := Compare(Merge(ds, other))
	if len(rows) != 2 || rows[0].Country != "AM" || rows[0].Implemented != 1 || rows[1].Country != "KZ" || rows[1].Counts.Partially != 24 {
		t.Fatalf("%+v", rows)
	}
}

func FuzzReadCSV(f *testing.F) {
	var b bytes.Buffer
	ds := DemoDataset(SeedOptions{})
	ds.Recommendations = ds.Recommendations[:3]
	ds.Assessments = nil
	WriteCSV(&b, ds)
	f.Add(b.Bytes())
	f.Add([]byte("record,key\nmission,\"a\nb\"\n"))
	f.Add([]byte("record\n\n,\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ds, err := ReadCSV(in, "f.csv")
		if err != nil {
			var pe *PosError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a PosError", err)
			}
			return
		}
		// Whatever reads must check without panicking and, when it
		// checks, write and read back to the same records.
		if Check(&Dataset{}, ds) != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, ds, CSV); err != nil {
			t.Fatal(err)
		}
		back, err := ReadCSV(out.Bytes(), "back.csv")
		if err != nil {
			t.Fatalf("cannot read back what was written: %v\n%s", err, out.Bytes())
		}
		var again bytes.Buffer
		Write(&again, back, CSV)
		if !bytes.Equal(out.Bytes(), again.Bytes()) {
			t.Fatalf("round trip differs:\n%s\n---\n%s", out.Bytes(), again.Bytes())
		}
	})
}

func TestChains(t *testing.T) {
	ds := demo(t)
	x := NewIndex(ds)
	cs := x.Chains("KZ")
	// 40 themes, each one chain.
	if len(cs) != 40 {
		t.Fatalf("%d chains, want 40", len(cs))
	}
	n := 0
	for _, c := range cs {
		n += len(c.Steps)
	}
	if n != len(ds.Recommendations) {
		t.Errorf("the chains hold %d recommendations, want %d", n, len(ds.Recommendations))
	}
	if cs[0].Latest.Area != LegalFramework || !cs[0].Latest.Priority || len(cs[0].Steps) != 3 || cs[0].Status != Partially {
		t.Errorf("first chain %+v", cs[0])
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

func FuzzReadJSON(f *testing.F) {
	var b bytes.Buffer
	ds := DemoDataset(SeedOptions{})
	ds.Recommendations = ds.Recommendations[:2]
	ds.Assessments = nil
	WriteJSON(&b, ds)
	f.Add(b.Bytes())
	f.Add([]byte(`{"missions": [{"key": 1}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		ds, err := ReadJSON(in, "f.json")
		if err != nil {
			var pe *PosError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a positioned PosError", err)
			}
			return
		}
		if Check(&Dataset{}, ds) != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, ds, JSON); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadJSON(out.Bytes(), "back.json"); err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
	})
}
