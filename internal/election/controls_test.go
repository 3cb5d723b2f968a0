package election

import (
	"encoding/json"
	"strings"
	"testing"
)

func testElection() *Election {
	return &Election{
		Name: "t", Kind: PartyList,
		Options: []Option{{0, "A", Party}, {1, "B", Party}, {2, "C", Party}},
	}
}

// goodProtocol balances on every control.
func goodProtocol() *Protocol {
	p := &Protocol{ID: 7, AreaID: 42, Source: OfficialFinal, Version: 1, Votes: []int64{500, 300, 100}}
	f := &p.Figures
	f.Set(Registered, 1200)
	f.Set(RegisteredSupplementary, 20)
	f.Set(BallotsReceived, 1200)
	f.Set(BallotsIssuedEarly, 10)
	f.Set(BallotsIssuedStation, 900)
	f.Set(BallotsIssuedMobile, 40)
	f.Set(BallotsIssued, 950)
	f.Set(BallotsCancelled, 248)
	f.Set(BallotsLost, 2)
	f.Set(BallotsInBox, 945)
	f.Set(Invalid, 45)
	f.Set(Valid, 900)
	return p
}

func codes(flags []Flag) []string {
	var s []string
	for _, f := range flags {
		s = append(s, f.Code)
	}
	return s
}

func TestCheckGoodProtocol(t *testing.T) {
	e := testElection()
	r := NewReport()
	if flags := r.Check(e, goodProtocol()); len(flags) != 0 {
		t.Fatalf("balanced protocol flagged: %+v", flags)
	}
	// Every control ran on a complete protocol.
	for _, c := range Controls {
		if strings.HasPrefix(c.Code, "SUMMARY_") {
			continue
		}
		if r.Checked[c.Code] != 1 {
			t.Errorf("%s checked %d times, want 1", c.Code, r.Checked[c.Code])
		}
	}
}

func TestCheckEachControl(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Protocol)
		code   string
		diff   int64
	}{
		{"valid+invalid", func(p *Protocol) { p.Figures.Set(Invalid, 50) }, CodeValidInvalidBox, 5},
		{"box>issued", func(p *Protocol) {
			p.Figures.Set(BallotsInBox, 960)
			p.Figures.Set(Invalid, 60)
		}, CodeBoxIssued, 10},
		{"issued>registered", func(p *Protocol) {
			p.Figures.Set(Registered, 900)
		}, CodeIssuedRegistered, 30},
		{"received", func(p *Protocol) { p.Figures.Set(BallotsReceived, 1210) }, CodeReceivedBalance, 10},
		{"options", func(p *Protocol) { p.Votes[2] = 99 }, CodeOptionsValid, -1},
		{"parts", func(p *Protocol) { p.Figures.Set(BallotsIssuedMobile, 41) }, CodeIssuedParts, -1},
		{"negative", func(p *Protocol) { p.Votes[1] = -3 }, CodeNegative, -3},
		{"missing", func(p *Protocol) { p.Figures.Unset(Valid) }, CodeMissing, 0},
		{"missing votes", func(p *Protocol) { p.Votes = p.Votes[:2] }, CodeMissing, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := goodProtocol()
			tt.change(p)
			flags := Check(testElection(), p)
			var got *Flag
			for i := range flags {
				if flags[i].Code == tt.code {
					got = &flags[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s flag; got %v", tt.code, codes(flags))
			}
			if got.Difference != tt.diff {
				t.Errorf("difference %d, want %d (%+v)", got.Difference, tt.diff, got)
			}
			if got.Message == "" || got.AreaID != 42 || got.ProtocolID != 7 {
				t.Errorf("flag lacks message or identity: %+v", got)
			}
		})
	}
}

func TestTurnoutWithoutIssued(t *testing.T) {
	// Data sets like Albania's publish only registered and ballots: the
	// turnout control still runs, the issued controls are skipped.
	e := testElection()
	p := &Protocol{Votes: []int64{600, 300, 100}}
	p.Figures.Set(Registered, 1000)
	p.Figures.Set(Valid, 1000)
	p.Figures.Set(Invalid, 20)
	r := NewReport()
	flags := r.Check(e, p)
	if len(flags) != 1 || flags[0].Code != CodeTurnout || flags[0].Difference != 20 {
		t.Fatalf("flags %+v, want one TURNOUT_LE_100 of 20", flags)
	}
	for _, code := range []string{CodeBoxIssued, CodeIssuedRegistered, CodeReceivedBalance, CodeValidInvalidBox, CodeIssuedParts} {
		if r.Checked[code] != 0 {
			t.Errorf("%s ran without its figures", code)
		}
	}
	if r.Checked[CodeOptionsValid] != 1 || r.Counts[CodeTurnout] != 1 {
		t.Errorf("checked %v counts %v", r.Checked, r.Counts)
	}
}

func TestTolerance(t *testing.T) {
	e := testElection()
	p := goodProtocol()
	p.Figures.Set(Invalid, 47) // off by 2
	if len(Check(e, p)) != 1 {
		t.Fatal("want a flag without tolerance")
	}
	e.Config.Tolerances = map[string]Tolerance{CodeValidInvalidBox: {Absolute: 2}}
	if f := Check(e, p); len(f) != 0 {
		t.Fatalf("absolute tolerance 2 not applied: %+v", f)
	}
	p.Figures.Set(Invalid, 48)
	if len(Check(e, p)) != 1 {
		t.Fatal("3 off with tolerance 2 must be flagged")
	}
	e.Config.Tolerances = map[string]Tolerance{CodeValidInvalidBox: {Relative: 0.005}} // 0.5 % of 948 = 4.7
	if f := Check(e, p); len(f) != 0 {
		t.Fatalf("relative tolerance not applied: %+v", f)
	}
}

func TestEssentialConfig(t *testing.T) {
	e := testElection()
	p := goodProtocol()
	p.Figures.Unset(Registered)
	if got := codes(Check(e, p)); len(got) != 1 || got[0] != CodeMissing {
		t.Fatalf("default essential: %v", got)
	}
	e.Config.Essential = []string{"valid"}
	if got := Check(e, p); len(got) != 0 {
		t.Fatalf("registered not essential any more: %+v", got)
	}
}

func TestCheckSummary(t *testing.T) {
	e := testElection()
	a, b := goodProtocol(), goodProtocol()
	b.Votes = []int64{100, 700, 100}
	s := &Protocol{AreaID: 1, Source: Summary, Votes: []int64{600, 1000, 200}}
	s.Figures.Set(Registered, 2400)
	s.Figures.Set(Valid, 1800)
	s.Figures.Set(Invalid, 90)
	if f := CheckSummary(e, s, []*Protocol{a, b}); len(f) != 0 {
		t.Fatalf("matching summary flagged: %+v", f)
	}
	s.Figures.Set(Valid, 1850)
	s.Votes[1] = 1050
	s.Votes[2] = 190
	r := NewReport()
	flags := r.CheckSummary(e, s, []*Protocol{a, b})
	if len(flags) != 3 {
		t.Fatalf("want 3 flags, got %+v", flags)
	}
	want := map[string]int64{"valid": 50, "B": 50, "C": -10}
	for _, f := range flags {
		if want[f.Item] != f.Difference {
			t.Errorf("%s: difference %d, want %d", f.Item, f.Difference, want[f.Item])
		}
		if f.Figures["summary"]-f.Figures["stations_total"] != f.Difference {
			t.Errorf("%s: both values not reported: %v", f.Item, f.Figures)
		}
	}
	if r.Counts[CodeSummaryFigure] != 1 || r.Counts[CodeSummaryVotes] != 1 || r.Checked[CodeSummaryVotes] != 1 {
		t.Errorf("counts %v checked %v", r.Counts, r.Checked)
	}
	// A figure absent from one station is not compared.
	b.Figures.Unset(Valid)
	for _, f := range CheckSummary(e, s, []*Protocol{a, b}) {
		if f.Item == "valid" {
			t.Errorf("valid compared although one station lacks it")
		}
	}
}

func TestReportJSON(t *testing.T) {
	e := testElection()
	r := NewReport()
	p := goodProtocol()
	p.Figures.Set(Invalid, 50)
	r.Check(e, p)
	r.Flags[0].Station = "Region / District / 0042"
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Counts map[string]int
		Flags  []map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Counts[CodeValidInvalidBox] != 1 || got.Counts[CodeOptionsValid] != 0 {
		t.Errorf("counts %v", got.Counts)
	}
	if len(got.Flags) != 1 || got.Flags[0]["station"] != "Region / District / 0042" || got.Flags[0]["code"] != CodeValidInvalidBox {
		t.Errorf("flags %s", b)
	}
	if !strings.Contains(string(b), `"figures":{"ballots_in_box":945,"invalid":50,"valid":900}`) {
		t.Errorf("figures not in JSON: %s", b)
	}
}

func TestControlsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Controls {
		if seen[c.Code] || c.Message == "" || ControlMessage(c.Code) != c.Message {
			t.Errorf("bad control %+v", c)
		}
		seen[c.Code] = true
	}
}

func TestValidateConfig(t *testing.T) {
	ok := Config{Tolerances: map[string]Tolerance{CodeValidInvalidBox: {Absolute: 2}}, Essential: []string{"valid", "votes"}}
	if err := ValidateConfig(ok); err != nil {
		t.Error(err)
	}
	for _, bad := range []Config{
		{Tolerances: map[string]Tolerance{"F01": {Absolute: 1}}},
		{Tolerances: map[string]Tolerance{CodeTurnout: {Relative: -0.1}}},
		{Essential: []string{"voters"}},
	} {
		if ValidateConfig(bad) == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestCheckSummaryMissingStations(t *testing.T) {
	e := testElection()
	s := &Protocol{AreaID: 1, Source: Summary, Votes: []int64{1, 2, 3}}
	s.Figures.Set(Valid, 6)
	r := NewReport()
	flags := r.CheckSummary(e, s, []*Protocol{goodProtocol(), nil, nil})
	if len(flags) != 1 || flags[0].Code != CodeSummaryStations || flags[0].Figures["stations_with_protocol"] != 1 || flags[0].Difference != -2 {
		t.Fatalf("flags %+v", flags)
	}
	if r.Checked[CodeSummaryVotes] != 0 || r.Checked[CodeSummaryStations] != 1 {
		t.Errorf("checked %v", r.Checked)
	}
}
