package tally

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"strconv"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/realdata"
)

// russia2018 reads the 2018 Russian presidential election, one row per
// polling station (Shpilkin's scrape of the CEC's protocols, via Kobak's
// repository), into an election, a region → territorial commission (TIK)
// → station (UIK) hierarchy, and one official-final protocol per station.
func russia2018(tb testing.TB) (*election.Election, []election.Area, []*election.Protocol) {
	tb.Helper()
	path := realdata.Path(tb, "russia-kobak-shpilkin/2018.csv.zip")
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.File[0].Open()
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	// Columns: region, tik, uik, then protocol lines 1–11 of the Russian
	// protocol in order, then the 8 candidates, then url.
	const firstCand, nCand = 15, 8
	e := &election.Election{ID: 1, Name: "ru-2018", Kind: election.Presidential, Country: "RU", Date: "2018-03-18"}
	for k := range nCand {
		e.Options = append(e.Options, election.Option{Position: k, Name: head[firstCand+k], Kind: election.Candidate})
	}
	areas := []election.Area{{ID: 1, Level: 0, Name: "Russia"}}
	regions := map[string]int64{}
	tiks := map[[2]string]int64{}
	var protos []*election.Protocol
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			tb.Fatalf("bad number %q", s)
		}
		return n
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		reg, ok := regions[rec[0]]
		if !ok {
			reg = int64(len(areas) + 1)
			regions[rec[0]] = reg
			areas = append(areas, election.Area{ID: reg, ParentID: 1, Level: 1, Name: rec[0], Path: []string{rec[0]}})
		}
		tk := [2]string{rec[0], rec[1]}
		tik, ok := tiks[tk]
		if !ok {
			tik = int64(len(areas) + 1)
			tiks[tk] = tik
			areas = append(areas, election.Area{ID: tik, ParentID: reg, Level: 2, Name: rec[1], Path: []string{rec[0], rec[1]}})
		}
		id := int64(len(areas) + 1)
		areas = append(areas, election.Area{ID: id, ParentID: tik, Level: 3, Name: rec[2], Station: true, Path: []string{rec[0], rec[1], rec[2]}})
		p := &election.Protocol{ID: id, AreaID: id, Source: election.OfficialFinal, Version: 1, Votes: make([]int64, nCand)}
		fg := &p.Figures
		fg.Set(election.Registered, num(rec[3]))
		// Line 11, ballots not accounted for at receipt (found in excess),
		// belongs with the ballots received: the Russian control ratio is
		// 2 + 11 = 3 + 4 + 5 + 6 + 10.
		fg.Set(election.BallotsReceived, num(rec[4])+num(rec[14]))
		fg.Set(election.BallotsIssuedEarly, num(rec[5]))
		fg.Set(election.BallotsIssuedStation, num(rec[6]))
		fg.Set(election.BallotsIssuedMobile, num(rec[7]))
		fg.Set(election.BallotsCancelled, num(rec[8]))
		fg.Set(election.BallotsInBox, num(rec[9])+num(rec[10]))
		fg.Set(election.Invalid, num(rec[11]))
		fg.Set(election.Valid, num(rec[12]))
		fg.Set(election.BallotsLost, num(rec[13]))
		for k := range nCand {
			p.Votes[k] = num(rec[firstCand+k])
		}
		protos = append(protos, p)
	}
	return e, areas, protos
}

// TestRussia2018 tabulates and checks the 97,699 stations of the 2018
// Russian presidential election. The data's notes give 97,699 stations and
// 109,008,428 registered voters; the CEC's final result gives Putin
// 56,430,712 votes.
func TestRussia2018(t *testing.T) {
	e, areas, protos := russia2018(t)
	ix, err := NewIndex(areas)
	if err != nil {
		t.Fatal(err)
	}
	res := Tabulate(e, ix, protos, Selector{})
	root := res.Tree(1)
	if root.Stations != 97699 {
		t.Errorf("stations %d, want 97,699", root.Stations)
	}
	if got := root.Figures.Value(election.Registered); got != 109008428 {
		t.Errorf("registered %d, want 109,008,428", got)
	}
	if got := root.Options["Путин Владимир Владимирович"]; got != 56430712 {
		t.Errorf("Putin %d, want 56,430,712", got)
	}
	if tu, _ := root.Turnout(); tu < 0.67 || tu > 0.68 { // official turnout 67.5 %
		t.Errorf("turnout %.4f", tu)
	}
	// The CEC's 76.69 % is of all ballots counted (valid + invalid); of
	// the valid votes it is 77.53 %.
	ballots, _ := root.Figures.Ballots()
	putin := e.OptionIndex("Путин Владимир Владимирович")
	if sh := SharesOf(root.Votes, ballots)[putin]; sh < 0.7668 || sh >= 0.7670 {
		t.Errorf("Putin's share of ballots %.5f, want 76.69 %%", sh)
	}
	if sh := root.Shares()["Путин Владимир Владимирович"]; sh < 0.7752 || sh >= 0.7754 {
		t.Errorf("Putin's share of valid votes %.5f", sh)
	}

	rep := election.NewReport()
	for _, p := range protos {
		rep.Check(e, p)
	}
	t.Logf("controls on %d protocols: counts %v", rep.Protocols, rep.Counts)
	// Six stations have more ballots in the boxes than they issued (by 1
	// to 3): a finding in the data, pinned so that a change to the control
	// shows.
	if rep.Counts[election.CodeBoxIssued] != 6 {
		t.Errorf("BOX_LE_ISSUED flagged %d protocols, want 6", rep.Counts[election.CodeBoxIssued])
	}
	for _, f := range rep.Flags {
		a := ix.Area(mustLookup(t, ix, f.AreaID))
		t.Logf("%v %s %v difference %d", a.Path, f.Code, f.Figures, f.Difference)
	}
	// Every protocol states every figure, so every control ran on all.
	for _, code := range []string{election.CodeValidInvalidBox, election.CodeBoxIssued, election.CodeIssuedRegistered,
		election.CodeTurnout, election.CodeReceivedBalance, election.CodeOptionsValid} {
		if rep.Checked[code] != len(protos) {
			t.Errorf("%s ran on %d of %d protocols", code, rep.Checked[code], len(protos))
		}
	}
	// The CEC's software enforces valid + invalid = ballots in the boxes
	// and Σ candidates = valid, so a flag there is a defect of ours.
	for _, code := range []string{election.CodeValidInvalidBox, election.CodeOptionsValid, election.CodeNegative} {
		if rep.Counts[code] != 0 {
			t.Errorf("%s flagged %d protocols", code, rep.Counts[code])
		}
	}
}

// BenchmarkTabulateRussia2018 tabulates the real 97,699 stations.
func BenchmarkTabulateRussia2018(b *testing.B) {
	e, areas, protos := russia2018(b)
	ix, err := NewIndex(areas)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Tabulate(e, ix, protos, Selector{})
	}
}

func mustLookup(t *testing.T, ix *Index, id int64) int {
	i, ok := ix.Lookup(id)
	if !ok {
		t.Fatalf("area %d not in the index", id)
	}
	return i
}

// BenchmarkCheckRussia2018 runs every control on the 97,699 protocols.
func BenchmarkCheckRussia2018(b *testing.B) {
	e, _, protos := russia2018(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep := election.NewReport()
		for _, p := range protos {
			rep.Check(e, p)
		}
	}
}
