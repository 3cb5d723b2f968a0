package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
)

// TestDemoIrregularitiesAreFound writes the demo and checks that vigil's
// own commands find what the demo injected: the altered protocols at the
// observed stations (compare), the padded district summaries (check), the
// turnout driven to round figures (the integer test), and the deterrence of
// stuffing by observers (the control-group comparison).
func TestDemoIrregularitiesAreFound(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	mustVigil(t, "demo", "--db", db, "--seed", "2022", "--no-serve")
	el := demo.Generate(2022, demo.DefaultParams)

	var alteredObserved int
	var leaderChange int64
	for _, st := range el.Stations {
		if st.Altered && st.Observed {
			alteredObserved++
			leaderChange += st.Official.Votes[demo.Incumbent] - st.True.Votes[demo.Incumbent]
		}
	}
	out := mustVigil(t, "compare", "--db", db, "--election", demo.Name, "--json")
	var cmp struct {
		StationsCompared int   `json:"stations_compared"`
		StationsDiffer   int   `json:"stations_differ"`
		LeaderChange     int64 `json:"leader_change"`
	}
	if err := json.Unmarshal([]byte(out), &cmp); err != nil {
		t.Fatal(err)
	}
	if cmp.StationsDiffer != alteredObserved || cmp.LeaderChange != leaderChange {
		t.Fatalf("compare found %d stations, %+d votes; the demo altered %d observed stations, %+d votes", cmp.StationsDiffer, cmp.LeaderChange, alteredObserved, leaderChange)
	}

	out = mustVigil(t, "check", "--db", db, "--election", demo.Name, "--json")
	var chk struct {
		Flags []struct {
			Station string `json:"station"`
			Code    string `json:"code"`
			Item    string `json:"item"`
		} `json:"flags"`
	}
	if err := json.Unmarshal([]byte(out), &chk); err != nil {
		t.Fatal(err)
	}
	padded := map[string]bool{}
	for _, f := range chk.Flags {
		if strings.HasPrefix(f.Code, "SUMMARY") && f.Item == demo.Candidates[demo.Incumbent] {
			padded[f.Station] = true
		}
	}
	if len(padded) != len(el.SummaryAdditions) {
		t.Fatalf("check flags the incumbent's votes in %d district summaries, the demo padded %d: %v", len(padded), len(el.SummaryAdditions), padded)
	}
	for _, a := range el.SummaryAdditions {
		if !padded[a.Region+" / "+a.District] {
			t.Errorf("padded summary of %s / %s not flagged", a.Region, a.District)
		}
	}

	// --source observer checks the observers' copies alone: no official
	// district summary is held against a handful of observed stations.
	out = mustVigil(t, "check", "--db", db, "--election", demo.Name, "--source", "observer", "--json")
	var obsChk struct {
		Protocols int `json:"protocols"`
		Summaries int `json:"summaries"`
		Flags     []struct {
			Code string `json:"code"`
		} `json:"flags"`
	}
	if err := json.Unmarshal([]byte(out), &obsChk); err != nil {
		t.Fatal(err)
	}
	observed := 0
	for _, st := range el.Stations {
		if st.Observed {
			observed++
		}
	}
	if obsChk.Protocols != observed || obsChk.Summaries != 0 {
		t.Errorf("check --source observer: %d protocols, %d summaries; %d stations observed", obsChk.Protocols, obsChk.Summaries, observed)
	}
	for _, f := range obsChk.Flags {
		if strings.HasPrefix(f.Code, "SUMMARY") {
			t.Errorf("check --source observer flags %s", f.Code)
		}
	}

	out = mustVigil(t, "forensics", "integer", "--db", db, "--election", demo.Name, "--replicates", "200", "--json")
	var it struct {
		Criteria map[string]struct {
			Excess float64 `json:"excess"`
			Z      float64 `json:"z"`
		} `json:"criteria"`
	}
	if err := json.Unmarshal([]byte(out), &it); err != nil {
		t.Fatal(err)
	}
	if it.Criteria["turnout"].Z < 4 {
		t.Fatalf("the integer test does not see the inflated districts' round turnouts: %+v", it.Criteria)
	}

	// The observed stations are a random sample: as control group they
	// show the incumbent's excess where nobody watched.
	ctl := filepath.Join(t.TempDir(), "observed.csv")
	var b strings.Builder
	b.WriteString("region,district,station\n")
	for _, st := range el.Stations {
		if st.Observed {
			b.WriteString(st.Region + "," + st.District + "," + st.Number + "\n")
		}
	}
	os.WriteFile(ctl, []byte(b.String()), 0o644)
	out = mustVigil(t, "forensics", "control", "--db", db, "--election", demo.Name, "--leader", demo.Candidates[demo.Incumbent], "--control", ctl, "--by", "region", "--json")
	var c struct {
		Excess int64 `json:"excess"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	sum := demo.Summarise(el)
	if c.Excess <= 0 {
		t.Fatalf("control-group excess %d: the demo stuffed %d ballots, less where observed", c.Excess, sum.StuffedBallots)
	}
	t.Logf("demo: %d altered observed stations (%+d votes) found; %d padded summaries flagged; integer turnout z = %.1f; control-group excess %d (stuffed %d, altered %+d)",
		alteredObserved, leaderChange, len(padded), it.Criteria["turnout"].Z, c.Excess, sum.StuffedBallots, sum.AlteredVotes)
}
