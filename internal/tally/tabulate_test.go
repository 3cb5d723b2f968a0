package tally

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
)

// small: root 1 → regions 2, 3; region 2 → stations 4, 5; region 3 → station 6.
func small() (*election.Election, *Index) {
	e := &election.Election{Name: "e", Options: []election.Option{{Position: 0, Name: "A"}, {Position: 1, Name: "B"}}}
	areas := []election.Area{
		{ID: 6, ParentID: 3, Level: 2, Name: "s6", Station: true},
		{ID: 1, Level: 0, Name: "Country"},
		{ID: 2, ParentID: 1, Level: 1, Name: "North"},
		{ID: 3, ParentID: 1, Level: 1, Name: "South"},
		{ID: 4, ParentID: 2, Level: 2, Name: "s4", Station: true},
		{ID: 5, ParentID: 2, Level: 2, Name: "s5", Station: true},
	}
	ix, err := NewIndex(areas)
	if err != nil {
		panic(err)
	}
	return e, ix
}

func proto(id, area int64, src election.Source, version int, reg, valid int64, votes ...int64) *election.Protocol {
	p := &election.Protocol{ID: id, AreaID: area, Source: src, Version: version, Votes: votes}
	p.Figures.Set(election.Registered, reg)
	p.Figures.Set(election.Valid, valid)
	return p
}

func TestNewIndexErrors(t *testing.T) {
	for name, areas := range map[string][]election.Area{
		"duplicate": {{ID: 1}, {ID: 1}},
		"orphan":    {{ID: 1}, {ID: 2, ParentID: 9}},
		"cycle":     {{ID: 1}, {ID: 2, ParentID: 3}, {ID: 3, ParentID: 2}},
		"sparse":    {{ID: 1}, {ID: 1 << 40}, {ID: 1 << 40, ParentID: 1}},
	} {
		if _, err := NewIndex(areas); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Sparse ids use the map.
	ix, err := NewIndex([]election.Area{{ID: 1}, {ID: 1 << 40, ParentID: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if i, ok := ix.Lookup(1 << 40); !ok || ix.Area(i).ParentID != 1 {
		t.Error("sparse lookup")
	}
}

func TestTabulate(t *testing.T) {
	e, ix := small()
	t0 := time.Date(2021, 1, 10, 20, 0, 0, 0, time.UTC)
	ps := []*election.Protocol{
		proto(1, 4, election.OfficialFinal, 1, 100, 60, 40, 20),
		proto(2, 4, election.OfficialFinal, 2, 100, 70, 50, 20), // later version wins
		proto(3, 5, election.OfficialFinal, 1, 200, 100, 30, 70),
		proto(4, 6, election.OfficialPreliminary, 1, 300, 200, 100, 100), // only preliminary
		proto(5, 2, election.Summary, 1, 999, 999, 999, 0),               // summaries are ignored
		proto(6, 5, election.Observer, 1, 200, 100, 0, 100),
	}
	ps[2].Received = t0
	r := Tabulate(e, ix, ps, Selector{})
	if r.Ignored != 1 {
		t.Errorf("ignored %d, want 1 (the summary)", r.Ignored)
	}
	root := r.Tree(-1)
	if root.Stations != 2 || root.Options["A"] != 80 || root.Options["B"] != 90 || root.Figures.Value(election.Registered) != 300 {
		t.Errorf("final only: %+v", root)
	}
	// Falling back to preliminary when asked.
	r = Tabulate(e, ix, ps, Selector{Sources: []election.Source{election.OfficialFinal, election.OfficialPreliminary}})
	root = r.Tree(-1)
	if root.Stations != 3 || root.Options["A"] != 180 || root.Figures.Value(election.Valid) != 370 {
		t.Errorf("with fallback: stations %d options %v", root.Stations, root.Options)
	}
	north := root.Children[0]
	if north.Area.Name != "North" || north.Stations != 2 || north.Options["B"] != 90 || len(north.Children) != 2 {
		t.Errorf("north: %+v", north)
	}
	if got := r.Tree(1); len(got.Children) != 2 || len(got.Children[0].Children) != 0 {
		t.Errorf("depth limit 1 not applied")
	}
	// Coverage: a figure missing in one station makes the sum partial.
	ps[3].Figures.Unset(election.Registered)
	r = Tabulate(e, ix, ps, Selector{Sources: []election.Source{election.OfficialFinal, election.OfficialPreliminary}})
	if c := r.Coverage(int(ix.Roots()[0]), election.Registered); c != 2 || r.Stations(int(ix.Roots()[0])) != 3 {
		t.Errorf("coverage %d", c)
	}
}

func TestTreeJSON(t *testing.T) {
	e, ix := small()
	ps := []*election.Protocol{proto(1, 4, election.OfficialFinal, 1, 100, 60, 40, 20)}
	ps[0].Figures.Set(election.BallotsIssuedStation, 65) // issued derived from its parts
	b, err := json.Marshal(Tabulate(e, ix, ps, Selector{}).Tree(1))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"area":"Country","stations":1,"figures":{"ballots_issued":65,"ballots_issued_station":65,"registered":100,"valid":60},"options":{"A":40,"B":20},"children":[` +
		`{"area":"North","stations":1,"figures":{"ballots_issued":65,"ballots_issued_station":65,"registered":100,"valid":60},"options":{"A":40,"B":20},"children":[]},` +
		`{"area":"South","stations":0,"figures":{},"options":{"A":0,"B":0},"children":[]}]}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

func TestTurnoutShares(t *testing.T) {
	var f election.Figures
	if _, ok := Turnout(f); ok {
		t.Error("turnout without figures")
	}
	f.Set(election.Registered, 1000)
	f.Set(election.RegisteredSupplementary, 250)
	f.Set(election.Valid, 490)
	f.Set(election.Invalid, 10)
	if tu, ok := Turnout(f); !ok || tu != 0.4 {
		t.Errorf("turnout from ballots counted: %v", tu)
	}
	f.Set(election.BallotsIssued, 625)
	if tu, _ := Turnout(f); tu != 0.5 {
		t.Errorf("turnout from issued: %v", tu)
	}
	sh := Shares([]int64{245, 245}, f)
	if sh[0] != 0.5 || sh[1] != 0.5 {
		t.Errorf("shares %v", sh)
	}
	if sh := Shares([]int64{1, 3}, election.Figures{}); sh[1] != 0.75 {
		t.Errorf("shares without valid %v", sh)
	}
}

func TestCompare(t *testing.T) {
	e, ix := small()
	ps := []*election.Protocol{
		proto(1, 4, election.OfficialFinal, 1, 100, 60, 40, 20),
		proto(2, 4, election.Observer, 1, 100, 60, 30, 30),
		proto(3, 5, election.OfficialFinal, 1, 200, 100, 30, 70), // no observer copy
		proto(4, 6, election.OfficialFinal, 1, 300, 200, 100, 100),
		proto(5, 6, election.Observer, 1, 300, 190, 95, 95),
	}
	ps[4].Figures.Unset(election.Registered)
	c := Compare(e, ix, ps, Selector{}, Selector{Sources: []election.Source{election.Observer}})
	root := c.Tree(-1)
	if root.Stations != 2 || root.OnlyA != 1 || root.OnlyB != 0 {
		t.Fatalf("root counts %+v", root)
	}
	got := map[string]Diff{}
	for _, d := range append(root.Figures, root.Options...) {
		got[d.Item] = d
	}
	if d := got["A"]; d.A != 140 || d.B != 125 || d.Difference != 15 || d.Stations != 2 {
		t.Errorf("A: %+v", d)
	}
	if d := got["registered"]; d.A != 100 || d.B != 100 || d.Stations != 1 {
		t.Errorf("registered counted where the observer copy lacks it: %+v", d)
	}
	if d := got["valid"]; d.Difference != 10 {
		t.Errorf("valid %+v", d)
	}
	if len(root.Differences()) != 3 {
		t.Errorf("differences %+v", root.Differences())
	}
	b, _ := json.Marshal(root)
	if !strings.HasPrefix(string(b), `{"area":"Country","stations":2,"only_a":1,"only_b":0,"figures":[`) {
		t.Errorf("JSON %s", b)
	}
}

func TestSyntheticConsistency(t *testing.T) {
	e, areas, ps := synthetic(2, 3, 4, 5)
	ix, err := NewIndex(areas)
	if err != nil {
		t.Fatal(err)
	}
	r := Tabulate(e, ix, ps, Selector{})
	root := r.Tree(-1)
	if root.Stations != 120 {
		t.Fatalf("stations %d", root.Stations)
	}
	// Every level sums its children.
	var walk func(n *Node)
	walk = func(n *Node) {
		if len(n.Children) == 0 {
			return
		}
		var v, s int64
		st := 0
		for _, c := range n.Children {
			walk(c)
			v += c.Figures.Value(election.Valid)
			s += c.Options["P3"]
			st += c.Stations
		}
		if v != n.Figures.Value(election.Valid) || s != n.Options["P3"] || st != n.Stations {
			t.Errorf("%s does not sum its children", n.Area.Name)
		}
	}
	walk(root)
	var total int64
	for _, v := range root.Votes {
		total += v
	}
	if total != root.Figures.Value(election.Valid) {
		t.Errorf("votes %d ≠ valid %d", total, root.Figures.Value(election.Valid))
	}
}

// BenchmarkTabulate100k tabulates 100,000 stations (20 regions × 10
// districts × 10 territorial commissions × 50 stations, 7 options, with
// 110,000 official-final protocol versions and 20,000 observer copies to
// choose among) at every level. The tree is built separately below.
func BenchmarkTabulate100k(b *testing.B) {
	e, areas, ps := synthetic(20, 10, 10, 50)
	ix, err := NewIndex(areas)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := Tabulate(e, ix, ps, Selector{})
		if r.Stations(int(ix.Roots()[0])) != 100000 {
			b.Fatal("wrong count")
		}
	}
}

// BenchmarkTabulate100kTree adds building the whole tree of Nodes (every
// level, 102,211 nodes with their option maps) to the tabulation.
func BenchmarkTabulate100kTree(b *testing.B) {
	e, areas, ps := synthetic(20, 10, 10, 50)
	ix, err := NewIndex(areas)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Tabulate(e, ix, ps, Selector{}).Tree(-1)
	}
}

// BenchmarkNewIndex100k indexes the 102,211 areas.
func BenchmarkNewIndex100k(b *testing.B) {
	_, areas, _ := synthetic(20, 10, 10, 50)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewIndex(areas); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare100k compares official-final with observer copies.
func BenchmarkCompare100k(b *testing.B) {
	e, areas, ps := synthetic(20, 10, 10, 50)
	ix, _ := NewIndex(areas)
	obs := Selector{Sources: []election.Source{election.Observer}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Compare(e, ix, ps, Selector{}, obs)
	}
}

func TestCheckAll(t *testing.T) {
	e, ix := small()
	ix.areas[4].Path = []string{"North", "s4"}
	ps := []*election.Protocol{
		proto(1, 4, election.OfficialFinal, 1, 100, 60, 40, 10), // Σ options 50 ≠ 60, but superseded
		proto(2, 4, election.OfficialFinal, 2, 100, 60, 40, 20),
		proto(3, 5, election.OfficialFinal, 1, 200, 100, 30, 70),
		proto(4, 5, election.Observer, 1, 200, 100, 30, 60), // Σ 90 ≠ 100
		proto(5, 2, election.Summary, 1, 300, 170, 70, 100), // valid: 170 ≠ 160
		proto(6, 2, election.Summary, 2, 300, 160, 80, 80),  // latest: A 80 ≠ 70, B 80 ≠ 90, and Σ fine
		proto(7, 3, election.Summary, 1, 50, 20, 10, 10),    // South: its station has no final protocol
	}
	rep := CheckAll(e, ix, ps, Selector{})
	if rep.Protocols != 5 || rep.Summaries != 2 {
		t.Errorf("protocols %d summaries %d", rep.Protocols, rep.Summaries)
	}
	got := map[string]int{}
	for _, f := range rep.Flags {
		got[f.Code+" "+f.Item+" "+f.Station]++
	}
	want := map[string]int{
		"OPTIONS_SUM_VALID  s5":           1,
		"SUMMARY_VOTES A North":           1,
		"SUMMARY_VOTES B North":           1,
		"SUMMARY_STATIONS_MISSING  South": 1,
	}
	if len(got) != len(want) {
		t.Errorf("flags %v, want %v", got, want)
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("missing %q in %v", k, got)
		}
	}
}

func TestCompareSeveralRoots(t *testing.T) {
	e := &election.Election{Name: "e", Options: []election.Option{{Position: 0, Name: "A"}}}
	ix, _ := NewIndex([]election.Area{{ID: 1, Name: "x", Station: true}, {ID: 2, Name: "y", Station: true}})
	ps := []*election.Protocol{
		proto(1, 1, election.OfficialFinal, 1, 10, 5, 5), proto(2, 1, election.Observer, 1, 10, 5, 4),
		proto(3, 2, election.OfficialFinal, 1, 20, 7, 7), proto(4, 2, election.Observer, 1, 20, 7, 7),
	}
	top := Compare(e, ix, ps, Selector{}, Selector{Sources: []election.Source{election.Observer}}).Tree(-1)
	if top.Stations != 2 || len(top.Children) != 2 || len(top.Options) != 1 || top.Options[0].A != 12 || top.Options[0].B != 11 || top.Options[0].Stations != 2 {
		t.Errorf("%+v", top)
	}
	if r := Tabulate(e, ix, ps, Selector{}).Tree(-1); r.Stations != 2 || r.Options["A"] != 12 {
		t.Errorf("tree of several roots %+v", r)
	}
}
