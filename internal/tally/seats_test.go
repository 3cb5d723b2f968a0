package tally

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func seatsOf(t *testing.T, in SeatInput) map[string]int {
	t.Helper()
	a, err := Allocate(in)
	if err != nil {
		t.Fatal(err)
	}
	return a.Seats
}

// Wikipedia, "D'Hondt method" and "Sainte-Laguë method": the same four
// parties and 8 seats.
var wikiDivisor = []List{{"A", 100000}, {"B", 80000}, {"C", 30000}, {"D", 20000}}

// Wikipedia, "Largest remainder method": six parties, 100,000 votes, 10 seats.
var wikiLR = []List{{"Yellows", 47000}, {"Whites", 16000}, {"Reds", 15800}, {"Greens", 12000}, {"Blues", 6100}, {"Pinks", 3100}}

func TestTextbookAllocations(t *testing.T) {
	tests := []struct {
		name  string
		in    SeatInput
		seats map[string]int
	}{
		{"dhondt", SeatInput{Lists: wikiDivisor, Rules: Rules{Method: DHondt, Seats: 8}}, map[string]int{"A": 4, "B": 3, "C": 1, "D": 0}},
		{"sainte-lague", SeatInput{Lists: wikiDivisor, Rules: Rules{Method: SainteLague, Seats: 8}}, map[string]int{"A": 3, "B": 3, "C": 1, "D": 1}},
		{"hare", SeatInput{Lists: wikiLR, Rules: Rules{Method: Hare, Seats: 10}}, map[string]int{"Yellows": 5, "Whites": 2, "Reds": 1, "Greens": 1, "Blues": 1, "Pinks": 0}},
		{"dhondt-lr", SeatInput{Lists: wikiLR, Rules: Rules{Method: DHondt, Seats: 10}}, map[string]int{"Yellows": 5, "Whites": 2, "Reds": 2, "Greens": 1, "Blues": 0, "Pinks": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := seatsOf(t, tt.in); !reflect.DeepEqual(got, tt.seats) {
				t.Errorf("got %v, want %v", got, tt.seats)
			}
		})
	}
}

// Kazakhstan, Mazhilis, 10 January 2021: the CEC's final result (Astana
// Times, 12 January 2021; electionguide.org): 7,539,280 voters took part,
// 7,241,562 valid votes; a 7 % threshold; 98 list seats by Hare quota and
// largest remainders. Official allocation: Nur Otan 76, Ak Zhol 12,
// People's Party 10.
var kz2021 = []List{
	{"Nur Otan", 5148074}, {"Ak Zhol", 792828}, {"People's Party", 659019},
	{"Auyl", 383023}, {"Adal", 258618},
}

func TestKazakhstan2021(t *testing.T) {
	want := map[string]int{"Nur Otan": 76, "Ak Zhol": 12, "People's Party": 10}
	for _, base := range []Base{BaseValid, BaseParticipants} {
		a, err := Allocate(SeatInput{Lists: kz2021, Valid: 7241562, Participants: 7539280,
			Rules: Rules{Method: Hare, Seats: 98, Threshold: 7, Base: base, MinLists: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Seats, want) {
			t.Errorf("base %s: %v, want %v", base, a.Seats, want)
		}
		if !reflect.DeepEqual(a.Passed, []string{"Nur Otan", "Ak Zhol", "People's Party"}) || len(a.Admitted) != 0 {
			t.Errorf("passed %v admitted %v", a.Passed, a.Admitted)
		}
	}
	a, _ := Allocate(SeatInput{Lists: kz2021, Valid: 7241562, Participants: 7539280,
		Rules: Rules{Method: Hare, Seats: 98, Threshold: 7, Base: BaseParticipants}})
	// 7 % of 7,539,280 = 527,749.6: 527,750 votes pass.
	if a.ThresholdVotes != 527750 {
		t.Errorf("threshold votes %d", a.ThresholdVotes)
	}
	var auyl Margin
	for _, m := range a.Margins {
		if m.Kind == "threshold" && m.List == "Auyl" {
			auyl = m
		}
	}
	// The closest seat, by hand: remainders (98·votes mod 6,599,921) are
	// Nur Otan 2,917,256 and Ak Zhol 5,098,013; each vote moved from Ak Zhol
	// to Nur Otan shifts both by 98, so 2·98·x > 2,180,757 ⇔ x ≥ 11,127.
	if m := a.Margins[len(a.Margins)-1]; m.Kind != "seat" || m.Votes != 11127 || m.List != "Ak Zhol" || m.Other != "Nur Otan" {
		t.Errorf("seat margin %+v", m)
	}
	if auyl.Votes != 527750-383023 || !strings.Contains(auyl.Sentence, "Auyl") {
		t.Errorf("Auyl's threshold margin %+v", auyl)
	}
}

// The shares 76.49 / 10.94 / 9.2 % sometimes quoted for 2021 are not the
// CEC's (71.09 / 10.95 / 9.10 %); with them the Hare quota gives 78/11/9,
// not the official 76/12/10. Kept as a test so nobody "fixes" the
// allocation to match them.
func TestKazakhstan2021MisquotedShares(t *testing.T) {
	got := seatsOf(t, SeatInput{Lists: []List{{"Nur Otan", 7649}, {"Ak Zhol", 1094}, {"People's Party", 920}, {"Others", 337}},
		Rules: Rules{Method: Hare, Seats: 98, Threshold: 7}})
	if want := map[string]int{"Nur Otan": 78, "Ak Zhol": 11, "People's Party": 9}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMinLists(t *testing.T) {
	lists := []List{{"Big", 9000}, {"Mid", 600}, {"Small", 400}}
	a, err := Allocate(SeatInput{Lists: lists, Rules: Rules{Method: Hare, Seats: 10, Threshold: 7, MinLists: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Passed, []string{"Big"}) || !reflect.DeepEqual(a.Admitted, []string{"Mid"}) {
		t.Errorf("passed %v admitted %v", a.Passed, a.Admitted)
	}
	// 9000·10/9600 = 9.375, 600·10/9600 = 0.625 → 9 + 1 on the remainder.
	if a.Seats["Big"] != 9 || a.Seats["Mid"] != 1 {
		t.Errorf("seats %v", a.Seats)
	}
	if _, in := a.Seats["Small"]; in {
		t.Error("Small is not in the allocation")
	}
	a, _ = Allocate(SeatInput{Lists: lists, Rules: Rules{Method: Hare, Seats: 10, Threshold: 7}})
	if a.Seats["Big"] != 10 || len(a.Admitted) != 0 {
		t.Errorf("without the rule: %v", a.Seats)
	}
}

func TestTies(t *testing.T) {
	lists := []List{{"First", 100}, {"Second", 100}, {"Third", 50}}
	a, _ := Allocate(SeatInput{Lists: lists, Rules: Rules{Method: DHondt, Seats: 1}})
	if a.Seats["First"] != 1 || len(a.Ties) != 1 || !strings.Contains(a.Ties[0], "ballot order") {
		t.Errorf("ballot order: %v %v", a.Seats, a.Ties)
	}
	// A lot is reproducible from its seed, and some seed picks Second.
	picked := map[string]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		x, _ := Allocate(SeatInput{Lists: lists, Rules: Rules{Method: DHondt, Seats: 1, Seed: seed}})
		y, _ := Allocate(SeatInput{Lists: lists, Rules: Rules{Method: DHondt, Seats: 1, Seed: seed}})
		if !reflect.DeepEqual(x.Seats, y.Seats) {
			t.Fatalf("seed %d not reproducible", seed)
		}
		for n, s := range x.Seats {
			if s == 1 {
				picked[n] = true
			}
		}
	}
	if !picked["First"] || !picked["Second"] || picked["Third"] {
		t.Errorf("lots picked %v", picked)
	}
	// Equal quotients with different votes: more votes first (D'Hondt,
	// 300/3 = 100/1).
	a, _ = Allocate(SeatInput{Lists: []List{{"Small", 100}, {"Large", 300}}, Rules: Rules{Method: DHondt, Seats: 3}})
	if a.Seats["Large"] != 3 || len(a.Ties) != 1 || !strings.Contains(a.Ties[0], "more votes") {
		t.Errorf("more votes first: %v %v", a.Seats, a.Ties)
	}
	// Hare: equal remainders.
	a, _ = Allocate(SeatInput{Lists: []List{{"X", 50}, {"Y", 50}}, Rules: Rules{Method: Hare, Seats: 3}})
	if a.Seats["X"] != 2 || a.Seats["Y"] != 1 || len(a.Ties) != 1 {
		t.Errorf("hare tie: %v %v", a.Seats, a.Ties)
	}
}

func TestSeatMarginDHondt(t *testing.T) {
	// By hand: the last seat is A's 4th at 100,000/4 = 25,000; D's first
	// quotient is 20,000. Moving x from A to D: 20,000 + x > (100,000 − x)/4
	// ⇔ x > 4,000, so 4,001 — fewer than any other pair needs.
	a, _ := Allocate(SeatInput{Lists: wikiDivisor, Rules: Rules{Method: DHondt, Seats: 8}})
	m := a.Margins[len(a.Margins)-1]
	if m.Kind != "seat" || m.Votes != 4001 || m.List != "A" || m.Other != "D" {
		t.Errorf("seat margin %+v", m)
	}
}

// The margin is minimal: no smaller transfer between any two lists moves
// a seat. Checked by brute force on small cases for every method.
func TestSeatMarginMinimal(t *testing.T) {
	cases := [][]List{
		{{"A", 430}, {"B", 270}, {"C", 190}, {"D", 110}},
		{{"A", 517}, {"B", 311}, {"C", 97}, {"D", 75}},
		{{"A", 120}, {"B", 119}, {"C", 61}},
	}
	for _, lists := range cases {
		for _, m := range Methods {
			a, err := Allocate(SeatInput{Lists: lists, Rules: Rules{Method: m, Seats: 7}})
			if err != nil {
				t.Fatal(err)
			}
			var margin Margin
			for _, x := range a.Margins {
				if x.Kind == "seat" {
					margin = x
				}
			}
			base := make([]int, len(lists))
			votes := make([]int64, len(lists))
			for i, l := range lists {
				base[i], votes[i] = a.Seats[l.Name], l.Votes
			}
			tb := newTieBreak(lists, 0)
			w := make([]int64, len(votes))
			for i := range lists {
				for j := range lists {
					if i == j || base[i] == 0 {
						continue
					}
					for x := int64(1); x < margin.Votes && x <= votes[i]; x++ {
						copy(w, votes)
						w[i] -= x
						w[j] += x
						got, _ := allocate(m, w, 7, tb)
						if !reflect.DeepEqual(got, base) {
							t.Fatalf("%s %v: moving %d from %s to %s changes seats, below the margin %+v", m, lists, x, lists[i].Name, lists[j].Name, margin)
						}
					}
				}
			}
			// And the margin itself does change them.
			i, j := index(lists, margin.List), index(lists, margin.Other)
			copy(w, votes)
			w[i] -= margin.Votes
			w[j] += margin.Votes
			if got, _ := allocate(m, w, 7, tb); reflect.DeepEqual(got, base) {
				t.Errorf("%s %v: margin %+v changes nothing", m, lists, margin)
			}
		}
	}
}

func index(ls []List, name string) int {
	for i, l := range ls {
		if l.Name == name {
			return i
		}
	}
	return -1
}

func TestAllocationJSON(t *testing.T) {
	a, _ := Allocate(SeatInput{Lists: kz2021, Valid: 7241562, Participants: 7539280,
		Rules: Rules{Method: Hare, Seats: 98, Threshold: 7, Base: BaseParticipants, MinLists: 2}})
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"seats":{"Ak Zhol":12,"Nur Otan":76,"People's Party":10}`, `"method":"hare"`, `"threshold":7`, `"base":"participants"`, `"passed":["Nur Otan","Ak Zhol","People's Party"]`, `"margins":[`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
}

func TestAllocateErrors(t *testing.T) {
	if _, err := Allocate(SeatInput{Lists: wikiDivisor}); err != ErrNoSeats {
		t.Errorf("no seats: %v", err)
	}
	if _, err := Allocate(SeatInput{Lists: wikiDivisor, Rules: Rules{Seats: 3, Method: "cube"}}); err == nil {
		t.Error("unknown method accepted")
	}
	if _, err := Allocate(SeatInput{Lists: wikiDivisor, Rules: Rules{Seats: 3, Threshold: 5, Base: BaseParticipants}}); err != ErrNoBase {
		t.Errorf("no participants: %v", err)
	}
	if _, err := Allocate(SeatInput{Lists: []List{{"A", -1}}, Rules: Rules{Seats: 3}}); err == nil {
		t.Error("negative votes accepted")
	}
}

// FuzzAllocate checks the invariants every method keeps: all seats are
// given; a list never gets fewer seats than a list with fewer votes; Hare
// gives every list its quota rounded down or up; and the seat margin, when
// applied, does move a seat.
func FuzzAllocate(f *testing.F) {
	f.Add(uint16(8), uint32(100000), uint32(80000), uint32(30000), uint32(20000), uint8(0))
	f.Add(uint16(98), uint32(5148074), uint32(792828), uint32(659019), uint32(383023), uint8(1))
	f.Add(uint16(3), uint32(50), uint32(50), uint32(50), uint32(0), uint8(2))
	f.Fuzz(func(t *testing.T, seats uint16, v1, v2, v3, v4 uint32, mi uint8) {
		if seats == 0 || seats > 500 {
			return
		}
		m := Methods[int(mi)%len(Methods)]
		lists := []List{{"a", int64(v1)}, {"b", int64(v2)}, {"c", int64(v3)}, {"d", int64(v4)}}
		a, err := Allocate(SeatInput{Lists: lists, Rules: Rules{Method: m, Seats: int(seats)}})
		if err != nil {
			t.Fatal(err)
		}
		var total, sum int64
		given := 0
		for _, l := range a.Lists {
			given += l.Seats
			sum += l.Votes
		}
		if sum == 0 {
			return
		}
		if given != int(seats) {
			t.Fatalf("%s: %d of %d seats given: %+v", m, given, seats, a.Lists)
		}
		for _, x := range a.Lists {
			for _, y := range a.Lists {
				if x.Votes > y.Votes && x.Seats < y.Seats {
					t.Fatalf("%s: %s has more votes but fewer seats than %s", m, x.Name, y.Name)
				}
			}
			if m == Hare {
				q := x.Votes * int64(seats) / sum
				if int64(x.Seats) < q || int64(x.Seats) > q+1 {
					t.Fatalf("hare: %s got %d seats, quota %d", x.Name, x.Seats, q)
				}
			}
			total += int64(x.Seats)
		}
		for _, mg := range a.Margins {
			if mg.Kind != "seat" {
				continue
			}
			i, j := index(lists, mg.List), index(lists, mg.Other)
			w := []int64{int64(v1), int64(v2), int64(v3), int64(v4)}
			base := make([]int, 4)
			for k := range base {
				base[k] = a.Lists[k].Seats
			}
			w[i] -= mg.Votes
			w[j] += mg.Votes
			if got, _ := allocate(m, w, int(seats), newTieBreak(lists, 0)); reflect.DeepEqual(got, base) {
				t.Fatalf("%s: margin %+v moves no seat", m, mg)
			}
		}
	})
}
