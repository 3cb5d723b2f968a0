package tally

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

func margin(o *Outcome, kind string) Margin {
	for _, m := range o.Margins {
		if m.Kind == kind {
			return m
		}
	}
	return Margin{Votes: -1}
}

func TestMajority(t *testing.T) {
	o, err := Decide(MajorityInput{Candidates: []List{{"W", 5100}, {"X", 3000}, {"Y", 1900}}, Runoff: true})
	if err != nil {
		t.Fatal(err)
	}
	if o.Winner != "W" || o.RunoffPair != nil {
		t.Fatalf("outcome %+v", o)
	}
	// 5,100 of 10,000: to others, 100 leave 5,000 = 50 %; to invalid, 200
	// leave 4,900 of 9,800 = 50 %.
	if m := margin(o, "majority"); m.Votes != 100 {
		t.Errorf("majority margin %+v", m)
	}
	if m := margin(o, "majority-invalid"); m.Votes != 200 {
		t.Errorf("majority-invalid margin %+v", m)
	}
	// Against all ballots (300 invalid): 5,100 of 10,300 is not a
	// majority (⌊10,300/2⌋ = 5,150); W needs 51 more.
	o, _ = Decide(MajorityInput{Candidates: []List{{"W", 5100}, {"X", 3000}, {"Y", 1900}}, Ballots: 10300, Base: BaseParticipants, Runoff: true})
	if o.Winner != "" || !reflect.DeepEqual(o.RunoffPair, []string{"W", "X"}) {
		t.Errorf("against all ballots: %+v", o)
	}
	if m := margin(o, "first-round"); m.Votes != 51 {
		t.Errorf("first-round margin %+v", m)
	}
	// With a majority of all ballots, moving to invalid equals moving to others.
	o, _ = Decide(MajorityInput{Candidates: []List{{"W", 6000}, {"X", 4000}}, Ballots: 10100, Base: BaseParticipants})
	if margin(o, "majority").Votes != 6000-5050 || margin(o, "majority-invalid").Votes != 950 {
		t.Errorf("participants base margins %+v", o.Margins)
	}
}

func TestRunoff(t *testing.T) {
	o, _ := Decide(MajorityInput{Candidates: []List{{"A", 40}, {"B", 30}, {"C", 25}, {"D", 5}}, Runoff: true})
	if o.Winner != "" || !reflect.DeepEqual(o.RunoffPair, []string{"A", "B"}) {
		t.Fatalf("%+v", o)
	}
	if m := margin(o, "first-round"); m.Votes != 11 {
		t.Errorf("first round %+v", m)
	}
	// B 30, C 25: moving 3 gives 27 < 28.
	if m := margin(o, "runoff"); m.Votes != 3 || m.List != "B" || m.Other != "C" || !strings.Contains(m.Sentence, "5 votes ahead") {
		t.Errorf("runoff %+v", m)
	}
	// Even gap: B 30, C 26. Moving 2 ties them at 28 and B, earlier on
	// the ballot, keeps the place: 3 are needed. With C earlier, 2.
	o, _ = Decide(MajorityInput{Candidates: []List{{"A", 40}, {"B", 30}, {"C", 26}}, Runoff: true})
	if m := margin(o, "runoff"); m.Votes != 3 {
		t.Errorf("even gap, B first on the ballot: %+v", m)
	}
	o, _ = Decide(MajorityInput{Candidates: []List{{"C", 26}, {"A", 40}, {"B", 30}}, Runoff: true})
	if m := margin(o, "runoff"); m.Votes != 2 {
		t.Errorf("even gap, C first on the ballot: %+v", m)
	}
	// Without runoff (a referendum option short of a majority): no pair.
	o, _ = Decide(MajorityInput{Candidates: []List{{"Yes", 50}, {"No", 50}}})
	if o.Winner != "" || o.RunoffPair != nil || len(o.Ties) != 1 {
		t.Errorf("tie without runoff %+v", o)
	}
}

func TestOutcomeJSON(t *testing.T) {
	o, _ := Decide(MajorityInput{Candidates: []List{{"A", 40}, {"B", 30}, {"C", 25}}, Runoff: true})
	b, _ := json.Marshal(o)
	if !strings.Contains(string(b), `"runoff":["A","B"]`) || !strings.Contains(string(b), `"standings":[{"name":"A","votes":40`) {
		t.Errorf("%s", b)
	}
	if _, err := Decide(MajorityInput{}); err != ErrNoVotes {
		t.Errorf("empty: %v", err)
	}
}

func TestInputsFromNode(t *testing.T) {
	e := &election.Election{Options: []election.Option{
		{Position: 1, Name: "B", Kind: election.Candidate},
		{Position: 0, Name: "A", Kind: election.Candidate},
		{Position: 2, Name: "Against all", Kind: election.AgainstAll},
	}}
	ix, _ := NewIndex([]election.Area{{ID: 1, Name: "KZ"}, {ID: 2, ParentID: 1, Station: true, Level: 1, Name: "1"}})
	p := &election.Protocol{AreaID: 2, Source: election.OfficialFinal, Votes: []int64{60, 30, 10}}
	p.Figures.Set(election.Valid, 100)
	p.Figures.Set(election.Invalid, 5)
	p.Figures.Set(election.BallotsIssued, 110)
	root := Tabulate(e, ix, []*election.Protocol{p}, Selector{}).Tree(0)
	in := MajorityInputFrom(root, BaseValid, true)
	if !reflect.DeepEqual(in.Candidates, []List{{"A", 60}, {"B", 30}}) || in.Valid != 100 || in.Ballots != 105 {
		t.Errorf("majority input %+v", in)
	}
	o, _ := Decide(in)
	if o.Winner != "A" || margin(o, "majority").Votes != 10 {
		t.Errorf("against all counts in the base: %+v", o)
	}
	s := SeatInputFrom(root, Rules{Seats: 3, Threshold: 5, Base: BaseParticipants})
	if s.Participants != 110 || len(s.Lists) != 2 {
		t.Errorf("seat input %+v", s)
	}
}

// Kazakhstan, presidential election of 20 November 2022, the CEC's final
// result (Kazinform, 22 November 2022; Astana Times, 21 November 2022):
// 8,300,046 voters received ballots; Tokayev 6,456,393 votes, 81.31 %,
// a share of the valid votes with "against all" among them (7,940,478).
func TestKazakhstan2022Presidential(t *testing.T) {
	e := &election.Election{Kind: election.Presidential}
	names := []string{"Tokayev", "Dairabayev", "Abden", "Kazhyken", "Auesbayev", "Tursynbekova", "Against all"}
	votes := []int64{6456393, 271641, 206206, 200907, 176116, 168731, 460484}
	for i, n := range names {
		k := election.Candidate
		if n == "Against all" {
			k = election.AgainstAll
		}
		e.Options = append(e.Options, election.Option{Position: i, Name: n, Kind: k})
	}
	var valid int64
	for _, v := range votes {
		valid += v
	}
	o, err := Decide(MajorityInput{Candidates: Lists(e, votes), Valid: valid, Ballots: 8300046, Runoff: true})
	if err != nil {
		t.Fatal(err)
	}
	if o.Winner != "Tokayev" || len(o.Standings) != 6 {
		t.Fatalf("%+v", o)
	}
	if s := o.Standings[0].Share; s < 81.305 || s >= 81.315 {
		t.Errorf("Tokayev's share %.3f %%, want 81.31 %%", s)
	}
	// By hand: B = 7,940,478, ⌊B/2⌋ = 3,970,239; w − ⌊B/2⌋ = 2,486,154;
	// 2w − B = 4,972,308.
	if m := margin(o, "majority"); m.Votes != 2486154 {
		t.Errorf("majority margin %+v", m)
	}
	if m := margin(o, "majority-invalid"); m.Votes != 4972308 {
		t.Errorf("majority-invalid margin %+v", m)
	}
	// Against everyone who received a ballot it is still a majority (77.8 %).
	o, _ = Decide(MajorityInput{Candidates: Lists(e, votes), Ballots: 8300046, Base: BaseParticipants, Runoff: true})
	if o.Winner != "Tokayev" || margin(o, "majority").Votes != 6456393-4150023 {
		t.Errorf("participants base %+v", o)
	}
}
