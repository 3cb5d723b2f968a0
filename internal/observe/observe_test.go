package observe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/qc"
	"github.com/vigil-elections/vigil/internal/store"
)

func votingAnswers(overall string, stuffing bool) form.Answers {
	a := form.Answers{form.StationID: form.IntValue(1), "arrival_time": form.TextValue("10:00"), form.OverallID: form.TextValue(overall)}
	for _, q := range form.VotingTemplate().Questions {
		if q.Type == form.YesNo {
			a[q.ID] = form.BoolValue(q.ID == "ballot_box_stuffing" && stuffing)
		}
	}
	return a
}

func TestCompute(t *testing.T) {
	v := form.VotingTemplate()
	obs := []Obs{
		{ReportID: 1, Phase: form.Voting, AreaID: 10, Region: "North", Form: v, Answers: votingAnswers(form.Bad, true)},
		{ReportID: 2, Phase: form.Voting, AreaID: 11, Region: "North", Form: v, Answers: votingAnswers(form.Good, false)},
		{ReportID: 3, Phase: form.Voting, AreaID: 20, Region: "South", Form: v, Answers: votingAnswers(form.VeryBad, false)},
		{ReportID: 4, Phase: form.Voting, AreaID: 21, Region: "South", Form: v, Answers: votingAnswers(form.VeryGood, false)},
		{ReportID: 5, Phase: form.Voting, AreaID: 21, Region: "South", Form: v, Answers: votingAnswers(form.Bad, true), Status: store.StatusQuarantined},
	}
	deployed := map[int64]string{10: "North", 11: "North", 12: "North", 20: "South", 21: "South"}
	f := Compute(obs, deployed, map[int64]bool{20: true})
	p := f.Phases["voting"]
	if p.Observed != 4 || p.Negative != 2 || p.Share != 0.5 || f.Quarantined != 1 {
		t.Fatalf("voting %+v, quarantined %d", p, f.Quarantined)
	}
	if lo, hi := Wilson(2, 4, Z95); p.CI95 != [2]float64{lo, hi} {
		t.Fatalf("ci %v", p.CI95)
	}
	if got := p.NegativeReports; len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("negative reports %v", got)
	}
	st := p.Indicators[form.IndBallotBoxStuffing]
	if st.Observed != 4 || st.Reported != 1 || st.Reports[0] != 1 {
		t.Fatalf("stuffing %+v", st)
	}
	if n := f.ByArea["South"]["voting"]; n.Observed != 2 || n.Negative != 1 {
		t.Fatalf("south %+v", n)
	}
	c := f.Coverage.Total
	if c.Deployed != 5 || c.Reported != 4 || c.Missing != 1 || c.Conflict != 1 {
		t.Fatalf("coverage %+v", c)
	}
	if f.Phases["opening"].Observed != 0 || f.Phases["opening"].CI95 != [2]float64{0, 1} {
		t.Fatalf("empty phase %+v", f.Phases["opening"])
	}
	var md bytes.Buffer
	if err := StatementMarkdown(&md, f, StatementOptions{ReportsURL: "/r"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"voting was bad or very bad in [2](/r?negative=1&phase=voting) of [4](/r?phase=voting) observations (50.0 %; 95 % CI 15.0–85.0 %)",
		"| Ballot box stuffing | [1](/r?indicator=ballot_box_stuffing&phase=voting) | 4 | 25.0 % |",
		"Observers reported from 4 of 5 deployed polling stations (80.0 %); 1 sent no report; 1 have reports that disagree",
		"| South | [1](/r?negative=1&phase=voting&region=South) | 2 | 50.0 % |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	var html bytes.Buffer
	if err := StatementHTML(&html, f, StatementOptions{ReportsURL: "/r"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), `<a href="/r?negative=1&amp;phase=voting">2</a> of <a href="/r?phase=voting">4</a>`) {
		t.Errorf("html:\n%s", html.String())
	}
}

func TestConflicts(t *testing.T) {
	v := form.VotingTemplate()
	a1 := votingAnswers(form.Bad, true)
	a2 := votingAnswers(form.Good, true)
	delete(a2, "group_voting") // unanswered is not a conflict
	obs := []Obs{
		{ReportID: 1, Phase: form.Voting, AreaID: 10, Form: v, Answers: a1},
		{ReportID: 2, Phase: form.Voting, AreaID: 10, Form: v, Answers: a2},
		{ReportID: 3, Phase: form.Opening, AreaID: 10, Form: v, Answers: a2},
		{ReportID: 4, Phase: form.Voting, AreaID: 10, Form: v, Answers: votingAnswers(form.VeryBad, false), Status: store.StatusQuarantined},
	}
	cs := Conflicts(obs, nil)
	if len(cs) != 1 || cs[0].Question != form.OverallID || len(cs[0].Values) != 2 || cs[0].Values[0].Reports[0] != 1 {
		b, _ := json.Marshal(cs)
		t.Fatalf("conflicts %s", b)
	}
	cs = Conflicts(obs, map[string]json.RawMessage{"10/voting/overall": json.RawMessage(`"bad"`)})
	if string(cs[0].Resolved) != `"bad"` {
		t.Fatalf("resolved %s", cs[0].Resolved)
	}
}

func TestLookupAndNames(t *testing.T) {
	c := form.CountingTemplate()
	a := form.Answers{form.OverallID: form.TextValue("bad"), "protocol_copy": form.BoolValue(false),
		form.ProtocolID: form.ProtocolValue(map[string]int64{"ballots_in_box": 610, "ballots_issued": 600})}
	for src, want := range map[string]bool{
		"ballots_in_box > ballots_issued":                   true,
		"protocol.ballots_in_box > protocol.ballots_issued": true,
		"valid > 0": false,
		"overall = \"bad\" and not protocol_copy": true,
	} {
		e, err := qc.Compile(src)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Fires(Lookup(c, a)); got != want {
			t.Errorf("%s: %v", src, got)
		}
		if err := e.CheckNames(Names(c)); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
	e, _ := qc.Compile("ballots_in_bx > 1 or protocol.nothing = 2 or votes_3 > 0")
	if err := e.CheckNames(Names(c)); !errors.Is(err, qc.ErrUnknownName) || !strings.Contains(err.Error(), "ballots_in_bx, protocol.nothing") || strings.Contains(err.Error(), "votes_3") {
		t.Fatalf("CheckNames: %v", err)
	}
}

func TestParseRoster(t *testing.T) {
	good := "\ufeffID;Name;Phone;Organization;Team;Area\n" +
		"001;Aigerim Sadykova;+7 (701) 123-45-67;Mission A;T1;North / District 1\n" +
		"002;Bolat Ermekov;;mission a;T1;North\n\n"
	obs, err := ParseRoster(strings.NewReader(good), "r.csv", "Mission A")
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 2 || obs[0].Phone != "+77011234567" || strings.Join(obs[0].Area, "|") != "North|District 1" || obs[1].Team != "T1" || obs[1].Code != "002" {
		t.Fatalf("%+v", obs)
	}
	bad := "id,name,phone,organisation\n" +
		"a1,Ann,+77011234567,Mission A\n" +
		"a1,Bob,12345,Mission A\n" +
		",,+77011234567,Other Mission\n" +
		"a4,Dan,,Mission A,extra\n"
	_, err = ParseRoster(strings.NewReader(bad), "bad.csv", "Mission A")
	var re RosterErrors
	if !errors.As(err, &re) {
		t.Fatalf("%v", err)
	}
	want := []string{
		`bad.csv:3:1: id: "a1" already used on line 2`,
		`bad.csv:3:8: phone: "12345" is a national number and the organisation has no country`,
		`bad.csv:4:1: id: empty: every observer needs an id`,
		`bad.csv:4:2: name: empty`,
		`bad.csv:4:3: phone: +77011234567 already used on line 2`,
		`bad.csv:4:16: organisation: "Other Mission", but the roster is imported into "Mission A"`,
		`bad.csv:5:`,
	}
	if len(re) != len(want) {
		t.Fatalf("got %d errors:\n%v", len(re), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(re[i].Error(), w) {
			t.Errorf("error %d: %s\nwant prefix %s", i, re[i], w)
		}
	}
	// With the organisation's country, national numbers are read as its.
	obs, err = ParseRosterIn(strings.NewReader("id,name,phone\n1,A,8 701 123 45 67\n2,B,+7 701 123 45 68\n3,C,00 7 701 123 45 69\n"), "kz.csv", "M", "KZ")
	if err != nil || obs[0].Phone != "+77011234567" || obs[1].Phone != "+77011234568" || obs[2].Phone != "+77011234569" || obs[2].Line != 4 {
		t.Fatalf("%+v %v", obs, err)
	}
	_, err = ParseRosterIn(strings.NewReader("id,name,phone\n1,A,8 701 123 45 67\n2,B,+77011234567\n"), "kz.csv", "M", "KZ")
	if err == nil || err.Error() != "kz.csv:3:5: phone: +77011234567 already used on line 2 (SMS reports are matched by phone)" {
		t.Fatalf("the same number written two ways: %v", err)
	}
	for _, c := range []struct{ in, msg string }{
		{"", "empty file"},
		{"name,phone\nA,+77011234567\n", `no "id" column`},
		{"id,name\n", "no observers after the header"},
		{"id,name\n\"a,b\n", "csv"},
	} {
		_, err := ParseRoster(strings.NewReader(c.in), "x.csv", "")
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: %v, want %q", c.in, err, c.msg)
		}
	}
}

func FuzzParseRoster(f *testing.F) {
	f.Add("id,name,phone,organisation,team,area\n1,A,+77011234567,M,T,R/D\n")
	f.Add("id;name\n\"x;\"\"y\";z\n")
	f.Add("\ufeffID,Name\n,\n")
	f.Fuzz(func(t *testing.T, in string) {
		obs, err := ParseRoster(strings.NewReader(in), "f.csv", "M")
		if err != nil {
			if obs != nil {
				t.Fatal("rows returned with an error")
			}
			var re RosterErrors
			if !errors.As(err, &re) || len(re) == 0 || len(re) > MaxRosterErrors {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, o := range obs {
			if o.Code == "" || o.Name == "" || seen[o.Code] {
				t.Fatalf("bad row accepted: %+v", o)
			}
			seen[o.Code] = true
		}
	})
}

func TestMergeVisits(t *testing.T) {
	v := form.VotingTemplate()
	a1 := votingAnswers(form.Bad, true)
	a2 := votingAnswers(form.Good, true)
	obs := []Obs{
		{ReportID: 1, Visit: "team:1", Phase: form.Voting, AreaID: 10, Form: v, Answers: a1},
		{ReportID: 2, Visit: "team:1", Phase: form.Voting, AreaID: 10, Form: v, Answers: a2},
		{ReportID: 3, Visit: "team:2", Phase: form.Voting, AreaID: 10, Form: v, Answers: a2},
		{ReportID: 4, Visit: "team:1", Phase: form.Voting, AreaID: 10, Form: v, Answers: a1, Status: store.StatusQuarantined},
		{ReportID: 5, Phase: form.Voting, AreaID: 10, Form: v, Answers: a1},
	}
	m := MergeVisits(obs)
	if len(m) != 4 || fmt.Sprint(m[0].ReportIDs) != "[1 2]" || m[1].ReportID != 3 || m[2].ReportID != 4 || m[3].ReportID != 5 {
		t.Fatalf("merged: %+v", m)
	}
	if _, ok := m[0].Answers[form.OverallID]; ok {
		t.Fatal("a disagreement kept in the merged observation")
	}
	if b, _ := m[0].Answers["ballot_box_stuffing"].Bool(); !b {
		t.Fatal("an agreed answer lost in the merge")
	}
	inc := form.IncidentTemplate()
	m = append(m,
		Obs{ReportID: 6, Visit: "team:1", Phase: form.Incident, AreaID: 10, Form: inc, Answers: form.Answers{"category": form.TextValue("vote_buying")}, Triage: "confirmed"},
		Obs{ReportID: 7, Visit: "team:1", Phase: form.Incident, AreaID: 10, Form: inc, Answers: form.Answers{"category": form.TextValue("vote_buying")}})
	if len(MergeVisits(m)) != 6 {
		t.Fatal("incidents merged as one visit")
	}
	f := Compute(m, nil, nil)
	if st := f.Incidents["vote_buying"]; st == nil || st.Reported != 2 || st.Confirmed != 1 || fmt.Sprint(st.Reports) != "[6 7]" {
		t.Fatalf("incidents %+v", f.Incidents)
	}
	var md bytes.Buffer
	StatementMarkdown(&md, f, StatementOptions{ReportsURL: "/r"})
	if !strings.Contains(md.String(), "| Vote buying | [2](/r?category=vote_buying&phase=incident) | 1 |") {
		t.Fatalf("incidents in the statement:\n%s", md.String())
	}
	p := f.Phases["voting"]
	// Visits: team 1 (overall unknown), team 2 (good), report 5 (bad);
	// report 4 quarantined.
	if p.Observed != 2 || p.Negative != 1 || f.Quarantined != 1 {
		t.Fatalf("voting %+v", p)
	}
	st := p.Indicators[form.IndBallotBoxStuffing]
	if st.Observed != 3 || st.Reported != 3 || fmt.Sprint(st.Reports) != "[1 2 3 5]" {
		t.Fatalf("stuffing %+v", st)
	}
}
