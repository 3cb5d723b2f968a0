package recommend_test

// The tests of recommend that run on the demo's history of recommendations
// (three cycles of a Kazakhstan-like country: 98 recommendations, 66
// assessments). The history lives in internal/demo, which imports
// recommend, so these tests are in the external test package.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/recommend"
)

// demoHistory is the demo's history, its 2023 mission naming the election
// kz-2023 (the fake sources below answer for it), checked as an import
// into an empty store would check it.
func demoHistory(t *testing.T) *recommend.Dataset {
	t.Helper()
	ds := demo.RecommendationsDataset(demo.RecommendationOptions{Elections: map[int]string{2023: "kz-2023"}})
	if err := recommend.Check(&recommend.Dataset{}, ds); err != nil {
		t.Fatalf("the demo dataset does not check: %v", err)
	}
	return ds
}

func TestDemoFollowUpCounts(t *testing.T) {
	ds := demoHistory(t)
	if n := len(ds.Recommendations); n != 30+36+32 {
		t.Fatalf("recommendations: %d, want 98", n)
	}
	s := recommend.Summarise(ds, "kz")
	if len(s.Assessments) != 2 {
		t.Fatalf("assessments: %+v", s.Assessments)
	}
	a22, a23 := s.Assessments[0], s.Assessments[1]
	if a22.Report != "kz-2022-presidential-final" || a23.Report != "kz-2023-parliamentary-final" {
		t.Fatalf("reports %q, %q", a22.Report, a23.Report)
	}
	if want := (recommend.Counts{Fully: 2, Mostly: 2, Partially: 16, Not: 10}); a22.Counts != want {
		t.Errorf("2022: %+v, want %+v", a22.Counts, want)
	}
	if want := (recommend.Counts{Fully: 3, Mostly: 3, Partially: 24, Not: 6}); a23.Counts != want {
		t.Errorf("2023: %+v, want %+v", a23.Counts, want)
	}
	if want := "Of 36 prior recommendations, 3 were fully implemented, 3 mostly, 24 partially and 6 not implemented."; a23.Text != want {
		t.Errorf("text %q\nwant %q", a23.Text, want)
	}
	// By area adds up to the whole, and a hand-checked area: observation
	// in 2022's report has themes 21 (partially), 22 (not), 35 (fully).
	var sum recommend.Counts
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
	if got, want := a23.ByArea[recommend.Observation], (recommend.Counts{Fully: 1, Partially: 1, Not: 1}); got != want {
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
	ds := demoHistory(t)
	// Drop the 2023 assessment of one recommendation: it must show as not
	// assessed, not vanish from the follow-up.
	var kept []*recommend.Assessment
	dropped := ""
	for _, a := range ds.Assessments {
		if dropped == "" && a.ReportKey == "kz-2023-parliamentary-final" && a.Status == recommend.Partially {
			dropped = a.Recommendation
			continue
		}
		kept = append(kept, a)
	}
	ds.Assessments = kept
	a23 := recommend.Summarise(ds, "KZ").Assessments[1]
	if want := (recommend.Counts{Fully: 3, Mostly: 3, Partially: 23, Not: 6, NotAssessed: 1}); a23.Counts != want {
		t.Fatalf("2023: %+v, want %+v", a23.Counts, want)
	}
	if got := a23.Refs[recommend.NotAssessed]; len(got) != 1 || got[0] != dropped {
		t.Fatalf("not assessed %v, want [%s]", got, dropped)
	}
	// A recommendation found fully implemented is closed: the 2022 report
	// found two so, and 2023 does not count them as left out.
	x := recommend.NewIndex(ds)
	for ref, st := range x.Prior("kz-2023-parliamentary-final") {
		if strings.HasPrefix(ref, "kz-2021") {
			t.Errorf("2023 counts %s (%s), which 2022 repeated or closed", ref, st)
		}
	}
}

func TestHistoryAcrossCycles(t *testing.T) {
	ds := demoHistory(t)
	x := recommend.NewIndex(ds)
	// The observers' access recommendation, by its 2023 number.
	var ref23 string
	for _, r := range ds.Recommendations {
		if r.ReportKey == "kz-2023-parliamentary-final" && r.Topic == recommend.ObserverAccess {
			ref23 = r.Ref()
		}
	}
	h := x.History(ref23)
	if len(h) != 3 {
		t.Fatalf("history of %s: %d steps, want 3", ref23, len(h))
	}
	wantReports := []string{"kz-2021-parliamentary-final", "kz-2022-presidential-final", "kz-2023-parliamentary-final"}
	wantStatus := [][]recommend.Status{{recommend.Partially}, {recommend.Partially}, {}}
	for i, st := range h {
		if st.Report.Key != wantReports[i] {
			t.Errorf("step %d: report %s, want %s", i, st.Report.Key, wantReports[i])
		}
		var got []recommend.Status
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
		if a.Status == recommend.Fully && a.ReportKey == "kz-2022-presidential-final" {
			if h := x.History(a.Recommendation); len(h) != 1 {
				t.Errorf("%s was fully implemented but has %d steps", a.Recommendation, len(h))
			}
		}
	}
}

type fakeResults map[string]recommend.StationCoverage

func (f fakeResults) StationCoverage(_ context.Context, e string) (recommend.StationCoverage, error) {
	c, ok := f[e]
	if !ok {
		return recommend.StationCoverage{Election: e}, nil
	}
	c.Election, c.Found = e, true
	return c, nil
}

type fakeFindings map[string][]recommend.Indicator

func (f fakeFindings) Indicators(_ context.Context, e, org string) ([]recommend.Indicator, error) {
	if org != "OSCE/ODIHR" {
		return nil, nil
	}
	return f[e], nil
}

func TestProposals(t *testing.T) {
	ds := demoHistory(t)
	x := recommend.NewIndex(ds)
	ctx := context.Background()
	var disagg, access, other string
	for _, r := range ds.Recommendations {
		if r.ReportKey != "kz-2022-presidential-final" {
			continue
		}
		switch r.EffectiveTopic() {
		case recommend.DisaggregatedResults:
			disagg = r.Ref()
		case recommend.ObserverAccess:
			access = r.Ref()
		default:
			other = r.Ref()
		}
	}
	const by = "kz-2023-parliamentary-final" // its mission names election kz-2023
	cases := []struct {
		name     string
		ref      string
		results  recommend.ResultsSource
		findings recommend.FindingsSource
		ok       bool
		status   recommend.Status
		reason   string
	}{
		{"all stations official", disagg, fakeResults{"kz-2023": {Stations: 200, WithOfficial: 200, WithFinal: 200}}, nil, true, recommend.Fully, "200 of 200"},
		{"most stations", disagg, fakeResults{"kz-2023": {Stations: 200, WithOfficial: 185, WithFinal: 185}}, nil, true, recommend.Mostly, "185 of 200 polling stations of kz-2023 (92.5 %"},
		{"few stations", disagg, fakeResults{"kz-2023": {Stations: 200, WithOfficial: 12, WithPreliminary: 12}}, nil, true, recommend.Partially, "12 of 200"},
		{"no official protocol", disagg, fakeResults{"kz-2023": {Stations: 200}}, nil, true, recommend.NotImpl, "0 of 200"},
		{"election absent", disagg, fakeResults{}, nil, false, "", "not in the results core"},
		{"no results source", disagg, nil, nil, false, "", "not available"},
		{"no restriction", access, nil, fakeFindings{"kz-2023": {{Code: recommend.IndicatorObserversRestricted, Count: 0, Of: 150}, {Code: recommend.IndicatorNoProtocolCopy, Count: 0, Of: 150}}}, true, recommend.Fully, "restricted in 0 of 150"},
		{"rare restriction", access, nil, fakeFindings{"kz-2023": {{Code: recommend.IndicatorObserversRestricted, Count: 3, Of: 150}}}, true, recommend.Mostly, "3 of 150 observed counts and tabulations (2.0 %)"},
		{"copies refused", access, nil, fakeFindings{"kz-2023": {{Code: recommend.IndicatorObserversRestricted, Count: 3, Of: 150}, {Code: recommend.IndicatorNoProtocolCopy, Count: 30, Of: 150}}}, true, recommend.Partially, "no copy of the protocol in 30 of 150"},
		{"widespread", access, nil, fakeFindings{"kz-2023": {{Code: recommend.IndicatorObserversRestricted, Count: 60, Of: 150}}}, true, recommend.NotImpl, "60 of 150"},
		{"phases summed", access, nil, fakeFindings{"kz-2023": {
			{Code: recommend.IndicatorObserversRestricted, Phase: "voting", Count: 50, Of: 100},
			{Code: recommend.IndicatorObserversRestricted, Phase: "counting", Count: 1, Of: 100},
			{Code: recommend.IndicatorObserversRestricted, Phase: "tabulation", Count: 1, Of: 50}}}, true, recommend.Mostly, "restricted in 2 of 150"},
		{"not observed", access, nil, fakeFindings{}, false, "", "recorded nothing"},
		{"no findings source", access, nil, nil, false, "", "not available"},
		{"no topic", other, fakeResults{}, fakeFindings{}, false, "", "no data"},
	}
	for _, c := range cases {
		p, err := recommend.Propose(ctx, x, c.ref, by, c.results, c.findings)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.OK != c.ok || p.Status != c.status || !strings.Contains(p.Reasoning, c.reason) {
			t.Errorf("%s: got ok=%v %q %q; want ok=%v %q, reasoning containing %q", c.name, p.OK, p.Status, p.Reasoning, c.ok, c.status, c.reason)
		}
	}
	// A mission without an election in the results core has no evidence.
	p, err := recommend.Propose(ctx, x, disagg, "kz-2022-presidential-final", fakeResults{}, nil)
	if err != nil || p.OK || !strings.Contains(p.Reasoning, "names no election") {
		t.Errorf("no election: %+v %v", p, err)
	}
	all, err := recommend.ProposeAll(ctx, x, by, fakeResults{"kz-2023": {Stations: 10, WithOfficial: 10}}, nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("ProposeAll: %d proposals, %v", len(all), err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, f := range []recommend.Format{recommend.JSON, recommend.CSV} {
		ds := demoHistory(t)
		var a bytes.Buffer
		if err := recommend.Write(&a, ds, f); err != nil {
			t.Fatal(err)
		}
		back, err := recommend.Read(bytes.NewReader(a.Bytes()), "demo."+string(f), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := recommend.Check(&recommend.Dataset{}, back); err != nil {
			t.Fatalf("%s: read back does not check: %v", f, err)
		}
		var b bytes.Buffer
		if err := recommend.Write(&b, back, f); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: the round trip changed the file", f)
		}
		if recommend.Summarise(back, "KZ").Assessments[1].Counts != recommend.Summarise(ds, "KZ").Assessments[1].Counts {
			t.Errorf("%s: counts changed", f)
		}
	}
}

func TestCheckRules(t *testing.T) {
	base := demoHistory(t)
	cases := map[string]struct {
		in   *recommend.Dataset
		want string
	}{
		"duplicate mission": {&recommend.Dataset{Missions: []*recommend.Mission{{Key: "kz-2021-parliamentary-eom", Country: "KZ", Type: recommend.FullMission, Name: "x"}}}, "already exists"},
		"repeat later":      {&recommend.Dataset{Recommendations: []*recommend.Recommendation{{ReportKey: "kz-2021-parliamentary-final", Number: "99", Text: "x", Area: recommend.Media, Repeats: []string{"kz-2022-presidential-final#1"}}}}, "not earlier"},
		"assess earlier":    {&recommend.Dataset{Assessments: []*recommend.Assessment{{Recommendation: "kz-2022-presidential-final#1", ReportKey: "kz-2021-parliamentary-final", Status: recommend.Fully}}}, "not later"},
		"assess twice":      {&recommend.Dataset{Assessments: []*recommend.Assessment{{Recommendation: "kz-2022-presidential-final#1", ReportKey: "kz-2023-parliamentary-final", Status: recommend.Fully}}}, "already assesses"},
		"bad status":        {&recommend.Dataset{Assessments: []*recommend.Assessment{{Recommendation: "kz-2023-parliamentary-final#1", ReportKey: "kz-2023-parliamentary-final", Status: "done"}}}, "unknown status"},
		"other country": {&recommend.Dataset{
			Missions:    []*recommend.Mission{{Key: "am", Country: "AM", Type: recommend.FullMission, Name: "x"}},
			Reports:     []*recommend.Report{{Key: "am-final", MissionKey: "am", Kind: recommend.Final, Date: "2025-01-01"}},
			Assessments: []*recommend.Assessment{{Recommendation: "kz-2023-parliamentary-final#1", ReportKey: "am-final", Status: recommend.Fully}}}, "is a report on AM"},
	}
	for name, c := range cases {
		err := recommend.Check(base, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestCompareCountries(t *testing.T) {
	ds := demoHistory(t)
	other := demo.RecommendationsDataset(demo.RecommendationOptions{Country: "AM"})
	for _, a := range other.Assessments {
		a.Status = recommend.Fully
	}
	rows := recommend.Compare(recommend.Merge(ds, other))
	if len(rows) != 2 || rows[0].Country != "AM" || rows[0].Implemented != 1 || rows[1].Country != "KZ" || rows[1].Counts.Partially != 24 {
		t.Fatalf("%+v", rows)
	}
}

func FuzzReadCSV(f *testing.F) {
	var b bytes.Buffer
	ds := demo.RecommendationsDataset(demo.RecommendationOptions{})
	ds.Recommendations = ds.Recommendations[:3]
	ds.Assessments = nil
	recommend.WriteCSV(&b, ds)
	f.Add(b.Bytes())
	f.Add([]byte("record,key\nmission,\"a\nb\"\n"))
	f.Add([]byte("record\n\n,\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ds, err := recommend.ReadCSV(in, "f.csv")
		if err != nil {
			var pe *recommend.PosError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a PosError", err)
			}
			return
		}
		// Whatever reads must check without panicking and, when it
		// checks, write and read back to the same records.
		if recommend.Check(&recommend.Dataset{}, ds) != nil {
			return
		}
		var out bytes.Buffer
		if err := recommend.Write(&out, ds, recommend.CSV); err != nil {
			t.Fatal(err)
		}
		back, err := recommend.ReadCSV(out.Bytes(), "back.csv")
		if err != nil {
			t.Fatalf("cannot read back what was written: %v\n%s", err, out.Bytes())
		}
		var again bytes.Buffer
		recommend.Write(&again, back, recommend.CSV)
		if !bytes.Equal(out.Bytes(), again.Bytes()) {
			t.Fatalf("round trip differs:\n%s\n---\n%s", out.Bytes(), again.Bytes())
		}
	})
}

func TestChains(t *testing.T) {
	ds := demoHistory(t)
	x := recommend.NewIndex(ds)
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
	if cs[0].Latest.Area != recommend.LegalFramework || !cs[0].Latest.Priority || len(cs[0].Steps) != 3 || cs[0].Status != recommend.Partially {
		t.Errorf("first chain %+v", cs[0])
	}
}

func FuzzReadJSON(f *testing.F) {
	var b bytes.Buffer
	ds := demo.RecommendationsDataset(demo.RecommendationOptions{})
	ds.Recommendations = ds.Recommendations[:2]
	ds.Assessments = nil
	recommend.WriteJSON(&b, ds)
	f.Add(b.Bytes())
	f.Add([]byte(`{"missions": [{"key": 1}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		ds, err := recommend.ReadJSON(in, "f.json")
		if err != nil {
			var pe *recommend.PosError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a positioned PosError", err)
			}
			return
		}
		if recommend.Check(&recommend.Dataset{}, ds) != nil {
			return
		}
		var out bytes.Buffer
		if err := recommend.Write(&out, ds, recommend.JSON); err != nil {
			t.Fatal(err)
		}
		if _, err := recommend.ReadJSON(out.Bytes(), "back.json"); err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
	})
}

func TestFinalDraft(t *testing.T) {
	ds := demoHistory(t)
	d, err := recommend.BuildDraft(context.Background(), ds, "kz-2023-parliamentary-eom", recommend.FinalDraft,
		recommend.Sources{Results: fakeResults{"kz-2023": {Stations: 10, WithOfficial: 10, WithFinal: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	var recs int
	var fu *recommend.Section
	for _, s := range d.Sections {
		if s.FollowUp != nil {
			fu = s
			continue
		}
		recs += len(s.Recommendations)
	}
	if recs != 32 {
		t.Errorf("the 2023 final report's %d recommendations, want 32", recs)
	}
	if fu == nil || fu.FollowUp.Summary.Counts != (recommend.Counts{Fully: 3, Mostly: 3, Partially: 24, Not: 6}) || len(fu.Recommendations) != 36 {
		t.Fatalf("follow-up annex %+v", fu)
	}
	// The demo assessed disaggregated results as partially implemented;
	// the results core says every station is published: the annex shows both.
	var found bool
	for _, r := range fu.Recommendations {
		if strings.Contains(r.Text, "disaggregated") {
			found = strings.Contains(r.Note, "vigil's evidence suggests fully implemented: official results are held for 10 of 10")
		}
	}
	if !found {
		t.Error("the annex does not show the proposal that differs from the assessment")
	}
	if len(fu.Paragraphs) != 1 || !strings.HasPrefix(fu.Paragraphs[0], "Of 36 prior recommendations, 3 were fully implemented") {
		t.Errorf("the annex's follow-up sentence: %q", fu.Paragraphs)
	}
}
